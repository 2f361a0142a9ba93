"""Migrations, corrected re-issues, the one-current-report rule, views and export, on both databases."""

from __future__ import annotations

import csv
import io
import json
import os
import threading
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select
from structlog.testing import capture_logs

from services.worker.pipeline import ingest_file
from shared.config import Settings
from shared.documents import build_document, sha256_hex
from shared.parsing import parse_report
from shared.store import db
from shared.store.migrate import current_revision, head_revision, upgrade_database
from shared.store.queries import ReportFilter, consumer_rows
from shared.store.service import add_stored_report
from shared.store.tables import Finding, Report, utcnow
from tests import quarter_reports, seed_variants
from tests.claiming import received_file
from tests.cli_helpers import klantprofielen


def drop_and_ingest(settings: Settings, name: str, data: bytes) -> str | None:
    settings.inbox.mkdir(parents=True, exist_ok=True)
    (settings.inbox / name).write_bytes(data)
    return ingest_file(settings.inbox / name, settings=settings)


def reports(settings: Settings) -> list[Report]:
    with db.session_for(settings.effective_database_url) as session:
        return list(session.exec(select(Report).order_by(Report.id)).all())


def test_upgrade_from_empty_reaches_head_with_views(database_url: str) -> None:
    engine = db.get_engine(database_url)
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM municipality_figures")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM region_figures")).scalar() == 0


def test_models_and_migrations_agree(database_url: str) -> None:
    engine = db.get_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []


def test_upgrade_from_the_first_migration_keeps_data_and_picks_current(empty_database_url: str) -> None:
    engine = db._create_engine(empty_database_url)
    upgrade_database(engine, "0001")
    now = utcnow()
    with engine.begin() as connection:
        for number in (1, 2, 3):
            connection.execute(text(
                "INSERT INTO source_file (sha256, name, received_path, size, format, status, received_at, "
                "stored_at, final_path) VALUES (:sha, :name, :name, 1, 'text', 'stored', :now, :now, :name)"),
                {"sha": f"{number:064d}", "name": f"f{number}.txt", "now": now})
            region = "West-Brabant" if number < 3 else "Midden-Limburg"
            connection.execute(text(
                "INSERT INTO report (source_file_id, region_name, year, quarter, municipal_with_profile, "
                "municipal_without_profile, uwv_with_profile, uwv_without_profile, total, status, "
                "finding_count, stored_at) VALUES (:id, :region, 2020, 4, 1, 1, 1, 1, :total, 'ok', 0, :now)"),
                {"id": number, "region": region, "total": number, "now": now})
    upgrade_database(engine)
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT id, is_current, superseded_by_id FROM report ORDER BY id")).all()
        regions = connection.execute(text("SELECT region_name, total FROM region_figures ORDER BY region_name")).all()
    assert [(r.id, bool(r.is_current), r.superseded_by_id) for r in rows] == [(1, False, 2), (2, True, None),
                                                                              (3, True, None)]
    assert [tuple(r) for r in regions] == [("Midden-Limburg", 3), ("West-Brabant", 2)]
    engine.dispose()


