"""Decoding text files: BOM, UTF-8, else cp1252 (what Windows tools write), CRLF to LF."""

from __future__ import annotations

import codecs

from shared.parsing.errors import NotAReport


def decode_text(data: bytes) -> str:
    """Bytes of a text file to str; raises NotAReport for binary content."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _normalise_newlines(data.decode("utf-16"))
        except UnicodeDecodeError:
            raise NotAReport("unreadable text: invalid UTF-16") from None
    if b"\x00" in data:
        raise NotAReport("unsupported format: binary content")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return _normalise_newlines(text)


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
