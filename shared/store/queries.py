"""Reading what is stored: contract documents, the consumer views, findings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy import text
from sqlmodel import Session

from shared.models import (
    TOTAL_FIELDS,
    Counts,
    Location,
    Period,
    Region,
    Register,
    ReportDocument,
    Row,
    Source,
    Version,
)
from shared.models import Finding as FindingModel
from shared.reference import region_code
from shared.store.tables import Finding, Report, ReportRow, SourceFile


@dataclass(frozen=True)
class ReportFilter:
    """Which reports: by region (name, case-insensitive, or code), year and quarter."""

    region: str | None = None
    year: int | None = None
    quarter: int | None = None
    include_superseded: bool = False

    def sql(self, alias: str = "") -> tuple[str, dict[str, Any]]:
        """A WHERE clause (or '') with its parameters, for the views and the report table."""
        prefix = f"{alias}." if alias else ""
        clauses: list[str] = []
        params: dict[str, Any] = {}
        if self.region is not None:
            code = int(self.region) if self.region.isdigit() else region_code(self.region)
            if code is not None:  # a number, or a name or spelling the reference knows
                clauses.append(f"{prefix}region_code = :region_code")
                params["region_code"] = code
            else:
                clauses.append(f"lower({prefix}region_name) = lower(:region_name)")
                params["region_name"] = self.region
        if self.year is not None:
            clauses.append(f"{prefix}year = :year")
            params["year"] = self.year
        if self.quarter is not None:
            clauses.append(f"{prefix}quarter = :quarter")
            params["quarter"] = self.quarter
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def list_documents(*, session: Session, where: ReportFilter | None = None) -> list[ReportDocument]:
    """Stored reports as contract documents, findings included, oldest first (current ones only
    unless the filter includes superseded reports)."""
    where = where or ReportFilter()
    clause, params = where.sql("r")
    if not where.include_superseded:
        clause = (clause + " AND " if clause else " WHERE ") + "r.is_current"
    ids = [row[0] for row in session.exec(text(f"SELECT r.id FROM report r{clause} ORDER BY r.id"),  # type: ignore[call-overload]
                                          params=params)]
    return documents_by_id(session=session, ids=ids, with_version=where.include_superseded)


def documents_by_id(*, session: Session, ids: list[int], with_version: bool = False) -> list[ReportDocument]:
    """These reports as contract documents, findings included, in the order of their ids. Read with
    Core rows, not ORM objects: a page of 100 documents is 1,200 rows, and ORM objects cost 3x more."""
    if not ids:
        return []
    report, source, report_row, finding = (table.__table__ for table in  # type: ignore[union-attr]
                                           (Report, SourceFile, ReportRow, Finding))
    connection = session.connection()
    reports = connection.execute(sa_select(report).where(report.c.id.in_(ids)).order_by(report.c.id)).all()
    sources = {row.id: row for row in connection.execute(
        sa_select(source.c.id, source.c.received_path, source.c.sha256, source.c.format)
        .where(source.c.id.in_([r.source_file_id for r in reports])))}
    rows: dict[int, list[Row]] = {rid: [] for rid in ids}
    findings: dict[int, list[FindingModel]] = {rid: [] for rid in ids}
    row_columns = [report_row.c[name] for name in Row.model_fields]
    for report_id, *values in connection.execute(
            sa_select(report_row.c.report_id, *row_columns).where(report_row.c.report_id.in_(ids))
            .order_by(report_row.c.report_id, report_row.c.position)):
        data = dict(zip(Row.model_fields, values, strict=True))
        rows[report_id].append(Row.model_validate({**data, "location": _json(data["location"])}))
    for found in connection.execute(sa_select(finding).where(finding.c.report_id.in_(ids)).order_by(finding.c.id)):
        findings[found.report_id].append(finding_model(found))  # type: ignore[arg-type]
    baselines = {r.baseline_report_id for r in reports if r.baseline_report_id is not None}
    periods = {found.id: Period(year=found.year, quarter=found.quarter) for found in connection.execute(
        sa_select(report.c.id, report.c.year, report.c.quarter).where(report.c.id.in_(baselines)))} \
        if baselines else {}
    return [_document(r, sources[r.source_file_id], rows[r.id], findings[r.id],  # type: ignore[arg-type]
                      with_version=with_version, compared_with=periods.get(r.baseline_report_id))
            for r in reports]


def consumer_rows(*, session: Session, view: str, where: ReportFilter | None = None) -> list[dict[str, Any]]:
    """Rows of a consumer view (`municipality_figures` or `region_figures`), in a stable order."""
    if view not in ("municipality_figures", "region_figures"):
        raise ValueError(f"unknown view {view!r}")
    clause, params = (where or ReportFilter()).sql()
    order = "region_name, year, quarter" + (", position" if view == "municipality_figures" else "")
    result = session.exec(text(f"SELECT * FROM {view}{clause} ORDER BY {order}"), params=params)  # type: ignore[call-overload]
    return [dict(row._mapping) for row in result]


def list_findings(*, session: Session, where: ReportFilter | None = None) -> list[dict[str, Any]]:
    """Stored findings with their report and file, newest first."""
    clause, params = (where or ReportFilter(include_superseded=True)).sql("r")
    result = session.exec(text(  # type: ignore[call-overload]
        "SELECT f.id, f.\"check\", f.severity, f.municipality, f.municipality_code, f.field, f.expected, f.actual, "
        "f.compared_year, f.compared_quarter, f.method, f.location, "
        "r.id AS report_id, r.region_code, r.region_name, r.year, r.quarter, r.is_current, r.stored_at, "
        "s.name AS file, s.sha256, s.final_path AS archived_path "
        f"FROM finding f JOIN report r ON r.id = f.report_id JOIN source_file s ON s.id = r.source_file_id"
        f"{clause} ORDER BY r.stored_at DESC, f.id"), params=params)
    findings = []
    for row in result:
        location = _json(row.location)
        label = row.municipality or ("TOTAAL AMR" if row.check == "column_total" else "footnote")
        described = Location.model_validate(location).describe(label) if location else None
        findings.append({**row._mapping, "expected": _number(row.expected), "actual": _number(row.actual),
                         "location": location, "where": described})
    return findings


def finding_model(finding: Finding) -> FindingModel:
    compared = (Period(year=finding.compared_year, quarter=finding.compared_quarter)
                if finding.compared_year is not None and finding.compared_quarter is not None else None)
    return FindingModel.model_validate({
        "check": finding.check, "severity": finding.severity, "municipality": finding.municipality,
        "field": finding.field, "expected": _number(finding.expected), "actual": _number(finding.actual),
        "municipality_code": finding.municipality_code, "compared_with": compared, "method": finding.method,
        "bounds": json.loads(finding.bounds) if finding.bounds else None,
        "location": _json(finding.location),
    })


def _json(value: str | None) -> Any:
    return json.loads(value) if value else None


def _number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _document(report: Report, source: SourceFile, rows: list[Row], findings: list[FindingModel], *,
              with_version: bool = False, compared_with: Period | None = None) -> ReportDocument:
    register = (Register(size=report.register_size, percent_in_sonar=report.percent_in_sonar,
                         location=_json(report.register_location))
                if report.register_size is not None and report.percent_in_sonar is not None else None)
    return ReportDocument(
        source=Source(path=source.received_path, sha256=source.sha256, format=source.format),  # type: ignore[arg-type]
        region=Region(code=report.region_code, name=report.region_name),
        period=Period(year=report.year, quarter=report.quarter),
        rows=tuple(rows),
        totals=Counts(**{name: getattr(report, name) for name in TOTAL_FIELDS}),
        register=register,
        findings=tuple(findings),
        totals_location=_json(report.totals_location),
        version=Version(status=report.version_status, pinned=report.pinned_at is not None,  # type: ignore[arg-type]
                        written_at=_utc_iso(report.written_at)) if with_version else None,
        compared_with=compared_with,
    )


def _utc_iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
