"""The period and the region a file's name states: 'Twente - Derde kwartaal 2022.xlsx',
'Transparantie van klantprofielen Eerste kwartaal 2024 Zeeland.csv', 'ml-2021q4.xlsx', 'q3-2022'."""

from __future__ import annotations

import re
from functools import cache

from shared.models import Period
from shared.reference.names import fold, name_key
from shared.reference.regions import region_name, region_names

_YEARS = range(1900, 3000)  # what Period accepts
_SEP = r"[\W_]*"
_ORDINALS = {"eerste": 1, "1e": 1, "1ste": 1, "tweede": 2, "2e": 2, "2de": 2,
             "derde": 3, "3e": 3, "3de": 3, "vierde": 4, "4e": 4, "4de": 4}
_ORDINAL = "|".join(sorted(_ORDINALS, key=len, reverse=True))
_NOT_AFTER_ALNUM = r"(?<![^\W_])"
_YEAR = r"(?<!\d)(?P<{}>\d{{4}})(?!\d)"
_PATTERNS = tuple(re.compile(pattern, re.IGNORECASE) for pattern in (
    # 'Derde kwartaal 2022', 'derde_kwartaal-2022', '3e kwartaal 2022'
    rf"{_NOT_AFTER_ALNUM}(?P<ordinal>{_ORDINAL}){_SEP}kwartaal{_SEP}{_YEAR.format('year')}",
    # '2022 derde kwartaal'
    rf"{_YEAR.format('year')}{_SEP}(?P<ordinal>{_ORDINAL}){_SEP}kwartaal(?![^\W\d_])",
    # 'kwartaal 3 2022', '2021q4', '2022-Q3', '2022 kw 3', '2022 kwartaal 3'
    rf"{_NOT_AFTER_ALNUM}kwartaal{_SEP}(?P<quarter>[1-4]){_SEP}{_YEAR.format('year')}",
    rf"{_YEAR.format('year')}{_SEP}(?:kwartaal|kw|q){_SEP}(?P<quarter>[1-4])(?!\d)",
    # 'q3-2022', 'Q3 2022', 'kw3 2022', 'kw 3 2022'
    rf"(?:q|kw)(?P<quarter>[1-4]){_SEP}(?P<year>\d{{4}})(?!\d)",   # 'q42021' too, as before
    rf"{_NOT_AFTER_ALNUM}(?:q|kw){_SEP}(?P<quarter>[1-4]){_SEP}{_YEAR.format('year')}",
))
_WORD = re.compile(r"[^\W_]+")


def period_from_name(name: str) -> Period | None:
    """The period a file name states, in words or as a code; the leftmost one when it states several."""
    best: tuple[int, Period] | None = None
    for pattern in _PATTERNS:
        for match in pattern.finditer(name):
            year = int(match.group("year"))
            if year not in _YEARS:
                continue
            quarter = _ORDINALS[match.group("ordinal").lower()] if "ordinal" in pattern.groupindex \
                else int(match.group("quarter"))
            if best is None or match.start() < best[0]:
                best = (match.start(), Period(year=year, quarter=quarter))
            break
    return best[1] if best else None


def _without_periods(stem: str) -> str:
    for pattern in _PATTERNS:
        stem = pattern.sub(" ", stem)
    return stem


@cache
def _region_keys() -> tuple[dict[str, int], int]:
    """Every spelling's key -> its region, and the most words a spelling has."""
    spellings = [(spelling, code) for code, names in region_names().items() for spelling in names]
    keys = {name_key(spelling): code for spelling, code in spellings}
    return keys, max(len(_WORD.findall(fold(spelling))) for spelling, _ in spellings)


def region_from_name(name: str) -> tuple[int, str] | None:
    """The region a file name names, by the reference: (UWV number, its current name). None when the name
    names none, or names two different regions."""
    stem = re.split(r"[\\/]", name)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    words = _WORD.findall(fold(_without_periods(stem)))
    keys, most_words = _region_keys()
    spans: list[tuple[int, int, int]] = []
    for start in range(len(words)):
        for end in range(start + 1, min(len(words), start + most_words) + 1):
            code = keys.get("".join(words[start:end]))
            if code is not None:
                spans.append((start, end, code))
    widest = [s for s in spans if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in spans)]
    codes = {code for _, _, code in widest}
    if len(codes) != 1:
        return None
    code = codes.pop()
    return code, region_name(code) or str(code)
