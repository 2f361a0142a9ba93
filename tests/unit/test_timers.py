"""The sweep of cancelled timer entries in the worker's event loop, on kombu's real Timer."""

from __future__ import annotations

import heapq

from kombu.asynchronous.timer import Timer

from services.worker.timers import drop_cancelled_entries


def test_cancelled_entries_leave_the_heap_and_the_live_ones_keep_their_order() -> None:
    timer = Timer()
    fired: list[int] = []
    entries = [timer.call_after(100 + (n * 37) % 50, fired.append, (n,)) for n in range(200)]
    queue = timer._queue
    for n, entry in enumerate(entries):
        if n % 10:
            entry.cancel()
    assert drop_cancelled_entries(timer) == 180
    assert timer._queue is queue and len(queue) == 20
    assert sorted(item.entry.args[0] for item in queue) == list(range(0, 200, 10))
    popped = [heapq.heappop(queue) for _ in range(len(queue))]
    assert [item.eta for item in popped] == sorted(item.eta for item in popped)
    assert drop_cancelled_entries(timer) == 0
