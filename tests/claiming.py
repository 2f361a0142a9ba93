"""Claiming a file as the watcher would, for tests that hand a claim to the worker's code themselves."""

from __future__ import annotations

from shared.claims import WorkFolder, claim_file
from shared.config import Settings
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
