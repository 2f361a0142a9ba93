"""`klantprofielen run` with the embedded default: no servers but the ones it starts itself."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from tests import seed_variants
from tests.cli_helpers import klantprofielen
from tests.conftest import wait_for
from tests.e2e.processes import Services, service_env


def test_run_stores_a_dropped_report_and_stops_cleanly(tmp_path: Path) -> None:
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    running = Services(env=service_env(settle_seconds="0.3"), logs_dir=tmp_path)
    service = running.start("run", "--inbox", str(inbox), "--data-dir", str(data), "--concurrency", "1",
                            ready_event="watcher_started")
    try:
        wait_for(lambda: '"ready."' in service.log_path.read_text() or "ready." in service.log_path.read_text(),
                 timeout=30, message="the worker to be ready")
        (inbox / "ml.txt").write_bytes(seed_variants.midden_limburg())
        wait_for(lambda: not (inbox / "ml.txt").exists(), timeout=20, message="the file to leave the inbox")
        # Ops commands on the same data dir find the embedded broker by themselves.
        health = klantprofielen("health", "--inbox", str(inbox), "--data-dir", str(data))
        assert health.returncode == 0, health.stdout + health.stderr
        assert [line.split()[:2] for line in health.stdout.splitlines()] == [
            ["ok", "watcher:"], ["ok", "broker:"], ["ok", "worker:"], ["ok", "database:"]]
        status = klantprofielen("status", "--json", "--inbox", str(inbox), "--data-dir", str(data))
        assert status.returncode == 0, status.stdout + status.stderr
        report = json.loads(status.stdout)
        assert report["store"]["reports_today"] == 1 and report["queued"] == 0 and report["in_progress"] == 0
    finally:
        status = service.stop(signal.SIGTERM)
    assert status == 0, service.log_path.read_text()[-2000:]
    events = [line["event"] for line in service.log_lines()]
    assert "embedded_broker_started" in events and "report_stored" in events
    assert events[-1] == "service_stopped"
    assert (data / "redis" / "appendonly.aof").exists() or (data / "redis" / "appendonlydir").exists()

    result = klantprofielen("reports", "--json", "--data-dir", str(data))
    assert result.returncode == 0, result.stderr
    [document] = json.loads(result.stdout)
    assert document["region"]["name"] == "Midden-Limburg" and document["totals"]["total"] == 2537
