"""The stewards' page in a real browser: Debian's headless Chromium, driven by playwright, against
the app served by uvicorn on a free port. It loads offline (no request leaves the server), shows
the queue in the server's order with how many are left and how many you did today, the records
side by side and the waterfall; the keyboard takes a steward through the queue, and a decision
takes the candidate out of it."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import httpx
import pytest

from graph_schema.decisions import clear_decisions
from tests.api._browser import chromium, serve, text_of, wait_for, wait_gone, wait_until
from tests.api.conftest import token


@pytest.fixture(scope="module")
def server(city, graph_driver, neo4j_target):
    """The app under uvicorn in a background thread."""
    clear_decisions(graph_driver, neo4j_target.database)
    with serve(neo4j_target) as live:
        yield live
    clear_decisions(graph_driver, neo4j_target.database)


@pytest.fixture(scope="module")
def browser():
    pytest.importorskip("playwright.sync_api")
    with chromium() as browser:
        yield browser


@pytest.fixture
def no_decisions(server, graph_driver, neo4j_target):
    """Tests that count or decide start without decisions and leave none behind (decisions are
    all they write: the graph changes only at the next resolve and publish)."""
    clear_decisions(graph_driver, neo4j_target.database)
    yield
    clear_decisions(graph_driver, neo4j_target.database)


QUEUE = """query($entity: EntityType!) { reviewQueue(entity: $entity, first: 50) {
  totalCount edges { node { id priority leftCluster { id size records { key } }
    rightCluster { id size records { key } } } } } }"""
DECISIONS = "query { decisions(first: 10) { edges { node { kind subject } } } }"
MY_DECISIONS = """query { decisions(first: 10, mine: true) { edges { node {
  id kind subject pairs { decision } } } } }"""


def graphql(server, query: str, **variables) -> dict:
    response = httpx.post(
        f"{server.url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token('steward')}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    payload = response.json()
    assert not payload.get("errors"), payload["errors"]
    return payload["data"]


def open_review(browser, server):
    """The page opened with a steward token, its queue shown; (page, page errors)."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server.url}/review/#token={token('steward')}")
    assert "token=" not in page.url  # the token leaves the address bar for sessionStorage
    wait_for(page, server, "#queue li.current")
    wait_for_status(page, server, "status.ready")  # the history and counts too, as a person waits
    return page, errors


def current(page) -> str:
    return text_of(page, "#candidate-id")


def wait_current_is_not(page, server, candidate: str) -> None:
    wait_until(
        page, server, "id => document.getElementById('candidate-id').textContent !== id", candidate
    )


def wait_for_status(page, server, key: str) -> str:
    """Wait until the status line shows the message ``key`` (in whichever language); its text."""
    wait_until(page, server, "k => document.getElementById('status').dataset.key === k", key)
    return text_of(page, "#status")


def count(page, selector: str) -> int:
    return int(page.get_attribute(selector, "data-count"))


def test_the_page_is_served_by_the_app(server):
    page = httpx.get(f"{server.url}/review/")
    assert page.status_code == 200 and 'id="queue"' in page.text
    assert httpx.get(f"{server.url}/review", follow_redirects=True).url.path == "/review/"
    assert httpx.get(f"{server.url}/review/review.js").status_code == 200
    assert httpx.get(f"{server.url}/static/i18n.js").status_code == 200
    assert "https://" not in page.text  # nothing fetched from elsewhere


