"""Reports as other producers make them, rendered from one set of figures: each parses to the
identical document, a deliberate arithmetic defect survives the parse to be found by reconciliation,
and what is not a report is refused with a reason that says what it is."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from openpyxl import Workbook

from shared.models import Finding, ParsedReport
from shared.parsing import NotAReport, parse_report
from shared.parsing.pdf_layout import Word, page_lines
from shared.reconcile import reconcile
from tests.pdf_print_layouts import pdf_without_unicode
from tests.report_renderers import (
    PRODUCER_VARIANTS,
    expected_document,
    figures,
    render_variant,
    sample_report,
    unlocated,
)
from tests.unit.test_parse_properties import reports

SEEDS = ["midden-limburg", "west-brabant", "tricky"]


@pytest.mark.parametrize("variant", list(PRODUCER_VARIANTS))
@pytest.mark.parametrize("seed", SEEDS)
def test_every_producer_gives_the_identical_document(seed: str, variant: str) -> None:
    report = sample_report(seed)
    parsed = parse_report(render_variant(report, variant), name=f"upload-{variant}")
    assert parsed.format == PRODUCER_VARIANTS[variant][0]
    assert figures(parsed) == expected_document(report, variant)


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
    assert unlocated(parsed.rows) == report.rows
    # Each finding where what it is about was read: Leudal's row, the TOTAAL AMR row.
    assert reconcile(parsed) == [
        Finding(check="row_total", municipality="Leudal", field="total", expected=280, actual=279,
                location=parsed.rows[2].location),
        Finding(check="column_total", field="uwv_with_profile", expected=1520, actual=1519,
                location=parsed.totals_location),
    ]
    assert parsed.rows[2].location is not None and parsed.totals_location is not None


def _trend_csv() -> bytes:
    report = sample_report("midden-limburg")
    lines = ["Klantprofielen Midden-Limburg: ontwikkeling", "",
             "Kwartaal;Gemeenteklanten profiel;Gemeenteklanten geen profiel;UWV profiel;UWV geen profiel;Totaal"]
    for quarter in range(1, 5):
        t = report.totals
        lines.append(f"2021 Q{quarter};{t.municipal_with_profile};{t.municipal_without_profile};"
                     f"{t.uwv_with_profile};{t.uwv_without_profile};{t.total}")
    return "\r\n".join(lines).encode()


def _regions_html() -> bytes:
    rows = "".join(f"<tr><td>{name}</td><td>{a}</td><td>{b}</td><td>{c}</td><td>{d}</td><td>{a + b + c + d}</td></tr>"
                   for name, (a, b, c, d) in [("Midden-Limburg", (238, 572, 1519, 208)),
                                              ("West-Brabant", (195, 1491, 2319, 1021))])
    return (f"<html><body><h1>Klantprofielen per arbeidsmarktregio</h1><p>Vierde kwartaal 2021</p><table>"
            f"<tr><th>Arbeidsmarktregio</th><th>Gemeente profiel</th><th>Gemeente geen profiel</th><th>UWV profiel</th>"
            f"<th>UWV geen profiel</th><th>Totaal in Sonar</th></tr>{rows}"
            f"<tr><td>Totaal Nederland</td><td>433</td><td>2063</td><td>3838</td><td>1229</td><td>7563</td></tr>"
            f"</table></body></html>").encode()


def _other_statistic_xlsx() -> bytes:
    """Another statistic per municipality, with a TOTAAL AMR row of its own."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Arbeidsmarkt Midden-Limburg", "Vierde kwartaal 2021"])
    sheet.append(["Gemeente", "Inwoners 15-75", "Beroepsbevolking", "Werkzoekenden", "WW-uitkeringen", "Bijstand"])
    sheet.append(["Roermond", 43_000, 29_000, 2_100, 900, 1_800])
    sheet.append(["Weert", 38_000, 26_000, 1_500, 700, 1_100])
    sheet.append(["TOTAAL AMR", 81_000, 55_000, 3_600, 1_600, 2_900])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


