"""From positioned words to the lines of text the text parser reads: words grouped into lines by
height on the page, joined with a tab at a column gap; letter-spaced glyphs joined back into words;
footnote markers set small and raised dropped; and, where a browser's print wrapped a name or the
region cell over several lines of a table row, the pieces joined to the row they belong to."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from statistics import median
from typing import NamedTuple

from shared.parsing.dutch import is_clean_int, is_dutch_int
from shared.parsing.text import split_line


class Word(NamedTuple):
    left: float
    bottom: float
    right: float
    top: float
    text: str
    spaced: bool = False  # parted from a lone glyph before it (or itself one) by a space pdfium made up


class Line(NamedTuple):
    words: list[Word]  # left to right
    text: str
    starts: list[int]  # where each word begins in text

    @property
    def centre(self) -> float:
        return median((w.bottom + w.top) / 2 for w in self.words)

    @property
    def height(self) -> float:
        return max(w.top - w.bottom for w in self.words)


def page_lines(words: Sequence[Word]) -> list[str]:
    """The page's lines of text, top first."""
    return [line.text for line in page_line_words(words)]


def page_line_words(words: Sequence[Word]) -> list[Line]:
    """The page's lines, top first, each with the words it was read from (a row's wrapped name too)."""
    return join_wrapped_cells(unfold_side_by_side(group_lines(words)))


def group_lines(words: Sequence[Word]) -> list[Line]:
    """Group words into lines by vertical centre, top of the page first, and join each line left to
    right: nothing between touching words, a space at a word gap, a tab at a column gap."""
    groups: list[list[Word]] = []
    centre = height = 0.0
    for word in sorted(words, key=lambda w: -(w.bottom + w.top)):
        word_centre, word_height = (word.bottom + word.top) / 2, max(word.top - word.bottom, 1.0)
        if groups and abs(word_centre - centre) <= 0.4 * min(height, word_height):
            groups[-1].append(word)
        else:
            groups.append([word])
            centre, height = word_centre, word_height
    lines = []
    for group in groups:
        kept = _without_raised_markers(sorted(group, key=lambda w: w.left))
        if kept:
            lines.append(Line(kept, *_join(kept)))
    return lines


def _without_raised_markers(line: list[Word]) -> list[Word]:
    """Drop footnote references set small and raised (a '1' after a total): short words much shorter
    than the line's text whose baseline sits above it."""
    height = max(w.top - w.bottom for w in line)
    base = min(w.bottom for w in line)
    return [w for w in line if not (len(w.text) <= 2 and w.top - w.bottom < 0.8 * height
                                    and w.bottom > base + 0.15 * height)]


def _join(line: list[Word]) -> tuple[str, list[int]]:
    """The line's text, and where each word starts in it."""
    height = max(line[0].top - line[0].bottom, 1.0)
    text = line[0].text
    starts = [0]
    right = line[0].right
    letter_gap = _letter_gaps(line)
    for index, word in enumerate(line[1:], start=1):
        gap = word.left - right
        if not (word.spaced and gap <= letter_gap[index]):  # else: letter-spaced glyphs of one word
            text += "" if gap < 0.05 * height else " " if gap < height else "\t"
        starts.append(len(text))
        text += word.text
        right = max(right, word.right)
    return text, starts


def _letter_gaps(line: list[Word]) -> list[float]:
    """For each word in a run of letter-spaced glyphs, the widest gap that still joins it to the glyph
    before: a little over the narrowest gap of its run (the letter spacing); word gaps are wider."""
    limits = [0.0] * len(line)
    if not any(word.spaced for word in line):
        return limits
    start = 0
    while start < len(line):
        end = start
        while end + 1 < len(line) and line[end + 1].spaced:  # a run of glyphs parted by made-up spaces
            end += 1
        if end > start:
            gaps = [line[i].left - line[i - 1].right for i in range(start + 1, end + 1)]
            height = max(w.top - w.bottom for w in line[start:end + 1])
            limit = min(min(gaps) + 0.2 * height, 0.6 * height)
            for i in range(start + 1, end + 1):
                limits[i] = limit
        start = end + 1
    return limits


