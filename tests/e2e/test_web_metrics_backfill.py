"""/metrics after a backfill by several worker processes: `klantprofielen run --concurrency 2` (embedded
broker) ingests a folder of files while `klantprofielen serve` runs beside it as its own process; the
counters, parsed with the Prometheus client's parser, must match the database row for row."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from tests import seed_variants
from tests.conftest import wait_for
from tests.e2e.processes import Services, service_env
from tests.report_renderers import render
from tests.web_data import QUARTERS, report_for

TOKEN = "metrics-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def metrics(base: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    response = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert response.status_code == 200, response.text
    values: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            values.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return values


def test_metrics_match_the_database_after_a_backfill_with_several_workers(tmp_path: Path) -> None:
    inbox, data, staging = tmp_path / "inbox", tmp_path / "data", tmp_path / "staging"
    inbox.mkdir()
    staging.mkdir()
    files: dict[str, bytes] = {}
    for region in ("midden-limburg", "west-brabant"):
        for step, (year, quarter) in enumerate(QUARTERS):
            files[f"{region} {year}q{quarter}.txt"] = render(report_for(region, year, quarter, step), "text")
    files["copy of ml 2021q1.txt"] = files["midden-limburg 2021q1.txt"]
    files["copy of wb 2022q4.txt"] = files["west-brabant 2022q4.txt"]
    files["broken wb.txt"] = seed_variants.broken_row_total()
    files["broken ml.txt"] = seed_variants.broken_column_total()
    files["garbage.txt"] = b"nothing to see"
    files["empty.txt"] = b""
    for name, data_bytes in files.items():
        (staging / name).write_bytes(data_bytes)

    running = Services(env=service_env(settle_seconds="0.2", web_token=TOKEN), logs_dir=tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    try:
        running.start("run", "--inbox", str(inbox), "--data-dir", str(data), "--concurrency", "2",
                      ready_event="watcher_started")
        web = running.start("serve", "--port", str(port), "--inbox", str(inbox), "--data-dir", str(data),
                            ready_event="web_started")
        wait_for(lambda: _answers(base), timeout=20, message="the web view to answer")
        for name in files:  # as a writer should: complete files renamed in
            (staging / name).rename(inbox / name)
        wait_for(lambda: sum(metrics(base).get("klantprofielen_files_total", {}).values()) == len(files),
                 timeout=90, interval=0.3, message="every file to reach its end")
        wait_for(lambda: httpx.get(f"{base}/healthz", timeout=10).status_code == 200, timeout=30,
                 message="/healthz to pass with the watcher and the workers up")
        scraped = metrics(base)
    finally:
        running.stop_all()
    # uvicorn shuts down gracefully, then re-raises the signal it caught (so the exit status shows it).
    assert web.stop(signal.SIGTERM) in (0, -signal.SIGTERM)
    events = [line["event"] for line in web.log_lines()]  # its log is JSON lines too, uvicorn's included
    assert events[0] == "web_started" and "Application shutdown complete." in events

    engine = create_engine(f"sqlite:///{data / 'klantprofielen.db'}")
    with engine.connect() as connection:
        outcomes = dict(connection.execute(text("SELECT outcome, count(*) FROM delivery GROUP BY outcome")).all())
        checks = dict(connection.execute(text('SELECT "check", count(*) FROM finding GROUP BY "check"')).all())
        timed = connection.execute(text("SELECT count(*) FROM delivery WHERE dropped_at IS NOT NULL")).scalar_one()
    engine.dispose()
    assert outcomes == {"stored": 18, "duplicate": 2, "quarantined": 2}
    assert {dict(key)["outcome"]: value for key, value in scraped["klantprofielen_files_total"].items()} == outcomes
    assert {dict(key)["check"]: value for key, value in scraped["klantprofielen_findings_total"].items()} == checks
    assert scraped["klantprofielen_drop_to_commit_seconds_count"][()] == timed == len(files)
    buckets = scraped["klantprofielen_drop_to_commit_seconds_bucket"]
    assert buckets[(("le", "+Inf"),)] == len(files)
    assert scraped["klantprofielen_claims_pending"][()] == 0
    assert scraped["klantprofielen_inbox_waiting"][()] == 0
    assert scraped["klantprofielen_queue_length"][()] == 0
    assert scraped["klantprofielen_last_stored_report_timestamp_seconds"][()] > 1.7e9


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=5).status_code in (200, 503)
    except httpx.HTTPError:
        return False
