"""Series charts as server-rendered SVG: one polyline per municipality (TOTAAL in a chart of its own),
one group of lines per count so that the page's small script can switch counts without a request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from services.web.queries import Series, quarter_label
from shared.models import TOTAL_FIELDS

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 34
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#393b79", "#637939", "#843c39", "#7b4173", "#3182bd", "#e6550d")
COUNT_LABELS = {
    "total": "Totaal in Sonar",
    "municipal_with_profile": "Gemeente, met profiel",
    "municipal_without_profile": "Gemeente, zonder profiel",
    "uwv_with_profile": "UWV, met profiel",
    "uwv_without_profile": "UWV, zonder profiel",
}
COUNTS = ("total", *(name for name in TOTAL_FIELDS if name != "total"))


@dataclass
class Line:
    key: str
    label: str
    color: str
    points: str
    single: tuple[float, float] | None  # a series of one point is drawn as a dot


@dataclass
class Marker:
    x: float
    y: float
    title: str


@dataclass
class CountChart:
    count: str
    label: str
    y_ticks: list[tuple[float, str]]
    lines: list[Line]
    markers: list[Marker] = field(default_factory=list)


@dataclass
class Chart:
    width: int
    height: int
    x_ticks: list[tuple[float, str]]
    counts: list[CountChart]
    plot: tuple[int, int, int, int] = (LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM)


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def municipality_chart(series: Series) -> Chart:
    """One line per municipality for each count; warnings as markers on the line they concern."""
    lines = {key: [(quarter, row) for quarter, row in points.items()]
             for key, points in series.municipalities.items()}
    markers = [(w.get("series_key"), (w["year"], w["quarter"]), w) for w in series.warnings]
    return _chart(series.quarters, lines, markers, series.names)


def totaal_chart(series: Series) -> Chart:
    """The TOTAAL AMR row over the quarters (one line), with the region's warnings that name no municipality."""
    rows = [((row["year"], row["quarter"]), row) for row in series.totals]
    markers = [("TOTAAL", (w["year"], w["quarter"]), w) for w in series.warnings if not w.get("series_key")]
    return _chart(series.quarters, {"TOTAAL": rows}, markers, {"TOTAAL": "TOTAAL AMR"})


def _chart(quarters: list[tuple[int, int]], lines: dict[str, list[tuple[tuple[int, int], dict[str, Any]]]],
           warnings: Sequence[tuple[str | None, tuple[int, int], dict[str, Any]]], labels: dict[str, str]) -> Chart:
    x0, y0, x1, y1 = LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM
    index = {quarter: i for i, quarter in enumerate(quarters)}
    span = max(len(quarters) - 1, 1)

    def x_of(quarter: tuple[int, int]) -> float:
        return round(x0 + (x1 - x0) * (index[quarter] / span if len(quarters) > 1 else 0.5), 1)

    step = max(1, len(quarters) // 8)
    x_ticks = [(x_of(q), quarter_label(*q)) for i, q in enumerate(quarters) if i % step == 0]
    counts = []
    for count in COUNTS:
        top = max((row[count] for points in lines.values() for _, row in points), default=0)
        scale_top = _nice_ceiling(top)

        def y_of(value: float, scale_top: float = scale_top) -> float:
            return round(y1 - (y1 - y0) * (value / scale_top), 1)

        drawn = []
        for i, (key, points) in enumerate(lines.items()):
            coordinates = [(x_of(q), y_of(row[count])) for q, row in points if q in index]
            drawn.append(Line(key=key, label=labels.get(key, key), color=colour(i),
                              points=" ".join(f"{x},{y}" for x, y in coordinates),
                              single=coordinates[0] if len(coordinates) == 1 else None))
        chart = CountChart(count=count, label=COUNT_LABELS[count],
                           y_ticks=[(y_of(scale_top * k / 4), f"{round(scale_top * k / 4):,}".replace(",", "."))
                                    for k in range(5)],
                           lines=drawn)
        for marked, quarter, warning in warnings:
            at = dict(lines.get(marked or "", []))
            if quarter not in at or quarter not in index:
                continue
            if warning.get("field") not in (None, count) and count != "total":
                continue
            chart.markers.append(Marker(x=x_of(quarter), y=y_of(at[quarter][count]),
                                        title=f"{warning['check']}: {labels.get(marked or '', marked)} "
                                              f"{quarter_label(*quarter)} (expected {warning['expected']}, "
                                              f"printed {warning['actual']})"))
        counts.append(chart)
    return Chart(width=WIDTH, height=HEIGHT, x_ticks=x_ticks, counts=counts)


def _nice_ceiling(value: float) -> float:
    """The next round number at or above the value (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        if value <= factor * magnitude:
            return float(factor * magnitude)
    return float(10 * magnitude)
