"""Role × jurisdiction matrix: no token ever sees a record outside its jurisdiction.

Each token walks the graph through every path the schema offers (addresses, relations, events
and their participants, searches, the report's questions) and every golden record in the
answers is checked against the token's district, street and community.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.api import _truth
from tests.api.conftest import token

ENTITY = "__typename id district street community"
WALK = f"""
query($text: String!) {{
  address(text: $text, first: 5) {{ points {{ edges {{ node {{
    key district inJurisdiction
    registeredPersons(first: 8) {{ edges {{ node {{ {ENTITY}
      spouses(first: 3) {{ edges {{ node {{ {ENTITY} }} }} }}
      parents(first: 3) {{ edges {{ node {{ {ENTITY} }} }} }}
      children(first: 3) {{ edges {{ node {{ {ENTITY} }} }} }}
      rents(first: 3) {{ edges {{ node {{ {ENTITY}
        tenants(first: 5) {{ edges {{ node {{ {ENTITY} }} }} }}
        landlords(first: 3) {{ edges {{ node {{ {ENTITY} }} }} }} }} }} }}
      employedBy(first: 2) {{ edges {{ node {{ {ENTITY}
        legalRepresentatives(first: 3) {{ edges {{ node {{ {ENTITY} }} }} }} }} }} }}
      events(first: 5) {{ edges {{ node {{ participants {{ entity {{ ... on Person {{ {ENTITY} }}
        ... on Enterprise {{ {ENTITY} }} ... on RentalUnit {{ {ENTITY} }} }} }} }} }} }}
    }} }} }}
    registeredEnterprises(first: 5) {{ edges {{ node {{ {ENTITY}
      employees(first: 5) {{ edges {{ node {{ {ENTITY} }} }} }} }} }} }}
    rentalUnits(first: 5) {{ edges {{ node {{ {ENTITY}
      tenants(first: 5) {{ edges {{ node {{ {ENTITY} }} }} }} }} }} }}
    events(first: 10) {{ edges {{ node {{ participants {{ entity {{
      ... on Person {{ {ENTITY} }} ... on Enterprise {{ {ENTITY} }} }} }} }} }} }}
  }} }} }} }}
}}
"""


def entities(value: Any) -> list[dict]:
    """Every golden record (by ``__typename``) anywhere in a response."""
    found = []
    if isinstance(value, dict):
        if value.get("__typename") in ("Person", "Enterprise", "RentalUnit"):
            found.append(value)
        for child in value.values():
            found += entities(child)
    elif isinstance(value, list):
        for child in value:
            found += entities(child)
    return found


@pytest.fixture(scope="module")
def jurisdictions(city, graph_driver) -> _truth.Jurisdictions:
    return _truth.Jurisdictions(city.world, graph_driver)


def assert_inside(jurisdictions, records: list[dict], claims: dict[str, str]) -> None:
    """Every record lies in the jurisdiction, by the README's rule on the true geography."""
    for record in records:
        why = jurisdictions.outside(record, claims)
        assert why is None, (why, claims, record)


@pytest.fixture(scope="module")
def places(city, graph_driver):
    """Two districts, a street and a community of the first, and sample address points."""
    rows, _, _ = graph_driver.execute_query(
        "MATCH (p:Person) WHERE p.community IS NOT NULL AND p.street IS NOT NULL "
        "RETURN p.district AS d, p.street AS s, p.community AS c"
    )
    districts = Counter(r["d"] for r in rows).most_common()
    d1, d2 = districts[0][0], districts[1][0]
    street, community = Counter((r["s"], r["c"]) for r in rows if r["d"] == d1).most_common(1)[0][0]
    points, _, _ = graph_driver.execute_query(
        "MATCH (a:AddressPoint)<-[:REGISTERED_AT]-(:Person) WHERE a.district IN $d "
        "WITH a, count(*) AS n ORDER BY n DESC, a.key RETURN a.key AS key, a.district AS d",
        d=[d1, d2],
    )
    sample = [p["key"] for p in points if p["d"] == d1][:6]
    sample += [p["key"] for p in points if p["d"] == d2][:6]
    return {"d1": d1, "d2": d2, "street": street, "community": community, "points": sample}


