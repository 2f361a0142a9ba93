"""One claimed file, from the work folder to its end state, in stages:
claim -> read -> parse -> decide -> commit -> dispose.

The watcher has renamed the file into the work folder; nobody else can reach it by name. The worker
reads and hashes it, parses it, decides the outcome (stored, duplicate, quarantined), records the
outcome in one transaction, and only then renames the claim into archive/ or quarantine/ (durably:
the commit is durable before the file leaves, and the renames are fsynced). A job that is delivered
again after a crash finds its claim's delivery committed and only finishes the move.

A job names a batch of claims: each is read and parsed on its own, then all outcomes are recorded in
one transaction with a savepoint per file (a file whose insert fails costs only itself), the claims
are moved after the commit, and each folder is fsynced once for the batch."""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

import structlog
from billiard.exceptions import SoftTimeLimitExceeded
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from shared import events
from shared.claims import (
    ClaimGone,
    ClaimInfo,
    WorkFolder,
    claim_file,
    fsync_folder,
    move_claim,
    open_claim,
    read_claim_info,
)
from shared.config import Settings
from shared.crossquarter import CrossQuarterThresholds, check_against_previous
from shared.documents import build_document
from shared.files import FileChanged, open_for_writing, write_json_atomically
from shared.identity import changed_figures, region_key
from shared.logging import get_logger
from shared.models import ReportDocument
from shared.parsing import NotAReport, parse_report
from shared.parsing.selfcheck import SAMPLE_DIR
from shared.store.db import read_connection_for, session_for, writer_turn
from shared.store.quarters import KnownReports, Recheck, check_new
from shared.store.service import (
    FirstVersions,
    QueuedReport,
    ReceivedFile,
    ReportRecord,
    StoreConflict,
    VersionChange,
    add_deliveries,
    add_stored_report,
    delivery_values,
    find_delivery,
    find_source,
    find_sources,
    lock_groups,
    report_of_source,
    report_record,
    rows_of,
)
from shared.store.tables import Delivery, Outcome, utcnow

STORE_ATTEMPTS = 5
_CHUNK = 1024 * 1024
log = get_logger("klantprofielen.worker")

__all__ = ["FileChanged", "FileFault", "ParseTimedOut", "Prepared", "commit_and_dispose", "handle_claim",
           "ingest_file", "prepare_quarantine", "quarantine_claim", "read_claims"]


class ParseTimedOut(Exception):
    """The soft time limit struck while the file was being parsed: the file's own doing (a parser
    spinning on it), unlike a time limit that strikes while waiting for the database or the disk."""


class FileFault(Exception):
    """The file itself can't be handled this time (unreadable: EACCES, ...): counted against the
    claim, and quarantined after max_attempts_per_file."""


@dataclass(frozen=True)
class ReadClaim:
    info: ClaimInfo
    data: bytes | None  # None when larger than the cap
    sha256: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Committed:
    delivery: Delivery
    version: VersionChange | None = None
    changes: tuple[dict[str, object], ...] = ()  # a re-issue's changed figures, old and new
    rechecks: tuple[Recheck, ...] = ()  # the cross-quarter checks the store ran


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str | None = None
    document: ReportDocument | None = None
    record: ReportRecord | None = None  # the document's table rows, worked out before the write
    precheck: Recheck | None = None  # its cross-quarter check against the reports stored before the write
    duplicate_of: int | None = None  # source_file id of the stored bytes
    duplicate_of_name: str | None = None


def ingest_file(path: Path, *, settings: Settings) -> Outcome | None:
    """Claim an inbox file and take it to its end state in this process, as watcher and worker would
    (the benchmark's floor, tests); None when the file is gone."""
    work = WorkFolder.of_inbox(settings.inbox)
    work.ensure()
    claimed = claim_file(path, work, dropped_at=utcnow())
    if claimed is None:
        return None
    return handle_claim(claimed.claim, settings=settings, work=work)


@dataclass(frozen=True)
class Prepared:
    """A claim read (and parsed) with its outcome decided, ready to be recorded."""

    received: ReceivedFile
    decision: Decision

    @property
    def claim(self) -> str:
        return self.received.claim


