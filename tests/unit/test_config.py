"""Settings that are computed rather than given."""

from __future__ import annotations

import os

from shared.config import Settings


def test_worker_concurrency_defaults_to_usable_cores_plus_one() -> None:
    assert Settings().effective_worker_concurrency == len(os.sched_getaffinity(0)) + 1


def test_worker_concurrency_given_is_taken_as_is() -> None:
    assert Settings(worker_concurrency=1).effective_worker_concurrency == 1
    assert Settings(worker_concurrency=7).effective_worker_concurrency == 7
