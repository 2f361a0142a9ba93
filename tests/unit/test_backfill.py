"""`klantprofielen backfill` copies files into the inbox as a writer should, keeping what they say."""

from __future__ import annotations

import os
from pathlib import Path

from services.ops.backfill import copy_into_inbox


def test_backfill_keeps_the_modification_time(tmp_path: Path) -> None:
    # The modification time decides which version of a report is current: a backfill must not reset it.
    source = tmp_path / "archive" / "ml-2021q4.txt"
    source.parent.mkdir()
    source.write_text("report")
    os.utime(source, ns=(1_700_000_000_123_456_789, 1_700_000_000_123_456_789))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    copied = copy_into_inbox(source, inbox)
    assert copied.read_text() == "report" and copied.stat().st_mtime_ns == 1_700_000_000_123_456_789
    assert [p.name for p in inbox.iterdir()] == ["ml-2021q4.txt"]
