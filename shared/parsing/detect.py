"""Pick the parser by content (magic bytes, then structure); the file name is only a hint."""

from __future__ import annotations

from collections.abc import Callable

from shared.models import ParsedReport, ReportFormat
from shared.parsing import text
from shared.parsing.errors import NotAReport

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

Parser = Callable[..., ParsedReport]


def detect_format(data: bytes, name: str | None = None) -> ReportFormat:
    """The format the bytes are in; raises NotAReport for empty or unsupported content."""
    head = data[:2048].lstrip()
    if not data.strip():
        raise NotAReport("empty file")
    if b"%PDF-" in data[:1024]:  # readers accept junk before the header, so do we
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith((b"\xd0\xcf\x11\xe0",)):
        raise NotAReport("unsupported format: legacy Office (OLE2) file")
    lowered = head.lower().removeprefix(b"\xef\xbb\xbf").lstrip()
    if lowered.startswith(_HTML_STARTS) or b"<table" in data[:200_000].lower():
        return "html"
    if _looks_like_csv(data, hinted=(name or "").lower().endswith(".csv")):
        return "csv"
    return "text"


_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<title")


def _looks_like_csv(data: bytes, *, hinted: bool) -> bool:
    """Delimited lines dominate; a '.csv' name only relaxes how much they must dominate."""
    sample = data[:8192]
    if b"\t" in sample:
        return False
    lines = [line for line in sample.splitlines() if line.strip()][:40]
    delimited = [line for line in lines if line.count(b";") >= 5 or line.count(b",") >= 5]
    return len(delimited) >= 3 and (hinted or len(delimited) * 2 >= len(lines))


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
        return parser_for(fmt)(data, name=name)
    except (NotAReport, KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except passthrough:
        raise
    except BaseException as exc:  # noqa: BLE001 - a Rust panic in a reader arrives as a BaseException
        # Hostile bytes can trip any library in an unforeseen way; that must quarantine the file,
        # not crash the worker. The exception's type stays in the reason for whoever reads it.
        raise NotAReport(f"unreadable {fmt}: {type(exc).__name__}") from None
