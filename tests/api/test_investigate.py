"""The investigators' queries against the published city: they find the planted patterns
(``patterns.json``), hold their caps, stay in the jurisdiction and refuse other roles."""

from __future__ import annotations

import json

import pytest

from api import investigate
from tests.api import _truth
from tests.api.conftest import token

INVESTIGATOR = token("investigator")

SHARED = """query($kind: IdentifierKind!, $min: Int!) {
  sharedIdentifiers(kind: $kind, minEntities: $min, first: 100) {
    totalCount truncated items { value label entityCount entities { id kind } } } }"""
NEIGHBORHOOD = """query($id: ID!, $depth: Int!, $first: Int, $types: [String!], $after: String) {
  neighborhood(id: $id, depth: $depth, first: $first, relationTypes: $types, after: $after) {
    truncated totalCount endCursor center { id kind }
    nodes { id kind label properties } edges { source target type sources } } }"""
CONNECTIONS = """query($a: ID!, $b: ID!) { connections(fromId: $a, toId: $b, maxHops: 4) {
  truncated paths { length nodes { node { id kind } lineage }
                    steps { source target type sources } } } }"""
TIMELINE = """query($id: ID!) { timeline(id: $id) { truncated entity { id }
  entries { kind id date type department source recordId role } } }"""


@pytest.fixture(scope="module")
def patterns(city) -> dict:
    return json.loads((city.out / "patterns.json").read_text(encoding="utf-8"))


def goldens(city, true_ids) -> set[str]:
    return {city.golden_of_true[t] for t in true_ids if t in city.golden_of_true}


def errors(api, query: str, auth: str, **variables) -> list[dict]:
    response = api.post(query, auth=auth, variables=variables)
    assert response.status_code == 200, response.text
    return response.json().get("errors") or []


def shared(api, kind: str, minimum: int, auth: str = INVESTIGATOR) -> dict[str, dict]:
    data = api.query(SHARED, auth, kind=kind, min=minimum)["sharedIdentifiers"]
    return {item["value"]: item for item in data["items"]}


def test_the_shared_phone_is_found_with_its_people(api, city, patterns):
    planted = patterns["shared_phones"][0]
    people = goldens(city, planted["persons"])
    assert len(people) == len(planted["persons"])  # unrelated people stay apart
    found = shared(api, "PHONE", 4)
    assert planted["phone"] in found
    entities = {e["id"] for e in found[planted["phone"]]["entities"]}
    assert people <= entities
    assert all(item["entityCount"] >= 4 for item in found.values())


def test_the_address_with_many_enterprises_is_found(api, city, patterns):
    planted = patterns["crowded_addresses"][0]
    found = shared(api, "ADDRESS_POINT", 4)
    assert planted["point_key"] in found
    entities = {e["id"] for e in found[planted["point_key"]]["entities"]}
    assert goldens(city, planted["enterprises"]) <= entities
    assert {e["kind"] for e in found[planted["point_key"]]["entities"]} == {"Enterprise"}


def test_the_overcrowded_unit_is_found_with_its_tenants(api, city, patterns):
    planted = patterns["overcrowded_units"][0]
    unit = city.golden_of_true[planted["unit"]]
    found = shared(api, "RENTAL_UNIT", 8)
    assert next(iter(found)) == unit  # the most crowded first
    tenants = {e["id"] for e in found[unit]["entities"]}
    assert goldens(city, planted["tenants"]) <= tenants


def test_a_path_links_two_people_through_their_shared_unit(api, city, patterns, graph_driver):
    planted = patterns["overcrowded_units"][0]
    unit = city.golden_of_true[planted["unit"]]
    tenants = [city.golden_of_true[t] for t in planted["tenants"]]
    first, second = _truth.unrelated_pair(graph_driver, tenants)
    data = api.query(CONNECTIONS, INVESTIGATOR, a=first, b=second)["connections"]
    through_unit = [
        p for p in data["paths"] if [n["node"]["id"] for n in p["nodes"]] == [first, unit, second]
    ]
    assert through_unit and all(p["length"] == 2 for p in data["paths"])
    steps = through_unit[0]["steps"]
    assert [s["type"] for s in steps] == ["RENTS", "RENTS"]
    assert all(s["sources"] and s["sources"][0].startswith("rental/") for s in steps)
    assert all(n["lineage"] for n in through_unit[0]["nodes"])


