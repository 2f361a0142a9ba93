"""The Hidiroglou-Berthelot bounds against a worked example computed by hand, and the ratio edit."""

from __future__ import annotations

import pytest

from shared import hidiroglou_berthelot as hb
from shared.crossquarter import CrossQuarterThresholds, QuarterFigures, check_against_previous
from shared.models import Counts, Period

# Ten municipalities, (previous total, current total). The region roughly doubled; the current or
# previous value that is the larger is a perfect square, so that max(x_now, x_prev) ** 0.5 is whole.
WORKED_EXAMPLE = {
    "A": (256, 128),  # r = 0.5
    "B": (100, 100),  # r = 1
    "C": (144, 144),  # r = 1
    "D": (50, 64),    # r = 1.28
    "E": (90, 144),   # r = 1.6
    "F": (60, 144),   # r = 2.4
    "G": (40, 100),   # r = 2.5
    "H": (9, 36),     # r = 4
    "I": (49, 196),   # r = 4
    "J": (25, 225),   # r = 9
}


def test_hb_bounds_of_the_worked_example_by_hand() -> None:
    # 1. Ratios sorted: 0.5, 1, 1, 1.28, 1.6, 2.4, 2.5, 4, 4, 9. Ten values: the median lies at position
    #    (10 - 1) * 0.5 = 4.5, halfway between the 5th and 6th: (1.6 + 2.4) / 2 = 2.
    ratios = {key: now / before for key, (before, now) in WORKED_EXAMPLE.items()}
    median_ratio = hb.quantile(list(ratios.values()), 0.5)
    assert median_ratio == pytest.approx(2.0)

    # 2. Centring, s = 1 - r_med / r below the median, r / r_med - 1 above it:
    #    A: 1 - 2/0.5  = -3        B, C: 1 - 2/1 = -1      D: 1 - 2/1.28 = 1 - 1.5625 = -0.5625
    #    E: 1 - 2/1.6  = -0.25     F: 2.4/2 - 1 = 0.2      G: 2.5/2 - 1 = 0.25
    #    H, I: 4/2 - 1 = 1         J: 9/2 - 1 = 3.5
    expected_s = {"A": -3, "B": -1, "C": -1, "D": -0.5625, "E": -0.25, "F": 0.2, "G": 0.25, "H": 1, "I": 1, "J": 3.5}
    for key, ratio in ratios.items():
        assert hb.centred(ratio, median_ratio) == pytest.approx(expected_s[key]), key

    # 3. Effects E = s * max(x_now, x_prev) ** 0.5:
    #    A: -3 * sqrt(256) = -3 * 16 = -48      B: -1 * sqrt(100) = -10     C: -1 * sqrt(144) = -12
    #    D: -0.5625 * sqrt(64) = -4.5           E: -0.25 * sqrt(144) = -3   F: 0.2 * sqrt(144) = 2.4
    #    G: 0.25 * sqrt(100) = 2.5              H: 1 * sqrt(36) = 6         I: 1 * sqrt(196) = 14
    #    J: 3.5 * sqrt(225) = 3.5 * 15 = 52.5
    expected_e = {"A": -48, "B": -10, "C": -12, "D": -4.5, "E": -3, "F": 2.4, "G": 2.5, "H": 6, "I": 14, "J": 52.5}
    effects = {key: hb.effect(before, now, median_ratio, 0.5) for key, (before, now) in WORKED_EXAMPLE.items()}
    for key, value in effects.items():
        assert value == pytest.approx(expected_e[key]), key

    # 4. Effects sorted: -48, -12, -10, -4.5, -3, 2.4, 2.5, 6, 14, 52.5 (positions 0..9).
    #    E_med at 4.5: (-3 + 2.4) / 2 = -0.3
    #    E_Q1  at 9 * 0.25 = 2.25: -10 + 0.25 * (-4.5 - -10) = -10 + 1.375 = -8.625
    #    E_Q3  at 9 * 0.75 = 6.75: 2.5 + 0.75 * (6 - 2.5) = 2.5 + 2.625 = 5.125
    #    |A * E_med| = 0.05 * 0.3 = 0.015
    #    d1 = max(-0.3 - -8.625, 0.015) = 8.325;  d3 = max(5.125 - -0.3, 0.015) = 5.425
    #    lower = -0.3 - 4 * 8.325 = -33.6;        upper = -0.3 + 4 * 5.425 = 21.4
    bounds = hb.effect_bounds(list(effects.values()), spread=0.05, width=4)
    assert bounds.median == pytest.approx(-0.3)
    assert bounds.first_quartile == pytest.approx(-8.625)
    assert bounds.third_quartile == pytest.approx(5.125)
    assert bounds.lower == pytest.approx(-33.6)
    assert bounds.upper == pytest.approx(21.4)

    # 5. Outside [-33.6, 21.4]: A (-48, halved) and J (52.5, nine times). I quadrupled, but its effect
    #    (14) is within: the region as a whole doubled.
    assert sorted(key for key, value in effects.items() if not bounds.lower <= value <= bounds.upper) == ["A", "J"]


