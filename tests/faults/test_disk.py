"""A full or read-only data volume: the job fails loudly before anything is committed, and the file
stays in the inbox, whole, until the volume is usable again."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import func, select
from structlog.testing import capture_logs

from services.worker.pipeline import ingest_file
from services.worker.tasks import is_transient
from shared.config import Settings
from shared.store.db import session_for
from shared.store.tables import SourceFile
from tests import seed_variants


@pytest.fixture
def small_volume(tmp_path: Path) -> Iterator[Path]:
    """A real 256 KiB tmpfs (mounting needs root, as CI and the development machines run)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mountpoint = tmp_path / "volume"
    mountpoint.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mountpoint)], check=True)
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=True)


def fill(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)


def stored_count(settings: Settings) -> int:
    with session_for(settings.effective_database_url) as session:
        return session.exec(select(func.count()).select_from(SourceFile)).one()


def nothing_but(folder: Path, *names: str) -> bool:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) == sorted(names)


def test_full_archive_fails_before_the_commit(small_volume: Path, tmp_path: Path, sqlite_url: str) -> None:
    settings = Settings(inbox=tmp_path / "inbox", data_dir=small_volume / "data", database_url=sqlite_url)
    settings.inbox.mkdir()
    settings.archive_dir.mkdir(parents=True)
    fill(small_volume / "filler")
    path = settings.inbox / "wb.txt"
    path.write_bytes(seed_variants.west_brabant())
    with pytest.raises(OSError) as raised:
        ingest_file(path, settings=settings)
    assert raised.value.errno == errno.ENOSPC and is_transient(raised.value)
    assert path.read_bytes() == seed_variants.west_brabant() and stored_count(settings) == 0
    assert nothing_but(small_volume, "filler"), "a partial copy was left in the archive"
    (small_volume / "filler").unlink()
    assert ingest_file(path, settings=settings) == "stored"
    assert not path.exists()


def test_read_only_archive_fails_before_the_commit(small_volume: Path, tmp_path: Path, sqlite_url: str) -> None:
    settings = Settings(inbox=tmp_path / "inbox", data_dir=small_volume / "data", database_url=sqlite_url)
    settings.inbox.mkdir()
    settings.archive_dir.mkdir(parents=True)
    subprocess.run(["mount", "-o", "remount,ro", str(small_volume)], check=True)
    path = settings.inbox / "wb.txt"
    path.write_bytes(seed_variants.west_brabant())
    with capture_logs(), pytest.raises(OSError) as raised:
        ingest_file(path, settings=settings)
    assert raised.value.errno == errno.EROFS and is_transient(raised.value)
    assert path.exists() and stored_count(settings) == 0
    subprocess.run(["mount", "-o", "remount,rw", str(small_volume)], check=True)
    assert ingest_file(path, settings=settings) == "stored"
