"""In one process, no queue: the parse cost per format, and the floor (parse + reconcile + store with
`services.worker.pipeline.ingest_file`: claim, read, parse, decide, commit, dispose; files in a temporary
inbox) on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import structlog

from benchmarks.corpus import CorpusFile, expected_figures, figures
from benchmarks.stats import summary
from shared.config import Settings
from shared.parsing import parse_report
from shared.store.db import close_engine, upgrade_schema

# Functions ingest_file looks up in its module at call time: timing them gives the stage breakdown.
STAGES = ("claim_file", "open_for_writing", "find_sources", "parse_report", "build_document", "add_stored_report",
          "add_deliveries", "_log_findings", "move_claim", "fsync_folder")


def parse_cost(files: Sequence[CorpusFile], per_kind: int) -> dict[str, Any]:
    """ms per report by kind and by format (median, p90), checking every result against its figures."""
    by_kind: dict[str, list[CorpusFile]] = defaultdict(list)
    for item in files:
        if len(by_kind[item.kind]) < per_kind:
            by_kind[item.kind].append(item)
    for items in by_kind.values():  # warm up: imports and first-call caches are not the per-report cost
        parse_report(items[0].path.read_bytes(), name=items[0].name)
    kinds: dict[str, Any] = {}
    formats: dict[str, list[float]] = defaultdict(list)
    pdf_per_page: list[float] = []
    mismatches = 0
    for kind, items in by_kind.items():
        times = []
        for item in items:
            data = item.path.read_bytes()
            start = time.perf_counter()
            parsed = parse_report(data, name=item.name)
            elapsed = (time.perf_counter() - start) * 1000
            times.append(elapsed)
            formats[item.fmt].append(elapsed)
            if item.fmt == "pdf":
                pdf_per_page.append(elapsed / item.pages)
            if figures(parsed) != expected_figures(item) or parsed.format != item.fmt:
                mismatches += 1
        kinds[kind] = {**summary(times), "bytes_median": sorted(i.path.stat().st_size for i in items)[len(items) // 2]}
    return {"unit": "ms per report", "by_kind": kinds,
            "by_format": {fmt: summary(times) for fmt, times in formats.items()},
            "pdf_ms_per_page": summary(pdf_per_page), "mismatches": mismatches,
            "reports": sum(len(items) for items in by_kind.values())}


@contextlib.contextmanager
def _timed_stages() -> Iterator[dict[str, list[float]]]:
    from services.worker import pipeline

    timings: dict[str, list[float]] = defaultdict(list)
    originals = {name: getattr(pipeline, name) for name in STAGES}

    def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                timings[name].append((time.perf_counter() - start) * 1000)
        return wrapper

    for name, function in originals.items():
        setattr(pipeline, name, timed(name, function))
    try:
        yield timings
    finally:
        for name, function in originals.items():
            setattr(pipeline, name, function)


@contextlib.contextmanager
def _logs_to(path: Path) -> Iterator[None]:
    """The pipeline's JSON log lines go to a file, as the service's do."""
    from shared.logging import configure_logging

    configure_logging("worker", "json")
    handler = logging.getLogger().handlers[0]
    with path.open("a", encoding="utf-8") as stream:
        previous = handler.setStream(stream)  # type: ignore[attr-defined]
        try:
            yield
        finally:
            handler.setStream(previous)  # type: ignore[attr-defined]


def floor(files: Sequence[CorpusFile], database_url: str | None, workdir: Path) -> dict[str, Any]:
    """Reports per second of ingest_file over `files`, one after another, in this process."""
    from services.worker.pipeline import ingest_file

    inbox, data = workdir / "inbox", workdir / "data"
    inbox.mkdir(parents=True)
    paths = []
    for item in files:
        shutil.copyfile(item.path, inbox / item.name)
        paths.append(inbox / item.name)
    settings = Settings(inbox=inbox, data_dir=data, database_url=database_url)
    url = settings.effective_database_url
    outcomes: Counter[str] = Counter()
    try:
        with _logs_to(workdir / "pipeline.log"):
            upgrade_schema(url)  # the schema upgrade is start-up, not per report
            with _timed_stages() as stages:
                start = time.perf_counter()
                for path in paths:
                    structlog.contextvars.clear_contextvars()  # as the worker does before each task
                    outcomes[ingest_file(path, settings=settings)] += 1
                seconds = time.perf_counter() - start
    finally:
        structlog.contextvars.clear_contextvars()
        close_engine(url)
    per_file = {name: round(sum(values) / len(files), 3) for name, values in stages.items()}
    per_file["other"] = round(seconds * 1000 / len(files) - sum(per_file.values()), 3)
    return {"files": len(files), "seconds": round(seconds, 3),
            "reports_per_second": round(len(files) / seconds, 1), "outcomes": dict(outcomes),
            "stages_ms_per_file": per_file,
            "left_in_inbox": sum(1 for p in inbox.iterdir() if not p.name.startswith("."))}


@contextlib.contextmanager
def postgres_schema(dsn: str) -> Iterator[str]:
    """A fresh schema as a SQLAlchemy URL whose search_path points at it; dropped afterwards."""
    import psycopg

    schema = f"kp_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    base = dsn.replace("postgresql://", "postgresql+psycopg://", 1)
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
