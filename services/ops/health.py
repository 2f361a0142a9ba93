"""Health checks for the containers and for ops: the watcher's and the workers' heartbeats, a broker
PING, SELECT 1 and the schema, and (--deep) a Celery ping.

Each check returns a CheckResult instead of raising, so `klantprofielen health` prints one line per
check and exits 1 if any failed."""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from celery import Celery
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from services.broker import redis_client
from services.ingest.watcher import heartbeat_path
from services.worker.heartbeat import worker_heartbeat_dir
from shared.config import Settings
from shared.jobs import celery_config
from shared.redact import mask_url
from shared.store.migrate import UPGRADE_HINT, SchemaNotCurrent, current_revision, head_revision, schema_problem

HEARTBEAT_MAX_AGE_SECONDS = 10.0
# Workers beat every 5 s (services/worker/heartbeat.py), from an event loop that a burst of jobs can
# keep busy for a moment: four beats missed is a stuck or dead worker.
WORKER_HEARTBEAT_MAX_AGE_SECONDS = 20.0
PING_TIMEOUT_SECONDS = 2.0
CONNECT_TIMEOUT_SECONDS = 5
COMPONENTS = ("watcher", "broker", "worker", "database")


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        """One line for the terminal: 'ok   watcher: ...' or 'FAIL watcher: ...'."""
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


def control_client(settings: Settings, timeout: float) -> Celery:
    """A light Celery client for remote control (ping, inspect) that gives up quickly."""
    app = Celery("klantprofielen-ops")
    config = celery_config(settings, settings.effective_broker_url)
    config.update({
        "broker_connection_timeout": timeout,
        "broker_connection_retry": False,
        "broker_connection_max_retries": 0,
        "broker_transport_options": {**config["broker_transport_options"], "max_retries": 0,
                                     "socket_connect_timeout": timeout, "socket_timeout": timeout},
    })
    app.conf.update(config)
    return app


def check_watcher(settings: Settings, *, max_age: float = HEARTBEAT_MAX_AGE_SECONDS,
                  now: datetime | None = None) -> CheckResult:
    """Fresh heartbeat with both watcher threads alive, and a readable inbox."""
    path = heartbeat_path(settings)
    try:
        beat: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        written_at = datetime.fromisoformat(str(beat["written_at"]))
    except FileNotFoundError:
        return CheckResult("watcher", False, f"no heartbeat at {path} (is `klantprofielen watch` running?)")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return CheckResult("watcher", False, f"unreadable heartbeat {path}: {type(exc).__name__}: {exc}")
    if written_at.tzinfo is None:
        written_at = written_at.replace(tzinfo=UTC)
    age = ((now or datetime.now(UTC)) - written_at).total_seconds()
    if age > max_age:
        return CheckResult("watcher", False, f"heartbeat {age:.0f} s old (limit {max_age:.0f} s): "
                                             "the watcher is not running or is stuck")
    dead = [name for name in ("observer_alive", "enqueue_alive") if beat.get(name) is not True]
    if dead:
        return CheckResult("watcher", False, f"heartbeat reports {', '.join(dead)} false")
    problem = inbox_problem(settings.inbox)
    if problem:
        return CheckResult("watcher", False, problem)
    detail = (f"heartbeat {max(age, 0):.1f} s old (pid {beat.get('pid')}), "
              f"{beat.get('pending', '?')} pending, inbox {settings.inbox} readable")
    return CheckResult("watcher", True, detail)


def inbox_problem(inbox: Path) -> str | None:
    """Why the inbox cannot be listed, or None."""
    try:
        with os.scandir(inbox) as entries:
            next(entries, None)
    except OSError as exc:
        return f"inbox {inbox} not readable: {exc.strerror or exc}"
    return None


