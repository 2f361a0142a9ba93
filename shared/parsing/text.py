"""Text reports: the web table flattened to tab-separated lines (tags left in), and the text of
the PDF edition (one municipality per line, counts separated by spaces)."""

from __future__ import annotations

import html
import re

from shared.models import ParsedReport
from shared.parsing.common import assemble_report
from shared.parsing.dutch import is_dutch_int
from shared.parsing.errors import NotAReport
from shared.parsing.table_kind import found_no_table
from shared.parsing.textual import decode_text

_TAG = re.compile(r"<[^<>\n]{0,200}>")
_QUOTE_MARKS = re.compile(r"^(?:[ \t]*>)+[ \t]?", re.MULTILINE)  # a table quoted in a plain-text reply


def parse(data: bytes, *, name: str | None = None) -> ParsedReport:
    """Parse a text report of either style."""
    text = _QUOTE_MARKS.sub("", strip_markup(decode_text(data)))
    return parse_lines(text, fmt="text", name=name)


def strip_markup(text: str) -> str:
    """Drop tags left in by a flattened web page and decode entities ('&amp;', '&#39;')."""
    return html.unescape(_TAG.sub("", text))


def parse_lines(text: str, *, fmt: str = "text", name: str | None = None) -> ParsedReport:
    """Parse a report from plain text lines (shared with the PDF parser, which yields lines)."""
    lines = text.split("\n")
    try:
        return assemble_report(fmt, (split_line(line) for line in lines), text,  # type: ignore[arg-type]
                               name_hint=name)
    except NotAReport as exc:
        if not found_no_table(exc.reason):
            raise
        # A table copied out of a PDF viewer comes one cell per line.
        return assemble_report(fmt, cells_from_lines(lines), text, name_hint=name)  # type: ignore[arg-type]


def cells_from_lines(lines: list[str]) -> list[list[str]]:
    """Rows from one cell per line: each run of five counts, with the one or two lines before it as
    its label cells (a region cell, then the name)."""
    rows = []
    labels: list[str] = []
    counts: list[str] = []
    for line in lines:
        cell = line.strip()
        if not cell:
            continue
        if is_dutch_int(cell):
            counts.append(cell)
            if len(counts) == 5:
                rows.append([*labels[-2:], *counts])
                labels, counts = [], []
        else:
            labels = [] if counts else labels  # counts that did not make five part rows
            counts = []
            labels.append(cell)
    return rows


def split_line(line: str) -> list[str]:
    """A line into cells: label cells, then the five counts peeled off the right, whether the counts
    sit in their own tab cells, share one, or follow the label after spaces (the PDF edition)."""
    cells = line.split("\t") if "|" not in line else _pipe_cells(line)
    counts: list[str] = []
    while cells and len(counts) < 5:
        tokens = cells.pop().split()
        if not tokens:
            if counts:
                break  # a blank cell between counts is a missing value, not padding
            continue
        while tokens and len(counts) < 5 and is_dutch_int(tokens[-1]):
            counts.insert(0, tokens.pop())
        if tokens:
            cells.append(" ".join(tokens))
            break
    if len(counts) < 5:
        return line.split("\t")
    return [*cells, *counts]


def _pipe_cells(line: str) -> list[str]:
    """A Markdown table row ('| Weert | 54 | ... |') into its cells; other lines by tabs."""
    stripped = line.strip()
    if line.count("|") < 5 + stripped.startswith("|"):
        return line.split("\t")
    cells = [cell.strip() for cell in stripped.split("|")]
    return cells[1:-1] if stripped.startswith("|") and stripped.endswith("|") else cells
