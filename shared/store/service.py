"""Writing reports. Functions take the session keyword-only; callers commit."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, CursorResult, bindparam, insert, select, text, update
from sqlalchemy.orm import configure_mappers
from sqlmodel import Session, SQLModel

from shared.crossquarter import CrossQuarterThresholds
from shared.identity import StoredVersion, choose_current, figures_sha256, region_key, version_status
from shared.models import ReportDocument, Row
from shared.store.quarters import (
    KnownReports,
    NewReport,
    Recheck,
    baseline_values,
    check_new,
    finding_values,
    location_json,
    neighbours,
    new_report,
    recheck_after_store,
)
from shared.store.tables import Delivery, Report, SourceFile, utcnow

_TABLES = SQLModel.metadata.tables  # source_file, report, report_row, finding, delivery
_SOURCES, _REPORTS, _DELIVERIES = _TABLES["source_file"], _TABLES["report"], _TABLES["delivery"]

# Built once: a statement object per call costs more than the insert it describes (SQLAlchemy
# coerces its clauses and computes its cache key each time).
_SELECT_SOURCE = select(_SOURCES).where(_SOURCES.c.sha256 == bindparam("sha256"), _SOURCES.c.status == "stored")
_SELECT_SOURCES = select(_SOURCES).where(_SOURCES.c.sha256.in_(bindparam("sha256s", expanding=True)),
                                         _SOURCES.c.status == "stored")
_SELECT_REPORT_OF_SOURCE = select(_REPORTS.c.id).where(_REPORTS.c.source_file_id == bindparam("source_id"))
_SELECT_DELIVERY = select(_DELIVERIES).where(_DELIVERIES.c.claim == bindparam("claim"))
_SELECT_VERSIONS = select(
    _REPORTS.c.id, _REPORTS.c.figures_sha256, _REPORTS.c.register_size, _REPORTS.c.percent_in_sonar,
    _REPORTS.c.status, _REPORTS.c.written_at,
    _REPORTS.c.pinned_at, _REPORTS.c.is_current, _REPORTS.c.version_status).where(
    _REPORTS.c.region_key == bindparam("region_key"), _REPORTS.c.year == bindparam("year"),
    _REPORTS.c.quarter == bindparam("quarter"))
_VERSION_COLUMNS = ("figures_sha256", "register_size", "percent_in_sonar", "status", "written_at", "is_current",
                    "version_status")
_SET_VERSION = update(_REPORTS).where(_REPORTS.c.id == bindparam("report_id")).values(
    is_current=bindparam("b_current"), version_status=bindparam("b_status"),
    superseded_by_id=bindparam("b_by"), superseded_at=bindparam("b_at"))
_INSERT = {name: insert(table) for name, table in _TABLES.items()}
# Several rows at once, their ids back in the order given (SQLAlchemy's "insertmanyvalues").
_INSERT_SOURCES_RETURNING = insert(_SOURCES).returning(_SOURCES.c.id, sort_by_parameter_order=True)
_INSERT_REPORTS_RETURNING = insert(_REPORTS).returning(_REPORTS.c.id, sort_by_parameter_order=True)
# A row's values as its table row has them (read off the model: its validated fields are plain values).
_ROW_COLUMNS = tuple(name for name in Row.model_fields if name != "location")
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

    @property
    def written_at(self) -> datetime:
        """When the file was written: its modification time, else when it was received."""
        if self.mtime_ns is None:
            return self.received_at
        return datetime.fromtimestamp(self.mtime_ns / 1e9, UTC)


def rows_of(*, connection: Connection, report_id: int) -> list[Row]:
    """A stored report's rows, in order."""
    rows = _TABLES["report_row"]
    found = connection.execute(select(rows).where(rows.c.report_id == report_id).order_by(rows.c.position)).all()
    return [Row.model_validate({**{k: v for k, v in row._mapping.items() if k not in ("id", "report_id", "position")},
                                "location": json.loads(row.location) if row.location else None}) for row in found]


def find_source(*, connection: Connection, sha256: str) -> SourceFile | None:
    """The stored source file with these bytes, as plain data (not attached to a session)."""
    found = connection.execute(_SELECT_SOURCE, {"sha256": sha256}).first()
    return SourceFile.model_construct(**found._mapping) if found is not None else None


def find_sources(*, connection: Connection, sha256s: list[str]) -> dict[str, SourceFile]:
    """The stored source files with any of these hashes, by hash (one query for a batch)."""
    if not sha256s:
        return {}
    found = connection.execute(_SELECT_SOURCES, {"sha256s": sorted(set(sha256s))}).all()
    return {row.sha256: SourceFile.model_construct(**row._mapping) for row in found}


