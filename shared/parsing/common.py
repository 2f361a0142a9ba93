"""What every format shares: the footnote, and assembling a report from the rows of cells a format
yields. Every parser ends in `assemble_report`. A row of cells may come as `LocatedCells` (located.py),
which says where in the file it was read; the report's rows, TOTAAL AMR row and footnote then carry it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

from pydantic import ValidationError

from shared.models import Counts, Location, ParsedReport, Region, Register, ReportFormat, Row
from shared.parsing.dutch import clean_cell, find_period, is_clean_int, parse_dutch_int, period_from_name
from shared.parsing.errors import NotAReport
from shared.parsing.located import LocatedCells, LocateRow, LocateText, covering, located_like, row_location
from shared.parsing.regions import (
    REGION_CELL,
    region_after_period,
    region_below_period,
    region_from_name,
    region_parameter,
    split_region_code,
)
from shared.parsing.table_kind import NO_ROWS, found_no_table, other_table, without_table

_FOOTNOTE = re.compile(
    # The region is bounded: the table header's "Arbeidsmarktregio" must not start a match.
    r"arbeidsmarktregio\s+(?P<region>[^\t]{1,80}?)\s+bevat\s+het\s+doelgroepregister\s+banenaf?s?praak\s+"
    r"in\s+totaal\s+(?P<size>\d[\d.]*)\s+personen\.?\s+Hiervan\s+is\s+(?P<percent>\d+)\s*%\s+bekend",
    re.IGNORECASE | re.DOTALL,
)
_TOTAL_ROW = re.compile(r"^totaal\s+amr\b", re.IGNORECASE)
MAX_COUNT = 9_999_999
# A labour-market region has a few dozen municipalities; far more rows is not this report, and
# building them would only cost time.
MAX_ROWS = 500


class Footnote(NamedTuple):
    region: str  # the region name it names
    register: Register
    start: int  # where it stands in the text
    end: int


def find_register(text: str) -> Footnote | None:
    """The footnote: the region it names, the register's size and percentage, and where it stands."""
    match = _FOOTNOTE.search(text)
    if not match:
        return None
    region = " ".join(match.group("region").split())
    size = parse_dutch_int(match.group("size"))
    return Footnote(region, Register(size=size, percent_in_sonar=int(match.group("percent"))), *match.span())


def assemble_report(
    fmt: ReportFormat,
    cell_rows: Iterable[Sequence[str]],
    text: str,
    *,
    name_hint: str | None = None,
    title_region: str | None = None,
    locate_text: LocateText | None = None,
) -> ParsedReport:
    """Build the report from rows of cells (name cell, then five numbers, optionally a region cell
    before the name) and the surrounding text (title, footnote). A table whose columns were printed
    on two pages (the names repeated, some counts on each) is joined by municipality name. Rows that
    are `LocatedCells`, and the footnote through `locate_text`, give the report its locations."""
    seen: list[Sequence[str]] = []  # the rows read, for a second reading; lazily, as the first stops at TOTAAL AMR

    def recorded() -> Iterator[Sequence[str]]:
        for row in cell_rows:
            seen.append(row)
            yield row

    try:
        return _assemble(fmt, recorded(), text, name_hint=name_hint, title_region=title_region,
                         locate_text=locate_text)
    except NotAReport as exc:
        # Finding no table, the first reading has read every row.
        if not found_no_table(exc.reason) or not (joined := rows_joined_by_name(seen)):
            raise
    return _assemble(fmt, joined, text, name_hint=name_hint, title_region=title_region, locate_text=locate_text)


class _Part(NamedTuple):
    position: int
    lead: list[str]  # the cells before the name
    counts: list[str]
    location: Location | None


