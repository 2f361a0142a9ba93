"""What the pages and the API read: plain SQL over the tables and the consumer views, each query bounded
(a page, a region, one report) so that it stays fast on a database of many reports.

Series are keyed by the municipality's name today; `SERIES_KEY` is the one place to switch to
`municipality_code` once rows carry one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, DateTime, bindparam, text

from shared.models import TOTAL_FIELDS, Counts, Period, Region, Register, ReportDocument, Row, Source
from shared.models import Finding as FindingModel

PAGE_SIZE = 100
SERIES_KEY = "municipality"  # becomes municipality_code when rows carry one
REPORT_COLUMNS = ("r.id, r.region_code, r.region_name, r.year, r.quarter, r.total, r.status, r.finding_count, "
                  "r.stored_at, r.is_current, r.superseded_at, r.superseded_by_id, r.register_size, "
                  "r.percent_in_sonar, r.municipal_with_profile, r.municipal_without_profile, "
                  "r.uwv_with_profile, r.uwv_without_profile, r.source_file_id")


@dataclass(frozen=True)
class ReportQuery:
    """Which reports: region (name, any case, or number), period, status (ok / findings), versions
    (current / superseded / all)."""

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
        if self.versions == "current":
            clauses.append("r.is_current")
        elif self.versions == "superseded":
            clauses.append("NOT r.is_current")
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
    rows = _rows(connection, "SELECT position, municipality, municipal_with_profile, municipal_without_profile, "
                             "uwv_with_profile, uwv_without_profile, total FROM report_row "
                             "WHERE report_id = :id ORDER BY position", {"id": report_id})
    findings = _rows(connection, 'SELECT id, "check", severity, municipality, field, expected, actual '
                                 "FROM finding WHERE report_id = :id ORDER BY id", {"id": report_id})
    source = _rows(connection, "SELECT id, sha256, name, received_path, size, format, received_at, stored_at, "
                               "final_path FROM source_file WHERE id = :id", {"id": report["source_file_id"]})
    deliveries = _rows(connection, "SELECT id, name, outcome, reason, path, dropped_at, committed_at "
                                   "FROM delivery WHERE report_id = :id ORDER BY id", {"id": report_id})
    versions = _rows(connection, "SELECT r.id, r.is_current, r.status, r.finding_count, r.total, r.stored_at, "
                                 "r.superseded_at, r.superseded_by_id, s.name AS source_name, "
                                 "s.format AS source_format "
                                 "FROM report r JOIN source_file s ON s.id = r.source_file_id "
                                 "WHERE r.region_name = :region AND r.year = :year AND r.quarter = :quarter "
                                 "ORDER BY r.id DESC",
                     {"region": report["region_name"], "year": report["year"], "quarter": report["quarter"]})
    for finding in findings:
        finding["expected"], finding["actual"] = number(finding["expected"]), number(finding["actual"])
    return {"report": report, "rows": rows, "findings": findings, "source": source[0] if source else None,
            "deliveries": deliveries, "versions": versions}


def report_documents(connection: Connection, ids: list[int]) -> list[ReportDocument]:
    """The contract documents of these reports, in the order given."""
    if not ids:
        return []
    id_list = ", ".join(str(int(i)) for i in ids)
    reports = {row["id"]: row for row in _rows(
        connection, f"SELECT {REPORT_COLUMNS}, s.sha256 AS source_sha256, s.received_path, s.format AS source_format "
                    f"FROM report r JOIN source_file s ON s.id = r.source_file_id WHERE r.id IN ({id_list})")}
    rows: dict[int, list[Row]] = {i: [] for i in ids}
    for row in _rows(connection, "SELECT report_id, municipality, municipal_with_profile, municipal_without_profile, "
                                 f"uwv_with_profile, uwv_without_profile, total FROM report_row "
                                 f"WHERE report_id IN ({id_list}) ORDER BY report_id, position"):
        rows[row.pop("report_id")].append(Row.model_validate(row))
    findings: dict[int, list[FindingModel]] = {i: [] for i in ids}
    for finding in _rows(connection, 'SELECT report_id, "check", severity, municipality, field, expected, actual '
                                     f"FROM finding WHERE report_id IN ({id_list}) ORDER BY id"):
        report_id = finding.pop("report_id")
        finding["expected"], finding["actual"] = number(finding["expected"]), number(finding["actual"])
        # Not validated: checks that later issues add (warnings) must not break the API before the contract names them.
        findings[report_id].append(FindingModel.model_construct(**finding))
    documents = []
    for report_id in ids:
        report = reports.get(report_id)
        if report is None:
            continue
        register = (Register(size=report["register_size"], percent_in_sonar=report["percent_in_sonar"])
                    if report["register_size"] is not None and report["percent_in_sonar"] is not None else None)
        documents.append(ReportDocument(
            source=Source(path=report["received_path"], sha256=report["source_sha256"],
                          format=report["source_format"]),
            region=Region(code=report["region_code"], name=report["region_name"]),
            period=Period(year=report["year"], quarter=report["quarter"]),
            rows=tuple(rows[report_id]), totals=Counts(**{name: report[name] for name in TOTAL_FIELDS}),
            register=register, findings=tuple(findings[report_id])))
    return documents


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
    items = _rows(connection, 'SELECT f.id, f."check", f.severity, f.municipality, f.field, f.expected, f.actual, '
                              "r.id AS report_id, r.region_code, r.region_name, r.year, r.quarter, r.is_current, "
                              f"r.stored_at, s.name AS file, s.sha256{joins} "
                              f"JOIN source_file s ON s.id = r.source_file_id{clause} "
                              "ORDER BY f.id DESC LIMIT :limit OFFSET :offset",
                  {**params, "limit": limit, "offset": offset})
    for item in items:
        item["expected"], item["actual"] = number(item["expected"]), number(item["actual"])
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
    """Every region with current reports: its code, how many quarters, the first and last."""
    return _rows(connection, "SELECT region_name, max(region_code) AS region_code, count(*) AS quarters, "
                             "min(year * 4 + quarter - 1) AS first_index, max(year * 4 + quarter - 1) AS last_index, "
                             "sum(CASE WHEN status = 'findings' THEN 1 ELSE 0 END) AS with_findings "
                             "FROM report WHERE is_current GROUP BY region_name ORDER BY region_name")


@dataclass
class Series:
    """A region's figures per quarter: TOTAAL and one line per municipality, with warning findings."""

    region_name: str
    region_code: int | None
    quarters: list[tuple[int, int]]
    totals: list[dict[str, Any]]  # one per quarter, in order
    municipalities: dict[str, dict[tuple[int, int], dict[str, Any]]] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "region": {"code": self.region_code, "name": self.region_name},
            "quarters": [{"year": y, "quarter": q} for y, q in self.quarters],
            "totaal": self.totals,
            "municipalities": [{"municipality": key, "points": list(points.values())}
                               for key, points in self.municipalities.items()],
            "warnings": self.warnings,
        }


