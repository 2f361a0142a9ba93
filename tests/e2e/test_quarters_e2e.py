"""Each report checked against its region's previous quarter, with the real service, in both arrival
orders: a municipality removed, one added, a total tripled, a register cut by 40%; nothing on an
ordinary quarter or on a merger the reference explains."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from shared.store.db import session_for
from shared.store.quarters import previous_period
from shared.store.tables import Delivery, Finding, Report
from tests.conftest import wait_for
from tests.e2e.processes import ServiceProcess, Services, service_env
from tests.quarter_reports import (
    MIDDEN_LIMBURG,
    ZUID_LIMBURG,
    a_few_percent,
    midden_limburg_rows,
    report,
)


@pytest.fixture
def running(tmp_path: Path, sqlite_url: str, redis_url: str) -> Iterator[tuple[ServiceProcess, Path, str]]:
    inbox = tmp_path / "inbox"
    env = service_env(inbox=str(inbox), data_dir=str(tmp_path / "data"), database_url=sqlite_url,
                      broker_url=redis_url, settle_seconds="0.2", rescan_seconds="1")
    (tmp_path / "logs").mkdir()
    services = Services(env=env, logs_dir=tmp_path / "logs")
    try:
        worker = services.start("worker", "--concurrency", "1", ready_event="ready.")
        services.start("watch", ready_event="watcher_started")
        yield worker, inbox, sqlite_url
    finally:
        services.stop_all()


def drop(inbox: Path, name: str, data: bytes, url: str) -> None:
    staged = inbox.parent / name
    staged.write_bytes(data)
    os.rename(staged, inbox / name)

    def stored() -> bool:
        with session_for(url) as session:
            return session.exec(select(Delivery).where(Delivery.name == name)).first() is not None

    wait_for(stored, timeout=30, message=f"{name} to be stored")


def warnings_of(url: str, year: int, quarter: int) -> list[tuple[str, str | None, str | None]]:
    with session_for(url) as session:
        found = session.exec(select(Finding).join(Report, Report.id == Finding.report_id).where(
            Report.year == year, Report.quarter == quarter, Report.is_current, Finding.severity == "warning")
            .order_by(Finding.check, Finding.municipality, Finding.field)).all()
    return [(f.check, f.municipality, f.field) for f in found]


def baseline_of(url: str, year: int, quarter: int) -> tuple[int, int] | None:
    with session_for(url) as session:
        current = session.exec(select(Report).where(Report.year == year, Report.quarter == quarter,
                                                    Report.is_current)).one()
        if current.baseline_report_id is None:
            return None
        baseline = session.get(Report, current.baseline_report_id)
    assert baseline is not None
    return baseline.year, baseline.quarter


def test_cross_quarter_checks_in_both_arrival_orders(running: tuple[ServiceProcess, Path, str]) -> None:
    worker, inbox, url = running
    base = midden_limburg_rows()
    without_weert = {name: counts for name, counts in base.items() if name != "Weert"}
    with_peel_en_maas = {**base, "Peel en Maas": (10, 40, 100, 12)}
    tripled = {**base, "Roermond": tuple(3 * n for n in base["Roermond"])}
    cases = [  # (year, what changed in Q1 against Q4 of the year before, the rows of Q1, the registers)
        (2016, "removed", without_weert, (3627, 3627)),
        (2017, "added", with_peel_en_maas, (3627, 3627)),
        (2018, "tripled", tripled, (3627, 4500)),  # a register that still holds everyone, within 25%
        (2019, "register", a_few_percent(base), (6000, 3600)),  # cut by 40%
        (2020, "ordinary", a_few_percent(base), (3627, 3700)),
    ]
    for number, (year, label, rows, (previous_register, register)) in enumerate(cases):
        previous = report(year - 1, 4, base, region=MIDDEN_LIMBURG, register=previous_register)
        current = report(year, 1, rows, region=MIDDEN_LIMBURG, register=register)
        files = [(f"ml-{year - 1}q4.txt", previous), (f"ml-{year}q1-{label}.txt", current)]
        for name, data in files if number % 2 == 0 else reversed(files):  # half of them out of order
            drop(inbox, name, data, url)

    assert warnings_of(url, 2016, 1) == [("municipality_missing", "Weert", "total")]
    assert warnings_of(url, 2017, 1) == [("municipality_new", "Peel en Maas", "total")]
    tripled_findings = warnings_of(url, 2018, 1)
    assert ("quarter_change", "Roermond", "total") in tripled_findings
    assert {check for check, _, _ in tripled_findings} == {"quarter_change"}
    assert {municipality for _, municipality, _ in tripled_findings} == {"Roermond"}
    assert warnings_of(url, 2019, 1) == [("register_change", None, "register_size")]
    assert warnings_of(url, 2020, 1) == []
    assert baseline_of(url, 2017, 1) == (2016, 4) and baseline_of(url, 2016, 4) is None

    # A merger the reference explains: Nuth, Onderbanken and Schinnen became Beekdaelen on 2019-01-01.
    zuid = {"Sittard-Geleen": (40, 300, 700, 90), "Nuth": (3, 20, 40, 6), "Onderbanken": (1, 10, 20, 3),
            "Schinnen": (2, 12, 30, 4)}
    merged = {"Sittard-Geleen": zuid["Sittard-Geleen"],
              "Beekdaelen": tuple(sum(zuid[m][i] for m in ("Nuth", "Onderbanken", "Schinnen")) for i in range(4))}
    drop(inbox, "zl-2019q1.txt", report(2019, 1, merged, region=ZUID_LIMBURG), url)  # out of order too
    drop(inbox, "zl-2018q4.txt", report(2018, 4, zuid, region=ZUID_LIMBURG), url)
    with session_for(url) as session:
        beekdaelen = session.exec(select(Report).where(Report.region_code == 35, Report.year == 2019)).one()
    assert warnings_of(url, 2019, 1) == [("register_change", None, "register_size")]  # Midden-Limburg's only
    assert beekdaelen.baseline_report_id is not None and beekdaelen.mergers is not None
    assert "GM1954" in beekdaelen.mergers and "GM0951" in beekdaelen.mergers

    alerts = [line for line in worker.log_lines() if line["event"] == "consistency_warning"]
    assert {(a["check"], a["year"], a["quarter"]) for a in alerts} >= {
        ("municipality_missing", 2016, 1), ("municipality_new", 2017, 1), ("quarter_change", 2018, 1),
        ("register_change", 2019, 1)}
    [missing] = [a for a in alerts if a["check"] == "municipality_missing"]
    assert missing["compared_with"] == {"year": 2015, "quarter": 4} and missing["municipality_code"] == "GM0988"
    assert {"expected", "actual", "region", "region_code", "file", "sha256", "task_id"} <= set(missing)
    assert not [line for line in worker.log_lines() if line["event"] == "reconciliation_failed"]


def test_a_burst_of_consecutive_quarters_on_two_workers_checks_every_quarter(
        tmp_path: Path, postgres_url: str, redis_url: str) -> None:
    """Twelve quarters of two regions dropped at once, taken by two worker processes in jobs of two
    files on PostgreSQL: jobs with consecutive quarters of a region run side by side, and every quarter
    ends checked against the one before it (a writer used to lock only its own quarter; neither of two
    such writers then saw the other's report, and the later quarter stayed unchecked)."""
    inbox = tmp_path / "inbox"
    env = service_env(inbox=str(inbox), data_dir=str(tmp_path / "data"), database_url=postgres_url,
                      broker_url=redis_url, settle_seconds="0.2", rescan_seconds="1", batch_max_files="2")
    (tmp_path / "logs").mkdir()
    staged = tmp_path / "staged"
    staged.mkdir()
    regions = {"ml": (MIDDEN_LIMBURG, midden_limburg_rows()),
               "zl": (ZUID_LIMBURG, {"Sittard-Geleen": (40, 300, 700, 90), "Heerlen": (30, 200, 500, 60)})}
    names = []
    for quarter_index in range(12):
        year, quarter = 2021 + quarter_index // 4, quarter_index % 4 + 1
        for label, (region, rows) in regions.items():
            name = f"{label}-{year}q{quarter}.txt"
            (staged / name).write_bytes(report(year, quarter, rows, region=region))
            names.append(name)
    services = Services(env=env, logs_dir=tmp_path / "logs")
    try:
        services.start("worker", "--concurrency", "2", ready_event="ready.")
        services.start("watch", ready_event="watcher_started")
        for name in names:
            os.rename(staged / name, inbox / name)

        def all_stored() -> bool:
            with session_for(postgres_url) as session:
                return len(session.exec(select(Delivery)).all()) == len(names)

        wait_for(all_stored, timeout=60, message="every quarter to be stored")
    finally:
        services.stop_all()
    with session_for(postgres_url) as session:
        current = {(r.region_key, r.year, r.quarter): r for r in session.exec(select(Report)).all() if r.is_current}
    assert len(current) == len(names)
    unchecked = [(key, r.baseline_report_id) for (key, year, quarter), r in current.items()
                 if (previous := current.get((key, *previous_period(year, quarter)))) is not None
                 and r.baseline_report_id != previous.id]
    assert unchecked == []
