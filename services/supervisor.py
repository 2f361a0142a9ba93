"""Keeping `klantprofielen run`'s two processes up: a child that exits is started again with backoff,
as compose's restart policy or systemd would (a Celery worker exits, for one, when kombu fails to close
a channel after Redis went away, with status 0). A child that fails with an error status within the
first seconds of its first start is a configuration problem: then the whole service stops."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared import events

FIRST_START_GRACE_SECONDS = 5.0
HEALTHY_AFTER_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 30.0


@dataclass
class Child:
    command: str
    env: dict[str, str]
    process: subprocess.Popen[bytes] = field(init=False)
    started_at: float = 0.0
    starts: int = 0
    failures_in_a_row: int = 0
    restart_at: float | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "services.cli", self.command], env=self.env)
        self.started_at = time.monotonic()
        self.starts += 1
        self.restart_at = None


def supervise(commands: tuple[str, ...], env: dict[str, str], should_stop: Callable[[], bool], log: Any) -> int:
    """Run the commands until should_stop(); returns the exit status for `run`."""
    children = [Child(command, env) for command in commands]
    for child in children:
        child.start()
    status = 0
    while not should_stop():
        now = time.monotonic()
        for child in children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    log.warning(events.CHILD_RESTARTED, command=child.command, start=child.starts + 1)
                    child.start()
                continue
            code = child.process.poll()
            if code is None:
                if now - child.started_at > HEALTHY_AFTER_SECONDS:
                    child.failures_in_a_row = 0
                continue
            if code != 0 and child.starts == 1 and now - child.started_at < FIRST_START_GRACE_SECONDS:
                log.error(events.CHILD_EXITED, command=child.command, status=code,
                          detail="failed at start; stopping the service")
                status = 1
                break
            child.failures_in_a_row += 1
            delay = min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** (child.failures_in_a_row - 1))
            child.restart_at = now + delay
            log.error(events.CHILD_EXITED, command=child.command, status=code, restart_in_seconds=delay)
        if status:
            break
        time.sleep(0.2)
    stop_children([child.process for child in children if child.starts])
    return status


def stop_children(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
