"""PDFs of one report as other producers make them (fpdf2, core font, so names must be Latin-1): a
browser's print of the web page (print header and footer, names and the region cell wrapping in
narrow cells, cells centred vertically, the table split over pages with its header repeated), a
landscape page drawn rotated under /Rotate 90 or 270, letter-spaced glyphs placed one by one or
spread with character spacing, footnote markers glued to a name and raised after a total, and the
TOTAAL AMR row printed above the municipalities. Used through report_renderers.render(report, "pdf-producer")."""

from __future__ import annotations

import random
import re
from contextlib import nullcontext
from typing import Any

from fpdf import FPDF

from shared.models import ParsedReport

PORTRAIT = (210.0, 297.0)
LINE = 3.6  # mm per line of 8 pt text


class PageWriter:
    """Draws text at logical positions (mm, top-left origin) of a page that may be drawn rotated."""

    def __init__(self, pdf: FPDF, *, letter_spacing: float, char_spacing: float) -> None:
        self.pdf = pdf
        self.letter_spacing = letter_spacing
        self.char_spacing = char_spacing
        self.pending: list[tuple[float, float, str, dict[str, Any]]] | None = None

    def flush_shuffled(self, seed: int) -> None:
        """Draw what was held back in a random order, as producers that write cell by cell in any order."""
        pending, self.pending = self.pending or [], None
        random.Random(seed).shuffle(pending)
        for x, y, text, options in pending:
            self.text(x, y, text, **options)

    def text(self, x: float, y: float, text: str, *, size: float = 8, bold: bool = False,
             align: str = "L", width: float = 0.0, spaced: bool = True) -> None:
        """`y` is the baseline; align R puts the text's end at x + width."""
        if self.pending is not None:
            self.pending.append((x, y, text, {"size": size, "bold": bold, "align": align, "width": width,
                                              "spaced": spaced}))
            return
        pdf = self.pdf
        pdf.set_font("Helvetica", style="B" if bold else "", size=size)
        spacing = self.letter_spacing if spaced else 0.0
        if spaced and self.char_spacing:
            pdf.set_char_spacing(self.char_spacing)
        advance = pdf.get_string_width(text) + spacing * len(text)
        if align == "R":
            x = x + width - advance
        if spacing:  # one glyph at a time, as some reporting tools write letter-spaced text
            for char in text:
                if char != " ":
                    pdf.text(x, y, char)
                x += pdf.get_string_width(char) + spacing
        else:
            pdf.text(x, y, text)
        if spaced and self.char_spacing:
            pdf.set_char_spacing(0)

    def raised(self, x: float, y: float, text: str) -> None:
        """A footnote reference in superscript (smaller glyphs, raised by text rise: fpdf2 sets text
        rise in cell(), not in text()); `y` is the baseline of the text it refers to."""
        self.pdf.set_font("Helvetica", size=8)
        self.pdf.char_vpos = "SUP"
        self.pdf.set_xy(x - self.pdf.c_margin, y - LINE + 0.9)
        self.pdf.cell(self.pdf.get_string_width(text) + 0.1, LINE, text)
        self.pdf.char_vpos = "LINE"


