"""Settings that are computed rather than given."""

from __future__ import annotations

import os

import pytest

from shared.config import Settings


def test_worker_concurrency_defaults_to_usable_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KLANTPROFIELEN_WORKER_CONCURRENCY", raising=False)
    assert Settings().effective_worker_concurrency == len(os.sched_getaffinity(0))


def test_worker_concurrency_given_is_taken_as_is() -> None:
    assert Settings(worker_concurrency=1).effective_worker_concurrency == 1
    assert Settings(worker_concurrency=7).effective_worker_concurrency == 7
