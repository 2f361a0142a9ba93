"""Cross-quarter checks at store time (shared/crossquarter.py does the arithmetic): a stored version is
checked against the current report of its region's previous quarter, whatever order they arrived in;
when the current version of a quarter changes, the next quarter's current report is checked again.
Findings hold the report they were computed against, and a recheck replaces them."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update
from sqlmodel import SQLModel

from shared.crossquarter import CrossQuarterThresholds, QuarterFigures, check_against_previous
from shared.models import Counts, Finding, Location, Period, ReportDocument
from shared.reference import RecordedMerger, name_key
from shared.store import tables  # noqa: F401  (registers the tables in the metadata)

_TABLES = SQLModel.metadata.tables
_REPORTS, _ROWS, _FINDINGS = _TABLES["report"], _TABLES["report_row"], _TABLES["finding"]
CROSS_QUARTER_CHECKS = ("municipality_missing", "municipality_new", "quarter_change", "register_change")

_CURRENT = select(_REPORTS.c.id).where(
    _REPORTS.c.region_key == bindparam("region_key"), _REPORTS.c.year == bindparam("year"),
    _REPORTS.c.quarter == bindparam("quarter"), _REPORTS.c.is_current.is_(True))
_ROWS_OF = select(_ROWS.c.municipality, _ROWS.c.municipality_code, _ROWS.c.location, _ROWS.c.municipal_with_profile,
                  _ROWS.c.municipal_without_profile, _ROWS.c.uwv_with_profile, _ROWS.c.uwv_without_profile,
                  _ROWS.c.total).where(_ROWS.c.report_id == bindparam("report_id"))
_REPORT = select(_REPORTS.c.region_key, _REPORTS.c.year, _REPORTS.c.quarter, _REPORTS.c.register_size,
                 _REPORTS.c.register_location).where(
    _REPORTS.c.id == bindparam("report_id"))
_OLD_FINDINGS = select(_FINDINGS.c.check, _FINDINGS.c.municipality_code, _FINDINGS.c.municipality,
                       _FINDINGS.c.field).where(_FINDINGS.c.report_id == bindparam("report_id"),
                                                _FINDINGS.c.check.in_(CROSS_QUARTER_CHECKS))
_DELETE_FINDINGS = delete(_FINDINGS).where(_FINDINGS.c.report_id == bindparam("report_id"),
                                           _FINDINGS.c.check.in_(CROSS_QUARTER_CHECKS))
_SET_BASELINE = update(_REPORTS).where(_REPORTS.c.id == bindparam("report_id")).values(
    baseline_report_id=bindparam("b_baseline"), mergers=bindparam("b_mergers"))


@dataclass(frozen=True)
class NewReport:
    """A report inserted in this transaction, as the checks would read it back (saves the queries)."""

    report_id: int
    region_key: str
    year: int
    quarter: int
    register_size: int | None
    figures: QuarterFigures
    # Where each municipality's row (by code and name) and the footnote were read: Locations, or their JSON.
    locations: dict[str, Any]


def new_report(report_id: int, key: str, document: ReportDocument) -> NewReport:
    """What the cross-quarter checks need of a report about to be stored, from its document."""
    # The Locations as they are: only a finding turns the one it is about into JSON.
    locations: dict[str, Any] = {"register": document.register.location if document.register else None}
    for row in document.rows:
        locations[row.municipality] = row.location
        if row.municipality_code:
            locations[row.municipality_code] = row.location
    register = document.register.size if document.register else None
    return NewReport(report_id, key, document.period.year, document.period.quarter, register,
                     _figures(document.period, register, document.rows), locations)


@dataclass(frozen=True)
class Recheck:
    """The outcome of checking one report against its previous quarter."""

    report_id: int
    period: Period  # the checked report's
    baseline_report_id: int | None  # None: no baseline (the first quarter, or the previous one missing)
    compared_with: Period | None
    findings: tuple[Finding, ...]  # all cross-quarter findings of the report now
    new_findings: tuple[Finding, ...]  # those it did not have before (to alert)
    mergers: tuple[RecordedMerger, ...] = ()  # that explain municipalities leaving and joining


Group = tuple[str, int, int]  # region key, year, quarter

_VERSIONS_IN = select(
    _REPORTS.c.id, _REPORTS.c.region_key, _REPORTS.c.year, _REPORTS.c.quarter, _REPORTS.c.figures_sha256,
    _REPORTS.c.register_size, _REPORTS.c.percent_in_sonar, _REPORTS.c.status, _REPORTS.c.written_at,
    _REPORTS.c.pinned_at, _REPORTS.c.is_current, _REPORTS.c.version_status).where(
    _REPORTS.c.region_key.in_(bindparam("keys", expanding=True)),
    _REPORTS.c.year.between(bindparam("first_year"), bindparam("last_year")))
_ROWS_IN = select(_ROWS.c.report_id, _ROWS.c.municipality, _ROWS.c.municipality_code,
                  _ROWS.c.municipal_with_profile, _ROWS.c.municipal_without_profile, _ROWS.c.uwv_with_profile,
                  _ROWS.c.uwv_without_profile, _ROWS.c.total).where(
    _ROWS.c.report_id.in_(bindparam("report_ids", expanding=True)))


class KnownReports:
    """What a batch's stores read of the reports around them, read once for the batch: the versions of
    its regions' quarters and of the quarters before and after, and the figures of the current reports
    of the quarters before (the baselines). The batch's own stores keep it up to date (`stored`); it is
    only valid inside the transaction that read it, while that transaction holds the regions' locks."""

    def __init__(self, versions: dict[Group, list[Any]], rows: dict[int, tuple[Any, list[Any]]]) -> None:
        self._versions = versions
        self._rows = rows  # baselines' report and rows, made figures when asked
        self._figures: dict[int, QuarterFigures] = {}

    @classmethod
    def read(cls, connection: Connection, groups: list[Group]) -> KnownReports:
        wanted = {near for group in groups for near in neighbours(group)}
        versions: dict[Group, list[Any]] = {group: [] for group in wanted}
        if wanted:
            found = connection.execute(_VERSIONS_IN, {
                "keys": sorted({group[0] for group in wanted}),
                "first_year": min(group[1] for group in wanted), "last_year": max(group[1] for group in wanted)})
            for row in found:
                group = (row.region_key, row.year, row.quarter)
                if group in versions:
                    versions[group].append(row)
        # The baselines: the current reports of the quarters before the batch's.
        baselines: dict[int, tuple[Any, list[Any]]] = {
            row.id: (row, []) for group in groups for row in versions[neighbours(group)[0]] if row.is_current}
        if baselines:
            for found_row in connection.execute(_ROWS_IN, {"report_ids": sorted(baselines)}):
                baselines[found_row.report_id][1].append(found_row)
        return cls(versions, baselines)

    def covers(self, group: Group) -> bool:
        return group in self._versions

    def versions(self, group: Group) -> list[Any]:
        return self._versions[group]

    def current(self, group: Group) -> int | None:
        return next((row.id for row in self._versions.get(group, ()) if row.is_current), None)

    def figures(self, report_id: int) -> QuarterFigures | None:
        found = self._figures.get(report_id)
        if found is None and report_id in self._rows:
            report, rows = self._rows.pop(report_id)
            found = self._figures[report_id] = _figures(Period(year=report.year, quarter=report.quarter),
                                                        report.register_size, rows)
        return found

    def stored(self, group: Group, versions: list[Any], new: NewReport) -> None:
        """A store of the batch wrote these versions of the group (statuses as written), the new one
        among them."""
        self._versions[group] = versions
        self._figures[new.report_id] = new.figures


