"""The web view's benchmark (issue #17): every page and API call timed on a database of 10,000 reports.

    .venv/bin/python -m benchmarks.web [--reports 10000] [--requests 30] [--postgres DSN] [--quick]

Fills a database quickly with SQLAlchemy Core bulk inserts (50 regions of 12 municipalities, each region
and quarter in several versions, one current; deliveries with stored, duplicate and quarantined
outcomes; findings on one report in ten, warnings among them), then times each page through the
ASGI test client (the application as uvicorn runs it, without the network): a warm-up request, then
the median and the 95th percentile of --requests requests. Prints a table and writes JSON."""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from benchmarks.stats import machine

REGIONS = 50
MUNICIPALITIES = 12
VERSIONS = 4
BUDGET_MS = 100.0
FIELDS = ("municipal_with_profile", "municipal_without_profile", "uwv_with_profile", "uwv_without_profile")


def fill(url: str, reports: int) -> dict[str, Any]:
    """Bulk-insert `reports` reports (with rows, files, deliveries, findings) through Core; the schema by
    the store's own migrations."""
    from shared.store.db import get_engine, upgrade_schema
    from shared.store.tables import Delivery, Finding, Report, ReportRow, SourceFile

    upgrade_schema(url)
    engine = get_engine(url)
    quarters = max(1, reports // (REGIONS * VERSIONS))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    files, reps, rows, deliveries, findings = [], [], [], [], []
    report_id = 0
    for region in range(REGIONS):
        for index in range(quarters):
            year, quarter = 2000 + index // 4, index % 4 + 1
            for version in range(VERSIONS):
                report_id += 1
                if report_id > reports:
                    break
                moment = start + timedelta(seconds=report_id * 7)
                sha = hashlib.sha256(f"{region}-{index}-{version}".encode()).hexdigest()
                name = f"region-{region:02d} {year}q{quarter} v{version}.txt"
                files.append({"id": report_id, "sha256": sha, "name": name, "received_path": f"/inbox/{name}",
                              "size": 4000, "format": "text", "status": "stored", "reason": None,
                              "received_at": moment, "stored_at": moment, "final_path": f"archive/{name}"})
                counts = [[10 + m + index + version, 40 + 2 * m + index, 100 + 5 * m + 2 * index, 20 + m]
                          for m in range(MUNICIPALITIES)]
                totals = [sum(c[f] for c in counts) for f in range(4)]
                current = version == VERSIONS - 1 or report_id == reports
                reps.append({"id": report_id, "source_file_id": report_id, "region_code": region + 1,
                             "region_name": f"Region {region + 1:02d}", "region_key": str(region + 1),
                             "year": year, "quarter": quarter, "figures_sha256": sha, "written_at": moment,
                             "version_status": "current" if current else "superseded",
                             **dict(zip(FIELDS, totals, strict=True)), "total": sum(totals),
                             "register_size": 2 * sum(totals), "percent_in_sonar": 50,
                             "status": "findings" if report_id % 10 == 0 else "ok",
                             "finding_count": 1 if report_id % 10 == 0 else 0, "stored_at": moment,
                             "is_current": current,
                             "superseded_at": None if current else moment + timedelta(seconds=7),
                             "superseded_by_id": None if current else report_id + 1})
                for position, c in enumerate(counts):
                    rows.append({"report_id": report_id, "position": position,
                                 "municipality": f"Gemeente {region + 1:02d}-{position + 1:02d}",
                                 "municipality_code": f"GM{9000 + region * MUNICIPALITIES + position:04d}",
                                 **dict(zip(FIELDS, c, strict=True)), "total": sum(c)})
                if report_id % 10 == 0:
                    findings.append({"report_id": report_id, "check": "row_total", "severity": "error",
                                     "municipality": f"Gemeente {region + 1:02d}-01", "field": "total",
                                     "expected": 1.0, "actual": 2.0})
                if report_id % 25 == 0:
                    findings.append({"report_id": report_id, "check": "quarter_change", "severity": "warning",
                                     "municipality": f"Gemeente {region + 1:02d}-02", "field": "total",
                                     "municipality_code": f"GM{9000 + region * MUNICIPALITIES + 1:04d}",
                                     "expected": 100.0, "actual": 300.0})
                outcome = "duplicate" if report_id % 50 == 0 else "stored"
                for kind in (["stored", outcome] if outcome == "duplicate" else ["stored"]):
                    deliveries.append(_delivery(len(deliveries) + 1, name, sha, kind, report_id, moment))
                if report_id % 100 == 0:
                    deliveries.append(_delivery(len(deliveries) + 1, f"broken {name}", sha[::-1], "quarantined",
                                                None, moment, reason="not a report table: no TOTAAL AMR row"))
    with engine.begin() as connection:
        # Newest first: a superseded report points at the next one, which must exist (SQLite checks at once).
        for table, values in ((SourceFile, files), (Report, reps[::-1]), (ReportRow, rows), (Finding, findings),
                              (Delivery, deliveries)):
            for chunk in range(0, len(values), 5000):
                connection.execute(table.__table__.insert(), values[chunk:chunk + 5000])  # type: ignore[attr-defined]
    with engine.connect() as connection:  # statistics, as a database in service has them (autovacuum, ANALYZE)
        connection.execute(text("ANALYZE"))
        connection.commit()
    return {"reports": len(reps), "rows": len(rows), "deliveries": len(deliveries), "findings": len(findings),
            "regions": REGIONS, "quarters_per_region": quarters}


def _delivery(delivery_id: int, name: str, sha: str, outcome: str, report_id: int | None, moment: datetime,
              reason: str | None = None) -> dict[str, Any]:
    claim = f"{moment:%Y%m%dT%H%M%SZ}_{delivery_id:012x}_{name}"
    return {"id": delivery_id, "claim": claim, "name": name, "name_bytes": name.encode(), "size": 4000,
            "sha256": sha, "mtime_ns": 0, "dropped_at": moment - timedelta(milliseconds=40 + delivery_id % 300),
            "received_at": moment, "committed_at": moment, "outcome": outcome, "reason": reason,
            "path": f"{'quarantine' if outcome == 'quarantined' else 'archive'}/{claim}", "report_id": report_id,
            "source_file_id": report_id, "requeued_at": None}


def pages(busiest_report: int) -> list[tuple[str, str]]:
    return [
        ("overview", "/"), ("files", "/files"), ("files, quarantined", "/files?outcome=quarantined"),
        ("files, by name", "/files?name=q3"), ("reports", "/reports"),
        ("reports, region + year", "/reports?region=Region%2007&year=2010"),
        ("reports, all versions with findings", "/reports?versions=all&status=findings"),
        ("report", f"/reports/{busiest_report}"), ("regions", "/regions"), ("region chart", "/regions/7"),
        ("region chart, by name", "/regions/region%2007"),
        ("municipality", "/regions/7/municipalities/GM9074"), ("alerts", "/alerts"),
        ("api/reports (100 documents)", "/api/reports"), ("api/findings", "/api/findings"),
        ("api/files", "/api/files"), ("api/series", "/api/series?region=7"), ("metrics", "/metrics"),
    ]


def time_pages(url: str, root: Path, requests: int) -> list[dict[str, Any]]:
    from fastapi.testclient import TestClient

    from services.web.app import create_app
    from shared.config import Settings

    settings = Settings(inbox=root / "inbox", data_dir=root / "data", database_url=url,
                        broker_url="redis://127.0.0.1:1/0")  # no broker: the status shows it as unknown
    (root / "inbox").mkdir(parents=True, exist_ok=True)
    results = []
    with TestClient(create_app(settings)) as client:
        for label, path in pages(busiest_report=10):
            first = _timed(client, path)
            samples = sorted(_timed(client, path) for _ in range(requests))
            results.append({"page": label, "path": path, "first_ms": first,
                            "median_ms": statistics.median(samples),
                            "p95_ms": samples[min(len(samples) - 1, int(0.95 * len(samples)))]})
    return results


def _timed(client: Any, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{path}: HTTP {response.status_code}: {response.text[:200]}")
    return elapsed


def run(label: str, url: str, root: Path, reports: int, requests: int) -> dict[str, Any]:
    started = time.perf_counter()
    filled = fill(url, reports)
    fill_seconds = time.perf_counter() - started
    timings = time_pages(url, root, requests)
    return {"database": label, "filled": filled, "fill_seconds": round(fill_seconds, 2), "pages": timings}


def render(result: dict[str, Any]) -> str:
    lines = [f"{result['database']}: {result['filled']['reports']} reports, {result['filled']['rows']} rows, "
             f"{result['filled']['deliveries']} deliveries, {result['filled']['findings']} findings "
             f"(filled in {result['fill_seconds']} s)",
             f"  {'page':<38} {'first':>8} {'median':>8} {'p95':>8}"]
    for page in result["pages"]:
        flag = "" if page["p95_ms"] < BUDGET_MS else "  OVER 100 ms"
        lines.append(f"  {page['page']:<38} {page['first_ms']:>6.1f}ms {page['median_ms']:>6.1f}ms "
                     f"{page['p95_ms']:>6.1f}ms{flag}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.web", description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page (after one warm-up)")
    parser.add_argument("--postgres", help="also on PostgreSQL (a DSN; a schema is made and dropped)")
    parser.add_argument("--quick", action="store_true", help="400 reports, 3 requests: a check, not a measurement")
    parser.add_argument("--output", type=Path, default=Path(__file__).resolve().parent / "results" / "web.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.reports, args.requests = 400, 3
    results = []
    with tempfile.TemporaryDirectory(prefix="kp-web-bench-") as workdir:
        root = Path(workdir)
        results.append(run("SQLite", f"sqlite:///{root / 'web.db'}", root, args.reports, args.requests))
        print(render(results[-1]), flush=True)
        if args.postgres:
            results.append(_on_postgres(args.postgres, root, args.reports, args.requests))
            print(render(results[-1]), flush=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"machine": machine(), "results": results}, indent=2))
    print(f"wrote {args.output}")


def _on_postgres(dsn: str, root: Path, reports: int, requests: int) -> dict[str, Any]:
    import psycopg

    from shared.store.db import close_engine

    schema = f"kp_web_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    url = dsn.replace("postgresql://", "postgresql+psycopg://", 1) + f"?options=-csearch_path%3D{schema}"
    try:
        result = run("PostgreSQL", url, root / "pg", reports, requests)
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f"SET search_path TO {schema}")
            connection.execute("SELECT setval(pg_get_serial_sequence('report', 'id'), (SELECT max(id) FROM report))")
        return result
    finally:
        close_engine(url)
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
