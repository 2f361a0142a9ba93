"""Provenance to the cell: in every format, the location of every row, of the TOTAAL AMR row and of the
footnote points at the place in the file that holds what was read there, checked by reading the file
back independently of the parser: the line of the decoded file, the workbook's cell (openpyxl and
calamine), the <tr> of the page, the text inside the PDF box (pypdfium2)."""

from __future__ import annotations

import codecs
import html
import io
import re
from collections.abc import Sequence

import pypdfium2 as pdfium
import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook
from selectolax.lexbor import LexborHTMLParser, LexborNode

from shared.models import COUNT_FIELDS, Location, ParsedReport, Row
from shared.parsing import parse_report
from shared.reconcile import reconcile
from tests.pdf_print_layouts import columns_over_two_pages
from tests.report_renderers import PRODUCER_VARIANTS, VARIANTS, dutch, render, render_variant, sample_report

FIELDS = (*COUNT_FIELDS, "total")


def _variants(*formats: str) -> list[str]:
    """The renderings (tests/report_renderers.py) that parse as one of the formats."""
    return [*(name for name, (fmt, _) in VARIANTS.items() if fmt in formats),
            *(name for name, (fmt, _, _) in PRODUCER_VARIANTS.items() if fmt in formats)]


SEEDS = ["west-brabant", "tricky"]
_TAG = re.compile(r"<[^<>]*>")


def _numbers(figures: Row | ParsedReport) -> list[int]:
    counts = figures if isinstance(figures, Row) else figures.totals
    return [getattr(counts, field) for field in FIELDS]


def _read(report: ParsedReport) -> list[tuple[str, list[int], Location | None]]:
    """(name, five numbers, location) of each row and the TOTAAL AMR row."""
    rows = [(row.municipality, _numbers(row), row.location) for row in report.rows]
    return [*rows, ("TOTAAL AMR", _numbers(report), report.totals_location)]


def _plain(text: str) -> str:
    """Text as a reader sees it: entities decoded, soft hyphens gone, no-break spaces plain."""
    return html.unescape(text).replace("\u00ad", "").replace("\u00a0", " ").replace("\u202f", " ")


def _holds_numbers(text: str, numbers: Sequence[int]) -> bool:
    """The numbers, in order, among the text's numerals (Dutch thousands or plain)."""
    numerals = re.findall(r"\d[\d.]*", text)
    at = 0
    for number in numbers:
        while at < len(numerals) and numerals[at] not in (dutch(number), str(number)):
            at += 1
        if at == len(numerals):
            return False
        at += 1
    return True


