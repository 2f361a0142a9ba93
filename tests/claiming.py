"""Claiming a file as the watcher would, and what the worker knows of a delivered file, for tests that hand
them to the worker's or the store's code themselves."""

from __future__ import annotations

from datetime import datetime

from shared.claims import WorkFolder, claim_file
from shared.config import Settings
from shared.documents import sha256_hex
from shared.store.service import ReceivedFile
from shared.store.tables import utcnow


def claimed(settings: Settings, name: str, data: bytes) -> tuple[WorkFolder, str]:
    """Drop `data` into the inbox as `name` and claim it: (the work folder, the claim's name)."""
    settings.inbox.mkdir(parents=True, exist_ok=True)
    (settings.inbox / name).write_bytes(data)
    work = WorkFolder.of_inbox(settings.inbox)
    work.ensure()
    info = claim_file(settings.inbox / name, work, dropped_at=utcnow())
    assert info is not None
    return work, info.claim


def received_file(data: bytes, name: str, *, received_at: datetime) -> ReceivedFile:
    """A delivered file of these bytes under this name, as the store takes it (a claim of its own)."""
    return ReceivedFile(claim=f"20260301T000000Z_000000000000_{name}", name=name, name_bytes=name.encode(),
                        received_path=f"/inbox/{name}", size=len(data), sha256=sha256_hex(data), mtime_ns=None,
                        dropped_at=None, received_at=received_at)
