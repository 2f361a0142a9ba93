"""Turning a parsed report into the contract's report document."""

from __future__ import annotations

import hashlib

from shared.models import Finding, ParsedReport, ReportDocument, Source
from shared.reconcile import reconcile


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_document(parsed: ParsedReport, *, path: str, sha256: str,
                   findings: list[Finding] | None = None) -> ReportDocument:
    """The contract document of a parsed report, reconciled unless findings are given."""
    return ReportDocument(
        source=Source(path=path, sha256=sha256, format=parsed.format),
        region=parsed.region,
        period=parsed.period,
        rows=parsed.rows,
        totals=parsed.totals,
        register=parsed.register,
        findings=tuple(reconcile(parsed) if findings is None else findings),
    )
