"""Reports as other producers make them, rendered from one set of figures: each parses to the
identical document, a deliberate arithmetic defect survives the parse to be found by reconciliation,
and what is not a report is refused with a reason that says what it is."""

from __future__ import annotations

import pytest

from shared.models import Finding, ParsedReport
from shared.parsing import parse_report
from shared.reconcile import reconcile
from tests.report_renderers import PRODUCER_VARIANTS, expected_document, render_variant, sample_report

SEEDS = ["midden-limburg", "west-brabant", "tricky"]


@pytest.mark.parametrize("variant", list(PRODUCER_VARIANTS))
@pytest.mark.parametrize("seed", SEEDS)
def test_every_producer_gives_the_identical_document(seed: str, variant: str) -> None:
    report = sample_report(seed)
    parsed = parse_report(render_variant(report, variant), name=f"upload-{variant}")
    assert parsed.format == PRODUCER_VARIANTS[variant][0]
    assert parsed.model_dump(exclude={"format"}) == expected_document(report, variant)


def _with_defect(report: ParsedReport) -> ParsedReport:
    """Leudal's (the third row's) uwv_with_profile one too many: its row and column no longer add up."""
    rows = list(report.rows)
    rows[2] = rows[2].model_copy(update={"uwv_with_profile": rows[2].uwv_with_profile + 1})
    return report.model_copy(update={"rows": tuple(rows)})


DEFECT_VARIANTS = ["pdf-browser-print-wrapping-over-pages", "pdf-landscape-rotate-270", "pdf-footnote-markers",
                   "pdf-letter-spaced-glyph-by-glyph"]


@pytest.mark.parametrize("variant", DEFECT_VARIANTS)
def test_a_defect_in_a_producers_file_is_read_as_printed_and_found(variant: str) -> None:
    report = _with_defect(sample_report("midden-limburg"))
    parsed = parse_report(render_variant(report, variant))
    assert parsed.rows == report.rows
    assert reconcile(parsed) == [
        Finding(check="row_total", municipality="Leudal", field="total", expected=280, actual=279),
        Finding(check="column_total", field="uwv_with_profile", expected=1520, actual=1519),
    ]
