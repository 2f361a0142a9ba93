"""Writers of one SQLite database take turns by a file lock, also across forked processes (a descriptor
inherited over fork would share its lock with the parent's)."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

from shared.store.db import writer_turn


def _hold_turn(url: str, holding: object, release: object) -> None:
    with writer_turn(url):
        holding.set()  # type: ignore[attr-defined]
        release.wait(10)  # type: ignore[attr-defined]


def test_a_writer_waits_for_the_turn_of_another_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'klantprofielen.db'}"
    with writer_turn(url):  # this process has opened its lock file before the fork
        pass
    context = multiprocessing.get_context("fork")
    holding, release = context.Event(), context.Event()
    child = context.Process(target=_hold_turn, args=(url, holding, release))
    child.start()
    try:
        assert holding.wait(10)
        got_turn = threading.Event()

        def take_turn() -> None:
            with writer_turn(url):
                got_turn.set()

        taker = threading.Thread(target=take_turn)
        taker.start()
        assert not got_turn.wait(0.3)  # the child holds the turn
        release.set()
        assert got_turn.wait(10)
        taker.join()
    finally:
        release.set()
        child.join(10)
    assert child.exitcode == 0


def test_other_databases_take_no_turn() -> None:
    with writer_turn("postgresql+psycopg://postgres@127.0.0.1:5432/test"), \
            writer_turn("postgresql+psycopg://postgres@127.0.0.1:5432/test"):
        pass  # no lock, so nesting does not wait


def test_without_a_lock_file_the_turn_is_sqlites_own(tmp_path: Path) -> None:
    """A folder the process may not create in (here: one that is not there) leaves SQLite's lock alone."""
    with writer_turn(f"sqlite:///{tmp_path / 'missing' / 'klantprofielen.db'}"):
        pass
    assert not (tmp_path / "missing").exists()