def report_of_source(*, connection: Connection, source_id: int) -> int | None:
    return connection.execute(_SELECT_REPORT_OF_SOURCE, {"source_id": source_id}).scalar()


def find_delivery(*, connection: Connection, claim: str) -> Delivery | None:
    """The delivery committed for a claim, if any (a claim is committed once)."""
    found = connection.execute(_SELECT_DELIVERY, {"claim": claim}).first()
    return Delivery.model_construct(**found._mapping) if found is not None else None


def delivery_values(received: ReceivedFile, *, outcome: str, reason: str | None, path: str,
                    report_id: int | None = None, source_file_id: int | None = None) -> dict[str, Any]:
    """A delivery row, to insert with add_deliveries."""
    return {"claim": received.claim, "name": received.name, "name_bytes": received.name_bytes,
            "size": received.size, "sha256": received.sha256, "mtime_ns": received.mtime_ns,
            "dropped_at": received.dropped_at, "received_at": received.received_at, "committed_at": utcnow(),
            "outcome": outcome, "reason": reason, "path": path, "report_id": report_id,
            "source_file_id": source_file_id}


def add_deliveries(*, session: Session, deliveries: list[dict[str, Any]]) -> None:
    """Record how delivered files ended, in one statement (not committed). The unique claim makes a
    second commit of the same delivery fail (IntegrityError), which is how a redelivered job learns that
    its claim was committed."""
    if deliveries:
        session.connection().execute(_INSERT["delivery"], deliveries)


class StoreConflict(RuntimeError):
    """Another transaction changed the versions of this region and quarter; try again."""


@dataclass(frozen=True)
class VersionChange:
    """What storing a version did to its region and quarter."""

    current_id: int  # the current version now
    previous_current_id: int | None  # the current version before
    status: str  # of the new version: current, superseded or held


@dataclass(frozen=True)
class StoreResult:
    report: Report | None  # None when the figures equal those of a stored version, or queued
    source_file_id: int | None = None
    version: VersionChange | None = None
    same_as: Report | None = None
    rechecks: tuple[Recheck, ...] = ()  # cross-quarter checks run by this store
    queued: QueuedReport | None = None  # inserted with the batch's others (FirstVersions.flush)


@dataclass
class QueuedReport:
    """A first version waiting in a batch's queue; its ids are known once the queue is written."""

    group: tuple[str, int, int]
    source: dict[str, Any]
    values: dict[str, Any]  # the report row, but for its source
    record: ReportRecord
    checked: Recheck
    report_id: int | None = None
    source_file_id: int | None = None


class FirstVersions:
    """The first versions of their regions' quarters in a batch, queued and written together: the
    sources, reports, rows and findings of a whole batch in four statements instead of four per report
    (round trips on PostgreSQL, time inside SQLite's serialised write). Such a report needs nothing
    updated: it is current as inserted, and no later quarter is there to check again. A report of the
    same, the previous or the next quarter of a queued one has the queue written first (`takes`), so
    that it sees the queued one as stored. Only inside one transaction, with the batch's KnownReports."""

    def __init__(self, connection: Connection, known: KnownReports) -> None:
        self._connection = connection
        self._known = known
        self._queue: list[QueuedReport] = []
        self._groups: set[tuple[str, int, int]] = set()

    def takes(self, group: tuple[str, int, int]) -> bool:
        """Whether a new report of the group may wait in the queue (writing the queue first when the
        group touches a queued report)."""
        around = neighbours(group)
        if not all(self._known.covers(near) for near in around):
            return False
        if any(near in self._groups for near in around):
            self.flush()
        return not self._known.versions(group) and self._known.current(around[2]) is None

    def add(self, queued: QueuedReport) -> QueuedReport:
        self._queue.append(queued)
        self._groups.add(queued.group)
        return queued

    def flush(self) -> None:
        """Write the queued reports (not committed) and give each its ids."""
        queue, self._queue, self._groups = self._queue, [], set()
        if not queue:
            return
        connection = self._connection
        source_ids = connection.execute(_INSERT_SOURCES_RETURNING, [item.source for item in queue]).scalars().all()
        report_ids = connection.execute(_INSERT_REPORTS_RETURNING, [
            {**item.values, "source_file_id": source_id} for item, source_id in zip(queue, source_ids, strict=True)
        ]).scalars().all()
        rows: list[dict[str, Any]] = []
        findings: list[dict[str, Any]] = []
        for item, source_id, report_id in zip(queue, source_ids, report_ids, strict=True):
            item.source_file_id, item.report_id = source_id, report_id
            item.checked = dataclasses.replace(item.checked, report_id=report_id)
            rows += _rows_of_report(item.record, report_id)
            findings += _findings_of_report(item.record, item.checked, report_id)
            self._known.stored(item.group, [_inserted_version(report_id, item.values)],
                               dataclasses.replace(item.record.new, report_id=report_id))
        _insert_rows_and_findings(connection, rows, findings)