def test_upgrade_through_0004_fills_the_codes_and_lets_the_facts_decide(empty_database_url: str,
                                                                        tmp_path: Path) -> None:
    """A database of the 'newest arrival wins' rules: a broken copy had displaced the clean report. The
    upgrade fills the codes, takes the written time from the archived file, and makes the clean one
    current again; nothing is lost."""
    engine = db._create_engine(empty_database_url)
    upgrade_database(engine, "0003")
    now = utcnow()
    archived = tmp_path / "archive"
    archived.mkdir()
    with engine.begin() as connection:
        for number, (status, current, written) in enumerate(((("ok", False, 1_700_000_000)),
                                                             ("findings", True, 1_700_000_100)), start=1):
            path = archived / f"wb-{number}.txt"
            path.write_text("report")
            os.utime(path, (written, written))
            connection.execute(text(
                "INSERT INTO source_file (sha256, name, received_path, size, format, status, received_at, "
                "stored_at, final_path) VALUES (:sha, :name, :name, 1, 'text', 'stored', :now, :now, :path)"),
                {"sha": f"{number:064d}", "name": path.name, "now": now, "path": str(path)})
            connection.execute(text(
                "INSERT INTO report (source_file_id, region_name, year, quarter, municipal_with_profile, "
                "municipal_without_profile, uwv_with_profile, uwv_without_profile, total, status, finding_count, "
                "stored_at, content_sha256, is_current) VALUES (:id, 'West Brabant', 2020, 4, 6, 87, 133, 76, "
                ":total, :status, :count, :now, :sha, :current)"),
                {"id": number, "total": 302, "status": status, "count": int(status == "findings"), "now": now,
                 "sha": f"{number:064d}", "current": current})
            connection.execute(text(
                "INSERT INTO report_row (report_id, position, municipality, municipal_with_profile, "
                "municipal_without_profile, uwv_with_profile, uwv_without_profile, total) "
                "VALUES (:id, 0, 'Altena', 6, 87, 133, 76, 302)"), {"id": number})
    upgrade_database(engine)
    with engine.connect() as connection:
        reports_after = connection.execute(text(
            "SELECT id, region_code, region_key, is_current, version_status, written_at FROM report ORDER BY id")).all()
        codes = connection.execute(text("SELECT municipality_code FROM report_row")).scalars().all()
    assert [(r.id, r.region_code, r.region_key, bool(r.is_current), r.version_status) for r in reports_after] == [
        (1, 28, "28", True, "current"), (2, 28, "28", False, "held")]
    assert codes == ["GM1959", "GM1959"]
    written = str(reports_after[0].written_at)  # SQLite hands back text, PostgreSQL a datetime
    assert written.replace("T", " ").startswith("2023-11-14 22:13:20")  # the archived file's mtime
    engine.dispose()


def drop_written(settings: Settings, name: str, data: bytes, written: float) -> str | None:
    """Drop a file whose modification time says when it was written (as cp -p and rsync keep it)."""
    settings.inbox.mkdir(parents=True, exist_ok=True)
    path = settings.inbox / name
    path.write_bytes(data)
    os.utime(path, (written, written))
    return ingest_file(path, settings=settings)


def corrected(data: bytes) -> bytes:
    """A clean re-issue of Midden-Limburg with one municipality's figures corrected (and the totals)."""
    return seed_variants.corrected_midden_limburg(data)


def test_a_broken_copy_is_held_and_the_clean_version_stays_current(settings: Settings) -> None:
    assert drop_written(settings, "ml.txt", seed_variants.midden_limburg(), 1_700_000_000) == "stored"
    with capture_logs() as logs:
        assert drop_written(settings, "ml-broken.txt", seed_variants.broken_percent(), 1_700_000_100) == "stored"
    clean, broken = reports(settings)
    assert (clean.is_current, clean.version_status) == (True, "current")
    assert (broken.is_current, broken.version_status, broken.status) == (False, "held", "findings")
    [held] = [e for e in logs if e["event"] == "version_held"]
    assert (held["report_id"], held["current_report_id"]) == (broken.id, clean.id)
    [reissued] = [e for e in logs if e["event"] == "report_reissued"]
    assert reissued["previous_report_id"] == clean.id and reissued["changes"] == []
    with db.session_for(settings.effective_database_url) as session:
        regions = consumer_rows(session=session, view="region_figures")
    assert [(r["region_name"], r["percent_in_sonar"], r["report_id"]) for r in regions] == [
        ("Midden-Limburg", 70, clean.id)]


