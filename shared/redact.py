"""Secrets kept out of log lines, command output and error messages.

The settings register the passwords of their URLs here when they are made (shared/config.py); the
logging processors and the CLI's one-line errors pass their text through redact(). URLs meant to be
shown go through mask_url() first; redact() is the net under everything else (a driver's message
that quotes a URL, a traceback)."""

from __future__ import annotations

from urllib.parse import unquote

MASK = "***"
# Shorter values would be replaced inside ordinary words; such a password is a problem of its own.
MIN_SECRET_LENGTH = 4
_secrets: set[str] = set()


def hide(*values: str | None) -> None:
    """Treat these values (and their percent-decoded forms) as secrets from now on, in this process."""
    for value in values:
        for form in (value, unquote(value or "")):
            if form and len(form) >= MIN_SECRET_LENGTH:
                _secrets.add(form)


def redact(text: str) -> str:
    """The text with every registered secret replaced by ***."""
    if not _secrets:
        return text
    for secret in sorted(_secrets, key=len, reverse=True):  # longest first: one may contain another
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def url_password(url: str | None) -> str | None:
    """The password part of a URL, exactly as written (percent-encoded), or None. Lenient on purpose:
    a URL too broken to parse (no scheme, a port that is not a number) still has its password found."""
    if not url or "@" not in url:
        return None
    rest = url.split("://", 1)[1] if "://" in url else url
    userinfo = rest.split("/", 1)[0].rpartition("@")[0]
    return userinfo.partition(":")[2] or None


def mask_url(url: str) -> str:
    """The URL with its password replaced by *** (for log lines and output)."""
    password = url_password(url)
    return url.replace(f":{password}@", f":{MASK}@", 1) if password else url