def handle_claim(claim: str, *, settings: Settings, work: WorkFolder, received_at: datetime | None = None
                 ) -> Outcome | None:
    """Take one claim to its end state (a batch of one); None when the claim had already ended. Database
    and disk errors propagate (the task retries them); FileFault for a file that can't be read this time."""
    with structlog.contextvars.bound_contextvars(claim=claim):
        read = read_claims([claim], settings=settings, work=work)[0]
    if isinstance(read, BaseException):
        raise read
    if read is None:
        return None
    with file_context(claim):
        prepared = prepare_read(claim, read, settings=settings, work=work, received_at=received_at)
    return _single(commit_and_dispose([prepared], settings=settings, work=work)[0])


def quarantine_claim(claim: str, *, settings: Settings, work: WorkFolder, reason: str,
                     info: ClaimInfo | None = None) -> Outcome | None:
    """Quarantine a claim without parsing it (not a regular file, or it keeps failing or killing its
    worker)."""
    prepared = prepare_quarantine(claim, work=work, reason=reason, info=info)
    return _single(commit_and_dispose([prepared], settings=settings, work=work)[0])


def prepare_quarantine(claim: str, *, work: WorkFolder, reason: str, info: ClaimInfo | None = None) -> Prepared:
    """A claim decided for quarantine without parsing it, with its hash, size and mtime if it is a file."""
    info = info or read_claim_info(work, claim)
    sha256, size, mtime_ns = _fingerprint(work, claim)
    received = ReceivedFile(claim=claim, name=info.name, name_bytes=info.name_bytes,
                            received_path=str(work.root.parent / info.name), size=size, sha256=sha256,
                            mtime_ns=mtime_ns, dropped_at=info.dropped_at, received_at=utcnow())
    return Prepared(received, Decision(Outcome.QUARANTINED, reason=reason))


def _single(result: Outcome | None | BaseException) -> Outcome | None:
    if isinstance(result, BaseException):
        raise result
    return result


def file_context(claim: str, info: ClaimInfo | ReceivedFile | None = None,
                 sha256: str | None = None) -> Any:
    """The fields every log line about one file carries (bound for the block, then restored)."""
    fields: dict[str, Any] = {"claim": claim}
    if info is not None:
        fields["file"] = info.name
    if sha256 or isinstance(info, ReceivedFile) and info.sha256:
        fields["sha256"] = sha256 or info.sha256  # type: ignore[union-attr]
    return structlog.contextvars.bound_contextvars(**fields)


# -- read ------------------------------------------------------------------------------------------

Read = ReadClaim | str | None


def read_claims(claims: list[str], *, settings: Settings, work: WorkFolder) -> list[Read | Exception]:
    """Each claim's bytes and hash (a reason string for what is not a regular file, None when gone);
    a claim that fails to read gets its exception, so that it costs only itself."""
    results: list[Read | Exception] = []
    for claim in claims:
        info = read_claim_info(work, claim)
        with file_context(claim, info):
            try:
                results.append(_read(work, info, max_bytes=settings.max_file_bytes))
            except Exception as exc:  # noqa: BLE001 - the caller decides: retried, counted or raised
                results.append(exc)
    return results


def decide_batch(reads: list[ReadClaim], *, settings: Settings, work: WorkFolder,
                 received_at: datetime | None = None) -> list[Prepared | Exception]:
    """The outcome of each read claim: a duplicate of stored bytes (one look-up for the batch), else
    parsed (ParseTimedOut as the claim's exception when the soft time limit struck in its parser)."""
    if not reads:
        return []
    with read_connection_for(settings.effective_database_url) as connection:
        stored = find_sources(connection=connection, sha256s=[read.sha256 for read in reads])
    results: list[Prepared | Exception] = []
    for read in reads:
        received = _received(settings, read, received_at)
        existing = stored.get(read.sha256)
        if existing is not None:
            results.append(Prepared(received, Decision(Outcome.DUPLICATE, duplicate_of=existing.id,
                                                       duplicate_of_name=existing.name)))
            continue
        with file_context(read.info.claim, read.info, read.sha256):
            try:
                document, reason = _parse(read, settings)
            except ParseTimedOut as exc:
                results.append(exc)
                continue
        results.append(Prepared(received, Decision(Outcome.STORED, document=document,
                                                   record=report_record(document)) if document is not None
                                else Decision(Outcome.QUARANTINED, reason=reason)))
    return _prechecked(results, settings)


