"""Series for consumers: one row per municipality code (or region) per quarter across the current
reports, with the change on the previous quarter, followed across mergers through the reference."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from shared.models import Period
from shared.reference import municipality_code, predecessors, region_code
from shared.store.quarters import previous_period


def municipality_series(*, session: Session, municipality: str | None = None,
                        region: str | None = None) -> list[dict[str, Any]]:
    """Rows of `municipality_series`, each with the codes it succeeded in its quarter (a merger) and,
    for the first quarter after a merger, the change on its predecessors' summed previous total."""
    clauses, params = _region_clause(region)
    if municipality is not None:
        code = municipality.upper() if municipality.upper().startswith("GM") else None
        if code is None:
            clauses.append("(lower(municipality) = lower(:name) OR municipality_code = :resolved)")
            params.update(name=municipality, resolved=municipality_code(municipality, 9999) or "")
        else:
            clauses.append("municipality_code = :code")
            params["code"] = code
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = [dict(row._mapping) for row in session.exec(text(  # type: ignore[call-overload]
        f"SELECT * FROM municipality_series{where} ORDER BY region_code, municipality_code, year, quarter"),
        params=params)]
    totals = _totals_by_code_and_period(session)
    for row in rows:
        code, year, quarter = row["municipality_code"], row["year"], row["quarter"]
        previous = previous_period(year, quarter)
        held = predecessors(code, Period(year=previous[0], quarter=previous[1]),
                            Period(year=year, quarter=quarter)) if code else frozenset()
        merged = sorted(held - {code})
        row["predecessor_codes"] = merged
        if merged:  # compare with everything it holds now: its predecessors' summed previous totals
            earlier = [totals.get((old, *previous)) for old in sorted(held)]
            if all(value is not None for value in earlier):
                row["previous_total"] = sum(value for value in earlier if value is not None)
                row["total_change"] = row["total"] - row["previous_total"]
    return rows


def region_series(*, session: Session, region: str | None = None) -> list[dict[str, Any]]:
    """Rows of `region_series`: the TOTAAL row and the register per region per quarter."""
    clauses, params = _region_clause(region)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    return [dict(row._mapping) for row in session.exec(text(  # type: ignore[call-overload]
        f"SELECT * FROM region_series{where} ORDER BY region_code, year, quarter"), params=params)]


def _region_clause(region: str | None) -> tuple[list[str], dict[str, Any]]:
    if region is None:
        return [], {}
    code = int(region) if region.isdigit() else region_code(region)
    if code is None:
        return ["lower(region_name) = lower(:region_name)"], {"region_name": region}
    return ["region_code = :region_code"], {"region_code": code}


def _totals_by_code_and_period(session: Session) -> dict[tuple[str, int, int], int]:
    result = session.exec(text(  # type: ignore[call-overload]
        "SELECT municipality_code, year, quarter, total FROM municipality_figures WHERE municipality_code IS NOT NULL"))
    return {(row.municipality_code, row.year, row.quarter): row.total for row in result}
