"""Telling the report's table from other tables and from prose, so that a file that is not a report
is refused with a reason that says what it is, and no other table is read as the report."""

from __future__ import annotations

import re
from collections.abc import Sequence

NO_ROWS = "not a report table: no rows of a municipality and five counts"
_PERIOD_LABEL = re.compile(r"\b(?:19|20)\d{2}\b|\bq[1-4]\b|kwartaal", re.IGNORECASE)
_COUNTRY_TOTAL = re.compile(r"^(?:totaal\s+)?(?:nederland|landelijk)$", re.IGNORECASE)
_REPORT_COLUMNS = re.compile(r"sonar|profiel|prof\.|klant|uwv", re.IGNORECASE)
_MAIL_HEADER = re.compile(r"^[ \t>*]*(?:van|from|aan|to|cc|onderwerp|subject|verzonden|sent|datum|date)[ \t]*:",
                          re.IGNORECASE | re.MULTILINE)
_MEMO = re.compile(r"^[ \t>*#]*(?:memo|notitie|nota|verslag)\b", re.IGNORECASE | re.MULTILINE)
_MENTIONS_REPORT = re.compile(r"totaal\s+amr|sonar|klantprofiel|doelgroepregister", re.IGNORECASE)
_FIGURE = re.compile(r"\b\d{1,3}(?:\.\d{3})+\b|\b\d{2,}\b")


_WITHOUT_TABLE = "without the report's table"


def found_no_table(reason: str) -> bool:
    """Whether a refusal says no table rows were found at all (so another reading may find them)."""
    return reason == NO_ROWS or reason.endswith(_WITHOUT_TABLE)


def without_table(text: str) -> str:
    """Why a file with no row of a municipality and five counts is not a report."""
    if not _MENTIONS_REPORT.search(text) or not _FIGURE.search(text):
        return NO_ROWS
    kind = ("a memo" if _MEMO.search(text[:2000])  # a memo has 'Aan:' and 'Van:' lines too
            else "a mail" if len(_MAIL_HEADER.findall(text[:4000])) >= 2 else "prose")
    return f"not a report table: {kind} that gives figures in its text, {_WITHOUT_TABLE}"


def other_table(labels: Sequence[str], headers: Sequence[Sequence[str]]) -> str | None:
    """Why the table read is not the report's, or None when it may be: rows that are quarters (a
    trend), rows that end in a total for the country (a table per region), or column headings that
    are not the report's."""
    if labels and sum(bool(_PERIOD_LABEL.search(label)) for label in labels) * 2 > len(labels):
        return "not a report table: its rows are periods (a trend over quarters), not municipalities"
    if any(_COUNTRY_TOTAL.match(label) for label in labels):
        return "not a report table: a table per region with a total for the country, not per municipality"
    if headers and not any(_REPORT_COLUMNS.search(" ".join(cells)) for cells in headers):
        columns = ", ".join(headers[-1])
        return f"not a report table: its columns are {columns[:100]}"
    return None