def test_a_correction_written_later_is_current_in_either_arrival_order(settings: Settings) -> None:
    original, correction = seed_variants.midden_limburg(), corrected(seed_variants.midden_limburg())
    with capture_logs() as logs:
        assert drop_written(settings, "ml.txt", original, 1_700_000_000) == "stored"
        assert drop_written(settings, "ml-correctie.txt", correction, 1_700_000_500) == "stored"
    first, second = reports(settings)
    assert (first.version_status, second.version_status) == ("superseded", "current")
    assert first.superseded_by_id == second.id
    [reissued] = [e for e in logs if e["event"] == "report_reissued"]
    assert reissued["changes"] == [
        {"municipality": "Weert", "municipality_code": "GM0988", "field": "uwv_with_profile", "old": 257, "new": 258},
        {"municipality": "Weert", "municipality_code": "GM0988", "field": "total", "old": 457, "new": 458}]
    # A late copy of the old figures (written before the correction) changes nothing: a duplicate.
    assert drop_written(settings, "ml-late.pdf.txt", original + b"\n", 1_700_000_001) == "duplicate"


def test_the_original_arriving_after_its_correction_does_not_displace_it(database_url: str, tmp_path: Path) -> None:
    settings = Settings(inbox=tmp_path / "inbox", data_dir=tmp_path / "data", database_url=database_url)
    original, correction = seed_variants.midden_limburg(), corrected(seed_variants.midden_limburg())
    assert drop_written(settings, "ml-correctie.txt", correction, 1_700_000_500) == "stored"
    assert drop_written(settings, "ml.txt", original, 1_700_000_000) == "stored"
    correction_report, original_report = reports(settings)
    assert (correction_report.version_status, original_report.version_status) == ("current", "superseded")
    assert original_report.superseded_by_id == correction_report.id


def test_a_pin_wins_until_unpinned(settings: Settings) -> None:
    original, correction = seed_variants.midden_limburg(), corrected(seed_variants.midden_limburg())
    drop_written(settings, "ml.txt", original, 1_700_000_000)
    drop_written(settings, "ml-correctie.txt", correction, 1_700_000_500)
    first, second = reports(settings)
    env = {"KLANTPROFIELEN_DATABASE_URL": settings.effective_database_url}
    pinned = klantprofielen("reports", "pin", str(first.id), env=env)
    assert pinned.returncode == 0, pinned.stderr
    first, second = reports(settings)
    assert (first.is_current, first.pinned_at is not None) == (True, True)
    assert first.pinned_by == "klantprofielen reports pin"
    everything = json.loads(klantprofielen("reports", "--json", "--include-superseded", env=env).stdout)
    assert [(d["version"]["status"], d["version"]["pinned"]) for d in everything] == [
        ("current", True), ("superseded", False)]
    # A newer version arriving while a pin holds stays behind the pin.
    assert drop_written(settings, "ml-3.txt", corrected(correction), 1_700_000_900) == "stored"
    assert [r.is_current for r in reports(settings)] == [True, False, False]
    unpinned = klantprofielen("reports", "unpin", str(first.id), env=env)
    assert unpinned.returncode == 0, unpinned.stderr
    assert [r.version_status for r in reports(settings)] == ["superseded", "superseded", "current"]
    missing = klantprofielen("reports", "pin", "999", env=env)
    assert missing.returncode == 2 and "no report 999" in missing.stderr


def test_same_bytes_or_same_figures_change_nothing(settings: Settings) -> None:
    assert drop_and_ingest(settings, "ml.txt", seed_variants.midden_limburg()) == "stored"
    assert drop_and_ingest(settings, "ml again.txt", seed_variants.midden_limburg()) == "duplicate"
    crlf = seed_variants.midden_limburg().replace(b"\n", b"\r\n")
    assert drop_and_ingest(settings, "ml-crlf.txt", crlf) == "duplicate"
    [only] = reports(settings)
    assert only.is_current and only.superseded_at is None


