"""`klantprofielen health` against real things: an SQLite file, Redis with no worker, a real watcher."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
import typer
from typer.testing import CliRunner

from services.broker import redis_client
from services.ingest.enqueue import JobSender
from services.ingest.watcher import InboxWatcher, heartbeat_path
from services.ops.commands import register_ops_commands
from services.ops.health import check_database, check_watcher, check_worker_ping
from services.ops.status import jobs_in_progress, queued_jobs
from shared.claims import claim_name
from shared.config import Settings
from shared.store.db import upgrade_schema
from shared.store.migrate import head_revision
from tests.conftest import wait_for

IDLE_REDIS = "redis://127.0.0.1:6379/15"  # no worker listens on this database
RunningWatcher = tuple[InboxWatcher, threading.Thread, Settings]


@pytest.fixture
def ops_cli() -> typer.Typer:
    app = typer.Typer()
    register_ops_commands(app)
    return app


@pytest.fixture
def idle_redis() -> Iterator[str]:
    client = redis.Redis.from_url(IDLE_REDIS)
    client.flushdb()
    yield IDLE_REDIS
    client.flushdb()  # leave no queued jobs behind for a worker that starts on this database later
    client.close()


def test_database_check_runs_select_1_on_real_sqlite(tmp_path: Path, empty_sqlite_url: str) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=empty_sqlite_url)
    missing = check_database(settings)
    assert not missing.ok and "no SQLite database" in missing.detail
    assert not (tmp_path / "klantprofielen.db").exists(), "the check must not create the database"
    upgrade_schema(empty_sqlite_url, "0001")
    behind = check_database(settings)
    assert behind.line() == (f"FAIL database: database schema is at 0001, this version needs {head_revision()}: "
                             "run klantprofielen db upgrade")
    upgrade_schema(empty_sqlite_url)
    result = check_database(settings)
    assert result.ok, result.detail
    assert result.line().startswith("ok   database: SELECT 1 on sqlite:///")
    assert result.line().endswith(f", schema at {head_revision()}")


def test_database_check_fails_on_a_corrupt_sqlite_file(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is not an SQLite database" * 200)
    result = check_database(Settings(data_dir=tmp_path, database_url=f"sqlite:///{corrupt}"))
    assert not result.ok
    assert "DatabaseError" in result.detail and "\n" not in result.detail


def test_worker_ping_without_a_worker_fails_quickly(ops_cli: typer.Typer, idle_redis: str,
                                                    tmp_path: Path) -> None:
    started = time.monotonic()
    outcome = CliRunner().invoke(ops_cli, ["health", "--component", "worker", "--deep", "--timeout", "0.5",
                                           "--broker-url", idle_redis, "--data-dir", str(tmp_path)])
    elapsed = time.monotonic() - started
    assert outcome.exit_code == 1, outcome.output
    assert outcome.output.splitlines() == [
        f"FAIL worker: no worker heartbeat in {tmp_path / 'run' / 'workers'} newer than 20 s "
        "(is `klantprofielen worker` running?)",
        "FAIL worker ping: no worker answered a ping within 0.5 s"]
    assert elapsed < 5, f"took {elapsed:.1f} s"


def test_worker_ping_with_the_broker_down_fails_with_one_line(tmp_path: Path) -> None:
    started = time.monotonic()
    result = check_worker_ping(Settings(data_dir=tmp_path, broker_url="redis://127.0.0.1:1/0"), timeout=0.5)
    assert not result.ok
    assert result.detail.startswith("broker redis://127.0.0.1:1/0: OperationalError")
    assert time.monotonic() - started < 5


def test_queued_jobs_counts_what_the_watcher_sends_and_nobody_is_working(idle_redis: str,
                                                                          tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, broker_url=idle_redis)
    sender = JobSender(settings)
    try:
        claims = [claim_name(f"report-{number}.txt".encode(), datetime.now(UTC)) for number in range(3)]
        assert sender.offer(claims) == claims
        assert sender.offer(claims) == []  # one live job per claim
    finally:
        sender.close()
    client = redis_client(idle_redis, timeout=1.0)
    try:
        assert queued_jobs(client) == 1  # the three claims due at once travel as one batch
    finally:
        client.close()
    assert jobs_in_progress(settings, timeout=0.5) is None


@pytest.fixture
def running_watcher(tmp_path: Path) -> Iterator[RunningWatcher]:
    settings = Settings(inbox=tmp_path / "inbox", data_dir=tmp_path / "data", settle_seconds=0.3)
    watcher = InboxWatcher(settings, lambda claims: claims)
    watcher.start()
    # The heartbeat is written by the supervising loop, as in `klantprofielen watch`.
    supervisor = threading.Thread(target=watcher.run_until_stopped, name="test-supervisor", daemon=True)
    supervisor.start()
    yield watcher, supervisor, settings
    if supervisor.is_alive():
        watcher.stop()
        supervisor.join(timeout=10)
    assert not supervisor.is_alive() and not watcher.alive()


def test_watcher_check_follows_a_real_watcher(running_watcher: RunningWatcher, ops_cli: typer.Typer) -> None:
    watcher, supervisor, settings = running_watcher
    wait_for(lambda: check_watcher(settings).ok, timeout=10, message="a fresh heartbeat")
    outcome = CliRunner().invoke(ops_cli, ["health", "--component", "watcher", "--inbox", str(settings.inbox),
                                           "--data-dir", str(settings.data_dir)])
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output.startswith("ok   watcher: heartbeat ")

    watcher.stop()
    supervisor.join(timeout=10)
    assert not supervisor.is_alive()
    assert heartbeat_path(settings).exists(), "a stopped watcher leaves its last heartbeat behind"
    wait_for(lambda: not check_watcher(settings, max_age=1.0).ok, timeout=5, message="a stale heartbeat")
    stale = check_watcher(settings, now=datetime.now(UTC) + timedelta(seconds=11))
    assert not stale.ok and "old (limit 10 s)" in stale.detail


def test_watcher_check_fails_on_a_dead_thread_or_an_unreadable_inbox(tmp_path: Path) -> None:
    settings = Settings(inbox=tmp_path / "inbox", data_dir=tmp_path / "data")
    settings.inbox.mkdir()
    beat = {"pid": 1, "inbox": str(settings.inbox), "observer_alive": True, "enqueue_alive": True,
            "pending": 0, "written_at": datetime.now(UTC).isoformat()}
    heartbeat_path(settings).parent.mkdir(parents=True)
    heartbeat_path(settings).write_text(json.dumps(beat))
    assert check_watcher(settings).ok
    heartbeat_path(settings).write_text(json.dumps({**beat, "observer_alive": False}))
    assert check_watcher(settings).detail == "heartbeat reports observer_alive false"
    heartbeat_path(settings).write_text(json.dumps(beat))
    shutil.rmtree(settings.inbox)
    result = check_watcher(settings)
    assert not result.ok and result.detail.startswith(f"inbox {settings.inbox} not readable")
