"""What the service does end to end: a backfill dropped at once, a trickle of single files (latency),
and a worker's memory over many jobs. Each runs its own `klantprofielen run` on a fresh data dir."""

from __future__ import annotations

import os
import re
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.corpus import CorpusFile
from benchmarks.service import Service, ServiceError, parse_utc
from benchmarks.stats import summary, tree_memory

_TASK_ID = re.compile(r"\[([0-9a-f-]{36})\]")
_RUNTIME = re.compile(r"succeeded in ([0-9.e-]+)s")


def _outcome(service: Service, expected: int) -> dict[str, Any]:
    total, stored = service.counts()
    return {"rows": total, "stored": stored, "quarantined": total - stored, "expected": expected,
            "all_stored": stored == expected, "left_in_inbox": service.inbox_count(),
            "archived": service.archive_count(), "findings": service.finding_count(),
            "unchecked_against_previous": service.unchecked_count()}


def _jobs_received(records: list[dict[str, Any]]) -> int:
    """Jobs the worker took, by Celery's "Task ...[id] received" lines."""
    return sum(1 for r in records if str(r.get("event", "")).endswith("] received"))


def _cpu_use(before: dict[str, float], after: dict[str, float], files: int, seconds: float) -> dict[str, Any]:
    """CPU ms per file by role, and how busy the whole machine was (100% = every core)."""
    used = {role: after[role] - before.get(role, 0.0) for role in sorted(after)}
    return {"cpu_ms_per_file_by_role": {role: round(1000 * value / files, 2) for role, value in used.items()},
            "cpu_busy_percent_of_machine": round(100 * sum(used.values()) / (seconds * (os.cpu_count() or 1)), 1)}


def backfill(files: Sequence[CorpusFile], root: Path, *, concurrency: int | None,
             poll_seconds: float = 0.05, env: dict[str, str] | None = None,
             database_url: str | None = None) -> dict[str, Any]:
    """All files renamed into the inbox at once; seconds until every one has its row."""
    service = Service(root, concurrency=concurrency, env=env, database_url=database_url)
    service.start()
    try:
        pool = len(service.pool_pids())
        staged = service.stage(files)
        cpu_before = service.cpu_by_role()
        wall_start = time.time()
        start = time.monotonic()
        for path in staged:
            service.drop(path)
        dropped = time.monotonic() - start
        first_row = None
        deadline = start + max(120.0, len(files) / 5)
        while True:
            total = service.counts()[0]
            now = time.monotonic()
            if total and first_row is None:
                first_row = now - start
            if total >= len(files) or now > deadline or service.process.poll() is not None:  # type: ignore[union-attr]
                break
            time.sleep(poll_seconds)
        seconds = time.monotonic() - start
        cpu_after = service.cpu_by_role()
        time.sleep(0.3)  # let the last moves finish before counting the inbox
        outcome = _outcome(service, len(files))
        memory = tree_memory(service.worker_pid() or 0)
    finally:
        status = service.stop()
    records = service.log_records()
    enqueued = [parse_utc(r["timestamp"]).timestamp() - wall_start for r in records
                if r.get("event") == "file_enqueued"]
    runtimes = [float(m.group(1)) * 1000 for r in records
                if (m := _RUNTIME.search(str(r.get("event", ""))))]
    jobs = _jobs_received(records)
    return {"files": len(files), "concurrency": concurrency or "default", "pool_processes": pool,
            "database": "postgresql" if database_url else "sqlite", "jobs": jobs,
            "seconds": round(seconds, 3), "reports_per_second": round(len(files) / seconds, 1),
            "drop_seconds": round(dropped, 3), "first_row_seconds": round(first_row or 0, 3),
            "last_enqueued_seconds": round(max(enqueued), 3) if enqueued else None,
            "enqueued": len(enqueued), "task_runtime_ms": summary(runtimes),
            **_cpu_use(cpu_before, cpu_after, len(files), seconds), **outcome,
            "worker_memory_after": memory,
            "exit_status": status, "logs": service.log_summary(), "log_file": str(service.log_path)}


def trickle(files: Sequence[CorpusFile], root: Path, *, poll_seconds: float = 0.002,
            env: dict[str, str] | None = None) -> dict[str, Any]:
    """Files dropped one at a time, each after the one before has left the inbox; drop -> committed."""
    service = Service(root, env=env)
    service.start()
    drops: dict[str, float] = {}
    seen_ms: list[float] = []
    commit_ms: list[float] = []
    by_format: dict[str, list[float]] = defaultdict(list)
    missing = 0
    try:
        staged = service.stage(files)
        for count, (item, path) in enumerate(zip(files, staged, strict=True), start=1):
            wall = time.time()
            start = time.monotonic()
            service.drop(path)
            drops[item.name] = wall
            if not service.wait_for_rows(count, timeout=30, interval=poll_seconds):
                missing += 1
                break
            seen_ms.append((time.monotonic() - start) * 1000)
            times = service.row_times(item.name)
            if times is not None:
                commit_ms.append((times[1].timestamp() - wall) * 1000)
                by_format[item.fmt].append(commit_ms[-1])
            _wait_gone(service.inbox / item.name)
        outcome = _outcome(service, len(files))
    finally:
        status = service.stop()
    return {"files": len(files), "commit_ms": summary(commit_ms, 1), "seen_by_poll_ms": summary(seen_ms, 1),
            "commit_ms_median_by_format": {fmt: summary(v, 1)["median"] for fmt, v in sorted(by_format.items())},
            "stages_ms": _latency_stages(service, drops), "timed_out": missing, **outcome,
            "exit_status": status, "logs": service.log_summary(), "log_file": str(service.log_path)}


