"""Human-readable renderings for the terminal."""

from __future__ import annotations

from typing import Any

from shared.models import ReportDocument

_QUARTER_NAMES = {1: "Q1", 2: "Q2", 3: "Q3", 4: "Q4"}


def describe_document(document: ReportDocument) -> str:
    """A report as a small table, followed by its findings."""
    region = document.region
    title = (f"{region.code} {region.name}" if region.code is not None else region.name)
    lines = [f"{title}, {document.period.year} {_QUARTER_NAMES[document.period.quarter]} "
             f"({document.source.format}, {document.source.path})",
             f"{'municipality':<32} {'gem+p':>7} {'gem-p':>7} {'uwv+p':>7} {'uwv-p':>7} {'total':>8}"]
    for row in document.rows:
        lines.append(f"{row.municipality[:32]:<32} {row.municipal_with_profile:>7} "
                     f"{row.municipal_without_profile:>7} {row.uwv_with_profile:>7} "
                     f"{row.uwv_without_profile:>7} {row.total:>8}")
    t = document.totals
    lines.append(f"{'TOTAAL AMR':<32} {t.municipal_with_profile:>7} {t.municipal_without_profile:>7} "
                 f"{t.uwv_with_profile:>7} {t.uwv_without_profile:>7} {t.total:>8}")
    if document.register:
        lines.append(f"register: {document.register.size} people, "
                     f"{document.register.percent_in_sonar}% known in Sonar")
    lines.extend(_finding_lines(document))
    return "\n".join(lines)


def describe_stored(documents: list[ReportDocument]) -> str:
    """One line per stored report."""
    if not documents:
        return "no reports stored"
    lines = []
    for document in documents:
        status = f"{len(document.findings)} findings" if document.findings else "ok"
        lines.append(f"{document.period.year} Q{document.period.quarter}  {document.region.name:<28} "
                     f"{len(document.rows):>3} rows  total {document.totals.total:>7}  {status:<12} "
                     f"{document.source.path}")
    return "\n".join(lines)


def _finding_lines(document: ReportDocument) -> list[str]:
    if not document.findings:
        return ["reconciliation: ok"]
    lines = [f"reconciliation: {len(document.findings)} finding(s)"]
    for finding in document.findings:
        where = finding.municipality or finding.field or ""
        lines.append(f"  {finding.check} {where}: expected {finding.expected}, actual {finding.actual}")
    return lines


def describe_findings(findings: list[dict[str, Any]]) -> str:
    """One line per stored finding."""
    if not findings:
        return "no findings stored"
    lines = []
    for f in findings:
        where = f["municipality"] or f["field"] or ""
        current = "" if f["is_current"] else " (not current)"
        place = f" at {f['where']}" if f.get("where") else ""
        lines.append(f"{f['year']} Q{f['quarter']}  {f['region_name']:<24} {f['check']:<21} {where:<28} "
                     f"expected {f['expected']}, actual {f['actual']}  {f['file']}{place}{current}")
    return "\n".join(lines)
