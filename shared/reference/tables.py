"""The reference tables read once per process from the package data (shared/reference/data)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import files


@dataclass(frozen=True, slots=True)
class RegionRecord:
    uwv_code: int
    name: str
    other_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MunicipalityRecord:
    year: int
    code: str
    name: str
    province: str
    # The region(s) of the 2015 decision; two for a municipality whose predecessors lay in two.
    regions_2015: frozenset[int]


@dataclass(frozen=True, slots=True)
class MergerRecord:
    effective: date
    new_code: str
    new_name: str
    old_code: str
    old_name: str
    change_type: str


@dataclass(frozen=True, slots=True)
class AliasRecord:
    code: str
    alias: str


def _rows(filename: str) -> list[dict[str, str]]:
    text = files("shared.reference.data").joinpath(filename).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def regions() -> tuple[RegionRecord, ...]:
    return tuple(
        RegionRecord(
            uwv_code=int(row["uwv_code"]),
            name=row["name"],
            other_names=tuple(n.strip() for n in row["other_names"].split(";") if n.strip()),
        )
        for row in _rows("arbeidsmarktregios.csv")
    )


@cache
def municipalities() -> tuple[MunicipalityRecord, ...]:
    return tuple(
        MunicipalityRecord(
            year=int(row["year"]),
            code=row["gm_code"],
            name=row["name"],
            province=row["province"],
            regions_2015=frozenset(int(part) for part in row["region_2015_besluit"].split("/") if part),
        )
        for row in _rows("gemeenten.csv")
    )


@cache
def mergers() -> tuple[MergerRecord, ...]:
    return tuple(
        MergerRecord(
            effective=date.fromisoformat(row["effective_date"]),
            new_code=row["new_gm_code"],
            new_name=row["new_name"],
            old_code=row["old_gm_code"],
            old_name=row["old_name"],
            change_type=row["change_type"],
        )
        for row in _rows("herindelingen.csv")
    )


@cache
def aliases() -> tuple[AliasRecord, ...]:
    return tuple(AliasRecord(code=row["gm_code"], alias=row["alias"]) for row in _rows("gemeente_aliassen.csv"))