@dataclass(frozen=True)
class ReportRecord:
    """What a report document becomes in the tables, as far as the document alone decides it: worked
    out before the write (by a worker, while it parses), so that the write itself, which SQLite
    serialises, only binds the ids and runs the statements."""

    key: str  # the region key
    figures_sha256: str
    register: tuple[int, int] | None
    values: dict[str, Any]  # the report row, but for its ids, versions, baseline and times
    rows: list[dict[str, Any]]  # the report_row rows, but for report_id
    findings: list[dict[str, Any]]  # the reconciliation findings' rows, but for report_id
    new: NewReport  # for the cross-quarter checks, with report_id 0


def report_record(document: ReportDocument) -> ReportRecord:
    key = region_key(document.region)
    errors = sum(1 for finding in document.findings if finding.severity == "error")
    register = document.register
    values = {
        "region_code": document.region.code,
        "region_name": document.region.name,
        "region_key": key,
        "year": document.period.year,
        "quarter": document.period.quarter,
        **document.totals.model_dump(),
        "register_size": register.size if register else None,
        "percent_in_sonar": register.percent_in_sonar if register else None,
        "status": "findings" if errors else "ok",
        "finding_count": errors,
        "totals_location": location_json(document.totals_location),
        "register_location": location_json(register.location if register else None),
    }
    rows = [{"position": position, **{name: getattr(row, name) for name in _ROW_COLUMNS},
             "location": location_json(row.location)} for position, row in enumerate(document.rows)]
    return ReportRecord(key=key, figures_sha256=figures_sha256(document),
                        register=(register.size, register.percent_in_sonar) if register else None,
                        values=values, rows=rows, new=new_report(0, key, document),
                        findings=[finding_values(0, finding) for finding in document.findings])


def add_stored_report(*, session: Session, received: ReceivedFile, document: ReportDocument,
                      final_path: str, written_at: datetime | None = None,
                      thresholds: CrossQuarterThresholds | None = None, locked: bool = False,
                      known: KnownReports | None = None, record: ReportRecord | None = None,
                      precheck: Recheck | None = None, queue: FirstVersions | None = None) -> StoreResult:
    """Insert the source file, the report, its rows and findings (not committed), and decide which
    version of the region and quarter is current (shared/identity.py). A file whose figures equal those
    of any stored version is that version: nothing is added. Raises StoreConflict, or IntegrityError,
    when a concurrent store won.

    Core statements, not the ORM unit of work: this runs inside SQLite's write lock, so every
    millisecond here is a millisecond every other writer waits. `locked`: the caller took the region
    and quarter's lock already (lock_groups, once for a batch); `known`: what the batch read of the
    reports around its own (KnownReports), read in this transaction under those locks; `record`: the
    document's rows, worked out beforehand (report_record); `precheck`: its cross-quarter check, made
    beforehand (check_new), used when its baseline is still current; `queue`: where a first version of
    its quarter waits to be written with the batch's others (the result has it as `queued`)."""
    now = utcnow()
    record = record or report_record(document)
    key, period = record.key, document.period
    if not locked:
        lock_groups(session, [(key, period.year, period.quarter)])
    connection = session.connection()
    group = {"region_key": key, "year": period.year, "quarter": period.quarter}
    group_key = (key, period.year, period.quarter)
    if known is None or not known.covers(group_key):
        known = queue = None
    queueing = queue is not None and queue.takes(group_key)
    versions = known.versions(group_key) if known is not None else connection.execute(_SELECT_VERSIONS, group).all()
    for version in versions:
        stored_register = (version.register_size, version.percent_in_sonar) \
            if version.register_size is not None else None
        if version.figures_sha256 == record.figures_sha256 and (
                stored_register is None or record.register is None or stored_register == record.register):
            return StoreResult(report=None, same_as=Report.model_construct(
                id=version.id, **_source_of(connection, version.id)))
    source = _source_values(received=received, status="stored", reason=None, fmt=document.source.format,
                            final_path=final_path, now=now)
    # Checked against the previous quarter before the insert, so that the report is written whole at once.
    thresholds = thresholds or CrossQuarterThresholds()
    checked = check_new(connection, record.new, thresholds=thresholds, known=known, precomputed=precheck)
    values = {
        **record.values,
        "stored_at": now,
        "figures_sha256": record.figures_sha256,
        "written_at": written_at or received.received_at,
        # The first version of its region and quarter is current as inserted; another is settled below.
        "is_current": not versions,
        "version_status": "superseded" if versions else "current",
        **baseline_values(checked),
    }
    if queueing:
        assert queue is not None
        return StoreResult(report=None, queued=queue.add(QueuedReport(group_key, source, values, record, checked)))
    source_id = _inserted_id(connection.execute(_INSERT["source_file"], source))
    values["source_file_id"] = source_id
    report_id = _inserted_id(connection.execute(_INSERT["report"], values))
    new = dataclasses.replace(record.new, report_id=report_id)
    checked = dataclasses.replace(checked, report_id=report_id)
    _insert_rows_and_findings(connection, _rows_of_report(record, report_id),
                              _findings_of_report(record, checked, report_id))
    # The versions as they are now: those read above, and the one just inserted (not read back).
    inserted = _inserted_version(report_id, values)
    if versions:
        change, settled = _settle(connection, group, now=now, new_id=report_id, rows=[*versions, inserted])
    else:
        change, settled = VersionChange(current_id=report_id, previous_current_id=None, status="current"), [inserted]
    values.update(is_current=change.current_id == report_id, version_status=change.status)
    if known is not None:
        known.stored(group_key, settled, new)
    rechecks = recheck_after_store(connection, report_id=report_id, current_id=change.current_id,
                                   current_changed=change.current_id != change.previous_current_id,
                                   thresholds=thresholds, new=new, checked=checked, known=known)
    return StoreResult(report=Report.model_construct(id=report_id, **values), source_file_id=source_id,
                       version=change, rechecks=tuple(rechecks))


