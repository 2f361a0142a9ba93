"""CSV reports: semicolon, comma or pipe separated (Dutch Excel writes ';'), the delimiter detected;
quoted fields; perhaps a title or a block of parameters above the table and the footnote below it."""

from __future__ import annotations

import csv
import io
from bisect import bisect_right
from functools import partial

from shared.models import Location, ParsedReport
from shared.parsing.common import assemble_report
from shared.parsing.errors import NotAReport
from shared.parsing.located import LocatedCells
from shared.parsing.textual import decode_text

_DELIMITERS = (";", ",", "|")  # ';' first: it wins a tie, being what Dutch Excel writes


def parse(data: bytes, *, name: str | None = None) -> ParsedReport:
    """Parse a CSV export of a report; each row located at the line of the file where it starts."""
    text = decode_text(data)
    reader = csv.reader(io.StringIO(text), delimiter=sniff_delimiter(text))
    rows: list[list[str]] = []
    first_lines: list[int] = []  # the line where each row starts (a quoted field may hold line breaks)
    try:
        read = 0  # lines read before the row
        for cells in reader:
            rows.append(LocatedCells(cells, partial(_line_location, read + 1)))
            first_lines.append(read + 1)
            read = reader.line_num
    except csv.Error as exc:
        raise NotAReport(f"unreadable csv: {exc}") from None
    # The title and footnote are rows too; as tab-joined lines they read like the text edition.
    joined = "\n".join("\t".join(row) for row in rows)
    return assemble_report("csv", rows, joined, name_hint=name,
                           locate_text=partial(_text_location, joined, rows, first_lines))


def _line_location(line: int, _name_index: int) -> Location:
    return Location(line=line)


def _text_location(joined: str, rows: list[list[str]], first_lines: list[int], start: int, _end: int) -> Location:
    """The line of the file holding joined[start]: its row's first line, plus the line breaks before
    it in the row's quoted fields."""
    offsets = [0]
    for row in rows[:-1]:
        offsets.append(offsets[-1] + sum(map(len, row)) + max(len(row) - 1, 0) + 1)
    index = bisect_right(offsets, start) - 1
    return Location(line=first_lines[index] + joined.count("\n", offsets[index], start))


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the most of the first lines into six or more fields."""
    sample = text[:16384].split("\n")[:60]

    def wide_rows(delimiter: str) -> int:
        try:
            return sum(len(row) >= 6 for row in csv.reader(sample, delimiter=delimiter))
        except csv.Error:
            return 0

    return max(_DELIMITERS, key=wide_rows)
