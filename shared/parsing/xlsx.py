"""XLSX reports: the first worksheet that holds the table, read with calamine once the archive has
been checked so it cannot blow up memory."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from functools import reduce

from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

from shared.models import ParsedReport
from shared.parsing.common import assemble_report
from shared.parsing.errors import NotAReport

MAX_UNPACKED_BYTES = 32 * 1024 * 1024  # all XML parts together, as the archive declares them
MAX_PARTS = 2_000
MAX_ROWS = 10_000
MAX_CELLS = 1_000_000  # calamine allocates a sheet's whole bounding box, empty cells too
MAX_SHEETS = 10

# Parts calamine never reads for cell values: not repacked, which also saves time.
_UNREAD = ("docProps/", "customXml/", "xl/theme/", "xl/media/", "xl/drawings/", "xl/charts/",
           "xl/printerSettings/", "xl/externalLinks/", "xl/pivot", "xl/comments", "xl/threadedComments/",
           "xl/persons/")
_CELL = re.compile(rb"<(?:\w+:)?c[\s/>]")
_ROW = re.compile(rb"<(?:\w+:)?row[\s/>]")
_CELL_REF = re.compile(rb'\br="([A-Za-z]+)(\d+)"')
_ROW_REF = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="(\d+)"')


def parse(data: bytes, *, name: str | None = None) -> ParsedReport:
    """Parse a workbook: the first worksheet with a report table; region and period from a title row,
    else from the file name."""
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(checked_workbook(data)))
        first_error: NotAReport | None = None
        for index, sheet in enumerate(workbook.sheets_metadata[:MAX_SHEETS]):
            if sheet.typ != SheetTypeEnum.WorkSheet:
                continue
            values = workbook.get_sheet_by_index(index).to_python(skip_empty_area=False, nrows=MAX_ROWS)
            rows = [[cell_text(value) for value in row] for row in values]
            text = "\n".join("\t".join(row) for row in rows)
            try:
                return assemble_report("xlsx", rows, text, name_hint=name)
            except NotAReport as exc:
                first_error = first_error or exc
    except CalamineError as exc:
        raise NotAReport(f"unreadable xlsx: {type(exc).__name__}: {exc}") from None
    raise first_error or NotAReport("not a report table: the workbook has no worksheet")


def cell_text(value: object) -> str:
    """A cell as the text parsers expect: calamine gives whole numbers as floats (134.0)."""
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        # A fraction is no count; written the Dutch way ('1,5') it cannot pass for '1.519'.
        return repr(value).replace(".", ",")
    return "" if value is None else str(value)


def checked_workbook(data: bytes) -> bytes:
    """The workbook's XML parts repacked uncompressed, after checking declared sizes and sheet extents,
    so calamine only ever sees bytes whose size we know."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        if len(infos) > MAX_PARTS:
            raise NotAReport(f"file too large: {len(infos)} parts in the workbook")
        if "xl/workbook.xml" not in {info.filename for info in infos}:
            raise NotAReport("unsupported format: a zip archive that is not an xlsx workbook")
        parts = {info.filename: info for info in infos
                 if info.filename.endswith((".xml", ".rels")) and not info.filename.startswith(_UNREAD)}
        unpacked = sum(info.file_size for info in parts.values())
        if unpacked > MAX_UNPACKED_BYTES:
            raise NotAReport(f"file too large: the workbook unpacks to {unpacked} bytes")
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as repacked:
            for part, info in parts.items():
                # read() stops at the declared size and checks the CRC, so a lying entry fails here.
                content = archive.read(info)
                if b"sheetData" in content:  # a worksheet, wherever the workbook keeps it
                    check_sheet_extent(content)
                repacked.writestr(part, content)
    except NotAReport:
        raise
    # zipfile reports a damaged archive in all these ways (ValueError: a negative seek).
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError,
            ValueError) as exc:
        raise NotAReport(f"unreadable xlsx: {exc or type(exc).__name__}") from None
    return out.getvalue()


def check_sheet_extent(xml: bytes) -> None:
    """Refuse a sheet whose bounding box (which calamine allocates densely) is implausibly large."""
    cell_refs = _CELL_REF.findall(xml)
    row_refs = _ROW_REF.findall(xml)
    # A row or cell without an 'r' attribute goes right after its predecessor: count them on top.
    rows = (max((int(row) for row in row_refs + [row for _, row in cell_refs]), default=0)
            + max(len(_ROW.findall(xml)) - len(row_refs), 0))
    columns = (max((_column_number(col) for col in {col for col, _ in cell_refs}), default=0)
               + max(len(_CELL.findall(xml)) - len(cell_refs), 0))
    if rows > MAX_ROWS:
        raise NotAReport(f"not a report table: a sheet of more than {MAX_ROWS} rows")
    if rows * columns > MAX_CELLS:
        raise NotAReport(f"not a report table: a sheet spanning {rows} rows by {columns} columns")


def _column_number(letters: bytes) -> int:
    return reduce(lambda total, char: total * 26 + (char & 0x1F), letters.upper(), 0)
