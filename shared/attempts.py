"""Counting failed attempts per claim, so that every file reaches an end state: a file whose own content
or permissions keep failing (unreadable, or it keeps killing its worker) is quarantined after a bounded
number of attempts instead of being offered again forever.

One small JSON file per claim with attempts, beside the claims (the work folder that every worker host
shares). `begin` marks an attempt as running; an attempt that finds the mark of an earlier one still
there knows that one's worker died. A death counts against the claim only when it was alone in its job
(in a batch, any of the files may have been the killer)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path


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
        if record.running and record.alone:
            record = AttemptRecord(deaths=record.deaths + 1, failures=record.failures,
                                   last_error="the worker process ended while handling this file "
                                              "(time limit, memory, or a crash)")
        elif record.running:
            record = AttemptRecord(deaths=record.deaths, failures=record.failures, last_error=record.last_error)
        running = AttemptRecord(deaths=record.deaths, failures=record.failures, last_error=record.last_error,
                                running=True, alone=alone)
        self._write(claim, running)
        return running

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
        path = self.directory / claim
        partial = self.directory / f".{claim}.writing"
        try:
            partial.write_text(json.dumps(asdict(record)), encoding="utf-8")
        except FileNotFoundError:
            self.directory.mkdir(parents=True, exist_ok=True)
            partial.write_text(json.dumps(asdict(record)), encoding="utf-8")
        os.replace(partial, path)
