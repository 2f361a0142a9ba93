"""`klantprofielen status`: gathering against a real SQLite database, and the rendering of it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from services.broker import redis_client
from services.ops.status import (
    gather_status,
    render_status,
    status_as_dict,
    store_summary,
)
from shared.config import Settings
from shared.documents import build_document, sha256_hex
from shared.parsing import parse_report
from shared.store.db import session_for
from shared.store.service import add_deliveries, add_stored_report, delivery_values
from shared.store.tables import Delivery, Report, SourceFile
from tests import seed_variants
from tests.claiming import received_file

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once


def _store(session: Session, data: bytes, name: str, stored_at: datetime) -> int:
    """Store one report as the worker would, then date it; returns its finding count."""
    document = build_document(parse_report(data, name=name), path=f"/inbox/{name}", sha256=sha256_hex(data))
    add_stored_report(session=session, received=received_file(data, name, received_at=NOW - timedelta(days=5)),
                      document=document, final_path=f"/data/archive/{name}")
    source_id = select(SourceFile.id).where(SourceFile.sha256 == sha256_hex(data)).scalar_subquery()
    session.exec(update(Report).where(col(Report.source_file_id) == source_id).values(stored_at=stored_at))
    return len(document.findings)


@pytest.fixture
def populated(sqlite_url: str) -> dict[str, int]:
    """Three reports (today, yesterday evening, last week) and twelve quarantined files, an hour apart."""
    with session_for(sqlite_url) as session:
        assert _store(session, seed_variants.midden_limburg(), "today.txt", NOW - timedelta(hours=1)) == 0
        yesterday = _store(session, seed_variants.broken_row_total(), "yesterday.txt",
                           NOW - timedelta(hours=13))
        last_week = _store(session, seed_variants.broken_column_total(), "last-week.txt",
                           NOW - timedelta(days=7))
        for number in range(12):
            data = f"not a report {number}".encode()
            received = received_file(data, f"junk-{number}.txt", received_at=NOW - timedelta(days=5))
            add_deliveries(session=session, deliveries=[delivery_values(
                received, outcome="quarantined", reason=f"reason {number}", path=f"quarantine/{received.claim}")])
            session.exec(update(Delivery).where(col(Delivery.claim) == received.claim)  # junk-0 is the newest
                         .values(committed_at=NOW - timedelta(hours=number + 1)))
        session.commit()
    assert yesterday > 0 and last_week > 0, "the broken seeds must produce findings"
    return {"findings_yesterday": yesterday, "findings_last_week": last_week}


def test_store_summary_counts_by_utc_day_and_last_24_hours(sqlite_url: str,
                                                           populated: dict[str, int]) -> None:
    with session_for(sqlite_url) as session:
        summary = store_summary(session, NOW)
    assert summary.reports_today == 1  # yesterday evening is another UTC day
    assert summary.reports_with_findings_24h == 1
    assert summary.findings_24h == populated["findings_yesterday"]  # last week's are too old
    assert summary.quarantined_total == 12
    assert [item.name for item in summary.quarantined_recent] == [f"junk-{n}.txt" for n in range(10)]
    assert summary.quarantined_recent[0].reason == "reason 0"
    assert summary.quarantined_recent[0].stored_at == NOW - timedelta(hours=1)


def test_a_day_later_nothing_is_today_or_recent(sqlite_url: str, populated: dict[str, int]) -> None:
    with session_for(sqlite_url) as session:
        summary = store_summary(session, NOW + timedelta(days=2))
    assert (summary.reports_today, summary.findings_24h, summary.reports_with_findings_24h) == (0, 0, 0)
    assert summary.quarantined_total == 12


@pytest.fixture
def status_settings(tmp_path: Path, sqlite_url: str) -> Settings:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("a.pdf", "b.txt", ".c.pdf.part", "d.xlsx.tmp", "~$e.xlsx"):
        (inbox / name).write_bytes(b"x")
    (inbox / "subfolder").mkdir()
    return Settings(inbox=inbox, data_dir=tmp_path / "data", database_url=sqlite_url,
                    broker_url=UNREACHABLE_BROKER)


def test_gather_status_reads_inbox_and_database_when_the_broker_is_down(
        status_settings: Settings, populated: dict[str, int]) -> None:
    status = gather_status(status_settings, now=NOW, timeout=0.5)
    assert status.inbox_waiting == 2  # temporary names and folders are not waiting files
    assert status.queued is None and status.in_progress is None
    assert len(status.problems) == 1 and status.problems[0].startswith("broker: ConnectionError")
    assert status.store is not None and status.store.reports_today == 1
    assert status.last_error is not None
    assert (status.last_error.name, status.last_error.reason) == ("junk-0.txt", "reason 0")


def test_rendering_shows_the_numbers(status_settings: Settings, populated: dict[str, int]) -> None:
    text = render_status(gather_status(status_settings, now=NOW, timeout=0.5))
    lines = text.splitlines()
    assert lines[0] == "klantprofielen status at 2026-03-10 09:30:00 UTC"
    assert "  waiting in inbox        2  " in text
    assert "  queued in broker        unknown" in text
    assert "  reports stored today    1  (UTC day)" in text
    assert f"  findings last 24 h      {populated['findings_yesterday']}  in 1 report(s)" in text
    assert "  quarantined (all time)  12" in text
    assert "  last error              2026-03-10 08:30 UTC  junk-0.txt: reason 0" in text
    assert "junk-9.txt" in text and "junk-10.txt" not in text  # the last ten only
    assert lines[-2:] == ["could not read:", lines[-1]] and lines[-1].startswith("  broker: ")


def test_json_is_serialisable_with_utc_timestamps(status_settings: Settings,
                                                  populated: dict[str, int]) -> None:
    data = json.loads(json.dumps(status_as_dict(gather_status(status_settings, now=NOW, timeout=0.5))))
    assert data["generated_at"] == "2026-03-10T09:30:00+00:00"
    assert data["inbox_waiting"] == 2 and data["queued"] is None
    assert data["store"]["quarantined_total"] == 12
    assert data["last_error"] == {"name": "junk-0.txt", "reason": "reason 0",
                                  "stored_at": "2026-03-10T08:30:00+00:00"}


def test_a_missing_inbox_is_a_problem_not_a_crash(status_settings: Settings, tmp_path: Path) -> None:
    settings = status_settings.model_copy(update={"inbox": tmp_path / "gone"})
    status = gather_status(settings, now=NOW, timeout=0.5)
    assert status.inbox_waiting is None
    assert any(problem.startswith(f"inbox {tmp_path / 'gone'}") for problem in status.problems)
    assert "  waiting in inbox        unknown" in render_status(status)


@pytest.mark.parametrize(("url", "expected"), [
    ("redis+socket:///run/kp/redis.sock", {"path": "/run/kp/redis.sock", "db": 0}),
    ("redis+socket:///run/kp/redis.sock?virtual_host=3", {"path": "/run/kp/redis.sock", "db": 3}),
    ("redis://broker.internal:6380/2", {"host": "broker.internal", "port": 6380, "db": 2}),
])
def test_redis_client_understands_celery_broker_urls(url: str, expected: dict[str, object]) -> None:
    client = redis_client(url, timeout=0.5)
    kwargs = client.connection_pool.connection_kwargs
    assert {key: kwargs.get(key) for key in expected} == expected
    client.close()


def test_status_neither_creates_nor_upgrades_a_missing_database(tmp_path: Path) -> None:
    database = tmp_path / "data" / "klantprofielen.db"
    settings = Settings(inbox=tmp_path, data_dir=tmp_path / "data", broker_url=UNREACHABLE_BROKER)
    status = gather_status(settings, now=NOW, timeout=0.5)
    assert status.store is None
    assert (f"database: no SQLite database at {database} (a new or wrong --data-dir?): "
            "run klantprofielen db upgrade") in status.problems
    assert not database.exists()
    assert "  reports stored today    unknown" in render_status(status)