def _decoded_lines(data: bytes) -> list[str]:
    """The file's lines, decoded as a text file (BOM, UTF-8, else cp1252); CRLF is one break."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252")
    return re.split(r"\r\n|\r|\n", text)


# --- text and CSV: {"line": N} ---------------------------------------------------------------------


def _assert_line_holds(lines: list[str], name: str, numbers: list[int], location: Location | None) -> None:
    assert location is not None and location.line is not None, name
    assert set(location.model_dump(exclude_none=True)) == {"line"}
    line = _plain(_TAG.sub("", lines[location.line - 1]))
    assert name in line, (name, location.line, line)
    if not _holds_numbers(line, numbers):  # a table copied cell by cell: the counts one a line below
        below = [cell for cell in lines[location.line:location.line + 12] if cell.strip()][:5]
        assert _holds_numbers("\n".join(below), numbers) and len(below) == 5, (name, location.line, line)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("variant", _variants("text", "csv"))
def test_text_and_csv_rows_are_located_at_their_line(seed: str, variant: str) -> None:
    data = render_variant(sample_report(seed), variant)
    parsed = parse_report(data)
    assert parsed.format in ("text", "csv")
    lines = _decoded_lines(data)
    for name, numbers, location in _read(parsed):
        _assert_line_holds(lines, name, numbers, location)
    if parsed.register is not None:
        assert parsed.register.location is not None and parsed.register.location.line is not None
        footnote = " ".join(lines[parsed.register.location.line - 1:parsed.register.location.line + 2])
        assert "arbeidsmarktregio" in footnote.lower() and dutch(parsed.register.size) in footnote


def test_a_crlf_text_file_counts_crlf_as_one_line_break() -> None:
    report = sample_report("west-brabant")
    lf = parse_report(render(report, "text", style="tabs", newline="\n"))
    crlf_data = render(report, "text", style="tabs", newline="\r\n")
    crlf = parse_report(crlf_data)
    assert b"\r\n" in crlf_data
    assert [row.location for row in crlf.rows] == [row.location for row in lf.rows]
    assert crlf.totals_location == lf.totals_location and crlf.register == lf.register
    lines = crlf_data.decode().split("\r\n")
    for name, numbers, location in _read(crlf):
        _assert_line_holds(lines, name, numbers, location)


def test_a_csv_row_with_a_line_break_in_a_quoted_field_is_located_where_it_starts() -> None:
    report = sample_report("midden-limburg")
    data = render(report, "csv", delimiter=";").replace(b"Gemeenteklanten in Sonar", b'"Gemeente-\r\nklanten"')
    parsed = parse_report(data)
    lines = _decoded_lines(data)
    assert lines[1].endswith("Gemeente-")  # the header now takes two lines: every row one line further
    for name, numbers, location in _read(parsed):
        _assert_line_holds(lines, name, numbers, location)
    assert [row.location for row in parsed.rows][0] == Location(line=5)


# --- HTML: {"line": N, "table_row": K} ---------------------------------------------------------------


def _own_rows(table: LexborNode) -> list[LexborNode]:
    rows = []
    for row in table.css("tr"):
        parent = row.parent
        while parent is not None and parent.tag != "table":
            parent = parent.parent
        if parent is not None and parent.mem_id == table.mem_id:
            rows.append(row)
    return rows


def _assert_html_row(source: str, tree: LexborHTMLParser, name: str, numbers: list[int],
                     location: Location | None) -> None:
    assert location is not None and location.line is not None and location.table_row is not None, name
    assert set(location.model_dump(exclude_none=True)) == {"line", "table_row"}
    line = source.split("\n")[location.line - 1]
    assert re.search(r"<tr[\s>/]", line, re.IGNORECASE), (name, location.line, line)
    assert name in _plain(_TAG.sub(" ", line)), (name, location.line)
    # Some table's table_row-th row (header rows counted) holds the name and its numbers.
    held = [row for table in tree.css("table") if len(rows := _own_rows(table)) >= location.table_row
            and (row := rows[location.table_row - 1]) is not None
            and name in _plain(row.text(separator=" ")) and _holds_numbers(row.text(separator=" "), numbers)]
    assert held, (name, location)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("variant", _variants("html"))
def test_html_rows_are_located_at_their_tr(seed: str, variant: str) -> None:
    data = render_variant(sample_report(seed), variant)
    parsed = parse_report(data)
    assert parsed.format == "html"
    source = "\n".join(_decoded_lines(data))
    tree = LexborHTMLParser(source)
    for name, numbers, location in _read(parsed):
        _assert_html_row(source, tree, name, numbers, location)
    if parsed.register is not None:
        assert parsed.register.location is not None and parsed.register.location.line is not None
        line = source.split("\n")[parsed.register.location.line - 1]
        assert "doelgroepregister" in line and dutch(parsed.register.size) in _plain(line)


def test_html_lines_and_table_rows_in_a_page_of_many_lines() -> None:
    report = sample_report("west-brabant")
    page = render(report, "html")
    parsed = parse_report(page)
    lines = page.decode().split("\n")
    # The page's script holds '<tr>' in a string, the menu is a table of its own: neither counts.
    first = next(index for index, line in enumerate(lines, start=1) if "Altena" in line)
    assert [row.location for row in parsed.rows] == [Location(line=first + index, table_row=3 + index)
                                                      for index in range(len(report.rows))]
    assert parsed.totals_location == Location(line=first + len(report.rows), table_row=3 + len(report.rows))


def test_a_minified_one_line_page_locates_every_row_on_line_1() -> None:
    report = sample_report("midden-limburg")
    minified = render(report, "html").replace(b"\r\n", b" ").replace(b"\n", b" ")
    parsed = parse_report(minified)
    assert {row.location.line for row in parsed.rows if row.location} == {1}
    assert [row.location.table_row for row in parsed.rows if row.location] == list(range(3, 3 + len(report.rows)))
    source = minified.decode()
    tree = LexborHTMLParser(source)
    for name, numbers, location in _read(parsed):
        _assert_html_row(source, tree, name, numbers, location)
    assert parsed.register is not None and parsed.register.location == Location(line=1)


def test_a_totaal_row_in_a_tfoot_before_the_body_keeps_its_place_in_the_source() -> None:
    report = sample_report("midden-limburg")
    page = render(report, "html").decode()
    total_row = page[page.index("<tr><td><b>TOTAAL AMR"):page.index("</tbody>")]
    moved = page.replace(total_row, "").replace("</thead><tbody>", f"</thead><tfoot>{total_row}</tfoot><tbody>")
    parsed = parse_report(moved.encode())
    line = next(index for index, text in enumerate(moved.split("\n"), start=1) if "<tfoot>" in text)
    assert parsed.totals_location == Location(line=line, table_row=3)  # after the two header rows
    assert [row.location.table_row for row in parsed.rows if row.location] == list(range(4, 4 + len(report.rows)))


def test_html_rows_the_parser_makes_up_still_get_their_place_in_the_table() -> None:
    """Cells without a <tr> (the parser adds the row): no source line to give, the table row still."""
    report = sample_report("midden-limburg")
    page = render(report, "html").decode()
    page = page.replace("<tr><td rowspan", "<td rowspan", 1)  # the first body row's <tr> left out
    parsed = parse_report(page.encode())
    assert [row.location for row in parsed.rows][:2] == [Location(table_row=3), Location(table_row=4)]


# --- workbooks: {"sheet": ..., "cell": ...} ----------------------------------------------------------


def _cell_index(cell: str) -> tuple[int, int]:
    """'B7' -> (row 6, column 1), from 0."""
    letters, digits = re.fullmatch(r"([A-Z]+)(\d+)", cell).groups()  # type: ignore[union-attr]
    column = 0
    for letter in letters:
        column = column * 26 + ord(letter) - ord("A") + 1
    return int(digits) - 1, column - 1


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("variant", _variants("xlsx", "ods", "xls"))
def test_workbook_rows_are_located_at_the_cell_of_the_name(seed: str, variant: str) -> None:
    data = render_variant(sample_report(seed), variant)
    parsed = parse_report(data)
    assert parsed.format in ("xlsx", "ods", "xls")
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    for name, numbers, location in _read(parsed):
        assert location is not None and location.sheet is not None and location.cell is not None, name
        assert set(location.model_dump(exclude_none=True)) == {"sheet", "cell"}
        values = workbook.get_sheet_by_name(location.sheet).to_python(skip_empty_area=False)
        row, column = _cell_index(location.cell)
        assert values[row][column] == name, (location, values[row])
        after = [value for value in values[row][column + 1:] if value not in ("", None)]
        assert _holds_numbers(" ".join(str(int(v)) if isinstance(v, float) else str(v) for v in after), numbers)
        if parsed.format == "xlsx":  # and as openpyxl reads it
            assert load_workbook(io.BytesIO(data))[location.sheet][location.cell].value == name
    if parsed.register is not None:
        location = parsed.register.location
        assert location is not None and location.cell is not None
        row, column = _cell_index(location.cell)
        text = workbook.get_sheet_by_name(location.sheet).to_python(skip_empty_area=False)[row][column]
        assert "doelgroepregister" in text and dutch(parsed.register.size) in text


def test_an_xlsx_with_title_rows_above_the_table_names_the_cells_of_the_names() -> None:
    report = sample_report("midden-limburg")
    parsed = parse_report(render(report, "xlsx"))
    # Title, period, a blank row, two header rows: the first municipality in row 6, its name in column B.
    assert [row.location for row in parsed.rows] == [Location(sheet="Sheet", cell=f"B{6 + index}")
                                                      for index in range(len(report.rows))]
    assert parsed.totals_location == Location(sheet="Sheet", cell=f"B{6 + len(report.rows)}")
    assert parsed.rows[0].location is not None and parsed.rows[0].location.describe() == "Sheet!B6"


# --- PDF: {"page": P, "bbox": [x0, y0, x1, y1]} --------------------------------------------------------


def _text_in_box(document: pdfium.PdfDocument, location: Location) -> list[str]:
    """The text inside the box, two readings: as pdfium gives it (content-stream order), and rebuilt
    from where each character sits (for content written column by column or in random order)."""
    assert location.page is not None and location.bbox is not None
    textpage = document[location.page - 1].get_textpage()
    left, bottom, right, top = location.bbox
    bounded = textpage.get_text_bounded(left, bottom, right, top)
    chars = []  # (centre y, height, x, char) inside the box
    for index in range(textpage.count_chars()):
        char_left, char_bottom, char_right, char_top = textpage.get_charbox(index, loose=True)
        x, y = (char_left + char_right) / 2, (char_bottom + char_top) / 2
        if left <= x <= right and bottom <= y <= top and not textpage.get_text_range(index, 1).isspace():
            chars.append((y, char_top - char_bottom, x, textpage.get_text_range(index, 1)))
    lines: list[list[tuple[float, float, float, str]]] = []
    for char in sorted(chars, key=lambda c: -c[0]):  # top first, a line where centres sit close
        if lines and abs(lines[-1][0][0] - char[0]) <= 0.4 * max(lines[-1][0][1], char[1], 1.0):
            lines[-1].append(char)
        else:
            lines.append([char])
    by_position = "\n".join("".join(c[3] for c in sorted(line, key=lambda c: c[2])) for line in lines)
    return [bounded, by_position]


def _box_holds(texts: list[str], name: str, numbers: list[int]) -> bool:
    """Some reading holds each word of the name, and the numbers side by side (spaces dropped, as
    letter-spaced text has them between glyphs)."""
    run = "".join(dutch(number) for number in numbers)
    for text in texts:
        squashed = re.sub(r"\s+", "", _plain(text))
        if all(word in squashed for word in re.split(r"[\s-]+", name) if word) and run in squashed:
            return True
    return False


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("variant", [v for v in _variants("pdf") if v != "pdf-columns-over-two-pages"])
def test_pdf_rows_are_located_by_page_and_box(seed: str, variant: str) -> None:
    report = sample_report(seed)
    data = render_variant(report, variant)
    parsed = parse_report(data)
    assert parsed.format == "pdf"  # the columns over two pages: tested on their own below
    document = pdfium.PdfDocument(data)
    for name, numbers, location in _read(parsed):
        assert location is not None and location.page is not None and location.bbox is not None, name
        assert set(location.model_dump(exclude_none=True)) == {"page", "bbox"}
        assert _box_holds(_text_in_box(document, location), name, numbers), (name, location,
                                                                             _text_in_box(document, location))
        assert location.describe(name) == f'page {location.page}, row "{name}"'
    if parsed.register is not None:
        assert parsed.register.location is not None
        squashed = re.sub(r"\s+", "", "".join(_text_in_box(document, parsed.register.location)[:1]))
        assert "doelgroepregister" in squashed and dutch(parsed.register.size) in squashed


def test_a_pdf_table_over_a_page_break_locates_rows_on_both_pages() -> None:
    report = sample_report("west-brabant")
    data = render(report, "pdf", pages=2)
    parsed = parse_report(data)
    pages = [row.location.page for row in parsed.rows if row.location]
    assert pages[0] == 1 and pages[-1] == 2 and pages == sorted(pages) and len(pages) == len(report.rows)
    # Rows are a line apart, top of the page first.
    first_page = [row.location.bbox for row in parsed.rows if row.location and row.location.page == 1]
    assert all(a[1] > b[1] for a, b in zip(first_page, first_page[1:], strict=False))  # type: ignore[index]


def test_a_table_whose_columns_run_over_two_pages_is_located_on_the_page_of_its_names() -> None:
    """The left part of each row (the name and the municipal counts) is where the name is first read."""
    report = sample_report("midden-limburg")
    data = columns_over_two_pages(report)
    parsed = parse_report(data)
    document = pdfium.PdfDocument(data)
    for name, numbers, location in _read(parsed):
        assert location is not None and location.page == 1
        assert _box_holds(_text_in_box(document, location), name, numbers[:2])


# --- findings: where what they are about was read ---------------------------------------------------


def _points_at(data: bytes, fmt: str, location: Location | None, label: str, numbers: list[int]) -> bool:
    """Whether the file holds the label and the numbers at the location: on the line, in the table's row,
    from the label's cell on, inside the box."""
    assert location is not None
    if fmt == "pdf":
        return _box_holds(_text_in_box(pdfium.PdfDocument(data), location), label, numbers)
    if fmt in ("text", "csv") or (fmt == "html" and location.table_row is None):  # a line (an HTML footnote's)
        text = _plain(_TAG.sub(" ", _decoded_lines(data)[location.line - 1]))  # type: ignore[operator]
    elif fmt == "html":
        source = "\n".join(_decoded_lines(data))
        tables = [_own_rows(table) for table in LexborHTMLParser(source).css("table")]
        text = " | ".join(rows[location.table_row - 1].text(separator=" ") for rows in tables  # type: ignore[operator]
                          if len(rows) >= location.table_row)  # type: ignore[operator]
    else:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(location.sheet)  # type: ignore[arg-type]
        row, column = _cell_index(location.cell)  # type: ignore[arg-type]
        text = " ".join(str(int(v)) if isinstance(v, float) else str(v)
                        for v in sheet.to_python(skip_empty_area=False)[row][column:])
    return label in text and _holds_numbers(text, numbers)