def unfold_side_by_side(lines: list[Line]) -> list[Line]:
    """A table printed in two halves side by side (two pages to a sheet): each line holding a row of
    each half is cut in two, and the right halves follow the left ones, as the table reads."""
    out: list[Line] = []
    right_halves: list[Line] = []
    for line in lines:
        cut = _second_row_start(line.words)
        if cut is None and right_halves and line.words[-1].right < right_halves[0].words[0].left \
                and _counts_start(line) is not None:
            out.append(line)  # the left half runs a row longer than the right
            continue
        if cut is None:
            out += right_halves
            right_halves = []
            out.append(line)
            continue
        left, right = line.words[:cut], line.words[cut:]
        out.append(Line(left, *_join(left)))
        right_halves.append(Line(right, *_join(right)))
    return out + right_halves


def _second_row_start(words: list[Word]) -> int | None:
    """Where a second row begins on a line of two (a label and five counts, twice), else None."""
    if len(words) < 12 or not is_clean_int(words[-1].text):
        return None
    numeric = [is_clean_int(w.text) for w in words]
    if not all(numeric[-5:]) or numeric[-6]:
        return None
    cut = len(words) - 6
    while cut > 0 and not numeric[cut - 1]:  # back over the second row's label
        cut -= 1
    if cut < 6 or not all(numeric[cut - 5:cut]) or numeric[cut - 6]:
        return None
    return cut if _apart(words[cut - 5:cut]) and _apart(words[-5:]) else None


def _apart(counts: Sequence[Word]) -> bool:
    """Counts in columns of their own, not the glyphs of letter-spaced figures."""
    height = max(w.top - w.bottom for w in counts)
    return all(b.left - a.right >= 0.6 * height for a, b in zip(counts, counts[1:], strict=False))


def join_wrapped_cells(lines: list[Line]) -> list[Line]:
    """Where the label cells of a table row wrapped over lines of their own (a browser's print of a
    narrow table: cells centred vertically, so the counts sit between the pieces of a two-line name),
    give each piece to the nearest row and the region column's pieces to the first row. Lines are
    returned unchanged when no row lacks its label and no label piece sits among the rows."""
    counts_at = {index: at for index, line in enumerate(lines) if (at := _counts_start(line)) is not None}
    rows = list(counts_at)
    if not rows:
        return lines
    counts_left = min(lines[i].words[at].left for i, at in counts_at.items())
    height = median(lines[i].height for i in rows)
    first = rows[0]
    pieces = _label_pieces(lines, rows, counts_left, height)
    unlabelled = [i for i, at in counts_at.items() if at == 0]
    # A region cell wrapped over rows leaves a different piece before the name in each (a region
    # printed in full on every row leaves the same one).
    region_pieces = {cells[0] for i in rows if len(cells := lines[i].text.split("\t")) > 6}
    name_left = _name_column(lines, rows + pieces, counts_left)
    # A region piece run into the name in one cell: narrow cells with less padding than a column gap.
    run_into = [i for i in rows if lines[i].words[0].left < name_left and counts_at[i] > 0
                and "\t" not in lines[i].text[:lines[i].starts[counts_at[i]]].rstrip()]
    if not pieces and not unlabelled and len(region_pieces) < 2 and not run_into:
        return lines
    labels: dict[int, list[Word]] = {i: [w for w in lines[i].words if name_left <= w.left < counts_left]
                                     for i in rows}
    region = [w for i in rows for w in lines[i].words if w.left < name_left]
    region += [w for i in pieces for w in lines[i].words if w.left < name_left]
    runs = _cell_runs(lines, rows, pieces, name_left, 1.25 * height)
    for at, run in enumerate(runs):
        in_run = [i for i in run if i in labels]
        if not in_run:  # a cell's lines parted from its row's (the counts): the nearer run's row
            before = lines[runs[at - 1][-1]].centre - lines[run[0]].centre if at > 0 else float("inf")
            after = lines[run[-1]].centre - lines[runs[at + 1][0]].centre if at + 1 < len(runs) else float("inf")
            neighbour = runs[at - 1] if before <= after else runs[at + 1] if after < float("inf") else []
            in_run = [i for i in neighbour if i in labels]
        for index in run:
            if index in labels:
                continue
            # A run of lines one leading apart is one cell's wrapped text: it goes with the row in it.
            candidates = in_run if len(in_run) == 1 else rows
            nearest = min(candidates, key=lambda i: abs(lines[i].centre - lines[index].centre))
            labels[nearest] += [w for w in lines[index].words if w.left >= name_left]
    in_rows = [" ".join(w.text for w in lines[i].words if w.left < name_left) for i in rows]
    # The region printed in full on every row, or its cell's pieces in reading order.
    region_text = in_rows[0] if len(set(in_rows)) == 1 and in_rows[0] else _join_pieces(_lines_of(region))
    rebuilt = []
    for index, line in enumerate(lines):
        if index in pieces:
            continue
        if index in labels:
            name = _join_pieces(_lines_of(labels[index]))
            counts = split_line(line.text)[-5:]
            cells = [region_text if index == first else "", name, *counts]
            line = Line(line.words + labels[index], "\t".join(cells), [])  # the words: where the row was read
        rebuilt.append(line)
    return rebuilt


