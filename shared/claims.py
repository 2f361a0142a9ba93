"""Claims: a file has one owner at a time (the Maildir pattern).

Once a dropped file is complete, the watcher renames it into the private work folder
`<inbox>/.klantprofielen/claimed/` under a unique claim name; from then on no writer can reach it by
its inbox name (a new write to that name is a new drop). The claim name says when the file was
claimed (to the microsecond) and, for a name that is printable UTF-8 and fits, the name itself; only
a name the claim name cannot give back exactly (other bytes, control characters, too long) gets a
small sidecar under `meta/` with its bytes. So the watcher needs no database, and claiming a file
is one rename (creating a file costs more than renaming one, most of all on a disk busy with
fsyncs). Jobs carry claim names, relative to the work folder, never paths; the worker opens a claim
relative to the folder without following links, and after its commit renames the claim into the
archive or quarantine under the same name."""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import shutil
import stat
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

WORK_FOLDER = ".klantprofielen"
# Every name derived from a claim (archive name, '.<claim>.staged', '<claim>.reason.json') fits in 255.
MAX_CLAIM_BYTES = 200
_SUFFIX_KEEP = 16
_CLAIM_NAME = re.compile(r"^\d{8}T\d{6}(?:\.\d{6})?Z_[0-9a-f]{12}_[^/\x00]+$")
_CLAIM_TIME = re.compile(r"^(\d{8}T\d{6})(?:\.(\d{6}))?Z_")


class BadClaimName(ValueError):
    """A job named something that is not a claim of the work folder."""


class ClaimGone(FileNotFoundError):
    """The claim is no longer in the work folder: its delivery ended (or the file was never claimed)."""


@dataclass(frozen=True)
class ClaimInfo:
    """What the watcher knew of the file when it claimed it."""

    claim: str
    name_bytes: bytes  # the original inbox name, exactly (it need not be UTF-8)
    mtime_ns: int | None
    size: int | None
    dropped_at: datetime | None  # when the watcher judged the file complete
    claimed_at: datetime | None

    @property
    def name(self) -> str:
        return printable_name(self.name_bytes)

    def as_json(self) -> dict[str, Any]:
        return {"claim": self.claim, "name_hex": self.name_bytes.hex(), "name": self.name,
                "mtime_ns": self.mtime_ns, "size": self.size,
                "dropped_at": self.dropped_at.isoformat() if self.dropped_at else None,
                "claimed_at": self.claimed_at.isoformat() if self.claimed_at else None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClaimInfo:
        return cls(claim=str(data["claim"]), name_bytes=bytes.fromhex(str(data["name_hex"])),
                   mtime_ns=_int_or_none(data.get("mtime_ns")), size=_int_or_none(data.get("size")),
                   dropped_at=_time_or_none(data.get("dropped_at")),
                   claimed_at=_time_or_none(data.get("claimed_at")))


@dataclass(frozen=True)
class WorkFolder:
    """The service's private folders inside the inbox (same filesystem, so claiming is a rename)."""

    root: Path

    @classmethod
    def of_inbox(cls, inbox: Path) -> WorkFolder:
        return cls(inbox / WORK_FOLDER)

    @property
    def claimed(self) -> Path:
        return self.root / "claimed"

    @property
    def meta(self) -> Path:
        return self.root / "meta"

    @property
    def attempts(self) -> Path:
        return self.root / "attempts"

    def ensure(self) -> None:
        for folder in (self.claimed, self.meta, self.attempts):
            folder.mkdir(parents=True, exist_ok=True)

    def sidecar(self, claim: str) -> Path:
        return self.meta / f"{claim}.json"

    def list_claims(self) -> list[str]:
        """Claim names in the folder, oldest first (the name starts with the claim time)."""
        try:
            with os.scandir(self.claimed) as entries:
                return sorted(entry.name for entry in entries if not entry.name.startswith("."))
        except FileNotFoundError:
            return []


def printable_name(raw: bytes) -> str:
    """A file name as printable UTF-8 text: bytes that are not UTF-8 as \\xNN, control characters as
    \\uNNNN, so that a name read in a log or a table is one line and says what the bytes were."""
    text = raw.decode("utf-8", "backslashreplace")
    if text.isprintable():  # the common case, without a look at each character
        return text
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)


def claim_name(name_bytes: bytes, now: datetime, token: str | None = None) -> str:
    """'20261130T102000.123456Z_3f2a9c1b7d0e_<printable name>', at most MAX_CLAIM_BYTES bytes."""
    prefix = f"{now.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}_{token or secrets.token_hex(6)}_"
    safe = printable_name(name_bytes).replace("/", "_") or "unnamed"
    safe = unicodedata.normalize("NFC", safe)
    room = MAX_CLAIM_BYTES - len(prefix.encode())
    return prefix + _cap(safe, room)


def _cap(text: str, room: int) -> str:
    """The text in at most `room` UTF-8 bytes, keeping a short extension recognisable."""
    if len(text.encode()) <= room:
        return text
    stem, dot, suffix = text.rpartition(".")
    keep_suffix = dot and 0 < len(suffix.encode()) <= _SUFFIX_KEEP
    tail = f"~.{suffix}" if keep_suffix else "~"
    head = (stem if keep_suffix else text).encode()[: room - len(tail.encode())]
    return head.decode("utf-8", "ignore") + tail


def check_claim_name(claim: object) -> str:
    """The claim name, if it is one; raises BadClaimName for anything else (a path, '..', ...)."""
    if not isinstance(claim, str) or not claim or len(claim.encode()) > MAX_CLAIM_BYTES:
        raise BadClaimName(f"not a claim name: {str(claim)[:80]!r}")
    if "/" in claim or "\x00" in claim or claim in (".", "..") or not _CLAIM_NAME.match(claim):
        raise BadClaimName(f"not a claim name: {claim[:80]!r}")
    return claim


