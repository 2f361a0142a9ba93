"""Reading and writing reports. Functions take the session keyword-only; callers commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session, col, select

from shared.models import (
    TOTAL_FIELDS,
    Counts,
    Period,
    Region,
    Register,
    ReportDocument,
    Row,
    Source,
)
from shared.models import Finding as FindingModel
from shared.store.tables import Finding, Report, ReportRow, SourceFile, utcnow


@dataclass(frozen=True)
class ReceivedFile:
    """What the worker knows of a file before deciding where it goes."""

    sha256: str
    name: str
    received_path: str
    size: int
    received_at: datetime


def find_source(*, session: Session, sha256: str) -> SourceFile | None:
    return session.exec(select(SourceFile).where(SourceFile.sha256 == sha256)).first()


def add_stored_report(*, session: Session, received: ReceivedFile, document: ReportDocument,
                      final_path: str) -> Report:
    """Insert the source file, the report, its rows and findings (not committed)."""
    now = utcnow()
    source = _add_source(session=session, received=received, status="stored", reason=None,
                         fmt=document.source.format, final_path=final_path, now=now)
    report = Report.model_validate({
        "source_file_id": source.id,
        "region_code": document.region.code,
        "region_name": document.region.name,
        "year": document.period.year,
        "quarter": document.period.quarter,
        **document.totals.model_dump(),
        "register_size": document.register.size if document.register else None,
        "percent_in_sonar": document.register.percent_in_sonar if document.register else None,
        "status": "findings" if document.findings else "ok",
        "finding_count": len(document.findings),
        "stored_at": now,
    })
    session.add(report)
    session.flush()
    # Core inserts: several times cheaper than ORM objects for the many small rows.
    session.exec(insert(ReportRow), params=[
        {"report_id": report.id, "position": position, **row.model_dump()}
        for position, row in enumerate(document.rows)
    ])
    if document.findings:
        session.exec(insert(Finding), params=[
            {"report_id": report.id, **finding.model_dump()} for finding in document.findings
        ])
    return report


def add_quarantined_file(*, session: Session, received: ReceivedFile, reason: str, fmt: str | None,
                         final_path: str) -> SourceFile:
    """Record a file that is not a readable report (not committed)."""
    return _add_source(session=session, received=received, status="quarantined", reason=reason, fmt=fmt,
                       final_path=final_path, now=utcnow())


def _add_source(*, session: Session, received: ReceivedFile, status: str, reason: str | None,
                fmt: str | None, final_path: str, now: datetime) -> SourceFile:
    source = SourceFile.model_validate({
        "sha256": received.sha256, "name": received.name, "received_path": received.received_path,
        "size": received.size, "format": fmt, "status": status, "reason": reason,
        "received_at": received.received_at, "stored_at": now, "final_path": final_path,
    })
    session.add(source)
    session.flush()
    return source


def list_documents(*, session: Session) -> list[ReportDocument]:
    """Every stored report as a contract document, findings included, oldest first."""
    pairs = session.exec(
        select(Report, SourceFile).join(SourceFile, col(Report.source_file_id) == col(SourceFile.id))
        .order_by(col(Report.id))
    ).all()
    report_ids = [report.id for report, _ in pairs]
    rows_by_report: dict[int, list[Row]] = {rid: [] for rid in report_ids}
    findings_by_report: dict[int, list[FindingModel]] = {rid: [] for rid in report_ids}
    if report_ids:
        for row in session.exec(select(ReportRow).where(col(ReportRow.report_id).in_(report_ids))
                                .order_by(col(ReportRow.report_id), col(ReportRow.position))):
            rows_by_report[row.report_id].append(Row.model_validate(row.model_dump(
                exclude={"id", "report_id", "position"})))
        for finding in session.exec(select(Finding).where(col(Finding.report_id).in_(report_ids))
                                    .order_by(col(Finding.id))):
            findings_by_report[finding.report_id].append(_finding_model(finding))
    return [_document(report, source, rows_by_report[report.id], findings_by_report[report.id])  # type: ignore[index]
            for report, source in pairs]


def _finding_model(finding: Finding) -> FindingModel:
    return FindingModel.model_validate({
        "check": finding.check, "severity": finding.severity, "municipality": finding.municipality,
        "field": finding.field, "expected": _number(finding.expected), "actual": _number(finding.actual),
    })


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _document(report: Report, source: SourceFile, rows: list[Row],
              findings: list[FindingModel]) -> ReportDocument:
    register = (Register(size=report.register_size, percent_in_sonar=report.percent_in_sonar)
                if report.register_size is not None and report.percent_in_sonar is not None else None)
    return ReportDocument(
        source=Source(path=source.received_path, sha256=source.sha256, format=source.format),  # type: ignore[arg-type]
        region=Region(code=report.region_code, name=report.region_name),
        period=Period(year=report.year, quarter=report.quarter),
        rows=tuple(rows),
        totals=Counts(**{name: getattr(report, name) for name in TOTAL_FIELDS}),
        register=register,
        findings=tuple(findings),
    )