def wrap_cell(pdf: FPDF, text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """Lines of `text` in a cell `width` wide, breaking at spaces and after hyphens, as a browser does."""
    pdf.set_font("Helvetica", style="B" if bold else "", size=size)
    lines: list[str] = []
    current = ""
    for piece in re.findall(r"[^\s-]+-?|\s+", text):
        candidate = current + piece
        if current.strip() and pdf.get_string_width(candidate.rstrip()) > width:
            lines.append(current.rstrip())
            current = piece.lstrip()
        else:
            current = candidate
    if current.strip():
        lines.append(current.strip())
    return lines or [""]


def producer_pdf(report: ParsedReport, *, rotate: int = 0, rotate_flag_only: bool = False,
                 letter_spacing: float = 0.0, char_spacing: float = 0.0, markers: bool = False,
                 totals_first: bool = False, browser: bool = False, rows_per_page: int = 0,
                 region_width: float = 0.0, name_width: float = 0.0, shuffled: bool = False,
                 trend_page: bool = False) -> bytes:
    from tests.report_renderers import INTRO, OUTRO, body, dutch, footnote_text, period_text, region_cell

    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0)
    page_width, page_height = (PORTRAIT[1], PORTRAIT[0]) if rotate else PORTRAIT
    page = PageWriter(pdf, letter_spacing=letter_spacing, char_spacing=char_spacing)
    rows = body(report)
    if totals_first:
        rows = rows[-1:] + rows[:-1]
    pdf.set_font("Helvetica", size=8)
    # As a browser's automatic table layout: a column never narrower than its longest word.
    pdf.set_font("Helvetica", style="B", size=8)
    longest_name = max(pdf.get_string_width(word) for label, _ in rows for word in re.split(r"(?<=-)|\s", label))
    longest_region = max(pdf.get_string_width(word) for word in re.split(r"(?<=-)|\s", region_cell(report)))
    pdf.set_font("Helvetica", size=8)
    widths = [max(region_width, longest_region + 3) if region_width else pdf.get_string_width(region_cell(report)) + 6,
              max(name_width, longest_name + 3) if name_width else
              max(pdf.get_string_width(label) for label, _ in rows) + 10, *[19.0] * 5]
    spread = letter_spacing + char_spacing * 0.353  # mm added per glyph (character spacing is in points)
    if spread:
        widths[0] += spread * len(region_cell(report)) + 4
        widths[1] += spread * max(len(label) for label, _ in rows) + 4
        widths[2:] = [19.0 + 6 * spread] * 5
    left = 12.0
    pages = _paginate(pdf, rows, widths[1] - 2 if browser else 0.0, rows_per_page, page_height)
    region_lines = wrap_cell(pdf, region_cell(report), widths[0] - 2, 8)
    notes = []
    if trend_page:  # another table first: the region's totals over the quarters before
        pdf.add_page()
        page.text(12, 20, f"Ontwikkeling klanten in Sonar, {report.region.name}", size=12, bold=True, spaced=False)
        columns = ["Kwartaal", "Gemeente profiel", "Gemeente geen profiel", "UWV profiel", "UWV geen profiel",
                   "Totaal"]
        for index, label in enumerate(columns):
            page.text(12 + 28 * index, 32, label, size=7, bold=True, spaced=False)
        for quarter in range(1, 5):
            t = report.totals
            cells = [f"{report.period.year - 1} Q{quarter}", *map(dutch, (
                t.municipal_with_profile + quarter, t.municipal_without_profile, t.uwv_with_profile,
                t.uwv_without_profile, t.total + quarter))]
            for index, cell in enumerate(cells):
                page.text(12 + 28 * index, 32 + 5 * quarter, cell, spaced=False)
    for number, chunk in enumerate(pages, start=1):
        pdf.add_page()
        rotation = pdf.rotation(90, 148.5, 148.5) if rotate == 90 else \
            pdf.rotation(-90, 105, 105) if rotate == 270 else nullcontext()
        if shuffled:
            page.pending = []
        with rotation:
            y = 10.0
            if browser:  # the browser's print header and footer
                page.text(left, 7, "30-11-2026 10:21", size=7, spaced=False)
                page.text(page_width / 2 - 30, 7, "Transparantie van klantprofielen | UWV", size=7, spaced=False)
                slug = re.sub(r"[^a-z0-9]+", "-", report.region.name.lower())
                page.text(left, page_height - 6, f"https://www.uwv.nl/nl/klantprofielen/{slug}", size=7,
                          spaced=False)
                page.text(page_width - 22, page_height - 6, f"{number}/{len(pages)}", size=7, spaced=False)
                y = 16.0
            if number == 1:
                page.text(left, y + 6, "Transparantie van klantprofielen", size=14, bold=True)
                page.text(left, y + 13, period_text(report), size=11, bold=True)
                page.text(left, y + 19, report.region.name, size=11, bold=True)
                y += 24
                for line in wrap_cell(pdf, INTRO, page_width - 2 * left, 8):
                    page.text(left, y + 3, line, spaced=False)
                    y += LINE
                y += 4
            y = _table(page, pdf, chunk, widths, left, y, region_lines if number == 1 else [],
                       first_page=number == 1, marked=report.rows[0].municipality if markers else None,
                       browser=browser, dutch=dutch)
            if number == len(pages):
                if markers:
                    notes = ["1 Inclusief personen van wie de woongemeente onbekend is.",
                             f"2 {rows[1 if totals_first else 0][0]}: cijfers over het hele kwartaal."]
                    for note in notes:
                        page.raised(left, y + 3, note[0])
                        page.text(left + 2, y + 3, note[2:], size=7, spaced=False)
                        y += LINE
                    y += 2
                for text in filter(None, [footnote_text(report), OUTRO]):
                    for line in wrap_cell(pdf, text, page_width - 2 * left, 8):
                        page.text(left, y + 3, line, spaced=False)
                        y += LINE
            if shuffled:
                page.flush_shuffled(seed=number)
    data = bytes(pdf.output())
    if rotate or rotate_flag_only:
        data = data.replace(b"/Type /Page\n", f"/Type /Page\n/Rotate {rotate or 90}\n".encode())
    return data


