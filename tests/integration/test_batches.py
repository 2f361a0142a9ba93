"""A job names a batch of claims: each read and parsed on its own, all recorded in one transaction with a
savepoint per file, moved after the commit. One bad file costs only itself."""

from __future__ import annotations

import dataclasses

import pytest
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

from services.worker import pipeline
from services.worker.pipeline import Decision, Prepared, ReadClaim, commit_and_dispose, decide_batch, read_claims
from shared.config import Settings
from shared.store.tables import Outcome, Report
from tests import seed_variants
from tests.integration.test_pipeline import claim, count, deliveries, drop, work_folder


def prepare(settings: Settings, claims: list[str]) -> list[Prepared]:
    work = work_folder(settings)
    reads = read_claims(claims, settings=settings, work=work)
    assert all(isinstance(read, ReadClaim) for read in reads)
    decided = decide_batch(reads, settings=settings, work=work)  # type: ignore[arg-type]
    assert all(isinstance(item, Prepared) for item in decided)
    return decided  # type: ignore[return-value]


def test_a_batch_with_bad_files_stores_the_others(settings: Settings) -> None:
    files = {"wb.txt": seed_variants.west_brabant(), "garbage.bin": b"\x00\xff garbage " * 100,
             "raced.txt": seed_variants.broken_column_total(), "stale.txt": seed_variants.broken_percent(),
             "ml.txt": seed_variants.midden_limburg()}
    claims = {name: claim(settings, drop(settings, name, data)) for name, data in files.items()}
    prepared = prepare(settings, list(claims.values()))
    assert [item.decision.outcome for item in prepared] == [Outcome.STORED, Outcome.QUARANTINED, Outcome.STORED,
                                                            Outcome.STORED, Outcome.STORED]
    # Another worker stores the same bytes as raced.txt between this batch's look-up and its commit: the
    # unique hash fails raced.txt's insert inside its savepoint, and it becomes a duplicate.
    assert pipeline.ingest_file(drop(settings, "raced elsewhere.txt", files["raced.txt"]), settings=settings) \
        == "stored"
    # stale.txt was decided a duplicate of a stored file that is gone by the commit: its delivery's foreign
    # key fails, every time. It costs only itself.
    prepared[3] = dataclasses.replace(prepared[3], decision=Decision(Outcome.DUPLICATE, duplicate_of=424242))
    work = work_folder(settings)
    with capture_logs(processors=[merge_contextvars]) as logs:  # the file's fields are bound per file
        results = commit_and_dispose(prepared, settings=settings, work=work)
    assert results[:3] == [Outcome.STORED, Outcome.QUARANTINED, Outcome.DUPLICATE] and results[4] == Outcome.STORED
    assert type(results[3]).__name__ == "IntegrityError"
    assert work.list_claims() == [claims["stale.txt"]]  # the others moved, after the commit
    assert {d.name: d.outcome for d in deliveries(settings)} == {
        "raced elsewhere.txt": "stored", "wb.txt": "stored", "garbage.bin": "quarantined",
        "raced.txt": "duplicate", "ml.txt": "stored"}
    assert count(settings, Report) == 3
    for name in ("wb.txt", "raced.txt", "ml.txt"):
        assert (settings.archive_dir / claims[name]).read_bytes() == files[name]
    assert (settings.quarantine_dir / claims["garbage.bin"]).exists()
    # One line per file outcome, each with its own file's fields.
    lines = [e for e in logs if e["event"] in ("report_stored", "duplicate_skipped", "file_quarantined")]
    assert [(e["event"], e["file"], e["claim"]) for e in lines] == [
        ("report_stored", "wb.txt", claims["wb.txt"]), ("file_quarantined", "garbage.bin", claims["garbage.bin"]),
        ("duplicate_skipped", "raced.txt", claims["raced.txt"]), ("report_stored", "ml.txt", claims["ml.txt"])]
    assert lines[0]["sha256"] != lines[3]["sha256"]


def test_a_redelivered_batch_finds_its_deliveries_committed_and_only_finishes_the_moves(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"wb.txt": seed_variants.west_brabant(), "ml.txt": seed_variants.midden_limburg(),
             "garbage.bin": b"\x00\xff garbage " * 100}
    claims = [claim(settings, drop(settings, name, data)) for name, data in files.items()]
    real_move = pipeline.move_claim
    moves: list[str] = []

    def crash_on_the_second_move(work: object, name: str, destination: object) -> object:
        if len(moves) == 1:
            raise OSError("simulated crash after the commit")
        moves.append(name)
        return real_move(work, name, destination)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "move_claim", crash_on_the_second_move)
    with pytest.raises(OSError):
        commit_and_dispose(prepare(settings, claims), settings=settings, work=work_folder(settings))
    monkeypatch.setattr(pipeline, "move_claim", real_move)
    assert len(deliveries(settings)) == 3 and work_folder(settings).list_claims() == sorted(claims[1:])
    left = work_folder(settings).list_claims()
    with capture_logs() as logs:  # the job comes back with the claims that are still there
        results = commit_and_dispose(prepare(settings, left), settings=settings, work=work_folder(settings))
    assert sorted(map(str, results)) == ["quarantined", "stored"]
    assert work_folder(settings).list_claims() == [] and len(deliveries(settings)) == 3
    assert count(settings, Report) == 2
    assert {e.get("detail") for e in logs if e["event"] in ("report_stored", "file_quarantined")} == {
        "move completed after an interrupted delivery"}
