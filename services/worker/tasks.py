"""The ingest task: thin; retries transient database trouble with backoff, a bounded number of times."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import DBAPIError, OperationalError

from services.worker.app import app, worker_settings
from services.worker.pipeline import FileChanged, ingest_file, log
from shared import events
from shared.jobs import INGEST_TASK

TRANSIENT = (OperationalError, FileChanged)


@app.task(name=INGEST_TASK, bind=True, acks_late=True, reject_on_worker_lost=True)
def ingest(self, path: str, received_at: str | None = None) -> str:  # type: ignore[no-untyped-def]
    """Ingest one inbox file by path."""
    settings = worker_settings()
    when = datetime.fromisoformat(received_at) if received_at else None
    try:
        return ingest_file(Path(path), settings=settings, received_at=when)
    except TRANSIENT + (DBAPIError,) as exc:
        if isinstance(exc, DBAPIError) and not (isinstance(exc, OperationalError)
                                                or exc.connection_invalidated):
            raise
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        if self.request.retries >= settings.task_max_retries:
            # The file is fine; leave it in the inbox, where the watcher's rescan offers it again.
            log.error(events.STORE_GAVE_UP, file=path, attempts=self.request.retries + 1, reason=reason,
                      detail="file left in the inbox for a later run")
            return "gave_up"
        countdown = min(60, 2 ** self.request.retries)
        log.warning(events.STORE_RETRY, file=path, attempt=self.request.retries + 1,
                    retry_in_seconds=countdown, reason=reason)
        raise self.retry(countdown=countdown, max_retries=settings.task_max_retries) from None
