"""The stewards' page in a real browser: Debian's headless Chromium, driven by playwright, against
the app served by uvicorn on a free port. It loads offline (no request leaves the server),
shows the records side by side and the waterfall, and a decision takes the candidate out of the
queue."""

from __future__ import annotations

import io
import threading
import time
from urllib.parse import urlparse

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.config import ApiSettings
from graph_schema.decisions import clear_decisions
from tests.api.conftest import SECRET, token
from tests.conftest import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def server(city, graph_driver, neo4j_target):
    """The app under uvicorn in a background thread; its base URL."""
    clear_decisions(graph_driver, neo4j_target.database)
    app = create_app(
        ApiSettings(HUITONG_JWT_SECRET=SECRET), target=neo4j_target, audit_stream=io.StringIO()
    )
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uvicorn_server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uvicorn_server.should_exit = True
        thread.join(timeout=15)
        clear_decisions(graph_driver, neo4j_target.database)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


def test_the_page_is_served_by_the_app(server):
    page = httpx.get(f"{server}/review/")
    assert page.status_code == 200 and 'id="queue"' in page.text
    assert httpx.get(f"{server}/review", follow_redirects=True).url.path == "/review/"
    assert httpx.get(f"{server}/review/review.js").status_code == 200
    assert "https://" not in page.text  # nothing fetched from elsewhere


def test_a_steward_decides_a_candidate_in_the_browser(server, browser):
    page = browser.new_page()
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if urlparse(request.url).hostname not in ("127.0.0.1", None)
            else None
        ),
    )
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server}/review/#token={token('steward')}")
    assert "token=" not in page.url  # the token leaves the address bar for sessionStorage

    page.wait_for_selector("#queue li.current")
    first = page.text_content("#candidate-id")
    assert page.locator(f'#queue li[data-id="{first}"]').count() == 1
    assert page.locator("#records tbody tr").count() >= 3
    assert page.locator("#waterfall svg rect.bar").count() >= 3  # prior, comparisons, total

    page.click("#match")
    page.wait_for_selector(f'#queue li[data-id="{first}"]', state="detached")
    page.wait_for_selector("#history li")
    assert "MATCH" in page.text_content("#history")
    assert page.text_content("#candidate-id") != first

    skipped = page.text_content("#candidate-id")
    page.keyboard.press("s")  # skip: the next one is shown, the skipped one stays queued
    page.wait_for_function(
        "id => document.getElementById('candidate-id').textContent !== id", arg=skipped
    )
    first_after = page.text_content("#candidate-id")
    page.keyboard.press("n")
    page.wait_for_selector(f'#queue li[data-id="{first_after}"]', state="detached")
    assert page.locator(f'#queue li[data-id="{skipped}"]').count() == 1
    page.wait_for_function("document.querySelectorAll('#history li').length === 2")

    assert outside == [] and errors == []
    page.close()


def test_the_page_reports_a_refused_token(server, browser):
    page = browser.new_page()
    page.goto(f"{server}/review/#token={token('department_app')}")
    page.wait_for_function("document.getElementById('status').textContent.includes('may not')")
    assert page.locator("#queue li").count() == 0
    page.close()
