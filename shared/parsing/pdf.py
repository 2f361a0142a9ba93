"""PDF reports: the text rebuilt into lines from where each word sits on the page, so that a PDF
whose content stream is not in reading order (a table written column by column) still yields
rows; the lines then go through the text parser."""

from __future__ import annotations

import ctypes
import math
import re
import threading
from collections.abc import Callable
from typing import NamedTuple

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from shared.models import Location, ParsedReport
from shared.parsing.errors import NotAReport
from shared.parsing.pdf_layout import Word, page_line_words, page_lines
from shared.parsing.text import parse_lines

__all__ = ["Word", "extract_lines", "page_lines", "parse"]

MAX_PAGES = 50
_WORD = re.compile(r"\S+")
# What pdfium gives for a glyph whose font maps it to no character: control codes (not \x02, its
# mark for a hyphen at a line end), private-use code points, the replacement character.
_UNMAPPED = re.compile("[\x00\x01\x03-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ue000-\uf8ff\ufffd]")
# pdfium is not thread-safe, not even across documents, so one document at a time per process.
_PDFIUM_LOCK = threading.Lock()


def parse(data: bytes, *, name: str | None = None) -> ParsedReport:
    """Parse a text-based PDF report of one or more pages; each row located by its page and the box
    around the words it was read from."""
    lines = located_lines(data)
    return parse_lines("\n".join(line.text for line in lines), fmt="pdf", name=name,
                       locate_line=lambda index: lines[index].location())


def extract_lines(data: bytes) -> str:
    """The PDF's text as lines rebuilt from word positions: a tab where words sit a column apart."""
    return "\n".join(line.text for line in located_lines(data))


class PageLine(NamedTuple):
    text: str
    page: int  # 1-based
    words: list[Word]  # as read: turned so that they read left to right
    turn: Callable[[Box], Box]  # how they were turned

    def location(self) -> Location:
        """The page, and the box around the line's words in PDF points (origin bottom left)."""
        lefts, bottoms, rights, tops, *_ = zip(*self.words, strict=True)
        left, bottom, right, top = _UNTURN[self.turn]((min(lefts), min(bottoms), max(rights), max(tops)))
        if not math.isfinite(left + bottom + right + top):
            return Location(page=self.page)
        return Location(page=self.page, bbox=(round(left, 2), round(bottom, 2), round(right, 2), round(top, 2)))


def located_lines(data: bytes) -> list[PageLine]:
    """The PDF's lines rebuilt from word positions, with the page and the words each was read from."""
    with _PDFIUM_LOCK:
        try:
            pages = _document_words(data)
        except (pdfium.PdfiumError, AssertionError) as exc:
            raise NotAReport(f"unreadable PDF: {exc or type(exc).__name__}") from None
    if not any(words for words, _ in pages):
        raise NotAReport("unreadable PDF: no extractable text (scanned?)")
    glyphs = "".join(word.text for words, _ in pages for word in words)
    if len(_UNMAPPED.findall(glyphs)) * 3 > len(glyphs):
        raise NotAReport("unreadable PDF: its text is glyph codes without a Unicode mapping, not text")
    return [PageLine(line.text, number, line.words, turn) for number, (words, turn) in enumerate(pages, start=1)
            for line in page_line_words(words)]


def _document_words(data: bytes) -> list[tuple[list[Word], Callable[[Box], Box]]]:
    document = pdfium.PdfDocument(data)
    try:
        return [_page_words(document, index) for index in range(min(len(document), MAX_PAGES))]
    finally:
        document.close()


def _page_words(document: pdfium.PdfDocument, index: int) -> tuple[list[Word], Callable[[Box], Box]]:
    page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            return _words(textpage)
        finally:
            textpage.close()
    finally:
        page.close()


Box = tuple[float, float, float, float]  # left, bottom, right, top


