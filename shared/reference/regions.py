"""Labour-market regions by UWV's number (1-35, as the reports print it), from any of their names."""

from __future__ import annotations

import re
from functools import cache

from shared.reference.names import name_key
from shared.reference.tables import regions

# '34 Midden-Limburg', '34 - Midden-Limburg', '34'
_PRINTED = re.compile(r"^\s*(?P<code>\d{1,2})(?![\d.,])[\s.:\-\u2013\u2014]*(?P<name>.*?)\s*$")
# Words that may stand before a region's name without being part of it ('Regio Twente', 'AMR Zeeland').
_PREFIX = re.compile(r"^\s*(?:arbeidsmarktregio|regio|amr)\b[\s:\-]*", re.IGNORECASE)


@cache
def _codes_by_key() -> dict[str, frozenset[int]]:
    codes: dict[str, set[int]] = {}
    for region in regions():
        for name in (region.name, *region.other_names):
            codes.setdefault(name_key(name), set()).add(region.uwv_code)
    return {key: frozenset(found) for key, found in codes.items()}


@cache
def _names_by_code() -> dict[int, str]:
    return {region.uwv_code: region.name for region in regions()}


def region_code(name_or_printed: str) -> int | None:
    """UWV's number of a region from its name or printed form ('34 Midden-Limburg'); None when the name
    is unknown, ambiguous, or contradicts a printed number."""
    printed = _PRINTED.match(name_or_printed)
    if printed:
        code = int(printed.group("code"))
        if code not in _names_by_code():
            return None
        named = _code_of_name(printed.group("name")) if printed.group("name") else code
        return code if named == code else None
    return _code_of_name(name_or_printed)


def _code_of_name(name: str) -> int | None:
    codes = _codes_by_key().get(name_key(name))
    if codes is None and _PREFIX.match(name):
        codes = _codes_by_key().get(name_key(_PREFIX.sub("", name)))
    return next(iter(codes)) if codes and len(codes) == 1 else None


def region_name(code: int) -> str | None:
    """The region's current name as CBS spells it ('Midden-Limburg' for 34)."""
    return _names_by_code().get(code)


def region_names() -> dict[int, tuple[str, ...]]:
    """Every name and spelling of every region in the reference, by code."""
    return {region.uwv_code: (region.name, *region.other_names) for region in regions()}
