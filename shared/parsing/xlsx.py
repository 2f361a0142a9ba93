"""XLSX reports: the workbook's XML parts checked (declared sizes, sheet extents) and repacked, so
calamine cannot blow up memory, then read like every workbook (spreadsheet.py)."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from functools import reduce

from shared.models import ParsedReport
from shared.parsing.errors import NotAReport
from shared.parsing.spreadsheet import MAX_CELLS, MAX_ROWS, parse_workbook

MAX_UNPACKED_BYTES = 32 * 1024 * 1024  # all XML parts together, as the archive declares them
MAX_PARTS = 2_000

# Parts calamine never reads for cell values: not repacked, which also saves time.
_UNREAD = ("docProps/", "customXml/", "xl/theme/", "xl/media/", "xl/drawings/", "xl/charts/",
           "xl/printerSettings/", "xl/externalLinks/", "xl/pivot", "xl/comments", "xl/threadedComments/",
           "xl/persons/")
_CELL = re.compile(rb"<(?:\w+:)?c[\s/>]")
_ROW = re.compile(rb"<(?:\w+:)?row[\s/>]")
_CELL_REF = re.compile(rb'\br="([A-Za-z]+)(\d+)"')
_ROW_REF = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="(\d+)"')


def parse(data: bytes, *, name: str | None = None) -> ParsedReport:
    """Parse an xlsx workbook."""
    return parse_workbook("xlsx", checked_workbook(data), name=name)


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