def _table(page: PageWriter, pdf: FPDF, rows: list[tuple[str, list[int]]], widths: list[float], left: float,
           y: float, region_lines: list[str], *, first_page: bool, marked: str | None, browser: bool,
           dutch: Any) -> float:
    """The header (two rows, the group headings wrapping) and the body; returns the y below it."""
    from tests.report_renderers import HEADER, SUBHEADER

    header_lines = [wrap_cell(pdf, label, width - 2, 7, bold=True) for width, label in zip(widths, HEADER, strict=True)]
    sub_lines = [wrap_cell(pdf, label, width - 2, 7, bold=True) for width, label in zip(widths, SUBHEADER, strict=True)]
    for lines_per_cell in (header_lines, sub_lines):
        height = max(len(lines) for lines in lines_per_cell) * 3.2 + 2
        x = left
        for width, lines in zip(widths, lines_per_cell, strict=True):
            for index, line in enumerate(lines):
                page.text(x + 1, y + 3.5 + 3.2 * index, line, size=7, bold=True, spaced=False)
            if browser:
                pdf.rect(x, y, width, height)
            x += width
        y += height
    top = y
    for label, counts in rows:
        name = label
        total_row = label == "TOTAAL AMR"
        name_lines = wrap_cell(pdf, name, widths[1] - 2, 8, bold=total_row) if browser else [name]
        height = len(name_lines) * LINE + 2
        middle = y + height / 2 + 1.2  # the baseline of text centred in the cell
        for index, line in enumerate(name_lines):
            baseline = middle + (index - (len(name_lines) - 1) / 2) * LINE
            page.text(left + widths[0] + 1, baseline, line, bold=total_row)
        if label == marked:
            pdf.set_font("Helvetica", size=8)
            page.text(left + widths[0] + 1 + pdf.get_string_width(name_lines[-1]) + 0.2,
                      middle + (len(name_lines) - 1) / 2 * LINE, "\u00b2", spaced=False)
        x = left + widths[0] + widths[1]
        for index, count in enumerate(counts):
            page.text(x, middle, dutch(count), bold=total_row, align="R", width=widths[2 + index] - 1.5)
            if marked and total_row and index == 4:
                page.raised(x + widths[6] - 1.3, middle, "1")
            x += widths[2 + index]
        if browser:
            x = left + widths[0]
            for width in widths[1:]:
                pdf.rect(x, y, width, height)
                x += width
        y += height
    if region_lines:  # the region cell spans the body, its text centred and wrapped
        middle = (top + y) / 2
        for index, line in enumerate(region_lines):
            page.text(left + 1, middle + 1.2 + (index - (len(region_lines) - 1) / 2) * LINE, line)
    if browser and first_page:
        pdf.rect(left, top, widths[0], y - top)
    return y + 4


def _paginate(pdf: FPDF, rows: list[tuple[str, list[int]]], wrap_width: float, rows_per_page: int,
              page_height: float) -> list[list[tuple[str, list[int]]]]:
    """Rows per page: at most rows_per_page, and no more than fit (the first page holds the title and
    the introduction; room is kept under the table for the notes)."""
    pages: list[list[tuple[str, list[int]]]] = [[]]
    room = page_height - 95.0
    for row in rows:
        height = (len(wrap_cell(pdf, row[0], wrap_width, 8)) if wrap_width else 1) * LINE + 2
        if pages[-1] and (len(pages[-1]) == rows_per_page or height > room):
            pages.append([])
            room = page_height - 65.0
        pages[-1].append(row)
        room -= height
    return pages
