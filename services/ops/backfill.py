"""`klantprofielen backfill`: copy an archive of old reports into the inbox for the watcher to enqueue.

Each file is copied to '.<name>.part' in the inbox and renamed when complete, so the watcher never
sees half a file. The originals are left alone; the database's unique SHA-256 makes a repeated
backfill harmless (duplicates are recognised and skipped by the worker)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

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


def copy_into_inbox(source: Path, inbox: Path) -> Path:
    """Copy one file as '.<name>.part' (with its modification time), fsync, then rename it into place;
    returns the final path."""
    name = free_name(inbox, source.name)
    partial = inbox / f".{name}.part"
    try:
        with open(source, "rb") as src, open(partial, "wb") as dst:
            shutil.copyfileobj(src, dst, _CHUNK)
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
            final = copy_into_inbox(source, inbox)
            summary.copied += 1
            if final.name != source.name:
                summary.renamed += 1
        except OSError as exc:
            summary.failed.append((source, exc.strerror or str(exc)))
        finally:
            on_file(source)
    return summary