def rows_joined_by_name(cell_rows: Sequence[Sequence[str]]) -> list[list[str]]:
    """Rows of a name and some of the counts, joined by name into rows of five counts: the k-th part
    of a name with the left page's columns with its k-th part with the right page's, in the order of
    the left page; names whose parts do not make five counts are left out. A joined row is located
    where its left part was read (its box widened over the right part on the same page)."""
    parts: dict[str, list[_Part]] = {}  # name -> its parts
    for position, raw in enumerate(cell_rows):
        cleaned = [clean_cell(c) for c in raw]
        filled = [index for index, cell in enumerate(cleaned) if cell]
        cells = [cleaned[index] for index in filled]
        if cells and " " in cells[-1] and is_clean_int(cells[-1].rsplit(" ", 1)[1]):
            cells = [*cells[:-1], *_peel_counts(cells[-1])]  # counts after the name, spaces apart
        counts = 0
        while counts < len(cells) - 1 and is_clean_int(cells[-1 - counts]):
            counts += 1
        if 1 <= counts <= 4:
            lead = cells[:-1 - counts]
            location = row_location(raw, filled[len(lead)])  # the name's cell in the row as read
            parts.setdefault(cells[-1 - counts], []).append(_Part(position, lead, cells[-counts:], location))
    joined: list[tuple[int, list[str]]] = []
    for name, pieces in parts.items():
        left = [piece for piece in pieces if len(piece.counts) == len(pieces[0].counts)]
        right = [piece for piece in pieces if len(piece.counts) != len(pieces[0].counts)]
        if len(left) != len(right) or any(len(a.counts) + len(b.counts) != 5 for a, b in zip(left, right, strict=True)):
            continue
        for a, b in zip(left, right, strict=True):
            cells = [*a.lead, name, *a.counts, *b.counts]
            location = covering([a.location, b.location]) if a.location and b.location else a.location
            joined.append((a.position, cells if location is None else LocatedCells(cells, _at(location))))
    return [row for _, row in sorted(joined, key=lambda item: item[0])]


def _at(location: Location) -> LocateRow:
    return lambda _name_index: location


def _peel_counts(cell: str) -> list[str]:
    tokens = cell.split()
    at = len(tokens)
    while at > 1 and is_clean_int(tokens[at - 1]):
        at -= 1
    return [" ".join(tokens[:at]), *tokens[at:]]


def _assemble(fmt: ReportFormat, cell_rows: Iterable[Sequence[str]], text: str, *, name_hint: str | None,
              title_region: str | None, locate_text: LocateText | None) -> ParsedReport:
    region_code: int | None = None
    region_name: str | None = None
    rows: list[Row] = []
    totals: Counts | None = None
    totals_location: Location | None = None
    saw_table_row = False
    labels: list[str] = []
    headers: list[list[str]] = []  # the heading rows right above the table, if any
    rows_since_heading = 0
    skipped: str | None = None  # why a table before the report's was not it
    for raw in cell_rows:
        cells = [clean_cell(c) for c in raw]
        while cells and not cells[-1]:
            cells.pop()
        if len(cells) < 6 or not all(is_clean_int(c) for c in cells[-5:]):
            if rows and totals is None and cells and (skipped := other_table(labels, headers)):
                rows, labels, headers = [], [], []  # that table was another (a trend): the report may follow
            if not rows and cells:
                texts = [c for c in cells if c]
                if len(texts) >= 3 and not any(is_clean_int(c) for c in texts):
                    headers, rows_since_heading = [*headers[-1:], texts], 0
                elif (rows_since_heading := rows_since_heading + 1) > 1:
                    headers = []
            continue
        label_cells = [c for c in cells[:-5] if c]
        if not label_cells:
            continue
        saw_table_row = True
        label = label_cells[-1]
        name_index = next(index for index in range(len(cells) - 6, -1, -1) if cells[index])
        labels.append(label)
        # The region cell ("34 Midden-Limburg") may also come as two cells: code, then name.
        if len(label_cells) >= 2 and (code_match := REGION_CELL.match(" ".join(label_cells[:-1]))):
            region_code, region_name = int(code_match.group(1)), code_match.group(2)
        numbers = [int(c.replace(".", "")) for c in cells[-5:]]
        if any(n > MAX_COUNT for n in numbers):
            raise NotAReport(f"implausible count in row {label[:40]!r}")
        if _TOTAL_ROW.match(label):
            opened = totals is not None
            if not opened:
                totals, totals_location = _counts(numbers), row_location(raw, name_index)
            if rows or opened:
                break  # TOTAAL AMR closes the table (a second one closes a table it opened)
            continue  # printed above the municipalities: they follow
        rows.append(_row(label, numbers, row_location(raw, name_index)))
        if len(rows) > MAX_ROWS:
            raise NotAReport(f"not a report table: more than {MAX_ROWS} municipality rows")
    if not saw_table_row:  # a memo or a mail comes as text, a web page or a PDF; a sheet is no prose
        raise NotAReport(without_table(text) if fmt in ("text", "html", "pdf") else NO_ROWS)
    if reason := other_table(labels, headers) or (skipped if not rows else None):
        raise NotAReport(reason)
    if totals is None:
        raise NotAReport("table cut off: no TOTAAL AMR row")
    if not rows:
        raise NotAReport("not a report table: no municipality rows with TOTAAL AMR")

    period = find_period(text) or (period_from_name(name_hint) if name_hint else None)
    if period is None:
        raise NotAReport("no period found (expected e.g. 'Vierde kwartaal 2021')")
    footnote = find_register(text)
    register = footnote.register if footnote else None
    if footnote and locate_text:
        register = footnote.register.model_copy(update={"location": locate_text(footnote.start, footnote.end)})
    if region_name is None or region_code is None:
        region_code, region_name = _region_elsewhere(text, region_name or title_region, footnote, name_hint)
    try:
        return ParsedReport(
            format=fmt,
            region=Region(code=region_code, name=clean_cell(region_name)),
            period=period,
            rows=tuple(rows),
            totals=totals,
            register=register,
            totals_location=totals_location,
        )
    except ValidationError as exc:
        raise NotAReport(f"not a valid report: {exc.errors()[0]['msg']}") from None


