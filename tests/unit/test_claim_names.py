"""A claim name carries the claim time and the file's name; only a name it cannot give back exactly
gets a sidecar."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.claims import WorkFolder, check_claim_name, claim_file, claim_time, read_claim_info

MOMENT = datetime(2026, 11, 30, 10, 20, 0, 123456, tzinfo=UTC)


@pytest.fixture
def work(tmp_path: Path) -> WorkFolder:
    folder = WorkFolder.of_inbox(tmp_path)
    folder.ensure()
    return folder


def test_a_plain_name_needs_no_sidecar_and_comes_back_whole(tmp_path: Path, work: WorkFolder) -> None:
    (tmp_path / "rapport 2026 Q3.txt").write_bytes(b"figures")
    claimed = claim_file(tmp_path / "rapport 2026 Q3.txt", work, dropped_at=MOMENT)
    assert claimed is not None and claimed.claim.startswith("20261130T102000.123456Z_")
    assert list(work.meta.iterdir()) == []
    info = read_claim_info(work, claimed.claim)
    assert (info.name_bytes, info.dropped_at, info.claimed_at, info.size) == (
        b"rapport 2026 Q3.txt", MOMENT, MOMENT, 7)
    assert info.mtime_ns == os.stat(work.claimed / claimed.claim).st_mtime_ns


@pytest.mark.parametrize("raw", [b"rapport-\xe9t\xe9.txt", b"tab\there.txt", ("x" * 240 + ".txt").encode()])
def test_a_name_the_claim_cannot_give_back_keeps_its_bytes_in_a_sidecar(tmp_path: Path, work: WorkFolder,
                                                                        raw: bytes) -> None:
    path = os.fsencode(tmp_path) + b"/" + raw
    with open(path, "wb") as handle:
        handle.write(b"figures")
    claimed = claim_file(Path(os.fsdecode(path)), work, dropped_at=MOMENT)
    assert claimed is not None and len(list(work.meta.iterdir())) == 1
    assert read_claim_info(work, claimed.claim).name_bytes == raw


def test_claims_named_by_an_earlier_version_are_still_claims() -> None:
    old = "20261130T102000Z_3f2a9c1b7d0e_report.txt"
    assert check_claim_name(old) == old
    assert claim_time(old) == MOMENT.replace(microsecond=0)
    assert claim_time("20261130T102000.123456Z_3f2a9c1b7d0e_report.txt") == MOMENT
