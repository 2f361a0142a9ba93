"""The web application: pages, the JSON API, /metrics and /healthz over one database and broker.
Read-only: the database connections refuse writes (services/web/database.py)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Query, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.ops.health import COMPONENTS, DatabaseMissing, first_line, run_checks
from services.ops.status import OpsStatus, gather_status, status_as_dict, store_summary
from services.web.auth import COOKIE_NAME, safe_next, session_value, token_matches, token_middleware
from services.web.database import ReadOnlyDatabase
from services.web.metrics import ServiceCollector
from shared.config import Settings
from shared.redact import redact

HERE = Path(__file__).resolve().parent
WORKERS_CACHE_SECONDS = 5.0


@dataclass
class WorkerProgress:
    """The last answer of the workers to `inspect active` (it takes a second: asked by the API only)."""

    answering: int | None = None
    in_progress: int | None = None
    asked_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    asking: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class WebState:
    settings: Settings
    database: ReadOnlyDatabase
    templates: Jinja2Templates
    registry: CollectorRegistry
    workers: WorkerProgress

    def status(self, *, ask_workers: bool) -> OpsStatus:
        """The facts of `klantprofielen status`; the workers are asked at most every few seconds."""
        fresh = time.monotonic() - self.workers.asked_at < WORKERS_CACHE_SECONDS
        # One request at a time asks (it waits a second for replies); the others show the last answer.
        asking = ask_workers and not fresh and self.workers.asking.acquire(blocking=False)
        try:
            status = gather_status(self.settings, ask_workers=asking, read_store=False)
        finally:
            if asking:
                self.workers.asking.release()
        try:
            with self.database.connect() as connection, Session(bind=connection) as session:
                status.store = store_summary(session, status.generated_at)
        except Exception as exc:  # noqa: BLE001 - one line, as `status` shows it
            status.problems.append(redact(f"database: {type(exc).__name__}: {first_line(exc)}"))
        with self.workers.lock:
            if asking and status.queued is not None:
                self.workers.answering, self.workers.in_progress = status.workers_answering, status.in_progress
                self.workers.asked_at = time.monotonic()
            if status.in_progress is None:
                status.workers_answering, status.in_progress = self.workers.answering, self.workers.in_progress
        return status

    def status_json(self, *, ask_workers: bool) -> dict[str, Any]:
        return status_as_dict(self.status(ask_workers=ask_workers))


def state_of(request: Request) -> WebState:
    return request.app.state.web  # type: ignore[no-any-return]


def create_app(settings: Settings) -> FastAPI:
    """The application for these settings (the token, if set, guards everything but /healthz)."""
    from services.web.api import api
    from services.web.pages import pages, template_globals

    app = FastAPI(title="klantprofielen", version="1", openapi_url="/api/openapi.json", docs_url=None,
                  redoc_url=None, description="Read-only JSON API over the stored reports, findings, "
                  "delivered files and series. With a token set, send `Authorization: Bearer <token>`.")
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(template_globals())
    database = ReadOnlyDatabase(settings.effective_database_url)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ServiceCollector(settings, database))
    app.state.web = WebState(settings, database, templates, registry, WorkerProgress())
    app.middleware("http")(token_middleware(settings.web_token))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(api)
    app.include_router(pages)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_json(request):
            return await http_exception_handler(request, exc)
        return templates.TemplateResponse(request, "error.html", {"status": exc.status_code, "problem": exc.detail,
                                                                  "token_set": settings.web_token is not None},
                                          status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            return await request_validation_exception_handler(request, exc)
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors())
        return templates.TemplateResponse(request, "error.html", {"status": 400, "problem": problems,
                                                                  "token_set": settings.web_token is not None},
                                          status_code=400)

    @app.exception_handler(DatabaseMissing)
    async def database_missing(request: Request, exc: DatabaseMissing) -> Response:
        return _unavailable(request, f"database: {exc}")

    @app.exception_handler(Exception)
    async def unreadable(request: Request, exc: Exception) -> Response:
        return _unavailable(request, f"{type(exc).__name__}: {first_line(exc)}")

    @app.get("/healthz", include_in_schema=False)
    def healthz(component: Annotated[list[str] | None, Query()] = None) -> JSONResponse:
        """The checks of `klantprofielen health` (all, or the components named): 200 when all pass, else 503."""
        unknown = sorted(set(component or ()) - set(COMPONENTS))
        if unknown:
            return JSONResponse({"detail": f"unknown component {', '.join(unknown)}; one of "
                                           f"{', '.join(COMPONENTS)}"}, status_code=400)
        checks = run_checks(settings, tuple(component or COMPONENTS))
        body = {"ok": all(c.ok for c in checks), "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail}
                                                             for c in checks]}
        return JSONResponse(body, status_code=200 if body["ok"] else 503)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/login", include_in_schema=False, response_class=HTMLResponse)
    def login_form(request: Request, next: str | None = None) -> Response:
        return templates.TemplateResponse(request, "login.html", {"next": safe_next(next), "wrong": False,
                                                                  "token_set": settings.web_token is not None})

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        given = (form.get("token") or [""])[0]
        target = safe_next((form.get("next") or ["/"])[0])
        token = settings.web_token
        if token is None:
            return RedirectResponse(target, status_code=303)
        if not token_matches(given, token):
            return templates.TemplateResponse(request, "login.html", {"next": target, "wrong": True,
                                                                      "token_set": True}, status_code=401)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE_NAME, session_value(token), httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
        return response

    @app.get("/logout", include_in_schema=False)
    def logout() -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE_NAME)
        return response

    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path in ("/metrics", "/healthz")


def _unavailable(request: Request, problem: str) -> Response:
    problem = redact(problem)  # a driver's message may quote the URL, password and all
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": problem}, status_code=503)
    if request.url.path == "/metrics":
        return PlainTextResponse(problem + "\n", status_code=503)
    state = state_of(request)
    return state.templates.TemplateResponse(request, "unavailable.html", {"problem": problem}, status_code=503)