def _prechecked(results: list[Prepared | Exception], settings: Settings) -> list[Prepared | Exception]:
    """Each new report checked against its previous quarter as stored now, before the write: the write,
    which SQLite serialises, redoes the check only where that baseline changed meanwhile (a report of
    the previous quarter in the same batch, or stored by another worker)."""
    to_check = [(position, item.decision) for position, item in enumerate(results)
                if isinstance(item, Prepared) and item.decision.record is not None]
    if not to_check:
        return results
    thresholds = cross_quarter_thresholds(settings)
    with read_connection_for(settings.effective_database_url) as connection:
        known = KnownReports.read(connection, [(decision.record.key, decision.record.new.year,
                                                decision.record.new.quarter)
                                               for _, decision in to_check if decision.record is not None])
        for position, decision in to_check:
            assert decision.record is not None
            precheck = check_new(connection, decision.record.new, thresholds=thresholds, known=known)
            item = results[position]
            assert isinstance(item, Prepared)
            results[position] = Prepared(item.received, dataclasses.replace(decision, precheck=precheck))
    return results


def prepare_read(claim: str, read: ReadClaim | str, *, settings: Settings, work: WorkFolder,
                 received_at: datetime | None = None) -> Prepared:
    """One read claim decided (a reason string quarantines it); raises ParseTimedOut."""
    if isinstance(read, str):
        return prepare_quarantine(claim, work=work, reason=read)
    result = decide_batch([read], settings=settings, work=work, received_at=received_at)[0]
    if isinstance(result, Exception):
        raise result
    return result


def _read(work: WorkFolder, info: ClaimInfo, *, max_bytes: int) -> ReadClaim | str | None:
    """The claim's bytes and hash; a reason string for what is not a regular file; None when gone."""
    try:
        descriptor = open_claim(work, info.claim)
    except ClaimGone:
        log.info(events.FILE_MISSING, detail="the claim had already ended")
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link: links are not followed"
        if exc.errno == errno.ENXIO:
            return "not a regular file: only files are read"
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise FileFault(f"cannot read the file: {exc.strerror}") from None
        raise
    before = os.fstat(descriptor)
    if not stat.S_ISREG(before.st_mode):
        os.close(descriptor)
        return "a directory: only files are read" if stat.S_ISDIR(before.st_mode) else \
            "not a regular file: only files are read"
    with os.fdopen(descriptor, "rb") as handle:
        if open_for_writing(work.claimed / info.claim):
            raise FileChanged(f"{info.name} is still open for writing")
        try:
            sha256, total, data = _hash(handle, keep_up_to=max_bytes)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EPERM):
                raise FileFault(f"cannot read the file: {exc.strerror}") from None
            raise
        after = os.fstat(handle.fileno())
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or total != after.st_size:
        raise FileChanged(f"{info.name} changed while it was being read")
    return ReadClaim(info=info, data=data, sha256=sha256, size=total, mtime_ns=after.st_mtime_ns)


def _hash(handle: BinaryIO, *, keep_up_to: int) -> tuple[str, int, bytes | None]:
    """SHA-256 and size of the rest of a file, and its bytes when there are at most keep_up_to."""
    digest = hashlib.sha256()
    kept: list[bytes] = []
    total = 0
    while chunk := handle.read(_CHUNK):
        digest.update(chunk)
        total += len(chunk)
        if total <= keep_up_to:
            kept.append(chunk)
    return digest.hexdigest(), total, b"".join(kept) if total <= keep_up_to else None