def check_worker(settings: Settings, *, max_age: float = WORKER_HEARTBEAT_MAX_AGE_SECONDS,
                 this_host: bool = False, now: datetime | None = None) -> CheckResult:
    """At least one worker's heartbeat under --data-dir is fresh (with this_host: one of this host's)."""
    directory = worker_heartbeat_dir(settings.data_dir)
    host = socket.gethostname()
    where = f" on {host}" if this_host else ""
    now = now or datetime.now(UTC)
    fresh: list[tuple[str, float]] = []
    stale: list[tuple[str, float]] = []
    try:
        paths = sorted(directory.glob("*.json"))
    except OSError as exc:
        return CheckResult("worker", False, f"cannot list {directory}: {exc.strerror or exc}")
    for path in paths:
        try:
            beat: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            written_at = datetime.fromisoformat(str(beat["written_at"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # being replaced, or gone meanwhile
        if this_host and beat.get("host") != host:
            continue
        if written_at.tzinfo is None:
            written_at = written_at.replace(tzinfo=UTC)
        age = (now - written_at).total_seconds()
        (fresh if age <= max_age else stale).append((str(beat.get("node") or path.stem), age))
    if not fresh:
        seen = f"; stale: {', '.join(f'{node} ({age:.0f} s)' for node, age in stale)}" if stale else ""
        return CheckResult("worker", False, f"no worker heartbeat{where} in {directory} newer than "
                                            f"{max_age:.0f} s (is `klantprofielen worker` running?){seen}")
    newest = min(age for _, age in fresh)
    return CheckResult("worker", True, f"{len(fresh)} worker(s){where} beating (newest {max(newest, 0):.1f} s "
                                       f"old): {', '.join(node for node, _ in fresh)}")


def check_worker_ping(settings: Settings, *, timeout: float = PING_TIMEOUT_SECONDS,
                      this_host: bool = False) -> CheckResult:
    """At least one Celery worker answers a ping over the broker (with this_host: one named
    ...@<this hostname>). Deeper than the heartbeat, and dearer: a Celery client and a broadcast."""
    app = control_client(settings, timeout)
    try:
        replies = app.control.ping(timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - any broker failure is a failed check, on one line
        return CheckResult("worker ping", False, f"broker {_safe_url(settings.effective_broker_url)}: "
                                                 f"{type(exc).__name__}: {first_line(exc)}")
    finally:
        app.close()
    nodes = sorted(name for reply in replies for name in reply)
    if this_host:
        suffix = f"@{socket.gethostname()}"
        nodes = [name for name in nodes if name.endswith(suffix)]
    where = f" on {socket.gethostname()}" if this_host else ""
    if not nodes:
        return CheckResult("worker ping", False, f"no worker{where} answered a ping within {timeout:g} s")
    return CheckResult("worker ping", True, f"{len(nodes)} worker(s){where} answered: {', '.join(nodes)}")


class DatabaseMissing(RuntimeError):
    """The SQLite file does not exist (yet)."""


def plain_engine(url: str) -> Engine:
    """An engine for reading that neither creates nor upgrades anything; a missing SQLite file raises."""
    parsed = make_url(url)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not Path(parsed.database).is_file():
            raise DatabaseMissing(f"no SQLite database at {parsed.database} (a new or wrong --data-dir?): "
                                  f"{UPGRADE_HINT}")
    elif parsed.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    return create_engine(parsed, poolclass=NullPool, connect_args=connect_args)


def require_schema_at_head(engine: Engine) -> None:
    """Raise SchemaNotCurrent (one line) unless the database's schema is at head."""
    problem = schema_problem(current_revision(engine))
    if problem:
        raise SchemaNotCurrent(problem)


def check_database(settings: Settings) -> CheckResult:
    """SELECT 1 on the database and its schema at head, without creating or upgrading anything
    (a missing or corrupt SQLite file fails, and so does a schema behind this version)."""
    url = settings.effective_database_url
    try:
        engine = plain_engine(url)
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1")).scalar_one()
                if engine.dialect.name == "sqlite":
                    # SELECT 1 never reads an SQLite file; this does, and fails on a corrupt one.
                    connection.execute(text("SELECT count(*) FROM sqlite_master")).scalar_one()
            require_schema_at_head(engine)
        finally:
            engine.dispose()
    except (DatabaseMissing, SchemaNotCurrent) as exc:
        return CheckResult("database", False, str(exc))
    except Exception as exc:  # noqa: BLE001 - driver errors vary; one line is what ops needs
        return CheckResult("database", False, f"{_safe_url(url)}: {type(exc).__name__}: {first_line(exc)}")
    return CheckResult("database", True, f"SELECT 1 on {_safe_url(url)}, schema at {head_revision()}")


def check_broker(settings: Settings, *, timeout: float = PING_TIMEOUT_SECONDS) -> CheckResult:
    """The broker answers PING (for `run`'s embedded broker: the one it started on this data dir)."""
    url = settings.effective_broker_url
    started = time.monotonic()
    try:
        with redis_client(url, timeout) as client:
            client.ping()
    except (redis.RedisError, OSError) as exc:
        return CheckResult("broker", False, f"{_safe_url(url)}: {type(exc).__name__}: {first_line(exc)}")
    return CheckResult("broker", True, f"PING on {_safe_url(url)} answered in "
                                       f"{(time.monotonic() - started) * 1000:.0f} ms")


def run_checks(settings: Settings, components: tuple[str, ...], *, timeout: float = PING_TIMEOUT_SECONDS,
               this_host: bool = False, deep: bool = False) -> list[CheckResult]:
    """The named checks, in the order given; deep adds the Celery ping after the worker's heartbeat."""
    checks = {
        "watcher": lambda: [check_watcher(settings)],
        "broker": lambda: [check_broker(settings, timeout=timeout)],
        "worker": lambda: [check_worker(settings, this_host=this_host)]
        + ([check_worker_ping(settings, timeout=timeout, this_host=this_host)] if deep else []),
        "database": lambda: [check_database(settings)],
    }
    return [result for name in components for result in checks[name]()]


def _safe_url(url: str) -> str:
    """The URL without its password."""
    return mask_url(url)


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, for one-line reports."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else "no message"
