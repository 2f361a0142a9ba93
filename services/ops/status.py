"""`klantprofielen status`: gather what ops wants on one screen (pure-ish functions), then render it.

Each part is gathered on its own: a broker or database that cannot be reached makes that part
'unknown' and adds a line to `problems`, instead of hiding the rest."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import func
from sqlmodel import Session, col, select

from services.broker import redis_client
from services.ops.health import (
    DatabaseMissing,
    control_client,
    first_line,
    plain_engine,
    require_schema_at_head,
)
from shared.claims import WorkFolder, read_claim_info
from shared.config import Settings
from shared.files import is_temporary_name
from shared.jobs import INGEST_QUEUE
from shared.store.migrate import SchemaNotCurrent
from shared.store.tables import Delivery, Finding, Outcome, Report

BROKER_TIMEOUT_SECONDS = 1.0
RECENT_QUARANTINED = 10
# kombu keeps a Redis queue as one list per priority step (0, 3, 6, 9); only step 0 is used today.
_PRIORITY_SEP = "\x06\x16"
QUEUE_KEYS = (INGEST_QUEUE, *(f"{INGEST_QUEUE}{_PRIORITY_SEP}{step}" for step in (3, 6, 9)))


@dataclass(frozen=True)
class QuarantinedFile:
    name: str
    reason: str
    stored_at: datetime


@dataclass(frozen=True)
class StoreSummary:
    reports_today: int
    reports_with_findings_24h: int
    findings_24h: int
    quarantined_total: int
    quarantined_recent: list[QuarantinedFile]


@dataclass(frozen=True)
class PendingClaims:
    """Files claimed from the inbox that have not reached their end state yet."""

    count: int
    oldest_age_seconds: float | None


@dataclass
class OpsStatus:
    generated_at: datetime
    inbox: str
    inbox_waiting: int | None = None
    claims_pending: PendingClaims | None = None
    queued: int | None = None
    workers_answering: int | None = None
    in_progress: int | None = None
    store: StoreSummary | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def last_error(self) -> QuarantinedFile | None:
        """The newest quarantined file: the last thing the service could not ingest."""
        recent = self.store.quarantined_recent if self.store else []
        return recent[0] if recent else None


def count_waiting(inbox: Path) -> int:
    """Complete files waiting in the inbox (temporary names are still being written)."""
    with os.scandir(inbox) as entries:
        return sum(1 for entry in entries
                   if entry.is_file(follow_symlinks=False) and not is_temporary_name(entry.name))


def pending_claims(inbox: Path, now: datetime) -> PendingClaims:
    """Claims in the work folder and the age of the oldest (from when its file was judged complete)."""
    work = WorkFolder.of_inbox(inbox)
    claims = work.list_claims()
    if not claims:
        return PendingClaims(0, None)
    oldest = read_claim_info(work, claims[0])
    since = oldest.dropped_at or oldest.claimed_at
    if since is None:
        since = datetime.fromtimestamp(os.lstat(work.claimed / claims[0]).st_mtime, UTC)
    return PendingClaims(len(claims), max(0.0, (now - since).total_seconds()))


def queued_jobs(client: redis.Redis) -> int:
    """Jobs waiting in the broker's ingest queue (not yet taken by a worker)."""
    return sum(int(client.llen(key)) for key in QUEUE_KEYS)


def jobs_in_progress(settings: Settings, timeout: float) -> tuple[int, int] | None:
    """(workers answering, tasks they are running), or None when no worker answers."""
    app = control_client(settings, timeout)
    try:
        active = app.control.inspect(timeout=timeout).active()
    finally:
        app.close()
    if not active:
        return None
    return len(active), sum(len(tasks or []) for tasks in active.values())


def store_summary(session: Session, now: datetime) -> StoreSummary:
    """Counts from the database: reports today (UTC), findings in 24 h, quarantined files."""
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    since = now - timedelta(hours=24)
    reports_today = session.exec(select(func.count()).select_from(Report)
                                 .where(col(Report.stored_at) >= midnight)).one()
    with_findings = session.exec(select(func.count()).select_from(Report).where(
        col(Report.stored_at) >= since, col(Report.status) == "findings")).one()
    findings = session.exec(select(func.count()).select_from(Finding)
                            .join(Report, col(Finding.report_id) == col(Report.id))
                            .where(col(Report.stored_at) >= since)).one()
    quarantined = session.exec(select(func.count()).select_from(Delivery)
                               .where(col(Delivery.outcome) == Outcome.QUARANTINED.value)).one()
    recent = session.exec(select(Delivery).where(col(Delivery.outcome) == Outcome.QUARANTINED.value)
                          .order_by(col(Delivery.committed_at).desc(), col(Delivery.id).desc())
                          .limit(RECENT_QUARANTINED)).all()
    return StoreSummary(
        reports_today=reports_today, reports_with_findings_24h=with_findings, findings_24h=findings,
        quarantined_total=quarantined,
        quarantined_recent=[QuarantinedFile(name=row.name, reason=row.reason or "",
                                            stored_at=_utc(row.committed_at)) for row in recent])


