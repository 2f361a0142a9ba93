"""Render one report's numbers in every format the parsers read: fixtures for the unit, end-to-end
and benchmark tests. `render(report, fmt, **options) -> bytes`; `VARIANTS` names the renderings the
format tests use; `sample_report(seed)` makes a report to render."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Callable
from html.entities import codepoint2name
from typing import Any

from fpdf import FPDF
from openpyxl import Workbook

from shared.models import Counts, ParsedReport, Period, Region, Register, Row

QUARTERS = {1: "Eerste", 2: "Tweede", 3: "Derde", 4: "Vierde"}
HEADER = ("Arbeidsmarktregio", "Gemeente", "Gemeenteklanten in Sonar", "", "UWV-klanten in Sonar", "",
          "Totaal in Sonar")
SUBHEADER = ("", "", "Profiel in Sonar", "Geen profiel in Sonar", "Profiel in Sonar",
             "Geen profiel in Sonar", "")
INTRO = ("Gemeenten en UWV hebben een gedeelde verantwoordelijkheid om transparantie op de arbeidsmarkt "
         "te realiseren. Speciaal voor werkgevers en intermediairs heeft UWV daarom de kandidatenverkenner "
         "banenafspraak ontwikkeld: een online databank op werk.nl met de anonieme profielen van mensen "
         "die behoren tot de doelgroep van de banenafspraak.")
OUTRO = ("De profielen in de kandidatenverkenner zijn afkomstig uit het landelijke klantvolgsysteem Sonar. "
         "Sonar biedt ook de mogelijkheid om van geregistreerde kandidaten een klantprofiel op te stellen.")

# Which renderings the format tests compare, and with which options.
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "pdf": ("pdf", {}),
    "pdf-two-pages": ("pdf", {"pages": 2}),
    "pdf-two-pages-header-once": ("pdf", {"pages": 2, "repeat_header": False}),
    "pdf-column-order": ("pdf", {"column_order": True}),
    "pdf-column-order-two-pages": ("pdf", {"column_order": True, "pages": 2}),
    "html": ("html", {}),
    "html-entities": ("html", {"entities": True}),
    "text-tabs": ("text", {"style": "tabs"}),
    "text-tabs-crlf-bom": ("text", {"style": "tabs", "newline": "\r\n", "encoding": "utf-8-sig"}),
    "text-pdf-edition": ("text", {"style": "pdf-edition"}),
    "text-pdf-edition-cp1252-crlf": ("text", {"style": "pdf-edition", "encoding": "cp1252",
                                              "newline": "\r\n"}),
    "csv-comma": ("csv", {"delimiter": ","}),
    "csv-semicolon": ("csv", {"delimiter": ";"}),
    "csv-semicolon-plain-numbers-bom": ("csv", {"delimiter": ";", "thousands": False,
                                                "encoding": "utf-8-sig"}),
    "xlsx": ("xlsx", {}),
    "xlsx-numbers-as-text-second-sheet": ("xlsx", {"numbers": "text", "intro_sheet": True}),
    "ods": ("ods", {}),
    "ods-numbers-as-text-behind-a-trend-sheet": ("ods", {"numbers": "text", "trend_sheet": True}),
    "ods-at-c5": ("ods", {"offset": (4, 2)}),
    "xls": ("xls", {}),
    "xls-behind-a-trend-sheet-at-c5": ("xls", {"trend_sheet": True, "offset": (4, 2)}),
}

# Files as other producers make them (tests/unit/test_producers.py): (format parsed, renderer, options).
PRODUCER_VARIANTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "pdf-landscape-rotate-90": ("pdf", "pdf-producer", {"rotate": 90}),
    "pdf-landscape-rotate-270": ("pdf", "pdf-producer", {"rotate": 270}),
    "pdf-rotate-flag-on-upright-text": ("pdf", "pdf-producer", {"rotate_flag_only": True}),
    "pdf-letter-spaced-glyph-by-glyph": ("pdf", "pdf-producer", {"letter_spacing": 0.8}),
    "pdf-character-spacing": ("pdf", "pdf-producer", {"char_spacing": 2}),
    "pdf-rotated-and-letter-spaced": ("pdf", "pdf-producer", {"rotate": 270, "letter_spacing": 1.2}),
    "pdf-footnote-markers": ("pdf", "pdf-producer", {"markers": True}),
    "pdf-totaal-first": ("pdf", "pdf-producer", {"totals_first": True}),
    "pdf-browser-print": ("pdf", "pdf-producer", {"browser": True}),
    "pdf-browser-print-wrapping-over-pages": ("pdf", "pdf-producer", {"browser": True, "rows_per_page": 4,
                                                                      "region_width": 20, "name_width": 22}),
    "pdf-browser-print-wrapping-markers-totaal-first": ("pdf", "pdf-producer", {
        "browser": True, "rows_per_page": 5, "region_width": 22, "name_width": 24, "markers": True,
        "totals_first": True}),
    "pdf-browser-print-landscape": ("pdf", "pdf-producer", {"browser": True, "rotate": 90, "region_width": 18,
                                                            "name_width": 18}),
    "pdf-cells-written-in-random-order": ("pdf", "pdf-producer", {"shuffled": True, "browser": True,
                                                                  "rows_per_page": 5}),
    "pdf-trend-table-on-the-page-before": ("pdf", "pdf-producer", {"trend_page": True}),
    "pdf-two-pages-to-a-sheet": ("pdf", "pdf-two-up", {}),
    "pdf-columns-over-two-pages": ("pdf", "pdf-columns-over-two-pages", {}),
    "text-copied-from-a-pdf-viewer": ("text", "text-producer", {"style": "pdf-viewer"}),
    "text-copied-from-a-pdf-viewer-totaal-first": ("text", "text-producer", {"style": "pdf-viewer",
                                                                            "totals_first": True}),
    "text-browser-select-all": ("text", "text-producer", {"style": "browser"}),
    "text-browser-select-all-soft-hyphens-nbsp": ("text", "text-producer", {"style": "browser", "soft_hyphens": True,
                                                                            "nbsp": True}),
    "text-browser-select-all-cp1252-crlf": ("text", "text-producer", {"style": "browser", "encoding": "cp1252",
                                                                      "newline": "\r\n"}),
    "text-markdown-table": ("text", "text-producer", {"style": "markdown"}),
    "text-quoted-in-a-reply": ("text", "text-producer", {"style": "quoted-reply"}),
    "text-markdown-table-nbsp": ("text", "text-producer", {"style": "markdown", "nbsp": True, "soft_hyphens": True}),
    "csv-metadata-lines": ("csv", "csv-producer", {}),
    "csv-metadata-lines-totaal-first": ("csv", "csv-producer", {"totals_first": True}),
    "csv-comma-metadata-totaal-first": ("csv", "csv-producer", {"delimiter": ",", "totals_first": True}),
    "csv-pipe": ("csv", "csv-producer", {"delimiter": "|"}),
    "tsv-metadata-lines": ("text", "csv-producer", {"delimiter": "\t"}),
    "csv-utf16-tabs": ("text", "csv-producer", {"delimiter": "\t", "encoding": "utf-16"}),
    "html-screen-reader-labels": ("html", "html-producer", {"style": "accessible"}),
    "html-old-intranet-windows-1252": ("html", "html-producer", {"style": "intranet"}),
    "html-old-intranet-totaal-first": ("html", "html-producer", {"style": "intranet", "totals_first": True}),
    "html-split-over-tables": ("html", "html-producer", {"style": "split-tables"}),
    "html-split-over-tables-totaal-first": ("html", "html-producer", {"style": "split-tables", "totals_first": True}),
    "html-mail-saved-by-outlook": ("html", "html-producer", {"style": "mail"}),
    "html-footnote-references-in-sup": ("html", "html-producer", {"style": "footnote-references"}),
    "xlsx-behind-a-trend-sheet-at-c5": ("xlsx", "xlsx-producer", {"trend_sheet": True, "offset": (4, 2)}),
    "xlsx-region-code-in-a-metadata-line": ("xlsx", "xlsx-producer", {"metadata": True}),
    "ods-region-code-in-a-metadata-line": ("ods", "ods", {"metadata": True, "offset": (2, 1)}),
    "ods-numbers-as-text-no-formulas": ("ods", "ods", {"numbers": "text", "formulas": False}),
    "ods-spacer-columns-at-c5": ("ods", "ods", {"spacers": True, "offset": (4, 2)}),
    "xlsx-spacer-columns-behind-a-trend-sheet": ("xlsx", "xlsx-producer", {"spacers": True, "trend_sheet": True}),
    "xls-spacer-columns": ("xls", "xls", {"spacers": True}),
    "xls-region-code-in-a-metadata-line-behind-a-trend-sheet": ("xls", "xls", {"metadata": True,
                                                                               "trend_sheet": True}),
}
# Producer variants that print the region's name but not its code.
WITHOUT_REGION_CODE = {"html-mail-saved-by-outlook"}


def render(report: ParsedReport, fmt: str, **options: Any) -> bytes:
    """The report as the bytes of a file in `fmt` ('pdf', 'html', 'text', 'csv', 'xlsx', 'ods', 'xls')."""
    return _RENDERERS[fmt](report, **options)


def render_variant(report: ParsedReport, variant: str) -> bytes:
    """One of the renderings named in VARIANTS or PRODUCER_VARIANTS."""
    if variant in PRODUCER_VARIANTS:
        _, renderer, options = PRODUCER_VARIANTS[variant]
        return render(report, renderer, **options)
    fmt, options = VARIANTS[variant]
    return render(report, fmt, **options)


# A report's figures: what every rendering of one report must give back alike. The format differs, and
# so do the locations (tests/unit/test_locations.py checks those).
FIGURES_ONLY: dict[str, Any] = {"format": True, "totals_location": True, "rows": {"__all__": {"location"}},
                                "register": {"location"}}


def figures(report: ParsedReport) -> dict[str, Any]:
    """The report as a dict without its format and its locations."""
    return report.model_dump(exclude=FIGURES_ONLY)


def unlocated(rows: tuple[Row, ...]) -> tuple[Row, ...]:
    """The rows without where they were read."""
    return tuple(row.model_copy(update={"location": None}) for row in rows)


def expected_document(report: ParsedReport, variant: str) -> dict[str, Any]:
    """What parsing `variant` must give back, minus the format and locations: the PDF edition prints no
    region code."""
    document = figures(report)
    options = VARIANTS[variant][1] if variant in VARIANTS else PRODUCER_VARIANTS[variant][2]
    if options.get("style") == "pdf-edition" or variant in WITHOUT_REGION_CODE:
        document["region"]["code"] = None
    return document


def sample_report(seed: str = "midden-limburg") -> ParsedReport:
    """A report: the numbers of a real seed ('midden-limburg', 'west-brabant') or 'tricky' names."""
    region, period, register, rows = _SEEDS[seed]
    made = tuple(Row(municipality=name, municipal_with_profile=a, municipal_without_profile=b,
                     uwv_with_profile=c, uwv_without_profile=d, total=a + b + c + d)
                 for name, (a, b, c, d) in rows)
    totals = Counts(**{field: sum(getattr(row, field) for row in made) for field in Counts.model_fields})
    return ParsedReport(format="text", region=region, period=period, rows=made, totals=totals,
                        register=register)


_SEEDS: dict[str, tuple[Region, Period, Register | None, list[tuple[str, tuple[int, int, int, int]]]]] = {
    "midden-limburg": (Region(code=34, name="Midden-Limburg"), Period(year=2021, quarter=4),
                       Register(size=3627, percent_in_sonar=70), [
        ("Cranendonck", (1, 27, 93, 13)), ("Echt-Susteren", (33, 38, 167, 17)),
        ("Leudal", (11, 55, 192, 21)), ("Maasgouw", (7, 37, 115, 16)), ("Nederweert", (9, 25, 85, 9)),
        ("Roerdalen", (4, 46, 108, 16)), ("Roermond", (119, 230, 502, 84)), ("Weert", (54, 114, 257, 32))]),
    "west-brabant": (Region(code=None, name="West-Brabant"), Period(year=2020, quarter=4),
                     Register(size=7124, percent_in_sonar=71), [
        ("Altena", (6, 87, 133, 76)), ("Bergen op Zoom", (36, 133, 250, 115)), ("Breda", (41, 579, 767, 248)),
        ("Drimmelen", (2, 34, 56, 36)), ("Etten-Leur", (8, 83, 122, 76)), ("Geertruidenberg", (2, 40, 79, 30)),
        ("Halderberge", (8, 43, 97, 42)), ("Moerdijk", (7, 44, 107, 49)), ("Oosterhout", (41, 97, 195, 80)),
        ("Roosendaal", (20, 222, 285, 159)), ("Rucphen", (7, 42, 63, 30)), ("Steenbergen", (4, 40, 60, 33)),
        ("Woensdrecht", (11, 25, 59, 18)), ("Zundert", (4, 22, 46, 27))]),
    "tricky": (Region(code=7, name="Súdwest-Fryslân en 's-Hertogenbosch"), Period(year=2023, quarter=1), None, [
        ("'s-Hertogenbosch", (1_234, 56_789, 123_456, 999_999)), ("Súdwest-Fryslân", (0, 0, 0, 0)),
        ("Bergen (L.)", (5, 1_000, 10_000, 100_000)), ("Nuenen, Gerwen en Nederwetten", (12, 345, 6, 78)),
        ("Noardeast-Fryslân", (9, 8, 7, 6)), ("Capelle aan den IJssel", (100, 200, 300, 400))]),
}


def dutch(number: int) -> str:
    """1519 -> '1.519'."""
    return f"{number:,}".replace(",", ".")


def period_text(report: ParsedReport) -> str:
    return f"{QUARTERS[report.period.quarter]} kwartaal {report.period.year}"


def footnote_text(report: ParsedReport) -> str | None:
    if report.register is None:
        return None
    return (f"In Sonar zijn niet alle doelgroepers opgenomen, in de arbeidsmarktregio {report.region.name} "
            f"bevat het doelgroepregister banenafspraak in totaal {dutch(report.register.size)} personen. "
            f"Hiervan is {report.register.percent_in_sonar}% bekend binnen Sonar.")


def region_cell(report: ParsedReport) -> str:
    code = report.region.code
    return report.region.name if code is None else f"{code} {report.region.name}"


def body(report: ParsedReport) -> list[tuple[str, list[int]]]:
    """(label, five counts) for each municipality, then the TOTAAL AMR row."""
    fields = ("municipal_with_profile", "municipal_without_profile", "uwv_with_profile",
              "uwv_without_profile", "total")
    rows = [(row.municipality, [getattr(row, f) for f in fields]) for row in report.rows]
    return [*rows, ("TOTAAL AMR", [getattr(report.totals, f) for f in fields])]


def _text(report: ParsedReport, *, style: str = "tabs", newline: str = "\n",
          encoding: str = "utf-8") -> bytes:
    footnote = footnote_text(report)
    if style == "tabs":  # the web table flattened, tags left in (seed 000)
        lines = ["", "", "# Transparantie van klantprofielen", "", f"## {period_text(report)}", "",
                 f"## {report.region.name}", "", "### Transparantie op de arbeidsmarkt", "", INTRO, "",
                 "\t".join(HEADER), "\t".join(SUBHEADER)]
        for index, (label, counts) in enumerate(body(report)):
            first = region_cell(report) if index == 0 else ""
            if label == "TOTAAL AMR":
                lines.append("\t".join(["", "<b>TOTAAL AMR</b>", *(f"<b>{dutch(n)}</b>" for n in counts)]))
            else:
                name = f'<a href="#">{html.escape(label, quote=False)}</a>'
                lines.append("\t".join([first, name, *map(dutch, counts)]))
        lines += ["", footnote or OUTRO]
    else:  # the PDF edition's text (seed 001): no region code, counts after spaces
        lines = ["", "Transparantie van klantprofielen ", "", f"{period_text(report)}  {report.region.name}", ""]
        for label, counts in body(report):
            if label == "TOTAAL AMR":
                lines.append(" " + " ".join([label, *map(dutch, counts)]))
            else:
                lines += [" ".join([label, *map(dutch, counts)]), ""]
        if footnote:
            head, tail = footnote.split(" banenafspraak ", 1)
            lines += [" " + head + " ", "", "banenafspraak " + tail]
        lines += ["", INTRO, "", "Sonar", "", OUTRO, " "]
    return newline.join(lines).encode(encoding)


def _csv(report: ParsedReport, *, delimiter: str = ";", thousands: bool = True,
         encoding: str = "utf-8") -> bytes:
    number = dutch if thousands else str
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["Transparantie van klantprofielen", period_text(report), report.region.name])
    writer.writerow(HEADER)
    writer.writerow(SUBHEADER)
    for index, (label, counts) in enumerate(body(report)):
        writer.writerow([region_cell(report) if index == 0 else "", label, *map(number, counts)])
    if (footnote := footnote_text(report)) is not None:
        writer.writerow([footnote])
    return out.getvalue().encode(encoding)


def _xlsx(report: ParsedReport, *, numbers: str = "number", title: bool = True, footnote: bool = True,
          region_column: bool = True, intro_sheet: bool = False) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if intro_sheet:
        sheet.title = "Toelichting"
        sheet.append([INTRO])
        sheet = workbook.create_sheet("Klantprofielen")
    if title:
        sheet.append(["Transparantie van klantprofielen"])
        sheet.append([period_text(report), report.region.name])
        sheet.append([])
    sheet.append(list(HEADER))
    sheet.append(list(SUBHEADER))
    first_row = sheet.max_row + 1
    for index, (label, counts) in enumerate(body(report)):
        region = region_cell(report) if index == 0 and region_column else None
        sheet.append([region, label, *(dutch(n) if numbers == "text" else n for n in counts)])
    sheet.merge_cells(start_row=first_row, start_column=1, end_row=sheet.max_row, end_column=1)
    if footnote and (text := footnote_text(report)) is not None:
        sheet.append([])
        sheet.append([text])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _entities(text: str) -> str:
    """Escape like an old CMS: '&#39;' for apostrophes, named entities for accented letters."""
    escaped = html.escape(text, quote=True).replace("&#x27;", "&#39;")
    return "".join(f"&{codepoint2name[ord(c)]};" if ord(c) > 127 and ord(c) in codepoint2name else c
                   for c in escaped)


def _html(report: ParsedReport, *, entities: bool = False) -> bytes:
    esc = _entities if entities else (lambda s: html.escape(s, quote=False))
    rows = []
    for index, (label, counts) in enumerate(body(report)):
        cells = "".join(f"<td>{'<b>' + dutch(n) + '</b>' if label == 'TOTAAL AMR' else dutch(n)}</td>"
                        for n in counts)
        first = (f'<td rowspan="{len(report.rows) + 1}">{esc(region_cell(report))}</td>' if index == 0 else "")
        name = "<b>TOTAAL AMR</b>" if label == "TOTAAL AMR" else f'<a href="#">{esc(label)}</a>'
        rows.append(f"<tr>{first}<td>{name}</td>{cells}</tr>")
    footnote = footnote_text(report)
    page = f"""<!DOCTYPE html>
