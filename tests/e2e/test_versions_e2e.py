"""Which version of a region's quarter is current, decided by the facts, with the real service: a
Redis broker, a `klantprofielen worker` and a `klantprofielen watch`; the order of arrival never decides."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from shared.models import Period
from shared.store.db import session_for
from shared.store.tables import Delivery, Report
from tests import seed_variants
from tests.cli_helpers import klantprofielen
from tests.conftest import wait_for
from tests.e2e.processes import ServiceProcess, Services, service_env
from tests.report_renderers import render, sample_report

T0 = 1_700_000_000.0  # modification times, as cp -p or rsync keep them


@pytest.fixture
def running(tmp_path: Path, sqlite_url: str, redis_url: str) -> Iterator[tuple[Services, ServiceProcess, Path, str]]:
    inbox = tmp_path / "inbox"
    env = service_env(inbox=str(inbox), data_dir=str(tmp_path / "data"), database_url=sqlite_url,
                      broker_url=redis_url, settle_seconds="0.2", rescan_seconds="1")
    (tmp_path / "logs").mkdir()
    services = Services(env=env, logs_dir=tmp_path / "logs")
    try:
        worker = services.start("worker", "--concurrency", "2", ready_event="ready.")
        services.start("watch", ready_event="watcher_started")
        yield services, worker, inbox, sqlite_url
    finally:
        services.stop_all()


def drop(inbox: Path, name: str, data: bytes, written: float, url: str) -> Delivery:
    """Drop a file written at `written` and wait for its delivery."""
    staged = inbox.parent / name
    staged.write_bytes(data)
    os.utime(staged, (written, written))
    os.rename(staged, inbox / name)

    def delivered() -> Delivery | None:
        with session_for(url) as session:
            return session.exec(select(Delivery).where(Delivery.name == name)).first()

    found = wait_for(delivered, timeout=30, message=f"{name} to end")
    assert isinstance(found, Delivery)
    return found


def versions(url: str, year: int, quarter: int, region_code: int) -> list[tuple[str, str, bool]]:
    """(file, version status, pinned) of one region's quarter, in order of arrival."""
    with session_for(url) as session:
        rows = session.exec(select(Report, Delivery).join(Delivery, Delivery.report_id == Report.id)
                            .where(Report.year == year, Report.quarter == quarter,
                                   Report.region_code == region_code, Delivery.outcome == "stored")
                            .order_by(Report.id)).all()
    return [(delivery.name, report.version_status, report.pinned_at is not None) for report, delivery in rows]


def in_quarter(data: bytes, words: bytes) -> bytes:
    return seed_variants.replace_once(data, b"Vierde kwartaal 2021", words)


def test_the_current_version_is_decided_by_the_facts(running: tuple[Services, ServiceProcess, Path, str]) -> None:
    _, worker, inbox, url = running
    clean = seed_variants.midden_limburg()

    # Clean, then a broken copy written later: the clean one stays current, the broken one is held.
    drop(inbox, "ml-q4.txt", clean, T0, url)
    drop(inbox, "ml-q4-broken.txt", seed_variants.broken_column_total(), T0 + 100, url)
    assert versions(url, 2021, 4, 34) == [("ml-q4.txt", "current", False), ("ml-q4-broken.txt", "held", False)]

    # Original, then its correction written later: the correction is current.
    q3 = in_quarter(clean, b"Derde kwartaal 2021")
    drop(inbox, "ml-q3.txt", q3, T0, url)
    drop(inbox, "ml-q3-correctie.txt", seed_variants.corrected_midden_limburg(q3), T0 + 500, url)
    assert versions(url, 2021, 3, 34) == [("ml-q3.txt", "superseded", False), ("ml-q3-correctie.txt", "current", False)]

    # The correction first, the original after it (a backfill in any order): the correction stays current.
    q2 = in_quarter(clean, b"Tweede kwartaal 2021")
    drop(inbox, "ml-q2-correctie.txt", seed_variants.corrected_midden_limburg(q2), T0 + 500, url)
    drop(inbox, "ml-q2.txt", q2, T0, url)
    assert versions(url, 2021, 2, 34) == [("ml-q2-correctie.txt", "current", False), ("ml-q2.txt", "superseded", False)]

    # The same figures as PDF and as HTML are one version: the second is a duplicate of the first.
    report = sample_report("midden-limburg").model_copy(update={"period": Period(year=2021, quarter=1)})
    drop(inbox, "ml-q1.pdf", render(report, "pdf"), T0, url)
    as_html = drop(inbox, "ml-q1.html", render(report, "html"), T0 + 50, url)
    assert as_html.outcome == "duplicate" and as_html.reason == "same figures as a stored version"
    assert versions(url, 2021, 1, 34) == [("ml-q1.pdf", "current", False)]

    # A pin makes the held broken copy current by hand, and wins until it is taken away.
    with session_for(url) as session:
        broken = session.exec(select(Report).where(Report.version_status == "held")).one()
    env = {"KLANTPROFIELEN_DATABASE_URL": url}
    assert klantprofielen("reports", "pin", str(broken.id), env=env).returncode == 0
    assert versions(url, 2021, 4, 34) == [("ml-q4.txt", "superseded", False), ("ml-q4-broken.txt", "current", True)]
    assert klantprofielen("reports", "unpin", str(broken.id), env=env).returncode == 0
    assert versions(url, 2021, 4, 34) == [("ml-q4.txt", "current", False), ("ml-q4-broken.txt", "held", False)]

    events = {line["event"] for line in worker.log_lines()}
    assert {"version_held", "report_reissued"} <= events
