"""`klantprofielen backfill`: copy an archive of old reports into the inbox for the watcher to enqueue.

Each file is copied to '.<name>.part' in the inbox and renamed when complete, so the watcher never
sees half a file. The originals are left alone; the database's unique SHA-256 makes a repeated
backfill harmless (duplicates are recognised and skipped by the worker)."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from shared.claims import printable_name
from shared.files import is_temporary_name

_CHUNK = 1024 * 1024


class BackfillError(RuntimeError):
    """The backfill cannot start (bad source folder)."""


@dataclass
class BackfillSummary:
    copied: int = 0
    renamed: int = 0  # copied under a new name because the inbox already had that name
    skipped_temporary: int = 0
    failed: list[tuple[Path, str]] = field(default_factory=list)
    # (name as the delivery records it, sha256) of every file copied: what --wait waits for.
    files: list[tuple[str, str]] = field(default_factory=list)

    def line(self) -> str:
        """One summary line for the end of the run."""
        renamed = f" ({self.renamed} under a new name)" if self.renamed else ""
        return (f"copied {self.copied}{renamed}, skipped {self.skipped_temporary} (temporary name), "
                f"failed {len(self.failed)}")


def find_sources(source_dir: Path, inbox: Path, pattern: str = "*") -> list[Path]:
    """The regular files under source_dir matching pattern (a glob; '**/' recurses), sorted."""
    if not source_dir.is_dir():
        raise BackfillError(f"{source_dir} is not a folder")
    target = inbox.resolve()
    if source_dir.resolve() == target:
        raise BackfillError(f"{source_dir} is the inbox: backfill from another folder")
    try:
        found = [path for path in source_dir.glob(pattern) if path.is_file() and not path.is_symlink()]
    except (OSError, ValueError) as exc:
        raise BackfillError(f"cannot list {source_dir} with {pattern!r}: {exc}") from None
    # An inbox inside the archive folder: never copy the inbox onto itself.
    return sorted(path for path in found if not path.resolve().is_relative_to(target))


def free_name(inbox: Path, name: str) -> str:
    """name, or 'stem-2.ext', 'stem-3.ext', ... when the inbox already has that name."""
    if not (inbox / name).exists():
        return name
    stem, suffix = Path(name).stem, Path(name).suffix
    counter = 2
    while (inbox / f"{stem}-{counter}{suffix}").exists():
        counter += 1
    return f"{stem}-{counter}{suffix}"


def copy_into_inbox(source: Path, inbox: Path, digest: hashlib._Hash | None = None) -> Path:
    """Copy one file as '.<name>.part' (with its modification time), fsync, then rename it into place;
    returns the final path. `digest` is updated with the bytes copied."""
    name = free_name(inbox, source.name)
    partial = inbox / f".{name}.part"
    try:
        with open(source, "rb") as src, open(partial, "wb") as dst:
            while chunk := src.read(_CHUNK):
                dst.write(chunk)
                if digest is not None:
                    digest.update(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        # The modification time says when the report was written: it decides which version is current.
        shutil.copystat(source, partial)
        final = inbox / name
        os.rename(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return final


def backfill(sources: Iterable[Path], inbox: Path,
             on_file: Callable[[Path], None] = lambda _path: None) -> BackfillSummary:
    """Copy each source into the inbox; on_file is called after each one (for a progress bar)."""
    inbox.mkdir(parents=True, exist_ok=True)
    summary = BackfillSummary()
    for source in sources:
        try:
            if is_temporary_name(source.name):
                summary.skipped_temporary += 1
                continue
            digest = hashlib.sha256()
            final = copy_into_inbox(source, inbox, digest)
            summary.copied += 1
            summary.files.append((printable_name(os.fsencode(final.name)), digest.hexdigest()))
            if final.name != source.name:
                summary.renamed += 1
        except OSError as exc:
            summary.failed.append((source, exc.strerror or str(exc)))
        finally:
            on_file(source)
    return summary


@dataclass
class EndStates:
    """How many of the copied files have reached their end state, by outcome."""

    expected: int
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def ended(self) -> int:
        return sum(self.outcomes.values())

    def line(self) -> str:
        counts = ", ".join(f"{outcome} {self.outcomes.get(outcome, 0)}"
                           for outcome in ("stored", "duplicate", "quarantined"))
        return f"ended {self.ended} of {self.expected}: {counts}"


def wait_for_end_states(files: list[tuple[str, str]], since: datetime,
                        outcomes_of: Callable[[list[str], datetime], list[tuple[str, str | None, str]]], *,
                        timeout: float, on_progress: Callable[[EndStates], None] = lambda _states: None,
                        poll_seconds: float = 0.5) -> EndStates:
    """Poll the deliveries committed since `since` until every copied (name, sha256) has one, or the
    timeout passes; returns the counts."""
    wanted = Counter(files)
    hashes = [sha256 for _name, sha256 in files]
    deadline = time.monotonic() + timeout
    while True:
        found: Counter[tuple[str, str]] = Counter()
        states = EndStates(expected=len(files))
        for name, sha256, outcome in outcomes_of(hashes, since):
            key = (name, sha256 or "")
            if found[key] < wanted[key]:
                found[key] += 1
                states.outcomes[outcome] += 1
        on_progress(states)
        if states.ended >= states.expected or time.monotonic() >= deadline:
            return states
        time.sleep(poll_seconds)
