"""The worker's pipeline on real files and a real database (SQLite and PostgreSQL), without Celery."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from sqlmodel import func, select
from structlog.testing import capture_logs

from services.worker import pipeline
from services.worker.pipeline import ingest_file
from shared.config import Settings
from shared.store.db import session_for
from shared.store.queries import list_documents
from shared.store.tables import Finding, Report, ReportRow, SourceFile
from tests import seed_variants


def drop(settings: Settings, name: str, data: bytes) -> Path:
    settings.inbox.mkdir(parents=True, exist_ok=True)
    path = settings.inbox / name
    path.write_bytes(data)
    return path


def count(settings: Settings, table: type) -> int:
    with session_for(settings.effective_database_url) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def test_seed_is_stored_and_archived(settings: Settings) -> None:
    path = drop(settings, "ml 2021 q4.txt", seed_variants.midden_limburg())
    with capture_logs() as logs:
        assert ingest_file(path, settings=settings) == "stored"
    assert not path.exists()
    archived = list(settings.archive_dir.iterdir())
    assert len(archived) == 1 and archived[0].name.endswith("_ml 2021 q4.txt")
    assert archived[0].read_bytes() == seed_variants.midden_limburg()
    with session_for(settings.effective_database_url) as session:
        report = session.exec(select(Report)).one()
        source = session.exec(select(SourceFile)).one()
        rows = session.exec(select(ReportRow).order_by(ReportRow.position)).all()
    assert (report.region_code, report.region_name, report.year, report.quarter) == (34, "Midden-Limburg",
                                                                                      2021, 4)
    assert (report.total, report.register_size, report.percent_in_sonar, report.status) == (2537, 3627, 70,
                                                                                           "ok")
    assert source.status == "stored" and source.final_path == str(archived[0]) and source.format == "text"
    assert [r.municipality for r in rows][:2] == ["Cranendonck", "Echt-Susteren"] and len(rows) == 8
    assert rows[-1].total == 457
    stored = [entry for entry in logs if entry["event"] == "report_stored"]
    assert len(stored) == 1 and stored[0]["region"] == "Midden-Limburg" and stored[0]["findings"] == 0


def test_stored_documents_round_trip_to_the_contract(settings: Settings) -> None:
    from shared.documents import build_document, sha256_hex
    from shared.parsing import parse_report

    data = seed_variants.west_brabant()
    path = drop(settings, "wb.txt", data)
    ingest_file(path, settings=settings)
    with session_for(settings.effective_database_url) as session:
        [document] = list_documents(session=session)
    assert document == build_document(parse_report(data), path=str(path), sha256=sha256_hex(data))


def test_same_bytes_twice_are_stored_once(settings: Settings) -> None:
    first = drop(settings, "a.txt", seed_variants.west_brabant())
    assert ingest_file(first, settings=settings) == "stored"
    second = drop(settings, "copy of a.txt", seed_variants.west_brabant())
    with capture_logs() as logs:
        assert ingest_file(second, settings=settings) == "duplicate"
    assert not second.exists()
    assert count(settings, Report) == 1 and count(settings, SourceFile) == 1
    assert sorted(p.name.split("_", 2)[2] for p in settings.archive_dir.iterdir()) == ["a.txt", "copy of a.txt"]
    [event] = [e for e in logs if e["event"] == "duplicate_skipped"]
    assert event["duplicate_of"] == "a.txt"


def test_redelivered_job_does_no_harm(settings: Settings) -> None:
    path = drop(settings, "a.txt", seed_variants.west_brabant())
    assert ingest_file(path, settings=settings) == "stored"
    with capture_logs() as logs:
        assert ingest_file(path, settings=settings) == "missing"
    assert count(settings, Report) == 1
    assert [e["event"] for e in logs] == ["file_missing"]


def test_garbage_is_quarantined_with_its_reason(settings: Settings) -> None:
    path = drop(settings, "garbage.bin", b"\x00\xff garbage " * 100)
    with capture_logs() as logs:
        assert ingest_file(path, settings=settings) == "quarantined"
    assert not path.exists()
    [moved] = [p for p in settings.quarantine_dir.iterdir() if not p.name.endswith(".reason.json")]
    sidecar = json.loads((settings.quarantine_dir / (moved.name + ".reason.json")).read_text())
    assert sidecar["reason"] == "unsupported format: binary content" and sidecar["file"] == "garbage.bin"
    with session_for(settings.effective_database_url) as session:
        source = session.exec(select(SourceFile)).one()
    assert (source.status, source.reason) == ("quarantined", "unsupported format: binary content")
    assert count(settings, Report) == 0
    [event] = [e for e in logs if e["event"] == "file_quarantined"]
    assert event["reason"] == "unsupported format: binary content"


def test_oversized_file_is_quarantined_without_reading_it_all(settings: Settings) -> None:
    small = settings.model_copy(update={"max_file_bytes": 1000})
    path = drop(small, "big.txt", seed_variants.west_brabant())
    assert ingest_file(path, settings=small) == "quarantined"
    with session_for(small.effective_database_url) as session:
        source = session.exec(select(SourceFile)).one()
    assert source.reason == f"file too large: {len(seed_variants.west_brabant())} bytes (limit 1000)"


def test_report_with_findings_is_stored_marked_and_alerted(settings: Settings) -> None:
    path = drop(settings, "broken.txt", seed_variants.broken_row_total())
    with capture_logs() as logs:
        assert ingest_file(path, settings=settings) == "stored"
    with session_for(settings.effective_database_url) as session:
        report = session.exec(select(Report)).one()
        findings = session.exec(select(Finding).order_by(Finding.id)).all()
    assert (report.status, report.finding_count) == ("findings", 2)
    assert [(f.check, f.municipality, f.field, f.expected, f.actual) for f in findings] == [
        ("row_total", "Breda", "total", 1635, 1636), ("column_total", None, "total", 5027, 5026)]
    alerts = [e for e in logs if e["event"] == "reconciliation_failed"]
    assert [(a["check"], a["expected"], a["actual"]) for a in alerts] == [("row_total", 1635, 1636),
                                                                        ("column_total", 5027, 5026)]
    assert all(a["region"] == "West-Brabant" and a["year"] == 2020 and a["quarter"] == 4 for a in alerts)


def test_alerts_are_capped_per_report(settings: Settings) -> None:
    capped = settings.model_copy(update={"max_findings_logged": 1})
    path = drop(capped, "broken.txt", seed_variants.broken_row_total())
    with capture_logs() as logs:
        ingest_file(path, settings=capped)
    assert [e["event"] for e in logs if e["log_level"] == "warning"] == ["reconciliation_failed",
                                                                        "findings_truncated"]
    assert count(capped, Finding) == 2  # the database keeps them all


def test_interrupted_move_is_finished_by_the_next_delivery(settings: Settings,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = drop(settings, "a.txt", seed_variants.west_brabant())
    real_finish = pipeline.finish_move

    def crash(*_: object, **__: object) -> None:
        raise OSError("simulated crash after the commit")

    monkeypatch.setattr(pipeline, "finish_move", crash)
    with pytest.raises(OSError):
        ingest_file(path, settings=settings)
    assert path.exists() and count(settings, Report) == 1
    monkeypatch.setattr(pipeline, "finish_move", real_finish)
    assert ingest_file(path, settings=settings) == "stored"
    assert not path.exists() and count(settings, Report) == 1
    with session_for(settings.effective_database_url) as session:
        final = Path(session.exec(select(SourceFile)).one().final_path)
    assert final.read_bytes() == seed_variants.west_brabant()
    assert [p.name for p in settings.archive_dir.iterdir()] == [final.name]  # no staged copy left behind


def test_a_delivery_that_finds_its_file_already_archived_only_clears_the_inbox(settings: Settings) -> None:
    # Another delivery of this very file committed it and renamed its archive copy (a hard link to the
    # inbox file) but has not yet removed the inbox entry: not a duplicate, nothing to archive again.
    path = drop(settings, "a.txt", seed_variants.west_brabant())
    assert ingest_file(path, settings=settings) == "stored"
    [final] = settings.archive_dir.iterdir()
    path.hardlink_to(final)
    assert ingest_file(path, settings=settings) == "missing"
    assert not path.exists() and list(settings.archive_dir.iterdir()) == [final]
    assert count(settings, SourceFile) == 1
    # The same bytes dropped again as a new file (another inode) are a duplicate, as before.
    drop(settings, "a.txt", seed_variants.west_brabant())
    assert ingest_file(path, settings=settings) == "duplicate"
    assert not path.exists() and count(settings, SourceFile) == 1
    assert final.read_bytes() == seed_variants.west_brabant()


def test_unwritable_archive_fails_before_the_commit(settings: Settings) -> None:
    path = drop(settings, "a.txt", seed_variants.west_brabant())
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.archive_dir.write_text("a file where the archive folder should be")
    with pytest.raises(OSError):
        ingest_file(path, settings=settings)
    assert path.read_bytes() == seed_variants.west_brabant()
    assert count(settings, SourceFile) == 0 and count(settings, Report) == 0
    settings.archive_dir.unlink()
    assert ingest_file(path, settings=settings) == "stored"


def test_two_workers_with_the_same_bytes_store_once(settings: Settings) -> None:
    data = seed_variants.midden_limburg()
    paths = [drop(settings, f"copy-{i}.txt", data) for i in range(2)]
    ingest_file(drop(settings, "warm-up.txt", seed_variants.west_brabant()), settings=settings)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def run(path: Path) -> None:
        barrier.wait()
        outcomes.append(ingest_file(path, settings=settings))

    threads = [threading.Thread(target=run, args=(p,)) for p in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["duplicate", "stored"]
    assert count(settings, Report) == 2 and not any(p.exists() for p in paths)


def test_symlink_is_not_followed(settings: Settings, tmp_path: Path) -> None:
    secret = tmp_path / "outside.txt"
    secret.write_bytes(seed_variants.west_brabant())
    settings.inbox.mkdir(parents=True)
    link = settings.inbox / "link.txt"
    link.symlink_to(secret)
    assert ingest_file(link, settings=settings) == "quarantined"
    assert secret.exists() and not link.is_symlink()
    assert count(settings, Report) == 0


def test_a_file_still_open_for_writing_is_left_for_later(settings: Settings) -> None:
    settings.inbox.mkdir(parents=True)
    path = settings.inbox / "half.txt"
    data = seed_variants.west_brabant()
    with path.open("wb") as writer:
        writer.write(data[:500])
        writer.flush()
        with pytest.raises(pipeline.FileChanged):
            ingest_file(path, settings=settings)
        assert path.exists() and count(settings, SourceFile) == 0
        writer.write(data[500:])
    assert ingest_file(path, settings=settings) == "stored"


def test_file_replaced_while_being_handled_is_left_for_its_own_job(settings: Settings,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = drop(settings, "a.txt", seed_variants.west_brabant())
    real_parse = pipeline.parse_report

    def replace_then_parse(data: bytes, **options: object) -> object:
        replacement = settings.inbox / ".new"
        replacement.write_bytes(seed_variants.midden_limburg())
        replacement.rename(path)  # a writer swaps the file in while the worker parses the old bytes
        return real_parse(data, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "parse_report", replace_then_parse)
    with pytest.raises(pipeline.FileChanged):
        ingest_file(path, settings=settings)
    assert count(settings, SourceFile) == 0 and not any(settings.archive_dir.iterdir())
    monkeypatch.setattr(pipeline, "parse_report", real_parse)
    assert ingest_file(path, settings=settings) == "stored"
    [archived] = settings.archive_dir.iterdir()
    assert archived.read_bytes() == seed_variants.midden_limburg()


def test_file_deleted_while_being_handled_is_no_longer_ours(settings: Settings,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = drop(settings, "a.txt", seed_variants.west_brabant())
    real_parse = pipeline.parse_report

    def delete_then_parse(data: bytes, **options: object) -> object:
        path.unlink()
        return real_parse(data, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "parse_report", delete_then_parse)
    with capture_logs() as logs:
        assert ingest_file(path, settings=settings) == "missing"
    assert count(settings, SourceFile) == 0 and not any(settings.archive_dir.iterdir())
    assert [e["detail"] for e in logs if e["event"] == "file_missing"] == ["deleted while it was being handled"]
