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


class _Page:
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


def _wrap(pdf: FPDF, text: str, width: float, size: float, bold: bool = False) -> list[str]:
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
    page = _Page(pdf, letter_spacing=letter_spacing, char_spacing=char_spacing)
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
    region_lines = _wrap(pdf, region_cell(report), widths[0] - 2, 8)
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
                for line in _wrap(pdf, INTRO, page_width - 2 * left, 8):
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
                    for line in _wrap(pdf, text, page_width - 2 * left, 8):
                        page.text(left, y + 3, line, spaced=False)
                        y += LINE
            if shuffled:
                page.flush_shuffled(seed=number)
    data = bytes(pdf.output())
    if rotate or rotate_flag_only:
        data = data.replace(b"/Type /Page\n", f"/Type /Page\n/Rotate {rotate or 90}\n".encode())
    return data


def _table(page: _Page, pdf: FPDF, rows: list[tuple[str, list[int]]], widths: list[float], left: float,
           y: float, region_lines: list[str], *, first_page: bool, marked: str | None, browser: bool,
           dutch: Any) -> float:
    """The header (two rows, the group headings wrapping) and the body; returns the y below it."""
    from tests.report_renderers import HEADER, SUBHEADER

    header_lines = [_wrap(pdf, label, width - 2, 7, bold=True) for width, label in zip(widths, HEADER, strict=True)]
    sub_lines = [_wrap(pdf, label, width - 2, 7, bold=True) for width, label in zip(widths, SUBHEADER, strict=True)]
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
        name_lines = _wrap(pdf, name, widths[1] - 2, 8, bold=total_row) if browser else [name]
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
        height = (len(_wrap(pdf, row[0], wrap_width, 8)) if wrap_width else 1) * LINE + 2
        if pages[-1] and (len(pages[-1]) == rows_per_page or height > room):
            pages.append([])
            room = page_height - 65.0
        pages[-1].append(row)
        room -= height
    return pages


def pdf_without_unicode(report: ParsedReport) -> bytes:
    """The table in a Type 3 font whose glyphs have made-up names and no ToUnicode map, as some
    producers subset fonts: it prints fine, but its text layer holds only glyph codes."""
    from tests.report_renderers import body, dutch, period_text, region_cell

    lines = ["Transparantie van klantprofielen", f"{period_text(report)}  {region_cell(report)}"]
    lines += [" ".join([label, *map(dutch, counts)]) for label, counts in body(report)]
    codes: dict[str, int] = {}
    free = [*range(1, 32), *range(127, 160)]
    for char in "".join(lines):
        if char != " " and char not in codes:
            codes[char] = free[len(codes) % len(free)]
    glyph = b"500 0 0 0 400 600 d1 0 0 400 600 re f"
    procs = b" ".join(b"/g%d %d 0 R" % (code, 6) for code in sorted(set(codes.values())))
    differences = b" ".join(b"%d /g%d" % (code, code) for code in sorted(set(codes.values())))
    widths = b" ".join(b"500" for _ in range(256))
    content = b"BT /F1 9 Tf 11 TL 40 800 Td " + b" ".join(
        b"(" + bytes(32 if ch == " " else codes[ch] for ch in line).replace(b"\\", b"\\\\").replace(b"(", b"\\(")
        .replace(b")", b"\\)") + b") Tj T*" for line in lines) + b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type3 /FontBBox [0 0 500 700] /FontMatrix [0.001 0 0 0.001 0 0] /CharProcs << "
        + procs + b" >> /Encoding << /Type /Encoding /Differences [" + differences + b"] >> /FirstChar 0 "
        b"/LastChar 255 /Widths [" + widths + b"] >>",
        b"<< /Length %d >>\nstream\n" % len(glyph) + glyph + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body_bytes in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body_bytes + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def two_up_pdf(report: ParsedReport) -> bytes:
    """The table printed two pages to a sheet: the first half of the rows on the left, the rest and
    TOTAAL AMR on the right, each half under its own (abbreviated) header; the region in a parameter
    line above."""
    from tests.report_renderers import body, dutch, footnote_text, period_text, region_cell

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    page = _Page(pdf, letter_spacing=0.0, char_spacing=0.0)
    page.text(12, 14, "Transparantie van klantprofielen", size=13, bold=True)
    page.text(12, 21, period_text(report), size=10, bold=True)
    page.text(12, 27, f"Arbeidsmarktregio: {region_cell(report)}", size=8)
    rows = body(report)
    half = (len(rows) + 1) // 2
    pdf.set_font("Helvetica", style="B", size=7)
    name_width = max(pdf.get_string_width(label) for label, _ in rows) + 4
    half_width = name_width + 5 * 15
    for side, chunk in enumerate((rows[:half], rows[half:])):
        left = 12 + side * (half_width + 10)
        x = left
        for width, label in zip([name_width, *[15.0] * 5], ["Gemeente", "Gem. prof.", "Gem. geen", "UWV prof.",
                                                            "UWV geen", "Totaal"], strict=True):
            page.text(x, 36, label, size=6, bold=True)
            x += width
        for index, (label, counts) in enumerate(chunk):
            y = 42 + 4.5 * index
            page.text(left, y, label, size=7, bold=label == "TOTAAL AMR")
            x = left + name_width
            for count in counts:
                page.text(x, y, dutch(count), size=7, align="R", width=14)
                x += 15
    if (footnote := footnote_text(report)) is not None:
        for index, line in enumerate(_wrap(pdf, footnote, 260, 7)):
            page.text(12, 42 + 4.5 * half + 8 + 4 * index, line, size=7, spaced=False)
    return bytes(pdf.output())


