"""ODS reports (OpenDocument spreadsheets, as LibreOffice writes them): the archive and the sheets'
extents checked first, then read with calamine like every workbook.

LibreOffice declares 1024 columns and ends a sheet with a million repeated empty rows; calamine
skips those without expanding them, but it does expand repeated cells that hold a value, and it
allocates each sheet's bounding box densely. So the check counts only cells with content."""

from __future__ import annotations

import io
import re
import zipfile
import zlib

from shared.models import ParsedReport
from shared.parsing.detect import ODS_MIMETYPE
from shared.parsing.errors import NotAReport
from shared.parsing.spreadsheet import MAX_CELLS, MAX_ROWS, parse_workbook

MAX_UNPACKED_BYTES = 32 * 1024 * 1024
MAX_PARTS = 2_000
_READ = ("content.xml", "mimetype", "META-INF/manifest.xml", "styles.xml", "meta.xml", "settings.xml")
# A sheet, a row, or a cell (covered or not) opening or self-closing, with its attributes.
_TAG = re.compile(rb"<table:(table|table-row|table-cell|covered-table-cell)(?=[\s/>])([^>]*?)(/?)>|</table:table>")
_ROWS_REPEATED = re.compile(rb'table:number-rows-repeated="(\d+)"')
_COLUMNS_REPEATED = re.compile(rb'table:number-columns-repeated="(\d+)"')
_VALUE_TYPE = re.compile(rb"office:value-type=")


def parse(data: bytes, *, name: str | None = None) -> ParsedReport:
    """Parse an OpenDocument spreadsheet."""
    return parse_workbook("ods", checked_spreadsheet(data), name=name)


def checked_spreadsheet(data: bytes) -> bytes:
    """The parts calamine reads, repacked uncompressed once their declared sizes and the sheets'
    extents are known to be sane."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        if len(infos) > MAX_PARTS:
            raise NotAReport(f"file too large: {len(infos)} parts in the spreadsheet")
        parts = {info.filename: info for info in infos if info.filename in _READ}
        if "content.xml" not in parts:
            raise NotAReport("unreadable ods: no content.xml")
        unpacked = sum(info.file_size for info in parts.values())
        if unpacked > MAX_UNPACKED_BYTES:
            raise NotAReport(f"file too large: the spreadsheet unpacks to {unpacked} bytes")
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as repacked:
            # calamine, like every ODF reader, looks for the uncompressed mimetype entry first.
            repacked.writestr("mimetype", ODS_MIMETYPE)
            for part, info in parts.items():
                if part == "mimetype":
                    continue
                content = archive.read(info)
                if part == "content.xml":
                    check_content_extent(content)
                repacked.writestr(part, content)
    except NotAReport:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError,
            ValueError) as exc:
        raise NotAReport(f"unreadable ods: {exc or type(exc).__name__}") from None
    return out.getvalue()


def check_content_extent(xml: bytes) -> None:
    """Refuse sheets whose cells with content span implausibly many rows, or rows by columns."""
    earlier_sheets = 0  # cells of the bounding boxes of the sheets before this one
    rows = columns = 0  # this sheet's content so far: rows down to the last with content, widest row
    row_start, row_repeat, row_has_content = 0, 0, False  # the row being read
    column = 0
    for match in _TAG.finditer(xml):
        tag, attributes, closed = match.group(1), match.group(2), match.group(3)
        if tag not in (None, b"table", b"table-row"):  # a cell
            repeated = _COLUMNS_REPEATED.search(attributes)
            width = int(repeated.group(1)) if repeated else 1
            if not closed or _VALUE_TYPE.search(attributes):
                row_has_content = True
                columns = max(columns, column + width)
            column += width
            continue
        if row_has_content:  # the row being read is complete: all its copies count
            rows = row_start + row_repeat
        row_start += row_repeat
        if rows > MAX_ROWS:
            raise NotAReport(f"not a report table: a sheet of more than {MAX_ROWS} rows")
        if earlier_sheets + rows * columns > MAX_CELLS:
            raise NotAReport(f"not a report table: a sheet spanning {rows} rows by {columns} columns")
        if tag == b"table-row":
            repeated = _ROWS_REPEATED.search(attributes)
            row_repeat, row_has_content, column = int(repeated.group(1)) if repeated else 1, False, 0
        else:  # a sheet ends or begins
            earlier_sheets += rows * columns
            rows = columns = row_start = row_repeat = 0
            row_has_content = False
