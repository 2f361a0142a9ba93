"""Keeps the worker's event-loop timer heap the size of the jobs in progress.

Celery's prefork pool schedules one soft-time-limit timer per job on kombu's timer and cancels it
when the job ends; kombu only marks a cancelled entry and leaves it in the heap until its due time
(80% of the task time limit). A backfill at a few hundred files per second therefore keeps tens of
thousands of dead entries, and the worker's main process grows with them. A periodic sweep drops them.
It edits kombu's private `Timer._queue`: services/versions.py refuses to start on an untested kombu."""

from __future__ import annotations

import heapq
from typing import Any

from celery import bootsteps

SWEEP_INTERVAL_SECONDS = 10.0


def drop_cancelled_entries(timer: Any) -> int:
    """Remove the cancelled entries from a kombu Timer's heap, in place; returns how many."""
    queue = timer._queue  # kombu keeps no API for this; the list is mutated, never replaced
    live = [item for item in queue if not item.entry.canceled]
    dropped = len(queue) - len(live)
    if dropped:
        heapq.heapify(live)
        queue[:] = live
    return dropped


class SweepCancelledTimers(bootsteps.StartStopStep):
    """A worker bootstep: sweep the hub's timer every SWEEP_INTERVAL_SECONDS."""

    requires = ("celery.worker.components:Hub",)

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self._tref: Any = None

    def start(self, worker: Any) -> None:
        hub = getattr(worker, "hub", None)
        if hub is not None:  # no hub: a pool without the event loop, nothing to sweep
            self._tref = hub.call_repeatedly(SWEEP_INTERVAL_SECONDS, drop_cancelled_entries, hub.timer)

    def stop(self, worker: Any) -> None:
        if self._tref is not None:
            self._tref.cancel()
            self._tref = None