@pytest.fixture
def detour(graph_driver):
    """Five people: a and b are linked in two hops through x (another district) and in three
    through c and d (all in 测试区)."""
    graph_driver.execute_query(
        """
        CREATE (a:Person {id: 'P-zz-a', name: '甲', district: '测试区'}),
               (b:Person {id: 'P-zz-b', name: '乙', district: '测试区'}),
               (c:Person {id: 'P-zz-c', name: '丙', district: '测试区'}),
               (d:Person {id: 'P-zz-d', name: '丁', district: '测试区'}),
               (x:Person {id: 'P-zz-x', name: '戊', district: '别的区'}),
               (a)-[:SPOUSE_OF]->(x), (x)-[:SPOUSE_OF]->(b),
               (a)-[:PARENT_OF]->(c), (c)-[:PARENT_OF]->(d), (d)-[:PARENT_OF]->(b)
        """
    )
    try:
        yield
    finally:
        graph_driver.execute_query(
            "MATCH (p:Person) WHERE p.id STARTS WITH 'P-zz-' DETACH DELETE p"
        )


def test_a_scoped_investigator_gets_the_path_inside_their_jurisdiction(api, detour):
    def paths(auth: str) -> list[list[str]]:
        found = api.query(CONNECTIONS, auth, a="P-zz-a", b="P-zz-b")["connections"]["paths"]
        return [[n["node"]["id"] for n in p["nodes"]] for p in found]

    assert paths(INVESTIGATOR) == [["P-zz-a", "P-zz-x", "P-zz-b"]]
    local = token("investigator", district="测试区")
    assert paths(local) == [["P-zz-a", "P-zz-c", "P-zz-d", "P-zz-b"]]
    elsewhere = api.post(
        CONNECTIONS,
        auth=token("investigator", district="别的区"),
        variables={"a": "P-zz-a", "b": "P-zz-b"},
    ).json()
    assert "outside your jurisdiction" in elsewhere["errors"][0]["message"]


