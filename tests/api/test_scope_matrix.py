"""Scope and masking matrix, generated from the schema: every root field of ``Query``, each with
a selection of every field its type offers (every nested list that can reach another record),
asked by every role × jurisdiction (and a city-wide department app). In every answer:

- no golden record outside the token's jurisdiction, wherever its ID appears (a node, a
  participant, a path, a shared identifier's entities, a change…), checked against the graph by
  the README's rule on the true geography;
- for ``department_app``, no unmasked resident ID or phone in any string anywhere.

A root field without a case in ``CASES`` fails the test with the name of the field to add; the
test lists every problem it finds (field, arguments, token, where in the answer), not the first.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.app import create_app
from api.config import ApiSettings
from api.masking import mask_text
from tests.api import _truth
from tests.api.conftest import SECRET, LiveApi, token
from tests.api.test_jurisdiction import matrix, places, text_of  # noqa: F401  (fixture)

GOLDEN = ("Person", "Enterprise", "RentalUnit")
GOLDEN_ID = re.compile(r"(?<![0-9A-Za-z])[PEU]-[0-9a-f]{12}(?![0-9A-Za-z])")
# Golden records fully selected along a path (every field of each golden type is reached from
# a root field at the first hop); records reached through them: ID and jurisdiction only.
RECORD_HOPS = 1
PAGE = 3

# -- the detector of unmasked identifiers --------------------------------------------------------
UNMASKED = {
    # an ID's shape (region, birth date, sequence), also inside a longer number (a disability
    # card number is the holder's ID and 2 digits), not the digits of a USCC (91440…)
    "resident ID": re.compile(
        r"[1-8][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
        r"[0-9]{3}[0-9Xx]"
        r"|(?<![0-9A-Za-z])[1-8][0-9]{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}"
        r"(?![0-9A-Za-z])"
    ),
    "mobile": re.compile(
        r"(?<![0-9])(?:\+?86[\s-]?)?1[3-9][0-9][\s-]?[0-9]{4}[\s-]?[0-9]{4}(?![0-9])"
    ),
    # not inside a longer token: a run ID's time (20261203T070452795037Z) is no phone
    "landline": re.compile(r"(?<![0-9A-Za-z])0[0-9]{2,3}[\s-]?[0-9]{7,8}(?![0-9A-Za-z])"),
}


def strings(value: Any) -> Iterator[str]:
    """Every string anywhere in a JSON value (keys included), JSON-in-strings unpacked too."""
    if isinstance(value, str):
        yield value
        if value[:1] in "[{":
            with contextlib.suppress(ValueError):
                yield from strings(json.loads(value))
    elif isinstance(value, dict):
        for key, child in value.items():
            yield key
            yield from strings(child)
    elif isinstance(value, list):
        for child in value:
            yield from strings(child)


def where_found(value: Any, needle: str, path: str = "") -> list[str]:
    """JSON paths of the strings of ``value`` holding ``needle`` (for failure messages)."""
    if isinstance(value, str):
        return [path or "."] if needle in value else []
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return []
    return [p for key, child in items for p in where_found(child, needle, f"{path}/{key}")]


def golden_ids(value: Any, asked: set[str]) -> Iterator[str]:
    """Golden IDs anywhere in a response's data, but for the asked IDs a ``NotFound`` or
    ``OutOfJurisdiction`` answer names."""
    if isinstance(value, dict):
        echo = value.get("__typename") in ("NotFound", "OutOfJurisdiction")
        for child in value.values():
            found = golden_ids(child, asked)
            yield from (i for i in found if not (echo and i in asked))
    elif isinstance(value, list):
        for child in value:
            yield from golden_ids(child, asked)
    elif isinstance(value, str):
        yield from GOLDEN_ID.findall(value)


def unmasked(value: Any) -> list[tuple[str, str]]:
    """(kind, text) of every unmasked resident ID or phone in any string of ``value``."""
    return [
        (kind, found[0])
        for text in strings(value)
        for kind, pattern in UNMASKED.items()
        for found in pattern.finditer(text)
    ]


digits = st.text(alphabet="0123456789", min_size=1, max_size=1)
filler = st.text(alphabet="证号手机电话：，；地址天河路 ()", max_size=12)


@st.composite
def written_identifiers(draw) -> str:
    """A resident ID or phone as departments write them, inside some text."""
    kind = draw(st.sampled_from(["id18", "id15", "card", "mobile", "landline"]))
    d = lambda n: "".join(draw(digits) for _ in range(n))  # noqa: E731
    if kind == "id18":
        core = f"44{d(4)}19{d(2)}0{draw(st.integers(1, 9))}1{draw(st.integers(0, 9))}{d(3)}"
        value = core + draw(st.sampled_from([d(1), "X", "x"]))
    elif kind == "card":  # 残疾人证号: the resident ID and two digits
        value = f"44{d(4)}19{d(2)}0{draw(st.integers(1, 9))}1{draw(st.integers(0, 9))}{d(4)}{d(2)}"
    elif kind == "id15":
        value = f"44{d(4)}{d(2)}0{draw(st.integers(1, 9))}1{draw(st.integers(0, 9))}{d(3)}"
    elif kind == "mobile":
        number = f"1{draw(st.integers(3, 9))}{d(9)}"
        sep = draw(st.sampled_from(["", " ", "-"]))
        prefix = draw(st.sampled_from(["", "+86", "+86 ", "86-", "+86-"]))
        value = prefix + sep.join([number[:3], number[3:7], number[7:]])
    else:
        area = draw(st.sampled_from(["020", "0755", "0757", "010"]))
        value = area + draw(st.sampled_from(["-", ""])) + str(draw(st.integers(2, 9))) + d(7)
    return draw(filler) + value + draw(filler)


@given(written_identifiers())
def test_the_detector_sees_every_writing_and_masking_hides_it(text):
    assert unmasked(text), text  # the matrix's check can fail
    assert not unmasked(mask_text(text)), (text, mask_text(text))


# -- generating the queries from the schema ------------------------------------------------------
INTROSPECTION = """{ __schema { queryType { name } types { name kind possibleTypes { name }
  enumValues { name }
  fields { name args { name defaultValue type { ...T } } type { ...T } } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name } } } } }"""


def named(type_ref: dict) -> dict:
    while type_ref.get("ofType"):
        type_ref = type_ref["ofType"]
    return type_ref


def written(type_ref: dict) -> str:
    if type_ref["kind"] == "NON_NULL":
        return written(type_ref["ofType"]) + "!"
    if type_ref["kind"] == "LIST":
        return f"[{written(type_ref['ofType'])}]"
    return type_ref["name"]


class Selections:
    """Selection sets for every type of the schema, recursing through every object field."""

    def __init__(self, schema: dict) -> None:
        self.types = {t["name"]: t for t in schema["types"]}
        self.skipped: set[str] = set()

    def of(self, type_name: str, hops: int = 0, path: tuple[str, ...] = ()) -> str:
        kind = self.types[type_name]
        if kind["kind"] in ("UNION", "INTERFACE"):
            parts = [
                f"... on {p['name']} {{ {self.of(p['name'], hops, path)} }}"
                for p in kind["possibleTypes"]
            ]
            return "__typename " + " ".join(parts)
        if type_name in GOLDEN:
            hops += 1
            if hops > RECORD_HOPS:
                return "__typename id district street community"
        out = ["__typename"]
        for field in kind["fields"] or []:
            target = named(field["type"])
            if target["kind"] in ("SCALAR", "ENUM"):
                if not self._required(field):
                    out.append(field["name"])
                continue
            if target["name"] in path and target["name"] not in GOLDEN:
                continue  # a cycle through plain objects (a point's events' point…)
            if self._required(field):
                self.skipped.add(f"{type_name}.{field['name']}")
                continue
            args = f"(first: {PAGE})" if any(a["name"] == "first" for a in field["args"]) else ""
            inner = self.of(target["name"], hops, (*path, type_name))
            out.append(f"{field['name']}{args} {{ {inner} }}")
        return " ".join(out)

    @staticmethod
    def _required(field: dict) -> bool:
        return any(
            a["type"]["kind"] == "NON_NULL" and a["defaultValue"] is None for a in field["args"]
        )

    def root_query(self, field: dict, variables: dict) -> str:
        target = named(field["type"])
        types = {a["name"]: written(a["type"]) for a in field["args"]}
        declared = ", ".join(f"${name}: {types[name]}" for name in variables)
        passed = ", ".join(f"{name}: ${name}" for name in variables)
        head = f"query Case({declared})" if declared else "query Case"
        call = f"{field['name']}({passed})" if passed else field["name"]
        if target["kind"] in ("SCALAR", "ENUM"):
            return f"{head} {{ {call} }}"
        return f"{head} {{ {call} {{ {self.of(target['name'])} }} }}"


# -- the cases: every root field, with arguments that reach records in and out of scope --------
def _one(graph_driver, cypher: str, **params) -> Any:
    rows, _, _ = graph_driver.execute_query(cypher, **params)
    assert rows, cypher
    return rows[0][0]


@pytest.fixture(scope="module")
def samples(graph_driver, places) -> dict[str, Any]:  # noqa: F811
    """IDs, names and places in the first district (where scoped tokens live) and the second."""
    d1, d2 = places["d1"], places["d2"]
    found: dict[str, Any] = {"d1": d1, "d2": d2, "street": places["street"]}
    found["community"] = places["community"]
    for label, key in (("Person", "person"), ("Enterprise", "enterprise"), ("RentalUnit", "unit")):
        for district in ("d1", "d2"):
            found[f"{key}_{district}"] = _one(
                graph_driver,
                f"MATCH (n:{label} {{district: $d}})<-[:RESOLVES_TO]-(s) "
                "WITH n, count(s) AS m ORDER BY m DESC, n.id RETURN n.id LIMIT 1",
                d=places[district],
            )
    found["person_disabled"] = _one(
        graph_driver,
        "MATCH (d:SourceRecord)-[:RESOLVES_TO]->(p:Person) WHERE d.key STARTS WITH 'disability/' "
        "MATCH (s:SourceRecord)-[:RESOLVES_TO]->(p) WITH p, count(s) AS n "
        "ORDER BY n, p.id RETURN p.id LIMIT 1",
    )
    found["shared_name"] = _one(
        graph_driver,
        "MATCH (a:Person {district: $d1}), (b:Person {district: $d2}) WHERE a.name = b.name "
        "RETURN a.name ORDER BY a.name LIMIT 1",
        d1=d1,
        d2=d2,
    )
    rows, _, _ = graph_driver.execute_query(
        "MATCH (p:Person {district: $d}) WHERE p.street IS NOT NULL AND p.community IS NOT NULL "
        "RETURN p.street AS s, p.community AS c, count(*) AS n ORDER BY n DESC LIMIT 1",
        d=d2,
    )
    found["street_d2"], found["community_d2"] = rows[0]["s"], rows[0]["c"]
    found["cited"] = _one(
        graph_driver,
        "MATCH (e:Violation)-[:AT]->(a:AddressPoint) RETURN a.key, count(e) AS n "
        "ORDER BY n DESC, a.key LIMIT 1",
    )
    rows, _, _ = graph_driver.execute_query(
        "MATCH (a:Person)-[:SPOUSE_OF|PARENT_OF]-(b:Person) WHERE a.district IN [$d1, $d2] "
        "AND b.district <> a.district RETURN a.id AS a, b.id AS b ORDER BY a.id LIMIT 1",
        d1=d1,
        d2=d2,
    )
    found["relatives"] = (rows[0]["a"], rows[0]["b"])
    return found


Case = Callable[[dict[str, Any], dict[str, list[str]]], list[dict[str, Any]]]

CASES: dict[str, Case] = {
    "reviewQueue": lambda s, enums: [{"entity": e} for e in enums["EntityType"]],
    "decisions": lambda s, enums: [{}],
    "changes": lambda s, enums: [{"first": 100}],
    "changeFeedHead": lambda s, enums: [{}],
    "sourceQuality": lambda s, enums: [{"source": "violations"}, {"source": "hukou"}],
    "me": lambda s, enums: [{}],
    "person": lambda s, enums: [
        {"id": s["person_d1"]},
        {"id": s["person_d2"]},
        {"id": s["person_disabled"]},  # identifiers in free text: the disability card number
    ],
    "enterprise": lambda s, enums: [{"id": s["enterprise_d1"]}, {"id": s["enterprise_d2"]}],
    "rentalUnit": lambda s, enums: [{"id": s["unit_d1"]}, {"id": s["unit_d2"]}],
    "searchPeople": lambda s, enums: [{"name": s["shared_name"]}],
    "searchEnterprises": lambda s, enums: [{"name": "公司", "first": 50}],
    "address": lambda s, enums: [{"text": text_of(k)} for k in (s["points"][0], s["points"][-1])],
    "repeatOffenders": lambda s, enums: [{"address": text_of(s["cited"]), "minViolations": 1}],
    "household": lambda s, enums: [
        {"address": text_of(k)} for k in (s["points"][0], s["points"][-1])
    ],
    "nonPublicEnterprises": lambda s, enums: [{"street": s["street"]}, {"street": s["street_d2"]}],
    "marriedWomenOfChildbearingAge": lambda s, enums: [
        {"community": s["community"]},
        {"community": s["community_d2"]},
    ],
    "unemployedResidents": lambda s, enums: [
        {"community": c, "includeFlexibleEmployment": True}
        for c in (s["community"], s["community_d2"])
    ],
    "neighborhood": lambda s, enums: [
        {"id": s["person_d1"], "depth": 2, "first": 100},
        {"id": s["unit_d2"], "depth": 2, "first": 100},
    ],
    "connections": lambda s, enums: [
        {"fromId": s["relatives"][0], "toId": s["relatives"][1]},
        {"fromId": s["person_d1"], "toId": s["unit_d1"]},
    ],
    "sharedIdentifiers": lambda s, enums: [
        {"kind": kind, "minEntities": 2, "first": 20} for kind in enums["IdentifierKind"]
    ],
    "timeline": lambda s, enums: [{"id": s["person_d1"]}, {"id": s["person_d2"]}],
}


def roles(places) -> list[tuple[str, dict[str, str]]]:  # noqa: F811
    """The jurisdiction matrix's tokens, and a city-wide department app (it sees every record,
    so every record's identifiers are checked masked)."""
    return [*matrix(places), ("department_app", {})]


