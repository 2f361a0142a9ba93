"""The HTML pages: server-rendered, working without JavaScript (which only refreshes the overview and
switches the count a chart shows)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.web import queries
from services.web.app import state_of
from services.web.charts import COUNT_LABELS, COUNTS, colour, municipality_chart, totaal_chart
from services.web.marks import mark_findings
from services.web.queries import ReportQuery
from shared.claims import WorkFolder, read_claim_info
from shared.models import Location

pages = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
OUTCOMES = ("stored", "duplicate", "quarantined", "pending")


def template_globals() -> dict[str, Any]:
    return {"when": when, "quarter_label": queries.quarter_label, "count_labels": COUNT_LABELS, "counts": COUNTS,
            "colour": colour, "q": quote, "dutch": dutch, "link": link, "region_href": region_href,
            "where": where}


def where(location: str | None, label: str | None = None) -> str:
    """A stored location (JSON) for people: 'line 14', 'Blad1!B7', 'page 2, row "Roermond"'."""
    return Location.model_validate_json(location).describe(label) if location else "—"


def region_href(code: int | None, name: str) -> str:
    """A region's page: by its number where it has one, else by its name."""
    return f"/regions/{code}" if code is not None else f"/regions/{quote(name, safe='')}"


def when(value: Any) -> str:
    moment = queries.utc(value)
    return f"{moment:%Y-%m-%d %H:%M:%S}" if moment else "—"


def dutch(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}"
    return f"{int(value):,}".replace(",", ".")


def link(path: str, params: dict[str, Any], **changes: Any) -> str:
    """The path with the filters, some changed (None drops one)."""
    merged = {key: value for key, value in {**params, **changes}.items() if value not in (None, "")}
    return path + (f"?{urlencode(merged)}" if merged else "")


def parse_since(since: str | None) -> datetime | None:
    if not since:
        return None
    try:
        moment = datetime.fromisoformat(since)
    except ValueError:
        raise HTTPException(400, f"since: not an ISO date or date-time: {since!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return state_of(request).templates.TemplateResponse(
        request, template, {**context, "token_set": state_of(request).settings.web_token is not None},
        status_code=status_code)


@pages.get("/")
def overview(request: Request) -> Response:
    status = state_of(request).status_json(ask_workers=False)
    return render(request, "overview.html", {"page": "overview", "status": status})


@pages.get("/files")
def files(request: Request, outcome: str | None = None, since: str | None = None, name: str | None = None,
          offset: int = Query(0, ge=0)) -> Response:
    state = state_of(request)
    moment = parse_since(since)
    if outcome and outcome not in OUTCOMES:
        raise HTTPException(400, f"outcome must be one of {', '.join(OUTCOMES)}")
    pending = pending_claims(state.settings.inbox, since=moment, name=name) if outcome in (None, "", "pending") else []
    page = queries.Page([], 0, offset, queries.PAGE_SIZE)
    if outcome != "pending":
        with state.database.connect() as connection:
            page = queries.list_deliveries(connection, outcome=outcome or None, since=moment, name=name,
                                           offset=offset)
    params = {"outcome": outcome, "since": since, "name": name}
    return render(request, "files.html", {"page": "files", "deliveries": page, "pending": pending,
                                          "params": params, "outcomes": OUTCOMES})


def pending_claims(inbox: Any, *, since: datetime | None = None, name: str | None = None) -> list[dict[str, Any]]:
    """Claims in the work folder (files not yet at their end state), oldest first."""
    work = WorkFolder.of_inbox(inbox)
    rows = []
    try:
        claims = work.list_claims()
    except OSError:
        return []
    for claim in claims:
        try:
            info = read_claim_info(work, claim)
        except OSError:
            continue
        if since is not None and info.dropped_at is not None and info.dropped_at < since:
            continue
        if name and name.lower() not in info.name.lower():
            continue
        rows.append({"claim": claim, "name": info.name, "size": info.size, "dropped_at": info.dropped_at,
                     "outcome": "pending"})
    return rows


