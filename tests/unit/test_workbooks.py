"""ODS and legacy XLS: detected by content, read like every workbook, bounded like XLSX (declared
sizes, sheet extents counted without expanding LibreOffice's repeated empty rows), and every other
kind of office file refused with a reason that names it."""

from __future__ import annotations

import io
import struct
import time
import zipfile

import pytest
import xlwt

from shared.parsing import NotAReport, detect_format, parse_report
from shared.parsing.ole2 import CompoundFile
from tests.report_renderers import render, sample_report, unlocated
from tests.spreadsheet_renderers import ODS_MIMETYPE


def _ods_with_rows(rows_xml: str, mimetype: str = ODS_MIMETYPE) -> bytes:
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
               f'<table:table table:name="Blad1">{rows_xml}</table:table>'
               '</office:spreadsheet></office:body></office:document-content>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


VALUE = '<table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell>'


def _xls_with_cells(cells: dict[tuple[int, int], object]) -> bytes:
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("Blad1")
    for (row, column), value in cells.items():
        sheet.write(row, column, value)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _rename_stream(data: bytes, old: str, new: str) -> bytes:
    """An OLE2 file whose stream `old` is called `new` (same directory entry, new name)."""
    encoded_old = old.encode("utf-16-le") + b"\x00\x00"
    at = data.index(encoded_old)
    patched = bytearray(data)
    name = new.encode("utf-16-le") + b"\x00\x00"
    patched[at:at + 64] = name.ljust(64, b"\x00")
    struct.pack_into("<H", patched, at + 64, len(name))
    return bytes(patched)


def test_a_libreoffice_sheet_of_a_million_declared_rows_reads_quickly() -> None:
    """The renderer writes 1024 declared columns and repeated empty rows to row 1,048,576."""
    data = render(sample_report("west-brabant"), "ods")
    assert b'table:number-rows-repeated="1048' in data or len(data) < 10_000
    started = time.perf_counter()
    assert unlocated(parse_report(data).rows) == sample_report("west-brabant").rows
    assert time.perf_counter() - started < 0.5


def test_ods_formula_cells_give_their_cached_values() -> None:
    report = sample_report("midden-limburg")
    content = zipfile.ZipFile(io.BytesIO(render(report, "ods"))).read("content.xml")
    assert b'table:formula="of:=SUM(' in content and b"covered-table-cell" in content
    assert parse_report(render(report, "ods")).totals == report.totals


def test_ods_without_its_mimetype_entry_is_still_an_ods() -> None:
    data = render(sample_report("tricky"), "ods")
    archive = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as stripped:
        for info in archive.infolist():
            if info.filename != "mimetype":
                stripped.writestr(info.filename, archive.read(info))
    assert detect_format(out.getvalue()) == "ods"
    assert unlocated(parse_report(out.getvalue()).rows) == sample_report("tricky").rows


@pytest.mark.parametrize(("rows_xml", "reason"), [
    # one value repeated over 20,000 rows: calamine would expand every copy
    (f'<table:table-row table:number-rows-repeated="20000">{VALUE}</table:table-row>',
     "^not a report table: a sheet of more than 10000 rows$"),
    # a value far out to the right, 1000 rows down: a dense box of a million cells and more
    (f'<table:table-row table:number-rows-repeated="999"><table:table-cell/></table:table-row>'
     f'<table:table-row><table:table-cell table:number-columns-repeated="1020"/>{VALUE}</table:table-row>',
     "^not a report table: a sheet spanning 1000 rows by 1021 columns$"),
    ('<table:table-row><table:table-cell office:value-type="float" office:value="1" '
     'table:number-columns-repeated="16000"/></table:table-row>' * 70,
     "^not a report table: a sheet spanning 63 rows by 16000 columns$"),
])
def test_ods_sheets_too_large_are_refused_before_calamine_expands_them(rows_xml: str, reason: str) -> None:
    started = time.perf_counter()
    with pytest.raises(NotAReport, match=reason):
        parse_report(_ods_with_rows(rows_xml))
    assert time.perf_counter() - started < 0.5


def test_an_xls_with_a_cell_in_the_far_corner_is_refused_before_calamine_allocates_it() -> None:
    data = _xls_with_cells({(0, 0): "Gemeente", (9_000, 255): 1})
    assert len(data) < 10_000
    with pytest.raises(NotAReport, match="^not a report table: a sheet spanning 9001 rows by 256 columns$"):
        parse_report(data)
    with pytest.raises(NotAReport, match="^not a report table: a sheet of more than 10000 rows$"):
        parse_report(_xls_with_cells({(0, 0): "Gemeente", (65_535, 1): 1}))


