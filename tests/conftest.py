"""Fixtures on real servers: SQLite files, a PostgreSQL schema per test, a Redis database."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis

from shared.config import Settings
from shared.files import ignore_lease_break_signal
from shared.store.db import close_engine, upgrade_schema

ignore_lease_break_signal()

ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = ROOT.parent / "shared" / "seeds"
MIDDEN_LIMBURG = SEEDS_DIR / "000_f3c2dd9af89e7b56.txt"
WEST_BRABANT = SEEDS_DIR / "001_23d8ea5ce4f2f5b4.txt"



def redis_of_this_process(url: str) -> str:
    """The suite runs in several processes (pytest-xdist, pyproject.toml's addopts); each gets a Redis
    database of its own so that one's workers, queues and heartbeats never show in another's tests: gw0
    the database given, gw1 the one below it, and so on (15 stays free for test_ops_health's idle one)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(worker.removeprefix("gw")) if worker.startswith("gw") else 0
    if index == 0:
        return url
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) - index
    if database < 0:
        raise RuntimeError(f"{url}: too low a database number for {index + 1} test processes (each takes one below it)")
    return urlunsplit(parts._replace(path=f"/{database}"))


# Test servers; override to point the suite elsewhere.
POSTGRES_DSN = os.environ.get("KLANTPROFIELEN_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = redis_of_this_process(os.environ.get("KLANTPROFIELEN_TEST_REDIS", "redis://127.0.0.1:6379/14"))


def wait_for(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.02,
             message: str = "condition") -> object:
    """Poll until the predicate is truthy; fail the test after the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.1f} s waiting for {message}")
        time.sleep(interval)


# Opening a database never migrates it (only `klantprofielen db upgrade` and `run` do): the *_url
# fixtures hand out databases migrated to head, the empty_*_url ones databases without a schema.

@pytest.fixture
def empty_postgres_url() -> Iterator[str]:
    """A fresh, empty schema in the test database, as a SQLAlchemy URL whose search_path points at it."""
    schema = f"kp_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    base = POSTGRES_DSN.replace("postgresql://", "postgresql+psycopg://", 1)
    url = f"{base}?options=-csearch_path%3D{schema}"
    yield url
    close_engine(url)
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def empty_sqlite_url(tmp_path: Path) -> Iterator[str]:
    """An SQLite URL whose file does not exist yet."""
    url = f"sqlite:///{tmp_path / 'klantprofielen.db'}"
    yield url
    close_engine(url)


@pytest.fixture
def postgres_url(empty_postgres_url: str) -> str:
    """A PostgreSQL schema of its own, migrated to head."""
    upgrade_schema(empty_postgres_url)
    return empty_postgres_url


@pytest.fixture
def sqlite_url(empty_sqlite_url: str) -> str:
    """An SQLite file, migrated to head."""
    upgrade_schema(empty_sqlite_url)
    return empty_sqlite_url


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database_url(request: pytest.FixtureRequest) -> str:
    """An empty database, on SQLite and on PostgreSQL."""
    return request.getfixturevalue(f"empty_{request.param}_url")  # type: ignore[no-any-return]


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each database test runs on SQLite and on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_url")  # type: ignore[no-any-return]


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The test Redis database, empty before and after the test (jobs left behind would show up in
    another test's queue length)."""
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(inbox=tmp_path / "inbox", data_dir=tmp_path / "data", database_url=database_url,
                    settle_seconds=0.3)
