from __future__ import annotations

import os
from pathlib import Path

from services.ingest.readiness import Hint, ReadinessTracker


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def tracker(clock: FakeClock, **options: object) -> ReadinessTracker:
    return ReadinessTracker(settle_seconds=1.0, stall_seconds=30.0, clock=clock, **options)  # type: ignore[arg-type]


def test_closed_file_is_due_at_once(tmp_path: Path) -> None:
    clock, path = FakeClock(), tmp_path / "a.txt"
    path.write_text("done")
    t = tracker(clock)
    t.note(path, Hint.COMPLETE)
    assert t.due() == [path]


def test_file_being_written_waits_for_its_writer_to_close(tmp_path: Path) -> None:
    clock, path = FakeClock(), tmp_path / "a.txt"
    with path.open("w") as writer:
        writer.write("part")
        writer.flush()
        t = tracker(clock)
        t.note(path, Hint.WRITING)
        assert t.due() == []
        clock.now += 60  # unchanged for a minute, but the writer still holds it open
        assert t.due() == []
    assert t.due() == [path]  # closed: no close event needed, the lease tells


def test_scanned_file_held_open_by_a_writer_is_not_due(tmp_path: Path) -> None:
    clock, path = FakeClock(), tmp_path / "a.txt"
    with path.open("w") as writer:
        writer.write("half")
        writer.flush()
        t = tracker(clock)
        t.note(path, Hint.SCANNED)
        t.due()
        clock.now += 5
        assert t.due() == []
    clock.now += 1.1
    assert t.due() == [path]


def test_where_leases_are_unknown_a_writer_is_waited_for_the_stall_time(tmp_path: Path) -> None:
    clock, path = FakeClock(), tmp_path / "a.txt"
    path.write_text("x")
    t = tracker(clock, being_written=lambda _: None)  # e.g. an NFS mount: no leases
    t.note(path, Hint.WRITING)
    t.due()
    clock.now += 29
    assert t.due() == []
    clock.now += 2
    assert t.due() == [path]


def test_scanned_file_must_be_stable_for_the_settle_time(tmp_path: Path) -> None:
    clock, path = FakeClock(), tmp_path / "a.txt"
    path.write_text("x")
    t = tracker(clock)
    t.note(path, Hint.SCANNED)
    assert t.due() == []  # first look records size and mtime
    clock.now += 0.5
    with path.open("a") as handle:
        handle.write("more")
    os.utime(path, ns=(1, 2))
    assert t.due() == []  # changed: the settle time starts again
    clock.now += 0.9
    assert t.due() == []
    clock.now += 0.2
    assert t.due() == [path]


def test_temporary_names_are_ignored(tmp_path: Path) -> None:
    clock = FakeClock()
    t = tracker(clock)
    for name in (".hidden", "a.part", "b.tmp", "~$c.xlsx", "d.crdownload"):
        (tmp_path / name).write_text("x")
        t.note(tmp_path / name, Hint.COMPLETE)
    assert t.due() == [] and t.pending_count == 0


def test_a_file_that_could_not_be_claimed_waits_to_settle_again(tmp_path: Path) -> None:
    clock, path = FakeClock(), tmp_path / "a.txt"
    path.write_text("x")
    t = tracker(clock)
    t.note(path, Hint.COMPLETE)
    assert t.due() == [path]
    t.postpone(path)
    assert t.due() == []
    clock.now += 1.1
    assert t.due() == [path]
    t.forget(path)
    assert t.due() == [] and t.pending_count == 0


def test_vanished_file_is_dropped(tmp_path: Path) -> None:
    clock, path = FakeClock(), tmp_path / "a.txt"
    path.write_text("x")
    t = tracker(clock)
    t.note(path, Hint.WRITING)
    path.unlink()
    assert t.due() == [] and t.pending_count == 0

