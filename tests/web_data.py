"""A small store filled through the real pipeline, for the web view's tests: a region over eight quarters
with a corrected re-issue of the last (written later: it becomes current, the first is superseded), a
second region with a clean version and a broken one (held: it has error findings), a duplicate, a
quarantined file, and one warning finding added by hand (the cross-quarter checks that will raise
them are not wired in yet)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from sqlalchemy import text

from services.worker.pipeline import ingest_file
from shared.config import Settings
from shared.models import Counts, ParsedReport, Period, Register, Row
from shared.store.db import get_engine, upgrade_schema
from tests import seed_variants
from tests.report_renderers import render, sample_report

QUARTERS = [(2021, 1), (2021, 2), (2021, 3), (2021, 4), (2022, 1), (2022, 2), (2022, 3), (2022, 4)]


def report_for(seed: str, year: int, quarter: int, step: int) -> ParsedReport:
    """The seed's municipalities with figures that grow a little each quarter, adding up exactly."""
    base = sample_report(seed)
    rows = tuple(Row(municipality=row.municipality,
                     municipal_with_profile=row.municipal_with_profile + step,
                     municipal_without_profile=row.municipal_without_profile + 2 * step,
                     uwv_with_profile=row.uwv_with_profile + 3 * step + i,
                     uwv_without_profile=row.uwv_without_profile,
                     total=row.total + 6 * step + i) for i, row in enumerate(base.rows))
    totals = Counts(**{name: sum(getattr(row, name) for row in rows) for name in Counts.model_fields})
    size = round(totals.total / 0.7)
    register = Register(size=size, percent_in_sonar=round(100 * totals.total / size))
    return base.model_copy(update={"period": Period(year=year, quarter=quarter), "rows": rows, "totals": totals,
                                   "register": register})


@dataclass
class Filled:
    settings: Settings
    outcomes: dict[str, str] = field(default_factory=dict)  # file name -> outcome
    region: str = "Midden-Limburg"
    municipalities: tuple[str, ...] = ()


def drop_and_ingest(settings: Settings, name: str, data: bytes, *, written_later_by: float = 0.0) -> str:
    settings.inbox.mkdir(parents=True, exist_ok=True)
    path = settings.inbox / name
    path.write_bytes(data)
    if written_later_by:
        moment = time.time() + written_later_by
        os.utime(path, (moment, moment))
    outcome = ingest_file(path, settings=settings)
    assert outcome is not None
    return str(outcome)


def fill(settings: Settings) -> Filled:
    upgrade_schema(settings.effective_database_url)  # as `klantprofielen db upgrade` does
    filled = Filled(settings=settings,
                    municipalities=tuple(row.municipality for row in sample_report("midden-limburg").rows))
    for step, (year, quarter) in enumerate(QUARTERS):
        name = f"midden-limburg {year}q{quarter}.txt"
        filled.outcomes[name] = drop_and_ingest(settings, name, render(report_for("midden-limburg", year, quarter,
                                                                                  step), "text"))
    corrected = "midden-limburg 2022q4 corrected.txt"
    filled.outcomes[corrected] = drop_and_ingest(settings, corrected, render(report_for("midden-limburg", 2022, 4, 9),
                                                                             "text"), written_later_by=60)
    filled.outcomes["west-brabant 2020q4.txt"] = drop_and_ingest(settings, "west-brabant 2020q4.txt",
                                                                 seed_variants.west_brabant())
    filled.outcomes["west-brabant again.txt"] = drop_and_ingest(settings, "west-brabant again.txt",
                                                                seed_variants.west_brabant())
    filled.outcomes["west-brabant broken.txt"] = drop_and_ingest(settings, "west-brabant broken.txt",
                                                                 seed_variants.broken_row_total())
    filled.outcomes["notes.txt"] = drop_and_ingest(settings, "notes.txt", b"just some notes, not a report\n")
    add_warning(settings, region="Midden-Limburg", year=2022, quarter=3, municipality="Roermond")
    return filled


def add_warning(settings: Settings, *, region: str, year: int, quarter: int, municipality: str) -> None:
    """A quarter_change warning on the current report, as the cross-quarter checks will store one."""
    with get_engine(settings.effective_database_url).begin() as connection:
        report_id = connection.execute(text("SELECT id FROM report WHERE region_name = :r AND year = :y AND "
                                            "quarter = :q AND is_current"),
                                       {"r": region, "y": year, "q": quarter}).scalar_one()
        connection.execute(text('INSERT INTO finding (report_id, "check", severity, municipality, field, expected, '
                                "actual) VALUES (:id, 'quarter_change', 'warning', :m, 'total', 1000, 3000)"),
                           {"id": report_id, "m": municipality})
