"""Random and mutated files: parse_report either reads a report or raises NotAReport, nothing else,
and never takes long about it."""

from __future__ import annotations

import io
import random
import time
import zipfile
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.models import ParsedReport
from shared.parsing import NotAReport, parse_report
from tests.conftest import MIDDEN_LIMBURG, WEST_BRABANT
from tests.report_renderers import render, render_variant, sample_report

TIME_LIMIT_SECONDS = 2.0
MUTATIONS_PER_BASE = 40


def _bases() -> dict[str, bytes]:
    report = sample_report("tricky")
    return {
        "seed-midden-limburg": MIDDEN_LIMBURG.read_bytes(),
        "seed-west-brabant": WEST_BRABANT.read_bytes(),
        "pdf": render(report, "pdf"),
        "pdf-plain-streams": render(report, "pdf", compress=False, column_order=True, pages=2),
        "html": render(report, "html", entities=True),
        "text-tabs": render(report, "text", style="tabs"),
        "text-pdf-edition": render(sample_report("west-brabant"), "text", style="pdf-edition"),
        "csv": render(report, "csv", delimiter=","),
        "xlsx": render(report, "xlsx"),
        "ods": render(report, "ods"),
        "xls": render(report, "xls", trend_sheet=True),
        "pdf-browser-print": render_variant(report, "pdf-browser-print-wrapping-markers-totaal-first"),
        "pdf-rotated-letter-spaced": render_variant(report, "pdf-rotated-and-letter-spaced"),
        "text-pdf-viewer-copy": render_variant(report, "text-copied-from-a-pdf-viewer"),
        "text-markdown": render_variant(report, "text-markdown-table-nbsp"),
        "csv-metadata-pipe": render_variant(report, "csv-pipe"),
        "html-split-over-tables": render_variant(report, "html-split-over-tables-totaal-first"),
        "html-intranet": render_variant(report, "html-old-intranet-windows-1252"),
    }


BASES = _bases()


def parse_within_limit(data: bytes, name: str | None = None) -> ParsedReport | None:
    """Parse; only NotAReport may escape, and the whole attempt must stay under the time limit."""
    started = time.perf_counter()
    try:
        return parse_report(data, name=name)
    except NotAReport as exc:
        assert exc.reason and "\n" not in exc.reason
        return None
    finally:
        elapsed = time.perf_counter() - started
        assert elapsed < TIME_LIMIT_SECONDS, f"{elapsed:.2f}s for {len(data)} bytes starting {data[:20]!r}"


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data))]


def _flip_bits(data: bytes, rng: random.Random) -> bytes:
    mutated = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        mutated[rng.randrange(len(mutated))] ^= 1 << rng.randrange(8)
    return bytes(mutated)


def _overwrite(data: bytes, rng: random.Random) -> bytes:
    start = rng.randrange(len(data))
    return data[:start] + rng.randbytes(rng.randint(1, 64)) + data[start + 64:]


def _splice(data: bytes, rng: random.Random) -> bytes:
    start, end = sorted(rng.randrange(len(data)) for _ in range(2))
    return data[:start] + data[end:] + data[start:end] * rng.randint(0, 3)


MUTATORS: list[Callable[[bytes, random.Random], bytes]] = [_truncate, _flip_bits, _overwrite, _splice]


@pytest.mark.parametrize("base", list(BASES))
def test_mutated_files_raise_only_not_a_report(base: str) -> None:
    rng = random.Random(f"fuzz-{base}")
    assert parse_within_limit(BASES[base]) is not None  # the unmutated file is a report
    for index in range(MUTATIONS_PER_BASE):
        parse_within_limit(MUTATORS[index % len(MUTATORS)](BASES[base], rng), name=f"upload.{base}")


XML_PARTS = {
    "xlsx": ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/sharedStrings.xml", "xl/_rels/workbook.xml.rels",
             "[Content_Types].xml"],
    "ods": ["content.xml", "content.xml", "content.xml", "META-INF/manifest.xml", "mimetype"],
}


@pytest.mark.parametrize("base", list(XML_PARTS))
def test_workbooks_with_mutated_xml_raise_only_not_a_report(base: str) -> None:
    """Mutations inside the XML parts, the zip left valid, so calamine's XML reading is exercised."""
    rng = random.Random(f"fuzz-{base}-xml")
    archive = zipfile.ZipFile(io.BytesIO(BASES[base]))
    parts = {info.filename: archive.read(info) for info in archive.infolist()}
    for index in range(MUTATIONS_PER_BASE):
        target = rng.choice(XML_PARTS[base])
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as mutated:
            for name, content in parts.items():
                if name == target and content:
                    content = MUTATORS[index % len(MUTATORS)](content, rng)
                mutated.writestr(name, content, zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED)
        parse_within_limit(out.getvalue())


def test_xls_with_a_mutated_workbook_stream_raises_only_not_a_report() -> None:
    """Mutations after the OLE2 header and directory, inside the BIFF records calamine reads."""
    rng = random.Random("fuzz-xls-biff")
    data = BASES["xls"]
    stream_start = 512  # xlwt writes the Workbook stream right after the header
    assert data[stream_start:stream_start + 2] == b"\x09\x08"
    for index in range(MUTATIONS_PER_BASE * 2):
        stream = data[stream_start:stream_start + 4096]
        mutated = _flip_bits(stream, rng) if index % 2 else _overwrite(stream, rng)[:len(stream)].ljust(len(stream))
        parse_within_limit(data[:stream_start] + mutated + data[stream_start + 4096:])


# An OLE2 header up to its sector size (512 bytes), so random bytes exercise the container reader.
OLE2_HEADER_START = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff\x09\x00\x06"


@settings(max_examples=150, deadline=None)
@given(prefix=st.sampled_from([b"", b"%PDF-1.7\n", b"PK\x03\x04", b"<!DOCTYPE html><table>", b"\xef\xbb\xbf",
                               b"TOTAAL AMR 1 2 3 4 5\n", b"\xd0\xcf\x11\xe0",
                               OLE2_HEADER_START,
                               b"PK\x03\x04\x14\x00\x00\x00\x00\x00" + bytes(16) + b"\x08\x00\x00\x00mimetype"
                               b"application/vnd.oasis.opendocument.spreadsheet"]),
       body=st.binary(max_size=4096))
def test_random_bytes_raise_only_not_a_report(prefix: bytes, body: bytes) -> None:
    parse_within_limit(prefix + body)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=2000))
def test_random_text_raises_only_not_a_report(text: str) -> None:
    parse_within_limit(text.encode("utf-8", errors="surrogatepass"), name="upload.txt")
