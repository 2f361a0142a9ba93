"""Redis and the database go away for a while; nothing is lost, and claims wait in the work folder."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from services.ingest.enqueue import JobSender
from services.supervisor import FIRST_START_GRACE_SECONDS
from shared.claims import WorkFolder, claim_file
from shared.store.db import close_engine, upgrade_schema
from shared.store.tables import utcnow
from tests.conftest import POSTGRES_DSN, wait_for
from tests.faults import corpus
from tests.faults.conftest import FaultRig, make_rig
from tests.faults.harness import kill_all, settle, start_pipeline
from tests.faults.proxy import TcpProxy


def events_of(rig: FaultRig, command: str) -> list[dict]:
    return [line for service in rig.services.running if service.name == command for line in service.log_lines()]


def test_redis_down_then_back_every_file_stored(rig: FaultRig) -> None:
    # Under `klantprofielen run`, which restarts a worker that exits: kombu 5.7 could make a Celery worker
    # exit when Redis goes away (as compose's restart policy or systemd would, run starts it again).
    service = rig.services.start("run", ready_event="watcher_started")
    wait_for(lambda: "ready." in service.log_path.read_text(), timeout=30, message="the worker to be ready")
    started = time.monotonic()  # the children start after run has migrated its database: time them from here
    # An outage of a running service, not of one in its first seconds (see services/supervisor.py).
    time.sleep(max(0.0, FIRST_START_GRACE_SECONDS + 0.5 - (time.monotonic() - started)))
    rig.drops.drop("before.txt", corpus.valid_report(1))
    wait_for(lambda: rig.drops.handled() == 1, timeout=20, message="the first file")
    rig.redis.stop()
    names = {f"during-{i}.txt" for i in range(5)}
    for i, name in enumerate(sorted(names)):
        rig.drops.drop(name, corpus.valid_report(10 + i), staging=rig.staging)

    def retries() -> int:
        return sum(e["event"] == "enqueue_retry" and e["service"] == "ingest" for e in service.log_lines())

    wait_for(lambda: retries() >= 2, timeout=20, message="the watcher to hold and retry")
    assert rig.drops.waiting_names() == names  # claimed, and waiting for the broker
    rig.redis.start()  # same port, empty: the worker reconnects (or is restarted) and consumes again
    settle(rig.drops, timeout=60)
    rig.drops.assert_invariant(valid=names | {"before.txt"}, quarantined=set())
    assert service.process.poll() is None, "run must keep going"


def test_jobs_lost_with_redis_are_offered_again(rig: FaultRig) -> None:
    worker, _ = start_pipeline(rig.services)
    worker.stop()  # nobody consumes: the jobs sit in Redis
    names = {f"queued-{i}.txt" for i in range(6)}
    for i, name in enumerate(sorted(names)):
        rig.drops.drop(name, corpus.valid_report(i))
    wait_for(lambda: sum(e["event"] == "file_enqueued" for e in events_of(rig, "watch")) >= 6, timeout=20,
             message="six jobs queued")
    rig.redis.stop()  # no persistence: the queued jobs are gone
    rig.redis.start()
    rig.services.start("worker", "--concurrency", "2", ready_event="ready.")
    settle(rig.drops, timeout=60)  # their in-flight keys went with them: the watcher offers the claims again
    rig.drops.assert_invariant(valid=names, quarantined=set())


def test_sqlite_locked_by_another_process_for_a_while(sqlite_rig: FaultRig) -> None:
    rig = sqlite_rig
    # Another writer (a backup, an analyst's tool) holds SQLite's write lock: jobs wait on the busy
    # timeout with their files claimed, then store once the lock is released.
    start_pipeline(rig.services)
    rig.drops.drop("first.txt", corpus.valid_report(1))
    wait_for(lambda: rig.drops.handled() == 1, timeout=20, message="the first file")
    locker = sqlite3.connect(rig.settings.effective_database_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        names = {f"while-locked-{i}.txt" for i in range(4)}
        for i, name in enumerate(sorted(names)):
            rig.drops.drop(name, corpus.valid_report(10 + i))
        wait_for(lambda: any(e["event"] == "file_enqueued" and e["claim"].endswith("while-locked-3.txt")
                             for e in events_of(rig, "watch")), timeout=20, message="the jobs to be sent")
        time.sleep(3)
        assert rig.drops.handled() == 1
        assert rig.drops.waiting_names() == names
        assert not rig.settings.quarantine_dir.exists() or not any(rig.settings.quarantine_dir.iterdir())
    finally:
        locker.rollback()
        locker.close()
    settle(rig.drops, timeout=60)
    rig.drops.assert_invariant(valid=names | {"first.txt"}, quarantined=set())


@pytest.fixture
def postgres_behind_proxy(tmp_path: Path) -> Iterator[tuple[FaultRig, TcpProxy]]:
    schema = f"kp_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    proxy = TcpProxy(("127.0.0.1", 5432))
    proxy.start()
    url = f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/test?options=-csearch_path%3D{schema}"
    upgrade_schema(url)
    made = make_rig(tmp_path, url)
    try:
        yield made, proxy
    finally:
        kill_all(made.services)
        made.redis.stop()
        proxy.stop()
        close_engine(url)
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def test_database_unreachable_retries_then_leaves_the_file_for_later(
        postgres_behind_proxy: tuple[FaultRig, TcpProxy]) -> None:
    rig, proxy = postgres_behind_proxy
    start_pipeline(rig.services)
    rig.drops.drop("first.txt", corpus.valid_report(1))
    wait_for(lambda: rig.drops.handled() == 1, timeout=20, message="the first file")
    proxy.stop()
    rig.drops.drop("while-down.txt", corpus.valid_report(2))
    wait_for(lambda: any(e["event"] == "store_gave_up" for e in events_of(rig, "worker")), timeout=40,
             message="the job to run out of attempts")
    worker_events = events_of(rig, "worker")
    retries = [e for e in worker_events if e["event"] == "store_retry"]
    [gave_up] = [e for e in worker_events if e["event"] == "store_gave_up"]
    assert len(retries) >= 2 and retries[0]["retry_in_seconds"] < retries[1]["retry_in_seconds"]
    assert gave_up["level"] == "error" and gave_up["claims"][0].endswith("while-down.txt")
    assert rig.drops.waiting_names() == {"while-down.txt"}
    assert not rig.settings.quarantine_dir.exists() or not any(rig.settings.quarantine_dir.iterdir())
    proxy.start()  # back on the same port; the watcher's rescan offers the file again
    settle(rig.drops, timeout=60)
    rig.drops.assert_invariant(valid={"first.txt", "while-down.txt"}, quarantined=set())


def test_worker_keeps_running_when_redis_goes_away_with_jobs_in_progress(sqlite_rig: FaultRig) -> None:
    # Redis's outage, not the database's: on SQLite only, to keep the suite's time (1,500 files).
    rig = sqlite_rig
    # kombu 5.7 made the worker exit here ("Unrecoverable error: AttributeError: 'NoneType' object has
    # no attribute 'hostname'") when the channel it closed held unacknowledged jobs; services/kombu_redis.py.
    worker = rig.services.start("worker", "--concurrency", "2", ready_event="ready.")
    names = [f"bulk-{i}.txt" for i in range(1500)]
    for i, name in enumerate(names):
        rig.drops.drop(name, corpus.valid_report(i))
    work = WorkFolder.of_inbox(rig.settings.inbox)
    work.ensure()
    claims = [claim_file(rig.settings.inbox / name, work, dropped_at=utcnow()) for name in names]
    sender = JobSender(rig.settings)
    # all queued at once, so the worker holds reserved, unacknowledged jobs
    sender.offer([claimed.claim for claimed in claims if claimed is not None])
    sender.close()
    wait_for(lambda: rig.drops.handled() >= 100, timeout=30, message="the backfill to be under way")
    # Twice: whether the worker holds unacknowledged jobs at the moment it sees the loss is a race.
    for outage in (1, 2):
        rig.redis.stop()
        handled = rig.drops.handled()
        assert handled < len(names), f"the backfill ended before outage {outage}"
        time.sleep(3)
        assert worker.process.poll() is None, f"the worker must survive outage {outage}"
        rig.redis.start()  # empty: the watcher offers the claims that are left again
        if outage == 1:
            rig.services.start("watch", ready_event="watcher_started")
            wait_for(lambda: rig.drops.handled() >= handled + 100, timeout=30,  # noqa: B023
                     message="the worker to take jobs again")
    settle(rig.drops, timeout=120)
    rig.drops.assert_invariant(valid=set(names), quarantined=set())
    assert worker.process.poll() is None
    # "Couldn't ack" (critical) is expected while Redis is away: those jobs come back and find their files handled.
    worker_events = [e["event"] for e in events_of(rig, "worker")]
    assert not [event for event in worker_events if event.startswith("Unrecoverable error")]
    # Running jobs are let finish, not terminated (shared/jobs.py): terminating killed the worker.
    assert not [event for event in worker_events if "Terminating it instead" in event]
    assert not [event for event in worker_events if "In Celery 5.1 we introduced" in event]
