"""Text reports: the web table flattened to tab-separated lines (tags left in), and the text of
the PDF edition (one municipality per line, counts separated by spaces)."""

from __future__ import annotations

import html
import re

from shared.models import ParsedReport
from shared.parsing.common import assemble_report, is_dutch_int
from shared.parsing.textual import decode_text

_TAG = re.compile(r"<[^<>\n]{0,200}>")


def parse(data: bytes, *, name: str | None = None) -> ParsedReport:
    """Parse a text report of either style."""
    text = strip_markup(decode_text(data))
    return parse_lines(text, fmt="text", name=name)


def strip_markup(text: str) -> str:
    """Drop tags left in by a flattened web page and decode entities ('&amp;', '&#39;')."""
    return html.unescape(_TAG.sub("", text))


def parse_lines(text: str, *, fmt: str = "text", name: str | None = None) -> ParsedReport:
    """Parse a report from plain text lines (shared with the PDF parser, which yields lines)."""
    return assemble_report(fmt, (split_line(line) for line in text.split("\n")), text,  # type: ignore[arg-type]
                           name_hint=name)


def split_line(line: str) -> list[str]:
    """A line into cells: label cells, then the five counts peeled off the right, whether the counts
    sit in their own tab cells, share one, or follow the label after spaces (the PDF edition)."""
    cells = line.split("\t")
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