def test_the_queue_in_order_with_what_is_left_and_done_today(server, browser, no_decisions):
    page, errors = open_review(browser, server)
    queue = graphql(server, QUEUE, entity="PERSON")["reviewQueue"]
    expected = [edge["node"]["id"] for edge in queue["edges"]]
    shown = page.eval_on_selector_all("#queue li", "ls => ls.map(l => l.dataset.id)")
    assert shown == expected and len(shown) >= 3  # the server's order, highest priority first
    priorities = [float(p) for p in page.eval_on_selector_all(
        "#queue li", "ls => ls.map(l => l.dataset.priority)")]  # fmt: skip
    assert priorities == sorted(priorities, reverse=True)
    assert current(page) == expected[0]

    left = queue["totalCount"]
    wait_until(page, server, "() => document.getElementById('done-today').dataset.count !== ''")
    assert count(page, "#left-count") == left and count(page, "#done-today") == 0
    assert text_of(page, "#left-count") == f"待复核 {left:,} 条"  # written the Chinese way
    assert text_of(page, "#done-today") == "今日已完成 0 条"

    # the keyboard: j / ↓ next, k / ↑ back, m match; the next candidate comes up by itself
    page.keyboard.press("j")
    assert current(page) == expected[1]
    page.keyboard.press("ArrowDown")
    assert current(page) == expected[2]
    page.keyboard.press("k")
    page.keyboard.press("ArrowUp")
    assert current(page) == expected[0]
    page.keyboard.press("m")
    wait_gone(page, server, f'#queue li[data-id="{expected[0]}"]')
    wait_until(page, server, "() => document.getElementById('done-today').dataset.count === '1'")
    after = graphql(server, QUEUE, entity="PERSON")["reviewQueue"]["totalCount"]
    assert after < left and count(page, "#left-count") == after
    assert text_of(page, "#done-today") == "今日已完成 1 条"
    assert current(page) != expected[0]

    # r goes to the reason (typing there decides nothing), Enter or Esc back to the keys
    second = current(page)
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "reason"
    page.keyboard.press("n")
    page.keyboard.press("Escape")
    assert page.input_value("#reason") == "n"  # typed: no decision was sent
    assert page.get_attribute("#status", "data-key") == "status.decided"
    page.keyboard.press("r")
    page.keyboard.type("两条记录证件号不同")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") != "reason"
    page.keyboard.press("n")
    wait_gone(page, server, f'#queue li[data-id="{second}"]')
    wait_until(page, server, "() => document.getElementById('done-today').dataset.count === '2'")
    when = page.locator("#history li time").first.text_content()
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", when), when
    assert "两条记录证件号不同" in text_of(page, "#history li")
    assert errors == []
    page.close()


def test_a_steward_decides_a_candidate_in_the_browser(server, browser, no_decisions):
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
    page.goto(f"{server.url}/review/#token={token('steward')}")
    wait_for(page, server, "#queue li.current")
    first = current(page)
    assert page.locator(f'#queue li[data-id="{first}"]').count() == 1
    assert page.locator("#records tbody tr").count() >= 3
    assert page.locator("#waterfall svg rect.bar").count() >= 3  # prior, comparisons, total

    page.click("#match")
    wait_gone(page, server, f'#queue li[data-id="{first}"]')
    wait_for(page, server, "#history li")
    assert page.locator("#history li [data-decision=MATCH]").text_content() == "是同一实体"
    assert current(page) != first

    skipped = current(page)
    page.keyboard.press("s")  # skip: the next one is shown, the skipped one stays queued
    wait_current_is_not(page, server, skipped)
    first_after = current(page)
    page.keyboard.press("n")
    wait_gone(page, server, f'#queue li[data-id="{first_after}"]')
    assert page.locator(f'#queue li[data-id="{skipped}"].skipped').count() == 1
    wait_until(page, server, "() => document.querySelectorAll('#history li').length === 2")

    assert outside == [] and errors == []
    page.close()


def test_the_page_reports_a_refused_token(server, browser):
    page = browser.new_page()
    page.goto(f"{server.url}/review/#token={token('department_app')}")
    refused = "() => document.getElementById('status').textContent.includes('may not')"
    wait_until(page, server, refused)
    assert page.locator("#queue li").count() == 0
    page.close()


def shown_entities(page) -> dict[str, list[str]]:
    """The entities panel: entity ID → the record keys it lists (with a checkbox each)."""
    return page.eval_on_selector_all(
        "#clusters .cluster[data-entity]",
        """columns => Object.fromEntries(columns.map(c => [c.dataset.entity,
            [...c.querySelectorAll('input[type=checkbox]')].map(b => b.value)]))""",
    )


