"""Keeping `klantprofielen run`'s children up: the embedded broker (unless a broker URL is set), the worker
and the watcher. A child that exits is started again with backoff, as compose's restart policy or systemd
would (a Celery worker exits, for one, when kombu fails to close a channel after Redis went away, with
status 0; a redis-server can be killed by the OOM killer). A child that fails with an error status within
the first seconds of its first start is a configuration problem: then the whole service stops."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from shared import events

FIRST_START_GRACE_SECONDS = 5.0
HEALTHY_AFTER_SECONDS = 60.0
FIRST_RESTART_DELAY_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0
POLL_SECONDS = 0.2
STOP_TIMEOUT_SECONDS = 30.0


class Supervised(Protocol):
    """A child of `run`: a command process (ChildCommand) or the embedded broker (EmbeddedRedis)."""

    exited_event: ClassVar[str]
    restarted_event: ClassVar[str]

    @property
    def log_fields(self) -> dict[str, object]:
        """What names this child in its log lines."""
        ...

    def start(self) -> None:
        """Start it unless it runs; raise RuntimeError with a one-line reason when it cannot."""
        ...

    def exit_status(self) -> int | None:
        """None while it runs (or before it started)."""
        ...

    def stop(self) -> None:
        """Stop it and wait for it to end."""
        ...


@dataclass
class ChildCommand:
    """`klantprofielen <command>` as a subprocess."""

    exited_event: ClassVar[str] = events.CHILD_EXITED
    restarted_event: ClassVar[str] = events.CHILD_RESTARTED

    command: str
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_fields(self) -> dict[str, object]:
        return {"command": self.command}

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        self.process = subprocess.Popen([sys.executable, "-m", "services.cli", self.command], env=self.env)

    def exit_status(self) -> int | None:
        return self.process.poll() if self.process is not None else None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Supervision:
    """The restart bookkeeping of one child."""

    child: Supervised
    started_at: float = 0.0
    starts: int = 0
    failures_in_a_row: int = 0
    restart_at: float | None = None

    def started(self, now: float) -> None:
        self.started_at = now
        self.starts += 1
        self.restart_at = None

    def schedule_restart(self, now: float) -> float:
        """Count a failure and set when to start again; returns the delay in seconds."""
        self.failures_in_a_row += 1
        delay = min(MAX_BACKOFF_SECONDS, FIRST_RESTART_DELAY_SECONDS * 2 ** (self.failures_in_a_row - 1))
        self.restart_at = now + delay
        return delay


def supervise(children: Sequence[Supervised], should_stop: Callable[[], bool], log: Any, *,
              first_start_grace_seconds: float = FIRST_START_GRACE_SECONDS) -> int:
    """Start the children in order (one that already runs is left as it is) and keep them up until
    should_stop(); then stop them in reverse order, as later children use earlier ones. Returns the exit
    status for `run`."""
    watched = [Supervision(child) for child in children]
    status = 0
    for entry in watched:
        entry.child.start()
        entry.started(time.monotonic())
    while not status and not should_stop():
        for entry in watched:
            if not keep_up(entry, log, first_start_grace_seconds):
                status = 1
                break
        else:
            time.sleep(POLL_SECONDS)
    for entry in reversed(watched):
        entry.child.stop()
    return status


def keep_up(entry: Supervision, log: Any, first_start_grace_seconds: float) -> bool:
    """One look at a child: restart it when its time has come, or notice that it ended. False when it
    failed at its first start (a configuration problem: the service stops)."""
    child, now = entry.child, time.monotonic()
    if entry.restart_at is not None:
        if now >= entry.restart_at:
            try:
                child.start()
            except RuntimeError as exc:
                delay = entry.schedule_restart(time.monotonic())
                log.error(child.exited_event, **child.log_fields, reason=str(exc), restart_in_seconds=delay)
            else:
                entry.started(time.monotonic())
                log.warning(child.restarted_event, **child.log_fields, start=entry.starts)
        return True
    code = child.exit_status()
    if code is None:
        if now - entry.started_at > HEALTHY_AFTER_SECONDS:
            entry.failures_in_a_row = 0
        return True
    if code != 0 and entry.starts == 1 and now - entry.started_at < first_start_grace_seconds:
        log.error(child.exited_event, **child.log_fields, status=code, detail="failed at start; stopping the service")
        return False
    delay = entry.schedule_restart(now)
    log.error(child.exited_event, **child.log_fields, status=code, restart_in_seconds=delay)
    return True
