"""The inbox watcher: a watchdog observer whose handler only notes paths, and one thread that
decides which files are complete and enqueues them, backing off while the broker is down.
A start-up scan and a periodic rescan are the guarantee; events only make it fast."""

from __future__ import annotations

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
from shared.config import Settings
from shared.files import ignore_lease_break_signal, write_json_atomically
from shared.logging import get_logger

log = get_logger("klantprofielen.ingest")
Send = Callable[[Path, str], str]
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

    def __init__(self, settings: Settings, send: Send) -> None:
        self.inbox = settings.inbox.resolve()
        self._settings = settings
        self._send = send
        self._notes: queue.SimpleQueue[tuple[Path, Hint]] = queue.SimpleQueue()
        self.tracker = ReadinessTracker(
            settle_seconds=settings.settle_seconds,
            stall_seconds=max(30.0, settings.settle_seconds * 10),
            requeue_after_seconds=settings.requeue_after_seconds,
        )
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

        return InotifyObserver(generate_full_events=True)

    def start(self) -> None:
        """Start observing, scan what is already there, start the enqueue thread."""
        self.inbox.mkdir(parents=True, exist_ok=True)
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
                if now >= next_rescan:
                    self.tracker.forget_gone()
                    self._scan()
                    next_rescan = now + self._settings.rescan_seconds
                if now >= self._next_attempt:
                    self._enqueue_due()
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

    def _enqueue_due(self) -> None:
        for path in self.tracker.due():
            received_at = datetime.now(UTC).isoformat()
            try:
                task_id = self._send(path, received_at)
            except Exception as exc:  # noqa: BLE001 - any broker failure: keep the file, back off
                self._failures += 1
                delay = min(self._settings.enqueue_backoff_max_seconds, 0.5 * 2 ** (self._failures - 1))
                self._next_attempt = time.monotonic() + delay
                log.warning(events.ENQUEUE_RETRY, file=str(path), attempt=self._failures,
                            retry_in_seconds=delay, pending=self.tracker.pending_count,
                            reason=f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}")
                return
            self._failures = 0
            self.tracker.mark_enqueued(path)
            log.info(events.FILE_ENQUEUED, file=str(path), task_id=task_id)
