"""Engines: one per process and URL, created lazily. SQLite gets WAL, a busy timeout and
BEGIN IMMEDIATE so concurrent writers wait instead of failing with 'database is locked'.

Opening a database never changes its schema: upgrade_schema does (`klantprofielen db upgrade`, and
`run` on its own database); every other process calls require_current_schema once at start."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from shared.store.migrate import SchemaNotCurrent, current_revision, schema_problem, upgrade_database

SQLITE_BUSY_TIMEOUT_MS = 30_000
_engines: dict[str, Engine] = {}
_read_only_engines: dict[str, Engine] = {}  # views of _engines' engines, sharing their pools
_writer_locks: dict[tuple[str, int], int] = {}  # (url, pid) -> descriptor of the SQLite writers' lock file


class DatabaseSetupError(RuntimeError):
    """The database cannot be used as configured."""


def get_engine(url: str) -> Engine:
    """The process's engine for this URL (the schema is left as it is)."""
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = _create_engine(url)
    return engine


def require_current_schema(url: str) -> None:
    """Raise SchemaNotCurrent (one line) unless the schema is at head. A missing SQLite file is a
    database without a schema, and is not created (a mistyped --data-dir must not leave one behind)."""
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        raise SchemaNotCurrent(schema_problem(None) or "")
    problem = schema_problem(current_revision(get_engine(url)))
    if problem:
        raise SchemaNotCurrent(problem)


def upgrade_schema(url: str, revision: str = "head") -> None:
    """Create or upgrade the schema to head (creating an SQLite file and its folder if needed)."""
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    upgrade_database(get_engine(url), revision)


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL; None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def dispose_engines() -> None:
    """Forget pooled connections inherited over fork (call in each worker child)."""
    for engine in _engines.values():
        engine.dispose(close=False)


def close_engine(url: str) -> None:
    """Close and forget the engine for a URL (tests, and commands that are done)."""
    _read_only_engines.pop(url, None)
    engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()


def session_for(url: str) -> Session:
    return Session(get_engine(url), expire_on_commit=False)


@contextlib.contextmanager
def writer_turn(url: str) -> Iterator[None]:
    """On SQLite, wait for this process's turn to write behind the others' (an flock on a file beside
    the database), for the length of the block; elsewhere nothing. SQLite's own lock stays the
    guarantee; this is about speed. A writer that finds SQLite's write lock taken polls with sleeps
    of 1, 2, 5, 10, ... up to 100 ms, so with batches holding the lock for tens of milliseconds the
    lock sat free most of the time while the others slept (a text backfill kept the machine half
    idle); the kernel wakes an flock waiter the moment the lock is released."""
    path = sqlite_path(url)
    if path is None:
        yield
        return
    key = (url, os.getpid())  # a descriptor inherited over fork shares its lock with the parent's
    descriptor = _writer_locks.get(key)
    if descriptor is None:
        try:
            descriptor = _writer_locks[key] = os.open(f"{path}.writer-lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                                                      0o660)
        except OSError:  # a folder this process may not create in: SQLite's own lock alone, as before
            descriptor = None
    if descriptor is None:
        yield
        return
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)


def read_connection_for(url: str) -> Connection:
    """A connection that only reads (use it in a with block): on SQLite a deferred BEGIN, which takes
    no write lock, so a look-up does not queue behind (or hold up) another process's write. A plain
    Core connection, not a Session: this is the look-up every job makes."""
    engine = _read_only_engines.get(url)
    if engine is None:
        engine = _read_only_engines[url] = get_engine(url).execution_options(read_only=True)
    return engine.connect()


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                                              "check_same_thread": False})
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, emit BEGIN, so that it can be BEGIN IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        mode = cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise DatabaseSetupError(
                f"SQLite refused WAL mode (got {mode!r}); keep the database off network filesystems")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # FULL: a commit is durable before the worker moves the file out of the work folder.
        cursor.execute("PRAGMA synchronous=FULL")
    finally:
        cursor.close()


def _begin_immediate(connection: Any) -> None:
    read_only = connection.get_execution_options().get("read_only", False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
