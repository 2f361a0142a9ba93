"""A parse of one small bundled report per format, done when a worker starts.

It fails the start, in one line, when a parser cannot work (a missing or broken library would
otherwise send every file of that format to quarantine as unsupported or unreadable), and it brings
each worker process to its working size before its first job: the parsers' imports, pdfium's and
calamine's first-use allocations. So the first PDF a process sees is not the slow one, and a worker's
memory at start is the memory it works with."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from shared.models import ParsedReport
from shared.parsing.detect import parse_report
from shared.parsing.errors import NotAReport

SAMPLE_DIR = Path(__file__).with_name("samples")
# sample file -> the format it must be detected as (scripts/render-parser-samples writes them)
SAMPLES = {"sample.pdf": "pdf", "sample.html": "html", "sample.tabs.txt": "text",
           "sample.pdf-edition.txt": "text", "sample.csv": "csv", "sample.xlsx": "xlsx", "sample.ods": "ods",
           "sample.xls": "xls"}
# What every sample holds: the figures of the Midden-Limburg seed, 2021 Q4.
EXPECTED = {"region": "Midden-Limburg", "year": 2021, "quarter": 4, "rows": 8, "total_in_sonar": 2537,
            "register_size": 3627}


def check_parsers() -> list[str]:
    """Parse every sample; one line per sample that failed or read other figures (empty: all good)."""
    problems = []
    for fmt in dict.fromkeys(SAMPLES.values()):
        try:  # first on its own: parse_report would hide why a parser's library did not load
            import_module(f"shared.parsing.{fmt}")
        except ImportError as exc:
            problems.append(f"{fmt} parser: {type(exc).__name__}: {' '.join(str(exc).split())}")
    for name, fmt in SAMPLES.items():
        try:
            report = parse_report((SAMPLE_DIR / name).read_bytes(), name=name)
        except (OSError, NotAReport) as exc:
            problems.append(f"{name}: {exc}")
            continue
        read = {"format": report.format, **_figures(report)}
        expected = {"format": fmt, **EXPECTED}
        wrong = ", ".join(f"{key} {read[key]!r} (expected {value!r})" for key, value in expected.items()
                          if read[key] != value)
        if wrong:
            problems.append(f"{name}: read {wrong}")
    return problems


def _figures(report: ParsedReport) -> dict[str, object]:
    return {"region": report.region.name, "year": report.period.year, "quarter": report.period.quarter,
            "rows": len(report.rows), "total_in_sonar": report.totals.total,
            "register_size": report.register.size if report.register else None}
