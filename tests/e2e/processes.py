"""Starting and stopping the real service processes for end-to-end tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import ROOT, wait_for


@dataclass
class ServiceProcess:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_lines(self) -> list[dict[str, Any]]:
        """Every line of the captured log, each parsed as JSON (a line that isn't fails the test).
        While the process runs, a last line without its newline is still being written: left out."""
        data = self.log_path.read_bytes()
        if not data.endswith(b"\n") and self.process.poll() is None:
            data = data[: data.rfind(b"\n") + 1]
        lines = []
        for number, line in enumerate(data.decode("utf-8").splitlines(), 1):
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise AssertionError(f"{self.name} log line {number} is not JSON: {line!r}") from exc
        return lines

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@dataclass
class Services:
    env: dict[str, str]
    logs_dir: Path
    running: list[ServiceProcess] = field(default_factory=list)

    def start(self, command: str, *args: str, ready_event: str | None = None) -> ServiceProcess:
        log_path = self.logs_dir / f"{command}-{len(self.running)}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen([sys.executable, "-m", "services.cli", command, *args], env=self.env,
                                       cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        service = ServiceProcess(command, process, log_path)
        self.running.append(service)
        if ready_event:
            wait_for(lambda: process.poll() is not None or ready_event in log_path.read_text(),
                     timeout=30, message=f"{command} to log {ready_event!r}")
            assert process.poll() is None, log_path.read_text()
        return service

    def stop_all(self) -> None:
        for service in self.running:
            service.stop()


def service_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLANTPROFIELEN_")}
    env["PYTHONPATH"] = str(ROOT)
    env["KLANTPROFIELEN_LOG_FORMAT"] = "json"
    env.update({f"KLANTPROFIELEN_{key.upper()}": value for key, value in settings.items()})
    return env