ALLOWED_ERRORS = {"FORBIDDEN", "NOT_FOUND"}  # a role refused a field; an ID it may not see


@pytest.fixture(scope="module")
def wide_api(city, neo4j_target):
    """The app with the query limits out of the way: the matrix asks for everything at once."""
    settings = ApiSettings(
        HUITONG_JWT_SECRET=SECRET,
        HUITONG_MAX_BODY_BYTES=16 << 20,
        max_depth=200,
        max_aliases=1000,
        max_tokens=10**7,
        max_cost=10**12,
    )
    live = LiveApi(create_app(settings, target=neo4j_target, audit_stream=io.StringIO()))
    try:
        yield live
    finally:
        live.close()


@pytest.fixture(scope="module")
def schema(wide_api) -> dict:
    return wide_api.query(INTROSPECTION)["__schema"]


class Places:
    """A golden ID's district, street and community in the graph (a retired ID: its
    successor's), judged by :class:`tests.api._truth.Jurisdictions`."""

    def __init__(self, graph_driver, jurisdictions: _truth.Jurisdictions) -> None:
        self.graph_driver = graph_driver
        self.jurisdictions = jurisdictions
        self.known: dict[str, dict] = {}

    def outside(self, golden_id: str, claims: dict[str, str]) -> str | None:
        if golden_id not in self.known:
            rows, _, _ = self.graph_driver.execute_query(
                "OPTIONAL MATCH (n {id: $id}) WHERE n:Person OR n:Enterprise OR n:RentalUnit "
                "OPTIONAL MATCH (:RetiredEntity {id: $id})-[:REDIRECTS_TO]->(m) "
                "WITH coalesce(n, m) AS g RETURN g.id AS id, g.district AS district, "
                "g.street AS street, g.community AS community",
                id=golden_id,
            )
            assert rows and rows[0]["id"], f"{golden_id} names no golden record"
            self.known[golden_id] = dict(rows[0])
        return self.jurisdictions.outside(self.known[golden_id], claims)

    def change_outside(self, seq: int, claims: dict[str, str]) -> str | None:
        """A change is judged by the place it concerned when it was written (the old district
        sees a mover's MOVED_OUT, and what happened to him before), as stored in the graph."""
        rows, _, _ = self.graph_driver.execute_query(
            "MATCH (c:Change {seq: $seq}) RETURN c.entity_id AS id, c.district AS district, "
            "c.street AS street, c.community AS community",
            seq=seq,
        )
        assert rows, f"change {seq} is not in the graph"
        return self.jurisdictions.outside(dict(rows[0]), claims)


