"""The per-claim attempt ledger: deaths count only for a claim alone in its job; failures always."""

from __future__ import annotations

from pathlib import Path

from shared.attempts import AttemptLedger

CLAIM = "20261130T100000Z_0123456789ab_report.txt"


def test_a_finished_attempt_leaves_nothing(tmp_path: Path) -> None:
    ledger = AttemptLedger(tmp_path / "attempts")
    assert ledger.begin(CLAIM, alone=True).count == 0
    ledger.end(CLAIM)
    assert list((tmp_path / "attempts").iterdir()) == []
    assert ledger.begin(CLAIM, alone=True).count == 0


def test_a_death_counts_when_the_claim_was_alone(tmp_path: Path) -> None:
    ledger = AttemptLedger(tmp_path)
    ledger.begin(CLAIM, alone=True)  # the worker dies: no end()
    second = ledger.begin(CLAIM, alone=True)
    assert (second.deaths, second.count) == (1, 1) and "worker process ended" in second.last_error
    assert ledger.begin(CLAIM, alone=True).count == 2


def test_a_death_in_a_batch_does_not_count(tmp_path: Path) -> None:
    ledger = AttemptLedger(tmp_path)
    ledger.begin(CLAIM, alone=False)
    assert ledger.begin(CLAIM, alone=False).count == 0


def test_failures_count_and_keep_the_last_error(tmp_path: Path) -> None:
    ledger = AttemptLedger(tmp_path)
    ledger.begin(CLAIM, alone=True)
    ledger.fail(CLAIM, "cannot read the file: Permission denied")
    ledger.begin(CLAIM, alone=True)
    record = ledger.fail(CLAIM, "cannot read the file: Permission denied (again)")
    assert (record.failures, record.deaths, record.last_error) == (
        2, 0, "cannot read the file: Permission denied (again)")


def test_an_outage_pauses_without_counting(tmp_path: Path) -> None:
    ledger = AttemptLedger(tmp_path)
    ledger.begin(CLAIM, alone=True)
    ledger.pause(CLAIM)
    assert ledger.begin(CLAIM, alone=True).count == 0


def test_a_torn_record_counts_as_a_death(tmp_path: Path) -> None:
    ledger = AttemptLedger(tmp_path)
    (tmp_path / CLAIM).write_text("{\"deaths\": 1, ")
    assert ledger.begin(CLAIM, alone=True).deaths == 1
