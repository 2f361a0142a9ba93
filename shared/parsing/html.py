"""HTML reports: the web page's report table (the one with a TOTAAL AMR row), wherever it sits in
the page chrome, plus the page's headings and text for the period, region and footnote."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from shared.models import ParsedReport
from shared.parsing.common import assemble_report, without_empty_columns
from shared.parsing.dutch import is_dutch_int
from shared.parsing.errors import NotAReport
from shared.parsing.textual import decode_text

_TOTAL_CELL = re.compile(r"^\s*totaal\s+amr\b", re.IGNORECASE)
_HEADINGS = "title, caption, h1, h2, h3, h4, h5, h6"
_NOT_TEXT = ["script", "style", "noscript", "template"]
_HIDDEN = (".visually-hidden, .visuallyhidden, .sr-only, .screen-reader-text, .element-invisible, "
           ".u-hidden-visually, [hidden], [style*='display:none'], [style*='display: none']")


def parse(data: bytes, *, name: str | None = None) -> ParsedReport:
    """Parse the web page of a report."""
    tree = LexborHTMLParser(decode_text(data))
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
    # Without a TOTAAL AMR row, the biggest table gets parsed so the reason says what is missing.
    candidates = report_tables(tree) or sorted(tree.css("table"), key=lambda t: -len(t.css("tr")))[:1]
    if not candidates:
        raise NotAReport("not a report table: no table in the page")
    first_error: NotAReport | None = None
    for table in candidates:
        try:
            rows = [row for part in table_parts(tree, table) for row in table_rows(part)]
            return assemble_report("html", without_empty_columns(rows), text, name_hint=name)
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


def table_rows(table: LexborNode) -> list[list[str]]:
    """The text of each cell of each row of this table, skipping the rows of tables nested in it.
    Rows in a <tfoot> come last, where they are shown, even when the markup has them first."""
    nested = table.css_first("table") is not None
    body: list[list[str]] = []
    foot: list[list[str]] = []
    for row in table.css("tr"):
        if nested and not _same(_enclosing_table(row), table):
            continue
        cells = [cell.text() for cell in row.iter() if cell.tag in ("td", "th")]
        (foot if row.parent is not None and row.parent.tag == "tfoot" else body).append(cells)
    return body + foot


def _enclosing_table(node: LexborNode) -> LexborNode | None:
    parent = node.parent
    while parent is not None and parent.tag != "table":
        parent = parent.parent
    return parent


def _same(a: LexborNode | None, b: LexborNode) -> bool:
    return a is not None and a.mem_id == b.mem_id