def _rows_of_report(record: ReportRecord, report_id: int) -> list[dict[str, Any]]:
    return [{**row, "report_id": report_id} for row in record.rows]


def _findings_of_report(record: ReportRecord, checked: Recheck, report_id: int) -> list[dict[str, Any]]:
    """The report's findings as rows: its reconciliation's and those against its previous quarter."""
    return [{**finding, "report_id": report_id} for finding in record.findings] + [
        finding_values(report_id, finding, against_report_id=checked.baseline_report_id)
        for finding in checked.findings]


def _insert_rows_and_findings(connection: Connection, rows: list[dict[str, Any]],
                              findings: list[dict[str, Any]]) -> None:
    connection.execute(_INSERT["report_row"], rows)
    if findings:
        connection.execute(_INSERT["finding"], findings)


def _inserted_version(report_id: int, values: dict[str, Any]) -> SimpleNamespace:
    """A version just inserted, as _SELECT_VERSIONS would read it (not read back)."""
    return SimpleNamespace(id=report_id, pinned_at=None, **{column: values[column] for column in _VERSION_COLUMNS})


def settle_versions(connection: Connection, group: dict[str, Any], *, now: datetime,
                    new_id: int | None = None, rows: list[Any] | None = None) -> VersionChange:
    """Decide the current version of one region and quarter and write every version's status; the old
    current version (if another) is cleared first, so the unique index holds at every statement.
    `rows`: the group's versions as _SELECT_VERSIONS reads them, when the caller has them."""
    if rows is None:
        rows = list(connection.execute(_SELECT_VERSIONS, group).all())
    return _settle(connection, group, now=now, new_id=new_id, rows=rows)[0]


def _settle(connection: Connection, group: dict[str, Any], *, now: datetime, new_id: int | None,
            rows: list[Any]) -> tuple[VersionChange, list[Any]]:
    """settle_versions, also returning the versions with their statuses as written."""
    versions = {row.id: StoredVersion(report_id=row.id, has_errors=row.status == "findings",
                                      written_at=_utc(row.written_at), pinned_at=row.pinned_at) for row in rows}
    previous = next((row.id for row in rows if row.is_current), None)
    current_id = choose_current(list(versions.values()))
    current = versions[current_id]
    statuses = {rid: version_status(version, current) for rid, version in versions.items()}
    if previous is not None and previous != current_id:
        connection.execute(_SET_VERSION, {"report_id": previous, "b_current": False, "b_status": statuses[previous],
                                          "b_by": current_id, "b_at": now})
    for row in rows:
        status = statuses[row.id]
        if row.id == previous and previous != current_id:
            continue
        if (row.version_status, row.is_current) != (status, status == "current") or row.id == new_id:
            connection.execute(_SET_VERSION, {
                "report_id": row.id, "b_current": status == "current", "b_status": status,
                "b_by": None if status == "current" else current_id, "b_at": None if status == "current" else now})
    settled = [SimpleNamespace(**{**(row._asdict() if hasattr(row, "_asdict") else vars(row)),
                                  "is_current": statuses[row.id] == "current", "version_status": statuses[row.id]})
               for row in rows]
    return VersionChange(current_id=current_id, previous_current_id=previous,
                         status=statuses[new_id] if new_id is not None else statuses[current_id]), settled