def _fingerprint(work: WorkFolder, claim: str) -> tuple[str | None, int | None, int | None]:
    """Hash, size and mtime of a claim that is a regular file and readable, else Nones."""
    try:
        descriptor = open_claim(work, claim)
    except OSError:
        return None, None, None
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode):
        os.close(descriptor)
        return None, None, None
    with os.fdopen(descriptor, "rb") as handle:
        try:
            sha256, _, _ = _hash(handle, keep_up_to=0)
        except OSError:
            return None, info.st_size, info.st_mtime_ns
    return sha256, info.st_size, info.st_mtime_ns


def _received(settings: Settings, read: ReadClaim, received_at: datetime | None) -> ReceivedFile:
    info = read.info
    # The modification time as the watcher saw it at claim time (a writer still holding the file may
    # have touched it since; the bytes read are checked whole either way).
    mtime_ns = info.mtime_ns if info.mtime_ns is not None else read.mtime_ns
    return ReceivedFile(claim=info.claim, name=info.name, name_bytes=info.name_bytes,
                        received_path=str(settings.inbox / info.name), size=read.size, sha256=read.sha256,
                        mtime_ns=mtime_ns, dropped_at=info.dropped_at, received_at=received_at or utcnow())


# -- parse and decide ------------------------------------------------------------------------------

def _parse(read: ReadClaim, settings: Settings) -> tuple[ReportDocument | None, str]:
    if read.data is None:
        return None, f"file too large: {read.size} bytes (limit {settings.max_file_bytes})"
    name = read.info.name
    try:
        parsed = parse_report(read.data, name=name, max_bytes=settings.max_file_bytes,
                              passthrough=(SoftTimeLimitExceeded,))
        return build_document(parsed, path=str(settings.inbox / name), sha256=read.sha256), ""
    except NotAReport as exc:
        return None, exc.reason
    except SoftTimeLimitExceeded:
        raise ParseTimedOut() from None


# -- commit and dispose ----------------------------------------------------------------------------

def commit_and_dispose(prepared: list[Prepared], *, settings: Settings, work: WorkFolder
                       ) -> list[Outcome | None | Exception]:
    """Record every outcome in one transaction (a savepoint per file), then move the claims and fsync
    each folder once; returns each claim's outcome (None: it had already ended), or the exception
    that kept it from being recorded (an integrity conflict that did not resolve), which costs only
    that claim. Errors of the transaction as a whole, or of a move, propagate: nothing is moved
    before the commit, and a retry finds the committed deliveries and only finishes the moves."""
    if not prepared:
        return []
    groups = [(region_key(item.decision.document.region), item.decision.document.period.year,
               item.decision.document.period.quarter) for item in prepared if item.decision.document is not None]
    url = settings.effective_database_url
    with writer_turn(url), session_for(url) as session:
        # Optimistic first: no savepoints (two statements per file on PostgreSQL). A conflict rolls the
        # batch back, and the second pass isolates each file in a savepoint.
        for savepoints in (False, True):
            recorded: list[tuple[Prepared, Committed | Exception, Decision, bool]] = []
            try:
                lock_groups(session, groups)
                # Read once for the batch; not with savepoints, whose rollbacks it would not see.
                known = KnownReports.read(session.connection(), groups) if not savepoints and groups else None
                queue = FirstVersions(session.connection(), known) if known is not None else None
                deliveries: list[dict[str, Any]] | None = None if savepoints else []
                results = []
                for item in prepared:
                    with file_context(item.claim, item.received):
                        results.append(_record(session, item, settings, savepoint=savepoints, known=known,
                                               deliveries=deliveries, queue=queue))
                if queue is not None:
                    queue.flush()
                recorded = [(item, _delivered_queued(session, committed, deliveries), decision, completing)
                            if isinstance(committed, Queued) else (item, committed, decision, completing)
                            for item, committed, decision, completing in results]
                add_deliveries(session=session, deliveries=deliveries or [])
                session.commit()
                break
            except (IntegrityError, StoreConflict):
                session.rollback()
                if savepoints:
                    raise
    return _dispose_batch(recorded, settings=settings, work=work)


