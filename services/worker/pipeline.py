"""One claimed file, from the work folder to its end state, in stages:
claim -> read -> parse -> decide -> commit -> dispose.

The watcher has renamed the file into the work folder; nobody else can reach it by name. The worker
reads and hashes it, parses it, decides the outcome (stored, duplicate, quarantined), records the
outcome in one transaction, and only then renames the claim into archive/ or quarantine/ (durably:
the commit is durable before the file leaves, and the renames are fsynced). A job that is delivered
again after a crash finds its claim's delivery committed and only finishes the move."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import structlog
from billiard.exceptions import SoftTimeLimitExceeded
from sqlalchemy.exc import IntegrityError

from shared import events
from shared.claims import (
    ClaimGone,
    ClaimInfo,
    WorkFolder,
    claim_file,
    dispose_claim,
    open_claim,
    read_claim_info,
)
from shared.config import Settings
from shared.crossquarter import CrossQuarterThresholds
from shared.documents import build_document
from shared.files import FileChanged, open_for_writing, write_json_atomically
from shared.identity import changed_figures
from shared.logging import get_logger
from shared.models import ReportDocument
from shared.parsing import NotAReport, parse_report
from shared.store.db import read_connection_for, session_for
from shared.store.quarters import Recheck
from shared.store.service import (
    ReceivedFile,
    StoreConflict,
    VersionChange,
    add_delivery,
    add_stored_report,
    find_delivery,
    find_source,
    report_of_source,
    rows_of,
)
from shared.store.tables import Delivery, Outcome, utcnow

STORE_ATTEMPTS = 5
_CHUNK = 1024 * 1024
log = get_logger("klantprofielen.worker")

__all__ = ["FileChanged", "FileFault", "ParseTimedOut", "handle_claim", "ingest_file", "quarantine_claim"]


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


def handle_claim(claim: str, *, settings: Settings, work: WorkFolder, received_at: datetime | None = None
                 ) -> Outcome | None:
    """Take one claim to its end state; None when the claim had already ended. Database and disk
    errors propagate (the task retries them); FileFault for a file that can't be read this time."""
    info = read_claim_info(work, claim)
    structlog.contextvars.bind_contextvars(file=info.name, claim=claim)
    read = _read(work, info, max_bytes=settings.max_file_bytes)
    if read is None:
        return None
    if isinstance(read, str):
        return quarantine_claim(claim, settings=settings, work=work, reason=read, info=info)
    received = _received(settings, read, received_at)
    decision = _decide(read, settings)
    return _commit_and_dispose(received, decision, settings=settings, work=work)


def quarantine_claim(claim: str, *, settings: Settings, work: WorkFolder, reason: str,
                     info: ClaimInfo | None = None) -> Outcome | None:
    """Quarantine a claim without parsing it (not a regular file, or it keeps failing or killing its
    worker)."""
    info = info or read_claim_info(work, claim)
    structlog.contextvars.bind_contextvars(file=info.name, claim=claim)
    sha256, size, mtime_ns = _fingerprint(work, claim)
    received = ReceivedFile(claim=claim, name=info.name, name_bytes=info.name_bytes,
                            received_path=str(work.root.parent / info.name), size=size, sha256=sha256,
                            mtime_ns=mtime_ns, dropped_at=info.dropped_at, received_at=utcnow())
    return _commit_and_dispose(received, Decision(Outcome.QUARANTINED, reason=reason), settings=settings, work=work)


# -- read ------------------------------------------------------------------------------------------

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
        digest = hashlib.sha256()
        kept: list[bytes] = []
        total = 0
        try:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
                total += len(chunk)
                if total <= max_bytes:
                    kept.append(chunk)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EPERM):
                raise FileFault(f"cannot read the file: {exc.strerror}") from None
            raise
        after = os.fstat(handle.fileno())
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or total != after.st_size:
        raise FileChanged(f"{info.name} changed while it was being read")
    structlog.contextvars.bind_contextvars(sha256=digest.hexdigest())
    return ReadClaim(info=info, data=b"".join(kept) if total <= max_bytes else None, sha256=digest.hexdigest(),
                     size=total, mtime_ns=after.st_mtime_ns)


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
        digest = hashlib.sha256()
        try:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
        except OSError:
            return None, info.st_size, info.st_mtime_ns
    return digest.hexdigest(), info.st_size, info.st_mtime_ns


