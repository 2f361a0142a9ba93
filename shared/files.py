"""Files in the inbox: which names are still being written, whether a writer holds a file open, and
writing JSON atomically."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import signal
import threading
from pathlib import Path
from typing import Any

TEMPORARY_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", ".swp")
_CHUNK = 1024 * 1024


def is_temporary_name(name: str) -> bool:
    """Names that writers use before renaming a file into place (and our own hidden files)."""
    return name.startswith((".", "~$")) or name.lower().endswith(TEMPORARY_SUFFIXES)


class FileChanged(RuntimeError):
    """The file changed while it was being read; read it again later."""


def open_for_writing(path: Path) -> bool | None:
    """True when a process has the file open for writing, False when none has, None when this
    cannot be told (not Linux, a network filesystem, a file owned by another user).

    Uses a Linux read lease, which the kernel grants only while nobody holds the file open for
    writing; it is released at once. Call ignore_lease_break_signal() first in the main thread."""
    if not hasattr(fcntl, "F_SETLEASE"):
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
    except OSError as exc:
        return True if exc.errno in (errno.EAGAIN, errno.EBUSY) else None
    else:
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
        return False
    finally:
        os.close(fd)


def ignore_lease_break_signal() -> None:
    """A writer opening a file during our brief lease makes the kernel send SIGIO, whose default
    action would end the process."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGIO, signal.SIG_IGN)


def write_json_atomically(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.writing")
    with open(partial, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, ensure_ascii=False, indent=2, default=str)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)