<html lang="nl"><head><meta charset="utf-8"><title>Transparantie van klantprofielen | UWV</title>
<style>td {{ text-align: right }}</style><script>var x = "<table><tr><td>TOTAAL AMR</td></tr></table>";</script>
</head><body><header><nav><table class="menu"><tr><td><a href="/">Home</a></td>
<td><a href="/archief">Archief: Derde kwartaal 2019</a></td></tr></table></nav></header>
<main><div class="content"><h1>Transparantie van klantprofielen</h1><h2>{period_text(report)}</h2>
<h2>{esc(report.region.name)}</h2><h3>Transparantie op de arbeidsmarkt</h3><p>{INTRO}</p>
<div class="table-wrapper"><table class="report"><thead>
<tr><th rowspan="2">Arbeidsmarktregio</th><th rowspan="2">Gemeente</th><th colspan="2">Gemeenteklanten
in Sonar</th><th colspan="2">UWV-klanten in Sonar</th><th rowspan="2">Totaal in Sonar</th></tr>
<tr><th>Profiel in Sonar</th><th>Geen profiel in Sonar</th><th>Profiel in Sonar</th><th>Geen profiel
in Sonar</th></tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table></div><p class="note">{esc(footnote) if footnote else ''}</p><p>{OUTRO}</p></div></main>
<footer><p>&copy; UWV &ndash; alle rechten voorbehouden</p></footer></body></html>"""
    return page.encode("utf-8")


def _pdf(report: ParsedReport, *, pages: int = 1, repeat_header: bool = True,
         column_order: bool = False, compress: bool = True) -> bytes:
    """fpdf2 with a core font (so names must be Latin-1); column_order writes the table column by
    column, top to bottom, the way some producers do."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_font("Helvetica", size=9)
    label_width = max(pdf.get_string_width(label) for label, _ in body(report)) + 8
    region_width = pdf.get_string_width(region_cell(report)) + 8
    widths = [region_width, label_width, *[20.0] * 5]
    if sum(widths) > 180:
        pdf = FPDF(orientation="L", format="A4")
        pdf.set_auto_page_break(False)
    pdf.set_compression(compress)
    pdf.set_margins(15, 15)
    rows = body(report)
    split = max(1, len(report.rows) // 2) if pages == 2 else len(rows)
    chunks = [rows[:split], rows[split:]] if pages == 2 else [rows]
    for page_number, chunk in enumerate(chunks, start=1):
        pdf.add_page()
        if page_number == 1:
            pdf.set_font("Helvetica", style="B", size=13)
            pdf.cell(0, 8, "Transparantie van klantprofielen", new_x="LMARGIN", new_y="NEXT")
            pdf.cell(0, 7, f"{period_text(report)}  {report.region.name}", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", size=9)
            pdf.multi_cell(0, 4.5, INTRO, new_x="LMARGIN", new_y="NEXT")
        y = pdf.get_y() + 4
        if page_number == 1 or repeat_header:
            pdf.set_font("Helvetica", style="B", size=6)
            for line, labels in enumerate((HEADER, SUBHEADER)):
                x = 15.0
                for width, label in zip(widths, labels, strict=True):
                    pdf.set_xy(x, y + 4 * line)
                    pdf.cell(width, 4, label)
                    x += width
            y += 9
        cells = []
        for offset, (label, counts) in enumerate(chunk):
            first = region_cell(report) if page_number == 1 and offset == 0 else ""
            texts = [first, label, *map(dutch, counts)]
            x = 15.0
            for column, (width, text) in enumerate(zip(widths, texts, strict=True)):
                cells.append((column, x, y + 5 * offset, width, text, label == "TOTAAL AMR"))
                x += width
        if column_order:
            cells.sort(key=lambda cell: cell[0])
        for column, x, cell_y, width, text, bold in cells:
            pdf.set_font("Helvetica", style="B" if bold else "", size=9)
            pdf.set_xy(x, cell_y)
            pdf.cell(width, 5, text, align="L" if column < 2 else "R")
        pdf.set_font("Helvetica", size=9)
        pdf.set_xy(15, y + 5 * len(chunk) + 4)
        if page_number == len(chunks):
            if (footnote := footnote_text(report)) is not None:
                pdf.multi_cell(0, 4.5, footnote, new_x="LMARGIN", new_y="NEXT")
            pdf.multi_cell(0, 4.5, OUTRO, new_x="LMARGIN", new_y="NEXT")
        pdf.set_xy(15, pdf.h - 12)
        pdf.cell(0, 5, f"Pagina {page_number} van {len(chunks)}", align="R")
    return bytes(pdf.output())


_RENDERERS: dict[str, Callable[..., bytes]] = {"pdf": _pdf, "html": _html, "text": _text, "csv": _csv,
                                               "xlsx": _xlsx}


def _register_producers() -> None:
    from tests import html_producers, pdf_print_layouts, pdf_producers, spreadsheet_renderers, text_producers

    _RENDERERS.update({"ods": spreadsheet_renderers.ods, "xls": spreadsheet_renderers.xls,
                       "pdf-producer": pdf_producers.producer_pdf, "text-producer": text_producers.text_producer,
                       "csv-producer": text_producers.csv_producer, "html-producer": html_producers.html_producer,
                       "xlsx-producer": spreadsheet_renderers.xlsx, "pdf-two-up": pdf_print_layouts.two_up_pdf,
                       "pdf-columns-over-two-pages": pdf_print_layouts.columns_over_two_pages})


_register_producers()
