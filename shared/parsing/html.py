"""HTML reports: the web page's report table (the one with a TOTAAL AMR row), wherever it sits in
the page chrome, plus the page's headings and text for the period, region and footnote."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from shared.models import ParsedReport
from shared.parsing.common import assemble_report
from shared.parsing.errors import NotAReport
from shared.parsing.textual import decode_text

_TOTAL_CELL = re.compile(r"^\s*totaal\s+amr\b", re.IGNORECASE)
_HEADINGS = "title, caption, h1, h2, h3, h4, h5, h6"
_NOT_TEXT = ["script", "style", "noscript", "template"]


def parse(data: bytes, *, name: str | None = None) -> ParsedReport:
    """Parse the web page of a report."""
    tree = LexborHTMLParser(decode_text(data))
    for line_break in tree.css("br"):
        line_break.replace_with("\n")
    tree.strip_tags(_NOT_TEXT)
    table = report_table(tree)
    if table is None:
        raise NotAReport("not a report table: no table with a TOTAAL AMR row")
    # Headings first, so the period and region in the page title win over a date in the chrome.
    headings = "\n".join(node.text() for node in tree.css(_HEADINGS))
    body = tree.body if tree.body is not None else tree.root
    text = headings + "\n" + (body.text(separator="\n") if body is not None else "")
    return assemble_report("html", table_rows(table), text, name_hint=name)


def report_table(tree: LexborHTMLParser) -> LexborNode | None:
    """The innermost table holding a cell that starts with 'TOTAAL AMR'."""
    for cell in tree.css("td, th"):
        if _TOTAL_CELL.match(cell.text()) and cell.css_first("table") is None:
            return _enclosing_table(cell)
    return None


def table_rows(table: LexborNode) -> list[list[str]]:
    """The text of each cell of each row of this table, skipping the rows of tables nested in it."""
    nested = table.css_first("table") is not None
    rows = []
    for row in table.css("tr"):
        if nested and not _same(_enclosing_table(row), table):
            continue
        rows.append([cell.text() for cell in row.iter() if cell.tag in ("td", "th")])
    return rows


def _enclosing_table(node: LexborNode) -> LexborNode | None:
    parent = node.parent
    while parent is not None and parent.tag != "table":
        parent = parent.parent
    return parent


def _same(a: LexborNode | None, b: LexborNode) -> bool:
    return a is not None and a.mem_id == b.mem_id