MEMO = b"""MEMO
Aan: MT Werk en Inkomen
Van: Team Analyse
Onderwerp: Klantprofielen Vierde kwartaal 2021

In de arbeidsmarktregio Midden-Limburg stonden in het vierde kwartaal 2.537 mensen in Sonar (TOTAAL AMR),
van wie 1.519 UWV-klanten met een profiel. Het doelgroepregister telt 3.627 personen.
"""
MAIL = b"Van: p.jansen@gemeente.nl\nAan: team@gemeente.nl\nOnderwerp: cijfers\n\nHoi, in Sonar staan nu 2.537 " \
       b"mensen uit onze regio, zie het rapport Transparantie van klantprofielen.\n"

REJECTS = {
    "pdf-glyphs-without-unicode": (pdf_without_unicode(sample_report("midden-limburg")),
                                   r"^unreadable PDF: its text is glyph codes without a Unicode mapping, not text$"),
    "csv-quarterly-trend": (_trend_csv(), r"^not a report table: its rows are periods \(a trend over quarters\)"),
    "html-table-per-region": (_regions_html(), r"^not a report table: a table per region with a total for the "
                                               r"country"),
    "xlsx-other-statistic-with-totaal-amr": (_other_statistic_xlsx(), r"^not a report table: its columns are "
                                                                       r"Gemeente, Inwoners 15-75, Beroepsbevolking"),
    "memo": (MEMO, r"^not a report table: a memo that gives figures in its text, without the report's table$"),
    "mail": (MAIL, r"^not a report table: a mail that gives figures in its text, without the report's table$"),
    "prose": (b"De klantprofielen van Weert: 457 mensen in Sonar.\n",
              r"^not a report table: prose that gives figures in its text, without the report's table$"),
}


@pytest.mark.parametrize("case", list(REJECTS))
def test_what_is_not_a_report_is_refused_for_what_it_is(case: str) -> None:
    data, reason = REJECTS[case]
    with pytest.raises(NotAReport, match=reason) as caught:
        parse_report(data)
    assert "\n" not in caught.value.reason


def test_a_report_behind_a_trend_sheet_is_read_and_the_trend_alone_is_refused() -> None:
    report = sample_report("midden-limburg")
    assert unlocated(parse_report(render_variant(report, "xlsx-behind-a-trend-sheet-at-c5")).rows) == report.rows
    with pytest.raises(NotAReport, match="its rows are periods"):
        parse_report(_trend_csv(), name="trend.csv")


@pytest.mark.parametrize("variant", list(PRODUCER_VARIANTS))
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(report=reports())
def test_random_reports_survive_every_producer(variant: str, report: ParsedReport) -> None:
    parsed = parse_report(render_variant(report, variant), name="upload")
    assert parsed.format == PRODUCER_VARIANTS[variant][0]
    assert figures(parsed) == expected_document(report, variant)


def test_a_region_cell_run_into_the_name_with_less_than_a_column_gap_is_parted_from_it() -> None:
    """A browser prints narrow cells with little padding: the region's text ends closer to the name
    than a column gap, so only the name column, where the other rows' names start, parts them."""
    height = 9.0

    def word(text: str, left: float, top: float) -> Word:
        return Word(left, top - height, left + 5.0 * len(text), top, text)

    def counts(top: float) -> list[Word]:
        return [word(str(n), 200.0 + 40 * i, top) for i, n in enumerate((1, 2, 3, 4, 10))]

    words = [word("Cranendonck", 94, 700), *counts(700),
             word("West-Brabant", 30, 685), word("Leudal", 94, 685), *counts(685),  # 4 pt apart: one cell
             word("TOTAAL", 94, 670), word("AMR", 130, 670), *counts(670)]
    # The region cell goes to the table's first row, as the rowspan cell it is.
    assert page_lines(words) == ["West-Brabant\tCranendonck\t1\t2\t3\t4\t10", "\tLeudal\t1\t2\t3\t4\t10",
                                 "\tTOTAAL AMR\t1\t2\t3\t4\t10"]