def columns_over_two_pages(report: ParsedReport) -> bytes:
    """A wide sheet printed on two pages: the region and name columns and the municipal counts on the
    first, the names again (repeated at left) with the UWV counts and the total on the second."""
    from tests.report_renderers import HEADER, SUBHEADER, body, dutch, footnote_text, period_text, region_cell

    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    page = _Page(pdf, letter_spacing=0.0, char_spacing=0.0)
    rows = body(report)
    pdf.set_font("Helvetica", size=8)
    region_width = pdf.get_string_width(region_cell(report)) + 6
    name_width = max(pdf.get_string_width(label) for label, _ in rows) + 8
    for number, (columns, with_region) in enumerate((((0, 1), True), ((2, 3, 4), False)), start=1):
        pdf.add_page()
        page.text(12, 12, f"Klantprofielen {period_text(report)}", size=7, spaced=False)
        page.text(180, 12, f"Pagina {number}", size=7, spaced=False)
        if number == 1:
            page.text(12, 19, f"{period_text(report)}  {report.region.name}", size=9, bold=True)
        left = 12 + (region_width if with_region else 0)
        page.text(left, 24, HEADER[1], size=7, bold=True)
        for offset, column in enumerate(columns):
            page.text(left + name_width + 28 * offset, 24, HEADER[2 + column] or HEADER[1 + column], size=7, bold=True)
            page.text(left + name_width + 28 * offset, 28, SUBHEADER[2 + column], size=7, bold=True)
        for index, (label, counts) in enumerate(rows):
            y = 36 + 5 * index
            if with_region and index == 0:
                page.text(12, y, region_cell(report))
            page.text(left, y, label, bold=label == "TOTAAL AMR")
            for offset, column in enumerate(columns):
                page.text(left + name_width + 28 * offset, y, dutch(counts[column]), align="R", width=24)
        if number == 2 and (footnote := footnote_text(report)) is not None:
            for index, line in enumerate(_wrap(pdf, footnote, 180, 8)):
                page.text(12, 36 + 5 * len(rows) + 6 + 4 * index, line, spaced=False)
    return bytes(pdf.output())