def _record(session: Session, item: Prepared, settings: Settings, *, savepoint: bool,
            known: KnownReports | None = None, deliveries: list[dict[str, Any]] | None = None,
            queue: FirstVersions | None = None) -> tuple[Prepared, Committed | Queued | Exception, Decision, bool]:
    """One file's outcome inside the batch's transaction, in a savepoint: (item, what was committed or
    the failure, the decision as it ended, whether an earlier delivery of this claim was committed).
    Without a savepoint, a conflict propagates (and the caller tries again with savepoints), and the
    delivery row is added to `deliveries`, for the caller to insert with the batch's others (a first
    version of its quarter may wait in `queue`, the caller's to write)."""
    decision = item.decision
    if not savepoint:
        return item, _commit(session, item.received, decision, settings, known, deliveries, queue), decision, False
    for attempt in range(1, STORE_ATTEMPTS + 1):
        try:
            with session.begin_nested():
                return item, _commit(session, item.received, decision, settings), decision, False
        except (IntegrityError, StoreConflict) as exc:
            connection = session.connection()
            received = item.received
            earlier = find_delivery(connection=connection, claim=received.claim)
            if earlier is not None:  # an earlier delivery of this job committed; finish its move
                return item, Committed(earlier), decision, True
            stored = find_source(connection=connection, sha256=received.sha256) if received.sha256 else None
            if stored is not None and decision.outcome is Outcome.STORED:
                # a concurrent job (or another file of this batch) stored the same bytes
                decision = Decision(Outcome.DUPLICATE, duplicate_of=stored.id, duplicate_of_name=stored.name)
            elif attempt == STORE_ATTEMPTS:
                return item, exc, decision, False
    raise AssertionError("unreachable")  # pragma: no cover - the loop always returns


@dataclass(frozen=True)
class Queued:
    """A stored report waiting in the batch's queue of first versions: its delivery is recorded once the
    queue is written and the report has its ids (_delivered_queued)."""

    report: QueuedReport
    received: ReceivedFile
    path: str


def _commit(session: Session, received: ReceivedFile, decision: Decision, settings: Settings,
            known: KnownReports | None = None, deliveries: list[dict[str, Any]] | None = None,
            queue: FirstVersions | None = None) -> Committed | Queued:
    """Record the outcome in the session's transaction (the delivery row into `deliveries` when given);
    returns the delivery as recorded, or the report as queued (`queue`: the batch's first versions)."""
    outcome, reason, report_id, source_id = decision.outcome, decision.reason, None, decision.duplicate_of
    version: VersionChange | None = None
    changes: tuple[dict[str, object], ...] = ()
    rechecks: tuple[Recheck, ...] = ()
    folder = "quarantine" if outcome is Outcome.QUARANTINED else "archive"
    path = f"{folder}/{received.claim}"
    if outcome is Outcome.STORED:
        assert decision.document is not None
        result = add_stored_report(session=session, received=received, document=decision.document,
                                   final_path=path, written_at=received.written_at,
                                   thresholds=cross_quarter_thresholds(settings), locked=True, known=known,
                                   record=decision.record, precheck=decision.precheck, queue=queue)
        if result.queued is not None:
            return Queued(result.queued, received, path)
        if result.report is None:  # the same figures as a stored version, in other bytes
            assert result.same_as is not None
            outcome, report_id, source_id = Outcome.DUPLICATE, result.same_as.id, result.same_as.source_file_id
            reason = "same figures as a stored version"
        else:
            report_id, source_id, version = result.report.id, result.source_file_id, result.version
            rechecks = result.rechecks
            if version is not None and version.previous_current_id is not None:
                old_rows = rows_of(connection=session.connection(), report_id=version.previous_current_id)
                changes = tuple(changed_figures(old_rows, decision.document.rows))
    elif outcome is Outcome.DUPLICATE and source_id is not None:
        report_id = report_of_source(connection=session.connection(), source_id=source_id)
        reason = "same bytes as a stored file"
    delivery = _delivery(session, received, outcome=outcome, reason=reason, path=path, report_id=report_id,
                         source_id=source_id, deliveries=deliveries)
    return Committed(delivery, version, changes, rechecks)


