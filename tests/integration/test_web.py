"""The web view and its API over a store filled through the real pipeline (SQLite; the API on PostgreSQL too):
what the pages and the JSON say must be what the database holds."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from services.web.app import create_app
from services.web.command import is_loopback
from shared.config import Settings
from shared.store.db import close_engine, get_engine
from tests.cli_helpers import klantprofielen
from tests.conftest import POSTGRES_DSN, REDIS_URL
from tests.web_data import QUARTERS, Filled, fill


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Filled]:
    root = tmp_path_factory.mktemp("web")
    redis.Redis.from_url(REDIS_URL).flushdb()  # the queue length shown must be this module's: none
    settings = Settings(inbox=root / "inbox", data_dir=root / "data", broker_url=REDIS_URL)
    yield fill(settings)
    close_engine(settings.effective_database_url)


@pytest.fixture(scope="module")
def client(filled: Filled) -> Iterator[TestClient]:
    with TestClient(create_app(filled.settings)) as test_client:
        yield test_client


def scalar(filled: Filled, sql: str) -> int:
    with get_engine(filled.settings.effective_database_url).connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


def test_the_pipeline_filled_the_store_as_planned(filled: Filled) -> None:
    assert list(filled.outcomes.values()).count("stored") == len(QUARTERS) + 3
    assert filled.outcomes["west-brabant again.txt"] == "duplicate"
    assert filled.outcomes["notes.txt"] == "quarantined"


def test_every_page_renders(client: TestClient, filled: Filled) -> None:
    report_id = scalar(filled, "SELECT min(id) FROM report")
    for path in ("/", "/files", "/files?outcome=quarantined", "/reports", "/reports?versions=all&status=findings",
                 f"/reports/{report_id}", "/regions", "/regions/Midden-Limburg", "/regions/34?count=uwv_with_profile",
                 "/regions/Midden-Limburg/municipalities/Roermond", "/alerts", "/alerts?severity=warning", "/api/docs"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        assert response.headers["content-type"].startswith("text/html")
        assert "<script src=\"/static/app.js\"" in response.text
        assert "http://" not in response.text and "https://" not in response.text, f"{path} links elsewhere"
        assert "script-src 'self'" in response.headers["content-security-policy"]
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/style.css").status_code == 200
    missing = client.get("/reports/999999")
    assert missing.status_code == 404 and "no report 999999" in missing.text and "<h1>Not found</h1>" in missing.text
    assert client.get("/regions/Nowhere").status_code == 404
    bad = client.get("/reports", params={"year": "last"})
    assert bad.status_code == 400 and "year:" in bad.text and bad.headers["content-type"].startswith("text/html")
    assert client.get("/api/reports/999999").json() == {"detail": "no report 999999"}


def test_files_page_lists_every_delivery_and_filters(client: TestClient, filled: Filled) -> None:
    page = client.get("/files").text
    for name in filled.outcomes:
        assert name in page
    quarantined = client.get("/files", params={"outcome": "quarantined"}).text
    assert "notes.txt" in quarantined and "not a report table" in quarantined
    assert "midden-limburg 2021q1.txt" not in quarantined
    by_name = client.get("/files", params={"name": "WEST-brabant"}).text
    assert "west-brabant again.txt" in by_name and "midden-limburg" not in by_name
    assert client.get("/files", params={"since": "yesterday"}).status_code == 400
    assert "notes.txt" not in client.get("/files", params={"since": "2999-01-01"}).text


def test_report_page_marks_its_findings_on_the_row_and_the_totaal(client: TestClient, filled: Filled) -> None:
    broken = scalar(filled, "SELECT id FROM report WHERE region_name = 'West-Brabant' AND status = 'findings'")
    clean = scalar(filled, "SELECT id FROM report WHERE region_name = 'West-Brabant' AND status = 'ok'")
    page = client.get(f"/reports/{broken}").text
    breda = re.search(r'<tr class="municipality row-error" data-municipality="Breda">(.*?)</tr>', page, re.S)
    assert breda, "Breda's row is marked"
    assert breda.group(1).count("mark-error") == 1 and "1.636" in breda.group(1)
    totaal = re.search(r'<tr class="totaal row-error" data-municipality="TOTAAL">(.*?)</tr>', page, re.S)
    assert totaal and totaal.group(1).count("mark-error") == 1
    assert page.count('class="municipality "') == 13  # the other 13 rows unmarked
    assert "row_total" in page and "column_total" in page
    # Where in the file each figure was read: the lines of the broken copy of the seed.
    assert '<td class="location muted">line 10</td>' in breda.group(1)
    assert '<td class="location muted">line 34</td>' in totaal.group(1)
    assert "in the file: line 35" in page
    assert '<span class="badge held">held</span>' in page  # error findings never displace a clean version
    versions = page[page.index('id="versions"'):]
    assert f'href="/reports/{clean}"' in versions and '<span class="badge current">current</span>' in versions
    clean_page = client.get(f"/reports/{clean}").text
    assert "mark-error" not in clean_page and f'href="/reports/{broken}"' in clean_page


def test_report_page_marks_a_warning_differently(client: TestClient, filled: Filled) -> None:
    warned = scalar(filled, "SELECT report_id FROM finding WHERE severity = 'warning'")
    page = client.get(f"/reports/{warned}").text
    roermond = re.search(r'<tr class="municipality row-warning" data-municipality="Roermond">(.*?)</tr>', page, re.S)
    assert roermond and "mark-warning" in roermond.group(1) and "mark-error" not in page


def test_reports_filter_by_region_period_status_and_versions(client: TestClient, filled: Filled) -> None:
    def ids(**params: object) -> set[int]:
        page = client.get("/reports", params=params).text
        return {int(i) for i in re.findall(r'<td><a href="/reports/(\d+)">', page)}

    assert len(ids()) == scalar(filled, "SELECT count(*) FROM report WHERE is_current")
    assert len(ids(region="midden-limburg")) == len(QUARTERS)
    assert len(ids(region="34", year=2022)) == 4
    assert len(ids(region="Midden-Limburg", year=2021, quarter=3)) == 1
    assert ids(status="findings", versions="all") == {scalar(filled, "SELECT id FROM report WHERE status = 'findings'")}
    assert ids(status="findings") == set()  # the broken version is held, not current
    assert ids(versions="superseded") == {scalar(filled, "SELECT id FROM report WHERE version_status = 'superseded'")}
    assert ids(versions="held") == {scalar(filled, "SELECT id FROM report WHERE version_status = 'held'")}
    assert len(ids(versions="all")) == scalar(filled, "SELECT count(*) FROM report")


def test_region_chart_draws_one_line_per_municipality_and_marks_the_warning(client: TestClient,
                                                                          filled: Filled) -> None:
    page = client.get("/regions/Midden-Limburg").text
    chart = page[page.index('id="municipality-chart"'):]
    total_group = chart[chart.index('data-count="total"'):chart.index('data-count="municipal_with_profile"')]
    lines = re.findall(r'<polyline class="series" data-series="(GM\d{4})" points="([^"]+)"[^>]*><title>([^<]+)</title>',
                       total_group)
    assert sorted(name for _, _, name in lines) == sorted(filled.municipalities)  # keyed by CBS code
    assert all(len(points.split()) == len(QUARTERS) for _, points, _ in lines)
    assert total_group.count('class="marker"') == 1 and "quarter_change" in total_group
    totaal = page[page.index('id="totaal-chart"'):page.index('id="municipality-chart"')]
    assert totaal.count('<polyline class="series" data-series="TOTAAL"') == len(("total", 1, 2, 3, 4))


def test_alerts_list_errors_and_warnings_newest_first(client: TestClient, filled: Filled) -> None:
    page = client.get("/alerts").text
    checks = re.findall(r'<tr class="finding (error|warning)"><td><span class="badge \w+">\w+</span></td>'
                        r'<td>(\w+)</td>', page)
    assert checks == [("warning", "quarter_change"), ("error", "column_total"), ("error", "row_total")]
    assert client.get("/alerts", params={"severity": "error"}).text.count('<tr class="finding error">') == 2


def test_api_reports_are_contract_documents(client: TestClient, filled: Filled) -> None:
    body = client.get("/api/reports", params={"region": "Midden-Limburg", "limit": 3}).json()
    assert body["total"] == len(QUARTERS) and len(body["reports"]) == 3
    newest = body["reports"][0]
    assert newest["is_current"] and newest["document"]["period"] == {"year": 2022, "quarter": 4}
    assert [row["municipality"] for row in newest["document"]["rows"]] == list(filled.municipalities)
    assert newest["document"]["source"]["format"] == "text"
    every = client.get("/api/reports", params={"versions": "all", "limit": 500}).json()
    assert every["total"] == scalar(filled, "SELECT count(*) FROM report")
    one = client.get(f"/api/reports/{newest['id']}").json()
    assert one["document"] == newest["document"] and one["versions"][0]["id"] == newest["id"]
    assert client.get("/api/reports", params={"quarter": 5}).status_code == 422


def test_api_findings_files_series_status(client: TestClient, filled: Filled) -> None:
    findings = client.get("/api/findings").json()
    assert findings["total"] == scalar(filled, "SELECT count(*) FROM finding")
    assert {f["severity"] for f in findings["items"]} == {"error", "warning"}
    files = client.get("/api/files").json()
    assert files["total"] == scalar(filled, "SELECT count(*) FROM delivery")
    assert {item["name"]: item["outcome"] for item in files["items"]} == filled.outcomes
    series = client.get("/api/series", params={"region": "Midden-Limburg"}).json()
    assert len(series["quarters"]) == len(QUARTERS) and len(series["totaal"]) == len(QUARTERS)
    assert [m["municipality"] for m in series["municipalities"]] == list(filled.municipalities)
    roermond = next(m for m in series["municipalities"] if m["municipality"] == "Roermond")
    database_total = scalar(filled, "SELECT total FROM municipality_figures WHERE municipality = 'Roermond' "
                                    "AND year = 2022 AND quarter = 4")
    assert roermond["points"][-1]["total"] == database_total
    assert client.get("/api/series", params={"region": "Nowhere"}).status_code == 404
    status = client.get("/api/status").json()
    assert status["store"]["quarantined_total"] == 1 and status["inbox_waiting"] == 0
    assert status["queued"] == 0


def test_openapi_lists_the_operations_and_the_docs_page_shows_them(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    assert {"/api/reports", "/api/findings", "/api/files", "/api/series", "/api/status"} <= set(schema["paths"])
    docs = client.get("/api/docs").text
    for path in schema["paths"]:
        assert f"<code>{path}</code>" in docs
    assert "swagger" not in docs.lower() and "cdn" not in docs.lower()


def test_metrics_parse_and_match_the_database(client: TestClient, filled: Filled) -> None:
    families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").text)}
    files = {s.labels["outcome"]: s.value for s in families["klantprofielen_files"].samples
             if s.name == "klantprofielen_files_total"}
    assert files == {"stored": 11, "duplicate": 1, "quarantined": 1}
    for outcome, count in files.items():
        assert count == scalar(filled, f"SELECT count(*) FROM delivery WHERE outcome = '{outcome}'")
    findings = {s.labels["check"]: s.value for s in families["klantprofielen_findings"].samples
                if s.name == "klantprofielen_findings_total"}
    assert findings == {"row_total": 1, "column_total": 1, "quarter_change": 1}
    latency = families["klantprofielen_drop_to_commit_seconds"].samples
    count = next(s.value for s in latency if s.name.endswith("_count"))
    assert count == scalar(filled, "SELECT count(*) FROM delivery WHERE dropped_at IS NOT NULL")
    infinite = next(s.value for s in latency if s.labels.get("le") == "+Inf")
    assert infinite == count
    assert families["klantprofielen_claims_pending"].samples[0].value == 0
    assert families["klantprofielen_inbox_waiting"].samples[0].value == 0
    assert families["klantprofielen_queue_length"].samples[0].value == 0
    newest = families["klantprofielen_last_stored_report_timestamp_seconds"].samples[0].value
    assert newest > 1.7e9
    again = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").text)}
    assert next(s.value for s in again["klantprofielen_drop_to_commit_seconds"].samples
                if s.name.endswith("_count")) == count, "a second scrape counts each delivery once"


def test_healthz_is_open_and_says_which_check_failed(filled: Filled) -> None:
    settings = filled.settings.model_copy(update={"web_token": "s3cret"})
    with TestClient(create_app(settings)) as guarded:
        response = guarded.get("/healthz")
    assert response.status_code == 503  # no watcher, no worker here
    checks = {c["name"]: c["ok"] for c in response.json()["checks"]}
    assert checks == {"watcher": False, "worker": False, "broker": True, "database": True}
    with TestClient(create_app(settings)) as guarded:
        database_only = guarded.get("/healthz", params={"component": "database"})
        assert database_only.status_code == 200 and len(database_only.json()["checks"]) == 1
        assert guarded.get("/healthz", params={"component": "nonsense"}).status_code == 400


def test_a_token_guards_pages_api_and_metrics(filled: Filled) -> None:
    settings = filled.settings.model_copy(update={"web_token": "s3cret"})
    with TestClient(create_app(settings)) as guarded:
        assert guarded.get("/api/reports").status_code == 401
        assert guarded.get("/metrics").status_code == 401
        assert guarded.get("/api/reports", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert guarded.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        page = guarded.get("/reports", headers={"Accept": "text/html"}, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/login?next=%2Freports"
        wrong = guarded.post("/login", data={"token": "nope", "next": "/reports"}, follow_redirects=False)
        assert wrong.status_code == 401 and "not the token" in wrong.text
        login = guarded.post("/login", data={"token": "s3cret", "next": "//elsewhere.example"},
                             follow_redirects=False)
        assert login.status_code == 303 and login.headers["location"] == "/"
        cookie = login.headers["set-cookie"]
        assert "HttpOnly" in cookie and "s3cret" not in cookie
        assert guarded.get("/reports").status_code == 200  # the cookie is kept by the client
        assert guarded.get("/static/style.css").status_code == 200


def test_no_page_can_write(filled: Filled) -> None:
    app = create_app(filled.settings)
    with app.state.web.database.connect() as connection, pytest.raises(Exception, match="readonly|read-only"):
        connection.execute(text("DELETE FROM finding"))
    assert scalar(filled, "SELECT count(*) FROM finding") == 3


def test_serve_refuses_other_addresses_without_a_token(tmp_path: Path) -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    result = klantprofielen("serve", "--host", "0.0.0.0", "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "klantprofielen: serve --host 0.0.0.0: binding beyond loopback needs a token: set KLANTPROFIELEN_WEB_TOKEN"]


@pytest.fixture(scope="module")
def postgres_filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Filled]:
    schema = f"kp_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = POSTGRES_DSN.replace("postgresql://", "postgresql+psycopg://", 1) + f"?options=-csearch_path%3D{schema}"
    root = tmp_path_factory.mktemp("web-pg")
    settings = Settings(inbox=root / "inbox", data_dir=root / "data", database_url=url, broker_url=REDIS_URL)
    yield fill(settings)
    close_engine(url)
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.mark.postgres
def test_api_and_pages_on_postgresql(postgres_filled: Filled) -> None:
    with TestClient(create_app(postgres_filled.settings)) as pg:
        reports = pg.get("/api/reports", params={"versions": "all", "limit": 500}).json()
        assert reports["total"] == scalar(postgres_filled, "SELECT count(*) FROM report")
        files = pg.get("/api/files", params={"since": "2000-01-01"}).json()
        assert {item["name"]: item["outcome"] for item in files["items"]} == postgres_filled.outcomes
        series = pg.get("/api/series", params={"region": "34"}).json()
        assert len(series["municipalities"]) == len(postgres_filled.municipalities)
        metrics = {f.name: f for f in text_string_to_metric_families(pg.get("/metrics").text)}
        assert {s.labels["outcome"]: s.value for s in metrics["klantprofielen_files"].samples
                if s.name.endswith("_total")} == {"stored": 11, "duplicate": 1, "quarantined": 1}
        for path in ("/", "/files", "/reports", "/regions/Midden-Limburg", "/alerts"):
            assert pg.get(path).status_code == 200, path
        with pg.app.state.web.database.connect() as connection,  \
                pytest.raises(Exception, match="read-only"):
            connection.execute(text("DELETE FROM finding"))


def test_pending_claims_show_on_files_api_overview_and_metrics(filled: Filled, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from shared.claims import WorkFolder, claim_file

    settings = filled.settings.model_copy(update={"inbox": tmp_path / "inbox"})
    work = WorkFolder.of_inbox(settings.inbox)
    work.ensure()
    (settings.inbox / "slow report.txt").write_bytes(b"claimed, no worker yet")
    assert claim_file(settings.inbox / "slow report.txt", work, dropped_at=datetime.now(UTC) - timedelta(minutes=5))
    (settings.inbox / "waiting.txt").write_bytes(b"not claimed yet")
    with TestClient(create_app(settings)) as pending:
        page = pending.get("/files", params={"outcome": "pending"}).text
        assert "slow report.txt" in page and "badge pending" in page and "notes.txt" not in page
        items = pending.get("/api/files", params={"outcome": "pending"}).json()["items"]
        assert [(i["name"], i["outcome"]) for i in items] == [("slow report.txt", "pending")]
        status = pending.get("/api/status").json()
        assert status["claims_pending"]["count"] == 1 and status["claims_pending"]["oldest_age_seconds"] >= 300
        assert status["inbox_waiting"] == 1
        overview = pending.get("/").text
        assert re.search(r'data-status="claims_pending.count">1<', overview)
        families = {f.name: f for f in text_string_to_metric_families(pending.get("/metrics").text)}
        assert families["klantprofielen_claims_pending"].samples[0].value == 1
        assert families["klantprofielen_inbox_waiting"].samples[0].value == 1
        assert families["klantprofielen_oldest_claim_age_seconds"].samples[0].value >= 300


def test_the_web_benchmark_runs_in_its_quick_mode(tmp_path: Path) -> None:
    import json

    from benchmarks import web as web_benchmark

    output = tmp_path / "web.json"
    web_benchmark.main(["--quick", "--output", str(output)])  # exits on any page that is not 200
    [sqlite] = json.loads(output.read_text())["results"]
    assert sqlite["filled"]["reports"] == 400
    assert {page["page"] for page in sqlite["pages"]} >= {"overview", "report", "region chart", "metrics"}


def test_serve_stops_with_one_line_on_a_database_without_schema(tmp_path: Path) -> None:
    result = klantprofielen("serve", "--data-dir", str(tmp_path / "data"), "--inbox", str(tmp_path / "inbox"))
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("klantprofielen: serve: no SQLite database at ")
    assert not (tmp_path / "data" / "klantprofielen.db").exists()  # the view never creates one


def test_the_token_can_come_from_a_file(tmp_path: Path, filled: Filled) -> None:
    secret = tmp_path / "web_token"
    secret.write_text("from-a-file-0123456789\n")
    settings = Settings(inbox=filled.settings.inbox, data_dir=filled.settings.data_dir, web_token_file=secret)
    assert settings.web_token == "from-a-file-0123456789"
    assert "KLANTPROFIELEN_WEB_TOKEN" not in settings.as_environment()  # children read the file themselves
    with TestClient(create_app(settings)) as guarded:
        assert guarded.get("/api/status").status_code == 401
        assert guarded.get("/api/findings", headers={"Authorization": "Bearer from-a-file-0123456789"}
                           ).status_code == 200


def test_report_page_says_which_quarter_it_was_compared_with(client: TestClient, filled: Filled) -> None:
    first = scalar(filled, "SELECT id FROM report WHERE region_code = 34 AND year = 2021 AND quarter = 1")
    second = scalar(filled, "SELECT id FROM report WHERE region_code = 34 AND year = 2021 AND quarter = 2")
    assert "no baseline" in client.get(f"/reports/{first}").text
    compared = client.get(f"/reports/{second}").text
    assert f'compared with <a href="/reports/{first}">2021 Q1</a>' in compared
    series = client.get("/api/series", params={"region": "34"}).json()
    roermond = next(m for m in series["municipalities"] if m["municipality"] == "Roermond")
    assert roermond["municipality_code"] == "GM0957"
    assert roermond["points"][0]["total_change"] is None
    assert roermond["points"][1]["total_change"] == roermond["points"][1]["total"] - roermond["points"][0]["total"]
