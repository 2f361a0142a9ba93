"""`health --component worker` reads the heartbeat a real `klantprofielen worker` writes."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.ops.health import check_worker
from services.worker.heartbeat import worker_heartbeat_dir
from shared.config import Settings
from tests.cli_helpers import klantprofielen
from tests.conftest import wait_for
from tests.e2e.processes import Services, service_env
from tests.faults.harness import kill_hard


def test_a_running_worker_beats_and_a_stopped_or_killed_one_does_not(tmp_path: Path, sqlite_url: str,
                                                                     redis_url: str) -> None:
    data = tmp_path / "data"
    settings = Settings(data_dir=data, database_url=sqlite_url, broker_url=redis_url)
    env = {"KLANTPROFIELEN_DATA_DIR": str(data), "KLANTPROFIELEN_BROKER_URL": redis_url}
    running = Services(env=service_env(data_dir=str(data), database_url=sqlite_url, broker_url=redis_url),
                       logs_dir=tmp_path)
    worker = running.start("worker", "--concurrency", "1", ready_event="ready.")
    try:
        [beat] = list(worker_heartbeat_dir(data).glob("*.json"))
        assert beat.name == f"{socket.gethostname()}-{worker.process.pid}.json"
        for args in (("--component", "worker"), ("--component", "worker", "--this-host"),
                     ("--component", "worker", "--deep")):
            result = klantprofielen("health", *args, env=env)
            assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.splitlines()[0].startswith("ok   worker: 1 worker(s) beating (newest ")
        assert result.stdout.splitlines()[1].startswith("ok   worker ping: 1 worker(s) answered: klantprofielen-")
        written = beat.stat().st_mtime
        wait_for(lambda: beat.stat().st_mtime > written, timeout=12, message="the heartbeat to be rewritten")
    finally:
        assert worker.stop() == 0
    assert not beat.exists(), "a worker that stops cleanly removes its heartbeat"
    assert klantprofielen("health", "--component", "worker", env=env).returncode == 1

    killed = running.start("worker", "--concurrency", "1", ready_event="ready.")
    assert check_worker(settings).ok
    kill_hard(killed)
    later = datetime.now(UTC) + timedelta(seconds=21)
    stale = check_worker(settings, now=later)
    assert not stale.ok and "stale: klantprofielen-" in stale.detail
    left_behind = worker_heartbeat_dir(data) / f"{socket.gethostname()}-{killed.process.pid}.json"
    assert left_behind.exists()

    restarted = running.start("worker", "--concurrency", "1", ready_event="ready.")
    try:
        assert not left_behind.exists(), "a new worker removes the files of this host's dead workers"
        assert [path.name for path in worker_heartbeat_dir(data).glob("*.json")] == [
            f"{socket.gethostname()}-{restarted.process.pid}.json"]
    finally:
        assert restarted.stop() == 0