def claim_file(path: Path, work: WorkFolder, *, dropped_at: datetime, now: datetime | None = None) -> ClaimInfo | None:
    """Take a complete inbox entry into the work folder; None when it is gone. A sidecar, where the name
    needs one, is written first, so that such a claim always has one unless the machine stopped in
    between (read_claim_info then falls back on the claim itself)."""
    now = now or dropped_at
    name_bytes = os.fsencode(path.name)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    claim = claim_name(name_bytes, now)
    regular = stat.S_ISREG(info.st_mode)
    record = ClaimInfo(claim=claim, name_bytes=name_bytes, mtime_ns=info.st_mtime_ns if regular else None,
                       size=info.st_size if regular else None, dropped_at=dropped_at, claimed_at=now)
    sidecar = work.sidecar(claim)
    if name_in_claim(claim) != name_bytes or dropped_at != now:
        _write_json(sidecar, record.as_json())
    try:
        os.rename(path, work.claimed / claim)
    except FileNotFoundError:
        sidecar.unlink(missing_ok=True)
        return None
    except BaseException:
        sidecar.unlink(missing_ok=True)
        raise
    return record


def read_claim_info(work: WorkFolder, claim: str) -> ClaimInfo:
    """The sidecar of a claim; without one (or when it is unreadable), what the claim name tells, and
    the size and modification time of the claimed file."""
    try:
        return ClaimInfo.from_json(json.loads(work.sidecar(claim).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        claimed_at = claim_time(claim)
        try:
            info = os.lstat(work.claimed / claim)
            regular = stat.S_ISREG(info.st_mode)
            size, mtime_ns = (info.st_size, info.st_mtime_ns) if regular else (None, None)
        except OSError:
            size = mtime_ns = None
        return ClaimInfo(claim=claim, name_bytes=name_in_claim(claim), mtime_ns=mtime_ns, size=size,
                         dropped_at=claimed_at, claimed_at=claimed_at)


def name_in_claim(claim: str) -> bytes:
    """The file name a claim name carries (exact for a name that needs no sidecar)."""
    return (claim.split("_", 2)[2] if claim.count("_") >= 2 else claim).encode()


def claim_time(claim: str) -> datetime | None:
    """When the file was claimed, from its claim name (to the second in claims of earlier versions)."""
    found = _CLAIM_TIME.match(claim)
    if found is None:
        return None
    moment = datetime.strptime(found.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    return moment.replace(microsecond=int(found.group(2))) if found.group(2) else moment


def open_claim(work: WorkFolder, claim: str) -> int:
    """A read-only descriptor for the claim, opened relative to the work folder without following a
    link. Raises ClaimGone, or OSError (ELOOP for a symlink, EACCES, ...)."""
    check_claim_name(claim)
    try:
        folder = os.open(work.claimed, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:  # no work folder here at all (a job for another inbox): nothing to read
        raise ClaimGone(errno.ENOENT, "claim gone", claim) from None
    try:
        return os.open(claim, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
    except FileNotFoundError:
        raise ClaimGone(errno.ENOENT, "claim gone", claim) from None
    finally:
        os.close(folder)


def claim_kind(work: WorkFolder, claim: str) -> str | None:
    """'file', 'symlink', 'directory' or 'other' for the claim entry itself; None when it is gone."""
    try:
        info = os.lstat(work.claimed / check_claim_name(claim))
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return "symlink"
    if stat.S_ISDIR(info.st_mode):
        return "directory"
    return "file" if stat.S_ISREG(info.st_mode) else "other"


def move_claim(work: WorkFolder, claim: str, destination_dir: Path) -> Path:
    """Rename the claim entry into destination_dir (across filesystems: copy + fsync + rename), without
    syncing the folders: the caller fsyncs each folder once for a batch of moves (fsync_folder), and
    removes the sidecars after that. Raises ClaimGone when neither the claim nor its destination is
    there."""
    source = work.claimed / check_claim_name(claim)
    destination = destination_dir / claim
    try:
        os.rename(source, destination)
    except FileNotFoundError:
        if os.path.lexists(destination):
            return destination
        if not destination_dir.is_dir():
            destination_dir.mkdir(parents=True, exist_ok=True)
            return move_claim(work, claim, destination_dir)
        raise ClaimGone(errno.ENOENT, "claim gone", claim) from None
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        _copy_across(source, destination)
    return destination


def _copy_across(source: Path, destination: Path) -> None:
    """Another filesystem: copy under a hidden name, fsync, rename into place, then remove the source."""
    staged = destination.with_name(f".{destination.name}.staged")
    _remove(staged)
    info = os.lstat(source)
    try:
        if stat.S_ISLNK(info.st_mode):
            os.symlink(os.readlink(source), staged)
        elif stat.S_ISDIR(info.st_mode):
            shutil.copytree(source, staged, symlinks=True)
        else:
            with open(source, "rb") as src, open(staged, "wb") as dst:
                shutil.copyfileobj(src, dst, 1024 * 1024)
                dst.flush()
                os.fsync(dst.fileno())
            shutil.copystat(source, staged)
        os.replace(staged, destination)
    except BaseException:
        _remove(staged)
        raise
    _remove(source)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def fsync_folder(folder: Path) -> None:
    """Make the renames in a folder durable."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    partial = path.with_name(f".{path.name}.writing")
    try:
        partial.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, path)


def _int_or_none(value: object) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).lstrip("-").isdigit() else None


def _time_or_none(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
