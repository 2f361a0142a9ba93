"""PDFs of one report in layouts of their own: the table printed two pages to a sheet, a wide sheet
printed with its columns over two pages, and a font whose glyphs have no Unicode mapping (a refusal).
Used through report_renderers.render."""

from __future__ import annotations

from fpdf import FPDF

from shared.models import ParsedReport
from tests.pdf_producers import PageWriter, wrap_cell


def two_up_pdf(report: ParsedReport) -> bytes:
    """The table printed two pages to a sheet: the first half of the rows on the left, the rest and
    TOTAAL AMR on the right, each half under its own (abbreviated) header; the region in a parameter
    line above."""
    from tests.report_renderers import body, dutch, footnote_text, period_text, region_cell

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    page = PageWriter(pdf, letter_spacing=0.0, char_spacing=0.0)
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
        for index, line in enumerate(wrap_cell(pdf, footnote, 260, 7)):
            page.text(12, 42 + 4.5 * half + 8 + 4 * index, line, size=7, spaced=False)
    return bytes(pdf.output())


def columns_over_two_pages(report: ParsedReport) -> bytes:
    """A wide sheet printed on two pages: the region and name columns and the municipal counts on the
    first, the names again (repeated at left) with the UWV counts and the total on the second."""
    from tests.report_renderers import HEADER, SUBHEADER, body, dutch, footnote_text, period_text, region_cell

    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    page = PageWriter(pdf, letter_spacing=0.0, char_spacing=0.0)
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
            for index, line in enumerate(wrap_cell(pdf, footnote, 180, 8)):
                page.text(12, 36 + 5 * len(rows) + 6 + 4 * index, line, spaced=False)
    return bytes(pdf.output())


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
