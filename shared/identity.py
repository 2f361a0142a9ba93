"""Official identities of a report (region by UWV number, municipalities by CBS code) and the version
policy that decides which of a region's reports for a quarter is current: pure functions.

A region is identified by its code; a name the reference does not know keys the report by that name
(normalised) until it does. Two reports are the same version when their figures are the same by
identity (codes, or normalised names where unknown, and the counts), whatever their format or spelling."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from shared.models import COUNT_FIELDS, TOTAL_FIELDS, Finding, ParsedReport, Region, ReportDocument, Row
from shared.reference import municipality_code, name_key, region_code


def resolve_region(region: Region) -> tuple[Region, list[Finding]]:
    """The region with its UWV code: as printed, else from its name through the reference."""
    if region.code is not None:
        return region, []
    code = region_code(region.name)
    if code is not None:
        return Region(code=code, name=region.name), []
    return region, [Finding(check="unknown_region", severity="warning", field="region", expected=None,
                            actual=None, municipality=None)]


@lru_cache(maxsize=4096)
def _municipality_code(name: str, year: int, region: int | None) -> str | None:
    return municipality_code(name, year, region_code=region)


def resolve_rows(rows: Sequence[Row], year: int, region: int | None) -> tuple[tuple[Row, ...], list[Finding]]:
    """Each row with its municipality's CBS code; a warning for each name that matches nothing."""
    resolved: list[Row] = []
    findings: list[Finding] = []
    for row in rows:
        code = row.municipality_code or _municipality_code(row.municipality, year, region)
        resolved.append(row if code == row.municipality_code else row.model_copy(update={"municipality_code": code}))
        if code is None:
            findings.append(Finding(check="unknown_municipality", severity="warning", municipality=row.municipality,
                                    field="municipality", expected=None, actual=None))
    return tuple(resolved), findings


def identify(parsed: ParsedReport) -> tuple[Region, tuple[Row, ...], list[Finding]]:
    """Region code, municipality codes and the warnings for what the reference does not know."""
    region, region_findings = resolve_region(parsed.region)
    rows, row_findings = resolve_rows(parsed.rows, parsed.period.year, region.code)
    return region, rows, [*region_findings, *row_findings]


def region_key(region: Region) -> str:
    """The identity of a region: its code, else 'name:<normalised name>'."""
    return str(region.code) if region.code is not None else f"name:{name_key(region.name)}"


def figures_sha256(document: ReportDocument) -> str:
    """A hash of the figures by identity: region, period, each municipality (code, else normalised name)
    with its counts, and the totals. The register is compared apart (only where both versions have one)."""
    return figures_hash(region_key(document.region), document.period.year, document.period.quarter,
                        [(row.municipality_code, row.municipality, *(getattr(row, f) for f in TOTAL_FIELDS))
                         for row in document.rows],
                        [getattr(document.totals, field) for field in TOTAL_FIELDS])


def figures_hash(key: str, year: int, quarter: int, rows: Sequence[Sequence[object]],
                 totals: Sequence[int]) -> str:
    """figures_sha256 from plain values: rows as (code or None, name, five counts)."""
    keyed = sorted([str(row[0]) if row[0] else f"name:{name_key(str(row[1]))}", *row[2:]] for row in rows)
    payload = [key, year, quarter, keyed, list(totals)]
    return hashlib.sha256(json.dumps(payload, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class StoredVersion:
    """What the version policy needs to know of one stored version."""

    report_id: int
    has_errors: bool
    written_at: datetime
    pinned_at: datetime | None


def choose_current(versions: Sequence[StoredVersion]) -> int:
    """The report id that is current: the pinned one (the latest pin); else among versions without
    error findings the one written last, arrival (id) breaking ties; if every version has errors, the
    one written last of them."""
    pinned = [v for v in versions if v.pinned_at is not None]
    if pinned:
        return max(pinned, key=lambda v: (v.pinned_at, v.report_id)).report_id
    clean = [v for v in versions if not v.has_errors] or list(versions)
    return max(clean, key=lambda v: (v.written_at, v.report_id)).report_id


def version_status(version: StoredVersion, current: StoredVersion) -> str:
    """current; held (has error findings, and would otherwise be current: written later than the
    current version); or superseded."""
    if version.report_id == current.report_id:
        return "current"
    if version.has_errors and not current.has_errors and \
            (version.written_at, version.report_id) > (current.written_at, current.report_id):
        return "held"
    return "superseded"


def changed_figures(old: Sequence[Row], new: Sequence[Row]) -> list[dict[str, object]]:
    """What a re-issue changed: per municipality (by code, else name) and count, the old and new value;
    a municipality that is only in one of them has None for the other."""
    def by_key(rows: Sequence[Row]) -> dict[str, Row]:
        return {row.municipality_code or f"name:{name_key(row.municipality)}": row for row in rows}

    before, after = by_key(old), by_key(new)
    changes: list[dict[str, object]] = []
    for key in sorted(before.keys() | after.keys()):
        was, now = before.get(key), after.get(key)
        for field in (*COUNT_FIELDS, "total"):
            old_value = getattr(was, field) if was else None
            new_value = getattr(now, field) if now else None
            if old_value != new_value:
                changes.append({"municipality": (now or was).municipality,  # type: ignore[union-attr]
                                "municipality_code": (now or was).municipality_code,  # type: ignore[union-attr]
                                "field": field, "old": old_value, "new": new_value})
    return changes