def _wait_gone(path: Path, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.002)


def _latency_stages(service: Service, drops: dict[str, float]) -> dict[str, Any]:
    """Where a trickled file's time goes, from the logs and the delivery row: drop -> the watcher
    judges it complete and claims it (dropped_at) -> the worker receives the job -> the commit
    (committed_at) -> report_stored logged."""
    stored: dict[str, tuple[str, float]] = {}
    received: dict[str, float] = {}
    for record in service.log_records():
        event = str(record.get("event", ""))
        when = parse_utc(record["timestamp"]).timestamp() if "timestamp" in record else 0.0
        if event.endswith("] received") and (match := _TASK_ID.search(event)):
            received[match.group(1)] = when
        elif event == "report_stored" and "task_id" in record and "claim" in record:
            stored[str(record["claim"])] = (str(record["task_id"]), when)
    stages: dict[str, list[float]] = defaultdict(list)
    for claim, (task_id, logged) in stored.items():
        name = claim.split("_", 2)[2]
        times = service.row_times(name)
        if name not in drops or times is None or task_id not in received:
            continue
        dropped_at, committed_at = (moment.timestamp() for moment in times)
        stages["drop_to_claimed"].append((dropped_at - drops[name]) * 1000)
        stages["claimed_to_worker_received"].append((received[task_id] - dropped_at) * 1000)
        stages["worker_received_to_commit"].append((committed_at - received[task_id]) * 1000)
        stages["commit_to_stored_logged"].append((logged - committed_at) * 1000)
    return {name: summary(values, 1) for name, values in stages.items()}


def _full_pool_memory(worker: int, processes: int, timeout: float = 10.0) -> dict[str, Any]:
    """The tree's memory once it has all its processes again: a pool process that reached
    worker_max_tasks_per_child is replaced a moment after it exits, and a tree caught in between
    would look smaller than it is."""
    deadline = time.monotonic() + timeout
    sample = tree_memory(worker)
    while sample["processes"] < processes and time.monotonic() < deadline:
        time.sleep(0.05)
        sample = tree_memory(worker)
    return sample


def memory(files: Sequence[CorpusFile], root: Path, *, batches: int = 10,
           env: dict[str, str] | None = None) -> dict[str, Any]:
    """A worker's RSS (main + pool children, from /proc) at start and after every tenth of the jobs: one
    job per file (batch_max_files 1), so that every file costs the worker a whole job's work."""
    service = Service(root, env={"KLANTPROFIELEN_BATCH_MAX_FILES": "1", **(env or {})})
    service.start()
    samples: list[dict[str, Any]] = []
    try:
        worker = service.worker_pid()
        if worker is None:
            raise ServiceError("no worker process under klantprofielen run")
        time.sleep(1.0)
        processes = tree_memory(worker)["processes"]
        samples.append({"jobs": 0, **tree_memory(worker)})
        size = max(1, -(-len(files) // batches))
        done = 0
        for first in range(0, len(files), size):
            batch = files[first:first + size]
            for path in service.stage(batch):
                service.drop(path)
            done += len(batch)
            if not service.wait_for_rows(done, timeout=max(120.0, len(batch) / 5), interval=0.05):
                break
            time.sleep(0.5)
            samples.append({"jobs": done, **_full_pool_memory(worker, processes)})
        outcome = _outcome(service, len(files))
    finally:
        status = service.stop()
    start, warm, end = samples[0], samples[min(1, len(samples) - 1)], samples[-1]
    return {"jobs": end["jobs"], "jobs_received": _jobs_received(service.log_records()),
            "start_rss_mib": start["rss_mib"], "after_first_batch_rss_mib": warm["rss_mib"],
            "end_rss_mib": end["rss_mib"], "end_pss_mib": end["pss_mib"],
            "growth_from_start_percent": round(100 * (end["rss_mib"] / start["rss_mib"] - 1), 1),
            "growth_from_first_batch_percent": round(100 * (end["rss_mib"] / warm["rss_mib"] - 1), 1),
            "samples": samples, **outcome, "exit_status": status, "logs": service.log_summary(),
            "log_file": str(service.log_path)}
