"""`klantprofielen backfill DIR --wait` returns once every copied file has reached its end state, with the
counts, against the real service (a Redis broker, a `klantprofielen worker`, a `klantprofielen watch`)."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import func, select

from shared.store.db import session_for
from shared.store.tables import Delivery
from tests import seed_variants
from tests.cli_helpers import klantprofielen
from tests.e2e.processes import Services, service_env
from tests.faults import corpus


def test_backfill_waits_until_every_copied_file_has_ended(tmp_path: Path, sqlite_url: str, redis_url: str) -> None:
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    env = service_env(inbox=str(inbox), data_dir=str(data), database_url=sqlite_url, broker_url=redis_url,
                      settle_seconds="0.2", rescan_seconds="1")
    (tmp_path / "logs").mkdir()
    services = Services(env=env, logs_dir=tmp_path / "logs")
    old = tmp_path / "old reports"
    old.mkdir()
    for number in range(30):
        (old / f"report-{number:02d}.txt").write_bytes(corpus.valid_report(number))
    (old / "again.txt").write_bytes(corpus.valid_report(0))  # the same bytes as report-00.txt
    (old / "garbage.bin").write_bytes(b"\x00\xff not a report " * 50)
    (old / "ml.txt").write_bytes(seed_variants.midden_limburg())
    try:
        services.start("worker", "--concurrency", "2", ready_event="ready.")
        services.start("watch", ready_event="watcher_started")
        done = klantprofielen("backfill", str(old), "--wait", "--wait-timeout", "120", env=env, timeout=150)
    finally:
        services.stop_all()
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "ended 33 of 33: stored 31, duplicate 1, quarantined 1"
    with session_for(sqlite_url) as session:  # it returned after the last commit, not before
        assert session.exec(select(func.count()).select_from(Delivery)).one() == 33


def test_backfill_wait_gives_up_with_one_line_when_nothing_ingests(tmp_path: Path, sqlite_url: str) -> None:
    old = tmp_path / "old"
    old.mkdir()
    (old / "report.txt").write_bytes(corpus.valid_report(1))
    env = {"KLANTPROFIELEN_INBOX": str(tmp_path / "inbox"), "KLANTPROFIELEN_DATA_DIR": str(tmp_path / "data"),
           "KLANTPROFIELEN_DATABASE_URL": sqlite_url}
    done = klantprofielen("backfill", str(old), "--wait", "--wait-timeout", "1", env=env)
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1] == "ended 0 of 1: stored 0, duplicate 0, quarantined 0"
    assert "1 file(s) had not ended after 1 s" in done.stderr