def test_an_xls_sheet_declaring_a_huge_extent_is_refused_before_calamine_sizes_it() -> None:
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("Blad1")
    sheet.write(0, 0, "Gemeente")
    sheet.write(9_000, 200, "", xlwt.easyxf("font: bold on"))  # a formatted blank: DIMENSIONS says 9001 x 201
    out = io.BytesIO()
    workbook.save(out)
    with pytest.raises(NotAReport, match="^not a report table: a sheet spanning 9001 rows by 201 columns$"):
        parse_report(out.getvalue())


def test_the_compound_file_reader_finds_the_workbook_stream() -> None:
    data = render(sample_report("midden-limburg"), "xls")
    container = CompoundFile(data)
    assert "Workbook" in container.stream_names()
    assert container.read_stream("Workbook")[:2] == b"\x09\x08"  # BIFF's BOF record


OFFICE_REFUSALS = {
    "word-97": (_rename_stream(_xls_with_cells({(0, 0): "x"}), "Workbook", "WordDocument"),
                r"^unsupported format: a Word document \(\.doc\)$"),
    "encrypted-office": (_rename_stream(_xls_with_cells({(0, 0): "x"}), "Workbook", "EncryptedPackage"),
                         "^unsupported format: a password-protected Office file$"),
    "ole2-without-workbook": (_rename_stream(_xls_with_cells({(0, 0): "x"}), "Workbook", "Contents"),
                              r"^unsupported format: a legacy Office \(OLE2\) file without a workbook$"),
    "flat-ods": (b'<?xml version="1.0"?><office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:'
                 b'office:1.0" office:mimetype="application/vnd.oasis.opendocument.spreadsheet"><office:body>'
                 b"<table:table/></office:body></office:document>",
                 r"^unsupported format: a flat OpenDocument spreadsheet \(\.fods\); save it as \.ods$"),
    "odt": (_ods_with_rows("", mimetype="application/vnd.oasis.opendocument.text"),
            "^unsupported format: an OpenDocument text file, not a spreadsheet$"),
    "ods-broken-content": (_ods_with_rows("<table:table-row><table:table-cell"),
                           "^(unreadable ods: |not a report table: )"),
    "ods-truncated": (render(sample_report("tricky"), "ods")[:300], "^unreadable ods: "),
    "xls-truncated": (render(sample_report("tricky"), "xls")[:3000], "^unreadable (OLE2 file|xls): "),
}


@pytest.mark.parametrize("case", list(OFFICE_REFUSALS))
def test_other_office_files_are_refused_with_a_reason_naming_them(case: str) -> None:
    data, reason = OFFICE_REFUSALS[case]
    with pytest.raises(NotAReport, match=reason) as caught:
        parse_report(data)
    assert "\n" not in caught.value.reason


def _compound_file_with_a_small_stream(payload: bytes) -> bytes:
    """A version 3 compound file whose one stream is under 4096 bytes, so it lives in the mini stream:
    sector 0 the FAT, 1 the directory, 2 the mini FAT, 3 the mini stream."""
    end, free, fat_sector = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIII", header, 0x2C, 1, 1, 0, 4096, 2, 1, end, 0)
    struct.pack_into("<109I", header, 0x4C, 0, *[free] * 108)
    fat = struct.pack("<128I", fat_sector, end, end, end, *[free] * 124)

    def entry(name: str, kind: int, start: int, size: int) -> bytes:
        raw = bytearray(128)
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        raw[:len(encoded)] = encoded
        struct.pack_into("<HB", raw, 64, len(encoded), kind)
        struct.pack_into("<IQ", raw, 116, start, size)
        return bytes(raw)

    mini_sectors = -(-len(payload) // 64)
    directory = entry("Root Entry", 5, 3, mini_sectors * 64) + entry("Workbook", 2, 0, len(payload)) + bytes(256)
    mini_fat = struct.pack("<128I", *range(1, mini_sectors), end, *[free] * (128 - mini_sectors))
    return bytes(header) + fat + directory + mini_fat + payload.ljust(512, b"\x00")


def test_a_stream_in_the_mini_stream_is_read_whole() -> None:
    payload = bytes(range(200))
    container = CompoundFile(_compound_file_with_a_small_stream(payload))
    assert container.stream_names() == {"Workbook"}
    assert container.read_stream("Workbook") == payload
    assert detect_format(_compound_file_with_a_small_stream(payload)) == "xls"
