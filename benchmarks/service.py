"""`klantprofielen run` as a subprocess (embedded Redis, SQLite in its data dir, JSON logs to a file),
files put into its inbox by rename, and its SQLite database polled for what is stored."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.corpus import CorpusFile
from benchmarks.stats import children, cmdline, cpu_seconds

ROOT = Path(__file__).resolve().parent.parent


def _utc(value: str | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return parse_utc(value)


class ServiceError(RuntimeError):
    pass


def parse_utc(value: str) -> datetime:
    """A timestamp from the database or the logs (naive values are UTC) as an aware datetime."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Service:
    """One `klantprofielen run` on a fresh inbox and data dir under `root`."""

    def __init__(self, root: Path, *, concurrency: int | None = None, env: dict[str, str] | None = None,
                 database_url: str | None = None) -> None:
        self.root = root
        self.database_url = database_url  # None: the SQLite database in the data dir
        self.inbox, self.data, self.staging = root / "inbox", root / "data", root / "staging"
        self.log_path = root / "service.log"
        self.concurrency = concurrency
        self.extra_env = env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self._db: Any = None

    # -- life cycle -------------------------------------------------------------------------------
    def start(self, timeout: float = 60.0) -> None:
        for folder in (self.inbox, self.data, self.staging):
            folder.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("KLANTPROFIELEN_")}
        env["PYTHONPATH"] = str(ROOT)
        env["KLANTPROFIELEN_LOG_FORMAT"] = "json"
        env.update(self.extra_env)
        if self.database_url:
            env["KLANTPROFIELEN_DATABASE_URL"] = self.database_url
        args = [sys.executable, "-m", "services.cli", "run", "--inbox", str(self.inbox),
                "--data-dir", str(self.data)]
        if self.concurrency:
            args += ["--concurrency", str(self.concurrency)]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(args, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceError(f"klantprofielen run exited with {self.process.returncode}: "
                                   f"{self.log_path.read_text(errors='replace')[-2000:]}")
            text = self.log_path.read_text(errors="replace")
            if '"watcher_started"' in text and ' ready."' in text and self.pool_pids():
                return
            time.sleep(0.05)
        self.stop()
        raise ServiceError(f"klantprofielen run not ready within {timeout:.0f} s; see {self.log_path}")

    def stop(self, timeout: float = 60.0) -> int | None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def __enter__(self) -> Service:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- processes --------------------------------------------------------------------------------
    def worker_pid(self) -> int | None:
        """The `klantprofielen worker` child of `run` (the Celery main process)."""
        if self.process is None:
            return None
        for pid in children(self.process.pid):
            if "worker" in cmdline(pid):
                return pid
        return None

    def pool_pids(self) -> list[int]:
        worker = self.worker_pid()
        return children(worker) if worker else []

    def roles(self) -> dict[int, str]:
        """Every process of the service by role: run, watcher, worker (Celery main), pool, redis."""
        if self.process is None:
            return {}
        found = {self.process.pid: "run"}
        for pid in children(self.process.pid):
            line = cmdline(pid)
            role = "watcher" if "watch" in line else "worker" if "worker" in line else \
                "redis" if any("redis" in part for part in line[:1]) else "other"
            found[pid] = role
            if role == "worker":
                found.update({child: "pool" for child in children(pid)})
        return found

    def cpu_by_role(self) -> dict[str, float]:
        """CPU seconds used so far by each role (pool: all current pool processes together)."""
        totals: dict[str, float] = {}
        for pid, role in self.roles().items():
            totals[role] = totals.get(role, 0.0) + cpu_seconds(pid)
        return totals

    # -- files ------------------------------------------------------------------------------------
    def stage(self, files: Iterable[CorpusFile]) -> list[Path]:
        """Copy files into the staging folder (same filesystem as the inbox), ready to be renamed in."""
        staged = []
        for item in files:
            shutil.copyfile(item.path, self.staging / item.name)
            staged.append(self.staging / item.name)
        return staged

    def drop(self, staged: Path) -> None:
        os.rename(staged, self.inbox / staged.name)

    def inbox_count(self) -> int:
        return sum(1 for entry in os.scandir(self.inbox) if not entry.name.startswith("."))

    def archive_count(self) -> int:
        archive = self.data / "archive"
        return sum(1 for e in os.scandir(archive) if not e.name.startswith(".")) if archive.exists() else 0

    # -- database ---------------------------------------------------------------------------------
    def db(self) -> Any:
        """A DB-API connection in autocommit mode: every poll sees what is committed now."""
        if self._db is None:
            if self.database_url:
                import psycopg

                self._db = psycopg.connect(self.database_url.replace("postgresql+psycopg://", "postgresql://", 1),
                                           autocommit=True)
            else:
                self._db = sqlite3.connect(self.data / "klantprofielen.db", timeout=30, isolation_level=None)
        return self._db

    def _one(self, sql: str, *params: Any) -> Any:
        if self.database_url:
            sql = sql.replace("?", "%s")
        return self.db().execute(sql, params).fetchone()

    def counts(self) -> tuple[int, int]:
        """(source_file rows, of which stored)."""
        total, stored = self._one("SELECT count(*), count(*) FILTER (WHERE status = 'stored') FROM source_file")
        return int(total), int(stored)

    def row_times(self, name: str) -> tuple[datetime, datetime] | None:
        """(dropped_at, committed_at) of the delivery of the file under this name: when the watcher judged
        it complete (and claimed it), and when its outcome was committed."""
        row = self._one("SELECT dropped_at, committed_at FROM delivery WHERE name = ?", name)
        return (_utc(row[0]), _utc(row[1])) if row and row[0] else None

    def unchecked_count(self) -> int:
        """Current reports not checked against the current report of their region's previous quarter,
        though one is stored (after a backfill there should be none, whatever order the files took)."""
        return int(self._one(
            "SELECT count(*) FROM report r JOIN report p ON p.region_key = r.region_key AND p.is_current "
            "AND p.year * 4 + p.quarter = r.year * 4 + r.quarter - 1 "
            "WHERE r.is_current AND (r.baseline_report_id IS NULL OR r.baseline_report_id <> p.id)")[0])

    def finding_count(self) -> int:
        return int(self._one("SELECT coalesce(sum(finding_count), 0) FROM report")[0])

    def wait_for_rows(self, target: int, *, timeout: float, interval: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.counts()[0] < target:
            if time.monotonic() > deadline or (self.process and self.process.poll() is not None):
                return False
            time.sleep(interval)
        return True

    # -- logs -------------------------------------------------------------------------------------
    def log_records(self) -> list[dict[str, Any]]:
        records = []
        for line in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                records.append({"event": "(not json)", "text": line[:200]})
        return records

    def log_summary(self) -> dict[str, Any]:
        """Event counts, warnings and errors (first few), and how many lines were not JSON."""
        records = self.log_records()
        events: dict[str, int] = {}
        for record in records:
            name = str(record.get("event", ""))
            key = name if name.isidentifier() or name == "(not json)" else "(celery/other)"
            events[key] = events.get(key, 0) + 1
        problems = [str(r.get("event"))[:160] for r in records
                    if r.get("level") in ("warning", "error", "critical") and r.get("logger") != "py.warnings"]
        return {"lines": len(records), "events": events, "warnings_and_errors": len(problems),
                "first_problems": problems[:5], "not_json": events.get("(not json)", 0)}