def _received(settings: Settings, read: ReadClaim, received_at: datetime | None) -> ReceivedFile:
    info = read.info
    # The modification time as the watcher saw it at claim time (a writer still holding the file may
    # have touched it since; the bytes read are checked whole either way).
    mtime_ns = info.mtime_ns if info.mtime_ns is not None else read.mtime_ns
    return ReceivedFile(claim=info.claim, name=info.name, name_bytes=info.name_bytes,
                        received_path=str(settings.inbox / info.name), size=read.size, sha256=read.sha256,
                        mtime_ns=mtime_ns, dropped_at=info.dropped_at, received_at=received_at or utcnow())


# -- parse and decide ------------------------------------------------------------------------------

def _decide(read: ReadClaim, settings: Settings) -> Decision:
    with read_connection_for(settings.effective_database_url) as connection:
        existing = find_source(connection=connection, sha256=read.sha256)
    if existing is not None:
        return Decision(Outcome.DUPLICATE, duplicate_of=existing.id, duplicate_of_name=existing.name)
    document, reason = _parse(read, settings)
    if document is None:
        return Decision(Outcome.QUARANTINED, reason=reason)
    return Decision(Outcome.STORED, document=document)


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

def _commit_and_dispose(received: ReceivedFile, decision: Decision, *, settings: Settings,
                        work: WorkFolder) -> Outcome:
    for attempt in range(1, STORE_ATTEMPTS + 1):
        try:
            committed = _commit(received, decision, settings)
            break
        except (IntegrityError, StoreConflict):
            with read_connection_for(settings.effective_database_url) as connection:
                earlier = find_delivery(connection=connection, claim=received.claim)
                stored = (find_source(connection=connection, sha256=received.sha256)
                          if received.sha256 and earlier is None else None)
            if earlier is not None:  # an earlier delivery of this job committed; finish its move
                return _dispose(Committed(earlier), settings=settings, work=work, completing=True)
            if stored is not None and decision.outcome is Outcome.STORED:
                # a concurrent job stored the same bytes
                decision = Decision(Outcome.DUPLICATE, duplicate_of=stored.id, duplicate_of_name=stored.name)
            elif attempt == STORE_ATTEMPTS:
                raise
    else:  # pragma: no cover - the loop always breaks or returns
        raise AssertionError("unreachable")
    return _dispose(committed, settings=settings, work=work, decision=decision)


def _commit(received: ReceivedFile, decision: Decision, settings: Settings) -> Committed:
    """Record the outcome in one transaction; returns the delivery as committed."""
    outcome, reason, report_id, source_id = decision.outcome, decision.reason, None, decision.duplicate_of
    version: VersionChange | None = None
    changes: tuple[dict[str, object], ...] = ()
    rechecks: tuple[Recheck, ...] = ()
    folder = "quarantine" if outcome is Outcome.QUARANTINED else "archive"
    path = f"{folder}/{received.claim}"
    with session_for(settings.effective_database_url) as session:
        if outcome is Outcome.STORED:
            assert decision.document is not None
            result = add_stored_report(session=session, received=received, document=decision.document,
                                       final_path=path, written_at=received.written_at,
                                       thresholds=cross_quarter_thresholds(settings))
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
        add_delivery(session=session, received=received, outcome=outcome.value, reason=reason, path=path,
                     report_id=report_id, source_file_id=source_id)
        session.commit()
    delivery = Delivery.model_construct(claim=received.claim, name=received.name, outcome=outcome.value,
                                        reason=reason, path=path, report_id=report_id, source_file_id=source_id,
                                        sha256=received.sha256)
    return Committed(delivery, version, changes, rechecks)


def _dispose(committed: Committed, *, settings: Settings, work: WorkFolder, decision: Decision | None = None,
             completing: bool = False) -> Outcome:
    """Move the claim to where its committed delivery says, then log the outcome."""
    delivery = committed.delivery
    outcome = Outcome(delivery.outcome)
    destination = settings.data_dir / delivery.path
    if outcome is Outcome.QUARANTINED:
        _write_reason(destination, delivery)
    try:
        dispose_claim(work, delivery.claim, destination.parent)
    except ClaimGone:
        log.info(events.FILE_MISSING, detail="another delivery of this claim moved it", moved_to=delivery.path)
        return outcome
    detail = {"detail": "move completed after an interrupted delivery"} if completing else {}
    if outcome is Outcome.STORED:
        document = decision.document if decision else None
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
                 duplicate_of=decision.duplicate_of_name if decision else None, moved_to=delivery.path, **detail)
    else:
        log.warning(events.FILE_QUARANTINED, reason=delivery.reason, quarantined_to=delivery.path, **detail)
    return outcome


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
