from __future__ import annotations

import pytest

from shared.models import Finding, Location
from shared.parsing import parse_report
from shared.reconcile import (
    check_column_total,
    check_percent_in_sonar,
    check_register_size,
    check_row_total,
    reconcile,
)
from tests import seed_variants


@pytest.mark.parametrize("data", [seed_variants.midden_limburg(), seed_variants.west_brabant()])
def test_the_real_seeds_reconcile(data: bytes) -> None:
    assert reconcile(parse_report(data)) == []


def test_row_total_names_the_municipality() -> None:
    report = parse_report(seed_variants.broken_row_total())
    assert check_row_total(report) == [Finding(check="row_total", municipality="Breda", field="total",
                                               expected=1635, actual=1636, location=Location(line=10))]
    # Breda's total is also part of the total column (the finding is about the TOTAAL AMR row).
    assert check_column_total(report) == [Finding(check="column_total", field="total",
                                                  expected=5027, actual=5026, location=Location(line=34))]


def test_column_total_names_the_column() -> None:
    report = parse_report(seed_variants.broken_column_total())
    assert reconcile(report) == [Finding(check="column_total", field="uwv_with_profile",
                                         expected=1519, actual=1520, location=Location(line=35))]


def test_percent_in_sonar_reports_the_computed_percentage() -> None:
    report = parse_report(seed_variants.broken_percent())
    assert reconcile(report) == [Finding(check="percent_in_sonar", field="percent_in_sonar",
                                         expected=69.9, actual=75, location=Location(line=37))]


def test_register_size_smaller_than_sonar_total() -> None:
    report = parse_report(seed_variants.broken_register_size())
    assert check_register_size(report) == [Finding(check="register_size", field="total",
                                                   expected=2000, actual=2537, location=Location(line=37))]
    assert [f.check for f in reconcile(report)] == ["percent_in_sonar", "register_size"]


def test_percent_check_tolerates_rounding_below_one_point() -> None:
    report = parse_report(seed_variants.midden_limburg())
    # 2537 / 3627 = 69.95%; printed as 70 is within a point, 69 is not.
    assert check_percent_in_sonar(report) == []
    off_by_one = report.model_copy(update={"register": report.register.model_copy(  # type: ignore[union-attr]
        update={"percent_in_sonar": 68})})
    assert [f.check for f in check_percent_in_sonar(off_by_one)] == ["percent_in_sonar"]


def test_no_register_no_register_checks() -> None:
    report = parse_report(seed_variants.midden_limburg()).model_copy(update={"register": None})
    assert check_percent_in_sonar(report) == [] and check_register_size(report) == []
