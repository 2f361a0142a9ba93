"""Every format, rendered from one set of numbers, parses to the identical document; detection goes
by content; each kind of unreadable file gets its one-line reason."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
from fpdf import FPDF
from openpyxl import Workbook

from shared.parsing import NotAReport, detect_format, parse_report
from shared.parsing.detect import parser_for
from shared.parsing.pdf import Word, page_lines
from shared.parsing.regions import region_from_name
from tests.report_renderers import (
    VARIANTS,
    expected_document,
    figures,
    render,
    render_variant,
    sample_report,
    unlocated,
)

SEEDS = ["midden-limburg", "west-brabant", "tricky"]
MISLEADING_NAMES = {"pdf": "report.xlsx", "html": "report.pdf", "text": "report.csv", "csv": "report.txt",
                    "xlsx": "report.ods", "ods": "report.xlsx", "xls": "report.doc"}


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("seed", SEEDS)
def test_every_rendering_parses_to_the_same_document(seed: str, variant: str) -> None:
    report = sample_report(seed)
    parsed = parse_report(render_variant(report, variant), name=f"upload.{VARIANTS[variant][0]}")
    assert parsed.format == VARIANTS[variant][0]
    assert figures(parsed) == expected_document(report, variant)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_content_wins_over_a_misleading_name(variant: str) -> None:
    fmt = VARIANTS[variant][0]
    data = render_variant(sample_report("tricky"), variant)
    assert detect_format(data, MISLEADING_NAMES[fmt]) == fmt
    assert parse_report(data, name=MISLEADING_NAMES[fmt]).format == fmt


def test_each_parser_reads_its_own_format_directly() -> None:
    report = sample_report("midden-limburg")
    for fmt in ("pdf", "html", "text", "csv", "xlsx", "ods", "xls"):
        assert unlocated(parser_for(fmt)(render(report, fmt), name=None).rows) == report.rows  # type: ignore[arg-type]


def test_xlsx_without_title_takes_region_and_period_from_the_file_name() -> None:
    report = sample_report("west-brabant").model_copy(update={"register": None})
    data = render(report, "xlsx", title=False, footnote=False, region_column=False)
    parsed = parse_report(data, name="inbox/west-brabant_2020-q4.xlsx")
    assert figures(parsed) == figures(report)
    with pytest.raises(NotAReport, match="no period"):
        parse_report(data, name="export.xlsx")


def test_html_report_table_is_found_inside_a_layout_table_after_a_decoy() -> None:
    report = sample_report("tricky")
    page = render(report, "html").decode()
    start, end = page.index('<div class="table-wrapper">'), page.index("</table></div>") + len("</table></div>")
    decoy = "<table><tr><th>TOTAAL AMR</th><td>alle gemeenten samen</td></tr></table>"
    nested = (page[:start] + decoy + '<table class="layout"><tr><td>Menu<br>Links</td><td>' + page[start:end]
              + "</td></tr><tr><td>TOTAAL AMR is het totaal</td></tr></table>" + page[end:])
    assert unlocated(parse_report(nested.encode()).rows) == report.rows


def test_html_totals_in_a_tfoot_written_before_the_body() -> None:
    report = sample_report("midden-limburg")
    page = render(report, "html").decode()
    total_row = page[page.index("<tr><td><b>TOTAAL AMR"):page.index("</tbody>")]
    moved = page.replace(total_row, "").replace("</thead><tbody>", f"</thead><tfoot>{total_row}</tfoot><tbody>")
    assert moved.index("<tfoot>") < moved.index("Cranendonck")
    parsed = parse_report(moved.encode())
    assert figures(parsed) == figures(report)


def test_html_region_from_heading_when_no_code_and_no_footnote() -> None:
    report = sample_report("west-brabant").model_copy(update={"register": None})
    assert parse_report(render(report, "html")).region.name == "West-Brabant"


def test_csv_without_title_reads_region_from_footnote_and_period_from_name() -> None:
    report = sample_report("west-brabant")
    lines = render(report, "csv", delimiter=";").decode().split("\r\n", 1)[1]
    parsed = parse_report(lines.encode(), name="wb_q4-2020.csv")
    assert figures(parsed) == figures(report)


def _scanned_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 50, style="F")  # a picture of a table, no text objects
    return bytes(pdf.output())


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def _sheet_with_cell_at(ref: str) -> bytes:
    workbook = Workbook()
    workbook.active["A1"] = "Gemeente"
    workbook.active[ref] = 1
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _workbook_lying_about_its_sheet_size() -> bytes:
    data = bytearray(render(sample_report("midden-limburg"), "xlsx"))
    entry = data.index(b"PK\x01\x02")
    while not data[entry + 46:].startswith(b"xl/worksheets/sheet1.xml"):
        entry = data.index(b"PK\x01\x02", entry + 4)
    struct.pack_into("<I", data, entry + 24, 100)  # central directory: uncompressed size 100 bytes
    return bytes(data)


REFUSALS = {
    "empty": (b"", "^empty file$"),
    "whitespace": (b" \r\n\t ", "^empty file$"),
    "prose": (b"Transparantie van klantprofielen\nVierde kwartaal 2021\n", "^not a report table"),
    "cut-off": (render(sample_report("midden-limburg"), "text").split(b"<b>TOTAAL")[0],
                "^table cut off: no TOTAAL AMR row$"),
    "scanned-pdf": (_scanned_pdf(), r"^unreadable PDF: no extractable text \(scanned\?\)$"),
    "broken-pdf": (b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF", "^unreadable PDF: "),
    "truncated-pdf": (render(sample_report("tricky"), "pdf")[:400], "^unreadable PDF: "),
    "ole2-header-only": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "^unreadable OLE2 file: "),
    "docx-zip": (_zip({"word/document.xml": b"<w:document/>"}), "^unsupported format: "),
    "broken-zip": (b"PK\x03\x04" + bytes(60), "^unreadable xlsx: "),
    "zip-bomb-declared": (_zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": bytes(40 << 20)}),
                          "^file too large: the workbook unpacks to"),
    "sheet-far-corner": (_sheet_with_cell_at("XFD1048576"), "^not a report table: a sheet of more than"),
    "sheet-too-wide": (_sheet_with_cell_at("XFD9000"), "^not a report table: a sheet spanning"),
    "zip-lying-size": (_workbook_lying_about_its_sheet_size(), "^unreadable xlsx: "),
    "html-no-total": (render(sample_report("tricky"), "html").replace(b"TOTAAL AMR", b"Subtotaal"),
                      "^table cut off: no TOTAAL AMR row$"),
    "html-no-table": (b"<html><body><p>Vierde kwartaal 2021</p></body></html>",
                      "^not a report table: no table in the page$"),
    "csv-no-total": (render(sample_report("tricky"), "csv").replace(b"TOTAAL AMR", b"Subtotaal"),
                     "^table cut off: no TOTAAL AMR row$"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_unreadable_files_get_a_one_line_reason(case: str) -> None:
    data, reason = REFUSALS[case]
    with pytest.raises(NotAReport, match=reason) as caught:
        parse_report(data)
    assert "\n" not in caught.value.reason


def test_file_too_large_is_refused_before_parsing() -> None:
    data = render(sample_report("midden-limburg"), "pdf")
    with pytest.raises(NotAReport, match="^file too large: "):
        parse_report(data, max_bytes=len(data) - 1)
    assert unlocated(parse_report(data, max_bytes=len(data)).rows) == sample_report("midden-limburg").rows


@pytest.mark.parametrize(("name", "region"), [
    ("midden-limburg_2021-q4.xlsx", "Midden-Limburg"),
    ("inbox/klantprofielen_rijk_van_nijmegen_2021q3.csv", "Rijk van Nijmegen"),
    ("Súdwest-Fryslân Q1 2022.xlsx", "Súdwest-Fryslân"),
    ("ml-2021q4.xlsx", None),
    ("export.xlsx", None),
])
def test_region_from_file_name(name: str, region: str | None) -> None:
    assert region_from_name(name) == region


def test_a_csv_name_tips_the_balance_only_when_content_is_ambiguous() -> None:
    table = render(sample_report("west-brabant"), "csv", delimiter=",")
    # Prose with commas above a comma-separated table: ambiguous, so the name decides.
    preamble = "\r\n".join(f"Toelichting, regel {i}." for i in range(30)).encode() + b"\r\n"
    assert detect_format(preamble + table, "report.csv") == "csv"
    assert detect_format(preamble + table, "report.txt") == "text"
    assert detect_format(table, "report.txt") == "csv"
    # Read as text it has no table; read as the CSV it also is, it does.
    assert parse_report(preamble + table, name="report.txt").format == "csv"
    assert unlocated(parse_report(preamble + table, name="report.csv").rows) == sample_report("west-brabant").rows
    # Semicolons in every delimited line and nowhere else: CSV under any amount of prose.
    semicolons = render(sample_report("west-brabant"), "csv", delimiter=";")
    assert detect_format(preamble + semicolons, "report.txt") == "csv"


def test_pdf_lines_are_rebuilt_from_word_positions_in_any_stream_order() -> None:
    height = 10.0

    def word(text: str, left: float, top: float) -> Word:
        return Word(left, top - height, left + 5.0 * len(text), top, text)

    words = [word("Bergen", 100, 700), word("(L.)", 133, 700), word("12", 300, 700),  # word gap: space
             word("1.519", 400, 700), word("34", 20, 700.5), word("TOTAAL", 100, 685),
             word("AMR", 133, 685), word("7", 300, 685), word("9", 400, 685)]
    shuffled = sorted(words, key=lambda w: (w.left, -w.top))  # column by column, as some producers write
    assert page_lines(shuffled) == ["34\tBergen (L.)\t12\t1.519", "TOTAAL AMR\t7\t9"]
    assert page_lines([word("Nuenen,", 100, 700), Word(135.0, 690.0, 160.0, 700.0, "Gerwen")]) == \
        ["Nuenen,Gerwen"]  # boxes that touch are one word, whatever pdfium's text said
