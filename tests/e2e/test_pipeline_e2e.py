"""Drop folder to database with real processes: a Redis broker, a `klantprofielen worker` (a real
Celery worker) and a `klantprofielen watch` on a temporary inbox; on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from shared.claims import WorkFolder
from shared.config import Settings
from shared.store.db import session_for
from shared.store.tables import Delivery, Finding, Report
from tests import seed_variants
from tests.cli_helpers import klantprofielen
from tests.conftest import wait_for
from tests.e2e.processes import Services, service_env

ALERT_FIELDS = {"event", "level", "timestamp", "service", "check", "expected", "actual", "region", "year",
                "quarter", "file", "sha256", "task_id"}


@pytest.fixture
def services(tmp_path: Path, database_url: str, redis_url: str) -> Iterator[tuple[Services, Settings]]:
    settings = Settings(inbox=tmp_path / "inbox", data_dir=tmp_path / "data", database_url=database_url,
                        broker_url=redis_url)
    env = service_env(inbox=str(settings.inbox), data_dir=str(settings.data_dir), database_url=database_url,
                      broker_url=redis_url, settle_seconds="0.3", rescan_seconds="1")
    logs = tmp_path / "logs"
    logs.mkdir()
    running = Services(env=env, logs_dir=logs)
    try:
        yield running, settings
    finally:
        running.stop_all()


def write_slowly(path: Path, data: bytes, chunk: int = 400, pause: float = 0.1) -> None:
    with path.open("wb") as handle:
        for start in range(0, len(data), chunk):
            handle.write(data[start:start + chunk])
            handle.flush()
            time.sleep(pause)


def test_drop_folder_to_database(services: tuple[Services, Settings], tmp_path: Path) -> None:
    running, settings = services
    worker = running.start("worker", "--concurrency", "2", ready_event="ready.")
    watcher = running.start("watch", ready_event="watcher_started")
    inbox = settings.inbox

    write_slowly(inbox / "midden-limburg 2021-Q4.txt", seed_variants.midden_limburg())
    staged = tmp_path / "west-brabant.txt"
    staged.write_bytes(seed_variants.west_brabant())
    os.rename(staged, inbox / "west-brabant.txt")
    wait_for(lambda: all_handled(inbox), timeout=20, message="both seeds handled")
    (inbox / "west-brabant (copy).txt").write_bytes(seed_variants.west_brabant())
    (inbox / "broken-totals.txt").write_bytes(seed_variants.broken_column_total())
    (inbox / "garbage.dat").write_bytes(os.urandom(3000) + b"\x00")

    wait_for(lambda: all_handled(inbox), timeout=30, message="every file to end")
    wait_for(lambda: _count_events(worker.log_lines()) >= 5, timeout=10, message="five outcomes logged")

    with session_for(settings.effective_database_url) as session:
        reports = session.exec(select(Report).order_by(Report.id)).all()
        delivered = session.exec(select(Delivery)).all()
        findings = session.exec(select(Finding)).all()
    by_region = sorted(reports, key=lambda r: (r.region_name, r.id))
    assert [(r.region_name, r.region_code, r.year, r.quarter, r.total, r.status, r.is_current)
            for r in by_region] == [
        ("Midden-Limburg", 34, 2021, 4, 2537, "ok", True),  # the clean version stays current
        ("Midden-Limburg", 34, 2021, 4, 2537, "findings", False),  # the broken copy is held
        ("West-Brabant", 28, 2020, 4, 5026, "ok", True),  # the code from the reference: the PDF prints none
    ]
    assert (by_region[1].version_status, by_region[1].superseded_by_id) == ("held", by_region[0].id)
    assert sorted((d.name, d.outcome) for d in delivered) == [
        ("broken-totals.txt", "stored"), ("garbage.dat", "quarantined"),
        ("midden-limburg 2021-Q4.txt", "stored"), ("west-brabant (copy).txt", "duplicate"),
        ("west-brabant.txt", "stored")]
    assert all(d.dropped_at and d.committed_at >= d.dropped_at for d in delivered)
    assert [(f.check, f.field, f.expected, f.actual) for f in findings] == [
        ("column_total", "uwv_with_profile", 1519, 1520)]

    archived = sorted(p.name.split("_", 2)[2] for p in settings.archive_dir.iterdir())
    assert archived == ["broken-totals.txt", "midden-limburg 2021-Q4.txt", "west-brabant (copy).txt",
                        "west-brabant.txt"]
    quarantined = sorted(p.name.split("_", 2)[2] for p in settings.quarantine_dir.iterdir())
    assert quarantined == ["garbage.dat", "garbage.dat.reason.json"]
    sidecar = next(settings.quarantine_dir.glob("*.reason.json"))
    assert json.loads(sidecar.read_text())["reason"] == "unsupported format: binary content"

    worker_log = worker.log_lines()
    by_event: dict[str, list[dict]] = {}
    for entry in worker_log:
        by_event.setdefault(entry["event"], []).append(entry)
    assert len(by_event["report_stored"]) == 3
    assert [e["duplicate_of"] for e in by_event["duplicate_skipped"]] == ["west-brabant.txt"]
    assert [Path(e["file"]).name for e in by_event["file_quarantined"]] == ["garbage.dat"]
    [alert] = by_event["reconciliation_failed"]
    assert set(alert) >= ALERT_FIELDS
    assert (alert["check"], alert["field"], alert["expected"], alert["actual"]) == (
        "column_total", "uwv_with_profile", 1519, 1520)
    assert (alert["region"], alert["year"], alert["quarter"], alert["level"], alert["service"]) == (
        "Midden-Limburg", 2021, 4, "warning", "worker")
    assert Path(alert["file"]).name == "broken-totals.txt" and len(alert["sha256"]) == 64
    assert alert["timestamp"].endswith("Z") and alert["task_id"]
    enqueued = [e["file"] for e in watcher.log_lines() if e["event"] == "file_claimed"]
    assert sorted(enqueued) == sorted(["midden-limburg 2021-Q4.txt", "west-brabant.txt",
                                       "west-brabant (copy).txt", "broken-totals.txt", "garbage.dat"])

    result = klantprofielen("reports", "--json", env={"KLANTPROFIELEN_DATABASE_URL": settings.database_url or ""})
    assert result.returncode == 0, result.stderr
    documents = json.loads(result.stdout)
    assert sorted((d["region"]["name"], len(d["findings"])) for d in documents) == [
        ("Midden-Limburg", 0), ("West-Brabant", 0)]

    assert worker.stop() == 0 and watcher.stop() == 0


def all_handled(inbox: Path) -> bool:
    """Nothing waits in the inbox and no claim is pending."""
    return not [p for p in inbox.iterdir() if not p.name.startswith(".")] and \
        not WorkFolder.of_inbox(inbox).list_claims()


def _count_events(lines: list[dict]) -> int:
    return sum(1 for e in lines if e["event"] in {"report_stored", "duplicate_skipped", "file_quarantined"})
