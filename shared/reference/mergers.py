"""Municipal mergers: which codes became which between two reports, and which changes in a region's
list of municipalities they explain."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from functools import cache
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict

from shared.models import Period
from shared.reference.tables import MergerRecord, mergers

# The reference's change types that create a code (the others merge into an existing municipality).
_CREATES_CODE = ("merger into new", "code change")


class RecordedMerger(BaseModel):
    """Municipalities of the previous report that became one municipality of this one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    old_codes: tuple[str, ...]
    new_code: str


class MembershipChange(NamedTuple):
    mergers: tuple[RecordedMerger, ...]
    unexplained_missing: frozenset[str]
    unexplained_new: frozenset[str]


def window(earlier: int | Period, later: int | Period) -> tuple[date, date]:
    """The mergers that can lie between two reports: after the first day of the earlier one's year or
    quarter (its figures already show mergers of that day), up to the last day of the later one's."""
    start = date(earlier, 1, 1) if isinstance(earlier, int) else date(earlier.year, 3 * earlier.quarter - 2, 1)
    if isinstance(later, int):
        end = date(later, 12, 31)
    else:
        end = (date(later.year + 1, 1, 1) if later.quarter == 4
               else date(later.year, 3 * later.quarter + 1, 1)) - timedelta(days=1)
    return start, end


@cache
def _outgoing() -> dict[str, tuple[MergerRecord, ...]]:
    by_old: dict[str, list[MergerRecord]] = defaultdict(list)
    for merger in mergers():
        by_old[merger.old_code].append(merger)
    return {code: tuple(found) for code, found in by_old.items()}


@cache
def _incoming() -> dict[str, tuple[MergerRecord, ...]]:
    by_new: dict[str, list[MergerRecord]] = defaultdict(list)
    for merger in mergers():
        by_new[merger.new_code].append(merger)
    return {code: tuple(found) for code, found in by_new.items()}


def successors_between(code: str, after: date, until: date) -> frozenset[str]:
    """The codes whose territory holds `code`'s at `until`, following mergers dated after `after`;
    {code} itself when it was not merged."""
    moves = [m for m in _outgoing().get(code, ()) if after < m.effective <= until]
    if not moves:
        return frozenset({code})
    return frozenset().union(*(successors_between(m.new_code, m.effective, until) for m in moves))


def predecessors_between(code: str, after: date, until: date) -> frozenset[str]:
    """The codes at `after` whose territory went into `code` by `until`, with `code` itself unless it
    was created in between."""
    moves = [m for m in _incoming().get(code, ()) if after < m.effective <= until]
    found: set[str] = set()
    for move in moves:
        found |= predecessors_between(move.old_code, after, move.effective - timedelta(days=1))
    if not any(move.change_type.startswith(_CREATES_CODE) for move in moves):
        found.add(code)
    return frozenset(found)


def successors(code: str, from_year: int | Period, to_year: int | Period) -> frozenset[str]:
    """The codes that hold a municipality of a `from_year` report in a `to_year` report."""
    return successors_between(code, *window(from_year, to_year))


def predecessors(code: str, from_year: int | Period, to_year: int | Period) -> frozenset[str]:
    """The codes of a `from_year` report whose territory a municipality of a `to_year` report holds."""
    return predecessors_between(code, *window(from_year, to_year))


def explain_membership_change(previous: set[str] | frozenset[str], current: set[str] | frozenset[str],
                              prev_year: int | Period, cur_year: int | Period) -> MembershipChange:
    """Split the municipalities that left and joined a region's table into mergers the reference
    explains (old codes -> new code) and the rest. Keys that are no CBS code are never explained."""
    after, until = window(prev_year, cur_year)
    missing = set(previous) - set(current)
    new = set(current) - set(previous)
    merged_into: dict[str, set[str]] = defaultdict(set)
    for old in sorted(missing):
        for successor in successors_between(old, after, until) & set(current):
            merged_into[successor].add(old)
    for code in sorted(new):
        if code not in merged_into and (olds := predecessors_between(code, after, until) & missing):
            merged_into[code] |= olds
    explained_old = set().union(*merged_into.values()) if merged_into else set()
    recorded = tuple(RecordedMerger(old_codes=tuple(sorted(olds)), new_code=code)
                     for code, olds in sorted(merged_into.items()))
    return MembershipChange(recorded, frozenset(missing - explained_old), frozenset(new - set(merged_into)))