def text_of(key: str) -> str:
    road, number, sub = key.split("|")
    return f"{road}{number}号" + (f"之{sub}" if sub else "")


def matrix(places) -> list[tuple[str, dict[str, str]]]:
    d1, d2 = places["d1"], places["d2"]
    return [
        ("admin", {}),
        ("department_app", {"district": d1}),
        ("investigator", {"district": d1}),
        ("steward", {"district": d2}),
        ("department_app", {"district": d1, "street": places["street"]}),
        ("department_app", {"district": d1, "community": places["community"]}),
        (
            "investigator",
            {"district": d1, "street": places["street"], "community": places["community"]},
        ),
    ]


def test_walking_the_graph_never_leaves_the_jurisdiction(api, places, jurisdictions):
    seen_by = {}
    for role, claims in matrix(places):
        auth = token(role, **claims)
        records = []
        for key in places["points"]:
            records += entities(api.query(WALK, auth, text=text_of(key)))
        assert_inside(jurisdictions, records, claims)
        seen_by[(role, tuple(sorted(claims.items())))] = records
    admin = seen_by[("admin", ())]
    assert {r["district"] for r in admin} >= {places["d1"], places["d2"]}
    d1_app = seen_by[("department_app", (("district", places["d1"]),))]
    assert d1_app and len(d1_app) < len(admin)


def test_relations_across_districts_are_cut(api, graph_driver):
    rows, _, _ = graph_driver.execute_query(
        "MATCH (a:Person)-[r:SPOUSE_OF|PARENT_OF]-(b:Person) "
        "WHERE a.district IS NOT NULL AND b.district IS NOT NULL AND b.district <> a.district "
        "RETURN a.id AS a, b.id AS b, a.district AS district ORDER BY a.id, b.id LIMIT 5"
    )
    assert rows, "the city has relatives living in different districts"
    query = f"""query($id: ID!) {{ person(id: $id) {{ __typename ... on Person {{ {ENTITY}
      spouses {{ edges {{ node {{ {ENTITY} }} }} }} parents {{ edges {{ node {{ {ENTITY} }} }} }}
      children {{ edges {{ node {{ {ENTITY} }} }} }} }} }} }}"""
    for row in rows:
        scoped = token("department_app", district=row["district"])
        as_admin = {r["id"] for r in entities(api.query(query, token(), id=row["a"]))}
        as_d1 = {r["id"] for r in entities(api.query(query, scoped, id=row["a"]))}
        assert row["b"] in as_admin
        assert row["a"] in as_d1 and row["b"] not in as_d1
        other = api.query(query, scoped, id=row["b"])["person"]
        assert other["__typename"] == "OutOfJurisdiction"
        assert set(other) == {"__typename"}


def test_event_participants_of_other_districts_are_hidden(api, places, graph_driver, jurisdictions):
    rows, _, _ = graph_driver.execute_query(
        "MATCH (e:Event)-[:AT]->(a:AddressPoint {district: $d1}), (e)-[:INVOLVES]->(p:Person) "
        "WHERE p.district IS NOT NULL AND p.district <> $d1 "
        "RETURN a.key AS key, p.id AS person LIMIT 3",
        d1=places["d1"],
    )
    assert rows, "the city has events in the first district involving someone from elsewhere"
    scoped = token("department_app", district=places["d1"])
    query = f"""query($t: String!) {{ address(text: $t) {{ points {{ edges {{ node {{
      events(first: 100) {{ edges {{ node {{ participants {{ entity {{
        ... on Person {{ {ENTITY} }} }} }} }} }} }} }} }} }} }} }}"""
    for row in rows:
        admin = {r["id"] for r in entities(api.query(query, token(), t=text_of(row["key"])))}
        d1 = entities(api.query(query, scoped, t=text_of(row["key"])))
        assert row["person"] in admin
        assert row["person"] not in {r["id"] for r in d1}
        assert_inside(jurisdictions, d1, {"district": places["d1"]})


