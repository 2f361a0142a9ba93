"""The ingest task: thin. Retries transient trouble (database unreachable or locked, archive
unwritable, file still changing, a time limit that struck while waiting) with backoff a bounded number
of times, then leaves the file in the inbox; quarantines a file whose parsing outlasts the soft time
limit or that keeps killing its worker."""

from __future__ import annotations

import errno
from datetime import datetime
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy.exc import DBAPIError, OperationalError

from services.worker.app import app, worker_settings
from services.worker.pipeline import (
    FileChanged,
    ParseTimedOut,
    ingest_file,
    log,
    printable_name,
    quarantine_unprocessable,
)
from shared import events
from shared.attempts import AttemptLedger
from shared.jobs import INGEST_TASK

FILESYSTEM_TRANSIENT = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EIO, errno.EACCES, errno.EPERM,
                        errno.ENOTDIR, errno.EEXIST}


def is_transient(exc: BaseException) -> bool:
    # A time limit outside parsing struck while waiting (for a locked database, a slow disk): not
    # the file's fault, so the file is offered again rather than quarantined.
    if isinstance(exc, OperationalError | FileChanged | SoftTimeLimitExceeded):
        return True
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated)
    return isinstance(exc, OSError) and exc.errno in FILESYSTEM_TRANSIENT


@app.task(name=INGEST_TASK, bind=True, acks_late=True, reject_on_worker_lost=True)
def ingest(self, path: str, received_at: str | None = None) -> str:  # type: ignore[no-untyped-def]
    """Ingest one inbox file by path."""
    settings = worker_settings()
    file = Path(path)
    ledger = AttemptLedger(settings.attempts_dir)
    attempt, entry = ledger.begin(file)
    try:
        if attempt > settings.max_worker_deaths_per_file:
            return quarantine_unprocessable(
                file, settings=settings,
                reason=f"worker process ended {attempt - 1} times while handling this file "
                       f"(time limit {settings.task_time_limit_seconds} s, memory, or a crash)")
        when = datetime.fromisoformat(received_at) if received_at else None
        return ingest_file(file, settings=settings, received_at=when)
    except ParseTimedOut:
        return quarantine_unprocessable(
            file, settings=settings,
            reason=f"parsing took longer than {app.conf.task_soft_time_limit} s (soft time limit)")
    except Exception as exc:
        if not is_transient(exc):
            raise
        if isinstance(exc, SoftTimeLimitExceeded):
            reason = (f"the soft time limit ({app.conf.task_soft_time_limit} s) struck outside parsing, "
                      "waiting for the database or the disk")
        else:
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        if self.request.retries >= settings.task_max_retries:
            # The file is fine; leave it in the inbox, where the watcher's rescan offers it again.
            log.error(events.STORE_GAVE_UP, file=printable_name(path), attempts=self.request.retries + 1,
                      reason=reason, detail="file left in the inbox for a later run")
            return "gave_up"
        countdown = min(60, 2 ** self.request.retries)
        log.warning(events.STORE_RETRY, file=printable_name(path), attempt=self.request.retries + 1,
                    retry_in_seconds=countdown, reason=reason)
        raise self.retry(countdown=countdown, max_retries=settings.task_max_retries) from None
    finally:
        ledger.end(entry)