BROKEN_RENDERINGS = {"text-tabs-crlf-bom": "text", "csv-semicolon": "csv", "html": "html", "xlsx": "xlsx",
                     "ods-at-c5": "ods", "xls": "xls", "pdf-two-pages": "pdf", "pdf-column-order": "pdf"}


@pytest.mark.parametrize("variant", list(BROKEN_RENDERINGS))
def test_a_finding_points_at_the_figure_it_is_about(variant: str) -> None:
    """Weert's total one too many (a row_total and a column_total finding): the first is located where
    Weert's row holds the broken total, the second where the TOTAAL AMR row holds the total it was checked
    against; the register's size too small: the footnote that prints it."""
    report = sample_report("west-brabant")
    rows = list(report.rows)
    weert = rows[-1].model_copy(update={"total": rows[-1].total + 1})
    register = report.register.model_copy(update={"size": 4000})  # type: ignore[union-attr]
    broken = report.model_copy(update={"rows": (*rows[:-1], weert), "register": register})
    data = render_variant(broken, variant)
    parsed = parse_report(data)
    findings = {finding.check: finding for finding in reconcile(parsed)}
    assert set(findings) == {"row_total", "column_total", "percent_in_sonar", "register_size"}
    fmt = BROKEN_RENDERINGS[variant]
    row_total = findings["row_total"].location
    assert row_total is not None and row_total == parsed.rows[-1].location
    assert _points_at(data, fmt, row_total, "Zundert", [weert.total])
    column_total = findings["column_total"].location
    assert column_total is not None and column_total == parsed.totals_location
    assert _points_at(data, fmt, column_total, "TOTAAL AMR", [report.totals.total])
    for check in ("percent_in_sonar", "register_size"):
        assert findings[check].location is not None and findings[check].location == parsed.register.location  # type: ignore[union-attr]
    assert _points_at(data, fmt, findings["register_size"].location, "doelgroepregister", [4000])


def test_an_html_footnote_is_located_past_comments_and_scripts_that_name_the_register() -> None:
    report = sample_report("midden-limburg")
    page = render(report, "html").decode().replace(
        "<main>", "<!-- doelgroepregister:\n\n oud -->\n<script>\nvar doelgroepregister = 1;\n</script><main>")
    parsed = parse_report(page.encode())
    assert parsed.register is not None and parsed.register.location is not None
    line = page.split("\n")[parsed.register.location.line - 1]  # type: ignore[operator]
    assert "bevat het doelgroepregister" in line and dutch(parsed.register.size) in line
