"""Dutch numbers, quarter names and cell text, parsed in one place for every format."""

from __future__ import annotations

import re

from shared.models import Period
from shared.parsing import filename
from shared.parsing.errors import NotAReport

QUARTERS = {"eerste": 1, "tweede": 2, "derde": 3, "vierde": 4}

_NUMBER = re.compile(r"\d{1,3}(?:\.\d{3})+|\d+")
_NUMBER_FULL = re.compile(rf"^(?:{_NUMBER.pattern})$")
PERIOD = re.compile(r"\b(eerste|tweede|derde|vierde)\s+kwartaal\s+(\d{4})\b", re.IGNORECASE)
PERIOD_IN_NAME = re.compile(r"(?<!\d)(\d{4})[-_ .]?(?:q|kw)([1-4])(?!\d)|(?:q|kw)([1-4])[-_ .]?(\d{4})(?!\d)",
                            re.IGNORECASE)
_YEARS = range(1900, 3000)  # what Period accepts; a mangled '0021' is no period
# Footnote references glued to a name or a figure ('Land van Cuijk²', '2.537¹', 'Weert*').
FOOTNOTE_MARKERS = "\u00b9\u00b2\u00b3\u2070\u2074\u2075\u2076\u2077\u2078\u2079*\u2020\u2021"
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2007": " ", "\u2009": " ", "\u00ad": None,
                         "\u200b": None, "\u200c": None, "\u200d": None, "\u2060": None, "\ufeff": None})


def parse_dutch_int(text: str) -> int:
    """'1.519' -> 1519. Raises NotAReport for anything that is not a whole Dutch number."""
    cleaned = _number_text(text).replace(" ", "")
    if not _NUMBER_FULL.match(cleaned):
        raise NotAReport(f"not a number: {text.strip()[:40]!r}")
    return int(cleaned.replace(".", ""))


def is_dutch_int(text: str) -> bool:
    return bool(_NUMBER_FULL.match(_number_text(text)))


def is_clean_int(cell: str) -> bool:
    """is_dutch_int for a cell clean_cell has cleaned."""
    return bool(_NUMBER_FULL.match(cell))


def _number_text(text: str) -> str:
    if text.isascii():  # the common case, without the table lookups
        return text.strip().rstrip("*").rstrip()
    return text.translate(_SPACES).strip().rstrip(FOOTNOTE_MARKERS).rstrip()


def find_period(text: str) -> Period | None:
    """The first plausible 'Vierde kwartaal 2021' in the text."""
    match = period_match(text)
    return Period(year=int(match.group(2)), quarter=QUARTERS[match.group(1).lower()]) if match else None


def period_match(text: str) -> re.Match[str] | None:
    for match in PERIOD.finditer(text):
        if int(match.group(2)) in _YEARS:
            return match
    return None


def period_from_name(name: str) -> Period | None:
    """A period from a file name: 'ml-2021q4.xlsx', 'q4_2021.csv', 'Twente - Derde kwartaal 2022.xlsx'."""
    return filename.period_from_name(name)


def _period(year: int, quarter: int) -> Period | None:
    return Period(year=year, quarter=quarter) if year in _YEARS else None


def clean_cell(cell: str) -> str:
    """A cell's text with soft hyphens and zero-width characters gone, any run of spaces (non-breaking
    ones too) one space, and footnote markers after it dropped."""
    if cell.isascii():
        return " ".join(cell.split()).rstrip("*").rstrip()
    return " ".join(cell.translate(_SPACES).split()).rstrip(FOOTNOTE_MARKERS).rstrip()


