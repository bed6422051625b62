"""The /explore page in real headless Chromium against the app served by uvicorn: search, pick
an entity, expand a node by clicking it, inspect it, find the path through a shared unit."""

from __future__ import annotations

import io
import json
import threading
import time

import pytest
import uvicorn
from playwright.sync_api import Page, sync_playwright

from api.app import create_app
from api.config import ApiSettings
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
def server(city, neo4j_target):
    """The app on a free local port, served by uvicorn in a background thread."""
    settings = ApiSettings(HUITONG_JWT_SECRET=SECRET)
    app = create_app(settings, target=neo4j_target, audit_stream=io.StringIO())
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    uvi = uvicorn.Server(config)
    thread = threading.Thread(target=uvi.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uvi.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uvi.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def page(server):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def wait_for_node(page: Page, node_id: str, timeout: float = 20.0) -> None:
    """Wait until the graph holds a node (polling: the page's CSP forbids eval)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate("(id) => window.explorer.getElementById(id).length > 0", node_id):
        assert time.monotonic() < deadline, f"{node_id} never appeared; {status(page)}"
        page.wait_for_timeout(100)


def status(page: Page) -> str:
    return page.locator("#status").inner_text()


def node_count(page: Page) -> int:
    return page.evaluate("window.explorer.nodes().length")


def click_node(page: Page, node_id: str) -> None:
    """Click a node where cytoscape drew it."""
    box = page.locator("#graph").bounding_box()
    assert box is not None
    position = page.evaluate(
        "(id) => window.explorer.getElementById(id).renderedPosition()", node_id
    )
    page.mouse.click(box["x"] + position["x"], box["y"] + position["y"])


def test_library_is_served_locally(server, page):
    response = page.request.get(f"{server}/explore/cytoscape.min.js")
    assert response.ok and "cytoscape" in response.text()[:2000]
    assert page.request.get(f"{server}/explore/nothing.js").status == 404


def test_search_pick_expand_and_find_a_path(server, page, city, graph_driver):
    planted = json.loads((city.out / "patterns.json").read_text(encoding="utf-8"))
    tenants = planted["overcrowded_units"][0]["tenants"]
    first, second = (city.golden_of_true[t] for t in tenants[:2])
    unit = city.golden_of_true[planted["overcrowded_units"][0]["unit"]]
    records, _, _ = graph_driver.execute_query(
        "MATCH (p:Person {id: $id}) RETURN p.name AS name", id=first
    )
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{server}/explore#token={token('investigator')}")
    page.fill("#search", records[0]["name"])
    page.click("#search-form button")
    page.click(f'#results li[data-id="{first}"]')
    wait_for_node(page, unit)
    assert page.locator("#attributes tr").count() > 3
    page.wait_for_selector("#lineage tr")
    before = node_count(page)

    click_node(page, unit)  # expand the unit: its other tenants appear
    wait_for_node(page, second)
    assert node_count(page) > before
    assert page.evaluate("(id) => window.explorer.getElementById(id).hasClass('expanded')", unit)

    click_node(page, first)
    page.click("text=Path from here")
    click_node(page, second)
    page.click("text=Path to here")
    page.click("#find-path")
    page.wait_for_selector("#paths li")
    # Both tenants of the crowded unit: one of the shortest paths runs through it (another may
    # run through an address they share, which is just as short).
    paths = page.locator("#paths li").all_inner_texts()
    assert any("RENTS" in path for path in paths), paths
    assert all(url.startswith(server) for url in requests)  # nothing from a CDN
