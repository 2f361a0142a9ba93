"""The ingest task's rules, called in this process (no eager Celery: the task body's helpers): jobs
name claims, never paths; a file that keeps failing on its own account ends in quarantine; an outage
never quarantines."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from services.worker import pipeline, tasks
from shared.attempts import AttemptLedger
from shared.claims import WorkFolder
from shared.config import Settings
from tests import seed_variants
from tests.claiming import claimed


@pytest.fixture
def task_settings(settings: Settings, redis_url: str) -> Settings:
    return settings.model_copy(update={"broker_url": redis_url, "max_attempts_per_file": 3})


def ingest_one(claim: str, *, settings: Settings, work: WorkFolder, ledger: AttemptLedger) -> str | None:
    """The task body for a job of one claim (a batch of one), without Celery's retry."""
    batch = tasks.Batch(settings=settings, work=work, ledger=ledger)
    batch.run([claim])
    if batch.deferred:
        assert batch.transient is not None
        raise batch.transient
    return batch.ended.get(claim)




def test_an_unreadable_file_is_quarantined_after_the_attempts_run_out(
        task_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    # Root reads every file, so the SFTP user's 0600 file is simulated where the claim is opened.
    work, claim = claimed(task_settings, "sftp-upload.txt", seed_variants.west_brabant())
    real_open = pipeline.open_claim

    def denied(folder: WorkFolder, name: str) -> int:
        raise PermissionError(errno.EACCES, "Permission denied", name)

    monkeypatch.setattr(pipeline, "open_claim", denied)
    ledger = AttemptLedger(work.attempts)
    with capture_logs() as logs:
        outcomes = [ingest_one(claim, settings=task_settings, work=work, ledger=ledger)
                    for _ in range(3)]
    assert outcomes == ["failed", "failed", "quarantined"]
    failed = [e for e in logs if e["event"] == "attempt_failed"]
    assert [e["attempts"] for e in failed] == [1, 2, 3]
    [quarantined] = [e for e in logs if e["event"] == "file_quarantined"]
    assert quarantined["reason"] == "3 failed attempts; the last: cannot read the file: Permission denied"
    assert (task_settings.quarantine_dir / claim).exists() and work.list_claims() == []
    assert not (work.attempts / claim).exists()
    monkeypatch.setattr(pipeline, "open_claim", real_open)


def test_a_permission_fixed_in_time_is_stored(task_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    work, claim = claimed(task_settings, "sftp-upload.txt", seed_variants.west_brabant())
    real_open = pipeline.open_claim
    monkeypatch.setattr(pipeline, "open_claim", lambda *_: (_ for _ in ()).throw(
        PermissionError(errno.EACCES, "Permission denied")))
    ledger = AttemptLedger(work.attempts)
    assert ingest_one(claim, settings=task_settings, work=work, ledger=ledger) == "failed"
    # Until then `files` shows the claim pending, with its failed attempt and why.
    from services.delivery_commands import _pending_rows

    [pending] = _pending_rows(task_settings)
    assert (pending["failed_attempts"], pending["reason"]) == (1, "cannot read the file: Permission denied")
    monkeypatch.setattr(pipeline, "open_claim", real_open)  # the owner fixed the mode
    assert ingest_one(claim, settings=task_settings, work=work, ledger=ledger) == "stored"


def test_a_file_that_keeps_killing_its_worker_is_quarantined(task_settings: Settings) -> None:
    work, claim = claimed(task_settings, "poison.pdf", seed_variants.west_brabant())
    ledger = AttemptLedger(work.attempts)
    for _ in range(3):
        ledger.begin(claim, alone=True)  # each time the worker process died before end()
    outcome = ingest_one(claim, settings=task_settings, work=work, ledger=ledger)
    assert outcome == "quarantined"
    reason = (task_settings.quarantine_dir / f"{claim}.reason.json").read_text()
    assert "3 failed attempts" in reason and "worker process ended" in reason


def test_an_outage_is_never_counted_against_the_file(task_settings: Settings,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    work, claim = claimed(task_settings, "wb.txt", seed_variants.west_brabant())
    ledger = AttemptLedger(work.attempts)

    def database_down(**_: object) -> None:
        raise OperationalError("SELECT", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(pipeline, "find_sources", database_down)
    for _ in range(5):
        with pytest.raises(OperationalError):
            ingest_one(claim, settings=task_settings, work=work, ledger=ledger)
        ledger.pause(claim)
    assert ledger.read(claim).count == 0 and work.list_claims() == [claim]


@pytest.mark.parametrize("job", [
    "/srv/data/archive",  # an absolute path instead of a list of claims
    ["../../etc/passwd"],
    ["/srv/data/archive"],
    ["20261130T100000Z_0123456789ab_a/b.txt"],
    [".."],
])
def test_a_job_that_names_anything_but_claims_is_refused(task_settings: Settings, job: object,
                                                        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tasks, "worker_settings", lambda: task_settings)
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"not yours")
    with capture_logs() as logs:
        assert tasks.ingest_claims.run(job) == []
    assert [e["event"] for e in logs] == ["job_refused"]
    assert victim.read_bytes() == b"not yours" and not task_settings.quarantine_dir.exists()


def test_an_integrity_error_that_persists_ends_in_quarantine(task_settings: Settings,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A conflict that no retry resolves (not the same bytes, not the same claim) is the file's failure:
    counted, and quarantined with it as the reason when the attempts run out, not re-offered forever."""
    from sqlalchemy.exc import IntegrityError

    work, claim = claimed(task_settings, "conflict.txt", seed_variants.west_brabant())

    def always_conflicting(**_: object) -> None:
        raise IntegrityError("INSERT INTO report ...", {}, Exception("UNIQUE constraint failed: report.x"))

    monkeypatch.setattr(pipeline, "add_stored_report", always_conflicting)
    ledger = AttemptLedger(work.attempts)
    outcomes = [ingest_one(claim, settings=task_settings, work=work, ledger=ledger) for _ in range(3)]
    assert outcomes == ["failed", "failed", "quarantined"]
    reason = (task_settings.quarantine_dir / f"{claim}.reason.json").read_text()
    assert "3 failed attempts" in reason and "IntegrityError" in reason


def test_a_job_for_a_claim_of_another_inbox_ends_as_missing_without_a_delivery(task_settings: Settings) -> None:
    """A worker whose inbox has no work folder yet gets a job (a shared broker, a watcher of another inbox):
    nothing is read, counted or recorded, however often the job comes."""
    work = WorkFolder.of_inbox(task_settings.inbox)  # not ensured: the folder does not exist
    ledger = AttemptLedger(work.attempts)
    claim = "20261130T113733Z_b6fc05b13c04_r3.txt"
    for _ in range(task_settings.max_attempts_per_file + 1):
        assert ingest_one(claim, settings=task_settings, work=work, ledger=ledger) == "missing"
    assert ledger.read(claim).count == 0 and not task_settings.quarantine_dir.exists()