def test_the_worked_example_through_the_cross_quarter_check() -> None:
    def figures(index: int, quarter: int) -> QuarterFigures:
        rows = {key: Counts(municipal_with_profile=0, municipal_without_profile=0, uwv_with_profile=0,
                            uwv_without_profile=0, total=pair[index]) for key, pair in WORKED_EXAMPLE.items()}
        return QuarterFigures(period=Period(year=2022, quarter=quarter), rows=rows)

    result = check_against_previous(figures(0, 1), figures(1, 2))
    assert [(f.check, f.municipality, f.field, f.method) for f in result.findings] == [
        ("quarter_change", "A", "total", "hidiroglou_berthelot"),
        ("quarter_change", "J", "total", "hidiroglou_berthelot"),
    ]
    flagged_a, flagged_j = result.findings
    assert (flagged_a.previous, flagged_a.current, flagged_a.expected, flagged_a.actual) == (256, 128, 256, 128)
    assert flagged_a.bounds is not None and flagged_j.bounds is not None
    assert (flagged_a.bounds.lower, flagged_a.bounds.upper) == (pytest.approx(-33.6), pytest.approx(21.4))
    assert flagged_a.bounds.value == pytest.approx(-48)
    assert flagged_j.bounds.value == pytest.approx(52.5)
    assert flagged_a.compared_with == Period(year=2022, quarter=1)
    assert flagged_a.severity == "warning"
    # The accepted range is where the effect stays within the bounds, given the previous value.
    low, high = flagged_j.bounds.accepted
    assert hb.effect(25, high, 2.0, 0.5) <= 21.4 < hb.effect(25, high + 1, 2.0, 0.5)
    assert hb.effect(25, low - 1, 2.0, 0.5) < -33.6 <= hb.effect(25, low, 2.0, 0.5)
    # With fewer municipalities than the threshold, the fixed ratio edit decides instead: F, G, H, I, J
    # more than doubled by at least 20 people; A exactly halved (r = 0.5 is on the bound, not beyond it);
    # B..E within [1/2, 2].
    small = check_against_previous(figures(0, 1), figures(1, 2), CrossQuarterThresholds(hb_min_municipalities=11))
    assert [(f.municipality, f.method) for f in small.findings] == [
        ("F", "ratio_edit"), ("G", "ratio_edit"), ("H", "ratio_edit"), ("I", "ratio_edit"),
        ("J", "ratio_edit")]


def test_the_spread_floor_when_the_effects_barely_vary() -> None:
    # All effects 1: E_med = E_Q1 = E_Q3 = 1, so d1 = d3 = max(0, |0.05 * 1|) = 0.05 and the bounds are
    # [1 - 4 * 0.05, 1 + 4 * 0.05] = [0.8, 1.2].
    bounds = hb.effect_bounds([1.0] * 10, spread=0.05, width=4)
    assert (bounds.lower, bounds.upper) == (pytest.approx(0.8), pytest.approx(1.2))


def test_quartiles_by_linear_interpolation() -> None:
    assert hb.quantile([4, 1, 3, 2], 0.25) == pytest.approx(1.75)   # position 3 * 0.25 = 0.75
    assert hb.quantile([4, 1, 3, 2], 0.5) == pytest.approx(2.5)
    assert hb.quantile([4, 1, 3, 2], 0.75) == pytest.approx(3.25)
    assert hb.quantile([7], 0.25) == 7


@pytest.mark.parametrize(("previous", "current", "flagged"), [
    (100, 49, True), (100, 50, False), (100, 201, True), (100, 200, False),
    (30, 12, False),   # ratio 0.4, but only 18 people
    (10, 29, False),   # ratio 2.9, 19 people
    (10, 30, True),    # ratio 3, 20 people
    (0, 25, True), (0, 19, False), (25, 0, True),
])
def test_the_fixed_ratio_edit(previous: int, current: int, flagged: bool) -> None:
    assert hb.ratio_edit_flags(previous, current, low=0.5, high=2, min_change=20) is flagged
    low, high = hb.ratio_edit_range(previous, low=0.5, high=2, min_change=20)
    assert (not low <= current <= high) is flagged
