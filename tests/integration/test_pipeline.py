"""The worker's pipeline on real files and a real database (SQLite and PostgreSQL), without Celery:
files are claimed into the work folder and taken to their end state as the watcher and a worker would."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from sqlmodel import func, select
from structlog.testing import capture_logs

from services.worker import pipeline
from services.worker.pipeline import ingest_file
from shared.claims import WorkFolder, claim_file
from shared.config import Settings
from shared.store.db import session_for
from shared.store.queries import list_documents
from shared.store.tables import Delivery, Finding, Report, ReportRow, SourceFile, utcnow
from tests import seed_variants
from tests.cli_helpers import klantprofielen


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
    assert source.status == "stored" and source.final_path == f"archive/{archived[0].name}"
    assert source.format == "text"
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


def deliveries(settings: Settings) -> list[Delivery]:
    with session_for(settings.effective_database_url) as session:
        return list(session.exec(select(Delivery).order_by(Delivery.id)).all())


def work_folder(settings: Settings) -> WorkFolder:
    work = WorkFolder.of_inbox(settings.inbox)
    work.ensure()
    return work


def claim(settings: Settings, path: Path) -> str:
    claimed = claim_file(path, work_folder(settings), dropped_at=utcnow())
    assert claimed is not None
    return claimed.claim


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
    first, second = deliveries(settings)
    assert event["report_id"] == first.report_id == second.report_id
    assert (first.outcome, second.outcome, second.reason) == ("stored", "duplicate", "same bytes as a stored file")
    assert first.sha256 == second.sha256 and second.name == "copy of a.txt"


def test_redelivered_job_does_no_harm(settings: Settings) -> None:
    path = drop(settings, "a.txt", seed_variants.west_brabant())
    name = claim(settings, path)
    work = work_folder(settings)
    assert pipeline.handle_claim(name, settings=settings, work=work) == "stored"
    with capture_logs() as logs:
        assert pipeline.handle_claim(name, settings=settings, work=work) is None
    assert count(settings, Report) == 1 and len(deliveries(settings)) == 1
    assert [e["event"] for e in logs] == ["file_missing"]


def test_garbage_is_quarantined_with_its_reason(settings: Settings) -> None:
    path = drop(settings, "garbage.bin", b"\x00\xff garbage " * 100)
    with capture_logs() as logs:
        assert ingest_file(path, settings=settings) == "quarantined"
    assert not path.exists()
    [moved] = [p for p in settings.quarantine_dir.iterdir() if not p.name.endswith(".reason.json")]
    sidecar = json.loads((settings.quarantine_dir / (moved.name + ".reason.json")).read_text())
    assert sidecar["reason"] == "unsupported format: binary content" and sidecar["file"] == "garbage.bin"
    [delivery] = deliveries(settings)
    assert (delivery.outcome, delivery.reason) == ("quarantined", "unsupported format: binary content")
    assert delivery.path == f"quarantine/{moved.name}" and delivery.sha256 is not None
    assert count(settings, Report) == 0 and count(settings, SourceFile) == 0
    [event] = [e for e in logs if e["event"] == "file_quarantined"]
    assert event["reason"] == "unsupported format: binary content"


def test_oversized_file_is_quarantined_without_reading_it_all(settings: Settings) -> None:
    small = settings.model_copy(update={"max_file_bytes": 1000})
    path = drop(small, "big.txt", seed_variants.west_brabant())
    assert ingest_file(path, settings=small) == "quarantined"
    [delivery] = deliveries(small)
    assert delivery.reason == f"file too large: {len(seed_variants.west_brabant())} bytes (limit 1000)"


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
    name = claim(settings, path)
    work = work_folder(settings)
    real_move = pipeline.move_claim

    def crash(*_: object, **__: object) -> None:
        raise OSError("simulated crash after the commit")

    monkeypatch.setattr(pipeline, "move_claim", crash)
    with pytest.raises(OSError):
        pipeline.handle_claim(name, settings=settings, work=work)
    assert (work.claimed / name).exists() and count(settings, Report) == 1
    monkeypatch.setattr(pipeline, "move_claim", real_move)
    with capture_logs() as logs:
        assert pipeline.handle_claim(name, settings=settings, work=work) == "stored"
    assert not (work.claimed / name).exists() and count(settings, Report) == 1
    [delivery] = deliveries(settings)
    assert (settings.data_dir / delivery.path).read_bytes() == seed_variants.west_brabant()
    assert [p.name for p in settings.archive_dir.iterdir()] == [name]
    assert [e.get("detail") for e in logs if e["event"] == "report_stored"] == [
        "move completed after an interrupted delivery"]


def test_unwritable_archive_fails_before_the_file_leaves(settings: Settings) -> None:
    path = drop(settings, "a.txt", seed_variants.west_brabant())
    name = claim(settings, path)
    work = work_folder(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.archive_dir.write_text("a file where the archive folder should be")
    with pytest.raises(OSError):
        pipeline.handle_claim(name, settings=settings, work=work)
    assert (work.claimed / name).read_bytes() == seed_variants.west_brabant()
    settings.archive_dir.unlink()
    assert pipeline.handle_claim(name, settings=settings, work=work) == "stored"
    assert count(settings, Report) == 1 and len(deliveries(settings)) == 1


def test_two_workers_with_the_same_bytes_store_once(settings: Settings) -> None:
    data = seed_variants.midden_limburg()
    paths = [drop(settings, f"copy-{i}.txt", data) for i in range(2)]
    ingest_file(drop(settings, "warm-up.txt", seed_variants.west_brabant()), settings=settings)
    outcomes: list[str | None] = []
    barrier = threading.Barrier(2)

    def run(path: Path) -> None:
        barrier.wait()
        outcomes.append(ingest_file(path, settings=settings))

    threads = [threading.Thread(target=run, args=(p,)) for p in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(str(o) for o in outcomes) == ["duplicate", "stored"]
    assert count(settings, Report) == 2 and not any(p.exists() for p in paths)


def test_symlink_is_not_followed(settings: Settings, tmp_path: Path) -> None:
    secret = tmp_path / "outside.txt"
    secret.write_bytes(seed_variants.west_brabant())
    settings.inbox.mkdir(parents=True)
    link = settings.inbox / "link.txt"
    link.symlink_to(secret)
    assert ingest_file(link, settings=settings) == "quarantined"
    assert secret.read_bytes() == seed_variants.west_brabant() and not link.is_symlink()
    [delivery] = deliveries(settings)
    assert delivery.reason == "a symbolic link: links are not followed" and delivery.sha256 is None
    assert (settings.data_dir / delivery.path).is_symlink()
    assert count(settings, Report) == 0


def test_a_folder_is_quarantined(settings: Settings) -> None:
    settings.inbox.mkdir(parents=True)
    folder = settings.inbox / "a folder"
    folder.mkdir()
    (folder / "inside.txt").write_bytes(seed_variants.west_brabant())
    assert ingest_file(folder, settings=settings) == "quarantined"
    [delivery] = deliveries(settings)
    assert delivery.reason == "a directory: only files are read"
    assert (settings.data_dir / delivery.path / "inside.txt").read_bytes() == seed_variants.west_brabant()


def test_a_claim_still_open_for_writing_is_left_for_later(settings: Settings) -> None:
    settings.inbox.mkdir(parents=True)
    path = settings.inbox / "half.txt"
    data = seed_variants.west_brabant()
    with path.open("wb") as writer:
        writer.write(data[:500])
        writer.flush()
        name = claim(settings, path)  # on NFS the lease check can't tell, so this can happen
        with pytest.raises(pipeline.FileChanged):
            pipeline.handle_claim(name, settings=settings, work=work_folder(settings))
        assert deliveries(settings) == []
        writer.write(data[500:])
    assert pipeline.handle_claim(name, settings=settings, work=work_folder(settings)) == "stored"
    [archived] = settings.archive_dir.iterdir()
    assert archived.read_bytes() == data


def test_a_replacement_renamed_over_the_inbox_name_during_duplicate_handling_is_a_new_drop(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    original, corrected = seed_variants.west_brabant(), seed_variants.broken_row_total()
    assert ingest_file(drop(settings, "report.txt", original), settings=settings) == "stored"
    path = drop(settings, "report.txt", original)  # the same bytes again: a duplicate
    real_find = pipeline.find_sources

    def rename_over_then_find(**options: object) -> object:
        staged = settings.inbox / ".corrected.part"
        staged.write_bytes(corrected)
        staged.rename(path)  # the corrected file arrives under the same inbox name meanwhile
        return real_find(**options)  # type: ignore[arg-type]

    name = claim(settings, path)
    monkeypatch.setattr(pipeline, "find_sources", rename_over_then_find)
    assert pipeline.handle_claim(name, settings=settings, work=work_folder(settings)) == "duplicate"
    monkeypatch.setattr(pipeline, "find_sources", real_find)
    assert (settings.archive_dir / name).read_bytes() == original  # the duplicate, not the replacement
    assert path.read_bytes() == corrected
    assert ingest_file(path, settings=settings) == "stored"  # the replacement is its own delivery
    assert [d.outcome for d in deliveries(settings)] == ["stored", "duplicate", "stored"]
    assert count(settings, Report) == 2


def test_an_in_place_overwrite_during_the_commit_never_changes_the_archived_bytes(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    original, new = seed_variants.west_brabant(), seed_variants.midden_limburg()
    path = drop(settings, "report.txt", original)
    real_store = pipeline.add_stored_report

    def overwrite_then_store(**options: object) -> object:
        with open(path, "wb") as writer:  # cp new.txt inbox/report.txt: O_TRUNC on the inbox name
            writer.write(new)
        return real_store(**options)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "add_stored_report", overwrite_then_store)
    assert ingest_file(path, settings=settings) == "stored"
    monkeypatch.setattr(pipeline, "add_stored_report", real_store)
    [delivery] = deliveries(settings)
    assert (settings.data_dir / delivery.path).read_bytes() == original
    assert delivery.sha256 == sha256(original)
    assert path.read_bytes() == new
    assert ingest_file(path, settings=settings) == "stored"
    assert count(settings, Report) == 2


@pytest.mark.parametrize("length", [230, 250, 255])
def test_long_names_are_stored_and_archived(settings: Settings, length: int) -> None:
    name = "r" * (length - 4) + ".txt"
    path = drop(settings, name, seed_variants.west_brabant())
    assert ingest_file(path, settings=settings) == "stored"
    [delivery] = deliveries(settings)
    assert delivery.name == name and delivery.name_bytes == name.encode()
    [archived] = settings.archive_dir.iterdir()
    assert len(archived.name.encode()) <= 200 and archived.name.endswith("~.txt")
    assert not any(settings.inbox.iterdir() if False else work_folder(settings).claimed.iterdir())


def test_a_non_utf8_name_survives_an_interrupted_move_with_one_archived_copy(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = b"rapport-\xe9t\xe9-2021q4.txt"  # Latin-1, as an old SMB client writes it
    settings.inbox.mkdir(parents=True)
    path = Path(os.fsdecode(settings.inbox / os.fsdecode(raw)))
    path.write_bytes(seed_variants.midden_limburg())
    name = claim(settings, path)
    real_fsync = pipeline.fsync_folder
    calls: list[Path] = []

    def crash_after_rename(folder: Path) -> None:
        calls.append(folder)
        raise OSError("simulated crash after the rename")

    monkeypatch.setattr(pipeline, "fsync_folder", crash_after_rename)
    with pytest.raises(OSError):
        pipeline.handle_claim(name, settings=settings, work=work_folder(settings))
    monkeypatch.setattr(pipeline, "fsync_folder", real_fsync)
    assert calls and pipeline.handle_claim(name, settings=settings, work=work_folder(settings)) is None
    [delivery] = deliveries(settings)
    assert delivery.name_bytes == raw and delivery.name == "rapport-\\xe9t\\xe9-2021q4.txt"
    assert [p.name for p in settings.archive_dir.iterdir()] == [name]
    assert count(settings, Report) == 1


def sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


# Each broken copy of a seed, the figure it breaks, and where that is: the line of the file.
BROKEN_COPIES = {
    "broken_row_total": ("row_total", "1.636", 10),  # Breda's row
    "broken_column_total": ("column_total", "1.520", 35),  # the TOTAAL AMR row
    "broken_percent": ("percent_in_sonar", "75%", 37),  # the footnote
    "broken_register_size": ("register_size", "2.000", 37),  # the footnote
}


def test_the_alert_line_points_at_the_broken_figure(settings: Settings) -> None:
    """The location in the reconciliation_failed line of each broken copy is the line of the file
    holding the broken figure; `alerts` shows it in the human form."""
    for name, (check, figure, line) in BROKEN_COPIES.items():
        data = getattr(seed_variants, name)()
        with capture_logs() as logs:
            assert ingest_file(drop(settings, f"{name}.txt", data), settings=settings) == "stored"
        alert = next(e for e in logs if e["event"] == "reconciliation_failed" and e["check"] == check)
        assert alert["location"] == {"line": line}, name
        assert figure in data.decode().split("\n")[alert["location"]["line"] - 1], name
    env = {"KLANTPROFIELEN_DATABASE_URL": settings.effective_database_url}
    listed = klantprofielen("alerts", env=env)
    assert listed.returncode == 0, listed.stderr
    for name, (check, _, line) in BROKEN_COPIES.items():
        assert any(check in shown and f"{name}.txt at line {line}" in shown for shown in listed.stdout.splitlines()), \
            (name, listed.stdout)
    as_json = json.loads(klantprofielen("alerts", "--json", env=env).stdout)
    assert {(a["check"], a["where"]) for a in as_json} >= {(check, f"line {line}") for check, _, line in
                                                          BROKEN_COPIES.values()}
