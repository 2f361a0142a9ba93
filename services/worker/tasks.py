"""The ingest task: thin. It takes a list of claim names (a batch), refuses anything else, and takes
the claims to their end states through the pipeline: each read and parsed on its own, all recorded in
one transaction. Failures of a file itself are counted per claim and end in quarantine after
max_attempts_per_file; outages (database, disk, a time limit that struck while waiting) are retried
with backoff and then handed back to the watcher, never quarantined. A batch whose worker process
died is split into single-claim jobs when it comes back, so that a death counts against a claim
only when it was alone in its job: the file that kills workers is quarantined, the others stored."""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy.exc import DBAPIError, OperationalError

from services.broker import InflightKeys, redis_client
from services.worker.app import app, worker_settings
from services.worker.pipeline import (
    FileChanged,
    FileFault,
    ParseTimedOut,
    Prepared,
    ReadClaim,
    commit_and_dispose,
    decide_batch,
    file_context,
    log,
    prepare_quarantine,
    read_claims,
)
from shared import events
from shared.attempts import AttemptLedger
from shared.claims import BadClaimName, WorkFolder, check_claim_name, claim_kind
from shared.config import Settings
from shared.jobs import INGEST_QUEUE, INGEST_TASK, inflight_ttl_seconds

FILESYSTEM_TRANSIENT = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EIO, errno.EACCES, errno.EPERM,
                        errno.ENOTDIR, errno.EEXIST}
_inflight: dict[str, InflightKeys] = {}


def is_transient(exc: BaseException) -> bool:
    """An outage, not the file's fault: retried, never counted against the file."""
    # A time limit outside parsing struck while waiting (for a locked database, a slow disk).
    if isinstance(exc, OperationalError | FileChanged | SoftTimeLimitExceeded):
        return True
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated)
    return isinstance(exc, OSError) and exc.errno in FILESYSTEM_TRANSIENT


def inflight_keys(settings: Settings) -> InflightKeys:
    keys = _inflight.get(settings.effective_broker_url)
    if keys is None:
        keys = _inflight[settings.effective_broker_url] = InflightKeys(
            redis_client(settings.effective_broker_url, timeout=5), inflight_ttl_seconds(settings))
    return keys


@app.task(name=INGEST_TASK, bind=True, acks_late=True, reject_on_worker_lost=True)
def ingest_claims(self, claims: Any) -> list[str]:  # type: ignore[no-untyped-def]
    """Ingest the claimed files named in the job."""
    settings = worker_settings()
    if not isinstance(claims, list):
        log.error(events.JOB_REFUSED, reason=f"a job must name claims, got {type(claims).__name__}",
                  job=repr(claims)[:200])
        return []
    names: list[str] = []
    for claim in claims:
        try:
            names.append(check_claim_name(claim))
        except BadClaimName as exc:
            log.error(events.JOB_REFUSED, reason=str(exc))
    if not names:
        return []
    work = WorkFolder.of_inbox(settings.inbox)
    ledger = AttemptLedger(work.attempts)
    if len(names) > 1 and ledger.batch_running(names):
        return _split(self, names, settings=settings, work=work, ledger=ledger)
    batch = Batch(settings=settings, work=work, ledger=ledger)
    try:
        batch.run(names)
    except Exception:
        # Not expected (a bug): the job ends here, so its claims must be offered again.
        inflight_keys(settings).release([claim for claim in names if claim not in batch.ended])
        raise
    finally:
        if len(names) > 1:
            ledger.end_batch(names)
    if batch.deferred:
        for waiting in batch.deferred:
            ledger.pause(waiting)
        assert batch.transient is not None
        _retry_or_hand_back(self, batch.deferred, settings, batch.transient)
        batch.ended.update(dict.fromkeys(batch.deferred, "handed_back"))
    return [batch.ended.get(claim, "handed_back") for claim in names]