def _words(textpage: pdfium.PdfTextPage, turn: Callable[[Box], Box] | None = None,
           ) -> tuple[list[Word], Callable[[Box], Box]]:
    """Words as pdfium separates them (it inserts spaces and line breaks at gaps and jumps), each
    boxed by its first and last character: two native calls a word instead of one a character.
    Boxes are turned so that the text reads left to right: a page drawn rotated under /Rotate 90 or
    270 has its text running up or down the page, and is read again turned (`turn`, returned too)."""
    count = textpage.count_chars()
    if count <= 0:
        return [], _UPRIGHT
    text = textpage.get_text_range()
    aligned = len(text) == count
    rect = pdfium_c.FS_RECTF()
    ref = ctypes.byref(rect)
    char_box = pdfium_c.FPDFText_GetLooseCharBox
    votes: list[tuple[Box, Box]] = []  # first and last glyph of the first words: which way the text runs
    words: list[Word] = []
    previous_end, previous_single = -2, False
    for match in _WORD.finditer(text):
        first, last = match.start(), match.end() - 1
        # After a space pdfium made up (none in the content), next to a lone glyph: letter-spaced text
        # placed glyph by glyph. Whether the glyphs make one word the gaps tell (pdf_layout._join).
        single = first == last
        spaced = (aligned and previous_end == first - 1 and (single or previous_single)
                  and pdfium_c.FPDFText_IsGenerated(textpage, first - 1) == 1)
        previous_end, previous_single = match.end(), single
        if not aligned:
            first = pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage, first)
            last = pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage, last)
        if first < 0 or last < first or not char_box(textpage, first, ref):
            continue
        first_box: Box = (rect.left, rect.bottom, rect.right, rect.top)
        if last != first and not char_box(textpage, last, ref):
            continue
        last_box: Box = (rect.left, rect.bottom, rect.right, rect.top)
        if turn is None and not single and len(votes) < 40:
            votes.append((first_box, last_box))
        elif turn is not None:
            first_box, last_box = turn(first_box), turn(last_box)
        (left, bottom, _, top), (_, last_bottom, right, last_top) = first_box, last_box
        word = match.group().replace("\x02", "-")  # pdfium marks a hyphen that ends a line
        if not (bottom <= (last_bottom + last_top) / 2 <= top and right >= left):  # wraps or jumps back
            words.extend(_char_words(textpage, first, last, turn or _UPRIGHT))
        elif last_top - last_bottom < 0.8 * (top - bottom) and last_bottom > bottom + 0.1 * (top - bottom):
            words.extend(_char_words(textpage, first, last, turn or _UPRIGHT))  # ends in a raised reference
        else:
            words.append(Word(left, min(bottom, last_bottom), right, max(top, last_top), word, spaced))
    if turn is None and (reading := _reading_turn(votes)) is not _UPRIGHT:
        return _words(textpage, reading)
    return words, turn or _UPRIGHT


def _reading_turn(pairs: list[tuple[Box, Box]]) -> Callable[[Box], Box]:
    """How to turn boxes so that the text reads left to right: the way most words run, first glyph to
    last. Keeps the orientation of a page whose /Rotate only turns the view of horizontal text."""
    votes = {"right": 0, "up": 0, "down": 0, "left": 0}
    for (left, bottom, right, top), (last_left, last_bottom, last_right, last_top) in pairs:
        dx = (last_left + last_right - left - right) / 2
        dy = (last_bottom + last_top - bottom - top) / 2
        votes[("right" if dx > 0 else "left") if abs(dx) >= abs(dy) else ("up" if dy > 0 else "down")] += 1
    return _TURNS[max(votes, key=votes.__getitem__)]


def _UPRIGHT(box: Box) -> Box:  # noqa: N802 - a constant function, compared by identity
    return box


_TURNS: dict[str, Callable[[Box], Box]] = {
    "right": _UPRIGHT,
    "up": lambda box: (box[1], -box[2], box[3], -box[0]),  # reads upwards: x from y, lines go right
    "down": lambda box: (-box[3], box[0], -box[1], box[2]),
    "left": lambda box: (-box[2], -box[3], -box[0], -box[1]),
}
# Each turn undone: back to the page's own coordinates.
_UNTURN: dict[Callable[[Box], Box], Callable[[Box], Box]] = {
    _UPRIGHT: _UPRIGHT, _TURNS["up"]: _TURNS["down"], _TURNS["down"]: _TURNS["up"], _TURNS["left"]: _TURNS["left"]}


def _char_words(textpage: pdfium.PdfTextPage, first: int, last: int, turn: Callable[[Box], Box]) -> list[Word]:
    """Split a run of characters into words wherever the next one is not to the right on the line, or
    is set smaller and raised (a footnote reference glued to a name or a figure: dropped)."""
    words: list[Word] = []
    for index in range(first, last + 1):
        char = chr(pdfium_c.FPDFText_GetUnicode(textpage, index))
        if char.isspace() or char == "\x00":
            continue
        char = "-" if char == "\x02" else char
        left, bottom, right, top = turn(textpage.get_charbox(index, loose=True))
        if words and (prev := words[-1]).bottom <= (bottom + top) / 2 <= prev.top and left >= prev.left:
            if top - bottom < 0.8 * (prev.top - prev.bottom) and bottom > prev.bottom + 0.1 * (prev.top - prev.bottom):
                continue
            words[-1] = prev._replace(right=max(prev.right, right), text=prev.text + char)
        else:
            words.append(Word(left, bottom, right, top, char))
    return words
