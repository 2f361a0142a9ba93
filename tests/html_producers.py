"""HTML of one report as other producers write it: an accessible page whose cells begin with labels
for screen readers only (<span class="visually-hidden">...: </span>), an old intranet page
(windows-1252, nested layout tables, <FONT>, &nbsp; around the numbers, upper-case tags, the region
in a parameter line), a table split into several tables (a header table, then one per block of rows,
as reporting tools paginate), and a mail saved as HTML by an office suite (mail headers, the table
inside Word's markup). Used through report_renderers.render(report, "html-producer", style=...)."""

from __future__ import annotations

import html

from shared.models import ParsedReport


def html_producer(report: ParsedReport, *, style: str, totals_first: bool = False) -> bytes:
    from tests.report_renderers import HEADER, INTRO, SUBHEADER, body, dutch, footnote_text, period_text, region_cell

    rows = body(report)
    if totals_first:
        rows = rows[-1:] + rows[:-1]
    esc = html.escape
    footnote = esc(footnote_text(report) or "")
    if style == "accessible":
        labels = ["Gemeente", "Gemeenteklanten met profiel", "Gemeenteklanten zonder profiel",
                  "UWV-klanten met profiel", "UWV-klanten zonder profiel", "Totaal in Sonar"]
        body_rows = []
        for label, counts in rows:
            cells = [esc(label), *map(dutch, counts)]
            body_rows.append("<tr>" + "".join(
                f'<td><span class="visually-hidden">{labels[i]}: </span>{cell}</td>' for i, cell in enumerate(cells))
                + "</tr>")
        page = (f'<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><title>Klantprofielen</title>'
                f'<style>.visually-hidden{{position:absolute;clip:rect(0 0 0 0)}}</style></head><body>'
                f'<a class="skip-link sr-only" href="#main">Naar de inhoud 1 2 3 4 5</a>'
                f'<main id="main"><h1>Transparantie van klantprofielen</h1><p>{period_text(report)}</p>'
                f'<p class="region">{esc(region_cell(report))}</p><p>{INTRO}</p>'
                f'<table><caption class="sr-only">Klanten in Sonar per gemeente</caption><thead><tr>'
                + "".join(f"<th>{esc(h)}</th>" for h in HEADER[1:]) + "</tr></thead><tbody>"
                + "".join(body_rows) + f"</tbody></table><p>{footnote}</p></main></body></html>")
        return page.encode("utf-8")
    if style == "intranet":
        def cell(text: str, *, numeric: bool = False) -> str:
            text = f"&nbsp;{text}&nbsp;" if numeric else text
            return f'<TD ALIGN={"RIGHT" if numeric else "LEFT"}><FONT FACE="Arial" SIZE=2>{text}</FONT></TD>'
        body_rows = ["<TR BGCOLOR=#CCCCCC>" + "".join(cell(f"<B>{esc(h)}</B>") for h in HEADER[1:]) + "</TR>",
                     "<TR BGCOLOR=#CCCCCC>" + "".join(cell(esc(h)) for h in SUBHEADER[1:]) + "</TR>"]
        for label, counts in rows:
            numbers = "".join(cell(dutch(n), numeric=True) for n in counts)
            body_rows.append(f"<TR>{cell(esc(label))}{numbers}</TR>")
        page = (f'<HTML><HEAD><META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=windows-1252">'
                f"<TITLE>Intranet - Klantprofielen</TITLE></HEAD><BODY BGCOLOR=#FFFFFF>"
                f'<TABLE WIDTH=100%><TR><TD WIDTH=150 VALIGN=TOP><FONT SIZE=1>Menu<BR>Nieuws<BR>Telefoongids<BR>'
                f"Rapportages 2 3 4 5 6</FONT></TD><TD>"
                f"<FONT FACE=Arial SIZE=4><B>Transparantie van klantprofielen</B></FONT><BR>"
                f"<FONT FACE=Arial SIZE=2>Periode: {period_text(report)}<BR>"
                f"Arbeidsmarktregio: {esc(region_cell(report))}</FONT><P>"
                f'<TABLE BORDER=1 CELLPADDING=2 CELLSPACING=0>{"".join(body_rows)}</TABLE>'
                f"<P><FONT SIZE=1>{footnote}</FONT></TD></TR></TABLE></BODY></HTML>")
        return page.encode("cp1252")
    if style == "split-tables":  # a header table, then a table per block of four rows
        header = ("<table class='head'><tr>" + "".join(f"<th>{esc(h)}</th>" for h in HEADER) + "</tr><tr>"
                  + "".join(f"<th>{esc(h)}</th>" for h in SUBHEADER) + "</tr></table>")
        blocks = []
        for start in range(0, len(rows), 4):
            trs = "".join(f"<tr><td>{esc(region_cell(report)) if start == index == 0 else ''}</td>"
                          f"<td>{esc(label)}</td>" + "".join(f"<td>{dutch(n)}</td>" for n in counts) + "</tr>"
                          for index, (label, counts) in enumerate(rows[start:start + 4], start=start))
            blocks.append(f"<table class='rows'>{trs}</table><div class='page-break'>Pagina {start // 4 + 1}</div>")
        page = (f"<html><head><meta charset='utf-8'><title>Rapport</title></head><body>"
                f"<h1>Transparantie van klantprofielen</h1><h2>{period_text(report)}</h2><h2>{esc(report.region.name)}"
                f"</h2>{header}{''.join(blocks)}<p>{footnote}</p></body></html>")
        return page.encode("utf-8")
    if style == "mail":  # Outlook's 'save as HTML': Word's markup, mail headers above the message
        trs = "".join(
            "<tr>" + "".join(f"<td style='border:solid windowtext 1.0pt'><p class=MsoNormal>{c}<o:p></o:p></p></td>"
                             for c in [esc(label), *map(dutch, counts)]) + "</tr>"
            for label, counts in rows)
        page = (f"<html xmlns:o='urn:schemas-microsoft-com:office:office'><head>"
                f"<meta http-equiv=Content-Type content='text/html; charset=utf-8'>"
                f"<style>p.MsoNormal {{margin:0cm}}</style></head><body lang=NL>"
                f"<p class=MsoNormal><b>Van:</b> Jansen, P. &lt;p.jansen@gemeente.nl&gt;<br><b>Verzonden:</b> "
                f"maandag 30 november 2026 10:21<br><b>Aan:</b> Team Werk en Inkomen<br><b>Onderwerp:</b> "
                f"Klantprofielen {period_text(report)} {esc(report.region.name)}</p>"
                f"<p class=MsoNormal>Hoi allemaal,</p>"
                f"<p class=MsoNormal>Hieronder de cijfers van {period_text(report)} voor "
                f"{esc(report.region.name)}. Groet, Piet</p>"
                f"<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0>"
                f"<tr>{''.join(f'<td><p class=MsoNormal><b>{esc(h)}</b></p></td>' for h in HEADER[1:])}</tr>"
                f"{trs}</table><p class=MsoNormal>{footnote}</p></body></html>")
        return page.encode("utf-8")
    if style == "footnote-references":  # <sup> references in cells, the notes under the table
        trs = []
        for index, (label, counts) in enumerate(rows):
            name = f"{esc(label)}<sup>2</sup>" if index == 0 and label != "TOTAAL AMR" else esc(label)
            cells = [dutch(n) + ("<sup><a href='#n1'>1</a></sup>" if label == "TOTAAL AMR" and i == 4 else "")
                     for i, n in enumerate(counts)]
            trs.append(f"<tr><th scope='row'>{name}</th>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Klantprofielen {period_text(report)}</title>"
                f"</head><body><h1>{esc(region_cell(report))}</h1><p>{period_text(report)}</p><table><thead><tr>"
                + "".join(f"<th>{esc(h)}</th>" for h in HEADER[1:]) + "</tr></thead><tbody>" + "".join(trs)
                + f"</tbody></table><ol><li id='n1'>Inclusief onbekende woongemeente.</li><li>Cijfers over het "
                f"hele kwartaal.</li></ol><p>{footnote}</p></body></html>")
        return page.encode("utf-8")
    raise ValueError(style)