@dataclass
class Batch:
    """One job's claims on their way to their end states (`run`); what became of each is in `ended`,
    the claims an outage kept from ending in `deferred`."""

    settings: Settings
    work: WorkFolder
    ledger: AttemptLedger
    ended: dict[str, str] = field(default_factory=dict)  # claim -> outcome (or 'failed': offered again)
    deferred: list[str] = field(default_factory=list)  # claims hit by an outage: retried
    transient: Exception | None = None
    quarantine: list[Prepared] = field(default_factory=list)

    def run(self, names: list[str]) -> None:
        settings, work = self.settings, self.work
        records = [self.ledger.begin(names[0], alone=True)] if len(names) == 1 else self.ledger.begin_batch(names)
        prepared: list[Prepared] = []
        to_read: list[str] = []
        for claim, record in zip(names, records, strict=True):
            if record.count >= settings.max_attempts_per_file:
                prepared.append(prepare_quarantine(
                    claim, work=work, reason=f"{record.count} failed attempts; the last: {record.last_error}"))
            else:
                to_read.append(claim)
        reads: list[ReadClaim] = []
        for claim, read in zip(to_read, read_claims(to_read, settings=settings, work=work), strict=True):
            if read is None:
                self._end(claim, "missing")
            elif isinstance(read, str):
                prepared.append(prepare_quarantine(claim, work=work, reason=read))
            elif isinstance(read, Exception):
                self._failed(claim, read)
            else:
                reads.append(read)
        try:
            decided = decide_batch(reads, settings=settings, work=work, received_at=datetime.now(UTC))
        except Exception as exc:
            if not is_transient(exc):
                raise
            decided = [exc] * len(reads)
        for read, result in zip(reads, decided, strict=True):
            claim = read.info.claim
            if isinstance(result, ParseTimedOut):
                prepared.append(prepare_quarantine(
                    claim, work=work, info=read.info,
                    reason=f"parsing took longer than {app.conf.task_soft_time_limit} s (soft time limit)"))
            elif isinstance(result, Exception):
                self._failed(claim, result)
            else:
                prepared.append(result)
        prepared += self.quarantine
        for _round in range(2):  # the second: claims quarantined because their record failed
            self.quarantine = []
            self._commit(prepared)
            prepared = self.quarantine

    def _commit(self, prepared: list[Prepared]) -> None:
        try:
            results = commit_and_dispose(prepared, settings=self.settings, work=self.work)
        except Exception as exc:
            if not is_transient(exc):
                raise
            self.deferred += [item.claim for item in prepared]
            self.transient = exc
            return
        for item, result in zip(prepared, results, strict=True):
            if isinstance(result, Exception):
                self._failed(item.claim, result)
            else:
                self._end(item.claim, str(result or "missing"))

    def _end(self, claim: str, outcome: str) -> None:
        self.ledger.end(claim)
        self.ended[claim] = outcome

    def _failed(self, claim: str, exc: Exception) -> None:
        """A claim's own failure: an outage is retried; anything else is counted against the file."""
        if is_transient(exc):
            self.deferred.append(claim)
            self.transient = exc
            return
        reason = exc.args[0] if isinstance(exc, FileFault) else f"{type(exc).__name__}: {_first_line(exc)}"
        failed = self.ledger.fail(claim, reason)
        with file_context(claim):
            log.warning(events.ATTEMPT_FAILED, reason=reason, attempts=failed.count,
                        max_attempts=self.settings.max_attempts_per_file)
        if failed.count < self.settings.max_attempts_per_file:
            # Offered again by the watcher, with backoff: the cause may go away (permissions fixed).
            inflight_keys(self.settings).release([claim])
            self.ended[claim] = "failed"
            return
        self.quarantine.append(prepare_quarantine(
            claim, work=self.work, reason=f"{failed.count} failed attempts; the last: {reason}"))


def _split(task: Any, names: list[str], *, settings: Settings, work: WorkFolder, ledger: AttemptLedger
           ) -> list[str]:
    """The batch came back after its worker process died (its claims are still marked running): send
    each claim that is still there as a job of its own, its in-flight key moved to that job."""
    keys = inflight_keys(settings)
    present = [claim for claim in names if claim_kind(work, claim) is not None]
    for position, claim in enumerate(present):
        job_id = str(uuid4())
        try:
            keys.move([claim], job_id)
            task.app.send_task(INGEST_TASK, args=[[claim]], task_id=job_id, queue=INGEST_QUEUE)
        except Exception:
            keys.release(present[position:])  # offered again by the watcher
            raise
    ledger.end_batch(names)
    log.warning(events.BATCH_SPLIT, claims=len(present), jobs=len(present),
                reason="the worker process ended while handling this batch: each file is tried alone")
    return ["split"] * len(present)


def _retry_or_hand_back(task: Any, claims: list[str], settings: Settings, exc: Exception) -> None:
    """Raise Celery's Retry for the remaining claims, or, after the last retry, hand them back."""
    if isinstance(exc, SoftTimeLimitExceeded):
        reason = (f"the soft time limit ({app.conf.task_soft_time_limit} s) struck outside parsing, "
                  "waiting for the database or the disk")
    else:
        reason = f"{type(exc).__name__}: {_first_line(exc)}"
    if task.request.retries >= settings.task_max_retries:
        # The files are fine: their claims wait in the work folder, and the watcher offers them again.
        log.error(events.STORE_GAVE_UP, claims=claims, attempts=task.request.retries + 1, reason=reason,
                  detail="claims handed back to the watcher, offered again with backoff")
        try:
            inflight_keys(settings).release(claims)
        except Exception as release_error:  # noqa: BLE001 - the keys expire anyway
            log.warning(events.STORE_GAVE_UP, detail="could not release in-flight keys",
                        reason=_first_line(release_error))
        return
    countdown = min(60, 2 ** task.request.retries)
    log.warning(events.STORE_RETRY, claims=claims, attempt=task.request.retries + 1, retry_in_seconds=countdown,
                reason=reason)
    raise task.retry(args=[claims], countdown=countdown, max_retries=settings.task_max_retries) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else ""