def test_search_and_questions_stay_inside(api, places, city, graph_driver, jurisdictions):
    rows, _, _ = graph_driver.execute_query(
        "MATCH (s:SourceRecord)-[:RESOLVES_TO]->(p:Person {district: $d2}) "
        "WHERE s.name IS NOT NULL AND s.id_number IS NOT NULL "
        "RETURN p.id AS id, s.name AS name, s.id_number AS idn LIMIT 5",
        d2=places["d2"],
    )
    assert len(rows) == 5
    scoped = token("department_app", district=places["d1"])
    search = f"""query($n: String, $i: String) {{ searchPeople(name: $n, idNumber: $i,
      first: 100) {{ totalCount edges {{ node {{ {ENTITY} }} }} }} }}"""
    for row in rows:
        admin = entities(api.query(search, token(), n=row["name"]))
        assert row["id"] in {r["id"] for r in admin}
        found = api.query(search, scoped, n=row["name"])["searchPeople"]
        assert row["id"] not in {r["id"] for r in entities(found)}
        assert found["totalCount"] == len(found["edges"]) or found["totalCount"] > 100
        assert_inside(jurisdictions, entities(found), {"district": places["d1"]})
        by_id = api.query(search, scoped, i=row["idn"])["searchPeople"]
        assert by_id["totalCount"] == 0

    questions = f"""query($c: String!, $s: String!, $a: String!) {{
      marriedWomenOfChildbearingAge(community: $c, first: 100) {{ edges {{ node {{ {ENTITY} }} }} }}
      unemployedResidents(community: $c, first: 100) {{ edges {{ node {{ person {{ {ENTITY} }}
        formerEmployers {{ {ENTITY} }} }} }} }}
      nonPublicEnterprises(street: $s, first: 100) {{ edges {{ node {{ {ENTITY}
        legalRepresentatives {{ edges {{ node {{ {ENTITY} }} }} }} }} }} }}
      repeatOffenders(address: $a, minViolations: 1) {{ edges {{ node {{ {ENTITY} }} }} }}
    }}"""
    d2_rows, _, _ = graph_driver.execute_query(
        "MATCH (p:Person {district: $d2}) WHERE p.community IS NOT NULL AND p.street IS NOT NULL "
        "RETURN p.community AS c, p.street AS s, p.point_key AS a LIMIT 1",
        d2=places["d2"],
    )
    place = d2_rows[0]
    variables = {"c": place["c"], "s": place["s"], "a": text_of(place["a"])}
    admin = entities(api.query(questions, token(), **variables))
    assert admin
    for role, claims in matrix(places)[1:]:
        answer = entities(api.query(questions, token(role, **claims), **variables))
        assert_inside(jurisdictions, answer, claims)
        if claims.get("district") == places["d1"]:
            assert answer == []


def test_scoped_tokens_see_their_own_people(api, places, jurisdictions):
    claims = {"district": places["d1"], "community": places["community"]}
    data = api.query(
        f"""query($c: String!) {{ marriedWomenOfChildbearingAge(community: $c, first: 100) {{
          edges {{ node {{ {ENTITY} }} }} }} }}""",
        token("department_app", **claims),
        c=places["community"],
    )
    assert entities(data)
    assert_inside(jurisdictions, entities(data), claims)
    me = api.query(
        "{ me { role district community identifiersVisible } }", token("department_app", **claims)
    )
    assert me["me"] == {
        "role": "department_app",
        "district": places["d1"],
        "community": places["community"],
        "identifiersVisible": False,
    }
