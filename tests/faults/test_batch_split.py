"""A batch whose worker process dies is split when it comes back: each claim goes on alone, so that the file
that kills workers is found by its attempt count and quarantined, while the others are stored."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
from pathlib import Path

from sqlmodel import select

from services.ingest.enqueue import JobSender
from shared.attempts import BATCH_PREFIX
from shared.claims import WorkFolder, claim_file
from shared.store.db import session_for
from shared.store.tables import Delivery, utcnow
from tests.conftest import wait_for
from tests.faults import corpus, hostile
from tests.faults.conftest import FaultRig
from tests.faults.harness import child_pids


class Crasher(threading.Thread):
    """Plays a file that crashes its worker process: whenever an attempt at the claim is running and has
    not yet used up its attempts, SIGKILL the pool process. Running is what the worker marks: a job of
    several claims by one batch mark naming them, a claim alone by its attempt record (rewritten with
    `running`). The file is the slow spinning PDF, so an attempt is always caught while it runs."""

    def __init__(self, work: WorkFolder, claim: str, worker_pid: int, max_attempts: int) -> None:
        super().__init__(daemon=True)
        self.attempts = work.attempts
        self.claim = claim
        self.worker_pid = worker_pid
        self.max_attempts = max_attempts
        self.kills = 0
        self.stop = threading.Event()

    def run(self) -> None:
        seen: set[tuple[str, int, int]] = set()
        while not self.stop.wait(0.005):
            with contextlib.suppress(OSError, ValueError):
                for entry in os.scandir(self.attempts):
                    identity = (entry.name, entry.inode(), entry.stat().st_ctime_ns)  # a record is rewritten
                    if identity in seen or not self._running(entry):
                        continue
                    seen.add(identity)
                    for pid in child_pids(self.worker_pid):
                        os.kill(pid, signal.SIGKILL)
                    self.kills += 1

    def _running(self, entry: os.DirEntry[str]) -> bool:
        if entry.name.startswith(BATCH_PREFIX):
            return self.claim in json.loads(Path(entry.path).read_text())["claims"]
        if entry.name != self.claim:
            return False
        record = json.loads(Path(entry.path).read_text())
        return bool(record.get("running")) and record["deaths"] + record["failures"] < self.max_attempts


def test_a_dead_batch_is_split_and_the_killer_quarantined_alone(rig: FaultRig) -> None:
    settings = rig.settings
    worker = rig.services.start("worker", "--concurrency", "1", ready_event="ready.")
    work = WorkFolder.of_inbox(settings.inbox)
    work.ensure()
    files = {f"report-{i}.txt": corpus.valid_report(i) for i in range(4)}
    files["killer.pdf"] = hostile.spinning_pdf()
    claims = {}
    for name, data in files.items():
        (settings.inbox / name).write_bytes(data)
        claimed = claim_file(settings.inbox / name, work, dropped_at=utcnow())
        assert claimed is not None
        claims[name] = claimed.claim
    crasher = Crasher(work, claims["killer.pdf"], worker.process.pid, settings.max_attempts_per_file)
    crasher.start()
    sender = JobSender(settings)
    try:
        assert sender.offer(list(claims.values())) == list(claims.values())  # one job: a batch of five
        wait_for(lambda: work.list_claims() == [], timeout=90, interval=0.1, message="every claim to end")
    finally:
        crasher.stop.set()
        crasher.join()
        sender.close()
    with session_for(settings.effective_database_url) as session:
        outcomes = {d.name: (d.outcome, d.reason) for d in session.exec(select(Delivery)).all()}
    assert {name: outcome for name, (outcome, _) in outcomes.items()} == {
        **{name: "stored" for name in files if name != "killer.pdf"}, "killer.pdf": "quarantined"}
    reason = outcomes["killer.pdf"][1] or ""
    assert reason.startswith("3 failed attempts") and "worker process ended" in reason, reason
    # Killed once in the batch (not counted: any of the five could have been the killer), then three times alone.
    assert crasher.kills == 1 + settings.max_attempts_per_file
    splits = [e for e in worker.log_lines() if e["event"] == "batch_split"]
    assert [e["claims"] for e in splits] == [5]
    assert sorted(Path(p).name for p in os.listdir(settings.archive_dir)) == sorted(
        claims[name] for name in files if name != "killer.pdf")
