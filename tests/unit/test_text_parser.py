"""The text parser on the two real seeds, their CRLF / BOM / cp1252 / UTF-16 variants, and the line
splitting the PDF parser shares."""

from __future__ import annotations

import codecs

import pytest

from shared.models import Counts, Location, ParsedReport, Period, Region, Register
from shared.parsing import NotAReport, detect_format, parse_report
from shared.parsing.text import parse_lines, split_line
from shared.parsing.textual import decode_text
from tests.conftest import MIDDEN_LIMBURG, WEST_BRABANT

SEED_MIDDEN_LIMBURG = MIDDEN_LIMBURG.read_bytes().decode("utf-8")
SEED_WEST_BRABANT = WEST_BRABANT.read_bytes().decode("utf-8")

MIDDEN_LIMBURG_ROWS = [
    ("Cranendonck", 1, 27, 93, 13, 134), ("Echt-Susteren", 33, 38, 167, 17, 255),
    ("Leudal", 11, 55, 192, 21, 279), ("Maasgouw", 7, 37, 115, 16, 175), ("Nederweert", 9, 25, 85, 9, 128),
    ("Roerdalen", 4, 46, 108, 16, 174), ("Roermond", 119, 230, 502, 84, 935), ("Weert", 54, 114, 257, 32, 457),
]
WEST_BRABANT_ROWS = [
    ("Altena", 6, 87, 133, 76, 302), ("Bergen op Zoom", 36, 133, 250, 115, 534),
    ("Breda", 41, 579, 767, 248, 1635), ("Drimmelen", 2, 34, 56, 36, 128), ("Etten-Leur", 8, 83, 122, 76, 289),
    ("Geertruidenberg", 2, 40, 79, 30, 151), ("Halderberge", 8, 43, 97, 42, 190),
    ("Moerdijk", 7, 44, 107, 49, 207), ("Oosterhout", 41, 97, 195, 80, 413),
    ("Roosendaal", 20, 222, 285, 159, 686), ("Rucphen", 7, 42, 63, 30, 142),
    ("Steenbergen", 4, 40, 60, 33, 137), ("Woensdrecht", 11, 25, 59, 18, 113), ("Zundert", 4, 22, 46, 27, 99),
]


def _encodings(seed: str) -> dict[str, bytes]:
    return {
        "utf-8": seed.encode("utf-8"),
        "crlf": seed.replace("\n", "\r\n").encode("utf-8"),
        "bom": codecs.BOM_UTF8 + seed.encode("utf-8"),
        "bom-crlf": codecs.BOM_UTF8 + seed.replace("\n", "\r\n").encode("utf-8"),
        "cp1252": seed.encode("cp1252"),
        "cp1252-crlf": seed.replace("\n", "\r\n").encode("cp1252"),
        "utf-16": seed.encode("utf-16"),
    }


def _row_tuples(report: ParsedReport) -> list[tuple[str, int, int, int, int, int]]:
    return [(r.municipality, r.municipal_with_profile, r.municipal_without_profile, r.uwv_with_profile,
             r.uwv_without_profile, r.total) for r in report.rows]


@pytest.mark.parametrize("variant", list(_encodings(SEED_MIDDEN_LIMBURG)))
def test_midden_limburg_seed_field_by_field(variant: str) -> None:
    data = _encodings(SEED_MIDDEN_LIMBURG)[variant]
    report = parse_report(data, name="000_f3c2dd9af89e7b56.txt")
    assert report.format == "text"
    assert report.region == Region(code=34, name="Midden-Limburg")
    assert report.period == Period(year=2021, quarter=4)
    assert _row_tuples(report) == MIDDEN_LIMBURG_ROWS
    assert report.totals == Counts(municipal_with_profile=238, municipal_without_profile=572,
                                   uwv_with_profile=1519, uwv_without_profile=208, total=2537)
    assert report.register == Register(size=3627, percent_in_sonar=70, location=Location(line=37))
    # Lines of the decoded file, whatever the encoding and line breaks (CRLF is one break).
    assert [row.location for row in report.rows] == [Location(line=line) for line in range(27, 35)]
    assert report.totals_location == Location(line=35)


