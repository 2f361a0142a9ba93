"""Workers on several hosts: two worker processes that see the shared folder under different paths (a
bind mount, as NFS clients mounting one export at their own paths) both store files from one inbox.
Jobs name claims relative to the work folder, so no path of the watcher's host reaches a worker."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import func, select

from shared.store.db import session_for
from shared.store.tables import Delivery, Report
from tests.conftest import wait_for
from tests.e2e.processes import Services, service_env
from tests.faults import corpus


@pytest.fixture
def second_view(tmp_path: Path) -> Iterator[Path]:
    """The shared folder seen from 'another host': a bind mount where the sandbox permits one, else a
    second path to the same directory through a symlinked parent."""
    shared, view = tmp_path / "nfs-export", tmp_path / "host-b" / "mnt" / "klantprofielen"
    shared.mkdir()
    view.mkdir(parents=True)
    mounted = subprocess.run(["mount", "--bind", str(shared), str(view)], capture_output=True).returncode == 0
    if not mounted:
        view.rmdir()
        view.symlink_to(shared)
    try:
        yield view
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(view)], check=False)


def test_two_workers_with_the_shared_folder_at_different_paths(tmp_path: Path, second_view: Path,
                                                               postgres_url: str, redis_url: str) -> None:
    host_a = tmp_path / "nfs-export"
    (host_a / "inbox").mkdir()
    logs = tmp_path / "logs"
    logs.mkdir()
    # Small batches and no jobs reserved ahead, so that both workers get some of a quick burst.
    common = {"database_url": postgres_url, "broker_url": redis_url, "settle_seconds": "0.2",
              "rescan_seconds": "1", "batch_max_files": "2", "worker_prefetch_multiplier": "1"}
    on_a = Services(env=service_env(inbox=str(host_a / "inbox"), data_dir=str(host_a / "data"), **common),
                    logs_dir=logs)
    (logs / "b").mkdir()
    on_b = Services(env=service_env(inbox=str(second_view / "inbox"), data_dir=str(second_view / "data"),
                                    **common), logs_dir=logs / "b")
    try:
        worker_a = on_a.start("worker", "--concurrency", "1", ready_event="ready.")
        worker_b = on_b.start("worker", "--concurrency", "1", ready_event="ready.")
        on_a.start("watch", ready_event="watcher_started")
        names = [f"report-{number:02d}.txt" for number in range(40)]
        for number, name in enumerate(names):
            staged = host_a / f".{name}.part"
            staged.write_bytes(corpus.valid_report(number))
            staged.rename(host_a / "inbox" / name)

        def stored() -> int:
            with session_for(postgres_url) as session:
                return session.exec(select(func.count()).select_from(Report)).one()

        wait_for(lambda: stored() == len(names), timeout=60, message="every file stored")

        def stored_by_worker() -> list[int]:
            return [sum(line["event"] == "report_stored" for line in worker.log_lines())
                    for worker in (worker_a, worker_b)]

        # A worker logs a file's outcome after its commit and its move: wait for the last lines too.
        wait_for(lambda: sum(stored_by_worker()) == len(names), timeout=20, message="every outcome logged")
        assert min(stored_by_worker()) > 0, stored_by_worker()
        with session_for(postgres_url) as session:
            paths = session.exec(select(Delivery.path)).all()
        # Where each file is now, relative to the data dir: the same on every host.
        assert all(path.startswith("archive/") and (second_view / "data" / path).exists()
                   and (host_a / "data" / path).exists() for path in paths)
        assert sorted(p.name.split("_", 2)[2] for p in (host_a / "data" / "archive").iterdir()) == names
    finally:
        on_a.stop_all()
        on_b.stop_all()
