"""Where on a report's table each finding belongs: a row's cell, the TOTAAL row's cell, the footnote,
or (a municipality that is not in the table, e.g. municipality_missing) a note of its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TOTAAL = "TOTAAL"
FOOTNOTE_CHECKS = ("percent_in_sonar", "register_size", "register_change")


@dataclass
class Marks:
    cells: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)  # (row, field) -> findings
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # row -> findings on it
    footnote: list[dict[str, Any]] = field(default_factory=list)
    elsewhere: list[dict[str, Any]] = field(default_factory=list)

    def cell(self, row: str, name: str) -> str:
        """The CSS class of a marked cell: error wins over warning."""
        severities = {f["severity"] for f in self.cells.get((row, name), [])}
        return "mark-error" if "error" in severities else ("mark-warning" if severities else "")

    def row(self, row: str) -> str:
        severities = {f["severity"] for f in self.rows.get(row, [])}
        return "row-error" if "error" in severities else ("row-warning" if severities else "")


def mark_findings(rows: list[dict[str, Any]], findings: list[dict[str, Any]]) -> Marks:
    """Put each finding on the row and cell it concerns."""
    marks = Marks()
    names = {row["municipality"] for row in rows}
    by_code = {row["municipality_code"]: row["municipality"] for row in rows if row.get("municipality_code")}
    for number, finding in enumerate(findings, start=1):
        finding["number"] = number
        if finding["check"] in FOOTNOTE_CHECKS:
            marks.footnote.append(finding)
            continue
        municipality = finding.get("municipality")
        if municipality not in names and finding.get("municipality_code") in by_code:
            municipality = by_code[finding["municipality_code"]]
        target = TOTAAL if municipality is None and finding["check"] == "column_total" else municipality
        if target is None or (target != TOTAAL and target not in names):
            marks.elsewhere.append(finding)
            continue
        marks.rows.setdefault(target, []).append(finding)
        marks.cells.setdefault((target, finding.get("field") or "total"), []).append(finding)
    return marks
