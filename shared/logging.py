"""Logging, configured once by each entry point: structlog for our events, and the stdlib records
of Celery and friends rendered by the same processors, so every line is one JSON object."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import MutableMapping
from typing import Any, Literal

import structlog

from shared.redact import redact

LogFormat = Literal["auto", "json", "console"]

_SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_logging(service: str, fmt: LogFormat = "auto", level: int = logging.INFO) -> None:
    """JSON lines when not on a terminal (or when asked), readable console lines on one."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer: Any = (structlog.processors.JSONRenderer() if use_json
                     else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty()))
    structlog.configure(
        processors=[
            *_SHARED_PROCESSORS,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: prefork children must not keep loggers bound before the fork.
        cache_logger_on_first_use=False,
    )
    # JSON lines carry a traceback as a string field; the console renderer prints it itself.
    exceptions: list[Any] = [structlog.processors.format_exc_info] if use_json else []
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_SHARED_PROCESSORS, structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _add_service(service),
            *exceptions,
            _redact_secrets,
            renderer,
        ],
    )
    # No line shows where a call was made, or from which thread or process: the stdlib need not work
    # it out for every record (the Logging HOWTO's "Optimization"; about a fifth of a line's cost).
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # billiard (Celery's pool) logs to "multiprocessing" with propagation off; without a handler of
    # its own its records would reach stderr as plain text through logging's last resort.
    logging.getLogger("multiprocessing").handlers[:] = [handler]
    logging.captureWarnings(True)
    for noisy in ("watchdog", "kombu", "amqp", "urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("watchdog.observers.inotify").addFilter(_drop_shutdown_noise)
    _route_stray_exceptions()


def _route_stray_exceptions() -> None:
    """Exceptions Python would print as plain text (uncaught, in a thread, or 'ignored' in __del__
    when a time-limit signal lands there) become log lines like everything else."""
    stray = get_logger("klantprofielen.stray")

    def unraisable(info: Any) -> None:
        stray.error("unraisable_exception", detail=str(info.err_msg or "exception ignored"),
                    error=f"{type(info.exc_value).__name__}: {info.exc_value}", object=repr(info.object)[:200])

    def uncaught(exc_type: Any, exc: BaseException, tb: Any) -> None:
        stray.error("uncaught_exception", exc_info=(exc_type, exc, tb))

    def thread_uncaught(args: Any) -> None:
        stray.error("uncaught_thread_exception", thread=getattr(args.thread, "name", None),
                    exc_info=(args.exc_type, args.exc_value, args.exc_traceback))

    sys.unraisablehook = unraisable
    sys.excepthook = uncaught
    threading.excepthook = thread_uncaught


def _drop_shutdown_noise(record: logging.LogRecord) -> bool:
    # watchdog logs this at error level when its emitter is stopped mid-read: expected at shutdown.
    return "called when the thread is inactive" not in record.getMessage()


def _redact_secrets(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    # The net under every log line, ours and Celery's: no password of a configured URL gets out.
    for key, value in event_dict.items():
        if isinstance(value, str):
            event_dict[key] = redact(value)
    return event_dict


def _add_service(service: str) -> Any:
    def add_service(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        event_dict.setdefault("service", service)
        return event_dict

    return add_service


def get_logger(name: str = "klantprofielen") -> Any:
    return structlog.stdlib.get_logger(name)
