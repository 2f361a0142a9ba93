"""Deliberately broken copies of the real seeds, one per reconciliation check."""

from __future__ import annotations

from tests.conftest import MIDDEN_LIMBURG, WEST_BRABANT


def midden_limburg() -> bytes:
    return MIDDEN_LIMBURG.read_bytes()


def west_brabant() -> bytes:
    return WEST_BRABANT.read_bytes()


def replace_once(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) == 1, f"{old!r} must occur once"
    return data.replace(old, new)


def broken_row_total() -> bytes:
    """Breda's total 1.635 printed as 1.636 (its column no longer adds up either)."""
    return replace_once(west_brabant(), b"Breda 41 579 767 248 1.635", b"Breda 41 579 767 248 1.636")


def broken_column_total() -> bytes:
    """TOTAAL AMR's UWV-with-profile printed as 1.520 instead of 1.519."""
    return replace_once(midden_limburg(), b"<b>1.519</b>", b"<b>1.520</b>")


def broken_percent() -> bytes:
    """The footnote says 75% where 2.537 / 3.627 = 70%."""
    return replace_once(midden_limburg(), b"Hiervan is 70%", b"Hiervan is 75%")


def broken_register_size() -> bytes:
    """A register of 2.000 people, fewer than the 2.537 in Sonar."""
    return replace_once(midden_limburg(), b"in totaal 3.627 personen", b"in totaal 2.000 personen")


def corrected_midden_limburg(data: bytes | None = None) -> bytes:
    """A clean re-issue: Weert's UWV clients with a profile 257 -> 258, its total and the TOTAAL row with it
    (applied to an already corrected copy, it corrects once more: 258 -> 259)."""
    data = data if data is not None else midden_limburg()
    for before in range(257, 300):
        old_row = f"Weert</a>\t54\t114\t{before}\t32\t{before + 200}".encode()
        if old_row in data:
            new_row = f"Weert</a>\t54\t114\t{before + 1}\t32\t{before + 201}".encode()
            data = replace_once(data, old_row, new_row)
            step = before - 257
            data = replace_once(data, f"<b>1.{519 + step}</b>".encode(), f"<b>1.{520 + step}</b>".encode())
            return replace_once(data, f"<b>2.{537 + step}</b>".encode(), f"<b>2.{538 + step}</b>".encode())
    raise AssertionError("Weert's row not found")