def gather_status(settings: Settings, *, now: datetime | None = None,
                  timeout: float = BROKER_TIMEOUT_SECONDS, ask_workers: bool = True,
                  read_store: bool = True) -> OpsStatus:
    """Everything `status` shows; parts that cannot be read stay None and add a problem line
    (read_store=False leaves the database part to a caller with its own connections: the web view)."""
    now = now or datetime.now(UTC)
    status = OpsStatus(generated_at=now, inbox=str(settings.inbox))
    try:
        status.inbox_waiting = count_waiting(settings.inbox)
        status.claims_pending = pending_claims(settings.inbox, now)
    except OSError as exc:
        status.problems.append(f"inbox {settings.inbox}: {exc.strerror or exc}")
    client = redis_client(settings.effective_broker_url, timeout)
    try:
        status.queued = queued_jobs(client)
    except (redis.RedisError, OSError) as exc:
        status.problems.append(f"broker: {type(exc).__name__}: {first_line(exc)}")
    finally:
        client.close()
    if ask_workers and status.queued is not None:
        try:
            progress = jobs_in_progress(settings, timeout)
        except Exception as exc:  # noqa: BLE001 - remote control failures vary by transport
            status.problems.append(f"workers: {type(exc).__name__}: {first_line(exc)}")
        else:
            if progress is not None:
                status.workers_answering, status.in_progress = progress
    if not read_store:
        return status
    try:
        # A plain engine: reading the status must not create or upgrade the database.
        engine = plain_engine(settings.effective_database_url)
        try:
            require_schema_at_head(engine)
            with Session(engine) as session:
                status.store = store_summary(session, now)
        finally:
            engine.dispose()
    except (DatabaseMissing, SchemaNotCurrent) as exc:
        status.problems.append(f"database: {exc}")
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy and driver errors: one line
        status.problems.append(f"database: {type(exc).__name__}: {first_line(exc)}")
    return status


def status_as_dict(status: OpsStatus) -> dict[str, Any]:
    """The status as JSON-ready data (datetimes as UTC ISO strings)."""
    data = asdict(status)
    last = status.last_error
    data["last_error"] = asdict(last) if last else None
    return _iso(data)  # type: ignore[no-any-return]


def render_status(status: OpsStatus) -> str:
    """The one-screen text version."""
    def show(value: int | None) -> str:
        return "unknown" if value is None else str(value)

    store = status.store
    if status.in_progress is not None:
        workers = f"{status.in_progress} (on {status.workers_answering} worker(s))"
    else:
        workers = "unknown" + (" (no worker answered)" if status.queued is not None else "")
    lines = [
        f"klantprofielen status at {status.generated_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC",
        f"  waiting in inbox        {show(status.inbox_waiting)}  ({status.inbox})",
        f"  claims pending          {_describe_claims(status.claims_pending)}",
        f"  queued in broker        {show(status.queued)}",
        f"  in progress             {workers}",
        f"  reports stored today    {show(store.reports_today if store else None)}  (UTC day)",
        f"  findings last 24 h      {show(store.findings_24h if store else None)}"
        + (f"  in {store.reports_with_findings_24h} report(s)" if store else ""),
        f"  quarantined (all time)  {show(store.quarantined_total if store else None)}",
    ]
    last = status.last_error
    lines.append(f"  last error              {_describe(last) if last else 'none'}")
    if store and store.quarantined_recent:
        lines.append(f"recently quarantined (newest first, last {RECENT_QUARANTINED}):")
        lines += [f"  {_describe(item)}" for item in store.quarantined_recent]
    if status.problems:
        lines.append("could not read:")
        lines += [f"  {problem}" for problem in status.problems]
    return "\n".join(lines)


def _describe_claims(claims: PendingClaims | None) -> str:
    if claims is None:
        return "unknown"
    if not claims.count or claims.oldest_age_seconds is None:
        return str(claims.count)
    return f"{claims.count}  (oldest {claims.oldest_age_seconds:.0f} s)"


def _describe(item: QuarantinedFile) -> str:
    return f"{item.stored_at:%Y-%m-%d %H:%M} UTC  {item.name}: {item.reason or '(no reason recorded)'}"


def _utc(value: datetime) -> datetime:
    # SQLite hands timestamps back without a zone; they were written in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _iso(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _iso(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_iso(item) for item in value]
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value
