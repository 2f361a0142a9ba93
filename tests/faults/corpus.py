"""Distinct files for fault runs, deterministic: valid reports (one region each), reports with
findings, and garbage."""

from __future__ import annotations

import random

from tests import seed_variants


def valid_report(number: int) -> bytes:
    """The West-Brabant seed as if it were region 'Regio <number>' (its own region: no re-issues)."""
    return seed_variants.west_brabant().replace(b"West-Brabant", f"Regio {number}".encode())


def report_with_findings(number: int) -> bytes:
    return seed_variants.broken_row_total().replace(b"West-Brabant", f"Gebrekkig {number}".encode())


def garbage(number: int, rng: random.Random) -> bytes:
    if number % 2:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(10, 4000))) + b"\x00"
    return f"dit is geen rapport {number}\nmaar gewoon tekst\n".encode()