class NoSuchReport(LookupError):
    pass


def pin_report(*, session: Session, report_id: int, pinned: bool, by: str,
               thresholds: CrossQuarterThresholds | None = None) -> VersionChange:
    """Make a version current by hand (pinned), or take the pin away (not committed). A pin wins until
    another pin of the same region and quarter, or until it is taken away."""
    connection = session.connection()
    found = connection.execute(select(_REPORTS.c.region_key, _REPORTS.c.year, _REPORTS.c.quarter)
                               .where(_REPORTS.c.id == report_id)).first()
    if found is None:
        raise NoSuchReport(f"no report {report_id}")
    group = {"region_key": found.region_key, "year": found.year, "quarter": found.quarter}
    lock_groups(session, [(found.region_key, found.year, found.quarter)])
    now = utcnow()
    in_group = (_REPORTS.c.region_key == found.region_key) & (_REPORTS.c.year == found.year) & \
        (_REPORTS.c.quarter == found.quarter)
    connection.execute(update(_REPORTS).where(in_group).values(pinned_at=None, pinned_by=None))
    if pinned:
        connection.execute(update(_REPORTS).where(_REPORTS.c.id == report_id).values(pinned_at=now, pinned_by=by))
    change = settle_versions(connection, group, now=now)
    if change.current_id != change.previous_current_id:
        recheck_after_store(connection, report_id=change.current_id, current_id=change.current_id,
                            current_changed=True, thresholds=thresholds or CrossQuarterThresholds())
    return change


def _source_of(connection: Connection, report_id: int) -> dict[str, Any]:
    found = connection.execute(select(_REPORTS.c.source_file_id).where(_REPORTS.c.id == report_id)).scalar()
    return {"source_file_id": found}


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _inserted_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def lock_groups(session: Session, groups: list[tuple[str, int, int]]) -> None:
    """Take the locks of the regions and quarters a write touches (a batch's, or one), in one order for
    every writer, so that two writers never wait for each other's locks in a cycle (PostgreSQL).

    A writer reads the current reports of the quarters before and after its own (the cross-quarter
    checks) and may check the next one again: so it holds its own quarters exclusively and their
    neighbours shared. Two writers of consecutive quarters then take turns, and the later one sees
    the other's report; with only their own quarters locked, neither saw the other's uncommitted
    report and the later quarter was never checked against the earlier one. Writers of quarters
    further apart still run side by side."""
    if not groups or session.get_bind().dialect.name != "postgresql":
        return
    own = {_lock_key(group) for group in groups}
    around = {_lock_key(near) for group in groups for near in neighbours(group)} - own
    keys = sorted(own | around)
    session.connection().execute(_LOCK_GROUPS, {"keys": keys, "exclusive": [key in own for key in keys]})


def _lock_key(group: tuple[str, int, int]) -> str:
    region, year, quarter = group
    return f"{region}|{year}|{quarter}"


# Each distinct lock once (keys of equal hash as one, exclusive if any is), in the order of their hashes.
_LOCK_GROUPS = text(
    "SELECT CASE WHEN exclusive THEN pg_advisory_xact_lock(h) ELSE pg_advisory_xact_lock_shared(h) END "
    "FROM (SELECT hashtext(k) AS h, bool_or(x) AS exclusive "
    "FROM unnest(CAST(:keys AS text[]), CAST(:exclusive AS boolean[])) AS t(k, x) "
    "GROUP BY hashtext(k) ORDER BY h) AS ordered")


def _source_values(*, received: ReceivedFile, status: str, reason: str | None, fmt: str | None, final_path: str,
                   now: datetime) -> dict[str, Any]:
    return {"sha256": received.sha256, "name": received.name, "received_path": received.received_path,
            "size": received.size, "format": fmt, "status": status, "reason": reason,
            "received_at": received.received_at, "stored_at": now, "final_path": final_path}
