"""Reports of one region over several quarters, built from a seed's figures and rendered as text files."""

from __future__ import annotations

from shared.models import Counts, ParsedReport, Period, Region, Register, Row
from tests.report_renderers import render, sample_report


def report(year: int, quarter: int, rows: dict[str, tuple[int, int, int, int]], *, region: Region,
           register: int | None = None) -> bytes:
    """A clean report (row totals and TOTAAL add up) as a text file; the register percentage fits."""
    made = tuple(Row(municipality=name, municipal_with_profile=a, municipal_without_profile=b, uwv_with_profile=c,
                     uwv_without_profile=d, total=a + b + c + d) for name, (a, b, c, d) in rows.items())
    totals = Counts(**{field: sum(getattr(row, field) for row in made) for field in Counts.model_fields})
    size = register if register is not None else round(totals.total / 0.7)
    fitting = Register(size=size, percent_in_sonar=round(100 * totals.total / size))
    parsed = ParsedReport(format="text", region=region, period=Period(year=year, quarter=quarter), rows=made,
                          totals=totals, register=fitting)
    return render(parsed, "text")


def midden_limburg_rows() -> dict[str, tuple[int, int, int, int]]:
    return {row.municipality: (row.municipal_with_profile, row.municipal_without_profile, row.uwv_with_profile,
                               row.uwv_without_profile) for row in sample_report("midden-limburg").rows}


MIDDEN_LIMBURG = Region(code=34, name="Midden-Limburg")
ZUID_LIMBURG = Region(code=35, name="Zuid-Limburg")


def a_few_percent(rows: dict[str, tuple[int, int, int, int]]) -> dict[str, tuple[int, int, int, int]]:
    """An ordinary next quarter: every count up by about three percent."""
    return {name: tuple(round(n * 1.03) for n in counts) for name, counts in rows.items()}  # type: ignore[misc]
