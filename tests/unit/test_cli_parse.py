from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import seed_variants
from tests.cli_helpers import klantprofielen
from tests.conftest import MIDDEN_LIMBURG, WEST_BRABANT


def test_parse_json_prints_the_contract_document() -> None:
    result = klantprofielen("parse", str(MIDDEN_LIMBURG), "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == {"source", "region", "period", "rows", "totals", "register", "findings",
                             "totals_location"}
    assert document["source"]["format"] == "text" and len(document["source"]["sha256"]) == 64
    assert document["region"] == {"code": 34, "name": "Midden-Limburg"}
    assert document["period"] == {"year": 2021, "quarter": 4}
    assert document["rows"][0] == {"municipality": "Cranendonck", "municipal_with_profile": 1,
                                   "municipal_without_profile": 27, "uwv_with_profile": 93,
                                   "uwv_without_profile": 13, "total": 134, "municipality_code": "GM1706",
                                   "location": {"line": 27}}  # the line of the file, only the keys it has
    assert document["totals"]["total"] == 2537
    assert document["totals_location"] == {"line": 35}
    assert document["register"] == {"size": 3627, "percent_in_sonar": 70, "location": {"line": 37}}
    assert document["findings"] == []


def test_parse_lists_findings_and_still_exits_zero(tmp_path: Path) -> None:
    broken = tmp_path / "broken.txt"
    broken.write_bytes(seed_variants.broken_column_total())
    result = klantprofielen("parse", str(broken), "--json")
    assert result.returncode == 0
    document = json.loads(result.stdout)
    # A column_total finding points at the TOTAAL AMR row.
    assert document["findings"] == [
        {"check": "column_total", "severity": "error", "municipality": None, "field": "uwv_with_profile",
         "expected": 1519, "actual": 1520, "municipality_code": None, "compared_with": None, "method": None,
         "bounds": None, "location": {"line": 35}}]
    assert document["totals_location"] == {"line": 35}


def test_parse_human_output_shows_the_table() -> None:
    result = klantprofielen("parse", str(WEST_BRABANT))
    assert result.returncode == 0
    assert "West-Brabant, 2020 Q4" in result.stdout
    assert "Breda" in result.stdout and "5026" in result.stdout and "reconciliation: ok" in result.stdout


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty file"),
    (b"\x00\x01\x02garbage" * 50, "unsupported format"),
    (b"just some words\nand more words\n", "not a report table"),
])
def test_parse_rejects_a_non_report_with_one_line(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "not-a-report.txt"
    path.write_bytes(content)
    result = klantprofielen("parse", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert reason in lines[0] and str(path) in lines[0]
    assert "Traceback" not in result.stderr


def test_parse_of_a_cut_off_table_says_so(tmp_path: Path) -> None:
    data = seed_variants.west_brabant()
    path = tmp_path / "cut.txt"
    path.write_bytes(data[: data.index(b" TOTAAL AMR")])
    result = klantprofielen("parse", str(path))
    assert result.returncode == 2
    assert result.stderr.strip() == f"klantprofielen: {path}: table cut off: no TOTAAL AMR row"


def test_parse_of_a_missing_file_is_one_line(tmp_path: Path) -> None:
    result = klantprofielen("parse", str(tmp_path / "nope.pdf"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "No such file" in result.stderr


def test_bad_setting_fails_at_start_with_one_line(tmp_path: Path) -> None:
    result = klantprofielen("reports", env={"KLANTPROFIELEN_MAX_FILE_BYTES": "lots"})
    assert result.returncode == 2
    assert result.stderr.startswith("klantprofielen: invalid setting max_file_bytes")
    assert result.stderr.count("\n") == 1
