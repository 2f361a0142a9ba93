"""A real watchdog observer on a real folder: files are claimed into the work folder and the claims
offered to a recording sender (or to the real broker)."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from services.ingest.watcher import InboxWatcher, heartbeat_path
from shared.config import Settings
from tests import seed_variants
from tests.conftest import wait_for


class RecordingSender:
    """Stands in for the broker: records offered claims (once each, as the in-flight keys allow), or
    fails while `down` is set."""

    def __init__(self) -> None:
        self.claims: list[str] = []
        self.down = threading.Event()
        self.refused = 0

    def __call__(self, claims: list[str]) -> list[str]:
        if self.down.is_set():
            self.refused += 1
            raise ConnectionError("broker unreachable")
        new = [claim for claim in claims if claim not in self.claims]
        self.claims += new
        return new

    @property
    def sent(self) -> list[str]:
        """The original names of the claims offered."""
        return [claim.split("_", 2)[2] for claim in self.claims]


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
    wait_for(lambda: sender.sent == ["already-there.txt"], message="start-up scan")
    assert not (watcher.inbox / "already-there.txt").exists()
    [claimed] = watcher.work.claimed.iterdir()
    assert claimed.name == sender.claims[0] and claimed.read_bytes() == seed_variants.west_brabant()


def test_slow_write_is_enqueued_once_when_complete(watcher: InboxWatcher, sender: RecordingSender) -> None:
    wait_for(lambda: len(sender.sent) == 1)
    target = watcher.inbox / "slow.txt"
    data = seed_variants.midden_limburg()
    with target.open("wb") as handle:
        for start in range(0, len(data), 300):
            handle.write(data[start:start + 300])
            handle.flush()
            time.sleep(0.15)  # the writer is slow on purpose: longer than one tick, shorter than settling
            assert "slow.txt" not in sender.sent, "claimed while still being written"
    wait_for(lambda: "slow.txt" in sender.sent, message="slow file claimed")
    time.sleep(1.2)  # two rescans: a complete file is not claimed again
    assert sender.sent.count("slow.txt") == 1
    assert (watcher.work.claimed / sender.claims[-1]).read_bytes() == data


def test_rename_into_the_inbox(watcher: InboxWatcher, sender: RecordingSender, tmp_path: Path) -> None:
    staged = tmp_path / "staged.txt"
    staged.write_bytes(seed_variants.midden_limburg())
    os.rename(staged, watcher.inbox / "moved-in.txt")
    wait_for(lambda: "moved-in.txt" in sender.sent, message="renamed file claimed")


def test_temporary_names_wait_for_the_rename(watcher: InboxWatcher, sender: RecordingSender) -> None:
    partial = watcher.inbox / "report.txt.part"
    partial.write_bytes(seed_variants.midden_limburg())
    (watcher.inbox / "~$report.xlsx").write_bytes(b"lock")
    (watcher.inbox / ".hidden").write_bytes(b"x")
    time.sleep(1.2)
    assert set(sender.sent) == {"already-there.txt"}
    partial.rename(watcher.inbox / "report.txt")
    wait_for(lambda: "report.txt" in sender.sent, message="renamed .part claimed")


def test_broker_down_keeps_the_file_and_retries(watcher: InboxWatcher, sender: RecordingSender) -> None:
    wait_for(lambda: len(sender.sent) == 1)
    sender.down.set()
    with capture_logs() as logs:
        (watcher.inbox / "while-down.txt").write_bytes(seed_variants.midden_limburg())
        wait_for(lambda: sender.refused >= 2, message="two refused attempts")
        assert not (watcher.inbox / "while-down.txt").exists(), "claimed even while the broker is down"
        sender.down.clear()
        wait_for(lambda: "while-down.txt" in sender.sent, message="offered after recovery")
    retries = [e for e in logs if e["event"] == "enqueue_retry"]
    assert len(retries) >= 2 and retries[0]["claims"] == 1
    assert retries[1]["retry_in_seconds"] >= retries[0]["retry_in_seconds"]


def test_heartbeat_is_written(watcher: InboxWatcher, watcher_settings: Settings) -> None:
    supervisor = threading.Thread(target=watcher.run_until_stopped, daemon=True)
    supervisor.start()
    wait_for(lambda: heartbeat_path(watcher_settings).exists(), timeout=5, message="heartbeat")
    assert '"observer_alive": true' in heartbeat_path(watcher_settings).read_text()


def test_claims_left_by_a_crash_are_offered_again_at_start(watcher_settings: Settings) -> None:
    first = RecordingSender()
    running = InboxWatcher(watcher_settings, first)
    watcher_settings.inbox.mkdir(parents=True, exist_ok=True)
    (watcher_settings.inbox / "a.txt").write_bytes(seed_variants.west_brabant())
    running.start()
    try:
        wait_for(lambda: first.sent == ["a.txt"], message="claimed")
    finally:
        running.stop()
    again = RecordingSender()  # a broker that lost the job (and its in-flight key)
    restarted = InboxWatcher(watcher_settings, again)
    restarted.start()
    try:
        wait_for(lambda: again.claims == first.claims, message="the claim offered again")
    finally:
        restarted.stop()


def queued_claims(client: Any) -> int:
    return sum(map(len, queued_batches(client)))


def queued_batches(client: Any) -> list[list[str]]:
    """The claims each job waiting in the broker's queue names (kombu's JSON envelope, base64 body)."""
    from shared.jobs import INGEST_QUEUE

    jobs = []
    for raw in client.lrange(INGEST_QUEUE, 0, -1):
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        jobs.append(list(args[0]))
    return jobs


def test_claims_due_at_once_go_in_one_job_and_a_lone_file_is_sent_at_once(tmp_path: Path, redis_url: str) -> None:
    from services.broker import redis_client
    from services.ingest.enqueue import JobSender

    settings = Settings(inbox=tmp_path / "inbox", data_dir=tmp_path / "data", broker_url=redis_url,
                        settle_seconds=0.1, rescan_seconds=30, batch_max_files=4)
    settings.inbox.mkdir(parents=True)
    for number in range(6):  # already there at start: due together after the scan
        (settings.inbox / f"r{number}.txt").write_bytes(seed_variants.west_brabant())
    sender = JobSender(settings)
    running = InboxWatcher(settings, sender.offer)
    client = redis_client(redis_url, timeout=2)
    running.start()
    try:
        wait_for(lambda: sum(map(len, queued_batches(client))) == 6, message="six claims offered")
        assert sorted(map(len, queued_batches(client))) == [2, 4]  # batch_max_files=4
        staged = settings.inbox / ".alone.txt.part"
        staged.write_bytes(seed_variants.midden_limburg())
        started = time.monotonic()
        staged.rename(settings.inbox / "alone.txt")
        wait_for(lambda: len(queued_batches(client)) == 3, timeout=5, interval=0.005, message="the lone file's job")
        assert time.monotonic() - started < 1.0  # sent at once, not held back to fill a batch
        assert [claim.split("_", 2)[2] for claim in queued_batches(client)[0]] == ["alone.txt"]  # LPUSH: newest first
    finally:
        running.stop()
        sender.close()
        client.close()


def test_a_claim_is_offered_again_only_when_its_job_is_gone(tmp_path: Path, redis_url: str) -> None:
    """Workers down while files keep arriving: one message per claim, however often it is re-offered."""
    from services.broker import redis_client
    from services.ingest.enqueue import JobSender
    from services.ops.status import queued_jobs

    settings = Settings(inbox=tmp_path / "inbox", data_dir=tmp_path / "data", broker_url=redis_url,
                        settle_seconds=0.1, rescan_seconds=0.2, reoffer_after_seconds=0.2, reoffer_max_seconds=0.4)
    sender = JobSender(settings)
    running = InboxWatcher(settings, sender.offer)
    running.start()
    client = redis_client(redis_url, timeout=2)
    try:
        for number in range(12):
            (settings.inbox / f"r{number}.txt").write_bytes(seed_variants.west_brabant())
            time.sleep(0.1)  # files keep arriving across several rescans and re-offers
        # One queued claim per claim (files due in the same moment share a job).
        wait_for(lambda: queued_claims(client) == 12, message="one job per claim")
        time.sleep(1.5)  # several re-offers of every claim
        assert queued_claims(client) == 12
        jobs = queued_jobs(client)
        claim = running.work.list_claims()[0]
        client.delete(f"klantprofielen:inflight:{claim}")  # its job got lost (a Redis without persistence)
        wait_for(lambda: queued_claims(client) == 13, message="the lost claim offered again")
        time.sleep(1.0)
        assert queued_claims(client) == 13 and queued_jobs(client) == jobs + 1
    finally:
        running.stop()
        sender.close()
        client.close()


def test_a_drop_right_after_a_claim_is_not_held_up_by_the_claim(tmp_path: Path) -> None:
    """A claim renames a file out of the watched inbox; watchdog used to hold that event 0.5 s (to pair it),
    and every event queued behind it, such as the next drop's."""
    settings = Settings(inbox=tmp_path / "inbox", data_dir=tmp_path / "data", settle_seconds=0.3, rescan_seconds=30)
    sender = RecordingSender()
    running = InboxWatcher(settings, sender)
    running.start()
    waits = []
    try:
        for number in range(5):
            staged = tmp_path / f"r{number}.txt"
            staged.write_bytes(seed_variants.west_brabant())
            started = time.monotonic()
            staged.rename(settings.inbox / staged.name)  # each right after the previous was claimed
            wait_for(lambda: len(sender.claims) == number + 1, timeout=5, interval=0.002,  # noqa: B023
                     message="the drop offered")
            waits.append(time.monotonic() - started)
    finally:
        running.stop()
    assert sorted(waits)[len(waits) // 2] < 0.25, waits