def region_series(connection: Connection, region: str, municipality: str | None = None) -> Series | None:
    """The region's current figures over the quarters (from the consumer views); None if it has none."""
    params: dict[str, Any]
    if region.isdigit():
        key, params = "region_code = :region_code", {"region_code": int(region)}
    else:
        name = region_name(connection, region)
        if name is None:
            return None
        key, params = "region_name = :region_name", {"region_name": name}
    totals = _rows(connection, "SELECT region_code, region_name, year, quarter, " + ", ".join(TOTAL_FIELDS)
                   + f", register_size, percent_in_sonar, report_id, report_status FROM region_figures WHERE {key} "
                   "ORDER BY year, quarter", params)
    if not totals:
        return None
    series = Series(region_name=totals[-1]["region_name"], region_code=totals[-1]["region_code"],
                    quarters=[(row["year"], row["quarter"]) for row in totals], totals=totals)
    only = ""
    if municipality is not None:
        only = f" AND lower({SERIES_KEY}) = lower(:municipality)"
        params["municipality"] = municipality
    for row in _rows(connection, f"SELECT {SERIES_KEY} AS series_key, year, quarter, report_id, "
                                 + ", ".join(TOTAL_FIELDS) + f" FROM municipality_figures WHERE {key}{only} "
                                 "ORDER BY position, year, quarter", params):
        series.municipalities.setdefault(row.pop("series_key"), {})[(row["year"], row["quarter"])] = row
    for points in series.municipalities.values():
        ordered = sorted(points.items())
        points.clear()
        points.update(ordered)
    report_ids = ", ".join(str(int(row["report_id"])) for row in totals)
    series.warnings = _rows(connection, 'SELECT f.id, f."check", f.municipality, f.field, f.expected, f.actual, '
                                        "r.id AS report_id, r.year, r.quarter FROM finding f "
                                        "JOIN report r ON r.id = f.report_id "
                                        f"WHERE f.severity = 'warning' AND f.report_id IN ({report_ids}) ORDER BY f.id")
    for warning in series.warnings:
        warning["expected"], warning["actual"] = number(warning["expected"]), number(warning["actual"])
    return series


def region_name(connection: Connection, region: str) -> str | None:
    """The stored spelling of a region name given in any case (so that the views' index on it is used)."""
    exact = connection.execute(text("SELECT region_name FROM report WHERE region_name = :name LIMIT 1"),
                               {"name": region}).scalar()
    if exact is not None:
        return str(exact)
    found = connection.execute(text("SELECT region_name FROM report WHERE lower(region_name) = lower(:name) "
                                    "LIMIT 1"), {"name": region}).scalar()
    return None if found is None else str(found)


def number(value: Any) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


def quarter_label(year: int, quarter: int) -> str:
    return f"{year} Q{quarter}"
