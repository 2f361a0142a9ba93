"""Workbooks as office suites write them, from one report's figures: ODS as LibreOffice writes it
(hand-written XML: spanned and covered cells, formulas with cached values, 1024 declared columns and
a million repeated empty rows) and legacy XLS (BIFF8, with xlwt, which writes formulas without the cached
values Excel would store, so the totals are values here). Used through report_renderers.render."""

from __future__ import annotations

import io
import zipfile
from typing import Any
from xml.sax.saxutils import escape

import xlwt

from shared.models import ParsedReport

ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
       'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
       'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
       'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" office:version="1.3"')
LIBREOFFICE_COLUMNS = 1024
LIBREOFFICE_ROWS = 1_048_576

Cell = str | int | None


def sheet_layout(report: ParsedReport, *, numbers: str = "number", title: bool = True, footnote: bool = True,
                 region_column: bool = True, metadata: bool = False, offset: tuple[int, int] = (0, 0),
                 spacers: bool = False) -> tuple[list[list[Cell]], int, int]:
    """The report sheet's cells (rows of cells, offset down and right) and where the body starts and
    ends (first and last row index of the municipalities and TOTAAL AMR), for the region cell's span."""
    from tests.report_renderers import HEADER, SUBHEADER, body, footnote_text, period_text, region_cell

    rows: list[list[Cell]] = []
    if title:
        rows += [["Transparantie van klantprofielen"]]
        if metadata:  # a parameter block: the region with its code on a line of its own
            rows += [["Periode", period_text(report)], ["Arbeidsmarktregio", region_cell(report)], []]
        else:
            rows += [[period_text(report), report.region.name], []]
    rows += [list(HEADER), list(SUBHEADER)]
    first = len(rows)
    for index, (label, counts) in enumerate(body(report)):
        region = region_cell(report) if index == 0 and region_column and not metadata else None
        rows.append([region, label, *(_dutch(n) if numbers == "text" else n for n in counts)])
    last = len(rows) - 1
    if footnote and (text := footnote_text(report)) is not None:
        rows += [[], [text]]
    if spacers:  # empty columns between the groups of counts, as a layout leaves them
        rows = [[*row[:4], None, *row[4:6], None, *row[6:]] if len(row) >= 7 else row for row in rows]
    down, right = offset
    shifted = [[] for _ in range(down)] + [[None] * right + row if row else [] for row in rows]
    return shifted, first + down, last + down


