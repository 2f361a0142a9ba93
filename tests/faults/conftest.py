from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared.config import Settings
from tests.e2e.processes import Services, service_env
from tests.faults.harness import Drops, PrivateRedis, kill_all

# Short clocks so that recovery paths run within a test: jobs of dead workers come back after the
# visibility timeout, claims handed back (or lost with Redis) are offered again after reoffer_after.
FAULT_TIMINGS = {
    "settle_seconds": "0.2", "rescan_seconds": "1", "reoffer_after_seconds": "2", "reoffer_max_seconds": "4",
    "enqueue_backoff_max_seconds": "1", "visibility_timeout_seconds": "8", "task_time_limit_seconds": "4",
    "task_max_retries": "2",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every fault test is `slow` (pyproject.toml's markers): deselectable for a quick local run only."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.slow)


@dataclass
class FaultRig:
    settings: Settings
    services: Services
    redis: PrivateRedis
    drops: Drops
    staging: Path


def make_rig(tmp_path: Path, database_url: str, **overrides: str) -> FaultRig:
    redis = PrivateRedis(tmp_path / "redis")
    redis.start()
    timings = {**FAULT_TIMINGS, **overrides}
    settings = Settings(inbox=tmp_path / "inbox", data_dir=tmp_path / "data", database_url=database_url,
                        broker_url=redis.url, **timings)  # type: ignore[arg-type]
    settings.inbox.mkdir(parents=True)
    env = service_env(inbox=str(settings.inbox), data_dir=str(settings.data_dir), database_url=database_url,
                      broker_url=redis.url, **timings)
    (tmp_path / "logs").mkdir()
    return FaultRig(settings=settings, services=Services(env=env, logs_dir=tmp_path / "logs"), redis=redis,
                    drops=Drops(settings), staging=tmp_path / "staging")


def _rig(tmp_path: Path, url: str) -> Iterator[FaultRig]:
    made = make_rig(tmp_path, url)
    try:
        yield made
    finally:
        kill_all(made.services)
        made.redis.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def rig(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FaultRig]:
    """The fault suite runs on SQLite and on PostgreSQL, the production database."""
    yield from _rig(tmp_path, request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def sqlite_rig(tmp_path: Path, sqlite_url: str) -> Iterator[FaultRig]:
    """For faults of SQLite's own (another process holding its write lock)."""
    yield from _rig(tmp_path, sqlite_url)
