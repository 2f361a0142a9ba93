"""What durable order costs: claim + handle N text reports in one process, one commit per file, with
SQLite's synchronous=NORMAL, with FULL (the default), and with FULL plus the fsync of the folders that a
move changed (the default). `python -m benchmarks.durability [--files 150] [--repeat 2]`."""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import structlog

from services.worker.pipeline import ingest_file
from shared import claims
from shared.config import Settings
from shared.files import ignore_lease_break_signal
from shared.store import db
from tests.faults import corpus

VARIANTS = (("synchronous=NORMAL, no folder fsync", "NORMAL", False),
            ("synchronous=FULL, no folder fsync", "FULL", False),
            ("synchronous=FULL + folder fsync (the default)", "FULL", True))


def measure(sync: str, folder_fsync: bool, files: int) -> float:
    """Reports per second for `files` single-file commits with these settings."""
    root = Path(tempfile.mkdtemp(prefix="kp-durability-"))
    settings = Settings(inbox=root / "inbox", data_dir=root / "data")
    settings.inbox.mkdir(parents=True)
    configure, fsync_folder = db._configure_sqlite_connection, claims.fsync_folder

    def with_sync(connection: object, record: object) -> None:
        configure(connection, record)
        connection.cursor().execute(f"PRAGMA synchronous={sync}")  # type: ignore[attr-defined]

    db._configure_sqlite_connection = with_sync
    if not folder_fsync:
        claims.fsync_folder = lambda _folder: None  # type: ignore[assignment]
    try:
        db.upgrade_schema(settings.effective_database_url)
        paths = []
        for number in range(files):
            path = settings.inbox / f"r{number}.txt"
            path.write_bytes(corpus.valid_report(number))
            paths.append(path)
        start = time.perf_counter()
        for path in paths:
            ingest_file(path, settings=settings)
        return files / (time.perf_counter() - start)
    finally:
        db.close_engine(settings.effective_database_url)
        db._configure_sqlite_connection, claims.fsync_folder = configure, fsync_folder


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.durability", description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())
    ignore_lease_break_signal()
    for _ in range(args.repeat):
        for label, sync, folder_fsync in VARIANTS:
            rate = measure(sync, folder_fsync, args.files)
            print(f"{label:<48} {rate:7.1f} reports/s  {1000 / rate:6.2f} ms per file")


if __name__ == "__main__":
    main()
