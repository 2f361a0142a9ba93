"""The reference a user would compare the service with: the twenty-line cron script. One process, no
queue, no claims, no versions or cross-quarter checks: for each file in a folder, read it, parse and
reconcile it, insert the report with its rows and findings in one committed transaction, and move the
file to an archive folder. The database keeps its default durability for a commit: SQLite in WAL mode
with synchronous=FULL (what the service uses), PostgreSQL as configured. Plain DB-API, no ORM."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.corpus import CorpusFile
from shared.parsing import NotAReport, parse_report
from shared.reconcile import reconcile

SCHEMA = (
    "CREATE TABLE naive_report (id {serial} PRIMARY KEY, sha256 TEXT UNIQUE NOT NULL, name TEXT NOT NULL,"
    " region TEXT NOT NULL, year INTEGER NOT NULL, quarter INTEGER NOT NULL, total INTEGER NOT NULL,"
    " findings INTEGER NOT NULL)",
    "CREATE TABLE naive_row (report_id INTEGER NOT NULL REFERENCES naive_report(id), position INTEGER NOT NULL,"
    " municipality TEXT NOT NULL, municipal_with_profile INTEGER, municipal_without_profile INTEGER,"
    " uwv_with_profile INTEGER, uwv_without_profile INTEGER, total INTEGER)",
    "CREATE TABLE naive_finding (report_id INTEGER NOT NULL REFERENCES naive_report(id), check_name TEXT,"
    " municipality TEXT, field TEXT, expected REAL, actual REAL)",
)
_FIELDS = ("municipal_with_profile", "municipal_without_profile", "uwv_with_profile", "uwv_without_profile", "total")


def _connect(database_url: str | None, workdir: Path) -> tuple[Any, str]:
    """A DB-API connection and its parameter style ('?' or '%s'), with the schema made."""
    if database_url is None:
        connection: Any = sqlite3.connect(workdir / "naive.db", isolation_level=None)
        assert connection.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
        connection.execute("PRAGMA synchronous=FULL")
        for statement in SCHEMA:
            connection.execute(statement.format(serial="INTEGER"))
        return connection, "?"
    import psycopg

    connection = psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://", 1))
    with connection.transaction():
        for statement in SCHEMA:
            connection.execute(statement.format(serial="SERIAL"))
    return connection, "%s"


def naive_loop(files: Sequence[CorpusFile], database_url: str | None, workdir: Path) -> dict[str, Any]:
    """Reports per second of the cron-script loop over a folder holding `files`."""
    inbox, archive = workdir / "inbox", workdir / "archive"
    inbox.mkdir(parents=True)
    archive.mkdir()
    for item in files:
        shutil.copyfile(item.path, inbox / item.name)
    connection, mark = _connect(database_url, workdir)
    insert_report = (f"INSERT INTO naive_report (sha256, name, region, year, quarter, total, findings) "
                     f"VALUES ({', '.join([mark] * 7)}) RETURNING id")
    insert_row = f"INSERT INTO naive_row VALUES ({', '.join([mark] * 8)})"
    insert_finding = f"INSERT INTO naive_finding VALUES ({', '.join([mark] * 6)})"
    sqlite = database_url is None
    outcomes: Counter[str] = Counter()
    start = time.perf_counter()
    try:
        for path in sorted(inbox.iterdir()):
            data = path.read_bytes()
            try:
                report = parse_report(data, name=path.name)
            except NotAReport:
                outcomes["not_a_report"] += 1
                os.rename(path, archive / path.name)
                continue
            findings = reconcile(report)
            cursor = connection.cursor()
            if sqlite:
                cursor.execute("BEGIN")
            report_id = cursor.execute(insert_report, (
                hashlib.sha256(data).hexdigest(), path.name, report.region.name, report.period.year,
                report.period.quarter, report.totals.total, len(findings))).fetchone()[0]
            cursor.executemany(insert_row, [(report_id, position, row.municipality, *(getattr(row, f) for f in _FIELDS))
                                            for position, row in enumerate(report.rows)])
            if findings:
                cursor.executemany(insert_finding, [(report_id, f.check, f.municipality, f.field, f.expected,
                                                     f.actual) for f in findings])
            connection.commit() if not sqlite else cursor.execute("COMMIT")
            os.rename(path, archive / path.name)
            outcomes["stored"] += 1
        seconds = time.perf_counter() - start
    finally:
        connection.close()
    return {"files": len(files), "seconds": round(seconds, 3), "reports_per_second": round(len(files) / seconds, 1),
            "outcomes": dict(outcomes)}
