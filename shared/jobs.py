"""The job contract between watcher and worker: task name, queue and Celery settings as plain data,
so the watcher can send a job without importing the worker (and shared/ imports no Celery)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from shared.config import Settings

# A job names claims of the work folder (shared.claims), never paths: ingest_claims(claims: list[str]).
INGEST_TASK = "klantprofielen.ingest_claims"
INGEST_QUEUE = "klantprofielen"
INFLIGHT_KEY_PREFIX = "klantprofielen:inflight:"


def batches(claims: Sequence[str], size_of: Callable[[str], int], *, max_files: int,
            max_bytes: int) -> list[list[str]]:
    """The claims in order, in jobs of at most max_files claims and max_bytes bytes (a claim larger
    than max_bytes goes alone)."""
    jobs: list[list[str]] = []
    current: list[str] = []
    total = 0
    for claim in claims:
        size = size_of(claim)
        if current and (len(current) >= max_files or total + size > max_bytes):
            jobs.append(current)
            current, total = [], 0
        current.append(claim)
        total += size
    if current:
        jobs.append(current)
    return jobs


def inflight_ttl_seconds(settings: Settings) -> int:
    """Longer than the visibility timeout plus a job's own time, so a redelivered job still holds it."""
    return settings.visibility_timeout_seconds + 2 * settings.task_time_limit_seconds


def celery_config(settings: Settings, broker_url: str) -> dict[str, Any]:
    """Celery settings shared by the watcher (producer) and the workers."""
    hard_limit = settings.task_time_limit_seconds
    return {
        "broker_url": broker_url,
        "broker_transport_options": {
            "visibility_timeout": settings.visibility_timeout_seconds,
            # Sweep for jobs of dead workers often enough to matter at short visibility timeouts.
            "unacked_restore_interval": max(1, min(10, settings.visibility_timeout_seconds // 4)),
            "unacked_restore_throttle": 1,
        },
        "broker_connection_retry_on_startup": True,
        "task_default_queue": INGEST_QUEUE,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        # A job killed by the hard time limit goes back to the queue (as for a worker that died), so that
        # its claim's next attempt counts the death; acknowledged, it would be lost with its in-flight key.
        "task_acks_on_timeout": False,
        "task_time_limit": hard_limit,
        "task_soft_time_limit": max(1, int(hard_limit * 0.8)),
        # Each pool process has its next job at hand when it finishes one (acks_late still
        # redelivers reserved jobs if the worker dies); see the setting for the trade-off.
        "worker_prefetch_multiplier": settings.worker_prefetch_multiplier,
        "worker_max_tasks_per_child": settings.worker_max_tasks_per_child,
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
        # Off: a job running when Redis goes away finishes its files (the database does not need Redis);
        # its acknowledgement is lost, so it comes back and finds them ended. Cancelling sends SIGTERM to
        # the pool process the job *had*: it may have moved on to the next job, and the SystemExit the
        # signal raises inside arbitrary code can be swallowed (pydantic wraps it), leaving the pool's
        # result pipe torn and the worker dead ("Unrecoverable error: UnpicklingError"); seen in our
        # outage test with batches. Celery's docs say never to terminate programmatically for this
        # reason; https://github.com/celery/celery/issues/7185 is the same setting killing the worker.
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "worker_send_task_events": False,
        "enable_utc": True,
    }
