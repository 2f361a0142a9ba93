"""The ingest task: thin. It takes a list of claim names, refuses anything else, and takes each claim
to its end state through the pipeline. Failures of the file itself are counted per claim and end in
quarantine after max_attempts_per_file; outages (database, disk, a time limit that struck while
waiting) are retried with backoff and then handed back to the watcher, never quarantined."""

from __future__ import annotations

import errno
from datetime import UTC, datetime
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy.exc import DBAPIError, OperationalError

from services.broker import InflightKeys, redis_client
from services.worker.app import app, worker_settings
from services.worker.pipeline import FileChanged, FileFault, ParseTimedOut, handle_claim, log, quarantine_claim
from shared import events
from shared.attempts import AttemptLedger
from shared.claims import BadClaimName, WorkFolder, check_claim_name
from shared.config import Settings
from shared.jobs import INGEST_TASK, inflight_ttl_seconds

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
    work = WorkFolder.of_inbox(settings.inbox)
    ledger = AttemptLedger(work.attempts)
    alone = len(names) == 1
    outcomes: list[str] = []
    for position, claim in enumerate(names):
        try:
            outcomes.append(_ingest_one(claim, settings=settings, work=work, ledger=ledger, alone=alone))
        except Exception as exc:
            remaining = names[position:]
            if not is_transient(exc):
                # Not expected (a bug): the job ends here, so its claims must be offered again.
                inflight_keys(settings).release(remaining)
                raise
            for waiting in remaining:
                ledger.pause(waiting)
            _retry_or_hand_back(self, remaining, settings, exc)
            return outcomes + ["handed_back"] * len(remaining)
    return outcomes


def _ingest_one(claim: str, *, settings: Settings, work: WorkFolder, ledger: AttemptLedger, alone: bool) -> str:
    record = ledger.begin(claim, alone=alone)
    if record.count >= settings.max_attempts_per_file:
        outcome = quarantine_claim(claim, settings=settings, work=work,
                                   reason=f"{record.count} failed attempts; the last: {record.last_error}")
        ledger.end(claim)
        return str(outcome or "missing")
    try:
        outcome = handle_claim(claim, settings=settings, work=work, received_at=datetime.now(UTC))
    except ParseTimedOut:
        outcome = quarantine_claim(
            claim, settings=settings, work=work,
            reason=f"parsing took longer than {app.conf.task_soft_time_limit} s (soft time limit)")
    except Exception as exc:
        if is_transient(exc):
            raise
        reason = exc.args[0] if isinstance(exc, FileFault) else f"{type(exc).__name__}: {_first_line(exc)}"
        failed = ledger.fail(claim, reason)
        log.warning(events.ATTEMPT_FAILED, reason=reason, attempts=failed.count,
                    max_attempts=settings.max_attempts_per_file)
        if failed.count < settings.max_attempts_per_file:
            # Offered again by the watcher, with backoff: the cause may go away (permissions fixed).
            inflight_keys(settings).release([claim])
            return "failed"
        outcome = quarantine_claim(claim, settings=settings, work=work,
                                   reason=f"{failed.count} failed attempts; the last: {reason}")
    ledger.end(claim)
    return str(outcome or "missing")


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