@pytest.fixture(scope="module")
def record_places(graph_driver, city) -> Places:
    return Places(graph_driver, _truth.Jurisdictions(city.world, graph_driver))


def test_every_root_field_has_a_case(schema):
    query_type = next(t for t in schema["types"] if t["name"] == schema["queryType"]["name"])
    missing = sorted({f["name"] for f in query_type["fields"]} - set(CASES))
    assert not missing, f"add a case for Query.{', Query.'.join(missing)} to CASES in {__file__}"
    stale = sorted(set(CASES) - {f["name"] for f in query_type["fields"]})
    assert not stale, f"CASES names fields the schema no longer has: {stale}"


def test_no_answer_leaves_the_jurisdiction_or_shows_an_identifier(
    wide_api,
    schema,
    samples,
    places,  # noqa: F811
    record_places,
):
    selections = Selections(schema)
    query_type = next(t for t in schema["types"] if t["name"] == schema["queryType"]["name"])
    enums = {t["name"]: [v["name"] for v in t["enumValues"] or []] for t in schema["types"]}
    data = {**samples, "points": places["points"]}
    reached: dict[str, set[str]] = {}
    problems: list[str] = []  # every problem at once, not the first
    for field in sorted(query_type["fields"], key=lambda f: f["name"]):
        for variables in CASES[field["name"]](data, enums):
            query = selections.root_query(field, variables)
            for role, claims in roles(places):
                response = wide_api.post(query, auth=token(role, **claims), variables=variables)
                where = f"Query.{field['name']}({variables}) as {role} {claims}"
                assert response.status_code == 200, (where, response.text[:500])
                payload = response.json()
                codes = {
                    (e.get("extensions") or {}).get("code") for e in payload.get("errors") or []
                }
                assert codes <= ALLOWED_ERRORS, (where, payload["errors"][:2])
                # An error, NotFound or OutOfJurisdiction may name the ID it was asked about.
                asked = set(strings(variables))
                checked = payload.get("data")
                if field["name"] == "changes" and checked and checked.get("changes"):
                    # the IDs a change names are judged by the change's own place
                    for edge in checked["changes"]["edges"]:
                        why = record_places.change_outside(edge["node"]["seq"], claims)
                        if why is not None:
                            problems.append(f"{where}: change {edge['node']['seq']} ({why})")
                    checked = {k: v for k, v in checked.items() if k != "changes"}
                ids = set(golden_ids(checked, asked))
                for text in strings(payload.get("errors")):
                    ids.update(set(GOLDEN_ID.findall(text)) - asked)
                for golden_id in sorted(ids):
                    why = record_places.outside(golden_id, claims)
                    if why is not None:
                        problems.append(
                            f"{where}: {golden_id} is outside ({why}), "
                            f"at {where_found(payload, golden_id)[:2]}"
                        )
                if role == "department_app":
                    for kind, text in unmasked(payload)[:3]:
                        problems.append(
                            f"{where}: unmasked {kind} {text!r} at {where_found(payload, text)[:2]}"
                        )
                reached.setdefault(f"{role} {sorted(claims.items())}", set()).update(ids)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])
    admin = reached["admin []"]
    scoped = reached[f"department_app {[('district', places['d1'])]}"]
    assert len(admin) > len(scoped) > 10, (len(admin), len(scoped))
    print(f"matrix: {len(admin)} records reached by admin, {len(scoped)} by a district's app")
