"""Counting deliveries of a file that ended with the worker process gone (killed by the time limit,
out of memory, crashed), so that a file which kills workers is quarantined instead of redelivered
forever. One small file per job in progress, on the volume the workers share."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


class AttemptLedger:
    """Begin before working on a file, end when the work returned (whatever its outcome)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def begin(self, path: Path) -> tuple[int, Path | None]:
        """Count one more attempt at this file as it is now: (the count including this one, the entry
        to pass to end())."""
        entry = self._entry(path)
        if entry is None:
            return 1, None
        try:  # the common case, no earlier attempt: one exclusive create, no read, no rename
            descriptor = os.open(entry, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileNotFoundError:
            self.directory.mkdir(parents=True, exist_ok=True)
            return self.begin(path)
        except FileExistsError:
            return self._count_again(entry), entry
        try:
            os.write(descriptor, b"1")  # a death before this write leaves it empty: read as 1
        finally:
            os.close(descriptor)
        return 1, entry

    def _count_again(self, entry: Path) -> int:
        try:
            count = int(entry.read_text() or "1") + 1  # the entry exists: one attempt began at least
        except (FileNotFoundError, ValueError):
            count = 1
        partial = entry.with_name(entry.name + ".writing")
        partial.write_text(str(count))
        os.replace(partial, entry)
        return count

    def end(self, entry: Path | None) -> None:
        if entry is not None:
            entry.unlink(missing_ok=True)

    def _entry(self, path: Path) -> Path | None:
        try:
            info = os.lstat(path)
        except OSError:
            return None
        identity = f"{os.fsencode(path)!r}|{info.st_ino}|{info.st_size}|{info.st_mtime_ns}"
        return self.directory / hashlib.sha1(identity.encode()).hexdigest()
