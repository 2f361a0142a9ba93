"""CSV reports: semicolon, comma or pipe separated (Dutch Excel writes ';'), the delimiter detected;
quoted fields; perhaps a title or a block of parameters above the table and the footnote below it."""

from __future__ import annotations

import csv
import io

from shared.models import ParsedReport
from shared.parsing.common import assemble_report
from shared.parsing.errors import NotAReport
from shared.parsing.textual import decode_text

_DELIMITERS = (";", ",", "|")  # ';' first: it wins a tie, being what Dutch Excel writes


def parse(data: bytes, *, name: str | None = None) -> ParsedReport:
    """Parse a CSV export of a report."""
    text = decode_text(data)
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=sniff_delimiter(text)))
    except csv.Error as exc:
        raise NotAReport(f"unreadable csv: {exc}") from None
    # The title and footnote are rows too; as tab-joined lines they read like the text edition.
    joined = "\n".join("\t".join(row) for row in rows)
    return assemble_report("csv", rows, joined, name_hint=name)


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the most of the first lines into six or more fields."""
    sample = text[:16384].split("\n")[:60]

    def wide_rows(delimiter: str) -> int:
        try:
            return sum(len(row) >= 6 for row in csv.reader(sample, delimiter=delimiter))
        except csv.Error:
            return 0

    return max(_DELIMITERS, key=wide_rows)
