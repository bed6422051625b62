"""The /explore page in real headless Chromium against the app served by uvicorn: search (name,
ID number, phone, address), pick an entity, expand a node by clicking it, inspect its source
records, find the path through a shared unit, open the view from a link, export it as PNG."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest

from tests.api import _truth
from tests.api._browser import chromium, png_stats, serve, text_of, wait_for, wait_until
from tests.api.conftest import token


@pytest.fixture(scope="module")
def server(city, neo4j_target):
    with serve(neo4j_target) as live:
        yield live


@pytest.fixture(scope="module")
def browser():
    pytest.importorskip("playwright.sync_api")
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    page.close()


@pytest.fixture(scope="module")
def planted(city, graph_driver) -> dict:
    """What the generator planted for investigators, with golden IDs for its true IDs; the
    first two tenants are not related otherwise (a parent and child sharing the room are one
    hop apart, not two through the unit)."""
    patterns = json.loads((city.out / "patterns.json").read_text(encoding="utf-8"))
    golden = city.golden_of_true
    unit = patterns["overcrowded_units"][0]
    phone = patterns["shared_phones"][0]
    tenants = list(dict.fromkeys(golden[t] for t in unit["tenants"]))
    first, second = _truth.unrelated_pair(graph_driver, tenants)
    tenants = [first, second] + [t for t in tenants if t not in (first, second)]
    return {
        "tenants": tenants,
        "unit": golden[unit["unit"]],
        "unit_address": unit["address"],
        "phone": phone["phone"],
        "phone_persons": {golden[p] for p in phone["persons"]},
    }


def has_node(page, server, node_id: str) -> None:
    wait_until(page, server, "id => window.explorer.getElementById(id).length > 0", node_id)


def node_count(page) -> int:
    return page.evaluate("window.explorer.nodes().length")


def click_node(page, node_id: str) -> None:
    """Click a node where cytoscape drew it."""
    box = page.locator("#graph").bounding_box()
    assert box is not None
    position = page.evaluate(
        "(id) => window.explorer.getElementById(id).renderedPosition()", node_id
    )
    page.mouse.click(box["x"] + position["x"], box["y"] + position["y"])


def link_params(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).fragment)


def search(page, server, text: str) -> list[str]:
    """Search as a person types it (the kind detected); the IDs listed."""
    page.fill("#search", text)
    page.click("#search-button")
    wait_until(page, server, "() => document.getElementById('results').dataset.done === 'true'")
    return page.eval_on_selector_all("#results li", "ls => ls.map(l => l.dataset.id)")


def golden_records(api_query, kind: str, golden_id: str) -> dict:
    root = {"Person": "person", "Enterprise": "enterprise", "RentalUnit": "rentalUnit"}[kind]
    data = api_query(
        f"""query($id: ID!) {{ {root}(id: $id) {{ ... on {kind} {{ name idNumber phone
            sourceRecords(first: 50) {{ totalCount edges {{ node {{ key }} }} }} }} }} }}""",
        id=golden_id,
    )
    return data[root]


def test_library_is_served_locally(server, page):
    response = page.request.get(f"{server.url}/explore/cytoscape.min.js")
    assert response.ok and "cytoscape" in response.text()[:2000]
    assert page.request.get(f"{server.url}/explore/nothing.js").status == 404
    assert page.request.get(f"{server.url}/explore/").ok  # links end in a slash


def test_search_pick_expand_and_find_a_path(server, page, planted, graph_driver):
    first, second = planted["tenants"][:2]
    unit = planted["unit"]
    records, _, _ = graph_driver.execute_query(
        "MATCH (p:Person {id: $id}) RETURN p.name AS name", id=first
    )
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{server.url}/explore/#token={token('investigator')}")
    assert first in search(page, server, records[0]["name"])
    assert text_of(page, "#search-kind-shown") == "按姓名 / 名称搜索"
    page.click(f'#results li[data-id="{first}"]')
    has_node(page, server, unit)
    assert page.locator("#attributes tr").count() > 3
    wait_for(page, server, "#timeline tr")
    assert link_params(page) == {"id": [first]}  # the address bar is a link to the view
    before = node_count(page)
    tenants = set(planted["tenants"])
    shown = "id => window.explorer.getElementById(id).length > 0"
    unseen = {t for t in tenants if not page.evaluate(shown, t)}

    click_node(page, unit)  # expand the unit: its other tenants appear
    wait_until(page, server, "id => window.explorer.getElementById(id).hasClass('expanded')", unit)
    for tenant in tenants:
        has_node(page, server, tenant)
    if unseen:
        assert node_count(page) > before
    assert link_params(page) == {"id": [unit]}

    click_node(page, first)
    wait_until(page, server, "id => document.getElementById('panel').dataset.id === id", first)
    page.click("#path-from-here")
    click_node(page, second)
    wait_until(page, server, "id => document.getElementById('panel').dataset.id === id", second)
    page.click("#path-to-here")
    page.click("#find-path")
    wait_until(page, server, "() => document.getElementById('paths').dataset.done === 'true'")
    # Both tenants of the crowded unit: one of the shortest paths runs through it (another may
    # run through an address they share, which is just as short).
    kinds = page.eval_on_selector_all("#paths li", "ls => ls.map(l => l.dataset.types)")
    assert any("RENTS" in k for k in kinds), kinds
    assert "租住" in " ".join(page.locator("#paths li").all_inner_texts())
    assert link_params(page)["from"] == [first] and link_params(page)["to"] == [second]
    assert all(url.startswith(server.url) for url in requests)  # nothing from a CDN
    assert page.errors == []


def test_a_link_opens_an_entity_with_its_source_records(server, page, planted, api):
    person = planted["tenants"][0]
    page.goto(f"{server.url}/explore/#token={token('investigator')}&id={person}")
    has_node(page, server, person)
    has_node(page, server, planted["unit"])  # its neighbours came with it
    assert link_params(page) == {"id": [person]}  # the token left the address bar
    wait_for(page, server, "#records tr[data-key]")
    truth = golden_records(api.query, "Person", person)["sourceRecords"]
    shown = page.eval_on_selector_all("#records tr[data-key]", "rs => rs.map(r => r.dataset.key)")
    assert shown == [edge["node"]["key"] for edge in truth["edges"]]
    assert page.get_attribute("#records", "data-total") == str(truth["totalCount"])
    assert text_of(page, "#source-records h3") == f"来源记录（{truth['totalCount']} 条）"

    # the same tab, a link with both ends of a path: the paths between them
    first, second = planted["tenants"][:2]
    page.goto(f"{server.url}/explore/#from={first}&to={second}")
    wait_until(page, server, "() => document.getElementById('paths').dataset.done === 'true'")
    assert page.locator("#paths li").count() >= 1
    has_node(page, server, first)
    has_node(page, server, second)
    assert page.get_attribute("#path-from", "data-id") == first
    assert link_params(page) == {"from": [first], "to": [second]}
    assert page.errors == []


def test_search_by_phone_id_number_and_address(server, page, planted, api):
    page.goto(f"{server.url}/explore/#token={token('investigator')}")
    phone = planted["phone"]
    written = f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}"  # as a clerk may write it
    found = search(page, server, written)
    assert page.get_attribute("#search-kind-shown", "data-kind") == "phone"
    assert planted["phone_persons"] <= set(found)

    person = planted["tenants"][0]
    id_number = golden_records(api.query, "Person", person)["idNumber"]
    assert id_number
    assert search(page, server, id_number)[0] == person
    assert page.get_attribute("#search-kind-shown", "data-kind") == "idNumber"

    found = search(page, server, planted["unit_address"])
    assert page.get_attribute("#search-kind-shown", "data-kind") == "address"
    point = page.locator('#results > li[data-kind="AddressPoint"]').first
    assert planted["unit"] in point.locator("li").evaluate_all("ls => ls.map(l => l.dataset.id)")
    point_key = point.get_attribute("data-id")
    page.click(f'#results > li[data-id="{point_key}"] > span')
    has_node(page, server, point_key)
    has_node(page, server, planted["unit"])  # the point's units come with it
    assert page.errors == []


def test_the_view_is_exported_as_png(server, page, browser, planted):
    person = planted["tenants"][0]
    page.goto(f"{server.url}/explore/#token={token('investigator')}&id={person}")
    has_node(page, server, planted["unit"])
    with page.expect_download() as download:
        page.click("#export-png")
    saved = download.value
    assert saved.suggested_filename.startswith(f"huitong-{person}-")
    assert saved.suggested_filename.endswith(".png")
    data = open(saved.path(), "rb").read()  # noqa: SIM115 - a temporary download
    stats = png_stats(browser, data)
    assert stats["width"] >= 200 and stats["height"] >= 200, stats
    assert stats["drawn"] > 0.01, stats  # nodes and edges, not a blank picture
    assert page.get_attribute("#status", "data-key") == "export.done"
    assert page.errors == []
