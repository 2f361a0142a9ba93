"""Parsers: pure functions from bytes to a ParsedReport, one module per format."""

from shared.parsing.detect import detect_format, parse_report
from shared.parsing.errors import NotAReport

__all__ = ["NotAReport", "detect_format", "parse_report"]
