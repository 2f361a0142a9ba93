"""Writing reports. Functions take the session keyword-only; callers commit."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, insert, text, update
from sqlmodel import Session, SQLModel, select

from shared.models import ReportDocument
from shared.store.tables import Report, SourceFile, utcnow

_TABLES = SQLModel.metadata.tables  # source_file, report, report_row, finding


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


class StoreConflict(RuntimeError):
    """Another transaction changed the current report of this region and quarter; try again."""


@dataclass(frozen=True)
class StoreResult:
    report: Report | None  # None when the figures equal the current report's
    superseded: Report | None = None
    same_as: Report | None = None


def content_sha256(document: ReportDocument) -> str:
    """A hash of the figures alone, so that one report in two formats hashes the same."""
    figures = document.model_dump(mode="json", include={"region", "period", "rows", "totals", "register"})
    return hashlib.sha256(json.dumps(figures, sort_keys=True).encode()).hexdigest()


def add_stored_report(*, session: Session, received: ReceivedFile, document: ReportDocument,
                      final_path: str) -> StoreResult:
    """Insert the source file, the report, its rows and findings (not committed). A report for a
    region and quarter already stored with other figures supersedes it; with the same figures
    nothing is added. Raises StoreConflict, or IntegrityError, when a concurrent store won.

    Core statements, not the ORM unit of work: this runs inside SQLite's write lock, so every
    millisecond here is a millisecond every other writer waits."""
    now = utcnow()
    content = content_sha256(document)
    _lock_region_period(session, document)
    connection = session.connection()
    reports = _TABLES["report"]
    found = connection.execute(select(reports.c.id, reports.c.content_sha256).where(
        reports.c.region_name == document.region.name, reports.c.year == document.period.year,
        reports.c.quarter == document.period.quarter, reports.c.is_current.is_(True))).first()
    current = session.get(Report, found.id) if found is not None else None
    if current is not None and current.content_sha256 == content:
        return StoreResult(report=None, same_as=current)
    if current is not None:
        retired = connection.execute(update(reports).where(reports.c.id == current.id, reports.c.is_current)
                                     .values(is_current=False, superseded_at=now))
        if retired.rowcount != 1:
            raise StoreConflict(f"report {current.id} was superseded concurrently")
    source_id = _insert_source(session=session, received=received, status="stored", reason=None,
                               fmt=document.source.format, final_path=final_path, now=now)
    values = {
        "source_file_id": source_id,
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
        "content_sha256": content,
        "is_current": True,
    }
    report_id = _inserted_id(connection.execute(insert(reports).values(values)))
    if current is not None:
        connection.execute(update(reports).where(reports.c.id == current.id).values(superseded_by_id=report_id))
    connection.execute(insert(_TABLES["report_row"]), [
        {"report_id": report_id, "position": position, **row.model_dump()}
        for position, row in enumerate(document.rows)
    ])
    if document.findings:
        connection.execute(insert(_TABLES["finding"]), [
            {"report_id": report_id, **finding.model_dump()} for finding in document.findings
        ])
    return StoreResult(report=Report.model_construct(id=report_id, **values), superseded=current)


def _inserted_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _lock_region_period(session: Session, document: ReportDocument) -> None:
    """Queue writers of one region and quarter behind each other (PostgreSQL; SQLite's BEGIN
    IMMEDIATE already serialises all writers). The unique index stays the guarantee."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = f"{document.region.name}|{document.period.year}|{document.period.quarter}"
    session.exec(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), params={"key": key})  # type: ignore[call-overload]


def add_quarantined_file(*, session: Session, received: ReceivedFile, reason: str, fmt: str | None,
                         final_path: str) -> int:
    """Record a file that is not a readable report (not committed); returns its source_file id."""
    return _insert_source(session=session, received=received, status="quarantined", reason=reason, fmt=fmt,
                          final_path=final_path, now=utcnow())


def _insert_source(*, session: Session, received: ReceivedFile, status: str, reason: str | None,
                   fmt: str | None, final_path: str, now: datetime) -> int:
    return _inserted_id(session.connection().execute(insert(_TABLES["source_file"]).values(
        sha256=received.sha256, name=received.name, received_path=received.received_path, size=received.size,
        format=fmt, status=status, reason=reason, received_at=received.received_at, stored_at=now,
        final_path=final_path)))
