"""Turning a parsed report into the contract's report document."""

from __future__ import annotations

import hashlib

from shared.identity import identify
from shared.models import Finding, ParsedReport, ReportDocument, Source
from shared.reconcile import reconcile


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_document(parsed: ParsedReport, *, path: str, sha256: str,
                   findings: list[Finding] | None = None) -> ReportDocument:
    """The contract document of a parsed report: region and municipalities identified by their codes,
    reconciled (the arithmetic errors, then the identity warnings) unless findings are given."""
    region, rows, warnings = identify(parsed)
    return ReportDocument(
        source=Source(path=path, sha256=sha256, format=parsed.format),
        region=region,
        period=parsed.period,
        rows=rows,
        totals=parsed.totals,
        register=parsed.register,
        findings=tuple([*reconcile(parsed), *warnings] if findings is None else findings),
    )
