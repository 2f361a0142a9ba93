"""The reference shipped in the package: regions by UWV number, municipalities by CBS code, mergers."""

from __future__ import annotations

import csv
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.models import Period
from shared.reference import (
    explain_membership_change,
    municipality_code,
    municipality_name,
    predecessors,
    region_code,
    region_name,
    region_names,
    successors,
)
from shared.reference.tables import mergers, municipalities
from tests.conftest import ROOT

SHIPPED = ROOT / "shared" / "reference" / "data"
GATHERED = ROOT.parent / "shared" / "reference"
SEEDS = ROOT.parent / "shared" / "seeds"


def test_the_package_ships_the_gathered_reference_unchanged() -> None:
    for name in ("arbeidsmarktregios.csv", "gemeenten.csv", "herindelingen.csv"):
        if not (GATHERED / name).exists():
            pytest.fail(f"{GATHERED / name} is missing; the test compares the shipped copy with it")
        assert (SHIPPED / name).read_bytes() == (GATHERED / name).read_bytes(), name


def test_every_region_name_and_spelling_resolves_to_its_code() -> None:
    rows = list(csv.DictReader((SHIPPED / "arbeidsmarktregios.csv").open(encoding="utf-8")))
    assert [int(row["uwv_code"]) for row in rows] == list(range(1, 36))
    for row in rows:
        code = int(row["uwv_code"])
        spellings = [row["name"], *(n for n in row["other_names"].split(";") if n)]
        for spelling in spellings:
            assert region_code(spelling) == code, spelling
            assert region_code(spelling.upper()) == code, spelling
            assert region_code(spelling.replace("-", " ")) == code, spelling
            assert region_code(f"{code} {spelling}") == code, spelling
        assert region_name(code) == row["name"]
        assert region_names()[code] == tuple(spellings)


@pytest.mark.parametrize(("printed", "code"), [
    ("Midden Limburg", 34), ("Midden-Limburg", 34), ("34 Midden-Limburg", 34), ("MIDDEN-LIMBURG", 34),
    ("West-Brabant", 28), ("West Brabant", 28), ("28 West-Brabant", 28),
    ("Noord-Holland (Noord)", 3), ("Noord-Holland Noord", 3), ("noord holland noord", 3),
    ("Zaanstreek / Waterland", 7), ("Zaanstreek-Waterland", 7), ("Gooi & Vechtstreek", 12),
    ("Food Valley", 16), ("FoodValley", 16), ("IJsselvechtstreek", 5), ("Regio Zwolle", 5),
    ("Regio Twente", 9), ("Arbeidsmarktregio Zeeland", 29), ("Helmond De Peel", 32),
    ("Stedendriehoek en Noordwest Veluwe", 11), ("Veluwe Stedendriehoek", 11), ("34", 34),
])
def test_region_spellings(printed: str, code: int) -> None:
    assert region_code(printed) == code


@pytest.mark.parametrize("printed", ["Limburg", "Brabant", "Atlantis", "", "36 Atlantis", "34 West-Brabant", "0"])
def test_unknown_or_contradictory_regions_are_none(printed: str) -> None:
    assert region_code(printed) is None


def test_the_seeds_regions_get_34_and_28() -> None:
    midden_limburg = (SEEDS / "000_f3c2dd9af89e7b56.txt").read_text(encoding="utf-8")
    west_brabant = (SEEDS / "001_23d8ea5ce4f2f5b4.txt").read_text(encoding="utf-8")
    assert region_code(re.search(r"^(34 Midden-Limburg)\t", midden_limburg, re.M).group(1)) == 34
    assert region_code(re.search(r"^## (Midden-Limburg)$", midden_limburg, re.M).group(1)) == 34
    # West-Brabant's PDF edition prints no number: the title line's name is all there is.
    assert region_code(re.search(r"Vierde kwartaal 2020\s+(\S+)", west_brabant).group(1)) == 28


def test_the_seeds_municipalities_all_have_codes() -> None:
    midden_limburg = ["Cranendonck", "Echt-Susteren", "Leudal", "Maasgouw", "Nederweert", "Roerdalen",
                      "Roermond", "Weert"]
    west_brabant = ["Altena", "Bergen op Zoom", "Breda", "Drimmelen", "Etten-Leur", "Geertruidenberg",
                    "Halderberge", "Moerdijk", "Oosterhout", "Roosendaal", "Rucphen", "Steenbergen",
                    "Woensdrecht", "Zundert"]
    assert municipality_code("Roermond", 2021) == "GM0957"
    assert all(municipality_code(name, 2021) for name in midden_limburg)
    assert all(municipality_code(name, 2020) for name in west_brabant)


