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

REGIONS = (
    "Groningen", "Friesland", "Drenthe", "Regio Zwolle", "Twente", "Stedendriehoek en Noordwest Veluwe",
    "Achterhoek", "Midden-Gelderland", "Rijk van Nijmegen", "Rivierenland", "FoodValley", "Midden-Utrecht",
    "Amersfoort", "Zaanstreek/Waterland", "Noord-Holland Noord", "Zuid-Kennemerland en IJmond",
    "Groot Amsterdam", "Gooi en Vechtstreek", "Holland Rijnland", "Haaglanden", "Midden-Holland",
    "Rijnmond", "Drechtsteden", "Gorinchem", "Zeeland", "West-Brabant", "Midden-Brabant",
    "Noordoost-Brabant", "Zuidoost-Brabant", "Noord-Limburg", "Midden-Limburg", "Zuid-Limburg",
    "Flevoland", "Helmond-De Peel", "Zuid-Holland Centraal",
)
MUNICIPALITIES = (
    "Amsterdam", "Rotterdam", "Utrecht", "Eindhoven", "Tilburg", "Almere", "Breda", "Nijmegen", "Apeldoorn",
    "Haarlem", "Arnhem", "Enschede", "Zaanstad", "Zwolle", "Leiden", "Zoetermeer", "Maastricht",
    "Dordrecht", "Ede", "Alphen aan den Rijn", "Alkmaar", "Emmen", "Westland", "Delft", "Venlo", "Deventer",
    "Sittard-Geleen", "Helmond", "Oss", "Hilversum", "Heerlen", "Amstelveen", "Nissewaard", "Hengelo",
    "Purmerend", "Roosendaal", "Schiedam", "Lelystad", "Leidschendam-Voorburg", "Almelo", "Hoorn", "Gouda",
    "Vlaardingen", "Assen", "Velsen", "Capelle aan den IJssel", "Veenendaal", "Katwijk", "Zeist",
    "Nieuwegein", "Roermond", "Den Helder", "Doetinchem", "Hoogeveen", "Terneuzen", "Kampen", "Woerden",
    "Houten", "Weert", "Barneveld", "Lansingerland", "Veldhoven", "Middelburg", "Hardenberg", "Ridderkerk",
    "Soest", "Waalwijk", "Zwijndrecht", "Oosterhout", "Pijnacker-Nootdorp", "Heerenveen", "Rijswijk",
    "Schagen", "Kerkrade", "Smallingerland", "Meierijstad", "De Fryske Marren", "Noordoostpolder", "Goes",
    "Tiel", "Harderwijk", "Bergen op Zoom", "Etten-Leur", "Uden", "Culemborg", "Wijchen", "Zutphen",
    "IJsselstein", "Stichtse Vecht", "Geldrop-Mierlo", "Venray", "Best", "Steenwijkerland", "Waadhoeke",
    "Beverwijk", "Valkenswaard", "'s-Hertogenbosch", "Súdwest-Fryslân", "Nuenen, Gerwen en Nederwetten",
)
FIRST_YEAR = 2000


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
    quarter (regions first, then quarters, then years from FIRST_YEAR), so no two are alike."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._count = 0

    def next(self) -> ParsedReport:
        n = self._count
        self._count += 1
        rng = self._rng
        region_index, rest = n % len(REGIONS), n // len(REGIONS)
        period = Period(year=FIRST_YEAR + rest // 4, quarter=rest % 4 + 1)
        rows = tuple(_row(rng, name) for name in rng.sample(MUNICIPALITIES, rng.randint(3, 20)))
        totals = Counts(**{field: sum(getattr(row, field) for row in rows) for field in Counts.model_fields})
        size = totals.total + rng.randint(1, 3000)
        register = Register(size=size, percent_in_sonar=round(100 * totals.total / size))
        return ParsedReport(format="text", region=Region(code=region_index + 1, name=REGIONS[region_index]),
                            period=period, rows=rows, totals=totals, register=register)


def _row(rng: random.Random, name: str) -> Row:
    a, b, c, d = rng.randint(0, 150), rng.randint(0, 600), rng.randint(0, 800), rng.randint(0, 250)
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