def test_the_database_refuses_a_second_current_report(settings: Settings) -> None:
    drop_and_ingest(settings, "ml.txt", seed_variants.midden_limburg())
    [stored] = reports(settings)
    with db.session_for(settings.effective_database_url) as session, pytest.raises(IntegrityError):
        session.exec(text(  # type: ignore[call-overload]
            "INSERT INTO report (source_file_id, region_name, region_key, year, quarter, municipal_with_profile, "
            "municipal_without_profile, uwv_with_profile, uwv_without_profile, total, status, finding_count, "
            "stored_at, figures_sha256, written_at, version_status, is_current) SELECT source_file_id + 0, "
            "region_name, region_key, year, quarter, 0, 0, 0, 0, 0, 'ok', 0, stored_at, 'x', written_at, "
            "'current', is_current FROM report WHERE id = :id"), params={"id": stored.id})
        session.commit()


def test_concurrent_stores_for_one_region_and_quarter_leave_one_current(settings: Settings) -> None:
    variants = [seed_variants.replace_once(seed_variants.west_brabant(), b"Zundert 4 22 46 27 99",
                                           f"Zundert 4 22 46 27 {100 + i}".encode()) for i in range(6)]
    drop_and_ingest(settings, "warm-up.txt", seed_variants.midden_limburg())
    for i, data in enumerate(variants):
        (settings.inbox / f"wb-{i}.txt").write_bytes(data)
    barrier = threading.Barrier(len(variants))
    outcomes: list[str | None] = []

    def store(i: int) -> None:
        barrier.wait()
        outcomes.append(ingest_file(settings.inbox / f"wb-{i}.txt", settings=settings))

    threads = [threading.Thread(target=store, args=(i,)) for i in range(len(variants))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == ["stored"] * len(variants)
    west = [r for r in reports(settings) if r.region_name == "West-Brabant"]
    assert len(west) == len(variants)
    current = [r for r in west if r.is_current]
    assert len(current) == 1
    # Every superseded report points at its successor, and following them always ends at the current one.
    successor = {r.id: r.superseded_by_id for r in west if not r.is_current}
    for start in successor:
        seen, at = set(), start
        while at in successor:
            assert at not in seen, "superseded_by forms a cycle"
            seen.add(at)
            at = successor[at]
        assert at == current[0].id


def test_views_and_export_return_exactly_the_stored_figures(settings: Settings, tmp_path: Path) -> None:
    for name, data in (("ml.txt", seed_variants.midden_limburg()), ("wb.txt", seed_variants.west_brabant())):
        assert drop_and_ingest(settings, name, data) == "stored"
    expected = [(p.region.name, p.period.year, p.period.quarter, row.municipality, row.municipal_with_profile,
                 row.municipal_without_profile, row.uwv_with_profile, row.uwv_without_profile, row.total)
                for p in (parse_report(seed_variants.midden_limburg()), parse_report(seed_variants.west_brabant()))
                for row in p.rows]
    fields = ("region_name", "year", "quarter", "municipality", "municipal_with_profile",
              "municipal_without_profile", "uwv_with_profile", "uwv_without_profile", "total")
    with db.session_for(settings.effective_database_url) as session:
        view = consumer_rows(session=session, view="municipality_figures")
        wb_only = consumer_rows(session=session, view="municipality_figures", where=ReportFilter(year=2020))
    assert [tuple(row[f] for f in fields) for row in view] == expected
    assert {row["region_name"] for row in wb_only} == {"West-Brabant"}
    assert all((settings.data_dir / row["source_archive_path"]).exists() and len(row["source_sha256"]) == 64
               for row in view)

    env = {"KLANTPROFIELEN_DATABASE_URL": settings.effective_database_url}
    as_csv = klantprofielen("export", "--format", "csv", env=env)
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [tuple(str(row[f]) for f in fields) for row in rows] == [tuple(map(str, e)) for e in expected]

    out = tmp_path / "ml.json"
    as_json = klantprofielen("export", "--format", "json", "--region", "34", "--output", str(out), env=env)
    assert as_json.returncode == 0, as_json.stderr
    exported = json.loads(out.read_text())
    assert [tuple(row[f] for f in fields) for row in exported] == [e for e in expected if e[0] == "Midden-Limburg"]

    parquet = tmp_path / "all.parquet"
    as_parquet = klantprofielen("export", "--format", "parquet", "--output", str(parquet), env=env)
    assert as_parquet.returncode == 0, as_parquet.stderr
    table = pq.read_table(parquet).to_pylist()
    assert [tuple(row[f] for f in fields) for row in table] == expected

    regions = klantprofielen("export", "--regions", "--format", "json", "--quarter", "4", env=env)
    assert [(r["region_name"], r["total"], r["register_size"]) for r in json.loads(regions.stdout)] == [
        ("Midden-Limburg", 2537, 3627), ("West-Brabant", 5026, 7124)]


def test_reports_and_alerts_commands_filter(settings: Settings) -> None:
    drop_and_ingest(settings, "ml.txt", seed_variants.midden_limburg())
    drop_and_ingest(settings, "ml-corrected.txt", seed_variants.broken_column_total())
    drop_and_ingest(settings, "wb.txt", seed_variants.west_brabant())
    env = {"KLANTPROFIELEN_DATABASE_URL": settings.effective_database_url}
    current = json.loads(klantprofielen("reports", "--json", "--region", "midden limburg", env=env).stdout)
    # The broken copy is held: the clean report stays current.
    assert [(d["source"]["path"].endswith("ml.txt"), len(d["findings"])) for d in current] == [(True, 0)]
    assert "version" not in current[0]
    everything = json.loads(klantprofielen("reports", "--json", "--include-superseded", env=env).stdout)
    assert len(everything) == 3
    alerts = json.loads(klantprofielen("alerts", "--json", "--year", "2021", env=env).stdout)
    assert [(a["check"], a["field"], a["expected"], a["actual"], a["file"]) for a in alerts] == [
        ("column_total", "uwv_with_profile", 1519, 1520, "ml-corrected.txt")]
    assert json.loads(klantprofielen("alerts", "--json", "--year", "2020", env=env).stdout) == []
    upgraded = klantprofielen("db", "upgrade", env=env)
    head = head_revision()
    assert upgraded.returncode == 0 and upgraded.stdout.strip() == f"database at revision {head} (head {head})"


def test_consecutive_quarters_stored_at_once_are_checked_against_each_other(database_url: str) -> None:
    """Two writers, one per quarter of a region, at the same time: the later quarter is checked against
    the earlier one whichever way they interleave. Here the first quarter's writer holds its uncommitted
    insert while the second's starts; had the second not waited for it (PostgreSQL, where a writer of a
    quarter only locked that quarter), neither would have seen the other and the check was never made."""
    rows = quarter_reports.midden_limburg_rows()
    files = {quarter: quarter_reports.report(2024, quarter, rows if quarter == 1 else
                                             {name: tuple(n * 3 for n in counts) for name, counts in rows.items()},
                                             region=quarter_reports.MIDDEN_LIMBURG) for quarter in (1, 2)}

    def store(session: Session, quarter: int) -> None:
        name = f"q{quarter}.txt"
        document = build_document(parse_report(files[quarter], name=name), path=name, sha256=sha256_hex(files[quarter]))
        add_stored_report(session=session, received=received_file(files[quarter], name, received_at=utcnow()),
                          document=document, final_path=f"archive/{name}")

    first_inserted, second_stored = threading.Event(), threading.Event()

    def second_quarter() -> None:
        first_inserted.wait(10)
        with db.session_for(database_url) as session:
            store(session, 2)
            session.commit()
        second_stored.set()

    thread = threading.Thread(target=second_quarter)
    thread.start()
    with db.session_for(database_url) as session:
        store(session, 1)
        first_inserted.set()
        second_stored.wait(1.0)  # the second writer's chance to finish without waiting for this one
        session.commit()
    thread.join(timeout=30)
    assert second_stored.is_set()
    with db.session_for(database_url) as session:
        by_quarter = {r.quarter: r for r in session.exec(select(Report)).all()}
        second = by_quarter[2]
        changes = session.exec(select(Finding).where(Finding.report_id == second.id,
                                                     Finding.check == "quarter_change")).all()
    assert second.baseline_report_id == by_quarter[1].id
    assert changes  # every count tripled