@pytest.mark.parametrize("variant", list(_encodings(SEED_WEST_BRABANT)))
def test_west_brabant_seed_field_by_field(variant: str) -> None:
    data = _encodings(SEED_WEST_BRABANT)[variant]
    report = parse_report(data, name="001_23d8ea5ce4f2f5b4.txt")
    assert report.format == "text"
    assert report.region == Region(code=None, name="West-Brabant")
    assert report.period == Period(year=2020, quarter=4)
    assert _row_tuples(report) == WEST_BRABANT_ROWS
    assert report.totals == Counts(municipal_with_profile=197, municipal_without_profile=1491,
                                   uwv_with_profile=2319, uwv_without_profile=1019, total=5026)
    assert report.register == Register(size=7124, percent_in_sonar=71, location=Location(line=35))
    assert [row.location for row in report.rows] == [Location(line=line) for line in range(6, 33, 2)]
    assert report.totals_location == Location(line=34)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_frisian_names_are_never_mangled(encoding: str, newline: str) -> None:
    seed = SEED_WEST_BRABANT.replace("Altena", "Súdwest-Fryslân").replace("Zundert", "Noardeast-Fryslân")
    report = parse_report(seed.replace("\n", newline).encode(encoding))
    assert report.rows[0].municipality == "Súdwest-Fryslân"
    assert report.rows[-1].municipality == "Noardeast-Fryslân"


def test_decode_text_prefers_utf8_and_falls_back_to_cp1252() -> None:
    assert decode_text("Súdwest-Fryslân\r\n".encode()) == "Súdwest-Fryslân\n"
    assert decode_text("Súdwest-Fryslân\r".encode("cp1252")) == "Súdwest-Fryslân\n"
    assert decode_text(codecs.BOM_UTF8 + "‘x’".encode()) == "‘x’"


def test_seeds_are_detected_as_text_by_content() -> None:
    assert detect_format(SEED_MIDDEN_LIMBURG.encode(), "report.csv") == "text"
    assert detect_format(SEED_WEST_BRABANT.encode(), "report.html") == "text"


@pytest.mark.parametrize(("line", "cells"), [
    ("\tCranendonck\t1\t27\t93\t13\t134", ["", "Cranendonck", "1", "27", "93", "13", "134"]),
    ("34 Midden-Limburg\tCranendonck\t1\t27\t93\t13\t134\t",
     ["34 Midden-Limburg", "Cranendonck", "1", "27", "93", "13", "134"]),
    (" TOTAAL AMR 197 1.491 2.319 1.019 5.026", ["TOTAAL AMR", "197", "1.491", "2.319", "1.019", "5.026"]),
    ("Nuenen, Gerwen en Nederwetten 7\t37\t115 16\t175",
     ["Nuenen, Gerwen en Nederwetten", "7", "37", "115", "16", "175"]),
    ("Bergen (L.)\t1\t\t93\t13\t134", ["Bergen (L.)", "1", "", "93", "13", "134"]),
    ("\t\tProfiel in Sonar\tGeen profiel in Sonar", ["", "", "Profiel in Sonar", "Geen profiel in Sonar"]),
    ("Vierde kwartaal 2020  West-Brabant", ["Vierde kwartaal 2020  West-Brabant"]),
])
def test_split_line(line: str, cells: list[str]) -> None:
    assert split_line(line) == cells


def test_parse_lines_reads_the_lines_a_pdf_yields() -> None:
    lines = ("Vierde kwartaal 2021\tMidden-Limburg\n34 Midden-Limburg\tCranendonck\t1\t27\t93\t13\t134\n"
             "'s-Hertogenbosch\t1.000\t2\t3\t4\t1.009\nTOTAAL AMR\t1.001\t29\t96\t17\t1.143\n")
    report = parse_lines(lines, fmt="pdf")
    assert report.format == "pdf"
    assert report.region == Region(code=34, name="Midden-Limburg")
    assert [r.municipality for r in report.rows] == ["Cranendonck", "'s-Hertogenbosch"]
    assert report.rows[1].municipal_with_profile == 1000
    assert report.register is None


def test_a_table_cut_off_before_totaal_amr_is_refused() -> None:
    cut = SEED_WEST_BRABANT[: SEED_WEST_BRABANT.index(" TOTAAL AMR")]
    with pytest.raises(NotAReport, match="^table cut off: no TOTAAL AMR row$"):
        parse_report(cut.encode())


def test_prose_without_a_table_is_refused() -> None:
    prose = SEED_WEST_BRABANT[SEED_WEST_BRABANT.index("Gemeenten en UWV"):]
    with pytest.raises(NotAReport, match="^not a report table"):
        parse_report(prose.encode())