def _delivered_queued(session: Session, queued: Queued, deliveries: list[dict[str, Any]] | None) -> Committed:
    """The delivery of a report written with the batch's queue of first versions."""
    report = queued.report
    assert report.report_id is not None
    delivery = _delivery(session, queued.received, outcome=Outcome.STORED, reason=None, path=queued.path,
                         report_id=report.report_id, source_id=report.source_file_id, deliveries=deliveries)
    version = VersionChange(current_id=report.report_id, previous_current_id=None, status="current")
    return Committed(delivery, version, (), (report.checked,))


def _delivery(session: Session, received: ReceivedFile, *, outcome: Outcome, reason: str | None, path: str,
              report_id: int | None, source_id: int | None, deliveries: list[dict[str, Any]] | None) -> Delivery:
    """Record the delivery (into `deliveries` when given, for the caller to insert with the batch's
    others); returns it as recorded."""
    values = delivery_values(received, outcome=outcome.value, reason=reason, path=path, report_id=report_id,
                             source_file_id=source_id)
    if deliveries is None:
        add_deliveries(session=session, deliveries=[values])
    else:
        deliveries.append(values)
    return Delivery.model_construct(claim=received.claim, name=received.name, outcome=outcome.value, reason=reason,
                                    path=path, report_id=report_id, source_file_id=source_id, sha256=received.sha256)


def _dispose_batch(recorded: list[tuple[Prepared, Committed | Exception, Decision, bool]], *, settings: Settings,
                   work: WorkFolder) -> list[Outcome | None | Exception]:
    """Move each committed claim where its delivery says, fsync every folder touched once, remove the
    sidecars, then log each outcome."""
    moved: list[tuple[Prepared, Committed, Decision, bool]] = []
    results: list[Outcome | None | Exception] = []
    folders: dict[Path, None] = {}
    try:
        for item, committed, decision, completing in recorded:
            if isinstance(committed, Exception):
                results.append(committed)
                continue
            delivery = committed.delivery
            destination = settings.data_dir / delivery.path
            with file_context(item.claim, item.received):
                if delivery.outcome == Outcome.QUARANTINED.value:
                    _write_reason(destination, delivery)
                try:
                    move_claim(work, delivery.claim, destination.parent)
                except ClaimGone:
                    log.info(events.FILE_MISSING, detail="another delivery of this claim moved it",
                             moved_to=delivery.path)
                    results.append(Outcome(delivery.outcome))
                    continue
            folders[destination.parent] = None
            moved.append((item, committed, decision, completing))
            results.append(Outcome(delivery.outcome))
    finally:
        # Also when a move failed (the batch is retried): what did move is made durable and logged.
        if moved:
            for folder in (*folders, work.claimed):
                fsync_folder(folder)
        for item, committed, decision, completing in moved:
            work.sidecar(item.claim).unlink(missing_ok=True)
            with file_context(item.claim, item.received):
                _log_outcome(committed, decision, settings, completing=completing)
    return results


def _log_outcome(committed: Committed, decision: Decision, settings: Settings, *, completing: bool) -> None:
    """The one line per file outcome (with the report's alerts before it)."""
    delivery = committed.delivery
    outcome = Outcome(delivery.outcome)
    detail = {"detail": "move completed after an interrupted delivery"} if completing else {}
    document = None if completing else decision.document
    if outcome is Outcome.STORED:
        if document is not None:
            _log_findings(document, settings)
            version = committed.version
            log.info(events.REPORT_STORED, report_id=delivery.report_id, region=document.region.name,
                     region_code=document.region.code, year=document.period.year,
                     quarter=document.period.quarter, format=document.source.format, rows=len(document.rows),
                     findings=len(document.findings), archived_to=delivery.path,
                     version_status=version.status if version else None)
            _log_version(committed, document)
            _log_rechecks(committed.rechecks, document, settings)
        else:
            log.info(events.REPORT_STORED, report_id=delivery.report_id, archived_to=delivery.path, **detail)
    elif outcome is Outcome.DUPLICATE:
        log.info(events.DUPLICATE_SKIPPED, report_id=delivery.report_id, reason=delivery.reason,
                 duplicate_of=None if completing else decision.duplicate_of_name, moved_to=delivery.path, **detail)
    else:
        log.warning(events.FILE_QUARANTINED, reason=delivery.reason, quarantined_to=delivery.path, **detail)


