"""Claims due at once are grouped into jobs by count and by bytes, in order."""

from __future__ import annotations

from shared.jobs import batches

SIZES = {"a": 10, "b": 10, "c": 10, "d": 10, "e": 10, "big": 100}


def test_claims_are_grouped_by_count() -> None:
    assert batches(list("abcde"), SIZES.__getitem__, max_files=2, max_bytes=1000) == [["a", "b"], ["c", "d"], ["e"]]


def test_claims_are_grouped_by_bytes_and_a_large_claim_goes_alone() -> None:
    claims = ["a", "b", "big", "c", "d", "e"]
    assert batches(claims, SIZES.__getitem__, max_files=50, max_bytes=25) == [["a", "b"], ["big"], ["c", "d"], ["e"]]


def test_a_lone_claim_is_a_job_of_one_and_none_is_no_job() -> None:
    assert batches(["a"], SIZES.__getitem__, max_files=50, max_bytes=1) == [["a"]]
    assert batches([], SIZES.__getitem__, max_files=50, max_bytes=1) == []