@pytest.mark.parametrize(("name", "year", "code"), [
    # the 2024 province suffixes, printed or not, before and after CBS added them
    ("Hengelo", 2023, "GM0164"), ("Hengelo (O.)", 2023, "GM0164"),
    ("Hengelo", 2024, "GM0164"), ("Hengelo (O.)", 2024, "GM0164"), ("Hengelo (Ov.)", 2024, "GM0164"),
    ("Beek", 2021, "GM0888"), ("Beek (L.)", 2021, "GM0888"), ("Beek (L.)", 2024, "GM0888"),
    ("Stein (L.)", 2024, "GM0971"), ("Laren (NH.)", 2024, "GM0417"), ("Laren", 2024, "GM0417"),
    ("Middelburg (Z.)", 2024, "GM0687"), ("Rijswijk (ZH.)", 2024, "GM0603"), ("Rijswijk", 2019, "GM0603"),
    ("Bergen (L.)", 2021, "GM0893"), ("Bergen (NH.)", 2021, "GM0373"), ("Bergen (NH)", 2024, "GM0373"),
    ("Bergen (N.H.)", 2018, "GM0373"), ("Bergen (Limburg)", 2018, "GM0893"), ("BERGEN (L.)", 2016, "GM0893"),
    # commas, apostrophes, diacritics, Frisian names, abbreviations
    ("Nuenen, Gerwen en Nederwetten", 2021, "GM0820"), ("Nuenen Gerwen en Nederwetten", 2024, "GM0820"),
    ("Nuenen c.a.", 2020, "GM0820"),
    ("'s-Hertogenbosch", 2020, "GM0796"), ("\u2019s-Hertogenbosch", 2020, "GM0796"),
    ("'s Hertogenbosch", 2025, "GM0796"), ("s-Hertogenbosch", 2017, "GM0796"), ("Den Bosch", 2022, "GM0796"),
    ("'s-Gravenhage", 2022, "GM0518"), ("Den Haag", 2022, "GM0518"),
    ("Súdwest-Fryslân", 2020, "GM1900"), ("Sudwest-Fryslan", 2020, "GM1900"), ("súdwest fryslân", 2016, "GM1900"),
    ("Noardeast-Fryslân", 2019, "GM1970"), ("Noardeast Fryslan", 2024, "GM1970"),
    ("De Fryske Marren", 2018, "GM1940"), ("Tytsjerksteradiel", 2021, "GM0737"),
    ("Tietjerksteradeel", 2021, "GM0737"), ("Dantumadiel", 2016, "GM1891"),
    ("Capelle a/d IJssel", 2020, "GM0502"), ("Capelle aan den IJssel", 2020, "GM0502"),
    ("St. Anthonis", 2021, "GM1702"), ("Sint Anthonis", 2021, "GM1702"), ("Etten Leur", 2020, "GM0777"),
    # a year past the reference takes the latest year's codes
    ("Beekdaelen", 2031, "GM1954"), ("Hengelo", 2030, "GM0164"),
])
def test_municipality_spellings_across_years(name: str, year: int, code: str) -> None:
    assert municipality_code(name, year) == code


@pytest.mark.parametrize(("name", "year"), [
    ("Bergen", 2021),           # Bergen (L.) and Bergen (NH.): ambiguous, never a guess
    ("Bergen", 2024),
    ("Hengelo (Gld.)", 2024),   # a village in Bronckhorst, not a municipality
    ("Nuth", 2019),             # merged into Beekdaelen on 2019-01-01
    ("Beekdaelen", 2018),       # did not exist yet
    ("Atlantis", 2021),
    ("", 2021),
])
def test_unknown_and_ambiguous_municipalities_are_none(name: str, year: int) -> None:
    assert municipality_code(name, year) is None


def test_the_region_chooses_between_namesakes_only() -> None:
    assert municipality_code("Bergen", 2021, region_code=31) == "GM0893"   # Noord-Limburg
    assert municipality_code("Bergen", 2021, region_code=3) == "GM0373"    # Noord-Holland Noord
    assert municipality_code("Bergen", 2021, region_code=34) is None
    # Cranendonck lay in region 33 in 2015 and is in Midden-Limburg's reports: the region never rejects.
    assert municipality_code("Cranendonck", 2021, region_code=34) == "GM1706"


def test_every_reference_name_resolves_to_its_code_in_its_year() -> None:
    ambiguous = {"Bergen"}
    for record in municipalities():
        assert municipality_code(record.name, record.year) == record.code, (record.year, record.name)
        assert municipality_name(record.code, record.year) == record.name
        if "(" not in record.name:
            assert municipality_code(record.name.upper().replace("-", " "), record.year) == record.code
        else:
            assert record.name.split(" (")[0] in ambiguous or municipality_code(
                record.name.split(" (")[0], record.year) == record.code


