"""Text reports: the web table flattened to tab-separated lines (tags left in), and the text of
the PDF edition (one municipality per line, counts separated by spaces)."""

from __future__ import annotations

import html
import re

from shared.models import ParsedReport
from shared.parsing.common import assemble_report
from shared.parsing.textual import decode_text

_TAG = re.compile(r"<[^<>\n]{0,200}>")
_NUM = r"\d{1,3}(?:\.\d{3})+|\d+"
_SPACED_ROW = re.compile(rf"^\s*(?P<label>.*?\S)\s+(?P<counts>(?:(?:{_NUM})\s+){{4}}(?:{_NUM}))\s*$")


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
    """A line into cells: by tabs when it has them, else a label followed by five counts."""
    if "\t" in line:
        return line.split("\t")
    match = _SPACED_ROW.match(line)
    if not match:
        return [line]
    return [match.group("label"), *match.group("counts").split()]
