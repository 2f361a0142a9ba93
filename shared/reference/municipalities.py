"""Municipalities by CBS code (GMxxxx) for a year, from a name as a report prints it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from shared.reference.names import name_key, province_key, split_province
from shared.reference.tables import MunicipalityRecord, aliases, municipalities


@dataclass(frozen=True, slots=True)
class _Candidate:
    code: str
    province: str  # as a key
    regions_2015: frozenset[int]


@cache
def reference_years() -> range:
    """The years the reference lists municipalities for."""
    years = {record.year for record in municipalities()}
    return range(min(years), max(years) + 1)


def reference_year(year: int) -> int:
    """The reference year used for a report's year: a year past the reference takes the latest year's
    municipalities, a year before it the earliest's."""
    years = reference_years()
    return min(max(year, years.start), years.stop - 1)


@cache
def _index(year: int) -> dict[str, tuple[_Candidate, ...]]:
    """Name key (without a province suffix) -> the municipalities of that year with that name."""
    found: dict[str, dict[str, _Candidate]] = {}
    records = {record.code: record for record in municipalities() if record.year == year}
    for record in records.values():
        base, _ = split_province(record.name)
        found.setdefault(name_key(base), {})[record.code] = _candidate(record)
    for alias in aliases():
        if alias.code in records:
            found.setdefault(name_key(alias.alias), {}).setdefault(alias.code, _candidate(records[alias.code]))
    return {key: tuple(by_code.values()) for key, by_code in found.items()}


def _candidate(record: MunicipalityRecord) -> _Candidate:
    return _Candidate(code=record.code, province=province_key(record.province), regions_2015=record.regions_2015)


def municipality_code(name: str, year: int, *, region_code: int | None = None) -> str | None:
    """The CBS code valid in `year` of the municipality a report names; None when no municipality of
    that year has the name or more than one has it ('Bergen'). A province suffix ('Bergen (L.)')
    chooses among namesakes; so does `region_code`, by the 2015 decision's regions, but only between
    namesakes — it never rejects a name that matches one municipality."""
    base, province = split_province(name)
    candidates = _index(reference_year(year)).get(name_key(base), ())
    if province is not None:
        candidates = tuple(c for c in candidates if c.province == province)
    if len(candidates) > 1 and region_code is not None:
        candidates = tuple(c for c in candidates if region_code in c.regions_2015)
    return candidates[0].code if len(candidates) == 1 else None


@cache
def _names(year: int) -> dict[str, str]:
    return {record.code: record.name for record in municipalities() if record.year == year}


def municipality_name(code: str, year: int) -> str | None:
    """The CBS name of a code in a year ('GM0957', 2021 -> 'Roermond'); None when it did not exist then."""
    return _names(reference_year(year)).get(code)
