"""What the pages and the API read: plain SQL over the tables, each query bounded (a page, a region, one
report) and on an index, so that it stays fast on a database of many reports.

A region is its `region_key` (its UWV number, else its normalised name); a municipality's series is
keyed by its CBS code where the reference knows it (`SERIES_KEY`), else by its name as printed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, DateTime, bindparam, text
from sqlmodel import Session

from shared.models import TOTAL_FIELDS, ReportDocument
from shared.store.queries import documents_by_id

PAGE_SIZE = 100
SERIES_KEY = "COALESCE(rr.municipality_code, rr.municipality)"
VERSIONS = ("current", "superseded", "held", "all")
REPORT_COLUMNS = ("r.id, r.region_code, r.region_name, r.region_key, r.year, r.quarter, r.total, r.status, "
                  "r.finding_count, r.stored_at, r.written_at, r.is_current, r.version_status, r.pinned_at, "
                  "r.pinned_by, r.superseded_at, r.superseded_by_id, r.register_size, r.percent_in_sonar, "
                  "r.municipal_with_profile, r.municipal_without_profile, r.uwv_with_profile, "
                  "r.uwv_without_profile, r.source_file_id, r.baseline_report_id, r.mergers, r.totals_location, "
                  "r.register_location")
FINDING_COLUMNS = ('f.id, f."check", f.severity, f.municipality, f.municipality_code, f.field, f.expected, '
                   "f.actual, f.compared_year, f.compared_quarter, f.method, f.bounds, f.against_report_id")


@dataclass(frozen=True)
class ReportQuery:
    """Which reports: region (name, any case, or number), period, status (ok / findings: error findings),
    versions (current / superseded / held / all)."""

    region: str | None = None
    year: int | None = None
    quarter: int | None = None
    status: str | None = None
    versions: str = "current"

    def where(self) -> tuple[str, dict[str, Any]]:
        clauses: list[str] = []
        params: dict[str, Any] = {}
        if self.region:
            if self.region.isdigit():
                clauses.append("r.region_code = :region_code")
                params["region_code"] = int(self.region)
            else:
                clauses.append("lower(r.region_name) = lower(:region_name)")
                params["region_name"] = self.region
        if self.year is not None:
            clauses.append("r.year = :year")
            params["year"] = self.year
        if self.quarter is not None:
            clauses.append("r.quarter = :quarter")
            params["quarter"] = self.quarter
        if self.status:
            clauses.append("r.status = :status")
            params["status"] = self.status
        if self.versions in ("current", "superseded", "held"):
            clauses.append("r.version_status = :version_status")
            params["version_status"] = self.versions
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


@dataclass
class Page:
    items: list[dict[str, Any]]
    total: int
    offset: int
    limit: int

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None

    @property
    def previous_offset(self) -> int | None:
        return max(0, self.offset - self.limit) if self.offset > 0 else None


def utc(value: Any) -> datetime | None:
    """A timestamp as an aware UTC datetime (SQLite gives naive ones, written in UTC; or text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _rows(connection: Connection, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in connection.execute(text(sql), params or {})]


def list_reports(connection: Connection, query: ReportQuery, *, offset: int = 0,
                 limit: int = PAGE_SIZE) -> Page:
    """Reports, newest first, one page of them."""
    clause, params = query.where()
    total = connection.execute(text(f"SELECT count(*) FROM report r{clause}"), params).scalar_one()
    items = _rows(connection, f"SELECT {REPORT_COLUMNS}, s.name AS source_name, s.format AS source_format "
                              f"FROM report r JOIN source_file s ON s.id = r.source_file_id{clause} "
                              "ORDER BY r.id DESC LIMIT :limit OFFSET :offset",
                  {**params, "limit": limit, "offset": offset})
    return Page(items, total, offset, limit)


def report_detail(connection: Connection, report_id: int) -> dict[str, Any] | None:
    """One report with its rows, findings, file, deliveries and the other versions of its region and quarter."""
    found = _rows(connection, f"SELECT {REPORT_COLUMNS} FROM report r WHERE r.id = :id", {"id": report_id})
    if not found:
        return None
    report = found[0]
    rows = _rows(connection, "SELECT position, municipality, municipality_code, municipal_with_profile, "
                             "municipal_without_profile, uwv_with_profile, uwv_without_profile, total, location "
                             "FROM report_row WHERE report_id = :id ORDER BY position", {"id": report_id})
    findings = _numbers(_rows(connection, f"SELECT {FINDING_COLUMNS} FROM finding f WHERE f.report_id = :id "
                                          "ORDER BY f.id", {"id": report_id}))
    source = _rows(connection, "SELECT id, sha256, name, received_path, size, format, received_at, stored_at, "
                               "final_path FROM source_file WHERE id = :id", {"id": report["source_file_id"]})
    deliveries = _rows(connection, "SELECT id, name, outcome, reason, path, dropped_at, committed_at "
                                   "FROM delivery WHERE report_id = :id ORDER BY id", {"id": report_id})
    versions = _rows(connection, "SELECT r.id, r.is_current, r.version_status, r.pinned_at, r.pinned_by, r.status, "
                                 "r.finding_count, r.total, r.stored_at, r.written_at, r.superseded_at, "
                                 "r.superseded_by_id, s.name AS source_name, s.format AS source_format "
                                 "FROM report r JOIN source_file s ON s.id = r.source_file_id "
                                 "WHERE r.region_key = :key AND r.year = :year AND r.quarter = :quarter "
                                 "ORDER BY r.is_current DESC, r.written_at DESC, r.id DESC",
                     {"key": report["region_key"], "year": report["year"], "quarter": report["quarter"]})
    report["baseline"] = None
    if report["baseline_report_id"] is not None:
        baseline = _rows(connection, "SELECT id, year, quarter FROM report WHERE id = :id",
                         {"id": report["baseline_report_id"]})
        report["baseline"] = baseline[0] if baseline else None
    report["mergers"] = json.loads(report["mergers"]) if report["mergers"] else []
    return {"report": report, "rows": rows, "findings": findings, "source": source[0] if source else None,
            "deliveries": deliveries, "versions": versions}


def report_documents(connection: Connection, ids: list[int]) -> list[ReportDocument]:
    """The contract documents of these reports (with their version), in the order given."""
    with Session(bind=connection) as session:
        documents = documents_by_id(session=session, ids=sorted(ids), with_version=True)
    by_id = dict(zip(sorted(ids), documents, strict=True))
    return [by_id[report_id] for report_id in ids]


def list_findings(connection: Connection, *, severity: str | None = None, check: str | None = None,
                  region: str | None = None, offset: int = 0, limit: int = PAGE_SIZE) -> Page:
    """Findings newest first, with their report and file."""
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if severity:
        clauses.append("f.severity = :severity")
        params["severity"] = severity
    if check:
        clauses.append('f."check" = :check')
        params["check"] = check
    if region:
        clauses.append("lower(r.region_name) = lower(:region)")
        params["region"] = region
    clause = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    joins = " FROM finding f JOIN report r ON r.id = f.report_id"
    total = connection.execute(text(f"SELECT count(*){joins}{clause}"), params).scalar_one()
    items = _numbers(_rows(connection, f"SELECT {FINDING_COLUMNS}, r.id AS report_id, r.region_code, "
                                       "r.region_name, r.year, r.quarter, r.is_current, r.version_status, "
                                       f"r.stored_at, s.name AS file, s.sha256{joins} "
                                       f"JOIN source_file s ON s.id = r.source_file_id{clause} "
                                       "ORDER BY f.id DESC LIMIT :limit OFFSET :offset",
                           {**params, "limit": limit, "offset": offset}))
    return Page(items, total, offset, limit)


def list_deliveries(connection: Connection, *, outcome: str | None = None, since: datetime | None = None,
                    name: str | None = None, offset: int = 0, limit: int = PAGE_SIZE) -> Page:
    """Delivered files, newest commit first."""
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if outcome:
        clauses.append("outcome = :outcome")
        params["outcome"] = outcome
    if since is not None:
        clauses.append("committed_at >= :since")
        params["since"] = since.astimezone(UTC)
    if name:
        clauses.append("lower(name) LIKE lower(:name)")
        params["name"] = f"%{name}%"
    clause = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    typed = [bindparam("since", type_=DateTime(timezone=True))] if since is not None else []
    count = text(f"SELECT count(*) FROM delivery{clause}").bindparams(*typed)
    total = connection.execute(count, params).scalar_one()
    select = text("SELECT id, name, sha256, size, outcome, reason, path, report_id, dropped_at, received_at, "
                  f"committed_at, requeued_at FROM delivery{clause} "
                  "ORDER BY committed_at DESC, id DESC LIMIT :limit OFFSET :offset").bindparams(*typed)
    items = [dict(row._mapping) for row in connection.execute(select, {**params, "limit": limit, "offset": offset})]
    return Page(items, total, offset, limit)


def list_regions(connection: Connection) -> list[dict[str, Any]]:
    """Every region with current reports: its code, name, how many quarters, the first and last."""
    return _rows(connection, "SELECT region_key, max(region_code) AS region_code, max(region_name) AS region_name, "
                             "count(*) AS quarters, min(year * 4 + quarter - 1) AS first_index, "
                             "max(year * 4 + quarter - 1) AS last_index, "
                             "sum(CASE WHEN status = 'findings' THEN 1 ELSE 0 END) AS with_findings "
                             "FROM report WHERE is_current GROUP BY region_key ORDER BY 3")


@dataclass
class Series:
    """A region's figures per quarter: TOTAAL and one line per municipality, with warning findings."""

    region_name: str
    region_code: int | None
    region_key: str
    quarters: list[tuple[int, int]]
    totals: list[dict[str, Any]]  # one per quarter, in order
    municipalities: dict[str, dict[tuple[int, int], dict[str, Any]]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # series key -> the name printed last
    warnings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def href(self) -> str:
        return str(self.region_code) if self.region_code is not None else self.region_name

    def as_json(self) -> dict[str, Any]:
        return {
            "region": {"code": self.region_code, "name": self.region_name},
            "quarters": [{"year": y, "quarter": q} for y, q in self.quarters],
            "totaal": self.totals,
            "municipalities": [{"key": key, "municipality": self.names[key],
                                "municipality_code": next(iter(points.values()))["municipality_code"],
                                "points": list(points.values())}
                               for key, points in self.municipalities.items()],
            "warnings": self.warnings,
        }


def resolve_region_key(connection: Connection, region: str) -> str | None:
    """The identity of a region given by number or by name in any spelling the reports printed."""
    if region.isdigit():
        return region
    exact = connection.execute(text("SELECT region_key FROM report WHERE region_name = :name LIMIT 1"),
                               {"name": region}).scalar()
    if exact is None:
        exact = connection.execute(text("SELECT region_key FROM report WHERE lower(region_name) = lower(:name) "
                                        "LIMIT 1"), {"name": region}).scalar()
    return None if exact is None else str(exact)


def region_series(connection: Connection, region: str, municipality: str | None = None) -> Series | None:
    """The region's current figures over the quarters; None if it has none. A municipality is named by its
    CBS code or its name."""
    key = resolve_region_key(connection, region)
    if key is None:
        return None
    params: dict[str, Any] = {"key": key}
    totals = _rows(connection, "SELECT r.region_code, r.region_name, r.year, r.quarter, "
                   + ", ".join(f"r.{name}" for name in TOTAL_FIELDS)
                   + ", r.register_size, r.percent_in_sonar, r.id AS report_id, r.status AS report_status "
                   "FROM report r WHERE r.region_key = :key AND r.is_current ORDER BY r.year, r.quarter", params)
    if not totals:
        return None
    series = Series(region_name=totals[-1]["region_name"], region_code=totals[-1]["region_code"], region_key=key,
                    quarters=[(row["year"], row["quarter"]) for row in totals], totals=totals)
    only = ""
    if municipality is not None:
        only = " AND (rr.municipality_code = :municipality OR lower(rr.municipality) = lower(:municipality))"
        params["municipality"] = municipality
    for row in _rows(connection, f"SELECT {SERIES_KEY} AS series_key, rr.municipality, rr.municipality_code, "
                                 "r.year, r.quarter, r.id AS report_id, "
                                 + ", ".join(f"rr.{name}" for name in TOTAL_FIELDS)
                                 + " FROM report r JOIN report_row rr ON rr.report_id = r.id "
                                 f"WHERE r.region_key = :key AND r.is_current{only} "
                                 "ORDER BY rr.position, r.year, r.quarter", params):
        series.municipalities.setdefault(row["series_key"], {})[(row["year"], row["quarter"])] = row
    printed = {row["municipality"]: key for key, points in series.municipalities.items() for row in points.values()}
    for series_key, points in series.municipalities.items():
        ordered = sorted(points.items())
        points.clear()
        points.update(ordered)
        series.names[series_key] = ordered[-1][1]["municipality"]
        _changes(points)
    _changes({(row["year"], row["quarter"]): row for row in totals})
    report_ids = ", ".join(str(int(row["report_id"])) for row in totals)
    series.warnings = _numbers(_rows(connection, f"SELECT {FINDING_COLUMNS}, "
                                                 f"COALESCE(f.municipality_code, f.municipality) AS series_key, "
                                                 "r.id AS report_id, r.year, r.quarter FROM finding f "
                                                 "JOIN report r ON r.id = f.report_id WHERE f.severity = 'warning' "
                                                 f"AND f.report_id IN ({report_ids}) ORDER BY f.id"))
    for warning in series.warnings:  # a warning that names the municipality as printed, without its code
        if warning["series_key"] not in series.municipalities and warning["municipality"] in printed:
            warning["series_key"] = printed[warning["municipality"]]
    return series


def _changes(points: dict[tuple[int, int], dict[str, Any]]) -> None:
    """The change of each point's total on the previous quarter (None where that quarter is missing),
    as the series views have it."""
    for (year, quarter), point in points.items():
        previous = points.get((year, quarter - 1) if quarter > 1 else (year - 1, 4))
        point["previous_total"] = previous["total"] if previous else None
        point["total_change"] = point["total"] - previous["total"] if previous else None


def _numbers(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for finding in findings:
        finding["expected"], finding["actual"] = number(finding["expected"]), number(finding["actual"])
    return findings


def number(value: Any) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


def quarter_label(year: int, quarter: int) -> str:
    return f"{year} Q{quarter}"
