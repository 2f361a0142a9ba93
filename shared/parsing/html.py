"""HTML reports: the web page's report table (the one with a TOTAAL AMR row), wherever it sits in
the page chrome, plus the page's headings and text for the period, region and footnote."""

from __future__ import annotations

import re
from functools import partial
from typing import NamedTuple

from selectolax.lexbor import LexborHTMLParser, LexborNode

from shared.models import Location, ParsedReport
from shared.parsing.common import assemble_report, without_empty_columns
from shared.parsing.dutch import is_dutch_int
from shared.parsing.errors import NotAReport
from shared.parsing.located import LocatedCells
from shared.parsing.textual import decode_text

_TOTAL_CELL = re.compile(r"^\s*totaal\s+amr\b", re.IGNORECASE)
_HEADINGS = "title, caption, h1, h2, h3, h4, h5, h6"
_NOT_TEXT = ["script", "style", "noscript", "template"]
_HIDDEN = (".visually-hidden, .visuallyhidden, .sr-only, .screen-reader-text, .element-invisible, "
           ".u-hidden-visually, [hidden], [style*='display:none'], [style*='display: none']")
_ROW_TAG = re.compile(r"<tr[\s/>]")  # in the lowered source
# What holds text that is no markup, so a '<tr' in it is no row: comments, scripts, styles and the like.
_SKIPPED = (("<!--", "-->"), ("<script", "</script"), ("<style", "</style"), ("<textarea", "</textarea"),
               ("<template", "</template"), ("<title", "</title"))
_REGISTER_WORD = "doelgroepregister"  # of the footnote, to find it in the source
_BODY_TAG = re.compile(r"<body[\s>]")  # in the lowered source


def parse(data: bytes, *, name: str | None = None) -> ParsedReport:
    """Parse the web page of a report."""
    source = decode_text(data)
    tree = LexborHTMLParser(source)
    lowered = source.lower()
    page = _Source(source, lowered, _skipped_spans(lowered))
    row_lines = _row_lines(tree, page)
    for line_break in tree.css("br"):
        line_break.replace_with("\n")
    tree.strip_tags(_NOT_TEXT)
    for hidden in tree.css(_HIDDEN):  # labels for screen readers only, and what is not shown at all
        hidden.decompose()
    for reference in tree.css("td sup, th sup"):  # a footnote reference ('Land van Cuijk²', '2.537¹')
        reference.decompose()
    # Headings first, so the period and region in the page title win over a date in the chrome.
    headings = "\n".join(node.text() for node in tree.css(_HEADINGS))
    body = tree.body if tree.body is not None else tree.root
    text = headings + "\n" + (body.text(separator="\n") if body is not None else "")
    locate_text = partial(_text_location, page, text, len(headings) + 1)
    # Without a TOTAAL AMR row, the biggest table gets parsed so the reason says what is missing.
    candidates = report_tables(tree) or sorted(tree.css("table"), key=lambda t: -len(t.css("tr")))[:1]
    if not candidates:
        raise NotAReport("not a report table: no table in the page")
    first_error: NotAReport | None = None
    for table in candidates:
        try:
            rows = [row for part in table_parts(tree, table) for row in table_rows(part, row_lines)]
            return assemble_report("html", without_empty_columns(rows), text, name_hint=name, locate_text=locate_text)
        except NotAReport as exc:
            first_error = first_error or exc
    raise first_error or NotAReport("not a report table")


def report_tables(tree: LexborHTMLParser) -> list[LexborNode]:
    """The innermost tables holding a cell that starts with 'TOTAAL AMR', in page order."""
    tables: list[LexborNode] = []
    for cell in tree.css("td, th"):
        if _TOTAL_CELL.match(cell.text()) and cell.css_first("table") is None:
            table = _enclosing_table(cell)
            if table is not None and not any(_same(table, seen) for seen in tables):
                tables.append(table)
    return tables


