"""The web view in a real browser: Debian's Chromium driven by Playwright, against uvicorn serving a store
filled through the real pipeline. Screenshots go to docs/screenshots/ with KLANTPROFIELEN_SCREENSHOTS=1."""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import text

from services.web.app import create_app
from shared.config import Settings
from shared.store.db import close_engine, get_engine
from tests.conftest import REDIS_URL, ROOT, wait_for
from tests.web_data import QUARTERS, Filled, fill

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "docs" / "screenshots"

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Filled]:
    root = tmp_path_factory.mktemp("browser")
    settings = Settings(inbox=root / "inbox", data_dir=root / "data", broker_url=REDIS_URL)
    yield fill(settings)
    close_engine(settings.effective_database_url)


@pytest.fixture(scope="module")
def base_url(filled: Filled) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(filled.settings), host="127.0.0.1", port=port,
                                           log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=15, message="uvicorn to start")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"no {CHROMIUM}: install Debian's chromium (scripts/ensure-services does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A page that records console errors and failed requests; the test fails on any."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    opened = context.new_page()
    problems: list[str] = []
    opened.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
              if message.type == "error" else None)
    opened.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    # A request the browser itself cancels when the next page is opened (ERR_ABORTED) is no failure.
    opened.on("requestfailed", lambda request: problems.append(f"request failed: {request.url} {request.failure}")
              if "ERR_ABORTED" not in (request.failure or "") else None)
    opened.on("response", lambda response: problems.append(f"HTTP {response.status}: {response.url}")
              if response.status >= 400 else None)
    opened.problems = problems
    yield opened
    context.close()
    assert problems == []