def pick_candidate(page, server, kind: str) -> dict | None:
    """Click through the queue until a candidate allows ``kind``; its clusters as the API
    gives them. Every candidate visited must list its entities' records in the panel."""
    data = graphql(server, QUEUE, entity="PERSON")
    by_id = {edge["node"]["id"]: edge["node"] for edge in data["reviewQueue"]["edges"]}
    for candidate_id in page.eval_on_selector_all("#queue li", "ls => ls.map(l => l.dataset.id)"):
        page.click(f'#queue li[data-id="{candidate_id}"]')
        wait_until(
            page, server, "id => document.getElementById('candidate-id').textContent === id",
            candidate_id,
        )  # fmt: skip
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


@pytest.mark.parametrize("kind", ["split", "merge"])
def test_a_steward_splits_or_merges_entities_in_the_browser(server, browser, no_decisions, kind):
    page, errors = open_review(browser, server)
    assert page.text_content("#entities h3") == "当前所属实体"

    node = pick_candidate(page, server, kind)
    if node is None:
        pytest.skip(f"no candidate in the queue allows a {kind}")
    left, right = node["leftCluster"], node["rightCluster"]

    if kind == "split":
        entity = left if left and left["size"] >= 2 else right
        column = page.locator(f'#clusters .cluster[data-entity="{entity["id"]}"]')
        boxes = column.locator("input[type=checkbox]")
        page.click("#split")  # nothing checked yet
        assert wait_for_status(page, server, "status.checkFirst") == "请先勾选要拆出的记录"
        if entity["size"] == len(entity["records"]):  # every record checked: nothing would stay
            for i in range(boxes.count()):
                boxes.nth(i).check()
            page.click("#split")
            wait_for_status(page, server, "status.keepOne")
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

    recorded = wait_for_status(page, server, f"status.{kind}Recorded")
    assert re.fullmatch(r"已记录(拆分|合并)（D-[\w-]+）", recorded), recorded
    wait_for(page, server, f'#history li[data-kind="{kind}"]')
    assert {"split": "拆分", "merge": "合并"}[kind] in text_of(
        page, f'#history li[data-kind="{kind}"]'
    )
    if kind == "merge":  # a merge settles the candidate between the two entities
        wait_gone(page, server, f'#queue li[data-id="{node["id"]}"]')

    decided = graphql(server, DECISIONS)["decisions"]["edges"]
    assert {"kind": kind, "subject": subject} in [edge["node"] for edge in decided]
    assert errors == []
    page.close()


def test_a_steward_reverses_a_candidate_decision_in_the_browser(server, browser, no_decisions):
    page, errors = open_review(browser, server)
    subject = current(page)

    page.click("#match")
    decided = wait_for_status(page, server, "status.decided")
    assert decided.startswith(f"已记录“是同一实体”：{subject}（D-")
    entries = page.locator(f'#history li[data-subject="{subject}"]')
    assert entries.count() == 1
    page.get_by_role("button", name=f"撤销 是同一实体：{subject}").click()

    reversed_ = wait_for_status(page, server, "status.reversed")
    assert reversed_.startswith("已撤销：改记为“不是同一实体”（D-")
    wait_until(
        page, server,
        "s => document.querySelectorAll(`#history li[data-subject='${s}']`).length === 2",
        subject,
    )  # fmt: skip
    newest, older = entries.nth(0), entries.nth(1)
    assert page.locator("#history li").first.get_attribute("data-subject") == subject
    assert newest.locator("[data-decision=NOT_A_MATCH]").count() == 1
    assert newest.locator("button[data-reverses=NOT_A_MATCH]").count() == 1
    assert older.locator("[data-decision=MATCH]").count() == 1
    assert older.locator("button").count() == 0
    assert older.locator(".superseded").text_content() == "已被取代"
    assert page.locator(f'#queue li[data-id="{subject}"]').count() == 0  # still settled

    decided = [edge["node"] for edge in graphql(server, MY_DECISIONS)["decisions"]["edges"]]
    on_subject = [d for d in decided if d["kind"] == "candidate" and d["subject"] == subject]
    assert [d["pairs"][0]["decision"] for d in on_subject] == ["NOT_A_MATCH", "MATCH"]
    assert text_of(page, "#status").endswith(f"（{on_subject[0]['id']}）")
    assert errors == []
    page.close()
