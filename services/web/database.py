"""The web view's database access: one pooled engine whose connections cannot write.

Not `shared.store.db.get_engine`: that one upgrades the schema on first use and begins SQLite
transactions IMMEDIATE (a write lock); a page must neither create nor change anything, nor hold up
a worker's write."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from services.ops.health import DatabaseMissing

SQLITE_BUSY_TIMEOUT_MS = 5_000
POSTGRES_CONNECT_TIMEOUT_SECONDS = 5


class ReadOnlyDatabase:
    """Connections for reading, made on first use (the SQLite file may appear after the web starts)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = _read_only_engine(self.url)
            return self._engine

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection in a read-only transaction; raises DatabaseMissing while there is no SQLite file."""
        with self.engine.connect() as connection:
            yield connection

    @property
    def dialect(self) -> str:
        return make_url(self.url).get_backend_name()

    def dispose(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None


def _read_only_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not Path(parsed.database).is_file():
            raise DatabaseMissing(f"no SQLite database at {parsed.database} (the worker creates it when it starts)")
        engine = create_engine(parsed, connect_args={"check_same_thread": False,
                                                     "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_query_only)
        return engine
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_SECONDS
    engine = create_engine(parsed, pool_pre_ping=True, pool_size=4, connect_args=connect_args)
    event.listen(engine, "connect", _postgres_read_only)
    return engine


def _sqlite_query_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # Any INSERT, UPDATE, DELETE or DDL on this connection fails: the web view cannot write.
        cursor.execute("PRAGMA query_only=ON")
    finally:
        cursor.close()


def _postgres_read_only(dbapi_connection: Any, _record: Any) -> None:
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    finally:
        dbapi_connection.autocommit = autocommit
