"""Deciding when an inbox file is complete and due to be enqueued. Pure bookkeeping over stat
results and a clock, so it is testable without an observer.

A file is due when:
- it was renamed into the inbox (a rename is atomic), or its writer closed it, and it has not
  changed since; or
- it is being written (we saw it created or modified), and now no process holds it open for writing
  (a Linux lease tells), or, where that cannot be told, it has been unchanged for `stall_seconds`; or
- we only found it by scanning (at start, on a rescan, or with polling), nobody holds it open for
  writing, and it has been unchanged for `settle_seconds`."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from shared.files import is_temporary_name, open_for_writing

Signature = tuple[int, int, int]  # size, mtime in ns, inode


class Hint(Enum):
    COMPLETE = "complete"  # closed after writing, or renamed in
    WRITING = "writing"  # created or modified: a writer may still have it open
    SCANNED = "scanned"  # found by listing the folder


@dataclass
class _Pending:
    signature: Signature | None
    stable_since: float
    hint: Hint


def file_signature(path: Path) -> Signature | None:
    """(size, mtime, inode) of a regular file, symlink or directory (the worker quarantines the last
    two); None when it is gone or something else (a FIFO, a socket, a device)."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        return None
    return info.st_size, info.st_mtime_ns, info.st_ino


class ReadinessTracker:
    """Files of one inbox that are not complete yet (a complete file is claimed and leaves the inbox)."""

    def __init__(self, *, settle_seconds: float, stall_seconds: float,
                 clock: Callable[[], float] = time.monotonic,
                 being_written: Callable[[Path], bool | None] = open_for_writing) -> None:
        self._being_written = being_written
        self.settle_seconds = settle_seconds
        self.stall_seconds = stall_seconds
        self._clock = clock
        self._pending: dict[Path, _Pending] = {}

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def note(self, path: Path, hint: Hint) -> None:
        """Record an event or a scan result for a path (temporary names are ignored)."""
        if is_temporary_name(path.name):
            return
        now = self._clock()
        current = self._pending.get(path)
        if hint is Hint.SCANNED and current is not None:
            return  # events know more than a listing
        signature = file_signature(path) if hint is Hint.COMPLETE else None
        if current is not None and current.hint is Hint.WRITING and hint is Hint.SCANNED:
            hint = Hint.WRITING
        self._pending[path] = _Pending(signature=signature, stable_since=now, hint=hint)

    def due(self) -> list[Path]:
        """Paths complete now; those gone or no longer files are dropped."""
        now = self._clock()
        ready: list[Path] = []
        for path, pending in list(self._pending.items()):
            signature = file_signature(path)
            if signature is None:
                del self._pending[path]
                continue
            if signature != pending.signature:
                if pending.hint is Hint.COMPLETE and pending.signature is not None:
                    pending.hint = Hint.WRITING  # changed after the close: written again
                pending.signature, pending.stable_since = signature, now
                if pending.hint is not Hint.COMPLETE:
                    continue
            if pending.hint is Hint.COMPLETE or self._settled(path, pending, now):
                ready.append(path)
        return ready

    def _settled(self, path: Path, pending: _Pending, now: float) -> bool:
        waited = now - pending.stable_since
        if pending.hint is Hint.SCANNED and waited < self.settle_seconds:
            return False
        writing = self._being_written(path)
        if writing:
            pending.stable_since = now
            return False
        if pending.hint is Hint.WRITING:
            return writing is False or waited >= self.stall_seconds
        return True

    def forget(self, path: Path) -> None:
        """The file was claimed (or is gone): nothing more to decide about it."""
        self._pending.pop(path, None)

    def postpone(self, path: Path) -> None:
        """Claiming failed for now: decide again after settle_seconds of no change."""
        pending = self._pending.get(path)
        if pending is not None:
            pending.stable_since = self._clock()
            pending.hint = Hint.SCANNED
