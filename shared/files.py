"""Files in the inbox: which names to ignore, reading them safely, and moving them out atomically."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import signal
import stat
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

TEMPORARY_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", ".swp")
_CHUNK = 1024 * 1024


def is_temporary_name(name: str) -> bool:
    """Names that writers use before renaming a file into place (and our own hidden files)."""
    return name.startswith((".", "~$")) or name.lower().endswith(TEMPORARY_SUFFIXES)


class FileChanged(RuntimeError):
    """The file changed while it was being read; read it again later."""


@dataclass(frozen=True)
class ReadFile:
    data: bytes | None  # None when the file is larger than the cap
    sha256: str
    size: int
    mtime_ns: int
    inode: int
    device: int


def read_regular_file(path: Path, *, max_bytes: int) -> ReadFile:
    """Read a regular file without following a symlink; the bytes only up to max_bytes.

    Raises FileNotFoundError when it is gone, IsADirectoryError/PermissionError for what is not a
    regular file, FileChanged when it changed while being read."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        before = os.fstat(handle.fileno())
        if not stat.S_ISREG(before.st_mode):
            raise IsADirectoryError(errno.EISDIR, "not a regular file", str(path))
        digest = hashlib.sha256()
        kept: list[bytes] = []
        total = 0
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            total += len(chunk)
            if total <= max_bytes:
                kept.append(chunk)
        after = os.fstat(handle.fileno())
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or total != after.st_size:
        raise FileChanged(f"{path.name} changed while it was being read")
    data = b"".join(kept) if total <= max_bytes else None
    return ReadFile(data=data, sha256=digest.hexdigest(), size=total, mtime_ns=after.st_mtime_ns,
                    inode=after.st_ino, device=after.st_dev)


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


def destination_name(original: str, sha256: str, when: datetime) -> str:
    """A unique, recognisable name: '20261123T214500Z_3f2a9c1b7d0e_<original name>'."""
    safe = original.replace(os.sep, "_") or "unnamed"
    return f"{when.strftime('%Y%m%dT%H%M%SZ')}_{sha256[:12]}_{safe}"


def staged_path(destination: Path) -> Path:
    """Where the copy waits for the commit: hidden, beside the destination, and named without
    destination_name's timestamp, so that every attempt at the same file (same hash, same name)
    stages under one name and a dead attempt's copy is found without listing the folder."""
    return destination.with_name(f".{destination.name.split('_', 1)[-1]}.staged")


def stage_file(source: Path, destination: Path, *, read: ReadFile | None = None) -> Path:
    """Put the file's bytes beside `destination` under a hidden name, leaving the source in place:
    a hard link on the same filesystem, else a copy that is fsynced. Fails before anything is
    committed when the target is full or read-only; raises FileChanged when the file at `source` is
    no longer the one that was `read` (replaced or rewritten meanwhile)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    staged = staged_path(destination)
    staged.unlink(missing_ok=True)  # what an earlier attempt at the same file left when its worker died
    try:
        os.link(source, staged, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
    else:
        if read is not None and not _same_file(os.lstat(staged), read):
            staged.unlink()
            raise FileChanged(f"{source.name} was replaced while it was being handled")
        return staged
    try:
        with open(source, "rb") as src, open(staged, "wb") as dst:
            if read is not None and not _same_file(os.fstat(src.fileno()), read):
                raise FileChanged(f"{source.name} was replaced while it was being handled")
            shutil.copyfileobj(src, dst, _CHUNK)
            dst.flush()
            os.fsync(dst.fileno())
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return staged


def finish_move(source: Path, destination: Path, *, read: ReadFile | None = None) -> None:
    """Give the staged copy its final name, then remove the source, unless the source was replaced
    by other content meanwhile (then it is left for its own job)."""
    staged = staged_path(destination)
    if staged.exists():
        os.replace(staged, destination)
    elif not destination.exists():
        stage_file(source, destination)
        os.replace(staged, destination)
    try:
        info = os.lstat(source)
    except FileNotFoundError:
        return
    if read is None or _same_file(info, read):
        source.unlink(missing_ok=True)


def is_the_file_read(path: Path, read: ReadFile) -> bool:
    """Whether `path` is the very file `read` came from, unchanged since (a hard link to it counts)."""
    try:
        return _same_file(os.lstat(path), read)
    except FileNotFoundError:
        return False


def _same_file(info: os.stat_result, read: ReadFile) -> bool:
    return (info.st_ino, info.st_dev, info.st_size, info.st_mtime_ns) == (read.inode, read.device, read.size,
                                                                          read.mtime_ns)


def move_file(source: Path, destination: Path) -> None:
    """Move atomically (stage, then rename into place, then remove the source)."""
    stage_file(source, destination)
    finish_move(source, destination)


def write_json_atomically(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.writing")
    with open(partial, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, ensure_ascii=False, indent=2, default=str)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def sidecar_path(quarantined: Path) -> Path:
    return quarantined.with_name(quarantined.name + ".reason.json")
