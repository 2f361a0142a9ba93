"""In one process, no queue: the parse cost per format, the floor (parse + reconcile + store with
`services.worker.pipeline.ingest_file`: claim, read, parse, decide, commit, dispose; files in a temporary
inbox) on SQLite and PostgreSQL, and the same files in batches as a worker takes them (the stages per
report, the store among them)."""

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
def _timed_stages(names: Sequence[str] = STAGES) -> Iterator[dict[str, list[float]]]:
    """Wrap the pipeline's functions with timers, where the pipeline and the task look them up."""
    from services.worker import pipeline, tasks

    timings: dict[str, list[float]] = defaultdict(list)
    originals = {name: getattr(pipeline, name) for name in names}

    def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                timings[name].append((time.perf_counter() - start) * 1000)
        return wrapper

    modules = (pipeline, tasks)
    for name, function in originals.items():
        for module in modules:
            if getattr(module, name, None) is function:
                setattr(module, name, timed(name, function))
    try:
        yield timings
    finally:
        for name, function in originals.items():
            for module in modules:
                if hasattr(module, name):
                    setattr(module, name, function)


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


# What a worker does with a job of claims (services/worker/tasks.py Batch.run), by stage: functions it
# looks up in the pipeline module at call time. `commit` is the write: from waiting for the turn (SQLite)
# to the commit, so the store of the batch's reports; `dispose` (moves, fsyncs, log lines) follows it.
BATCH_STAGES = ("read_claims", "parse_report", "build_document", "report_record", "_prechecked",
                "commit_and_dispose", "_dispose_batch")


def batches(files: Sequence[CorpusFile], database_url: str | None, workdir: Path, *,
            batch_files: int = 50) -> dict[str, Any]:
    """Reports per second, and ms per report by stage, of the worker's path for a job of `batch_files`
    claims, in this process (claiming is not timed: it is the watcher's)."""
    from services.worker.tasks import Batch
    from shared.attempts import AttemptLedger
    from shared.claims import WorkFolder, claim_file
    from shared.store.tables import utcnow

    inbox, data = workdir / "inbox", workdir / "data"
    inbox.mkdir(parents=True)
    for item in files:
        shutil.copyfile(item.path, inbox / item.name)
    settings = Settings(inbox=inbox, data_dir=data, database_url=database_url)
    url = settings.effective_database_url
    work = WorkFolder.of_inbox(inbox)
    work.ensure()
    outcomes: Counter[str] = Counter()
    try:
        with _logs_to(workdir / "pipeline.log"):
            upgrade_schema(url)
            claims = [info.claim for item in files
                      if (info := claim_file(inbox / item.name, work, dropped_at=utcnow())) is not None]
            with _timed_stages(BATCH_STAGES) as stages:
                start = time.perf_counter()
                for first in range(0, len(claims), batch_files):
                    structlog.contextvars.clear_contextvars()
                    batch = Batch(settings=settings, work=work, ledger=AttemptLedger(work.attempts))
                    batch.run(claims[first:first + batch_files])
                    outcomes.update(batch.ended.values())
                seconds = time.perf_counter() - start
    finally:
        structlog.contextvars.clear_contextvars()
        close_engine(url)
    per_report = {name: round(sum(values) / len(files), 3) for name, values in stages.items()}
    per_report["store"] = round(per_report.pop("commit_and_dispose", 0) - per_report.get("_dispose_batch", 0), 3)
    per_report["dispose"] = per_report.pop("_dispose_batch", 0)
    per_report["precheck"] = per_report.pop("_prechecked", 0)
    per_report["other"] = round(seconds * 1000 / len(files) - sum(per_report.values()), 3)
    return {"files": len(files), "batch_files": batch_files, "seconds": round(seconds, 3),
            "reports_per_second": round(len(files) / seconds, 1), "outcomes": dict(outcomes),
            "stages_ms_per_file": per_report}
