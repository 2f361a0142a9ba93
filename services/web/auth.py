"""The token rule: when a token is set, every request but /healthz, the login form and the static
files needs it, as `Authorization: Bearer <token>` or as the cookie the login form sets."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

COOKIE_NAME = "klantprofielen_session"
# Everything the pages use comes from this site; inline styles only for the chart's colours.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
OPEN_PATHS = ("/healthz", "/login")
OPEN_PREFIXES = ("/static/",)


def session_value(token: str) -> str:
    """What the cookie holds: derived from the token, so the token itself is never stored in a browser."""
    return hmac.new(token.encode(), b"klantprofielen web session", hashlib.sha256).hexdigest()


def token_matches(given: str, token: str) -> bool:
    return hmac.compare_digest(given.strip().encode(), token.encode())


def is_authorised(request: Request, token: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() == "bearer" and token_matches(given, token):
        return True
    cookie = request.cookies.get(COOKIE_NAME, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), session_value(token).encode())


def token_middleware(token: str | None) -> Callable[[Request, Callable[[Request], Awaitable[Response]]],
                                                    Awaitable[Response]]:
    async def check_token(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        if token is None or path in OPEN_PATHS or path.startswith(OPEN_PREFIXES) or is_authorised(request, token):
            response = await call_next(request)
            response.headers.update(SECURITY_HEADERS)
            return response
        if path.startswith("/api/") or path == "/metrics" or "text/html" not in request.headers.get("accept", ""):
            return JSONResponse({"detail": "a token is required: Authorization: Bearer <token>"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        target = path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    return check_token


def safe_next(target: str | None) -> str:
    """Only a path on this site (never another host) to go to after logging in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