def _figures(period: Period, register_size: int | None, rows: Iterable[Any]) -> QuarterFigures:
    """A report reduced to what the cross-quarter checks compare (rows: contract rows or stored ones)."""
    counts: dict[str, Counts] = {}
    names: dict[str, str] = {}
    for row in rows:
        key = row.municipality_code or name_key(row.municipality)
        counts[key] = Counts(municipal_with_profile=row.municipal_with_profile,
                             municipal_without_profile=row.municipal_without_profile,
                             uwv_with_profile=row.uwv_with_profile, uwv_without_profile=row.uwv_without_profile,
                             total=row.total)
        names[key] = row.municipality
    return QuarterFigures(period=period, rows=counts, names=names, register_size=register_size)


def neighbours(group: Group) -> tuple[Group, Group, Group]:
    """A region's quarter with the one before and the one after it."""
    region, year, quarter = group
    return (region, *previous_period(year, quarter)), group, (region, *next_period(year, quarter))


def previous_period(year: int, quarter: int) -> tuple[int, int]:
    return (year, quarter - 1) if quarter > 1 else (year - 1, 4)


def next_period(year: int, quarter: int) -> tuple[int, int]:
    return (year, quarter + 1) if quarter < 4 else (year + 1, 1)


def check_new(connection: Connection, new: NewReport, *, thresholds: CrossQuarterThresholds,
              known: KnownReports | None = None, precomputed: Recheck | None = None) -> Recheck:
    """The cross-quarter findings of a report about to be inserted (nothing written): the caller stores
    them, with the baseline and mergers (`baseline_values`), in the statements that insert the report.
    `precomputed`: the same check made earlier (outside the write), taken when its baseline is still the
    current report of the previous quarter (a stored report's figures never change)."""
    baseline = _current(connection, (new.region_key, *previous_period(new.year, new.quarter)), known)
    if precomputed is not None and precomputed.baseline_report_id == baseline:
        return precomputed
    period = Period(year=new.year, quarter=new.quarter)
    if baseline is None:
        return Recheck(new.report_id, period, None, None, (), ())
    result = check_against_previous(_baseline_figures(connection, baseline, known), new.figures, thresholds)
    findings = tuple(contract_finding(finding, new.locations) for finding in result.findings)
    return Recheck(new.report_id, period, baseline, result.compared_with, findings, findings,
                   tuple(result.mergers))


