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


CLUSTERS = """query($entity: EntityType!) { reviewQueue(entity: $entity, first: 50) {
  edges { node { id leftCluster { id size records { key } }
    rightCluster { id size records { key } } } } } }"""
DECISIONS = "query { decisions(first: 10) { edges { node { kind subject } } } }"


def graphql(server: str, query: str, **variables) -> dict:
    response = httpx.post(
        f"{server}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token('steward')}"},
    )
    assert response.status_code == 200, response.text
    payload = response.json()
    assert not payload.get("errors"), payload["errors"]
    return payload["data"]


@pytest.fixture
def no_decisions(server, graph_driver, neo4j_target):
    """Split and merge tests start without decisions and leave none behind (decisions are all
    they write: the graph changes only at the next resolve and publish)."""
    clear_decisions(graph_driver, neo4j_target.database)
    yield
    clear_decisions(graph_driver, neo4j_target.database)


def shown_entities(page) -> dict[str, list[str]]:
    """The "Entities now" panel: entity ID → the record keys it lists (with a checkbox each)."""
    return page.eval_on_selector_all(
        "#clusters .cluster[data-entity]",
        """columns => Object.fromEntries(columns.map(c => [c.dataset.entity,
            [...c.querySelectorAll('input[type=checkbox]')].map(b => b.value)]))""",
    )


def pick_candidate(page, server: str, kind: str) -> dict | None:
    """Click through the queue until a candidate allows ``kind``; its clusters as the API
    gives them. Every candidate visited must list its entities' records in the panel."""
    data = graphql(server, CLUSTERS, entity="PERSON")
    by_id = {edge["node"]["id"]: edge["node"] for edge in data["reviewQueue"]["edges"]}
    for candidate_id in page.eval_on_selector_all("#queue li", "ls => ls.map(l => l.dataset.id)"):
        page.click(f'#queue li[data-id="{candidate_id}"]')
        page.wait_for_function(
            "id => document.getElementById('candidate-id').textContent === id", arg=candidate_id
        )
        node = by_id[candidate_id]
        clusters = {c["id"]: c for c in (node["leftCluster"], node["rightCluster"]) if c}
        expected = {i: [r["key"] for r in c["records"]] for i, c in clusters.items()}
        assert shown_entities(page) == expected  # the same entity once, when both are in it
        merge_enabled = page.is_enabled("#merge")
        assert merge_enabled == (len(clusters) == 2)
        if kind == "merge" and merge_enabled:
            return node
        if kind == "split" and any(c["size"] >= 2 for c in clusters.values()):
            return node
    return None


def wait_for_status(page, text: str) -> None:
    page.wait_for_function(
        "text => document.getElementById('status').textContent.includes(text)", arg=text
    )


@pytest.mark.parametrize("kind", ["split", "merge"])
def test_a_steward_splits_or_merges_entities_in_the_browser(server, browser, no_decisions, kind):
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server}/review/#token={token('steward')}")
    page.wait_for_selector("#queue li.current")
    assert page.text_content("#entities h3") == "Entities now"

    node = pick_candidate(page, server, kind)
    if node is None:
        pytest.skip(f"no candidate in the queue allows a {kind}")
    left, right = node["leftCluster"], node["rightCluster"]

    if kind == "split":
        entity = left if left and left["size"] >= 2 else right
        column = page.locator(f'#clusters .cluster[data-entity="{entity["id"]}"]')
        boxes = column.locator("input[type=checkbox]")
        page.click("#split")  # nothing checked yet
        wait_for_status(page, "check the records")
        if entity["size"] == len(entity["records"]):  # every record checked: nothing would stay
            for i in range(boxes.count()):
                boxes.nth(i).check()
            page.click("#split")
            wait_for_status(page, "at least one record")
            for i in range(1, boxes.count()):
                boxes.nth(i).uncheck()
        else:
            boxes.first.check()
        assert boxes.first.is_checked()
        subject = entity["id"]
        page.click("#split")
    else:
        assert page.input_value("#keep") == left["id"]  # keeps the left entity by default
        subject = f"{left['id']}+{right['id']}"
        page.click("#merge")

    wait_for_status(page, f"{kind} recorded (D-")
    page.wait_for_selector(f'#history li[data-kind="{kind}"]')
    assert kind in page.text_content(f'#history li[data-kind="{kind}"]')
    if kind == "merge":  # a merge settles the candidate between the two entities
        page.wait_for_selector(f'#queue li[data-id="{node["id"]}"]', state="detached")

    decided = graphql(server, DECISIONS)["decisions"]["edges"]
    assert {"kind": kind, "subject": subject} in [edge["node"] for edge in decided]
    assert errors == []
    page.close()


MY_DECISIONS = """query { decisions(first: 10, mine: true) { edges { node {
  id kind subject pairs { decision } } } } }"""


def test_a_steward_reverses_a_candidate_decision_in_the_browser(server, browser, no_decisions):
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server}/review/#token={token('steward')}")
    page.wait_for_selector("#queue li.current")
    subject = page.text_content("#candidate-id")

    page.click("#match")
    wait_for_status(page, f"MATCH recorded for {subject}")
    entries = page.locator(f'#history li[data-subject="{subject}"]')
    assert entries.count() == 1
    page.get_by_role("button", name=f"Reverse MATCH on {subject}").click()

    wait_for_status(page, "reversed: NOT_A_MATCH recorded (D-")
    page.wait_for_function(
        "s => document.querySelectorAll(`#history li[data-subject='${s}']`).length === 2",
        arg=subject,
    )
    newest, older = entries.nth(0), entries.nth(1)
    assert page.locator("#history li").first.get_attribute("data-subject") == subject
    assert newest.locator("span.NOT_A_MATCH").count() == 1
    assert newest.get_by_role("button", name=f"Reverse NOT_A_MATCH on {subject}").count() == 1
    assert older.locator("span.MATCH").count() == 1
    assert older.locator("button").count() == 0
    assert older.locator(".superseded").text_content() == "superseded"
    assert page.locator(f'#queue li[data-id="{subject}"]').count() == 0  # still settled

    decided = [edge["node"] for edge in graphql(server, MY_DECISIONS)["decisions"]["edges"]]
    on_subject = [d for d in decided if d["kind"] == "candidate" and d["subject"] == subject]
    assert [d["pairs"][0]["decision"] for d in on_subject] == ["NOT_A_MATCH", "MATCH"]
    assert page.text_content("#status").endswith(f"({on_subject[0]['id']})")
    assert errors == []
    page.close()
