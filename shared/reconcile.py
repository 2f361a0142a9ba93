"""Reconciliation checks, pure and named after the contract; the caller logs what they find."""

from __future__ import annotations

from shared.models import COUNT_FIELDS, TOTAL_FIELDS, Finding, ParsedReport


def check_row_total(report: ParsedReport) -> list[Finding]:
    """Each municipality's four counts add up to its total."""
    findings = []
    for row in report.rows:
        expected = sum(getattr(row, name) for name in COUNT_FIELDS)
        if expected != row.total:
            findings.append(Finding(check="row_total", municipality=row.municipality, field="total",
                                    expected=expected, actual=row.total, location=row.location))
    return findings


def check_column_total(report: ParsedReport) -> list[Finding]:
    """Each column of the municipalities adds up to the TOTAAL AMR figure."""
    findings = []
    for name in TOTAL_FIELDS:
        expected = sum(getattr(row, name) for row in report.rows)
        actual = getattr(report.totals, name)
        if expected != actual:
            findings.append(Finding(check="column_total", field=name, expected=expected, actual=actual,
                                    location=report.totals_location))
    return findings


def check_percent_in_sonar(report: ParsedReport) -> list[Finding]:
    """The footnote's percentage matches TOTAAL AMR / register size within one point."""
    register = report.register
    if register is None or register.size == 0:
        return []
    computed = 100 * report.totals.total / register.size
    if abs(computed - register.percent_in_sonar) < 1:
        return []
    return [Finding(check="percent_in_sonar", field="percent_in_sonar",
                    expected=round(computed, 1), actual=register.percent_in_sonar, location=register.location)]


def check_register_size(report: ParsedReport) -> list[Finding]:
    """No more people in Sonar than in the target-group register."""
    register = report.register
    if register is None or report.totals.total <= register.size:
        return []
    return [Finding(check="register_size", field="total", expected=register.size,
                    actual=report.totals.total, location=register.location)]


CHECKS = (check_row_total, check_column_total, check_percent_in_sonar, check_register_size)


def reconcile(report: ParsedReport) -> list[Finding]:
    """All findings of all checks, in contract order."""
    return [finding for check in CHECKS for finding in check(report)]
