"""Text files of one report as people make them: the table copied out of a PDF viewer (one cell per
line), a browser's select-all copy of the web page (menu, breadcrumbs and prose around a
tab-separated table, the region on its first row only), a table pasted from a wiki or a chat as a
Markdown table, the table quoted in a plain-text reply, and names carrying soft hyphens and
non-breaking spaces. Also the CSV exports of reporting tools (metadata lines above the table, TOTAAL
AMR first, any common delimiter). Used through report_renderers.render(report, "text-producer" |
"csv-producer")."""

from __future__ import annotations

import csv
import io
import re

from shared.models import ParsedReport

MENU = ["Ga direct naar inhoud", "Home", "Werknemers", "Werkgevers", "Over UWV", "Zoeken", "Inloggen",
        "Home > Over UWV > Kennis & onderzoek > Klantprofielen"]
FOOTER = ["Volg ons", "Privacy\tCookies\tToegankelijkheid\tContact", "\u00a9 UWV 2026"]


def _marked_up(name: str, *, soft_hyphens: bool, nbsp: bool) -> str:
    """A name as a CMS stores it: soft hyphens in long words, non-breaking spaces between words."""
    if soft_hyphens:
        name = re.sub(r"([^\W\d_]{4})([^\W\d_]{3,})", "\\1\u00ad\\2", name)
    if nbsp:
        name = name.replace(" ", "\u00a0")
    return name


def text_producer(report: ParsedReport, *, style: str, soft_hyphens: bool = False, nbsp: bool = False,
                  totals_first: bool = False, encoding: str = "utf-8", newline: str = "\n") -> bytes:
    from tests.report_renderers import (
        HEADER,
        INTRO,
        OUTRO,
        SUBHEADER,
        body,
        dutch,
        footnote_text,
        period_text,
        region_cell,
    )

    rows = body(report)
    if totals_first:
        rows = rows[-1:] + rows[:-1]
    names = [(_marked_up(label, soft_hyphens=soft_hyphens, nbsp=nbsp), counts) for label, counts in rows]
    number = (lambda n: f"\u00a0{dutch(n)}\u00a0") if nbsp else dutch
    footnote = footnote_text(report)
    lines: list[str] = []
    if style == "pdf-viewer":  # one cell per line, empty cells left out, as a PDF viewer's copy gives
        lines += ["Transparantie van klantprofielen", period_text(report), report.region.name, INTRO]
        lines += [cell for cell in HEADER + SUBHEADER if cell]
        for index, (label, counts) in enumerate(names):
            if index == 0:
                lines.append(region_cell(report))
            lines += [label, *map(number, counts)]
        lines += [footnote or "", OUTRO]
    elif style == "browser":  # select-all in a browser: chrome, prose, the table as tab-separated rows
        lines += MENU + ["", "Transparantie van klantprofielen", period_text(report), report.region.name, "",
                         "Transparantie op de arbeidsmarkt", INTRO, ""]
        lines += ["\t".join(HEADER), "\t".join(SUBHEADER)]
        for index, (label, counts) in enumerate(names):
            lines.append("\t".join([region_cell(report) if index == 0 else "", label, *map(number, counts)]))
        lines += ["", footnote or "", OUTRO, "", *FOOTER]
    elif style == "markdown":  # pasted from a wiki or a chat
        lines += [f"# Transparantie van klantprofielen - {period_text(report)}", "",
                  f"**{region_cell(report)}**", "",
                  "| " + " | ".join(h or " " for h in HEADER[1:]) + " |",
                  "|" + "---|" * (len(HEADER) - 1)]
        for label, counts in names:
            lines.append("| " + " | ".join([label, *map(number, counts)]) + " |")
        lines += ["", footnote or ""]
    elif style == "quoted-reply":  # the table forwarded in a plain-text mail, quoted twice
        lines += ["Van: p.jansen@gemeente.nl", "Onderwerp: RE: klantprofielen", "", "Zie hieronder.", "",
                  "> Transparantie van klantprofielen", f"> {period_text(report)}", f"> {report.region.name}", ">"]
        lines += ["> > " + "\t".join(HEADER)]
        for index, (label, counts) in enumerate(names):
            lines.append("> > " + "\t".join([region_cell(report) if index == 0 else "", label, *map(number, counts)]))
        lines += [">", f"> {footnote or ''}"]
    else:
        raise ValueError(style)
    return newline.join(lines).encode(encoding)


def csv_producer(report: ParsedReport, *, delimiter: str = ";", metadata: bool = True, totals_first: bool = False,
                 encoding: str = "utf-8", header: bool = True) -> bytes:
    """A reporting tool's export: a block of parameters, then the table; the region code in the
    parameter block, not in the table."""
    from tests.report_renderers import HEADER, SUBHEADER, body, dutch, footnote_text, period_text, region_cell

    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    if metadata:
        writer.writerows([["Rapport", "Transparantie van klantprofielen"], ["Arbeidsmarktregio", region_cell(report)],
                          ["Periode", period_text(report)], ["Gegenereerd op", "30-11-2026 10:21"], []])
    if header:
        writer.writerow(HEADER[1:])
        writer.writerow(SUBHEADER[1:])
    rows = body(report)
    if totals_first:
        rows = rows[-1:] + rows[:-1]
    for label, counts in rows:
        writer.writerow([label, *map(dutch, counts)])
    if (footnote := footnote_text(report)) is not None:
        writer.writerow([])
        writer.writerow([footnote])
    return out.getvalue().encode(encoding)
