"""A real watchdog observer on a real folder, with a recording job sender."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from services.ingest.watcher import InboxWatcher, heartbeat_path
from shared.config import Settings
from tests import seed_variants
from tests.conftest import wait_for


class RecordingSender:
    """Stands in for the broker: records jobs, or fails while `down` is set."""

    def __init__(self) -> None:
        self.sent: list[Path] = []
        self.down = threading.Event()
        self.refused = 0

    def __call__(self, path: Path, received_at: str) -> str:
        if self.down.is_set():
            self.refused += 1
            raise ConnectionError("broker unreachable")
        self.sent.append(path)
        return f"task-{len(self.sent)}"


@pytest.fixture(params=[False, True], ids=["inotify", "polling"])
def watcher_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    return Settings(inbox=tmp_path / "inbox", data_dir=tmp_path / "data", settle_seconds=0.3,
                    rescan_seconds=0.5, polling=request.param, enqueue_backoff_max_seconds=0.5)


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def watcher(watcher_settings: Settings, sender: RecordingSender) -> Iterator[InboxWatcher]:
    watcher_settings.inbox.mkdir(parents=True, exist_ok=True)
    (watcher_settings.inbox / "already-there.txt").write_bytes(seed_variants.west_brabant())
    running = InboxWatcher(watcher_settings, sender)
    running.start()
    yield running
    running.stop()
    assert not running.alive()


def test_files_present_at_start_are_enqueued(watcher: InboxWatcher, sender: RecordingSender) -> None:
    wait_for(lambda: sender.sent == [watcher.inbox / "already-there.txt"], message="start-up scan")


def test_slow_write_is_enqueued_once_when_complete(watcher: InboxWatcher, sender: RecordingSender) -> None:
    wait_for(lambda: len(sender.sent) == 1)
    target = watcher.inbox / "slow.txt"
    data = seed_variants.midden_limburg()
    with target.open("wb") as handle:
        for start in range(0, len(data), 300):
            handle.write(data[start:start + 300])
            handle.flush()
            time.sleep(0.15)  # the writer is slow on purpose: longer than one tick, shorter than settling
            assert target not in sender.sent, "enqueued while still being written"
    wait_for(lambda: target in sender.sent, message="slow file enqueued")
    time.sleep(1.2)  # two rescans: a complete file is not enqueued again
    assert sender.sent.count(target) == 1


def test_rename_into_the_inbox(watcher: InboxWatcher, sender: RecordingSender, tmp_path: Path) -> None:
    staged = tmp_path / "staged.txt"
    staged.write_bytes(seed_variants.midden_limburg())
    os.rename(staged, watcher.inbox / "moved-in.txt")
    wait_for(lambda: watcher.inbox / "moved-in.txt" in sender.sent, message="renamed file enqueued")


def test_temporary_names_wait_for_the_rename(watcher: InboxWatcher, sender: RecordingSender) -> None:
    partial = watcher.inbox / "report.txt.part"
    partial.write_bytes(seed_variants.midden_limburg())
    (watcher.inbox / "~$report.xlsx").write_bytes(b"lock")
    (watcher.inbox / ".hidden").write_bytes(b"x")
    time.sleep(1.2)
    assert {p.name for p in sender.sent} == {"already-there.txt"}
    partial.rename(watcher.inbox / "report.txt")
    wait_for(lambda: watcher.inbox / "report.txt" in sender.sent, message="renamed .part enqueued")


def test_broker_down_keeps_the_file_and_retries(watcher: InboxWatcher, sender: RecordingSender) -> None:
    wait_for(lambda: len(sender.sent) == 1)
    sender.down.set()
    with capture_logs() as logs:
        (watcher.inbox / "while-down.txt").write_bytes(seed_variants.midden_limburg())
        wait_for(lambda: sender.refused >= 2, message="two refused attempts")
        sender.down.clear()
        wait_for(lambda: watcher.inbox / "while-down.txt" in sender.sent, message="enqueued after recovery")
    retries = [e for e in logs if e["event"] == "enqueue_retry"]
    assert len(retries) >= 2 and retries[0]["file"].endswith("while-down.txt")
    assert retries[1]["retry_in_seconds"] >= retries[0]["retry_in_seconds"]


def test_heartbeat_is_written(watcher: InboxWatcher, watcher_settings: Settings) -> None:
    supervisor = threading.Thread(target=watcher.run_until_stopped, daemon=True)
    supervisor.start()
    wait_for(lambda: heartbeat_path(watcher_settings).exists(), timeout=5, message="heartbeat")
    assert '"observer_alive": true' in heartbeat_path(watcher_settings).read_text()
