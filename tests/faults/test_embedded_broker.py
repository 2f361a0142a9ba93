"""`klantprofielen run`'s embedded redis-server is SIGKILLed in the middle of a backfill: run starts it
again on its socket with its append-only file, the worker and the watcher carry on, and every file is
stored exactly once. The assertions are about end results only (the archive's contents, the database),
not about how the inbox is worked."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from services.broker import redis_client
from services.ops.health import plain_engine
from services.ops.status import QUEUE_KEYS
from services.supervisor import FIRST_START_GRACE_SECONDS
from tests.cli_helpers import klantprofielen
from tests.conftest import wait_for
from tests.e2e.processes import ServiceProcess, Services, service_env
from tests.faults import corpus
from tests.faults.conftest import FAULT_TIMINGS
from tests.faults.harness import child_pids

FILES = 240
KILL_AFTER_ARCHIVED = 15


def contents_under(folder: Path) -> Counter[str]:
    """sha256 -> how many files under folder hold those bytes (whatever they are named)."""
    found: Counter[str] = Counter()
    if folder.exists():
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_symlink() and not path.name.endswith(".reason.json"):
                found[hashlib.sha256(path.read_bytes()).hexdigest()] += 1
    return found


def files_under(folder: Path) -> int:
    return sum(1 for path in folder.rglob("*") if path.is_file()) if folder.exists() else 0


def redis_server_of(service: ServiceProcess, broker_url: str) -> int:
    """The pid of the redis-server behind the broker URL, which must be a child of run."""
    with redis_client(broker_url, timeout=2) as client:
        pid = int(client.info("server")["process_id"])
    assert pid in child_pids(service.process.pid)
    return pid


def is_dead(pid: int) -> bool:
    """Gone, or a zombie that its parent has not reaped yet."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"


def broker_settled(url: str) -> bool:
    """No job waiting and none taken but unacknowledged (that one would come back after the visibility
    timeout, and must find its file handled)."""
    with redis_client(url, timeout=1) as client:
        return sum(int(client.llen(key)) for key in QUEUE_KEYS) == 0 and client.hlen("unacked") == 0


@pytest.fixture
def run_service(tmp_path: Path, database_url: str) -> Iterator[tuple[Services, ServiceProcess]]:
    """`klantprofielen run` with its own broker, on SQLite and on PostgreSQL."""
    env = service_env(inbox=str(tmp_path / "inbox"), data_dir=str(tmp_path / "data"), database_url=database_url,
                      **FAULT_TIMINGS)
    (tmp_path / "logs").mkdir()
    services = Services(env=env, logs_dir=tmp_path / "logs")
    service = services.start("run", ready_event="watcher_started")
    try:
        wait_for(lambda: "ready." in service.log_path.read_text(), timeout=30, message="the worker to be ready")
        # A child that dies within its first seconds is taken for a configuration error (run stops then).
        # Counted from the worker's "ready.", which comes after run started its children: a slow start of
        # run itself on a busy machine must not put the kill inside that window.
        time.sleep(FIRST_START_GRACE_SECONDS + 0.5)
        yield services, service
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(service.process.pid, signal.SIGCONT)
        services.stop_all()


def test_embedded_broker_killed_mid_backfill_stores_every_file_once(
        run_service: tuple[Services, ServiceProcess], tmp_path: Path, database_url: str) -> None:
    _, service = run_service
    inbox, data, staging = tmp_path / "inbox", tmp_path / "data", tmp_path / "staging"
    staging.mkdir()
    dropped = {f"backfill-{number:03d}.txt": corpus.valid_report(number) for number in range(FILES)}
    names = sorted(dropped)
    first_half, second_half = names[: FILES // 2], names[FILES // 2:]
    ops = ["--inbox", str(inbox), "--data-dir", str(data)]
    broker_url = (data / "run" / "embedded-broker-url").read_text()

    def drop(batch: list[str]) -> None:
        for name in batch:  # written elsewhere, renamed in: as `klantprofielen backfill` does
            (staging / name).write_bytes(dropped[name])
            os.rename(staging / name, inbox / name)

    drop(first_half)
    wait_for(lambda: files_under(data / "archive") >= KILL_AFTER_ARCHIVED, timeout=60,
             message="the backfill to be under way")
    redis_pid = redis_server_of(service, broker_url)
    # Hold run (not its worker and watcher) for a moment so the broker stays down while we look.
    os.kill(service.process.pid, signal.SIGSTOP)
    try:
        os.kill(redis_pid, signal.SIGKILL)
        wait_for(lambda: is_dead(redis_pid), timeout=10, message="redis-server to die")
        assert files_under(data / "archive") < len(first_half), "the backfill ended before the kill"
        down = klantprofielen("health", "--component", "broker", "--timeout", "0.5", *ops)
        drop(second_half)  # files keep arriving while the broker is down
    finally:
        os.kill(service.process.pid, signal.SIGCONT)
    assert down.returncode == 1, down.stdout + down.stderr
    assert down.stdout.startswith("FAIL broker: redis+socket://"), down.stdout

    wait_for(lambda: any(line["event"] == "broker_restarted" for line in service.log_lines()), timeout=30,
             message="run to restart the broker")
    up = klantprofielen("health", "--component", "broker", "--timeout", "2", *ops)
    assert up.returncode == 0, up.stdout + up.stderr

    expected = {hashlib.sha256(data).hexdigest() for data in dropped.values()}
    assert len(expected) == FILES
    wait_for(lambda: set(contents_under(data / "archive")) >= expected, timeout=120, interval=0.5,
             message="every dropped file in the archive")
    wait_for(lambda: broker_settled(broker_url), timeout=60, interval=0.5,
             message="no job left in the broker, waiting or unacknowledged")

    archived = contents_under(data / "archive")
    assert {sha: n for sha, n in archived.items() if n != 1} == {}, "a file was archived more than once"
    assert set(archived) == expected, "the archive holds files nobody dropped"
    assert not set(contents_under(data / "quarantine")) & expected, "a valid report was quarantined"
    engine = plain_engine(database_url)
    try:
        with engine.connect() as connection:
            stored = Counter(connection.execute(text("SELECT sha256 FROM source_file")).scalars())
            reports = connection.execute(text("SELECT count(*) FROM report")).scalar_one()
    finally:
        engine.dispose()
    assert {sha: n for sha, n in stored.items() if n != 1} == {} and set(stored) == expected
    assert reports == FILES

    assert service.process.poll() is None, "run must keep going"
    log = service.log_lines()
    [exited] = [line for line in log if line["event"] == "broker_exited"]
    assert exited["status"] == -signal.SIGKILL and exited["pid"] == redis_pid
    [restarted] = [line for line in log if line["event"] == "broker_restarted"]
    assert restarted["socket"] == exited["socket"] and restarted["pid"] != redis_pid
    assert service.stop() == 0 and service.log_lines()[-1]["event"] == "service_stopped"
