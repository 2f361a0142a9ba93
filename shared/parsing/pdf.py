"""PDF reports: the text rebuilt into lines from where each word sits on the page, so that a PDF
whose content stream is not in reading order (a table written column by column) still yields
rows; the lines then go through the text parser."""

from __future__ import annotations

import ctypes
import re
import threading
from typing import NamedTuple

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from shared.models import ParsedReport
from shared.parsing.errors import NotAReport
from shared.parsing.text import parse_lines

MAX_PAGES = 50
_WORD = re.compile(r"\S+")
# pdfium is not thread-safe, not even across documents, so one document at a time per process.
_PDFIUM_LOCK = threading.Lock()


class Word(NamedTuple):
    left: float
    bottom: float
    right: float
    top: float
    text: str


def parse(data: bytes, *, name: str | None = None) -> ParsedReport:
    """Parse a text-based PDF report of one or more pages."""
    return parse_lines(extract_lines(data), fmt="pdf", name=name)


def extract_lines(data: bytes) -> str:
    """The PDF's text as lines rebuilt from word positions: a tab where words sit a column apart."""
    with _PDFIUM_LOCK:
        try:
            pages = _document_words(data)
        except (pdfium.PdfiumError, AssertionError) as exc:
            raise NotAReport(f"unreadable PDF: {exc or type(exc).__name__}") from None
    if not any(pages):
        raise NotAReport("unreadable PDF: no extractable text (scanned?)")
    return "\n".join(line for words in pages for line in page_lines(words))


def _document_words(data: bytes) -> list[list[Word]]:
    document = pdfium.PdfDocument(data)
    try:
        return [_page_words(document, index) for index in range(min(len(document), MAX_PAGES))]
    finally:
        document.close()


def _page_words(document: pdfium.PdfDocument, index: int) -> list[Word]:
    page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            return _words(textpage)
        finally:
            textpage.close()
    finally:
        page.close()


def _words(textpage: pdfium.PdfTextPage) -> list[Word]:
    """Words as pdfium separates them (it inserts spaces and line breaks at gaps and jumps), each
    boxed by its first and last character: two native calls a word instead of one a character."""
    count = textpage.count_chars()
    if count <= 0:
        return []
    text = textpage.get_text_range()
    aligned = len(text) == count
    rect = pdfium_c.FS_RECTF()
    ref = ctypes.byref(rect)
    char_box = pdfium_c.FPDFText_GetLooseCharBox
    words: list[Word] = []
    for match in _WORD.finditer(text):
        first, last = match.start(), match.end() - 1
        if not aligned:
            first = pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage, first)
            last = pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage, last)
        if first < 0 or last < first or not char_box(textpage, first, ref):
            continue
        left, bottom, top = rect.left, rect.bottom, rect.top
        if not char_box(textpage, last, ref):
            continue
        centre = (rect.bottom + rect.top) / 2
        if bottom <= centre <= top and rect.right >= left:
            words.append(Word(left, min(bottom, rect.bottom), rect.right, max(top, rect.top), match.group()))
        else:  # the "word" wraps or jumps back: box it character by character
            words.extend(_char_words(textpage, first, last))
    return words


def _char_words(textpage: pdfium.PdfTextPage, first: int, last: int) -> list[Word]:
    """Split a run of characters into words wherever the next one is not to the right on the line."""
    words: list[Word] = []
    for index in range(first, last + 1):
        char = chr(pdfium_c.FPDFText_GetUnicode(textpage, index))
        if char.isspace() or char == "\x00":
            continue
        left, bottom, right, top = textpage.get_charbox(index, loose=True)
        if words and (prev := words[-1]).bottom <= (bottom + top) / 2 <= prev.top and left >= prev.left:
            words[-1] = prev._replace(right=max(prev.right, right), text=prev.text + char)
        else:
            words.append(Word(left, bottom, right, top, char))
    return words


def page_lines(words: list[Word]) -> list[str]:
    """Group words into lines by vertical centre, top of the page first, and join each line left to
    right: nothing between touching words, a space at a word gap, a tab at a column gap."""
    lines: list[list[Word]] = []
    centre = height = 0.0
    for word in sorted(words, key=lambda w: -(w.bottom + w.top)):
        word_centre, word_height = (word.bottom + word.top) / 2, max(word.top - word.bottom, 1.0)
        if lines and abs(word_centre - centre) <= 0.4 * min(height, word_height):
            lines[-1].append(word)
        else:
            lines.append([word])
            centre, height = word_centre, word_height
    return [_join(sorted(line, key=lambda w: w.left)) for line in lines]


def _join(line: list[Word]) -> str:
    height = max(line[0].top - line[0].bottom, 1.0)
    parts = [line[0].text]
    right = line[0].right
    for word in line[1:]:
        gap = word.left - right
        parts.append("" if gap < 0.05 * height else " " if gap < height else "\t")
        parts.append(word.text)
        right = max(right, word.right)
    return "".join(parts)