def _log_version(committed: Committed, document: ReportDocument) -> None:
    """A new version of a region's quarter: what it changed, and whether it was held back."""
    version, report_id = committed.version, committed.delivery.report_id
    if version is None or version.previous_current_id is None:
        return
    context: dict[str, Any] = {"region": document.region.name, "region_code": document.region.code,
                               "year": document.period.year, "quarter": document.period.quarter}
    log.info(events.REPORT_REISSUED, report_id=report_id, previous_report_id=version.previous_current_id,
             current_report_id=version.current_id, version_status=version.status, changes=list(committed.changes),
             **context)
    if version.status == "held":
        log.warning(events.VERSION_HELD, report_id=report_id, current_report_id=version.current_id,
                    reason="this version has error findings; the current one has none", **context)


def _log_rechecks(rechecks: tuple[Recheck, ...], document: ReportDocument, settings: Settings) -> None:
    """One consistency_warning per new cross-quarter finding: of this report, and of a report of the
    next quarter checked again because this one changed its baseline."""
    for recheck in rechecks:
        shown = recheck.new_findings[: settings.max_findings_logged]
        for finding in shown:
            log.warning(events.CONSISTENCY_WARNING, region=document.region.name, region_code=document.region.code,
                        year=recheck.period.year, quarter=recheck.period.quarter, report_id=recheck.report_id,
                        against_report_id=recheck.baseline_report_id, **finding.model_dump(mode="json"))
        if len(recheck.new_findings) > len(shown):
            log.warning(events.FINDINGS_TRUNCATED, report_id=recheck.report_id, logged=len(shown),
                        not_logged=len(recheck.new_findings) - len(shown))


def warm_up_documents() -> None:
    """What a stored report goes through after parsing, once, on a bundled sample and without a database:
    the reference tables, identities, reconciliation, the table rows and the cross-quarter checks. So a
    new pool process is at its working size before its first job (its memory then stays flat)."""
    name = "sample.tabs.txt"
    document = build_document(parse_report((SAMPLE_DIR / name).read_bytes(), name=name), path=name,
                              sha256="0" * 64)
    figures = report_record(document).new.figures
    check_against_previous(figures, figures, CrossQuarterThresholds())


def cross_quarter_thresholds(settings: Settings) -> CrossQuarterThresholds:
    """The cross-quarter checks' parameters from the settings."""
    return _thresholds(tuple((name, getattr(settings, name)) for name in CrossQuarterThresholds.model_fields))


@lru_cache(maxsize=8)
def _thresholds(values: tuple[tuple[str, Any], ...]) -> CrossQuarterThresholds:
    return CrossQuarterThresholds(**dict(values))


def _write_reason(destination: Path, delivery: Delivery) -> None:
    write_json_atomically(destination.with_name(destination.name + ".reason.json"), {
        "file": delivery.name, "claim": delivery.claim, "sha256": delivery.sha256, "reason": delivery.reason,
        "quarantined_at": utcnow().isoformat(),
    })


def _log_findings(document: ReportDocument, settings: Settings) -> None:
    context: dict[str, Any] = {
        "region": document.region.name, "region_code": document.region.code,
        "year": document.period.year, "quarter": document.period.quarter,
    }
    shown = document.findings[: settings.max_findings_logged]
    for finding in shown:
        event = events.RECONCILIATION_FAILED if finding.severity == "error" else events.CONSISTENCY_WARNING
        log.warning(event, **context, **finding.model_dump(mode="json", exclude_none=finding.severity == "error"))
    if len(document.findings) > len(shown):
        log.warning(events.FINDINGS_TRUNCATED, **context, logged=len(shown),
                    not_logged=len(document.findings) - len(shown))
