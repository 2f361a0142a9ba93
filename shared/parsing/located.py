"""Where in its file a row of cells was read: the rows a parser yields may be `LocatedCells`, which
carry how to locate them; assemble_report gives the report's rows, TOTAAL AMR row and footnote those
locations (models.Location: a line, an HTML table row, a workbook cell, a PDF page and box)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from shared.models import Location

# Where a row was read, from the index of its name cell (workbooks locate the name's cell, the other
# formats the row); and where a span of the report's text (start, end) was read (the footnote).
LocateRow = Callable[[int], Location]
LocateText = Callable[[int, int], Location | None]


class LocatedCells(list[str]):
    """A row's cells, and `locate`: the row's Location from the index of its name cell."""

    __slots__ = ("locate",)

    def __init__(self, cells: Iterable[str], locate: LocateRow) -> None:
        super().__init__(cells)
        self.locate = locate


def located_like(row: Sequence[str], cells: list[str]) -> list[str]:
    """`cells` read from `row` (columns dropped, say), keeping where `row` was read."""
    locate = getattr(row, "locate", None)
    return cells if locate is None else LocatedCells(cells, locate)


def row_location(row: Sequence[str], name_index: int) -> Location | None:
    """Where the row whose name is in cell `name_index` was read; None for a row that does not say."""
    locate = getattr(row, "locate", None)
    return None if locate is None else locate(name_index)


def covering(locations: Sequence[Location]) -> Location:
    """The location of what was read from pieces (at least one): the first piece's, its box widened
    over the pieces on the same page (a row's two halves, its counts one cell a line)."""
    first = locations[0]
    if first.bbox is None:
        return first
    boxes = [loc.bbox for loc in locations if loc.bbox is not None and loc.page == first.page]
    box = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
    return first.model_copy(update={"bbox": box})
