"""Plausibility of a report against its region's previous quarter (issue 15): municipalities that left
or joined the table unexplained by a merger, changes beyond size-aware bounds, a register that jumped.
Pure: the caller finds the previous report, stores and logs. Every finding is a warning."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared import hidiroglou_berthelot as hb
from shared.models import COUNT_FIELDS, Counts, ParsedReport, Period
from shared.reference import RecordedMerger, explain_membership_change, municipality_code, name_key

CrossQuarterCheck = Literal["municipality_missing", "municipality_new", "quarter_change", "register_change"]
CrossQuarterMethod = Literal["membership", "hidiroglou_berthelot", "ratio_edit", "register_percentage"]
_GM_CODE = re.compile(r"^GM\d{4}$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", protected_namespaces=())


class CrossQuarterThresholds(_Frozen):
    """The checks' parameters; each is meant to be a setting KLANTPROFIELEN_<NAME>."""

    hb_exponent_u: float = Field(default=0.5, ge=0, le=1)
    hb_spread_a: float = Field(default=0.05, ge=0)
    hb_width_c: float = Field(default=4.0, gt=0)
    # Fewer municipalities with a ratio than this: the fixed ratio edit instead of HB.
    hb_min_municipalities: int = Field(default=10, ge=4)
    # HB findings need a change of at least this many people. 0 is the method as published, which flags
    # every change when most municipalities did not change at all (the quartiles of E collapse to 0).
    hb_min_change_people: int = Field(default=0, ge=0)
    ratio_edit_low: float = Field(default=0.5, gt=0)
    ratio_edit_high: float = Field(default=2.0, gt=1)
    ratio_edit_min_change_people: int = Field(default=20, ge=0)
    # The four counts are checked separately where they reach this many people in either quarter.
    min_people_per_count: int = Field(default=20, ge=0)
    register_change_percent: float = Field(default=25.0, gt=0)


class QuarterFigures(_Frozen):
    """One region's report reduced to what the checks compare."""

    period: Period
    # Municipality key -> its counts. The key is the CBS code (GMxxxx), else the name's key.
    rows: dict[str, Counts]
    # Key -> the name as the report prints it, for the findings.
    names: dict[str, str] = {}
    register_size: int | None = None


class Bounds(_Frozen):
    statistic: Literal["effect", "ratio", "percent_change"]
    value: float | None  # the municipality's effect, ratio or percentage; None where it has none (from 0)
    lower: float
    upper: float
    # The whole current values the check would have accepted, given the previous value.
    accepted: tuple[int, int] | None = None


class CrossQuarterFinding(_Frozen):
    """Compatible with the contract's Finding (check, severity, municipality, field, expected, actual),
    with what a cross-quarter finding adds. expected/actual are the previous/current values."""

    check: CrossQuarterCheck
    severity: Literal["warning"] = "warning"
    municipality: str | None = None
    municipality_code: str | None = None
    field: str | None = None
    expected: int | float
    actual: int | float
    compared_with: Period
    method: CrossQuarterMethod
    previous: int | None
    current: int | None
    bounds: Bounds | None = None


class CrossQuarterResult(_Frozen):
    compared_with: Period
    findings: tuple[CrossQuarterFinding, ...]
    mergers: tuple[RecordedMerger, ...]


def quarter_figures(report: ParsedReport) -> QuarterFigures:
    """A parsed report's figures keyed by CBS code where the reference knows the name, else by name."""
    rows: dict[str, Counts] = {}
    names: dict[str, str] = {}
    for row in report.rows:
        key = (row.municipality_code
               or municipality_code(row.municipality, report.period.year, region_code=report.region.code)
               or name_key(row.municipality))
        rows[key] = Counts(**row.model_dump(exclude={"municipality", "municipality_code"}))
        names[key] = row.municipality
    return QuarterFigures(period=report.period, rows=rows, names=names,
                          register_size=report.register.size if report.register else None)


def check_against_previous(previous: QuarterFigures, current: QuarterFigures,
                           thresholds: CrossQuarterThresholds | None = None) -> CrossQuarterResult:
    """All cross-quarter findings of `current` against `previous`, and the mergers that explain
    municipalities leaving and joining."""
    limits = thresholds or CrossQuarterThresholds()
    change = explain_membership_change(set(previous.rows), set(current.rows), previous.period, current.period)
    compared_with = previous.period
    findings = [_membership("municipality_missing", key, previous, compared_with)
                for key in previous.rows if key in change.unexplained_missing]
    findings += [_membership("municipality_new", key, current, compared_with)
                 for key in current.rows if key in change.unexplained_new]
    baseline = _baseline(previous, current, change.mergers)
    for field in ("total", *COUNT_FIELDS):
        pairs = {key: (baseline[key][field], getattr(counts, field))
                 for key, counts in current.rows.items() if key in baseline}
        if field != "total":
            pairs = {key: pair for key, pair in pairs.items() if max(pair) >= limits.min_people_per_count}
        findings += _quarter_changes(field, pairs, current.names, limits, compared_with)
    findings += _register_change(previous, current, limits, compared_with)
    return CrossQuarterResult(compared_with=compared_with, findings=tuple(findings), mergers=change.mergers)