def _cell_runs(lines: list[Line], rows: list[int], pieces: list[int], name_left: float,
               leading: float) -> list[list[int]]:
    """The lines with text in the name column (and the rows), top first, in runs of lines no more
    than a leading apart, measured between their name-column words."""
    def centre(index: int) -> float:
        named = [(w.bottom + w.top) / 2 for w in lines[index].words if w.left >= name_left]
        return median(named) if named else lines[index].centre

    named = [i for i in pieces if any(w.left >= name_left for w in lines[i].words)]  # not region pieces
    order = sorted(rows + named, key=lambda i: -centre(i))
    runs: list[list[int]] = []
    for index in order:
        if runs and centre(runs[-1][-1]) - centre(index) <= leading:
            runs[-1].append(index)
        else:
            runs.append([index])
    return runs


def _label_pieces(lines: list[Line], rows: list[int], counts_left: float, height: float) -> list[int]:
    """Lines with words left of the counts only, among the rows or running on from the first or the
    last row line by line (a name wrapped over more lines than its row's counts take)."""
    def label_only(index: int) -> bool:
        return index not in rows and all(w.right < counts_left for w in lines[index].words)

    pieces = [index for index in range(rows[0] + 1, rows[-1]) if label_only(index)]
    for start, step in ((rows[0], -1), (rows[-1], 1)):
        index = start + step
        while 0 <= index < len(lines) and label_only(index) \
                and abs(lines[index].centre - lines[index - step].centre) <= 1.3 * height:
            pieces.append(index)
            index += step
    return pieces


def _counts_start(line: Line) -> int | None:
    """Index of the word where the line's five counts begin, None when it does not end in five."""
    words = line.words
    if not is_dutch_int(words[-1].text):
        return None
    if len(words) >= 5 and all(is_clean_int(w.text) for w in words[-5:]) and _apart(words[-5:]):
        return len(words) - 5  # the common case: a word a count (not glyphs of letter-spaced counts)
    cells = split_line(line.text)
    if len(cells) < 5 or not all(is_dutch_int(cell) for cell in cells[-5:]):
        return None
    offset = len(line.text)
    for count in reversed(cells[-5:]):
        offset = line.text.rfind(count, 0, offset)
    return bisect_right(line.starts, offset) - 1


def _name_column(lines: list[Line], indexes: list[int], counts_left: float) -> float:
    """Where the name column starts. Each line votes for the left edge of its last label cell (the
    name, after a region piece a column gap away; a piece of a wrapped name or region on its own);
    the region column's pieces sit on a few lines only."""
    labels = ([w for w in lines[i].words if w.right < counts_left] for i in indexes)
    votes = [_last_cell_left(label) for label in labels if label]
    if not votes:
        return counts_left
    return max(votes, key=lambda x: (sum(abs(vote - x) <= 2.0 for vote in votes), x)) - 2.0


def _last_cell_left(words: list[Word]) -> float:
    """The left edge of the last group of words not parted by a column gap."""
    left = words[-1].left
    for before, after in zip(reversed(words[:-1]), reversed(words[1:]), strict=True):
        if after.left - before.right >= max(before.top - before.bottom, 1.0):
            break
        left = before.left
    return left


def _lines_of(words: list[Word]) -> list[str]:
    return [line.text for line in group_lines(words)]


def _join_pieces(pieces: list[str]) -> str:
    """The pieces of one cell's wrapped text: a piece ending in a hyphen continues without a space."""
    text = ""
    for piece in pieces:
        piece = piece.replace("\t", " ").strip()
        text = text + piece if not text or text.endswith("-") else f"{text} {piece}"
    return text
