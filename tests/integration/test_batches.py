"""A job names a batch of claims: each read and parsed on its own, all recorded in one transaction with a
savepoint per file, moved after the commit. One bad file costs only itself."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from sqlmodel import select
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

from services.worker import pipeline
from services.worker.pipeline import Decision, Prepared, ReadClaim, commit_and_dispose, decide_batch, read_claims
from shared.config import Settings
from shared.store.db import close_engine, session_for, upgrade_schema
from shared.store.tables import Finding, Outcome, Report
from tests import quarter_reports, seed_variants
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


def _quarters_in_one_batch() -> dict[str, tuple[bytes, int]]:
    """A region's four quarters (the third with a jump, the second re-issued with other figures and
    written later) and another region's two, in an order that is not the quarters': name -> (bytes,
    modification time)."""
    q1 = quarter_reports.midden_limburg_rows()
    q2 = quarter_reports.a_few_percent(q1)
    q3 = {name: (counts[0] * 3, *counts[1:]) if name == "Roermond" else counts  # type: ignore[misc]
          for name, counts in quarter_reports.a_few_percent(q2).items()}
    q4 = quarter_reports.a_few_percent(q3)
    ml, zl = quarter_reports.MIDDEN_LIMBURG, quarter_reports.ZUID_LIMBURG
    reissued = {name: tuple(n + 1 for n in counts) for name, counts in q2.items()}
    zl_rows = {"Maastricht": (10, 200, 300, 40), "Heerlen": (5, 120, 150, 30)}
    zl_jump = {"Maastricht": (30, 200, 300, 40), "Heerlen": (5, 120, 150, 30)}
    return {
        "zl-q1.txt": (quarter_reports.report(2021, 1, zl_rows, region=zl), 1_000),  # stored before the batch
        "ml-q4.txt": (quarter_reports.report(2021, 4, q4, region=ml), 1_000),
        "ml-q2.txt": (quarter_reports.report(2021, 2, q2, region=ml), 1_000),
        "ml-q1.txt": (quarter_reports.report(2021, 1, q1, region=ml), 1_000),
        "zl-q2.txt": (quarter_reports.report(2021, 2, zl_jump, region=zl), 1_000),
        "ml-q3.txt": (quarter_reports.report(2021, 3, q3, region=ml), 1_000),
        "ml-q2-reissue.txt": (quarter_reports.report(2021, 2, reissued, region=ml), 2_000),  # type: ignore[arg-type]
        "zl-q3.txt": (quarter_reports.report(2021, 3, quarter_reports.a_few_percent(zl_jump), region=zl), 1_000),
    }


def _stored_state(url: str) -> list[tuple[object, ...]]:
    """Every report with its version, its baseline and its findings, by content (not by id)."""
    with session_for(url) as session:
        reports = {r.id: r for r in session.exec(select(Report)).all()}
        findings = session.exec(select(Finding)).all()

    def named(report_id: int | None) -> tuple[object, ...] | None:
        found = reports.get(report_id) if report_id is not None else None
        return None if found is None else (found.region_key, found.year, found.quarter, found.figures_sha256)

    return sorted((*named(r.id), r.is_current, r.version_status, named(r.baseline_report_id), r.mergers,  # type: ignore[misc]
                   sorted((f.check, f.municipality, f.field, f.expected, f.actual, named(f.against_report_id))
                          for f in findings if f.report_id == r.id))
                  for r in reports.values())


def test_a_batch_stores_what_the_same_files_one_by_one_store(settings: Settings, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Reports of neighbouring quarters, out of order and re-issued, in one batch: written with the batch's
    queue of first versions and its one read of the reports around them, they end as they do one by one
    with every look-up and statement made per report."""
    alone = Settings(inbox=tmp_path / "alone-inbox", data_dir=tmp_path / "alone-data")
    upgrade_schema(alone.effective_database_url)
    for target, one_by_one in ((settings, False), (alone, True)):
        if one_by_one:  # no batch read, so no queue: each store reads and writes for itself
            monkeypatch.setattr(pipeline.KnownReports, "read", classmethod(lambda cls, connection, groups: None))
        claims = []
        for name, (data, mtime) in _quarters_in_one_batch().items():
            path = drop(target, name, data)
            os.utime(path, (mtime, mtime))
            claims.append(claim(target, path))
        batches = [[one] for one in claims] if one_by_one else [claims[:1], claims[1:]]
        for batch in batches:
            results = commit_and_dispose(prepare(target, batch), settings=target, work=work_folder(target))
            assert results == [Outcome.STORED] * len(batch)
    batched, expected = _stored_state(settings.effective_database_url), _stored_state(alone.effective_database_url)
    assert batched == expected
    checks = [finding[0] for report in batched for finding in report[-1]]  # type: ignore[union-attr]
    assert checks.count("quarter_change") >= 2  # the jumps, found in both
    assert sum(1 for report in batched if report[4]) == 7  # one current per region and quarter
    close_engine(alone.effective_database_url)
