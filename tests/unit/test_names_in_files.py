"""Exports without title rows: the period and the region come from the file name, in words too, and the
region's code from the reference."""

from __future__ import annotations

import csv
import io

from shared.documents import build_document
from shared.parsing import parse_report
from shared.reference import region_code
from tests.report_renderers import HEADER, SUBHEADER, body, dutch, render, sample_report


def bare_csv() -> bytes:
    """Header rows and the table, nothing else: no title, no region column, no footnote."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerow(SUBHEADER)
    for label, counts in body(sample_report()):
        writer.writerow(["", label, *map(dutch, counts)])
    return out.getvalue().encode()


def test_an_xlsx_export_named_in_words() -> None:
    data = render(sample_report(), "xlsx", title=False, footnote=False, region_column=False)
    parsed = parse_report(data, name="Twente - Derde kwartaal 2022.xlsx")
    document = build_document(parsed, path="Twente - Derde kwartaal 2022.xlsx", sha256="0" * 64)
    assert (document.period.year, document.period.quarter) == (2022, 3)
    assert (document.region.name, document.region.code) == ("Twente", region_code("Twente"))
    assert document.region.code is not None


def test_a_csv_export_named_in_words() -> None:
    name = "Transparantie van klantprofielen Eerste kwartaal 2024 Zeeland.csv"
    document = build_document(parse_report(bare_csv(), name=name), path=name, sha256="0" * 64)
    assert (document.period.year, document.period.quarter) == (2024, 1)
    assert (document.region.name, document.region.code) == ("Zeeland", region_code("Zeeland"))
    assert len(document.rows) == 8 and not [f for f in document.findings if f.severity == "error"]


def test_a_region_spelled_otherwise_in_the_name_resolves_to_its_code() -> None:
    data = render(sample_report(), "xlsx", title=False, footnote=False, region_column=False)
    document = build_document(parse_report(data, name="midden limburg 2021q4.xlsx"), path="x", sha256="0" * 64)
    assert (document.region.code, document.period.quarter) == (34, 4)
