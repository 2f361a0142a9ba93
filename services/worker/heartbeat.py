"""The worker's heartbeat: a small JSON file per worker under <data-dir>/run/workers/, rewritten
every few seconds from the worker's event loop, which `klantprofielen health --component worker`
reads. It proves what a container healthcheck needs (this worker's main loop turns) without starting
a Celery client and pinging every worker, as the old check did every 30 s in every container; the
ping stays available as `health --deep`."""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from celery import bootsteps

from shared.logging import get_logger

HEARTBEAT_INTERVAL_SECONDS = 5.0
log = get_logger("klantprofielen.worker")


def worker_heartbeat_dir(data_dir: Path) -> Path:
    return data_dir / "run" / "workers"


def worker_heartbeat_path(data_dir: Path, hostname: str, pid: int) -> Path:
    """One file per worker process: several workers share a data dir (hosts, containers)."""
    return worker_heartbeat_dir(data_dir) / f"{hostname}-{pid}.json"


def write_heartbeat(path: Path, payload: dict[str, Any]) -> None:
    """Replace the file atomically; no fsync: a heartbeat lost in a crash is the truth anyway."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.writing")
    partial.write_text(json.dumps(payload) + "\n", encoding="utf-8")
    os.replace(partial, path)


def remove_dead_heartbeats(directory: Path, hostname: str) -> None:
    """Remove the files this host's killed workers left behind (their processes are gone), so that
    restarts under systemd do not pile them up. Other hosts' files are theirs to clean."""
    for path in directory.glob(f"{hostname}-*.json"):
        pid = path.stem.removeprefix(f"{hostname}-")
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            path.unlink(missing_ok=True)
        except PermissionError:  # alive, another user's
            continue


class WorkerHeartbeat(bootsteps.StartStopStep):
    """A worker bootstep: write the heartbeat at start and every HEARTBEAT_INTERVAL_SECONDS from the
    event loop (so a stuck loop stops it), and remove it at a clean stop."""

    requires = ("celery.worker.components:Hub",)

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self._tref: Any = None
        self._path: Path | None = None
        self._node = ""

    def start(self, worker: Any) -> None:
        hub = getattr(worker, "hub", None)
        if hub is None:  # a pool without the event loop: nothing would keep the file fresh
            return
        from services.worker.app import worker_settings

        self._node = str(getattr(worker, "hostname", ""))
        self._path = worker_heartbeat_path(worker_settings().data_dir, socket.gethostname(), os.getpid())
        remove_dead_heartbeats(self._path.parent, socket.gethostname())
        self._beat()
        self._tref = hub.call_repeatedly(HEARTBEAT_INTERVAL_SECONDS, self._beat)

    def stop(self, worker: Any) -> None:
        if self._tref is not None:
            self._tref.cancel()
            self._tref = None
        if self._path is not None:
            self._path.unlink(missing_ok=True)

    def _beat(self) -> None:
        if self._path is None:
            return
        try:
            write_heartbeat(self._path, {"node": self._node, "pid": os.getpid(), "host": socket.gethostname(),
                                         "written_at": datetime.now(UTC).isoformat()})
        except OSError as exc:
            log.warning("heartbeat_failed", reason=str(exc))
