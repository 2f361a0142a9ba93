"""Counting failed attempts per claim, so that every file reaches an end state: a file whose own content
or permissions keep failing (unreadable, or it keeps killing its worker) is quarantined after a bounded
number of attempts instead of being offered again forever.

One small JSON file per claim with attempts, beside the claims (the work folder that every worker host
shares). `begin` marks an attempt at a claim alone in its job as running; an attempt that finds the
mark of an earlier one still there knows that one's worker died, and counts the death against the
claim. A batch is marked once, by one file naming its claims (`begin_batch`): a death there does not
count against any claim (any of the files may have been the killer), it only tells the next delivery
of the same job to split it. So a batch costs one file, not one per claim: creating a file is the
expensive part of a small write on a busy disk."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

BATCH_PREFIX = ".batch-"


@dataclass(frozen=True)
class AttemptRecord:
    deaths: int = 0  # attempts whose worker process ended while the claim was alone in its job
    failures: int = 0  # attempts that failed on the file itself (EACCES, an integrity error, ...)
    last_error: str = ""
    running: bool = False
    alone: bool = True

    @property
    def count(self) -> int:
        return self.deaths + self.failures


class AttemptLedger:
    """Per-claim attempt counts under one folder."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def begin(self, claim: str, *, alone: bool) -> AttemptRecord:
        """Mark an attempt at this claim as running; returns the record including any death just found."""
        record = self.read(claim)
        if record.running:
            record = _after_death(record)
        running = AttemptRecord(deaths=record.deaths, failures=record.failures, last_error=record.last_error,
                                running=True, alone=alone)
        self._write(claim, running)
        return running

    def begin_batch(self, claims: list[str]) -> list[AttemptRecord]:
        """Mark a job of several claims as running (one file for the job); returns each claim's record,
        with a death counted where an earlier attempt at the claim alone was still marked running."""
        records = []
        for claim in claims:
            record = self.read(claim)
            if record.running:
                record = _after_death(record)
                self._write(claim, record)
            records.append(record)
        self._write_batch(claims)
        return records

    def batch_running(self, claims: list[str]) -> bool:
        """Whether an attempt at this very job (its claims, in this order) was marked and never ended:
        its worker process died. A claim marked running alone counts too."""
        return self._batch_path(claims).exists() or any(self.read(claim).running for claim in claims)

    def end_batch(self, claims: list[str]) -> None:
        """The job ended (its claims ended, failed or were handed back, or it was split)."""
        self._batch_path(claims).unlink(missing_ok=True)

    def remove_ended_batches(self, present: Iterable[str]) -> None:
        """Drop batch marks none of whose claims is still in the work folder (a job lost with its
        worker and never delivered again)."""
        present = set(present)
        try:
            with os.scandir(self.directory) as entries:
                marks = [entry.path for entry in entries if entry.name.startswith(BATCH_PREFIX)]
        except FileNotFoundError:
            return
        for mark in marks:
            try:
                claims = json.loads(Path(mark).read_text(encoding="utf-8"))["claims"]
            except (OSError, ValueError, KeyError, TypeError):
                claims = []
            if not present.intersection(claims):
                Path(mark).unlink(missing_ok=True)

    def _batch_path(self, claims: list[str]) -> Path:
        digest = hashlib.sha256("\n".join(claims).encode()).hexdigest()[:24]
        return self.directory / f"{BATCH_PREFIX}{digest}"

    def _write_batch(self, claims: list[str]) -> None:
        # Whole or not at all: the watcher's sweep (remove_ended_batches) reads marks while jobs run.
        self._replace(self._batch_path(claims).name, json.dumps({"claims": claims}))

    def fail(self, claim: str, reason: str) -> AttemptRecord:
        """Count a failure of the file itself; returns the record with it."""
        record = self.read(claim)
        failed = AttemptRecord(deaths=record.deaths, failures=record.failures + 1, last_error=reason)
        self._write(claim, failed)
        return failed

    def pause(self, claim: str) -> None:
        """The attempt ended without an outcome and without the file's fault (an outage): not counted."""
        record = self.read(claim)
        if record.running:
            self._write(claim, AttemptRecord(deaths=record.deaths, failures=record.failures,
                                             last_error=record.last_error))

    def end(self, claim: str) -> None:
        """The claim reached its end state: forget it."""
        (self.directory / claim).unlink(missing_ok=True)

    def read(self, claim: str) -> AttemptRecord:
        try:
            data = json.loads((self.directory / claim).read_text(encoding="utf-8") or "{}")
            return AttemptRecord(**{key: data[key] for key in AttemptRecord.__dataclass_fields__ if key in data})
        except FileNotFoundError:
            return AttemptRecord()
        except (OSError, ValueError, TypeError):
            # A death mid-write leaves a torn record: it was running, so count it as a death.
            return AttemptRecord(running=True)

    def _write(self, claim: str, record: AttemptRecord) -> None:
        self._replace(claim, json.dumps(asdict(record)))

    def _replace(self, name: str, text: str) -> None:
        """Write a file of the folder under a partial name, then rename it into place."""
        partial = self.directory / f".{name}.writing"
        try:
            partial.write_text(text, encoding="utf-8")
        except FileNotFoundError:
            self.directory.mkdir(parents=True, exist_ok=True)
            partial.write_text(text, encoding="utf-8")
        os.replace(partial, self.directory / name)


def _after_death(record: AttemptRecord) -> AttemptRecord:
    """An earlier attempt's mark was still running: its worker process died. The death counts only when
    the claim was alone in that job."""
    if record.alone:
        return AttemptRecord(deaths=record.deaths + 1, failures=record.failures,
                             last_error="the worker process ended while handling this file "
                                        "(time limit, memory, or a crash)")
    return AttemptRecord(deaths=record.deaths, failures=record.failures, last_error=record.last_error)