def baseline_values(checked: Recheck) -> dict[str, Any]:
    """The report's columns that say what it was checked against."""
    mergers = [merger.model_dump(mode="json") for merger in checked.mergers]
    return {"baseline_report_id": checked.baseline_report_id, "mergers": json.dumps(mergers) if mergers else None}


def recheck_after_store(connection: Connection, *, report_id: int, current_changed: bool, current_id: int,
                        thresholds: CrossQuarterThresholds, new: NewReport | None = None,
                        checked: Recheck | None = None, known: KnownReports | None = None) -> list[Recheck]:
    """Check the new version; if its quarter's current version changed, also the current version (if
    another) and the next quarter's current report, which compare against it. `new`: the new version
    as inserted, so that it is not read back, and `checked`: its check, already stored with it (check_new);
    `known`: what the batch read of the reports around it."""
    targets = [report_id]
    if current_changed:
        targets.append(current_id)
        found: Any = new if new is not None and new.report_id == current_id else \
            connection.execute(_REPORT, {"report_id": current_id}).first()
        if found is not None:
            following = _current(connection, (found.region_key, *next_period(found.year, found.quarter)), known)
            if following is not None:
                targets.append(following)
    return [checked if checked is not None and checked.report_id == target else
            recheck(connection, report_id=target, thresholds=thresholds, known=known)
            for target in dict.fromkeys(targets)]


def _current(connection: Connection, group: Group, known: KnownReports | None) -> int | None:
    """The current report of a region's quarter."""
    if known is not None and known.covers(group):
        return known.current(group)
    region, year, quarter = group
    return connection.execute(_CURRENT, {"region_key": region, "year": year, "quarter": quarter}).scalar()


