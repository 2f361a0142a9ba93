"""Kill and restart real processes; every dropped file must still end exactly once."""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

from services.supervisor import FIRST_START_GRACE_SECONDS
from tests.conftest import wait_for
from tests.faults import corpus
from tests.faults.conftest import FaultRig
from tests.faults.harness import child_pids, kill_hard, settle, start_pipeline


def test_worker_killed_mid_jobs_loses_and_doubles_nothing(rig: FaultRig) -> None:
    worker, _ = start_pipeline(rig.services)
    # Enough files that the second kill still finds some in flight: batches store 80 in well under a second.
    names = {f"report-{i:03d}.txt" for i in range(240)}
    for name in sorted(names):
        rig.drops.drop(name, corpus.valid_report(int(name[7:10])), staging=rig.staging)
    wait_for(lambda: rig.drops.handled() >= 10, timeout=30, message="ten files handled")
    kill_hard(worker, children_only=True)  # pool processes die mid-job: reject_on_worker_lost requeues
    wait_for(lambda: rig.drops.handled() >= 30, timeout=30, message="thirty files handled")
    assert rig.drops.waiting(), "nothing was left in flight to kill"
    kill_hard(worker)  # the whole worker: its reserved jobs come back after the visibility timeout
    rig.services.start("worker", "--concurrency", "2", ready_event="ready.")
    settle(rig.drops, timeout=90)
    rig.drops.assert_invariant(valid=names, quarantined=set())


def test_watcher_killed_and_restarted_while_files_arrive(rig: FaultRig) -> None:
    _, watcher = start_pipeline(rig.services)
    first = {f"before-{i}.txt" for i in range(10)}
    for i, name in enumerate(sorted(first)):
        rig.drops.drop(name, corpus.valid_report(i))
    kill_hard(watcher)
    while_down = {f"while-down-{i}.txt" for i in range(10)}
    for i, name in enumerate(sorted(while_down)):
        rig.drops.drop(name, corpus.valid_report(100 + i), staging=rig.staging)
    half = rig.settings.inbox / "half-written.txt"
    data = corpus.valid_report(200)
    with half.open("wb") as writer:
        writer.write(data[:700])
        writer.flush()
        rig.services.start("watch", ready_event="watcher_started")
        wait_for(lambda: rig.drops.handled() >= 20, timeout=30, message="the twenty complete files")
        time.sleep(1.5)  # well past the settle time: a file still open for writing must wait
        assert half.exists() and "half-written.txt" not in rig.drops.landed()
        writer.write(data[700:])
    rig.drops.files["half-written.txt"] = data
    settle(rig.drops)
    rig.drops.assert_invariant(valid=first | while_down | {"half-written.txt"}, quarantined=set())


def test_chaos(rig: FaultRig) -> None:
    """A few hundred files of every kind while watcher and workers are killed at random (seeded)."""
    seed = 20261123
    rng = random.Random(seed)
    worker, watcher = start_pipeline(rig.services)
    valid: set[str] = set()
    quarantined: set[str] = set()
    plan = ["valid"] * 150 + ["duplicate"] * 30 + ["findings"] * 30 + ["garbage"] * 30
    rng.shuffle(plan)
    deadline = time.monotonic() + 25
    for number, kind in enumerate(plan):
        name = f"{number:03d}-{kind}.txt"
        if kind == "valid" or (kind == "duplicate" and not valid):
            rig.drops.drop(name, corpus.valid_report(number), staging=rig.staging)
            valid.add(name)
        elif kind == "duplicate":
            rig.drops.drop(name, rig.drops.files[rng.choice(sorted(valid))])
            valid.add(name)
        elif kind == "findings":
            rig.drops.drop(name, corpus.report_with_findings(number))
            valid.add(name)
        else:
            rig.drops.drop(name, corpus.garbage(number, rng))
            quarantined.add(name)
        if rng.random() < 0.04 and time.monotonic() < deadline:
            victim = rng.choice(["worker", "worker-pool", "watcher"])
            if victim == "watcher":
                kill_hard(watcher)
                time.sleep(rng.uniform(0.1, 1.0))
                watcher = rig.services.start("watch", ready_event="watcher_started")
            else:
                kill_hard(worker, children_only=victim == "worker-pool")
                if victim == "worker":
                    time.sleep(rng.uniform(0.1, 1.0))
                    worker = rig.services.start("worker", "--concurrency", "2", ready_event="ready.")
        time.sleep(rng.uniform(0, 0.03))
    settle(rig.drops, timeout=120)
    # Duplicates by content count as valid files that land in the archive, stored once by hash.
    rig.drops.assert_invariant(valid=valid, quarantined=quarantined)


def test_run_restarts_a_worker_that_dies(rig: FaultRig) -> None:
    service = rig.services.start("run", ready_event="watcher_started")
    wait_for(lambda: "ready." in service.log_path.read_text(), timeout=30, message="the worker to be ready")
    started = time.monotonic()  # the children start after run has migrated its database: time them from here
    # A child that dies within the first seconds is taken for a configuration error (run stops then).
    time.sleep(max(0.0, FIRST_START_GRACE_SECONDS + 0.5 - (time.monotonic() - started)))
    [worker_pid] = [pid for pid in child_pids(service.process.pid)
                    if b"worker" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    os.kill(worker_pid, signal.SIGKILL)
    wait_for(lambda: any(e["event"] == "child_restarted" for e in service.log_lines()), timeout=20,
             message="run to restart the worker")
    rig.drops.drop("after-restart.txt", corpus.valid_report(1))
    settle(rig.drops, timeout=60)
    rig.drops.assert_invariant(valid={"after-restart.txt"}, quarantined=set())
    [exited] = [e for e in service.log_lines() if e["event"] == "child_exited"]
    assert exited["command"] == "worker" and exited["status"] == -signal.SIGKILL
    assert service.process.poll() is None
