"""The Hidiroglou-Berthelot edit (1986) for period-over-period changes, and the fixed ratio edit used
where there are too few units for it. Pure arithmetic; shared/crossquarter.py turns it into findings.

For units with x_prev > 0 and x_now > 0:
  r = x_now / x_prev; s = 1 - r_med / r if r < r_med else r / r_med - 1; E = s * max(x_now, x_prev) ** U;
  flagged outside [E_med - C * d1, E_med + C * d3], d1 = max(E_med - E_Q1, |A * E_med|),
  d3 = max(E_Q3 - E_med, |A * E_med|); medians and quartiles by linear interpolation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple


class EffectBounds(NamedTuple):
    median: float
    first_quartile: float
    third_quartile: float
    lower: float
    upper: float


def quantile(values: Sequence[float], p: float) -> float:
    """The p-quantile by linear interpolation between order statistics (position (n - 1) * p, as
    numpy's default and R's type 7)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * p
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (position - below) * (ordered[above] - ordered[below])


def centred(ratio: float, median_ratio: float) -> float:
    """s: how far a ratio lies from the median ratio, symmetric for rises and falls."""
    return 1 - median_ratio / ratio if ratio < median_ratio else ratio / median_ratio - 1


def effect(previous: float, current: float, median_ratio: float, exponent: float) -> float:
    """E = s * max(x_now, x_prev) ** U: the centred ratio weighted by the unit's size."""
    return centred(current / previous, median_ratio) * max(current, previous) ** exponent


def effect_bounds(effects: Sequence[float], *, spread: float, width: float) -> EffectBounds:
    """[E_med - C * d1, E_med + C * d3] with d1, d3 at least |A * E_med| (A = spread, C = width)."""
    median = quantile(effects, 0.5)
    first, third = quantile(effects, 0.25), quantile(effects, 0.75)
    floor = abs(spread * median)
    d1, d3 = max(median - first, floor), max(third - median, floor)
    return EffectBounds(median, first, third, median - width * d1, median + width * d3)


def accepted_range(previous: float, median_ratio: float, exponent: float, lower: float,
                   upper: float) -> tuple[int, int]:
    """The whole current values whose effect lies within [lower, upper]. E rises strictly with x_now
    (from -inf near 0 to +inf): each end is the first whole value past a bound, found by bisection
    over whole values (a few dozen effects, where bisecting the real root to the last bit took 200)."""
    def effect_of(current: int) -> float:
        return effect(previous, current, median_ratio, exponent) if current > 0 else -math.inf

    def first_reaching(target: float, *, inclusive: bool) -> int:
        """The least whole value whose effect is >= target (inclusive) or > target."""
        def reaches(current: int) -> bool:
            value = effect_of(current)
            return value >= target if inclusive else value > target
        low, high = 0, max(int(previous), 1)
        while not reaches(high):
            low, high = high, high * 2
        while high - low > 1:  # reaches(high), and low == 0 or not reaches(low)
            middle = (low + high) // 2
            low, high = (low, middle) if reaches(middle) else (middle, high)
        return high if not reaches(low) else low

    return first_reaching(lower, inclusive=True), first_reaching(upper, inclusive=False) - 1


def ratio_edit_flags(previous: int, current: int, *, low: float, high: float, min_change: int) -> bool:
    """The fixed ratio edit: r < low or r > high, and a change of at least min_change."""
    if abs(current - previous) < min_change:
        return False
    return previous == 0 or not low <= current / previous <= high


def ratio_edit_range(previous: int, *, low: float, high: float, min_change: int) -> tuple[int, int]:
    """The whole current values the ratio edit accepts."""
    return (max(0, min(math.ceil(previous * low), previous - min_change + 1)),
            max(math.floor(previous * high), previous + min_change - 1))
