"""Text reports: the web table flattened to tab-separated lines (tags left in), and the text of
the PDF edition (one municipality per line, counts separated by spaces)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from functools import partial

from shared.models import Location, ParsedReport
from shared.parsing.common import assemble_report
from shared.parsing.dutch import is_dutch_int
from shared.parsing.errors import NotAReport
from shared.parsing.located import LocatedCells, LocateRow, covering
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


def parse_lines(text: str, *, fmt: str = "text", name: str | None = None,
                locate_line: Callable[[int], Location] | None = None) -> ParsedReport:
    """Parse a report from plain text lines (shared with the PDF parser, which yields lines and
    `locate_line`, where the i-th line was read; a text file's lines are its lines)."""
    lines = text.split("\n")
    locate = locate_line or _line_of_file
    locate_text = partial(_span_location, text, locate)
    try:
        rows = (LocatedCells(split_line(line), partial(_line_location, locate, index))
                for index, line in enumerate(lines))
        return assemble_report(fmt, rows, text, name_hint=name, locate_text=locate_text)  # type: ignore[arg-type]
    except NotAReport as exc:
        if not found_no_table(exc.reason):
            raise
        # A table copied out of a PDF viewer comes one cell per line.
        return assemble_report(fmt, cells_from_lines(lines, locate), text, name_hint=name,  # type: ignore[arg-type]
                               locate_text=locate_text)


def _line_of_file(index: int) -> Location:
    return Location(line=index + 1)


def _line_location(locate_line: Callable[[int], Location], index: int, _name_index: int) -> Location:
    return locate_line(index)


def _span_location(text: str, locate_line: Callable[[int], Location], start: int, end: int) -> Location | None:
    """Where the lines holding text[start:end] were read (the first line's, widened over the rest)."""
    first = text.count("\n", 0, start)
    return _covering_lines(locate_line, range(first, first + text.count("\n", start, end) + 1))


def cells_from_lines(lines: list[str], locate_line: Callable[[int], Location] = _line_of_file) -> list[list[str]]:
    """Rows from one cell per line: each run of five counts, with the one or two lines before it as
    its label cells (a region cell, then the name); located where the name and the counts were read."""
    rows: list[list[str]] = []
    labels: list[str] = []
    counts: list[str] = []
    name_line, count_lines = 0, []
    for index, line in enumerate(lines):
        cell = line.strip()
        if not cell:
            continue
        if is_dutch_int(cell):
            counts.append(cell)
            count_lines.append(index)
            if len(counts) == 5:
                located = _lines_location(locate_line, [name_line, *count_lines])
                rows.append(LocatedCells([*labels[-2:], *counts], located))
                labels, counts, count_lines = [], [], []
        else:
            labels = [] if counts else labels  # counts that did not make five part rows
            counts, count_lines = [], []
            labels.append(cell)
            name_line = index
    return rows


def _lines_location(locate_line: Callable[[int], Location], indexes: list[int]) -> LocateRow:
    return lambda _name_index: _covering_lines(locate_line, indexes)


def _covering_lines(locate_line: Callable[[int], Location], indexes: Sequence[int]) -> Location:
    """The first line's location, its box (a PDF's) widened over the other lines on its page."""
    first = locate_line(indexes[0])
    return first if first.bbox is None else covering([first, *(locate_line(index) for index in indexes[1:])])


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