def screenshot(page: object, name: str, tmp_path: Path) -> None:
    folder = SCREENSHOTS if os.environ.get("KLANTPROFIELEN_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def scalar(filled: Filled, sql: str) -> int:
    with get_engine(filled.settings.effective_database_url).connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


def test_every_page_loads_without_console_errors(page: object, base_url: str, filled: Filled) -> None:
    report_id = scalar(filled, "SELECT min(id) FROM report")
    for path in ("/", "/files", "/reports", f"/reports/{report_id}", "/regions", "/regions/Midden-Limburg",
                 "/regions/Midden-Limburg/municipalities/Roermond", "/alerts", "/api/docs"):
        response = page.goto(base_url + path)  # type: ignore[attr-defined]
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
        assert page.locator("main h1").count() == 1, path  # type: ignore[attr-defined]
    assert page.problems == []  # type: ignore[attr-defined]


def test_overview_shows_the_numbers_the_store_holds_and_refreshes(page: object, base_url: str, filled: Filled,
                                                                  tmp_path: Path) -> None:
    page.goto(base_url + "/")  # type: ignore[attr-defined]
    value = page.locator  # type: ignore[attr-defined]
    wait_for(lambda: value('[data-status="queued"]').inner_text() == "0", message="the status fetch")
    assert value('[data-status="store.quarantined_total"]').inner_text() == str(
        scalar(filled, "SELECT count(*) FROM delivery WHERE outcome = 'quarantined'"))
    assert value('[data-status="store.reports_today"]').inner_text() == str(
        scalar(filled, "SELECT count(*) FROM report"))
    assert value('[data-status="store.findings_24h"]').inner_text() == str(
        scalar(filled, "SELECT count(*) FROM finding"))
    assert value('[data-status="inbox_waiting"]').inner_text() == "0"
    assert "notes.txt" in value("#last-error").inner_text()
    screenshot(page, "overview", tmp_path)
    waiting = filled.settings.inbox / "waiting.txt"
    waiting.write_bytes(b"dropped while nobody watches")
    try:  # no watcher runs here: the file stays, and the page shows it without a reload
        wait_for(lambda: value('[data-status="inbox_waiting"]').inner_text() == "1", timeout=15,
                 message="the overview to refresh")
    finally:
        waiting.unlink()


def test_report_page_shows_its_rows_and_marked_findings(page: object, base_url: str, filled: Filled,
                                                        tmp_path: Path) -> None:
    broken = scalar(filled, "SELECT id FROM report WHERE status = 'findings'")
    page.goto(f"{base_url}/reports/{broken}")  # type: ignore[attr-defined]
    rows = page.locator("#figures tbody tr")  # type: ignore[attr-defined]
    assert rows.count() == scalar(filled, f"SELECT count(*) FROM report_row WHERE report_id = {broken}")
    marked = page.locator("#figures td.mark-error")  # type: ignore[attr-defined]
    assert marked.count() == 2
    marked_rows = page.locator("#figures tr.row-error").evaluate_all(  # type: ignore[attr-defined]
        "rows => rows.map(r => r.dataset.municipality)")
    assert marked_rows == ["Breda", "TOTAAL"]
    assert "1.636" in marked.first.inner_text()
    colour = marked.first.evaluate("cell => getComputedStyle(cell).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"), "a marked cell stands out"
    assert page.locator("#findings li").count() == 2  # type: ignore[attr-defined]
    screenshot(page, "report", tmp_path)


def test_region_chart_draws_one_series_per_municipality_and_switches_counts(page: object, base_url: str,
                                                                            filled: Filled, tmp_path: Path) -> None:
    page.goto(base_url + "/regions/Midden-Limburg")  # type: ignore[attr-defined]
    chart = page.locator("#municipality-chart")  # type: ignore[attr-defined]
    visible = chart.locator("g.count:visible polyline.series")
    names = visible.evaluate_all("lines => lines.map(l => l.querySelector('title').textContent)")
    assert sorted(names) == sorted(filled.municipalities)
    assert all(key.startswith("GM") for key in visible.evaluate_all("lines => lines.map(l => l.dataset.series)"))
    assert all(len(points.split()) == len(QUARTERS)
               for points in visible.evaluate_all("lines => lines.map(l => l.getAttribute('points'))"))
    assert chart.locator("g.count:visible circle.marker").count() == 1
    assert page.locator("#totaal-chart g.count:visible polyline.series").count() == 1  # type: ignore[attr-defined]
    screenshot(page, "region", tmp_path)
    page.click('nav.counts a[data-count="uwv_with_profile"]')  # type: ignore[attr-defined]
    assert chart.locator("g.count:visible").get_attribute("data-count") == "uwv_with_profile"
    assert page.url.endswith("?count=uwv_with_profile")  # type: ignore[attr-defined]
    page.hover('ul.legend li:has-text("Roermond")')  # type: ignore[attr-defined]
    highlighted = chart.locator("polyline.series.highlight:visible")
    assert highlighted.count() == 1 and highlighted.locator("title").text_content() == "Roermond"


def test_files_and_alerts_pages(page: object, base_url: str, tmp_path: Path) -> None:
    page.goto(base_url + "/files")  # type: ignore[attr-defined]
    page.select_option("select[name=outcome]", "quarantined")  # type: ignore[attr-defined]
    with page.expect_navigation():  # type: ignore[attr-defined]  # read the filtered page, not the one it replaces
        page.click("form.filters button")  # type: ignore[attr-defined]
    rows = page.locator("#deliveries tbody tr").all_inner_texts()  # type: ignore[attr-defined]
    assert len(rows) == 1 and "notes.txt\tquarantined\tnot a report table" in rows[0]
    page.goto(base_url + "/files")  # type: ignore[attr-defined]
    screenshot(page, "files", tmp_path)
    page.goto(base_url + "/alerts")  # type: ignore[attr-defined]
    assert page.locator("#alerts tbody tr.warning").count() == 1  # type: ignore[attr-defined]
    assert page.locator("#alerts tbody tr.error").count() == 2  # type: ignore[attr-defined]
    screenshot(page, "alerts", tmp_path)


def test_pages_fit_a_phone(browser: object, base_url: str, filled: Filled, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)  # type: ignore[attr-defined]
    phone = context.new_page()
    broken = scalar(filled, "SELECT id FROM report WHERE status = 'findings'")
    for path, name in (("/", "phone-overview"), (f"/reports/{broken}", "phone-report"),
                       ("/regions/Midden-Limburg", "phone-region"), ("/files", None)):
        phone.goto(base_url + path)
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than a phone"
        if name:
            screenshot(phone, name, tmp_path)
    context.close()


def test_api_docs_page_lists_the_operations(page: object, base_url: str) -> None:
    page.goto(base_url + "/api/docs")  # type: ignore[attr-defined]
    paths = page.locator("section.operation h2 code").all_inner_texts()  # type: ignore[attr-defined]
    assert {"/api/reports", "/api/findings", "/api/files", "/api/series", "/api/status"} <= set(paths)
    assert not re.search(r"cdn|unpkg|jsdelivr", page.content())  # type: ignore[attr-defined]
