"""Cross-quarter checks on pairs of reports built from the seeds: each check flags what it should, and an
ordinary quarter or a merger the reference explains flags nothing."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest

from shared.crossquarter import CrossQuarterThresholds, QuarterFigures, check_against_previous, quarter_figures
from shared.models import TOTAL_FIELDS, Counts, Period
from shared.parsing import parse_report
from shared.reference import municipality_code
from tests.conftest import MIDDEN_LIMBURG, WEST_BRABANT


def seed(path: Path) -> QuarterFigures:
    return quarter_figures(parse_report(path.read_bytes(), name=path.name))


def scaled(counts: Counts, factor: float) -> Counts:
    return Counts(**{field: round(getattr(counts, field) * factor) for field in TOTAL_FIELDS})


def ordinary_change(index: int, counts: Counts) -> float:
    """An ordinary quarter: a municipality of 200 people moves by up to 4%, a larger one by less in
    percent, a smaller one by more (as counts of people do: by about the square root of their size)."""
    spread = ((index * 7) % 9 - 4) / 4  # -1 .. 1, varied over the municipalities
    return 1 + spread * 0.04 * math.sqrt(200 / max(counts.total, 1))


def earlier_quarter(figures: QuarterFigures,
                    change: Callable[[int, Counts], float] = ordinary_change) -> QuarterFigures:
    """The same region a quarter before, each municipality changed by `change`."""
    rows = {key: scaled(counts, change(index, counts)) for index, (key, counts) in enumerate(figures.rows.items())}
    period = figures.period
    before = Period(year=period.year - (period.quarter == 1), quarter=(period.quarter - 2) % 4 + 1)
    register = round(figures.register_size * 0.98) if figures.register_size else None
    return figures.model_copy(update={"period": before, "rows": rows, "register_size": register})


def with_rows(figures: QuarterFigures, rows: dict[str, Counts], names: dict[str, str] | None = None) -> QuarterFigures:
    return figures.model_copy(update={"rows": rows, "names": names if names is not None else figures.names})


@pytest.fixture(scope="module")
def west_brabant() -> QuarterFigures:
    return seed(WEST_BRABANT)


@pytest.fixture(scope="module")
def midden_limburg() -> QuarterFigures:
    return seed(MIDDEN_LIMBURG)


def test_the_seeds_are_keyed_by_cbs_code(west_brabant: QuarterFigures, midden_limburg: QuarterFigures) -> None:
    assert list(midden_limburg.rows) == ["GM1706", "GM1711", "GM1640", "GM1641", "GM0946", "GM1669", "GM0957",
                                         "GM0988"]
    assert midden_limburg.names["GM0957"] == "Roermond"
    assert len(west_brabant.rows) == 14 and all(key.startswith("GM") for key in west_brabant.rows)
    assert (west_brabant.period, west_brabant.register_size) == (Period(year=2020, quarter=4), 7124)


@pytest.mark.parametrize("region", ["west_brabant", "midden_limburg"])
def test_an_ordinary_quarter_of_a_few_percent_is_not_flagged(region: str, request: pytest.FixtureRequest) -> None:
    current = request.getfixturevalue(region)
    result = check_against_previous(earlier_quarter(current), current)
    assert result.findings == ()
    assert result.mergers == ()
    assert result.compared_with == earlier_quarter(current).period


@pytest.mark.parametrize("region", ["west_brabant", "midden_limburg"])
def test_a_removed_municipality_is_flagged_either_way_round(region: str, request: pytest.FixtureRequest) -> None:
    complete = request.getfixturevalue(region)
    previous = earlier_quarter(complete)
    dropped = next(iter(complete.rows))
    without = with_rows(complete, {k: v for k, v in complete.rows.items() if k != dropped})
    [missing] = check_against_previous(previous, without).findings
    assert (missing.check, missing.municipality_code, missing.severity) == ("municipality_missing", dropped, "warning")
    assert missing.municipality == complete.names[dropped]
    assert (missing.previous, missing.current, missing.method) == (previous.rows[dropped].total, None, "membership")
    # The other way round: the municipality is back (or arrived) in the later quarter.
    earlier_without = with_rows(previous, {k: v for k, v in previous.rows.items() if k != dropped})
    [new] = check_against_previous(earlier_without, complete).findings
    assert (new.check, new.municipality_code) == ("municipality_new", dropped)
    assert new.current == complete.rows[dropped].total


def test_an_added_municipality_is_flagged(west_brabant: QuarterFigures) -> None:
    baarle = Counts(municipal_with_profile=1, municipal_without_profile=9, uwv_with_profile=12,
                    uwv_without_profile=6, total=28)
    current = with_rows(west_brabant, {**west_brabant.rows, "GM0744": baarle},
                        {**west_brabant.names, "GM0744": "Baarle-Nassau"})
    [new] = check_against_previous(earlier_quarter(west_brabant), current).findings
    assert (new.check, new.municipality, new.municipality_code, new.actual) == (
        "municipality_new", "Baarle-Nassau", "GM0744", 28)


@pytest.mark.parametrize(("region", "municipality", "method"), [
    ("west_brabant", "GM1674", "hidiroglou_berthelot"),   # Roosendaal, 14 municipalities
    ("midden_limburg", "GM0957", "ratio_edit"),           # Roermond, 8 municipalities
])
def test_a_tripled_total_is_flagged(region: str, municipality: str, method: str,
                                    request: pytest.FixtureRequest) -> None:
    current = request.getfixturevalue(region)
    previous = earlier_quarter(current)
    tripled = with_rows(current, {**current.rows, municipality: scaled(current.rows[municipality], 3)})
    findings = check_against_previous(previous, tripled).findings
    assert {f.check for f in findings} == {"quarter_change"}
    assert {f.municipality_code for f in findings} == {municipality}
    total = next(f for f in findings if f.field == "total")
    assert total.method == method
    assert (total.previous, total.current) == (previous.rows[municipality].total, 3 * current.rows[municipality].total)
    assert total.bounds is not None and total.bounds.accepted is not None
    assert not total.bounds.accepted[0] <= total.current <= total.bounds.accepted[1]
    assert total.bounds.accepted[0] <= total.previous <= total.bounds.accepted[1]
    # Each of the four counts of at least 20 people is checked on its own, and all of them tripled.
    big_counts = {field for field in TOTAL_FIELDS[:4] if getattr(tripled.rows[municipality], field) >= 20}
    assert {f.field for f in findings} == {"total", *big_counts}


def test_one_count_changing_alone_is_flagged_on_that_count(west_brabant: QuarterFigures) -> None:
    breda = west_brabant.rows["GM0758"]
    # 767 UWV clients with a profile become 1.767: the total rises by 61%, that count by 130%.
    changed = breda.model_copy(update={"uwv_with_profile": breda.uwv_with_profile + 1000,
                                       "total": breda.total + 1000})
    current = with_rows(west_brabant, {**west_brabant.rows, "GM0758": changed})
    findings = check_against_previous(earlier_quarter(west_brabant), current).findings
    assert ("GM0758", "uwv_with_profile") in {(f.municipality_code, f.field) for f in findings}
    assert {f.field for f in findings} <= {"total", "uwv_with_profile"}


def test_a_register_cut_by_40_percent_is_flagged(west_brabant: QuarterFigures) -> None:
    previous = earlier_quarter(west_brabant).model_copy(update={"register_size": 7124})
    current = west_brabant.model_copy(update={"register_size": round(7124 * 0.6)})
    [finding] = check_against_previous(previous, current).findings
    assert (finding.check, finding.field, finding.previous, finding.current) == (
        "register_change", "register_size", 7124, 4274)
    assert finding.bounds is not None
    assert finding.bounds.value == pytest.approx(-40.0, abs=0.01)
    assert (finding.bounds.lower, finding.bounds.upper) == (-25, 25)
    assert finding.bounds.accepted == (5343, 8905)
    # 20% less is within the default 25%.
    milder = current.model_copy(update={"register_size": round(7124 * 0.8)})
    assert check_against_previous(previous, milder).findings == ()


def test_no_baseline_register_means_no_register_finding(west_brabant: QuarterFigures) -> None:
    previous = earlier_quarter(west_brabant).model_copy(update={"register_size": None})
    current = west_brabant.model_copy(update={"register_size": 10})
    assert check_against_previous(previous, current).findings == ()


def _counts(total: int) -> Counts:
    quarter = total // 4
    return Counts(municipal_with_profile=quarter, municipal_without_profile=quarter, uwv_with_profile=quarter,
                  uwv_without_profile=total - 3 * quarter, total=total)


ZUID_LIMBURG_2018 = {"Beek": 120, "Brunssum": 410, "Eijsden-Margraten": 150, "Gulpen-Wittem": 90, "Heerlen": 1300,
                     "Kerkrade": 700, "Landgraaf": 480, "Maastricht": 1500, "Meerssen": 130, "Nuth": 100,
                     "Onderbanken": 50, "Schinnen": 60, "Simpelveld": 70, "Sittard-Geleen": 1100, "Stein": 160,
                     "Vaals": 60, "Valkenburg aan de Geul": 110, "Voerendaal": 80}


def test_a_merger_the_reference_explains_is_recorded_not_flagged() -> None:
    def figures(totals: dict[str, int], period: Period) -> QuarterFigures:
        codes = {name: municipality_code(name, period.year) or "" for name in totals}
        assert "" not in codes.values()
        return QuarterFigures(period=period, rows={codes[n]: _counts(t) for n, t in totals.items()},
                              names={codes[n]: n for n in totals}, register_size=9000)

    previous = figures(ZUID_LIMBURG_2018, Period(year=2018, quarter=4))
    # An ordinary quarter for the others; Beekdaelen's 215 against its predecessors' 100 + 50 + 60 = 210.
    merged = {n: round(t * ordinary_change(i, _counts(t))) for i, (n, t) in enumerate(ZUID_LIMBURG_2018.items())
              if n not in {"Nuth", "Onderbanken", "Schinnen"}}
    current = figures({**merged, "Beekdaelen": 215}, Period(year=2019, quarter=1))
    result = check_against_previous(previous, current)
    assert result.findings == ()
    assert [(m.old_codes, m.new_code) for m in result.mergers] == [(("GM0881", "GM0951", "GM0962"), "GM1954")]
    # Beekdaelen's 215 was compared with its predecessors' 210: a tripled Beekdaelen is flagged.
    tripled = with_rows(current, {**current.rows, "GM1954": _counts(630)})
    [change] = [f for f in check_against_previous(previous, tripled).findings if f.field == "total"]
    assert (change.municipality, change.previous, change.current) == ("Beekdaelen", 210, 630)


def test_hb_flags_any_change_when_nothing_else_changed_unless_a_floor_is_set(west_brabant: QuarterFigures) -> None:
    # Every other municipality identical: all their effects are 0, so are the quartiles, and the bounds
    # collapse to [0, 0] (|A * E_med| = 0). The method as published then flags a change of one person.
    breda = west_brabant.rows["GM0758"]
    one_more = with_rows(west_brabant, {**west_brabant.rows, "GM0758": breda.model_copy(
        update={"uwv_with_profile": breda.uwv_with_profile + 1, "total": breda.total + 1})})
    previous = west_brabant.model_copy(update={"period": Period(year=2020, quarter=3)})
    findings = check_against_previous(previous, one_more).findings
    assert {(f.field, f.previous, f.current) for f in findings} == {("total", 1635, 1636),
                                                                    ("uwv_with_profile", 767, 768)}
    floored = CrossQuarterThresholds(hb_min_change_people=20)
    assert check_against_previous(previous, one_more, floored).findings == ()
