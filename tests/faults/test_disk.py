"""A full or read-only data volume, and a data volume on another filesystem than the inbox: the outcome
is committed, the claim stays in the work folder, whole, until the move succeeds (a retry of the job
finishes it); what moves across filesystems is copied, fsynced and renamed, never half."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select
from structlog.testing import capture_logs

from services.worker.pipeline import handle_claim, ingest_file
from services.worker.tasks import is_transient
from shared.claims import WorkFolder
from shared.config import Settings
from shared.store.db import session_for
from shared.store.tables import Delivery
from tests import seed_variants
from tests.claiming import claimed


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


def deliveries(settings: Settings) -> list[Delivery]:
    with session_for(settings.effective_database_url) as session:
        return list(session.exec(select(Delivery)).all())


def nothing_but(folder: Path, *names: str) -> bool:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) == sorted(names)




def test_a_full_archive_keeps_the_committed_claim_until_there_is_room(small_volume: Path, tmp_path: Path,
                                                                      sqlite_url: str) -> None:
    settings = Settings(inbox=tmp_path / "inbox", data_dir=small_volume / "data", database_url=sqlite_url)
    settings.archive_dir.mkdir(parents=True)
    fill(small_volume / "filler")
    work, claim = claimed(settings, "wb.txt", seed_variants.west_brabant())
    with pytest.raises(OSError) as raised:
        handle_claim(claim, settings=settings, work=work)
    assert raised.value.errno == errno.ENOSPC and is_transient(raised.value)
    assert (work.claimed / claim).read_bytes() == seed_variants.west_brabant()  # still the service's, whole
    assert [d.outcome for d in deliveries(settings)] == ["stored"]  # committed before the move
    assert nothing_but(small_volume, "filler"), "a partial copy was left in the archive"
    (small_volume / "filler").unlink()
    assert handle_claim(claim, settings=settings, work=work) == "stored"  # the retry finishes the move
    assert (settings.archive_dir / claim).read_bytes() == seed_variants.west_brabant()
    assert work.list_claims() == [] and len(deliveries(settings)) == 1


def test_a_read_only_archive_keeps_the_committed_claim(small_volume: Path, tmp_path: Path, sqlite_url: str) -> None:
    settings = Settings(inbox=tmp_path / "inbox", data_dir=small_volume / "data", database_url=sqlite_url)
    settings.archive_dir.mkdir(parents=True)
    subprocess.run(["mount", "-o", "remount,ro", str(small_volume)], check=True)
    work, claim = claimed(settings, "wb.txt", seed_variants.west_brabant())
    with capture_logs(), pytest.raises(OSError) as raised:
        handle_claim(claim, settings=settings, work=work)
    assert raised.value.errno == errno.EROFS and is_transient(raised.value)
    assert (work.claimed / claim).exists()
    subprocess.run(["mount", "-o", "remount,rw", str(small_volume)], check=True)
    assert handle_claim(claim, settings=settings, work=work) == "stored"
    assert work.list_claims() == []


def test_a_symlink_and_a_folder_are_quarantined_across_filesystems(small_volume: Path, tmp_path: Path,
                                                                    sqlite_url: str) -> None:
    """Inbox and data on different mounts (as in compose): EXDEV for a rename, so the entry is copied."""
    settings = Settings(inbox=tmp_path / "inbox", data_dir=small_volume / "data", database_url=sqlite_url)
    settings.inbox.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_bytes(seed_variants.west_brabant())
    (settings.inbox / "link.txt").symlink_to(secret)
    (settings.inbox / "folder").mkdir()
    (settings.inbox / "folder" / "inside.txt").write_bytes(seed_variants.midden_limburg())
    assert ingest_file(settings.inbox / "link.txt", settings=settings) == "quarantined"
    assert ingest_file(settings.inbox / "folder", settings=settings) == "quarantined"
    by_name = {d.name: d for d in deliveries(settings)}
    link = settings.data_dir / by_name["link.txt"].path
    assert link.is_symlink() and os.readlink(link) == str(secret) and secret.exists()
    assert (settings.data_dir / by_name["folder"].path / "inside.txt").read_bytes() == seed_variants.midden_limburg()
    assert WorkFolder.of_inbox(settings.inbox).list_claims() == []
    assert by_name["folder"].reason == "a directory: only files are read"
