"""The inbox watcher: a watchdog observer whose handler only notes paths, and one thread that
decides which files are complete, claims each by a rename into the work folder, and offers the claims
to the workers (one live job per claim), backing off while the broker is down. A start-up scan and a
periodic rescan of the inbox and the work folder are the guarantee; events only make it fast."""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from services.ingest.readiness import Hint, ReadinessTracker
from shared import events
from shared.attempts import AttemptLedger
from shared.claims import WorkFolder, claim_file
from shared.config import Settings
from shared.files import ignore_lease_break_signal, write_json_atomically
from shared.logging import get_logger

log = get_logger("klantprofielen.ingest")
# Offers claims to the workers: returns the claims it sent a job for (the others already have one).
Offer = Callable[[list[str]], list[str]]
TICK_SECONDS = 0.02


def heartbeat_path(settings: Settings) -> Path:
    """Written every second by a running watcher: {pid, inbox, observer_alive, enqueue_alive, ...}."""
    return settings.data_dir / "run" / "watcher-heartbeat.json"


class _InboxEventHandler(FileSystemEventHandler):
    """Turns events into (path, hint) notes; never raises (an exception would kill the observer)."""

    def __init__(self, inbox: Path, notes: queue.SimpleQueue[tuple[Path, Hint]], *, polling: bool) -> None:
        self._inbox = inbox
        self._notes = notes
        # A polling observer sees no close events: what it reports must settle like a scan result.
        self._writing = Hint.SCANNED if polling else Hint.WRITING

    def on_any_event(self, event: FileSystemEvent) -> None:
        try:
            if isinstance(event, FileMovedEvent | DirMovedEvent):
                self._note(event.dest_path, Hint.COMPLETE)
            elif isinstance(event, FileClosedEvent):
                self._note(event.src_path, Hint.COMPLETE)
            elif isinstance(event, FileCreatedEvent | FileModifiedEvent):
                self._note(event.src_path, self._writing)
            elif isinstance(event, DirCreatedEvent):
                self._note(event.src_path, Hint.SCANNED)  # a folder dropped in: quarantined once it settles
        except Exception:  # noqa: BLE001 - a handler must never kill the observer thread
            log.exception("event_handler_failed", event=repr(event))

    def _note(self, raw_path: str | bytes, hint: Hint) -> None:
        if not raw_path:
            return
        path = Path(os.fsdecode(raw_path))
        if path.parent == self._inbox:
            self._notes.put((path, hint))


