"""Writing reports. Functions take the session keyword-only; callers commit."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, CursorResult, bindparam, insert, select, text, update
from sqlalchemy.orm import configure_mappers
from sqlmodel import Session, SQLModel

from shared.models import ReportDocument
from shared.store.tables import Delivery, Report, SourceFile, utcnow

_TABLES = SQLModel.metadata.tables  # source_file, report, report_row, finding, delivery
_SOURCES, _REPORTS, _DELIVERIES = _TABLES["source_file"], _TABLES["report"], _TABLES["delivery"]

# Built once: a statement object per call costs more than the insert it describes (SQLAlchemy
# coerces its clauses and computes its cache key each time).
_SELECT_SOURCE = select(_SOURCES).where(_SOURCES.c.sha256 == bindparam("sha256"), _SOURCES.c.status == "stored")
_SELECT_REPORT_OF_SOURCE = select(_REPORTS.c.id).where(_REPORTS.c.source_file_id == bindparam("source_id"))
_SELECT_DELIVERY = select(_DELIVERIES).where(_DELIVERIES.c.claim == bindparam("claim"))
_SELECT_CURRENT = select(_REPORTS.c.id, _REPORTS.c.content_sha256).where(
    _REPORTS.c.region_name == bindparam("region_name"), _REPORTS.c.year == bindparam("year"),
    _REPORTS.c.quarter == bindparam("quarter"), _REPORTS.c.is_current.is_(True))
_RETIRE_CURRENT = update(_REPORTS).where(_REPORTS.c.id == bindparam("current_id"), _REPORTS.c.is_current).values(
    is_current=False, superseded_at=bindparam("now"))
_LINK_SUPERSEDED = update(_REPORTS).where(_REPORTS.c.id == bindparam("current_id")).values(
    superseded_by_id=bindparam("new_id"))
_INSERT = {name: insert(table) for name, table in _TABLES.items()}
# The results below are built with model_construct, which needs the mappers set up; no ORM query
# may have run yet in this process to do that.
configure_mappers()


@dataclass(frozen=True)
class ReceivedFile:
    """What the worker knows of a delivered file before deciding where it goes."""

    claim: str
    name: str
    name_bytes: bytes
    received_path: str
    size: int | None
    sha256: str | None
    mtime_ns: int | None
    dropped_at: datetime | None
    received_at: datetime


def find_source(*, connection: Connection, sha256: str) -> SourceFile | None:
    """The stored source file with these bytes, as plain data (not attached to a session)."""
    found = connection.execute(_SELECT_SOURCE, {"sha256": sha256}).first()
    return SourceFile.model_construct(**found._mapping) if found is not None else None


def report_of_source(*, connection: Connection, source_id: int) -> int | None:
    return connection.execute(_SELECT_REPORT_OF_SOURCE, {"source_id": source_id}).scalar()


def find_delivery(*, connection: Connection, claim: str) -> Delivery | None:
    """The delivery committed for a claim, if any (a claim is committed once)."""
    found = connection.execute(_SELECT_DELIVERY, {"claim": claim}).first()
    return Delivery.model_construct(**found._mapping) if found is not None else None


def add_delivery(*, session: Session, received: ReceivedFile, outcome: str, reason: str | None, path: str,
                 report_id: int | None = None, source_file_id: int | None = None) -> None:
    """Record how a delivered file ended (not committed). The unique claim makes a second commit of
    the same delivery fail, which is how a redelivered job learns that its claim was committed."""
    session.connection().execute(_INSERT["delivery"], {
        "claim": received.claim, "name": received.name, "name_bytes": received.name_bytes,
        "size": received.size, "sha256": received.sha256, "mtime_ns": received.mtime_ns,
        "dropped_at": received.dropped_at, "received_at": received.received_at, "committed_at": utcnow(),
        "outcome": outcome, "reason": reason, "path": path, "report_id": report_id,
        "source_file_id": source_file_id})


class StoreConflict(RuntimeError):
    """Another transaction changed the current report of this region and quarter; try again."""


@dataclass(frozen=True)
class StoreResult:
    report: Report | None  # None when the figures equal the current report's
    source_file_id: int | None = None
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
    found = connection.execute(_SELECT_CURRENT, {"region_name": document.region.name,
                                                 "year": document.period.year,
                                                 "quarter": document.period.quarter}).first()
    current = session.get(Report, found.id) if found is not None else None
    if current is not None and current.content_sha256 == content:
        return StoreResult(report=None, same_as=current)
    if current is not None:
        retired = connection.execute(_RETIRE_CURRENT, {"current_id": current.id, "now": now})
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
    report_id = _inserted_id(connection.execute(_INSERT["report"], values))
    if current is not None:
        connection.execute(_LINK_SUPERSEDED, {"current_id": current.id, "new_id": report_id})
    connection.execute(_INSERT["report_row"], [
        {"report_id": report_id, "position": position, **row.model_dump()}
        for position, row in enumerate(document.rows)
    ])
    if document.findings:
        connection.execute(_INSERT["finding"], [
            {"report_id": report_id, **finding.model_dump()} for finding in document.findings
        ])
    return StoreResult(report=Report.model_construct(id=report_id, **values), source_file_id=source_id,
                       superseded=current)


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


def _insert_source(*, session: Session, received: ReceivedFile, status: str, reason: str | None,
                   fmt: str | None, final_path: str, now: datetime) -> int:
    return _inserted_id(session.connection().execute(_INSERT["source_file"], {
        "sha256": received.sha256, "name": received.name, "received_path": received.received_path,
        "size": received.size, "format": fmt, "status": status, "reason": reason,
        "received_at": received.received_at, "stored_at": now, "final_path": final_path}))
