"""Periods and regions stated by a file's name, in words or as codes, resolved through the reference."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.models import Period
from shared.parsing import common
from shared.parsing.filename import period_from_name, region_from_name


@pytest.mark.parametrize(("name", "year", "quarter"), [
    ("Twente - Derde kwartaal 2022.xlsx", 2022, 3),
    ("Transparantie van klantprofielen Eerste kwartaal 2024 Zeeland.csv", 2024, 1),
    ("transparantie van klantprofielen tweede kwartaal 2023.csv", 2023, 2),
    ("VIERDE KWARTAAL 2021 midden-limburg.xlsx", 2021, 4),
    ("derde_kwartaal_2022-regio-twente.csv", 2022, 3),
    ("Derde-kwartaal-2022.csv", 2022, 3),
    ("Zeeland.Eerste.Kwartaal.2024.xlsx", 2024, 1),
    ("2022 derde kwartaal Food Valley.csv", 2022, 3),
    ("3e kwartaal 2023 Noord-Holland (Noord).xlsx", 2023, 3),
    ("kwartaal 2 2021 Gooi- en Vechtstreek.csv", 2021, 2),
    ("ml-2021q4.xlsx", 2021, 4),
    ("q4_2021.csv", 2021, 4),
    ("q3-2022.csv", 2022, 3),
    ("q42021", 2021, 4),
    ("Q3 2022 Twente.csv", 2022, 3),
    ("2022-Q3 west_brabant.csv", 2022, 3),
    ("2022_q3.xlsx", 2022, 3),
    ("kw3 2022 midden limburg.xlsx", 2022, 3),
    ("KW 3 2022.xlsx", 2022, 3),
    ("zaanstreek_waterland_2020_q2.xlsx", 2020, 2),
])
def test_periods_from_file_names(name: str, year: int, quarter: int) -> None:
    assert period_from_name(name) == Period(year=year, quarter=quarter)


@pytest.mark.parametrize("name", [
    "report.csv", "Twente 2022.csv", "vijfde kwartaal 2022.csv", "q5-2022.csv", "2022q34.csv",
    "Derde kwartaal 0021.csv", "derdekwartaal.csv", "kwartaalcijfers 2022.xlsx", "Twente 2022-09.csv",
])
def test_names_without_a_period(name: str) -> None:
    assert period_from_name(name) is None


def test_the_leftmost_period_counts() -> None:
    assert period_from_name("Eerste kwartaal 2024 (herzien 2024q3).csv") == Period(year=2024, quarter=1)


_PIECES = [*"0123456789qQkKwW-_. xab", "2021", "2022", "q4", "Q1", "kw3", "kw", "KW2"]
_OLD_STYLE = st.lists(st.sampled_from(_PIECES), max_size=12).map("".join)


@given(_OLD_STYLE)
def test_every_name_the_old_reader_understood_is_still_understood(name: str) -> None:
    if common.period_from_name(name) is not None:
        assert period_from_name(name) is not None


@pytest.mark.parametrize(("name", "code", "canonical"), [
    ("Twente - Derde kwartaal 2022.xlsx", 9, "Twente"),
    ("Transparantie van klantprofielen Eerste kwartaal 2024 Zeeland.csv", 29, "Zeeland"),
    ("midden-limburg_2021-q4.xlsx", 34, "Midden-Limburg"),
    ("Midden Limburg 2021q4.csv", 34, "Midden-Limburg"),
    ("/data/inbox/34 Midden-Limburg 2021Q4.csv", 34, "Midden-Limburg"),
    ("west_brabant_vierde_kwartaal_2020.xlsx", 28, "West-Brabant"),
    ("3e kwartaal 2023 Noord-Holland (Noord).xlsx", 3, "Noord-Holland Noord"),
    ("Zuid-Kennemerland en IJmond Q1 2020.csv", 8, "Zuid-Kennemerland en IJmond"),
    ("zuid-kennemerland_2016q1.csv", 8, "Zuid-Kennemerland en IJmond"),
    ("Food Valley 2019q2.xlsx", 16, "FoodValley"),
    ("regio zwolle 2019q2.xlsx", 5, "Regio Zwolle"),
    ("AMR Helmond-De Peel - tweede kwartaal 2022.csv", 32, "Helmond-De Peel"),
])
def test_regions_from_file_names(name: str, code: int, canonical: str) -> None:
    assert region_from_name(name) == (code, canonical)


@pytest.mark.parametrize("name", [
    "report 2021q4.csv",                           # no region
    "ml-2021q4.xlsx",                              # an abbreviation the reference doesn't know
    "Midden-Limburg en West-Brabant 2021q4.csv",   # two regions: never a guess
    "Limburg 2021q4.csv",
])
def test_file_names_without_one_known_region(name: str) -> None:
    assert region_from_name(name) is None


@given(st.text(max_size=120))
def test_any_file_name_is_an_answer_never_an_exception(name: str) -> None:
    period = period_from_name(name)
    assert period is None or isinstance(period, Period)
    region = region_from_name(name)
    assert region is None or 1 <= region[0] <= 35
