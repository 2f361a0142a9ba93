"""Odd and hostile drops: each ends stored or quarantined with a clear reason; the worker keeps going."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sqlmodel import select

from shared.store.db import session_for
from shared.store.tables import Delivery, ReportRow
from tests.conftest import wait_for
from tests.faults import corpus, hostile
from tests.faults.conftest import FaultRig
from tests.faults.harness import settle, start_pipeline

FORGING_NAME = "line\nbreak {\"event\": \"forged\"}.txt"


def quarantine_reasons(rig: FaultRig) -> dict[str, str]:
    reasons = {}
    for sidecar in rig.settings.quarantine_dir.glob("*.reason.json"):
        content = json.loads(sidecar.read_text())
        reasons[content["file"]] = content["reason"]
    return reasons


def test_hostile_and_odd_input(sqlite_rig: FaultRig, tmp_path: Path) -> None:
    # Hostile files are the parsers' and the file handling's business, the same on either database: on
    # SQLite only, to keep the suite's time (every other fault test runs on PostgreSQL too).
    rig = sqlite_rig
    worker, _ = start_pipeline(rig.services)
    inbox = rig.settings.inbox
    outside = tmp_path / "secret.txt"
    outside.write_bytes(corpus.valid_report(1))
    (inbox / "link-to-secret.txt").symlink_to(outside)
    (inbox / "a folder").mkdir()
    (inbox / "a folder" / "inside.txt").write_bytes(corpus.valid_report(2))
    stored_names = {"name with spaces.txt": corpus.valid_report(3),
                    FORGING_NAME: corpus.valid_report(4),
                    "scripts.html": hostile.html_with_scripts(),
                    "hostile-names.txt": hostile.report_with_hostile_names()}
    for name, data in stored_names.items():
        (inbox / name).write_bytes(data)
    os.close(os.open(bytes(inbox) + b"/latin1-\xe9t\xe9.txt", os.O_WRONLY | os.O_CREAT))
    with open(bytes(inbox) + b"/latin1-\xe9t\xe9.txt", "wb") as handle:
        handle.write(corpus.valid_report(5))
    (inbox / "huge.txt").write_bytes(b"x" * (rig.settings.max_file_bytes + 1))
    (inbox / "bomb.xlsx").write_bytes(hostile.xlsx_zip_bomb())
    (inbox / "spinning.pdf").write_bytes(hostile.spinning_pdf())

    wait_for(lambda: rig.drops.settled_without_names(), timeout=90, interval=0.2, message="every file to end")
    assert worker.process.poll() is None, "the worker died"
    reasons = quarantine_reasons(rig)
    assert reasons["link-to-secret.txt"] == "a symbolic link: links are not followed"
    assert reasons["a folder"] == "a directory: only files are read"
    assert reasons["huge.txt"].startswith("file too large")
    assert reasons["bomb.xlsx"].startswith("file too large"), reasons["bomb.xlsx"]
    assert "time limit" in reasons["spinning.pdf"], reasons["spinning.pdf"]
    assert outside.read_bytes() == corpus.valid_report(1)  # never followed, never moved
    assert (rig.settings.quarantine_dir / next(p for p in os.listdir(rig.settings.quarantine_dir)
                                               if p.endswith("a folder")) / "inside.txt").exists()

    with session_for(rig.settings.effective_database_url) as session:
        stored_deliveries = session.exec(select(Delivery).where(Delivery.outcome == "stored")).all()
        stored = {d.name for d in stored_deliveries}
        stored_bytes = {bytes(d.name_bytes) for d in stored_deliveries}
        municipalities = set(session.exec(select(ReportRow.municipality)).all())
    # Names are kept exactly as bytes, and shown as printable one-line text.
    assert stored_bytes == {name.encode() for name in stored_names} | {b"latin1-\xe9t\xe9.txt"}
    assert stored == (set(stored_names) - {FORGING_NAME}) | {"line\\u000abreak {\"event\": \"forged\"}.txt",
                                                            "latin1-\\xe9t\\xe9.txt"}
    assert hostile.SQL_NAME in municipalities and hostile.FORGED_NAME.replace("\n", " ") in municipalities

    worker_lines = [line for s in rig.services.running for line in s.log_lines()]  # each line parsed as JSON
    assert not any(line.get("forged") for line in worker_lines)
    assert any(line["event"] == "report_stored" and "line\\u000abreak" in line["file"] for line in worker_lines)


def test_a_job_naming_a_path_is_refused_by_a_real_worker(sqlite_rig: FaultRig) -> None:
    """A message that carries the archive folder's path, or any path, straight into Redis: the worker
    refuses it with one line and touches nothing (jobs name claims of the work folder only)."""
    rig = sqlite_rig
    from celery import Celery

    from shared.jobs import INGEST_QUEUE, INGEST_TASK

    rig.settings.archive_dir.mkdir(parents=True)
    kept = rig.settings.archive_dir / "20261130T000000Z_000000000000_kept.txt"
    kept.write_bytes(b"archived")
    secret = rig.settings.data_dir / "secret.txt"
    secret.write_bytes(b"secret")
    worker = rig.services.start("worker", "--concurrency", "1", ready_event="ready.")
    producer = Celery("attacker", broker=rig.redis.url)
    for args in ([str(rig.settings.archive_dir)], [[str(secret)]], [["../../data/secret.txt"]]):
        producer.send_task(INGEST_TASK, args=args, queue=INGEST_QUEUE)
    producer.close()
    wait_for(lambda: sum(e["event"] == "job_refused" for e in worker.log_lines()) == 3, timeout=20,
             message="three refused jobs")
    assert kept.read_bytes() == b"archived"
    assert secret.read_bytes() == b"secret" and not rig.settings.quarantine_dir.exists()
    assert all(e["level"] == "error" and e["reason"] for e in worker.log_lines() if e["event"] == "job_refused")
    rig.drops.files["kept.txt"] = b"archived"  # (not a delivery: the invariant below skips the database)
    rig.drops.drop("after.txt", corpus.valid_report(1))
    rig.services.start("watch", ready_event="watcher_started")
    settle(rig.drops, timeout=30)
    assert rig.drops.landed() == {"kept.txt": 1, "after.txt": 1}
