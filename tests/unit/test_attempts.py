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


OTHER = "20261130T100000Z_ba9876543210_other.txt"


def test_a_batch_is_one_mark_and_ends_without_a_trace(tmp_path: Path) -> None:
    ledger = AttemptLedger(tmp_path)
    records = ledger.begin_batch([CLAIM, OTHER])
    assert [record.count for record in records] == [0, 0]
    assert [path.name.startswith(".batch-") for path in tmp_path.iterdir()] == [True]
    assert ledger.batch_running([CLAIM, OTHER]) and not ledger.batch_running([OTHER, CLAIM])
    ledger.end_batch([CLAIM, OTHER])
    assert list(tmp_path.iterdir()) == [] and not ledger.batch_running([CLAIM, OTHER])


def test_a_batch_finds_the_death_of_a_claim_alone_and_counts_it(tmp_path: Path) -> None:
    ledger = AttemptLedger(tmp_path)
    ledger.begin(CLAIM, alone=True)  # the worker dies; the watcher offers the claim again in a batch
    assert ledger.batch_running([CLAIM, OTHER])  # so the batch is split first
    records = ledger.begin_batch([CLAIM, OTHER])
    assert [(record.deaths, record.running) for record in records] == [(1, False), (0, False)]
    assert not ledger.read(CLAIM).running


def test_marks_of_batches_whose_claims_all_ended_are_removed(tmp_path: Path) -> None:
    ledger = AttemptLedger(tmp_path)
    ledger.begin_batch([CLAIM, OTHER])  # lost with its worker
    ledger.remove_ended_batches({OTHER})
    assert ledger.batch_running([CLAIM, OTHER])
    ledger.remove_ended_batches(set())
    assert list(tmp_path.iterdir()) == []
