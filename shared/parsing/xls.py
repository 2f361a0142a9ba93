"""Legacy XLS reports (BIFF8, Excel 97-2003): the sheets' extents checked in the Workbook stream
before calamine reads it, since calamine allocates each sheet's bounding box densely (a 6 KB file
with one cell at IV65536 would cost a gigabyte)."""

from __future__ import annotations

import struct
from collections.abc import Iterator

from shared.models import ParsedReport
from shared.parsing.errors import NotAReport
from shared.parsing.ole2 import WORKBOOK_STREAMS, CompoundFile
from shared.parsing.spreadsheet import MAX_CELLS, MAX_ROWS, parse_workbook

_BOF, _EOF, _BOUNDSHEET, _FILEPASS, _DIMENSIONS, _SST = 0x0809, 0x000A, 0x0085, 0x002F, 0x0200, 0x00FC
# Records that put a value in a cell (row, column first): FORMULA, LABELSST, NUMBER, RK, BOOLERR,
# LABEL, RSTRING. Blank (formatted) cells calamine leaves out of the extent, and so do we.
_CELL_RECORDS = {0x0006, 0x00FD, 0x0203, 0x027E, 0x0205, 0x0204, 0x00D6}
_MULRK = 0x00BD


def parse(data: bytes, *, name: str | None = None) -> ParsedReport:
    """Parse an Excel 97-2003 workbook."""
    check_workbook_stream(workbook_stream(CompoundFile(data)))
    return parse_workbook("xls", data, name=name)


def workbook_stream(container: CompoundFile) -> bytes:
    names = container.stream_names()
    for stream in WORKBOOK_STREAMS:
        if stream in names:
            return container.read_stream(stream)
    raise NotAReport("unsupported format: an OLE2 file without a workbook")


def check_workbook_stream(stream: bytes) -> None:
    """Refuse an encrypted workbook and sheets whose bounding box is implausibly large; the sheets
    are found as calamine finds them, by the offsets in the workbook's sheet list."""
    sheet_offsets = []
    for record, offset, length in _records(stream, 0):
        if record == _FILEPASS:
            raise NotAReport("unsupported format: a password-protected xls workbook")
        if record == _BOUNDSHEET and length >= 4:
            sheet_offsets.append(struct.unpack_from("<I", stream, offset)[0])
        # calamine reserves room for the shared strings the record declares before reading them
        if record == _SST and length >= 8 and struct.unpack_from("<I", stream, offset + 4)[0] > len(stream) // 3:
            raise NotAReport("unreadable xls: the string table declares more strings than the file holds")
    cells = 0
    for start in sheet_offsets:
        rows, columns = _sheet_extent(stream, start)
        if rows > MAX_ROWS:
            raise NotAReport(f"not a report table: a sheet of more than {MAX_ROWS} rows")
        cells += rows * columns
        if cells > MAX_CELLS:
            raise NotAReport(f"not a report table: a sheet spanning {rows} rows by {columns} columns")


def _sheet_extent(stream: bytes, start: int) -> tuple[int, int]:
    last_row = last_column = -1
    for record, offset, length in _records(stream, start):
        if record == _DIMENSIONS:
            _check_dimensions(stream[offset:offset + length])
            continue
        if record in _CELL_RECORDS and length >= 4:
            row, column = struct.unpack_from("<HH", stream, offset)
        elif record == _MULRK and length >= 6:
            row = struct.unpack_from("<H", stream, offset)[0]
            column = struct.unpack_from("<H", stream, offset + length - 2)[0]
        else:
            continue
        last_row, last_column = max(last_row, row), max(last_column, column)
    return last_row + 1, last_column + 1


def _check_dimensions(record: bytes) -> None:
    """The extent a sheet declares, from which calamine sizes the sheet before reading its cells."""
    if len(record) == 14:
        first_row, end_row, first_column, end_column = struct.unpack_from("<IIHH", record)
    elif len(record) == 10:
        first_row, end_row, first_column, end_column = struct.unpack_from("<HHHH", record)
    else:
        return
    if end_row == 0 or end_column == 0:
        return
    if first_row > end_row or first_column > end_column:
        raise NotAReport("unreadable xls: a sheet declares a negative extent")
    if end_row > MAX_ROWS:
        raise NotAReport(f"not a report table: a sheet of more than {MAX_ROWS} rows")
    if end_row * end_column > MAX_CELLS:
        raise NotAReport(f"not a report table: a sheet spanning {end_row} rows by {end_column} columns")


def _records(stream: bytes, start: int) -> Iterator[tuple[int, int, int]]:
    """(record type, data offset, data length) from a BOF at `start` to its EOF."""
    offset = start
    depth = 0
    while offset + 4 <= len(stream):
        record, length = struct.unpack_from("<HH", stream, offset)
        yield record, offset + 4, min(length, len(stream) - offset - 4)
        offset += 4 + length
        if record == _BOF:
            depth += 1
        elif record == _EOF:
            depth -= 1
            if depth <= 0:
                return