def table_parts(tree: LexborHTMLParser, table: LexborNode) -> list[LexborNode]:
    """The table with TOTAAL AMR and the tables right before and after it that continue it (rows of a
    name and five counts), as reporting tools write a table cut into pages or blocks."""
    # css() matches the node itself too: a table holds another when it matches more than one.
    innermost = [t for t in tree.css("table") if len(t.css("table")) == 1]
    at = next((i for i, t in enumerate(innermost) if _same(t, table)), None)
    if at is None:
        return [table]
    first, last = at, at
    while first > 0 and _has_count_rows(innermost[first - 1]):
        first -= 1
    while last + 1 < len(innermost) and _has_count_rows(innermost[last + 1]):
        last += 1
    return innermost[first:last + 1]


def _has_count_rows(table: LexborNode) -> bool:
    return any(len(cells) >= 6 and all(is_dutch_int(cell) for cell in cells[-5:]) for cells in table_rows(table))


def table_rows(table: LexborNode, row_lines: dict[int, int] | None = None) -> list[list[str]]:
    """The text of each cell of each row of this table, skipping the rows of tables nested in it.
    Rows in a <tfoot> come last, where they are shown, even when the markup has them first. With
    `row_lines` (a row's source line by its mem_id), each row is located: its line, and its place
    among the table's rows in the source."""
    nested = table.css_first("table") is not None
    body: list[list[str]] = []
    foot: list[list[str]] = []
    position = 0
    for row in table.css("tr"):
        if nested and not _same(_enclosing_table(row), table):
            continue
        position += 1
        cells = [cell.text() for cell in row.iter() if cell.tag in ("td", "th")]
        if row_lines is not None:
            cells = LocatedCells(cells, partial(_row_location, row_lines.get(row.mem_id), position))
        (foot if row.parent is not None and row.parent.tag == "tfoot" else body).append(cells)
    return body + foot


def _row_location(line: int | None, position: int, _name_index: int) -> Location:
    return Location(line=line, table_row=position)


class _Source(NamedTuple):
    """The page's source as the parser got it, and lowered."""

    source: str
    lowered: str
    skipped: list[tuple[int, int]]  # comments, scripts, styles: no part of the page

    def in_page(self, position: int) -> bool:
        return not any(begin < position < end for begin, end in self.skipped)


def _row_lines(tree: LexborHTMLParser, page: _Source) -> dict[int, int]:
    """Each row's source line by its mem_id (the parser keeps no positions): the rows in document
    order are the <tr> tags in the source, outside comments and scripts. Empty when they are not (a
    row the parser made up for a cell without one)."""
    rows = tree.css("tr")
    starts = [match.start() for match in _ROW_TAG.finditer(page.lowered) if page.in_page(match.start())]
    if len(starts) != len(rows):
        return {}
    lines: dict[int, int] = {}
    line, at = 1, 0
    for row, start in zip(rows, starts, strict=True):
        line += page.source.count("\n", at, start)
        at = start
        lines[row.mem_id] = line
    return lines


def _skipped_spans(lowered: str) -> list[tuple[int, int]]:
    spans = []
    for opener, closer in _SKIPPED:
        at = lowered.find(opener)
        while at >= 0:
            end = lowered.find(closer, at + len(opener))
            end = len(lowered) if end < 0 else end
            spans.append((at, end))
            at = lowered.find(opener, end)
    return spans


def _text_location(page: _Source, text: str, body_start: int, start: int, end: int) -> Location | None:
    """The source line of the footnote at text[start:end] (text: the headings, then the body's text):
    where the body's source has the footnote's word, outside comments and scripts, as often before it
    as the body's text has."""
    lowered_text = text.lower()
    word = lowered_text.find(_REGISTER_WORD, start, end)
    if word < body_start:  # not in the body's text (in a heading, it could be anywhere in the source)
        return None
    count = lowered_text.count(_REGISTER_WORD, body_start, word)
    body = _BODY_TAG.search(page.lowered)
    at = body.start() if body else 0
    while (at := page.lowered.find(_REGISTER_WORD, at)) >= 0:
        if page.in_page(at):
            if count == 0:
                return Location(line=page.source.count("\n", 0, at) + 1)
            count -= 1
        at += len(_REGISTER_WORD)
    return None


def _enclosing_table(node: LexborNode) -> LexborNode | None:
    parent = node.parent
    while parent is not None and parent.tag != "table":
        parent = parent.parent
    return parent


def _same(a: LexborNode | None, b: LexborNode) -> bool:
    return a is not None and a.mem_id == b.mem_id