@pages.get("/reports")
def reports(request: Request, region: str | None = None, year: int | None = Query(None, ge=1900, le=2999),
            quarter: int | None = Query(None, ge=1, le=4), status: str | None = None,
            versions: str = "current", offset: int = Query(0, ge=0)) -> Response:
    query = ReportQuery(region=region or None, year=year, quarter=quarter, status=status or None,
                        versions=versions if versions in queries.VERSIONS else "current")
    with state_of(request).database.connect() as connection:
        page = queries.list_reports(connection, query, offset=offset)
        regions = queries.list_regions(connection)
    params = {"region": region, "year": year, "quarter": quarter, "status": status, "versions": versions}
    return render(request, "reports.html", {"page": "reports", "reports": page, "params": params,
                                            "regions": regions, "versions": queries.VERSIONS})


@pages.get("/reports/{report_id}")
def report(request: Request, report_id: int) -> Response:
    with state_of(request).database.connect() as connection:
        detail = queries.report_detail(connection, report_id)
    if detail is None:
        raise HTTPException(404, f"no report {report_id}")
    marks = mark_findings(detail["rows"], detail["findings"])
    return render(request, "report.html", {"page": "reports", **detail, "marks": marks})


@pages.get("/regions")
def regions(request: Request) -> Response:
    with state_of(request).database.connect() as connection:
        found = queries.list_regions(connection)
    for region in found:
        region["first"] = (region["first_index"] // 4, region["first_index"] % 4 + 1)
        region["last"] = (region["last_index"] // 4, region["last_index"] % 4 + 1)
    return render(request, "regions.html", {"page": "regions", "regions": found})


@pages.get("/regions/{region}")
def region(request: Request, region: str, count: str = "total") -> Response:
    with state_of(request).database.connect() as connection:
        series = queries.region_series(connection, region)
    if series is None:
        raise HTTPException(404, f"no current reports for region {region!r}")
    return render(request, "region.html", {
        "page": "regions", "series": series, "count": count if count in COUNTS else "total",
        "chart": municipality_chart(series), "totaal": totaal_chart(series)})


@pages.get("/regions/{region}/municipalities/{municipality}")
def municipality(request: Request, region: str, municipality: str, count: str = "total") -> Response:
    with state_of(request).database.connect() as connection:
        series = queries.region_series(connection, region, municipality=municipality)
    if series is None or not series.municipalities:
        raise HTTPException(404, f"no figures for {municipality!r} in region {region!r}")
    key, points = next(iter(series.municipalities.items()))
    series.warnings = [w for w in series.warnings if w.get("series_key") == key]
    return render(request, "municipality.html", {
        "page": "regions", "series": series, "name": series.names[key], "key": key,
        "points": list(points.values()),
        "count": count if count in COUNTS else "total", "chart": municipality_chart(series)})


@pages.get("/alerts")
def alerts(request: Request, severity: str | None = None, check: str | None = None, region: str | None = None,
           offset: int = Query(0, ge=0)) -> Response:
    with state_of(request).database.connect() as connection:
        page = queries.list_findings(connection, severity=severity or None, check=check or None,
                                     region=region or None, offset=offset)
    params = {"severity": severity, "check": check, "region": region}
    return render(request, "alerts.html", {"page": "alerts", "findings": page, "params": params})


@pages.get("/api/docs")
def api_docs(request: Request) -> Response:
    """The operations of the API, listed from its own OpenAPI description (no script, nothing from elsewhere)."""
    schema = request.app.openapi()
    operations = [{"method": method.upper(), "path": path, "summary": spec.get("summary", ""),
                   "description": spec.get("description", ""),
                   "parameters": [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                                   "type": _type_of(p.get("schema", {})), "description": p.get("description", "")}
                                  for p in spec.get("parameters", [])]}
                  for path, methods in schema["paths"].items() for method, spec in methods.items()]
    return render(request, "api_docs.html", {"page": "api", "operations": operations, "info": schema["info"]})


def _type_of(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        return " | ".join(_type_of(option) for option in schema["anyOf"])
    return str(schema.get("type", "any"))
