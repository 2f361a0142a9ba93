"""The embedded redis-server, killed and started again: same socket, same append-only file, same jobs."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
import structlog
import typer
from structlog.testing import capture_logs
from typer.testing import CliRunner

from services.embedded_broker import SOCKET_PATH_LIMIT, EmbeddedRedis
from services.ops.commands import register_ops_commands
from services.ops.health import check_broker
from services.supervisor import FIRST_START_GRACE_SECONDS, supervise
from shared.config import Settings
from tests.conftest import wait_for

QUEUE = "ingest"
GRACE_SECONDS = 0.5  # a death this soon after supervise started is a configuration error


@pytest.fixture(params=["short", "long"])
def broker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EmbeddedRedis]:
    """A broker under a data dir; 'long' is too deep for a unix socket, which then lives in a temp folder."""
    data_dir = tmp_path / "data" if request.param == "short" else tmp_path / ("d" * SOCKET_PATH_LIMIT) / "data"
    made = EmbeddedRedis(data_dir)
    assert (made.socket.parent == made.directory) == (request.param == "short")
    made.start()
    try:
        yield made
    finally:
        made.stop()


def client_of(broker: EmbeddedRedis) -> redis.Redis:
    return redis.Redis(unix_socket_path=str(broker.socket), socket_timeout=2)


def queue_a_job(broker: EmbeddedRedis, job: bytes) -> None:
    """LPUSH a job and wait until the append-only file holds it (the server writes it before replying)."""
    with client_of(broker) as client:
        client.lpush(QUEUE, job)
    aof = broker.directory / "appendonly.aof"
    wait_for(lambda: job in aof.read_bytes(), timeout=5, message="the job in the append-only file")


def kill_server(broker: EmbeddedRedis) -> int:
    pid = broker.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: broker.exit_status() is not None, timeout=5, message="redis-server to die")
    return pid


def test_restart_after_a_kill_keeps_the_socket_and_the_queued_jobs(broker: EmbeddedRedis) -> None:
    socket, url = broker.socket, broker.url
    queue_a_job(broker, b"job-1")
    killed = kill_server(broker)
    assert broker.exit_status() == -signal.SIGKILL
    with pytest.raises(redis.ConnectionError), client_of(broker) as client:
        client.ping()

    broker.start()

    assert (broker.socket, broker.url) == (socket, url) and broker.pid != killed
    assert broker.exit_status() is None
    with client_of(broker) as client:
        assert client.lrange(QUEUE, 0, -1) == [b"job-1"]


def test_start_leaves_a_running_server_alone(broker: EmbeddedRedis) -> None:
    pid = broker.pid
    broker.start()
    assert broker.pid == pid


def test_stop_ends_the_server_and_removes_a_private_socket_folder(tmp_path: Path) -> None:
    broker = EmbeddedRedis(tmp_path / ("d" * SOCKET_PATH_LIMIT))
    broker.start()
    broker.stop()
    assert broker.exit_status() == 0
    assert not broker.socket.parent.exists()


@dataclass
class Supervising:
    logs: list[dict[str, Any]]
    statuses: list[int]


@contextlib.contextmanager
def supervising(broker: EmbeddedRedis, *, grace: float = GRACE_SECONDS) -> Iterator[Supervising]:
    """supervise([broker]) in a thread, with its log captured; yields once it watches the broker."""
    stop, watching, statuses = threading.Event(), threading.Event(), []

    def should_stop() -> bool:
        watching.set()  # supervise asks only after it has started its children
        return stop.is_set()

    with capture_logs() as logs:
        log = structlog.get_logger()
        thread = threading.Thread(target=lambda: statuses.append(
            supervise([broker], should_stop, log, first_start_grace_seconds=grace)))
        thread.start()
        try:
            wait_for(watching.is_set, timeout=10, message="supervise to watch the broker")
            yield Supervising(logs, statuses)
        finally:
            stop.set()
            thread.join(timeout=30)
    assert not thread.is_alive()


def test_supervise_restarts_a_killed_broker_with_its_jobs(broker: EmbeddedRedis) -> None:
    queue_a_job(broker, b"job-1")
    with supervising(broker) as supervisor:
        # A death within the first seconds is a configuration error (the next test); this one is later.
        time.sleep(GRACE_SECONDS + 0.3)
        killed = kill_server(broker)
        wait_for(lambda: any(line["event"] == "broker_restarted" for line in supervisor.logs), timeout=15,
                 message="the supervisor to restart the broker")
        with client_of(broker) as client:
            assert client.lrange(QUEUE, 0, -1) == [b"job-1"]
    assert supervisor.statuses == [0]
    assert broker.exit_status() is not None, "supervise stops its children when asked to"
    [exited] = [line for line in supervisor.logs if line["event"] == "broker_exited"]
    assert exited["status"] == -signal.SIGKILL and exited["pid"] == killed
    assert exited["socket"] == str(broker.socket) and exited["restart_in_seconds"] > 0
    [restarted] = [line for line in supervisor.logs if line["event"] == "broker_restarted"]
    assert restarted["pid"] not in (None, killed) and restarted["start"] == 2


def test_supervise_stops_when_the_broker_dies_right_after_its_start(broker: EmbeddedRedis) -> None:
    with supervising(broker, grace=FIRST_START_GRACE_SECONDS) as supervisor:
        kill_server(broker)
        wait_for(lambda: supervisor.statuses, timeout=10, message="supervise to give up")
    assert supervisor.statuses == [1]
    assert [(line["event"], line["detail"]) for line in supervisor.logs] == [
        ("broker_exited", "failed at start; stopping the service")]


def test_supervise_keeps_trying_a_broker_that_cannot_come_back(broker: EmbeddedRedis) -> None:
    aof = broker.directory / "appendonly.aof"
    with supervising(broker) as supervisor:
        time.sleep(GRACE_SECONDS + 0.3)
        aof.write_bytes(b"this is not an append-only file\n")  # redis-server refuses to start on it
        kill_server(broker)
        wait_for(lambda: any("reason" in line for line in supervisor.logs), timeout=15, message="a failed restart")
        aof.unlink()  # what `redis-check-aof --fix` would have repaired
        wait_for(lambda: any(line["event"] == "broker_restarted" for line in supervisor.logs), timeout=15,
                 message="the broker back after the repair")
    assert supervisor.statuses == [0]
    exits = [line for line in supervisor.logs if line["event"] == "broker_exited"]
    assert exits[0]["status"] == -signal.SIGKILL
    assert exits[1]["reason"].startswith("embedded redis-server exited with 1; see ")
    assert exits[1]["restart_in_seconds"] > exits[0]["restart_in_seconds"], "the backoff grows"


def test_health_checks_the_embedded_broker_of_the_data_dir(broker: EmbeddedRedis, tmp_path: Path) -> None:
    app = typer.Typer()
    register_ops_commands(app)
    settings = Settings(data_dir=tmp_path / "ops")
    settings.embedded_broker_file.parent.mkdir(parents=True)
    settings.embedded_broker_file.write_text(broker.url)  # as `run` does
    health = ["health", "--component", "broker", "--timeout", "0.5", "--data-dir", str(settings.data_dir)]

    up = CliRunner().invoke(app, health)
    assert up.exit_code == 0, up.output
    assert up.output.startswith(f"ok   broker: PING on {broker.url} answered in ")

    kill_server(broker)
    started = time.monotonic()
    down = CliRunner().invoke(app, health)
    assert time.monotonic() - started < 2, "the check must not retry past its timeout"
    assert down.exit_code == 1
    assert down.output.startswith(f"FAIL broker: {broker.url}: ConnectionError: ") and down.output.count("\n") == 1

    broker.start()
    assert check_broker(settings).ok


def test_broker_check_fails_in_one_line_without_the_password() -> None:
    started = time.monotonic()
    result = check_broker(Settings(broker_url="redis://:hunter2@127.0.0.1:1/0"), timeout=0.5)
    assert not result.ok and time.monotonic() - started < 5
    assert result.detail.startswith("redis://:***@127.0.0.1:1/0: ConnectionError: ")
    assert "hunter2" not in result.line() and "\n" not in result.line()


def test_broker_check_passes_on_a_running_redis(redis_url: str) -> None:
    result = check_broker(Settings(broker_url=redis_url))
    assert result.ok and result.detail.startswith(f"PING on {redis_url} answered in ")



def test_start_waits_for_a_long_append_only_file_to_load(tmp_path: Path) -> None:
    jobs = 1_500_000
    broker = EmbeddedRedis(tmp_path / "data")
    broker.directory.mkdir(parents=True)
    job = b"*3\r\n$5\r\nLPUSH\r\n$6\r\ningest\r\n$32\r\n" + b"j" * 32 + b"\r\n"
    (broker.directory / "appendonly.aof").write_bytes(job * jobs)
    started = time.monotonic()
    try:
        broker.start(timeout=0.3)
        took = time.monotonic() - started
        with client_of(broker) as client:
            assert client.llen(QUEUE) == jobs
    finally:
        broker.stop()
    assert took > 0.3, "the load was too short to test the wait for it"
