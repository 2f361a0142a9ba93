"""The Celery app of the workers. Logic lives in pipeline.py; this wires Celery to it."""

from __future__ import annotations

import gc
import warnings
from typing import Any

import structlog
from celery import Celery, signals
from celery.exceptions import CPendingDeprecationWarning

from services.kombu_redis import install_redis_transport
from services.worker.heartbeat import WorkerHeartbeat
from services.worker.pipeline import warm_up_documents
from shared import events
from shared.config import Settings
from shared.files import ignore_lease_break_signal
from shared.jobs import celery_config
from shared.logging import configure_logging, get_logger
from shared.parsing.selfcheck import check_parsers
from shared.store.db import dispose_engines, require_current_schema

app = Celery("klantprofielen", include=["services.worker.tasks"])
app.steps["worker"].add(WorkerHeartbeat)
_state: dict[str, Any] = {}
log = get_logger("klantprofielen.worker")


class WorkerStartError(RuntimeError):
    """The worker must not start; the message is one line for stderr."""


def configure_worker_app(settings: Settings) -> Celery:
    """Apply the settings; called by `klantprofielen worker` before the worker starts."""
    _state["settings"] = settings
    install_redis_transport()
    ignore_lease_break_signal()
    app.conf.update(celery_config(settings, settings.effective_broker_url))
    app.conf.worker_concurrency = settings.effective_worker_concurrency
    problems = check_parsers()
    if problems:
        raise WorkerStartError(f"parser self-check failed: {'; '.join(problems)}")
    require_current_schema(settings.effective_database_url)  # `klantprofielen db upgrade` migrates, not workers
    dispose_engines()
    return app


def worker_settings() -> Settings:
    settings = _state.get("settings")
    if settings is None:  # started as `celery -A services.worker.app worker`: settings from the environment
        settings = Settings()
        configure_worker_app(settings)
    return settings  # type: ignore[no-any-return]


@signals.setup_logging.connect
def _keep_our_logging(**_: Any) -> None:
    # Connecting to this signal stops Celery from configuring logging itself.
    configure_logging("worker", worker_settings().log_format)


@signals.celeryd_after_setup.connect
def _quiet_the_cancel_warning(**_: Any) -> None:
    # Raised at every loss of Redis because we let running jobs finish (shared/jobs.py says why); the
    # loss itself is logged by Celery. Added here, after Celery's log setup puts "always" for its warnings.
    warnings.filterwarnings("ignore", message=r"\s*In Celery 5\.1 we introduced an optional breaking change",
                            category=CPendingDeprecationWarning)


@signals.worker_process_init.connect
def _after_fork(**_: Any) -> None:
    ignore_lease_break_signal()
    dispose_engines()
    configure_logging("worker", worker_settings().log_format)
    _warm_up()
    # What the process holds now (modules, schemas, reference data, parsers' tables) lives as long as it
    # does: out of the collector's sight, full collections no longer walk it on every job (in one
    # process, 7% more text reports per second, the parse stage 0.54 -> 0.43 ms; docs/benchmark.md).
    gc.freeze()


def _warm_up() -> None:
    """Bring a new pool process to its working size before its first job: parse the samples
    (imports and first-use allocations of every parser). No database connection here: during an
    outage it could hang the process's start, where no time limit applies."""
    problems = check_parsers()
    try:
        warm_up_documents()
    except Exception as exc:  # noqa: BLE001 - a warm-up that fails must not keep the process from working
        problems.append(f"documents: {type(exc).__name__}: {exc}")
    if problems:
        log.warning(events.WORKER_WARM_UP_FAILED, reason="; ".join(problems))


@signals.task_prerun.connect
def _bind_task(task_id: str | None = None, **_: Any) -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(task_id=task_id)


@signals.task_postrun.connect
def _clear_task(**_: Any) -> None:
    structlog.contextvars.clear_contextvars()
