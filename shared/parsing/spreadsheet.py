"""What the workbook formats share (xlsx, ods, xls): calamine reads the checked bytes, and the first
worksheet that holds the report table is the report."""

from __future__ import annotations

import io
from functools import partial

from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

from shared.models import Location, ParsedReport, ReportFormat
from shared.parsing.common import assemble_report, kept_columns
from shared.parsing.errors import NotAReport
from shared.parsing.located import LocatedCells, row_location

MAX_ROWS = 10_000
MAX_CELLS = 1_000_000  # calamine allocates a sheet's whole bounding box, empty cells too
MAX_SHEETS = 10


def parse_workbook(fmt: ReportFormat, checked: bytes, *, name: str | None) -> ParsedReport:
    """Parse a workbook whose extent the caller has checked: the first worksheet with a report table;
    region and period from a title row, else from the file name."""
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(checked))
        errors: list[NotAReport] = []
        for index, sheet in enumerate(workbook.sheets_metadata[:MAX_SHEETS]):
            if sheet.typ != SheetTypeEnum.WorkSheet:
                continue
            # From A1: a row's index and a cell's column are its place in the sheet.
            values = workbook.get_sheet_by_index(index).to_python(skip_empty_area=False, nrows=MAX_ROWS)
            rows = located_rows(sheet.name, [[cell_text(value) for value in row] for row in values])
            text = "\n".join("\t".join(row) for row in rows)
            try:
                return assemble_report(fmt, rows, text, name_hint=name,
                                       locate_text=partial(_text_location, sheet.name, rows))
            except NotAReport as exc:
                errors.append(exc)
    except CalamineError as exc:
        raise NotAReport(f"unreadable {fmt}: {type(exc).__name__}: {exc}") from None
    if not errors:
        raise NotAReport("not a report table: the workbook has no worksheet")
    raise most_telling(errors)


def located_rows(sheet: str, rows: list[list[str]]) -> list[list[str]]:
    """The sheet's rows without the columns empty in every row (spacer columns), each located by the
    cell of its name in the sheet as it was (`Blad1!B7`)."""
    keep = kept_columns(rows)
    return [LocatedCells(row if keep is None else [row[column] for column in keep],
                         partial(_cell_location, sheet, number, keep)) for number, row in enumerate(rows, start=1)]


def _cell_location(sheet: str, row: int, keep: list[int] | None, index: int) -> Location:
    return Location(sheet=sheet, cell=f"{column_letters(index if keep is None else keep[index])}{row}")


def _text_location(sheet: str, rows: list[list[str]], start: int, _end: int) -> Location | None:
    """The cell of the sheet's text (its rows' cells joined by tabs and line breaks) where `start` is."""
    offset = 0
    for row in rows:
        for index, cell in enumerate(row):
            offset += len(cell) + 1  # and its tab, or the line break after the row's last cell
            if start < offset:
                return row_location(row, index)
        offset += not row  # an empty row is a line break alone
    return None


def column_letters(index: int) -> str:
    """0 -> 'A', 25 -> 'Z', 26 -> 'AA'."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def most_telling(errors: list[NotAReport]) -> NotAReport:
    """Of the reasons sheets (or tables) were refused, the one about a table that came closest to a
    report: an empty sheet's 'no rows' says less than another sheet's 'not a report table: ...'."""
    return min(errors, key=lambda exc: exc.reason.startswith("not a report table: no rows"))


def cell_text(value: object) -> str:
    """A cell as the text parsers expect: calamine gives whole numbers as floats (134.0)."""
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        # A fraction is no count; written the Dutch way ('1,5') it cannot pass for '1.519'.
        return repr(value).replace(".", ",")
    return "" if value is None else str(value)