def test_the_mergers_agree_with_the_yearly_lists() -> None:
    codes_by_year: dict[int, set[str]] = {}
    for record in municipalities():
        codes_by_year.setdefault(record.year, set()).add(record.code)
    for merger in mergers():
        # A merger on 1 January shows in that year's list; Weesp's (24 March 2022) in the next one's.
        first_after = merger.effective.year + (0 if (merger.effective.month, merger.effective.day) == (1, 1) else 1)
        if first_after - 1 in codes_by_year:
            assert merger.old_code in codes_by_year[first_after - 1], merger
        assert merger.old_code not in codes_by_year[first_after], merger
        assert merger.new_code in codes_by_year[first_after], merger


def test_successors_and_predecessors_follow_the_mergers() -> None:
    assert successors("GM0951", 2018, 2019) == {"GM1954"}                  # Nuth -> Beekdaelen
    assert successors("GM0951", 2019, 2020) == {"GM0951"}                  # already merged when 2019 began
    assert successors("GM0957", 2016, 2025) == {"GM0957"}                  # Roermond, untouched
    assert predecessors("GM1954", 2018, 2019) == {"GM0881", "GM0951", "GM0962"}
    assert predecessors("GM0080", 2017, 2018) == {"GM0080", "GM0081", "GM0140"}  # Leeuwarden absorbs
    assert successors("GM0140", 2017, 2018) == {"GM0080", "GM1900", "GM1949"}     # Littenseradiel split
    assert successors("GM0457", 2022, 2022) == {"GM0363"}                  # Weesp, mid-2022, into Amsterdam
    assert successors("GM0241", 2015, 2020) == {"GM1945"}                  # Groesbeek -> Berg en Dal


def test_a_2018_report_with_nuth_onderbanken_schinnen_and_a_2019_one_with_beekdaelen() -> None:
    report_2018 = ["Beek", "Brunssum", "Heerlen", "Nuth", "Onderbanken", "Schinnen", "Sittard-Geleen"]
    report_2019 = ["Beek", "Beekdaelen", "Brunssum", "Heerlen", "Sittard-Geleen"]
    previous = {municipality_code(name, 2018) for name in report_2018}
    current = {municipality_code(name, 2019) for name in report_2019}
    assert None not in previous | current
    change = explain_membership_change(previous, current, 2018, 2019)
    assert [(m.old_codes, m.new_code) for m in change.mergers] == [(("GM0881", "GM0951", "GM0962"), "GM1954")]
    assert change.unexplained_missing == set()
    assert change.unexplained_new == set()


def test_membership_changes_no_merger_explains_stay_unexplained() -> None:
    previous = {"GM0888", "GM0951", "GM0881", "GM0962", "GM0917"}   # ... Heerlen
    current = {"GM0888", "GM1954", "GM1706"}                         # Heerlen gone, Cranendonck new
    change = explain_membership_change(previous, current, 2018, 2019)
    assert change.unexplained_missing == {"GM0917"}
    assert change.unexplained_new == {"GM1706"}
    # Nuth's merger lies before 2019's reports: between two 2019 quarters it explains nothing.
    late = explain_membership_change({"GM0951"}, {"GM1954"}, 2019, 2019)
    assert late.mergers == () and late.unexplained_missing == {"GM0951"} and late.unexplained_new == {"GM1954"}


def test_the_reference_is_read_once() -> None:
    assert municipalities() is municipalities()
    assert mergers() is mergers()


def test_a_mid_year_merger_is_explained_between_quarters() -> None:
    # Weesp joined Amsterdam on 2022-03-24: the first quarter of 2022 may show it either way.
    for earlier, later in ((Period(year=2021, quarter=4), Period(year=2022, quarter=1)),
                           (Period(year=2022, quarter=1), Period(year=2022, quarter=2))):
        change = explain_membership_change({"GM0363", "GM0457"}, {"GM0363"}, earlier, later)
        assert [(m.old_codes, m.new_code) for m in change.mergers] == [(("GM0457",), "GM0363")]
        assert not change.unexplained_missing and not change.unexplained_new
    late = explain_membership_change({"GM0363", "GM0457"}, {"GM0363"}, Period(year=2022, quarter=2),
                                     Period(year=2022, quarter=3))
    assert late.unexplained_missing == {"GM0457"}


@given(st.text(max_size=80), st.integers(min_value=-10_000, max_value=10_000))
def test_any_text_is_an_answer_never_an_exception(text: str, year: int) -> None:
    region = region_code(text)
    assert region is None or 1 <= region <= 35
    code = municipality_code(text, year)
    assert code is None or re.fullmatch(r"GM\d{4}", code)


def test_a_predecessor_still_listed_is_no_merger() -> None:
    change = explain_membership_change({"GM0951"}, {"GM0951", "GM1954"}, 2018, 2019)
    assert change.mergers == () and change.unexplained_new == {"GM1954"}