def recheck(connection: Connection, *, report_id: int, thresholds: CrossQuarterThresholds,
            known: KnownReports | None = None) -> Recheck:
    """Replace a stored report's cross-quarter findings by those against the current report of the
    previous quarter."""
    report: Any = connection.execute(_REPORT, {"report_id": report_id}).one()
    year, quarter = previous_period(report.year, report.quarter)
    baseline = _current(connection, (report.region_key, year, quarter), known)
    old = {(row.check, row.municipality_code or row.municipality, row.field)
           for row in connection.execute(_OLD_FINDINGS, {"report_id": report_id})}
    connection.execute(_DELETE_FINDINGS, {"report_id": report_id})
    if baseline is None:
        connection.execute(_SET_BASELINE, {"report_id": report_id, "b_baseline": None, "b_mergers": None})
        return Recheck(report_id, Period(year=report.year, quarter=report.quarter), None, None, (), ())
    result = check_against_previous(_baseline_figures(connection, baseline, known), figures_of(connection, report_id),
                                    thresholds)
    locations = _locations(connection, report_id, report.register_location)
    findings = tuple(contract_finding(finding, locations) for finding in result.findings)
    if findings:
        connection.execute(_FINDINGS.insert(), [finding_values(report_id, finding, against_report_id=baseline)
                                                for finding in findings])
    checked = Recheck(report_id, Period(year=report.year, quarter=report.quarter), baseline, result.compared_with,
                      findings, (), tuple(result.mergers))
    values = baseline_values(checked)
    connection.execute(_SET_BASELINE, {"report_id": report_id, "b_baseline": values["baseline_report_id"],
                                       "b_mergers": values["mergers"]})
    alerts = tuple(f for f in findings if (f.check, f.municipality_code or f.municipality, f.field) not in old)
    return dataclasses.replace(checked, new_findings=alerts)


def _baseline_figures(connection: Connection, baseline: int, known: KnownReports | None) -> QuarterFigures:
    """A baseline's figures: from what the batch read, else from the database."""
    return (known.figures(baseline) if known is not None else None) or figures_of(connection, baseline)


def figures_of(connection: Connection, report_id: int) -> QuarterFigures:
    """A stored report reduced to what the cross-quarter checks compare."""
    report = connection.execute(_REPORT, {"report_id": report_id}).one()
    return _figures(Period(year=report.year, quarter=report.quarter), report.register_size,
                    connection.execute(_ROWS_OF, {"report_id": report_id}))


def _locations(connection: Connection, report_id: int, register_location: str | None) -> dict[str, Any]:
    """Where each municipality's row (by code and by name) and the footnote were read in the report."""
    found: dict[str, Any] = {"register": json.loads(register_location) if register_location else None}
    for row in connection.execute(_ROWS_OF, {"report_id": report_id}):
        location = json.loads(row.location) if row.location else None
        found[row.municipality] = location
        if row.municipality_code:
            found[row.municipality_code] = location
    return found


def contract_finding(finding: object, locations: dict[str, Any] | None = None) -> Finding:
    """A cross-quarter finding as the contract's Finding (bounds and values kept in `bounds`), with the
    location of the current report's row (or footnote) it is about, where it has one."""
    data = finding.model_dump(mode="json")  # type: ignore[attr-defined]
    where = locations or {}
    key = "register" if data["check"] == "register_change" else (data.get("municipality_code") or data["municipality"])
    data["location"] = where.get(key) if key else None
    bounds = data.pop("bounds") or {}
    accepted = bounds.pop("accepted", None)
    if accepted:
        bounds["accepted_min"], bounds["accepted_max"] = accepted
    bounds.update({"previous": data.pop("previous"), "current": data.pop("current")})
    return Finding.model_validate({**data, "bounds": bounds})


def finding_values(report_id: int, finding: Finding, *, against_report_id: int | None = None) -> dict[str, Any]:
    """A contract finding as a row of the finding table."""
    compared = finding.compared_with
    return {"report_id": report_id, "check": finding.check, "severity": finding.severity,
            "municipality": finding.municipality, "municipality_code": finding.municipality_code,
            "field": finding.field, "expected": finding.expected, "actual": finding.actual,
            "compared_year": compared.year if compared else None,
            "compared_quarter": compared.quarter if compared else None, "method": finding.method,
            "bounds": json.dumps(finding.bounds) if finding.bounds is not None else None,
            "against_report_id": against_report_id, "location": location_json(finding.location)}


def location_json(location: Location | None) -> str | None:
    """A location as stored: JSON of the keys its format has."""
    return None if location is None else json.dumps(location.as_keys())
