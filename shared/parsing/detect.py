"""Pick the parser by content (magic bytes, then structure); the file name is only a hint."""

from __future__ import annotations

import ctypes
import io
import re
import zipfile
from collections.abc import Callable

from shared.models import ParsedReport, ReportFormat
from shared.parsing import ole2, text
from shared.parsing.errors import NotAReport
from shared.parsing.table_kind import found_no_table

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"

Parser = Callable[..., ParsedReport]


def detect_format(data: bytes, name: str | None = None) -> ReportFormat:
    """The format the bytes are in; raises NotAReport for empty or unsupported content."""
    head = data[:2048].lstrip()
    if not data.strip():
        raise NotAReport("empty file")
    if b"%PDF-" in data[:1024]:  # readers accept junk before the header, so do we
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _zip_format(data)
    if data.startswith(ole2.SIGNATURE):
        return _ole2_format(data)
    lowered = head.lower().removeprefix(b"\xef\xbb\xbf").lstrip()
    if b"<office:document" in lowered and b"opendocument.spreadsheet" in lowered:
        raise NotAReport("unsupported format: a flat OpenDocument spreadsheet (.fods); save it as .ods")
    if lowered.startswith(_HTML_STARTS) or b"<table" in data[:200_000].lower():
        return "html"
    if _looks_like_csv(data, hinted=(name or "").lower().endswith(".csv")):
        return "csv"
    return "text"


# ODF packages begin with an uncompressed 'mimetype' entry naming what they are.
_ODF_MIMETYPE = re.compile(rb"^PK\x03\x04.{26}mimetype(application/vnd\.oasis\.opendocument\.[a-z.-]+)", re.DOTALL)
_OLE2_DOCUMENTS = {"WordDocument": "a Word document (.doc)", "PowerPoint Document": "a PowerPoint file (.ppt)",
                   "EncryptedPackage": "a password-protected Office file", "__substg1.0_0037001F": "an Outlook message"}


def _zip_format(data: bytes) -> ReportFormat:
    """xlsx or ods: by the ODF mimetype entry, else by the parts the archive lists."""
    if stamp := _ODF_MIMETYPE.match(data[:200]):
        if stamp.group(1) == ODS_MIMETYPE:
            return "ods"
        kind = stamp.group(1).decode("ascii").rsplit(".", 1)[-1]
        raise NotAReport(f"unsupported format: an OpenDocument {kind} file, not a spreadsheet")
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return "xlsx"  # the xlsx reader says why the archive is unreadable
    return "ods" if "content.xml" in names and "xl/workbook.xml" not in names else "xlsx"


def _ole2_format(data: bytes) -> ReportFormat:
    """xls, or a reason naming the other kind of legacy Office file this is."""
    names = ole2.CompoundFile(data).stream_names()
    if names & set(ole2.WORKBOOK_STREAMS):
        return "xls"
    for stream, kind in _OLE2_DOCUMENTS.items():
        if stream in names:
            raise NotAReport(f"unsupported format: {kind}")
    raise NotAReport("unsupported format: a legacy Office (OLE2) file without a workbook")


_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<title")


def _looks_like_csv(data: bytes, *, hinted: bool) -> bool:
    """Delimited lines dominate; a '.csv' name only relaxes how much they must dominate. Lines of one
    or two fields (a block of parameters above the table) count against ';' and '|' only when they
    hold the delimiter; a Markdown table (its lines start with '|') is text."""
    sample = data[:8192]
    if b"\t" in sample:
        return False
    lines = [line for line in sample.splitlines() if line.strip()][:40]
    for delimiter in (b";", b",", b"|"):
        holding = [line for line in lines if delimiter in line]
        delimited = [line for line in holding if line.count(delimiter) >= 5]
        if len(delimited) < 3:
            continue
        if delimiter == b"|" and sum(line.lstrip().startswith(b"|") for line in delimited) * 2 >= len(delimited):
            continue
        if hinted or len(delimited) * 2 >= len(lines) or (delimiter != b"," and len(delimited) * 2 >= len(holding)):
            return True
    return False


def parser_for(fmt: ReportFormat) -> Parser:
    if fmt == "text":
        return text.parse
    from importlib import import_module

    try:
        module = import_module(f"shared.parsing.{fmt}")
    except ModuleNotFoundError:
        raise NotAReport(f"unsupported format: {fmt}") from None
    return module.parse  # type: ignore[no-any-return]


def parse_report(data: bytes, *, name: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                 passthrough: tuple[type[BaseException], ...] = ()) -> ParsedReport:
    """Detect the format and parse. Raises NotAReport, and nothing else, for bad input
    (`passthrough`: exceptions of the caller's own, such as a time limit, that must not be turned
    into a verdict on the file)."""
    if len(data) > max_bytes:
        raise NotAReport(f"file too large: {len(data)} bytes (limit {max_bytes})")
    fmt = detect_format(data, name)
    try:
        return _parse_as(fmt, data, name, passthrough)
    except NotAReport as exc:
        # A short table under a block of parameter lines does not dominate the file, yet it is CSV.
        if fmt == "text" and found_no_table(exc.reason) and _looks_like_csv(data, hinted=True):
            return _parse_as("csv", data, name, passthrough)
        raise


def _parse_as(fmt: ReportFormat, data: bytes, name: str | None,
              passthrough: tuple[type[BaseException], ...]) -> ParsedReport:
    try:
        return parser_for(fmt)(data, name=name)
    except (NotAReport, KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except passthrough:
        raise
    except BaseException as exc:  # noqa: BLE001 - a Rust panic in a reader arrives as a BaseException
        own = _callers_exception(exc, passthrough)
        if own is not None:
            raise own from exc
        # Hostile bytes can trip any library in an unforeseen way; that must quarantine the file,
        # not crash the worker. The exception's type stays in the reason for whoever reads it.
        raise NotAReport(f"unreadable {fmt}: {type(exc).__name__}") from None


def _callers_exception(exc: BaseException, passthrough: tuple[type[BaseException], ...]) -> BaseException | None:
    """The caller's own exception hidden in a library's: chained to it, or, where ctypes converted it
    into an ArgumentError naming it without chaining (a time limit's signal landing while pypdfium2
    converted an argument), a new one of that type."""
    linked: BaseException | None = exc
    while linked is not None:
        if isinstance(linked, passthrough):
            return linked
        linked = linked.__cause__ or linked.__context__
    if isinstance(exc, ctypes.ArgumentError):
        for kind in passthrough:
            if f": {kind.__name__}" in str(exc):
                return kind(str(exc))
    return None
