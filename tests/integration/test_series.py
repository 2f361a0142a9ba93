"""Series for consumers: `klantprofielen series` and the series views, across a merger."""

from __future__ import annotations

import csv
import io
import json

from services.worker.pipeline import ingest_file
from shared.config import Settings
from tests.cli_helpers import klantprofielen
from tests.quarter_reports import ZUID_LIMBURG, report

ZUID_2018 = {"Sittard-Geleen": (40, 300, 700, 90), "Nuth": (3, 20, 40, 6), "Onderbanken": (1, 10, 20, 3),
             "Schinnen": (2, 12, 30, 4)}
ZUID_2019 = {"Sittard-Geleen": (41, 305, 710, 92), "Beekdaelen": (6, 42, 90, 13)}


def store(settings: Settings, name: str, data: bytes) -> None:
    settings.inbox.mkdir(parents=True, exist_ok=True)
    (settings.inbox / name).write_bytes(data)
    assert ingest_file(settings.inbox / name, settings=settings) == "stored"


def test_a_series_is_followed_across_a_merger(settings: Settings) -> None:
    store(settings, "zl-2018q4.txt", report(2018, 4, ZUID_2018, region=ZUID_LIMBURG))
    store(settings, "zl-2019q1.txt", report(2019, 1, ZUID_2019, region=ZUID_LIMBURG))
    env = {"KLANTPROFIELEN_DATABASE_URL": settings.effective_database_url}

    result = klantprofielen("series", "--municipality", "Beekdaelen", "--json", env=env)
    assert result.returncode == 0, result.stderr
    [beekdaelen] = json.loads(result.stdout)["municipalities"]
    assert (beekdaelen["municipality_code"], beekdaelen["year"], beekdaelen["quarter"]) == ("GM1954", 2019, 1)
    assert beekdaelen["predecessor_codes"] == ["GM0881", "GM0951", "GM0962"]
    predecessors_total = sum(sum(ZUID_2018[name]) for name in ("Nuth", "Onderbanken", "Schinnen"))
    assert beekdaelen["previous_total"] == predecessors_total
    assert beekdaelen["total_change"] == sum(ZUID_2019["Beekdaelen"]) - predecessors_total

    by_code = json.loads(klantprofielen("series", "--municipality", "GM1883", "--json", env=env).stdout)
    assert [(r["year"], r["total"], r["total_change"], r["predecessor_codes"]) for r in by_code["municipalities"]] == [
        (2018, 1130, None, []), (2019, 1148, 18, [])]

    region = json.loads(klantprofielen("series", "--region", "Zuid-Limburg", "--json", env=env).stdout)
    before, after = (sum(map(sum, rows.values())) for rows in (ZUID_2018, ZUID_2019))
    assert [(r["year"], r["quarter"], r["total"], r["total_change"]) for r in region["regions"]] == [
        (2018, 4, before, None), (2019, 1, after, after - before)]
    assert len(region["municipalities"]) == 6

    as_csv = klantprofielen("series", "--region", "35", "--csv", env=env)
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert len(rows) == 6 and {"municipality_code", "total_change", "predecessor_codes"} <= set(rows[0])
    assert [r["predecessor_codes"] for r in rows if r["municipality_code"] == "GM1954"] == ["GM0881 GM0951 GM0962"]