class InboxWatcher:
    """Watch one flat inbox folder and enqueue each complete file once."""

    def __init__(self, settings: Settings, offer: Offer) -> None:
        self.inbox = settings.inbox.resolve()
        self.work = WorkFolder.of_inbox(self.inbox)
        self._settings = settings
        self._offer = offer
        self._notes: queue.SimpleQueue[tuple[Path, Hint]] = queue.SimpleQueue()
        self.tracker = ReadinessTracker(
            settle_seconds=settings.settle_seconds,
            stall_seconds=max(30.0, settings.settle_seconds * 10),
        )
        self._to_offer: dict[str, None] = {}  # claims to offer, oldest first
        self._offers: dict[str, tuple[int, float]] = {}  # claim -> (times offered, not again before)
        self._stop = threading.Event()
        self._observer = self._make_observer(settings.polling)
        self._worker = threading.Thread(target=self._decide_and_enqueue, name="inbox-enqueue", daemon=True)
        self._next_attempt = 0.0
        self._failures = 0
        self._stopped = False

    def _make_observer(self, polling: bool) -> BaseObserver:
        if polling:
            return PollingObserver(timeout=max(0.2, self._settings.settle_seconds / 2))
        from watchdog.observers.inotify import InotifyObserver

        _release_moves_at_once()
        return InotifyObserver(generate_full_events=True)

    def start(self) -> None:
        """Start observing, scan what is already there, start the enqueue thread."""
        self.inbox.mkdir(parents=True, exist_ok=True)
        self.work.ensure()
        ignore_lease_break_signal()
        handler = _InboxEventHandler(self.inbox, self._notes, polling=self._settings.polling)
        try:
            self._observer.schedule(handler, str(self.inbox), recursive=False)
            self._observer.start()
        except OSError as exc:
            raise RuntimeError(
                f"cannot watch {self.inbox}: {exc.strerror or exc}; raise fs.inotify.max_user_watches/"
                "max_user_instances, or use --polling") from None
        self._scan()
        self._scan_claims()  # claims left by any crash are offered again
        self._worker.start()
        log.info(events.WATCHER_STARTED, inbox=str(self.inbox),
                 observer="polling" if self._settings.polling else "inotify")

    def alive(self) -> bool:
        return self._observer.is_alive() and self._worker.is_alive()

    def request_stop(self) -> None:
        """Ask run_until_stopped to stop (safe from a signal handler)."""
        self._stop.set()

    def stop(self) -> None:
        """Stop and join the observer and the enqueue thread; safe to call twice."""
        self._stop.set()
        if self._observer.is_alive():
            self._observer.stop()
            self._observer.join(timeout=5)
        if self._worker.is_alive():
            self._worker.join(timeout=5)
        if not self._stopped:
            self._stopped = True
            log.info(events.WATCHER_STOPPED, inbox=str(self.inbox))

    def run_until_stopped(self) -> int:
        """Supervise until request_stop() or a dead thread, then stop; returns the exit status."""
        status = 0
        self._write_heartbeat()
        while not self._stop.wait(1.0):
            self._write_heartbeat()
            if not self.alive() and not self._stop.is_set():
                log.error(events.OBSERVER_DIED, inbox=str(self.inbox),
                          observer_alive=self._observer.is_alive(), enqueue_alive=self._worker.is_alive())
                status = 1
                break
        self.stop()
        return status

    def _write_heartbeat(self) -> None:
        """What `klantprofielen health` reads to tell that this watcher is alive."""
        try:
            write_json_atomically(heartbeat_path(self._settings), {
                "pid": os.getpid(), "inbox": str(self.inbox), "observer_alive": self._observer.is_alive(),
                "enqueue_alive": self._worker.is_alive(), "pending": self.tracker.pending_count,
                "claims_to_offer": len(self._to_offer),
                "written_at": datetime.now(UTC).isoformat(),
            })
        except OSError as exc:
            log.warning("heartbeat_failed", reason=str(exc))

    def _scan(self) -> None:
        try:
            with os.scandir(self.inbox) as entries:
                for entry in entries:
                    self.tracker.note(Path(entry.path), Hint.SCANNED)
        except OSError as exc:
            log.error("inbox_scan_failed", inbox=str(self.inbox), reason=str(exc))

    def _decide_and_enqueue(self) -> None:
        next_rescan = time.monotonic() + self._settings.rescan_seconds
        while not self._stop.is_set():
            try:
                self._drain_notes(TICK_SECONDS)
                now = time.monotonic()
                self._claim_due()
                if now >= next_rescan:
                    self._scan()
                    self._scan_claims()
                    next_rescan = now + self._settings.rescan_seconds
                if self._to_offer and now >= self._next_attempt:
                    self._offer_claims()
            except Exception:  # noqa: BLE001 - keep the thread alive; the supervisor watches it
                log.exception("enqueue_loop_failed")
                self._stop.wait(1.0)

    def _drain_notes(self, timeout: float) -> None:
        try:
            path, hint = self._notes.get(timeout=timeout)
        except queue.Empty:
            return
        self.tracker.note(path, hint)
        while True:
            try:
                path, hint = self._notes.get_nowait()
            except queue.Empty:
                return
            self.tracker.note(path, hint)

    def _claim_due(self) -> None:
        """Rename each complete file into the work folder; from then on it is the service's."""
        for path in self.tracker.due():
            dropped_at = datetime.now(UTC)
            try:
                claimed = claim_file(path, self.work, dropped_at=dropped_at, now=dropped_at)
            except OSError as exc:
                self.tracker.postpone(path)
                log.error(events.CLAIM_FAILED, file=path.name, reason=f"{exc.strerror or exc}")
                continue
            self.tracker.forget(path)
            if claimed is not None:
                self._to_offer[claimed.claim] = None
                log.info(events.FILE_CLAIMED, file=claimed.name, claim=claimed.claim)
                # A burst: send full batches while claiming the rest, so that workers start at once.
                if len(self._to_offer) >= self._settings.batch_max_files and time.monotonic() >= self._next_attempt:
                    self._offer_claims()

    def _scan_claims(self) -> None:
        """Offer again the claims whose job ended without an end state (or got lost with Redis), with
        backoff per claim; drop what belongs to claims that have ended."""
        now = time.monotonic()
        claims = self.work.list_claims()
        present = set(claims)
        for claim in claims:
            offered = self._offers.get(claim)
            if claim not in self._to_offer and (offered is None or now >= offered[1]):
                self._to_offer[claim] = None
        for claim in [c for c in self._offers if c not in present]:
            del self._offers[claim]
        _remove_leftovers(self.work.meta, present, suffix=".json")
        _remove_leftovers(self.work.attempts, present, suffix="")
        AttemptLedger(self.work.attempts).remove_ended_batches(present)

    def _offer_claims(self) -> None:
        claims = list(self._to_offer)
        try:
            sent = self._offer(claims)
        except Exception as exc:  # noqa: BLE001 - any broker failure: keep the claims, back off
            self._failures += 1
            delay = min(self._settings.enqueue_backoff_max_seconds, 0.5 * 2 ** (self._failures - 1))
            self._next_attempt = time.monotonic() + delay
            log.warning(events.ENQUEUE_RETRY, claims=len(claims), attempt=self._failures,
                        retry_in_seconds=delay, pending=self.tracker.pending_count,
                        reason=f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}")
            return
        self._failures = 0
        now = time.monotonic()
        for claim in claims:
            del self._to_offer[claim]
            count = self._offers.get(claim, (0, 0.0))[0] + 1
            backoff = min(self._settings.reoffer_max_seconds, self._settings.reoffer_after_seconds * 2 ** (count - 1))
            self._offers[claim] = (count, now + backoff)
        for claim in sent:
            log.info(events.FILE_ENQUEUED, claim=claim)


def _release_moves_at_once() -> None:
    """watchdog (7.x) holds every IN_MOVED_FROM for 0.5 s to pair it with its MOVED_TO, in a FIFO queue:
    each claim (a rename out of the watched inbox, so never paired) held up the events behind it, the next
    drop's included, by up to 0.5 s (the trickle's drop -> claimed went from 3 ms to 490 ms). The handler
    reads a move by its destination alone (full events: an unpaired MOVED_TO is a moved event with its
    dest_path), so the pairing buys it nothing. A watchdog without this class only keeps the delay."""
    try:
        from watchdog.observers.inotify_move_event_grouper import InotifyMoveEventGrouper
    except ImportError:
        return
    InotifyMoveEventGrouper.delay = 0


def _remove_leftovers(folder: Path, claims: set[str], *, suffix: str) -> None:
    """Sidecars and attempt records of claims that have ended (their owner was stopped before it
    could remove them)."""
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith(".") or not name.endswith(suffix):
                    continue
                if name[: len(name) - len(suffix)] not in claims:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(entry.path)
    except FileNotFoundError:
        pass
