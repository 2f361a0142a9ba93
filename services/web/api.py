"""The JSON API under /api/: reports as contract documents, findings, files, series, status."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel

from services.web import queries
from services.web.app import state_of
from services.web.pages import parse_since, pending_claims
from services.web.queries import ReportQuery
from shared.models import ReportDocument

api = APIRouter(prefix="/api")
MAX_LIMIT = 500


class ReportItem(BaseModel):
    id: int
    is_current: bool
    version_status: str
    pinned: bool
    superseded_by_id: int | None
    superseded_at: datetime | None
    stored_at: datetime | None
    document: ReportDocument


class ReportList(BaseModel):
    total: int
    offset: int
    limit: int
    reports: list[ReportItem]


class PageOf(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[dict[str, Any]]


def _item(row: dict[str, Any], document: ReportDocument) -> ReportItem:
    return ReportItem(id=row["id"], is_current=bool(row["is_current"]), version_status=row["version_status"],
                      pinned=row["pinned_at"] is not None, superseded_by_id=row["superseded_by_id"],
                      superseded_at=queries.utc(row["superseded_at"]), stored_at=queries.utc(row["stored_at"]),
                      document=document)


@api.get("/reports", summary="Stored reports as contract documents, newest first", response_model=ReportList)
def reports(request: Request,
            region: str | None = Query(None, description="Region name (any case) or number"),
            year: int | None = Query(None, ge=1900, le=2999), quarter: int | None = Query(None, ge=1, le=4),
            status: Literal["ok", "findings"] | None = Query(None, description="ok, or findings (error findings)"),
            versions: Literal["current", "superseded", "held", "all"] = "current",
            offset: int = Query(0, ge=0), limit: int = Query(queries.PAGE_SIZE, ge=1, le=MAX_LIMIT)) -> ReportList:
    query = ReportQuery(region=region, year=year, quarter=quarter, status=status, versions=versions)
    with state_of(request).database.connect() as connection:
        page = queries.list_reports(connection, query, offset=offset, limit=limit)
        documents = queries.report_documents(connection, [row["id"] for row in page.items])
    return ReportList(total=page.total, offset=offset, limit=limit,
                      reports=[_item(row, doc) for row, doc in zip(page.items, documents, strict=True)])


@api.get("/reports/{report_id}", summary="One report as a contract document, with its versions")
def report(request: Request, report_id: int) -> dict[str, Any]:
    with state_of(request).database.connect() as connection:
        detail = queries.report_detail(connection, report_id)
        if detail is None:
            raise HTTPException(404, f"no report {report_id}")
        [document] = queries.report_documents(connection, [report_id])
    item = _item(detail["report"], document).model_dump(mode="json")
    item["versions"] = [{"id": v["id"], "is_current": bool(v["is_current"]), "version_status": v["version_status"],
                         "pinned": v["pinned_at"] is not None, "status": v["status"],
                         "superseded_by_id": v["superseded_by_id"], "written_at": _json(v["written_at"]),
                         "source_name": v["source_name"]}
                        for v in detail["versions"]]
    item["deliveries"] = _json(detail["deliveries"])
    return item


@api.get("/findings", summary="Findings (errors and warnings), newest first, with their report and file",
         response_model=PageOf)
def findings(request: Request, severity: Literal["error", "warning"] | None = None,
             check: str | None = Query(None, description="e.g. row_total, column_total, quarter_change"),
             region: str | None = None, offset: int = Query(0, ge=0),
             limit: int = Query(queries.PAGE_SIZE, ge=1, le=MAX_LIMIT)) -> PageOf:
    with state_of(request).database.connect() as connection:
        page = queries.list_findings(connection, severity=severity, check=check, region=region, offset=offset,
                                     limit=limit)
    return PageOf(total=page.total, offset=offset, limit=limit, items=_json(page.items))


@api.get("/files", summary="Delivered files and how they ended, newest first; pending claims first",
         response_model=PageOf)
def files(request: Request,
          outcome: Literal["stored", "duplicate", "quarantined", "pending"] | None = None,
          since: str | None = Query(None, description="ISO date or date-time (UTC unless a zone is given)"),
          name: str | None = Query(None, description="Part of the original name, any case"),
          offset: int = Query(0, ge=0), limit: int = Query(queries.PAGE_SIZE, ge=1, le=MAX_LIMIT)) -> PageOf:
    state = state_of(request)
    moment = parse_since(since)
    items: list[dict[str, Any]] = []
    if outcome in (None, "pending") and offset == 0:
        items += pending_claims(state.settings.inbox, since=moment, name=name)
    total = len(items)
    if outcome != "pending":
        with state.database.connect() as connection:
            page = queries.list_deliveries(connection, outcome=outcome, since=moment, name=name, offset=offset,
                                           limit=limit)
        items += page.items
        total += page.total
    return PageOf(total=total, offset=offset, limit=limit, items=_json(items))


@api.get("/series", summary="A region's current figures per quarter: TOTAAL and each municipality")
def series(request: Request, region: str = Query(description="Region name (any case) or number"),
           municipality: str | None = Query(None, description="Only this municipality")) -> dict[str, Any]:
    with state_of(request).database.connect() as connection:
        found = queries.region_series(connection, region, municipality=municipality)
    if found is None:
        raise HTTPException(404, f"no current reports for region {region!r}")
    return _json(found.as_json())  # type: ignore[no-any-return]


@api.get("/status", summary="The facts of `klantprofielen status`")
def status(request: Request) -> dict[str, Any]:
    return state_of(request).status_json(ask_workers=True)


def _json(value: Any) -> Any:
    """Timestamps as UTC ISO text (SQLite gives naive datetimes or text)."""
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    if isinstance(value, datetime):
        return queries.utc(value).isoformat()  # type: ignore[union-attr]
    return value