def without_empty_columns(rows: list[list[str]]) -> list[list[str]]:
    """The rows without the columns empty in every row (spacer columns of a layout), so that a
    report's five counts sit side by side however they were laid out."""
    keep = kept_columns(rows)
    if keep is None:
        return rows
    return [located_like(row, [row[index] for index in keep if index < len(row)]) for row in rows]


def kept_columns(rows: list[list[str]]) -> list[int] | None:
    """The indexes of the columns with text in some row; None when every column has."""
    width = max((len(row) for row in rows), default=0)
    filled = [False] * width
    for row in rows:
        for index, cell in enumerate(row):
            if not filled[index] and cell.strip():
                filled[index] = True
    if all(filled):
        return None
    return [index for index, used in enumerate(filled) if used]


def _region_elsewhere(text: str, known: str | None, footnote: Footnote | None,
                      name_hint: str | None) -> tuple[int | None, str]:
    """The region's code and name from the first place that prints the region, and its code from any
    place that prints it with the same name (a title '34 Midden-Limburg' under a footnote naming it)."""
    candidates = [known, region_parameter(text), footnote.region if footnote else None, region_after_period(text),
                  region_below_period(text), region_from_name(name_hint) if name_hint else None]
    printed = [split_region_code(clean_cell(candidate)) for candidate in candidates if candidate]
    if not printed:
        raise NotAReport("no region name found (no region cell, title or footnote)")
    name = printed[0][1]
    code = next((code for code, other in printed if code is not None and other.casefold() == name.casefold()), None)
    return code, name


def _counts(numbers: list[int]) -> Counts:
    return Counts(**dict(zip(("municipal_with_profile", "municipal_without_profile", "uwv_with_profile",
                              "uwv_without_profile", "total"), numbers, strict=True)))


def _row(label: str, numbers: list[int], location: Location | None) -> Row:
    return Row(
        municipality=label,
        municipal_with_profile=numbers[0],
        municipal_without_profile=numbers[1],
        uwv_with_profile=numbers[2],
        uwv_without_profile=numbers[3],
        total=numbers[4],
        location=location,
    )