def test_neighborhood_draws_the_unit_and_grows_with_depth(api, city, patterns):
    planted = patterns["overcrowded_units"][0]
    unit = city.golden_of_true[planted["unit"]]
    near = api.query(NEIGHBORHOOD, INVESTIGATOR, id=unit, depth=1)["neighborhood"]
    assert near["center"] == {"id": unit, "kind": "RentalUnit"}
    ids = {n["id"] for n in near["nodes"]}
    assert goldens(city, planted["tenants"]) <= ids
    assert "AddressPoint" in {n["kind"] for n in near["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in near["edges"])
    assert not near["truncated"]
    far = api.query(NEIGHBORHOOD, INVESTIGATOR, id=unit, depth=2, first=500)["neighborhood"]
    assert ids < {n["id"] for n in far["nodes"]}
    only_rents = api.query(NEIGHBORHOOD, INVESTIGATOR, id=unit, depth=1, types=["RENTS"])
    assert {e["type"] for e in only_rents["neighborhood"]["edges"]} == {"RENTS"}


def test_caps_hold_on_a_high_degree_node(api, city, patterns, monkeypatch):
    unit = city.golden_of_true[patterns["overcrowded_units"][0]["unit"]]
    paged = api.query(NEIGHBORHOOD, INVESTIGATOR, id=unit, depth=1, first=4)["neighborhood"]
    assert paged["truncated"] and len(paged["nodes"]) == 4 and paged["endCursor"]
    after = paged["endCursor"]
    following = api.query(NEIGHBORHOOD, INVESTIGATOR, id=unit, depth=1, first=4, after=after)
    nodes = following["neighborhood"]["nodes"]
    assert nodes and not {n["id"] for n in nodes} & {n["id"] for n in paged["nodes"]}
    monkeypatch.setattr(investigate, "NEIGHBOURS_PER_NODE", 5)
    capped = api.query(NEIGHBORHOOD, INVESTIGATOR, id=unit, depth=2, first=500)["neighborhood"]
    assert capped["truncated"]
    assert len(capped["nodes"]) <= 1 + 5 + 5 * 5
    too_deep = errors(api, NEIGHBORHOOD, INVESTIGATOR, id=unit, depth=4)
    assert too_deep[0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad_type = errors(api, NEIGHBORHOOD, INVESTIGATOR, id=unit, depth=1, types=["RESOLVES_TO"])
    assert bad_type[0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_timeline_lists_events_and_registrations_by_date(api, city):
    cited = _truth.citations(city)
    vendor = max((t for t in cited if t in city.golden_of_true), key=lambda t: (len(cited[t]), t))
    golden = city.golden_of_true[vendor]
    data = api.query(TIMELINE, INVESTIGATOR, id=golden)["timeline"]
    kinds = {e["kind"] for e in data["entries"]}
    assert kinds == {"EVENT", "REGISTRATION"}
    violations = [e for e in data["entries"] if e["type"] == "Violation"]
    assert len(violations) >= len(cited[vendor]) // 2
    dated = [e["date"] for e in data["entries"] if e["date"]]
    assert dated == sorted(dated)
    assert len({e["department"] for e in data["entries"] if e["department"]}) >= 2


def test_jurisdiction_holds(api, city, patterns, graph_driver):
    unit = city.golden_of_true[patterns["overcrowded_units"][0]["unit"]]
    records, _, _ = graph_driver.execute_query(
        "MATCH (u:RentalUnit {id: $id}) RETURN u.district AS district", id=unit
    )
    home = records[0]["district"]
    other = "越秀区" if home != "越秀区" else "天河区"
    outside = token("investigator", district=other)
    hidden = errors(api, NEIGHBORHOOD, outside, id=unit, depth=1)
    assert hidden[0]["extensions"]["code"] == "NOT_FOUND"
    inside = token("investigator", district=home)
    hood = api.query(NEIGHBORHOOD, inside, id=unit, depth=2, first=500)["neighborhood"]
    golden = [n for n in hood["nodes"] if n["kind"] != "Event"]
    assert golden and all(n["properties"].get("district") == home for n in golden)
    # The planted shared phone, seen from each district: only the sharers living there.
    planted = patterns["shared_phones"][0]
    rows, _, _ = graph_driver.execute_query(
        "MATCH (p:Person) WHERE p.id IN $ids RETURN p.id AS id, p.district AS d",
        ids=sorted(goldens(city, planted["persons"])),
    )
    sharers_in: dict[str, set[str]] = {}
    for row in rows:
        if row["d"]:
            sharers_in.setdefault(row["d"], set()).add(row["id"])
    assert max(len(ids) for ids in sharers_in.values()) >= 2, sharers_in
    for district in ("越秀区", "天河区", "海珠区", *sharers_in):
        found = shared(api, "PHONE", 2, token("investigator", district=district))
        expected = sharers_in.get(district, set())
        if len(expected) >= 2:
            assert {e["id"] for e in found[planted["phone"]]["entities"]} == expected
        else:
            assert planted["phone"] not in found, district
        for item in found.values():
            ids = [e["id"] for e in item["entities"]]
            rows, _, _ = graph_driver.execute_query(
                "MATCH (g) WHERE g.id IN $ids RETURN DISTINCT g.district AS d", ids=ids
            )
            assert {r["d"] for r in rows} == {district}


@pytest.mark.parametrize("role", ["department_app", "steward"])
def test_other_roles_are_refused(api, city, patterns, role):
    unit = city.golden_of_true[patterns["overcrowded_units"][0]["unit"]]
    for query, variables in (
        (NEIGHBORHOOD, {"id": unit, "depth": 1}),
        (SHARED, {"kind": "PHONE", "min": 2}),
        (TIMELINE, {"id": unit}),
    ):
        found = errors(api, query, token(role), **variables)
        assert found and found[0]["extensions"]["code"] == "FORBIDDEN"


def test_every_call_is_audited_with_its_arguments(api, city, patterns, audit_stream):
    unit = city.golden_of_true[patterns["overcrowded_units"][0]["unit"]]
    api.query(NEIGHBORHOOD, INVESTIGATOR, id=unit, depth=2, first=7)
    lines = [json.loads(line) for line in audit_stream.getvalue().splitlines() if line]
    audited = [line for line in lines if "neighborhood" in line.get("arguments", {})]
    assert audited[-1]["arguments"]["neighborhood"]["depth"] == 2
    assert audited[-1]["arguments"]["neighborhood"]["id"] == unit
    assert audited[-1]["role"] == "investigator"


def test_a_tenancy_is_dated_in_the_timeline(api, city, patterns):
    tenant = city.golden_of_true[patterns["overcrowded_units"][0]["tenants"][0]]
    entries = api.query(TIMELINE, INVESTIGATOR, id=tenant)["timeline"]["entries"]
    rentals = [e for e in entries if e["kind"] == "REGISTRATION" and e["source"] == "rental"]
    assert rentals and any(e["date"] and e["date"] >= "2023-01-01" for e in rentals)