def _dutch(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def trend_rows(report: ParsedReport) -> list[list[Cell]]:
    """A quarterly trend of the region's totals: a table of five counts per row that is not the report."""
    rows: list[list[Cell]] = [["Ontwikkeling per kwartaal", report.region.name], [],
                              ["Kwartaal", "Gemeente profiel", "Gemeente geen profiel", "UWV profiel",
                               "UWV geen profiel", "Totaal"]]
    for quarter in range(1, 5):
        t = report.totals
        rows.append([f"{report.period.year - 1} Q{quarter}", t.municipal_with_profile + quarter,
                     t.municipal_without_profile, t.uwv_with_profile, t.uwv_without_profile, t.total + quarter])
    return rows


def ods(report: ParsedReport, *, trend_sheet: bool = False, formulas: bool = True, **layout: Any) -> bytes:
    rows, first, last = sheet_layout(report, **layout)
    sheets = []
    if trend_sheet:
        sheets.append(_ods_table("Trend", trend_rows(report), None, formulas=False))
    sheets.append(_ods_table("Klantprofielen", rows, (first, last), formulas=formulas))
    content = (f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {_NS}><office:body>'
               f'<office:spreadsheet>{"".join(sheets)}</office:spreadsheet></office:body></office:document-content>')
    manifest = ('<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
                f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS_MIMETYPE}"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                '<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>'
                '</manifest:manifest>')
    styles = f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-styles {_NS}/>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), ODS_MIMETYPE)  # first and stored, as ODF requires
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("styles.xml", styles, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _ods_table(name: str, rows: list[list[Cell]], body: tuple[int, int] | None, *, formulas: bool) -> str:
    """One sheet; `body`: the first and last row of the municipalities and TOTAAL AMR, whose region
    cell spans them all (covered cells below it) and whose TOTAAL AMR counts are SUM formulas."""
    parts = [f'<table:table table:name="{name}">',
             f'<table:table-column table:number-columns-repeated="{LIBREOFFICE_COLUMNS}"/>']
    for index, row in enumerate(rows):
        in_body = body is not None and body[0] <= index <= body[1]
        region_column = _region_column(rows[body[0]]) if body and in_body else -1
        cells = []
        covered = 0
        for column, value in enumerate(row):
            attributes = ""
            if covered:
                covered -= 1
                cells.append("<table:covered-table-cell/>")
                continue
            if body and column == region_column:
                if index > body[0]:
                    cells.append("<table:covered-table-cell/>")
                    continue
                if value is not None:
                    attributes = f' table:number-rows-spanned="{body[1] - body[0] + 1}"'
            elif value in ("Gemeenteklanten in Sonar", "UWV-klanten in Sonar"):
                attributes, covered = ' table:number-columns-spanned="2"', 1
            if formulas and body and index == body[1] and isinstance(value, int):
                letter = chr(ord("A") + column)
                attributes += f' table:formula="of:=SUM([.{letter}{body[0] + 1}:.{letter}{body[1]}])"'
            cells.append(_ods_cell(value, attributes))
        rest = LIBREOFFICE_COLUMNS - len(row)
        cells.append(f'<table:table-cell table:number-columns-repeated="{rest}"/>')
        parts.append(f'<table:table-row table:style-name="ro1">{"".join(cells)}</table:table-row>')
    parts.append(f'<table:table-row table:number-rows-repeated="{LIBREOFFICE_ROWS - len(rows)}">'
                 f'<table:table-cell table:number-columns-repeated="{LIBREOFFICE_COLUMNS}"/></table:table-row>')
    parts.append("</table:table>")
    return "".join(parts)


def _region_column(first_body_row: list[Cell]) -> int:
    """Where the region cell is in the body's first row (-1: none): a region, a name and five counts."""
    filled = [index for index, value in enumerate(first_body_row) if value is not None]
    return filled[0] if len(filled) >= 7 else -1


def _ods_cell(value: Cell, attributes: str = "") -> str:
    if value is None or value == "":
        return f"<table:table-cell{attributes}/>"
    if isinstance(value, int):
        return (f'<table:table-cell{attributes} office:value-type="float" office:value="{value}">'
                f"<text:p>{_dutch(value)}</text:p></table:table-cell>")
    return (f'<table:table-cell{attributes} office:value-type="string"><text:p>{escape(value)}</text:p>'
            "</table:table-cell>")


def xls(report: ParsedReport, *, trend_sheet: bool = False, **layout: Any) -> bytes:
    rows, first, last = sheet_layout(report, **layout)
    workbook = xlwt.Workbook(encoding="utf-8")
    if trend_sheet:
        trend = workbook.add_sheet("Trend")
        for r, row in enumerate(trend_rows(report)):
            for c, value in enumerate(row):
                trend.write(r, c, value)
    sheet = workbook.add_sheet("Klantprofielen")
    region = _region_column(rows[first])
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if r == first and c == region:  # the region cell, merged down the body as in the web table
                sheet.write_merge(first, last, c, c, value)
            else:
                sheet.write(r, c, value)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx(report: ParsedReport, *, trend_sheet: bool = False, **layout: Any) -> bytes:
    """An xlsx laid out like the ods and xls renderings (openpyxl), the region cell merged down the body."""
    from openpyxl import Workbook

    rows, first, last = sheet_layout(report, **layout)
    workbook = Workbook()
    sheet = workbook.active
    if trend_sheet:
        sheet.title = "Trend"
        for row in trend_rows(report):
            sheet.append(row)
        sheet = workbook.create_sheet("Klantprofielen")
    for row in rows:
        sheet.append(row)
    if (region := _region_column(rows[first])) >= 0:
        sheet.merge_cells(start_row=first + 1, start_column=region + 1, end_row=last + 1, end_column=region + 1)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