def _membership(check: CrossQuarterCheck, key: str, figures: QuarterFigures,
                compared_with: Period) -> CrossQuarterFinding:
    total = figures.rows[key].total
    missing = check == "municipality_missing"
    return CrossQuarterFinding(
        check=check, municipality=figures.names.get(key, key), municipality_code=_code(key), field="total",
        expected=total if missing else 0, actual=0 if missing else total, compared_with=compared_with,
        method="membership", previous=total if missing else None, current=None if missing else total)


def _baseline(previous: QuarterFigures, current: QuarterFigures,
              mergers: Iterable[RecordedMerger]) -> dict[str, dict[str, int]]:
    """The previous figures per current municipality; a merged municipality's are its predecessors'
    summed. A predecessor split over several successors is attributed to none (no shares are known)."""
    baseline = {key: counts.model_dump() for key, counts in previous.rows.items() if key in current.rows}
    merged = list(mergers)
    successor_count = Counter(old for merger in merged for old in merger.old_codes)
    for merger in merged:
        parts = [previous.rows[old] for old in merger.old_codes if successor_count[old] == 1]
        if merger.new_code in previous.rows:
            parts.append(previous.rows[merger.new_code])
        if parts and (merger.new_code in previous.rows or len(parts) == len(merger.old_codes)):
            baseline[merger.new_code] = {field: sum(getattr(part, field) for part in parts)
                                         for field in ("total", *COUNT_FIELDS)}
    return baseline


def _quarter_changes(field: str, pairs: Mapping[str, tuple[int, int]], names: Mapping[str, str],
                     limits: CrossQuarterThresholds, compared_with: Period) -> list[CrossQuarterFinding]:
    """quarter_change findings for one field, in the report's order: HB over the municipalities with a
    ratio when there are enough of them, the fixed ratio edit for the rest (all of them in a small
    region; in a large one, a municipality with 0 in either quarter, which has no ratio)."""
    with_ratio = {key: pair for key, pair in pairs.items() if min(pair) > 0}
    by_hb = _hb_changes(field, with_ratio, names, limits, compared_with) \
        if len(with_ratio) >= limits.hb_min_municipalities else None
    found = []
    for key, (before, now) in pairs.items():
        if by_hb is not None and key in with_ratio:
            if key in by_hb:
                found.append(by_hb[key])
        elif hb.ratio_edit_flags(before, now, low=limits.ratio_edit_low, high=limits.ratio_edit_high,
                                 min_change=limits.ratio_edit_min_change_people):
            accepted = hb.ratio_edit_range(before, low=limits.ratio_edit_low, high=limits.ratio_edit_high,
                                           min_change=limits.ratio_edit_min_change_people)
            bounds = Bounds(statistic="ratio", value=now / before if before else None,
                            lower=limits.ratio_edit_low, upper=limits.ratio_edit_high, accepted=accepted)
            found.append(_change(key, names, field, (before, now), "ratio_edit", bounds, compared_with))
    return found


def _hb_changes(field: str, pairs: Mapping[str, tuple[int, int]], names: Mapping[str, str],
                limits: CrossQuarterThresholds, compared_with: Period) -> dict[str, CrossQuarterFinding]:
    median_ratio = hb.quantile([now / before for before, now in pairs.values()], 0.5)
    effects = {key: hb.effect(before, now, median_ratio, limits.hb_exponent_u) for key, (before, now) in pairs.items()}
    bounds = hb.effect_bounds(list(effects.values()), spread=limits.hb_spread_a, width=limits.hb_width_c)
    found = {}
    for key, value in effects.items():
        before, now = pairs[key]
        if bounds.lower <= value <= bounds.upper or abs(now - before) < limits.hb_min_change_people:
            continue
        accepted = hb.accepted_range(before, median_ratio, limits.hb_exponent_u, bounds.lower, bounds.upper)
        found[key] = _change(key, names, field, (before, now), "hidiroglou_berthelot",
                             Bounds(statistic="effect", value=value, lower=bounds.lower, upper=bounds.upper,
                                    accepted=accepted), compared_with)
    return found


def _change(key: str, names: Mapping[str, str], field: str, values: tuple[int, int], method: CrossQuarterMethod,
            bounds: Bounds, compared_with: Period) -> CrossQuarterFinding:
    before, now = values
    return CrossQuarterFinding(check="quarter_change", municipality=names.get(key, key), municipality_code=_code(key),
                               field=field,
                               expected=before, actual=now, compared_with=compared_with, method=method,
                               previous=before, current=now, bounds=bounds)


def _register_change(previous: QuarterFigures, current: QuarterFigures, limits: CrossQuarterThresholds,
                     compared_with: Period) -> list[CrossQuarterFinding]:
    before, now = previous.register_size, current.register_size
    if before is None or now is None or before == now:
        return []
    percent = 100 * (now - before) / before if before else None
    if percent is not None and abs(percent) <= limits.register_change_percent:
        return []
    limit = limits.register_change_percent
    return [CrossQuarterFinding(
        check="register_change", field="register_size", expected=before, actual=now, compared_with=compared_with,
        method="register_percentage", previous=before, current=now,
        bounds=Bounds(statistic="percent_change", value=percent, lower=-limit, upper=limit,
                      accepted=(math.ceil(before * (1 - limit / 100)), math.floor(before * (1 + limit / 100)))))]


def _code(key: str) -> str | None:
    return key if _GM_CODE.match(key) else None
