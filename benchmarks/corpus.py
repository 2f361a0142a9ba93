"""A deterministic corpus: distinct reports (one per region and quarter, never repeated within a run)
rendered in every supported format with tests/report_renderers.py."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.models import Counts, ParsedReport, Period, Region, Register, Row
from shared.reference import tables as reference_tables

try:
    from tests.report_renderers import figures, render
except ModuleNotFoundError as exc:  # fpdf2 / openpyxl come with the test extras
    raise SystemExit(f"benchmarks need the test extras (pip install -e '.[test]'): {exc}") from None

# kind -> (renderer format, renderer options, file suffix, format the parser reports)
KINDS: dict[str, tuple[str, dict[str, Any], str, str]] = {
    "pdf": ("pdf", {}, ".pdf", "pdf"),
    "html": ("html", {}, ".html", "html"),
    "text-tabs": ("text", {"style": "tabs"}, ".txt", "text"),
    "text-pdf-edition": ("text", {"style": "pdf-edition"}, ".txt", "text"),
    "csv": ("csv", {}, ".csv", "csv"),
    "xlsx": ("xlsx", {}, ".xlsx", "xlsx"),
}
MIX: tuple[str, ...] = tuple(KINDS)
TEXT_ONLY: tuple[str, ...] = ("text-tabs", "text-pdf-edition")

# The real regions and, in each, the municipalities of the reference's latest year: a report names
# what the identities (issue 14) resolve, as real reports do. Years start at that year, so that every
# quarter of a region has the same municipalities (the reference keeps its last year for later years).
FIRST_YEAR = max(record.year for record in reference_tables.municipalities())
REGIONS: tuple[tuple[int, str], ...] = tuple((record.uwv_code, record.name) for record in reference_tables.regions())
MEMBERS: dict[int, tuple[str, ...]] = {
    code: tuple(record.name for record in reference_tables.municipalities()
                if record.year == FIRST_YEAR and record.regions_2015 == frozenset({code}))
    for code, _ in REGIONS}


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    kind: str
    fmt: str  # the format parse_report reports
    pages: int  # PDF pages (1 for every other format)
    report: ParsedReport

    @property
    def name(self) -> str:
        return self.path.name


class ReportFactory:
    """Reports with random figures that reconcile; the n-th report of a factory has its own region and
    quarter (regions first, then quarters, then years from FIRST_YEAR), so no two are alike. As in the
    real reports, a region keeps its municipalities from quarter to quarter and their figures move by a
    few percent (a region's first report draws them): the cross-quarter checks find what they would
    find in real data, not a dozen changes per report."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._count = 0
        self._last: dict[int, tuple[Row, ...]] = {}  # region index -> its previous quarter's rows

    def next(self) -> ParsedReport:
        n = self._count
        self._count += 1
        rng = self._rng
        region_index, rest = n % len(REGIONS), n // len(REGIONS)
        period = Period(year=FIRST_YEAR + rest // 4, quarter=rest % 4 + 1)
        previous = self._last.get(region_index)
        code, name = REGIONS[region_index]
        if previous is None:
            rows = tuple(_row(rng, municipality) for municipality in MEMBERS[code])
        else:
            trend = rng.uniform(0.98, 1.02)
            rows = tuple(_drifted(rng, row, trend) for row in previous)
        self._last[region_index] = rows
        totals = Counts(**{field: sum(getattr(row, field) for row in rows) for field in Counts.model_fields})
        size = round(totals.total * (1.5 + (region_index % 7) / 10))
        register = Register(size=size, percent_in_sonar=round(100 * totals.total / size))
        return ParsedReport(format="text", region=Region(code=code, name=name),
                            period=period, rows=rows, totals=totals, register=register)


def _row(rng: random.Random, name: str) -> Row:
    a, b, c, d = rng.randint(0, 150), rng.randint(0, 600), rng.randint(0, 800), rng.randint(0, 250)
    return _counted(name, a, b, c, d)


def _drifted(rng: random.Random, row: Row, trend: float) -> Row:
    """The row a quarter later: the region's trend and a little noise of its own per count."""
    def moved(value: int | None) -> int:
        return max(0, round((value or 0) * trend * rng.uniform(0.99, 1.01)))
    return _counted(row.municipality, moved(row.municipal_with_profile), moved(row.municipal_without_profile),
                    moved(row.uwv_with_profile), moved(row.uwv_without_profile))


def _counted(name: str, a: int, b: int, c: int, d: int) -> Row:
    return Row(municipality=name, municipal_with_profile=a, municipal_without_profile=b, uwv_with_profile=c,
               uwv_without_profile=d, total=a + b + c + d)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()


def _options(kind: str, occurrence: int, report: ParsedReport) -> tuple[dict[str, Any], int]:
    fmt, options, _, _ = KINDS[kind]
    options = dict(options)
    pages = 1
    if fmt == "pdf" and len(report.rows) >= 4 and occurrence % 2:
        options["pages"] = pages = 2  # every other PDF on two pages, for the per-page cost
    if fmt == "csv":
        options["delimiter"] = ";" if occurrence % 2 == 0 else ","
    return options, pages


def _render_one(job: tuple[ParsedReport, str, dict[str, Any], str]) -> None:
    report, fmt, options, path = job
    Path(path).write_bytes(render(report, fmt, **options))


def build_set(factory: ReportFactory, directory: Path, label: str, count: int,
              kinds: Sequence[str], *, workers: int = 1) -> list[CorpusFile]:
    """Render `count` new reports into `directory`, cycling through `kinds`."""
    directory.mkdir(parents=True, exist_ok=True)
    files: list[CorpusFile] = []
    jobs: list[tuple[ParsedReport, str, dict[str, Any], str]] = []
    for index in range(count):
        kind = kinds[index % len(kinds)]
        fmt, _, suffix, parsed_fmt = KINDS[kind]
        report = factory.next()
        options, pages = _options(kind, index // len(kinds), report)
        name = (f"{label}-{index:05d}-{kind}-{_slug(report.region.name)}-"
                f"{report.period.year}q{report.period.quarter}{suffix}")
        path = directory / name
        files.append(CorpusFile(path=path, kind=kind, fmt=parsed_fmt, pages=pages, report=report))
        jobs.append((report, fmt, options, str(path)))
    if workers > 1 and count >= 200:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            list(pool.map(_render_one, jobs, chunksize=64))
    else:
        for job in jobs:
            _render_one(job)
    return files


def expected_figures(item: CorpusFile) -> dict[str, Any]:
    """What parsing the file must give back, but for the format and locations (the PDF-edition text
    prints no region code)."""
    document = figures(item.report)
    if item.kind == "text-pdf-edition":
        document["region"]["code"] = None
    return document
