from __future__ import annotations

from pathlib import Path

from shared.attempts import AttemptLedger


def test_attempts_count_until_ended(tmp_path: Path) -> None:
    ledger = AttemptLedger(tmp_path / "attempts")
    file = tmp_path / "report.pdf"
    file.write_bytes(b"spins the extractor")
    assert ledger.begin(file)[0] == 1
    assert ledger.begin(file)[0] == 2  # the first attempt never ended: its worker died
    count, entry = ledger.begin(file)
    assert count == 3
    file.unlink()  # handled: moved out of the inbox
    ledger.end(entry)
    assert list((tmp_path / "attempts").iterdir()) == []


def test_new_content_under_the_same_name_starts_again(tmp_path: Path) -> None:
    ledger = AttemptLedger(tmp_path / "attempts")
    file = tmp_path / "report.pdf"
    file.write_bytes(b"one")
    ledger.begin(file)
    ledger.begin(file)
    file.write_bytes(b"other content")
    assert ledger.begin(file)[0] == 1


def test_an_entry_left_empty_by_a_death_right_after_creating_it_counts_as_one_attempt(tmp_path: Path) -> None:
    ledger = AttemptLedger(tmp_path / "attempts")
    file = tmp_path / "report.pdf"
    file.write_bytes(b"spins the extractor")
    count, entry = ledger.begin(file)
    assert count == 1 and entry is not None
    entry.write_bytes(b"")
    assert ledger.begin(file)[0] == 2
