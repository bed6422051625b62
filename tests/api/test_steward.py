"""Stewards through the API: the review queue, decisions, and decisions holding after the next
resolve and publish (a MATCH joins, a NOT_A_MATCH or split separates, a merged-away ID
redirects). Other roles are refused."""

from __future__ import annotations

import json
import shutil

import pytest

from api.auth import issue_token
from graph_schema.decisions import SETTLE_CANDIDATES, clear_decisions, fetch_decisions
from graph_schema.publish import publish
from loaders.config import load_config
from resolution.pipeline import resolve
from tests.api.conftest import SECRET, token

QUEUE = """query($entity: EntityType!, $first: Int, $after: String) {
  reviewQueue(entity: $entity, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id matchProbability matchWeight priority leftEntityId rightEntityId
      comparisons { name matchWeight } left { key name } right { key name }
      leftCluster { id size records { key } } rightCluster { id size records { key } }
    } } } }"""
DECIDE = """mutation($id: ID!, $decision: Decision!, $reason: String!) {
  decideCandidate(id: $id, decision: $decision, reason: $reason) {
    __typename ... on StewardDecision { id kind subject decidedBy role reason before after
      pairs { decision left right } } ... on NotFound { message }
    ... on OutOfJurisdiction { message } } }"""
SPLIT = """mutation($id: ID!, $records: [ID!]!, $reason: String!) {
  splitEntity(id: $id, recordIds: $records, reason: $reason) {
    __typename ... on StewardDecision { id kind pairs { decision left right } }
    ... on OutOfJurisdiction { message } } }"""
MERGE = """mutation($keep: ID!, $merge: ID!, $reason: String!) {
  mergeEntities(keepId: $keep, mergeId: $merge, reason: $reason) {
    __typename ... on StewardDecision { id kind subject pairs { decision left right } }
    ... on OutOfJurisdiction { message } } }"""
HISTORY = """query($mine: Boolean!) { decisions(first: 50, mine: $mine) {
  totalCount edges { node { id kind subject decidedBy reason } } } }"""
PERSON = """query($id: ID!) {
  person(id: $id) { __typename ... on Person { id redirectedFrom } } }"""

STEWARD = token("steward", department="政务服务数据管理局")


@pytest.fixture(scope="module")
def clean_decisions(city, graph_driver, neo4j_target):
    """No decisions before; afterwards none, and the original city published again."""
    clear_decisions(graph_driver, neo4j_target.database)
    yield
    clear_decisions(graph_driver, neo4j_target.database)
    publish(city.workdir, graph_driver, neo4j_target.database, progress=False)


def queue(api, entity: str = "PERSON", first: int = 100) -> list[dict]:
    data = api.query(QUEUE, STEWARD, entity=entity, first=first)
    return [edge["node"] for edge in data["reviewQueue"]["edges"]]


def golden_of(graph_driver) -> dict[str, str]:
    records, _, _ = graph_driver.execute_query(
        "MATCH (s:SourceRecord)-[:RESOLVES_TO]->(g) RETURN s.key AS key, g.id AS golden"
    )
    return {r["key"]: r["golden"] for r in records}


@pytest.mark.parametrize("role", ["department_app", "investigator"])
def test_other_roles_are_refused(api, clean_decisions, role):
    caller = token(role)
    for query, variables in (
        (QUEUE, {"entity": "PERSON", "first": 5}),
        (HISTORY, {"mine": False}),
        (DECIDE, {"id": "x", "decision": "MATCH", "reason": "r"}),
        (SPLIT, {"id": "P-x", "records": ["a/b/c"], "reason": "r"}),
        (MERGE, {"keep": "P-x", "merge": "P-y", "reason": "r"}),
    ):
        payload = api.post(query, auth=caller, variables=variables).json()
        assert payload["data"] is None, payload
        assert payload["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_the_queue_is_ordered_with_waterfall_data(api, clean_decisions):
    first = api.query(QUEUE, STEWARD, entity="PERSON", first=5)["reviewQueue"]
    nodes = [edge["node"] for edge in first["edges"]]
    assert first["totalCount"] > 5 and len(nodes) == 5
    priorities = [node["priority"] for node in nodes]
    assert priorities == sorted(priorities, reverse=True)
    for node in nodes:
        assert node["left"]["key"] != node["right"]["key"]
        assert node["leftEntityId"].startswith("P-") and node["rightEntityId"].startswith("P-")
        assert node["comparisons"] and all(c["name"] for c in node["comparisons"])
        assert 0 <= node["matchProbability"] <= 1
    after = first["pageInfo"]["endCursor"]
    second = api.query(QUEUE, STEWARD, entity="PERSON", first=5, after=after)["reviewQueue"]
    assert not {e["node"]["id"] for e in second["edges"]} & {n["id"] for n in nodes}
    for entity in ("ENTERPRISE", "RENTAL_UNIT"):
        api.query(QUEUE, STEWARD, entity=entity, first=3)  # answers for every entity type


def test_unknown_subjects_and_missing_reasons(api, clean_decisions):
    missing = api.query(DECIDE, STEWARD, id="no-such", decision="MATCH", reason="r")
    assert missing["decideCandidate"]["__typename"] == "NotFound"
    candidate = queue(api, first=1)[0]
    blank = api.post(
        DECIDE, auth=STEWARD, variables={"id": candidate["id"], "decision": "MATCH", "reason": " "}
    ).json()
    assert blank["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_a_decision_sent_again_is_stored_once(api, graph_driver, clean_decisions):
    """A client that lost the answer sends the decision again: the stored one comes back."""
    candidate = queue(api, first=1)[0]["id"]

    def decide(decision: str) -> dict:
        data = api.query(DECIDE, STEWARD, id=candidate, decision=decision, reason="同一人")
        return data["decideCandidate"]

    def stored() -> int:
        records, _, _ = graph_driver.execute_query(
            "MATCH (d:StewardDecision {subject: $s}) RETURN count(d) AS n", s=candidate
        )
        return records[0]["n"]

    first = decide("MATCH")
    assert decide("MATCH")["id"] == first["id"] and stored() == 1
    assert decide("NOT_A_MATCH")["id"] != first["id"] and stored() == 2  # changing one's mind
    assert decide("MATCH")["id"] != first["id"] and stored() == 3  # and back again
    covers, _, _ = graph_driver.execute_query(
        "MATCH (d:StewardDecision {subject: $s})-[c:COVERS]->() RETURN count(c) AS n",
        s=candidate,
    )
    assert covers[0]["n"] == 6  # each stored whole: two records covered each
    clear_decisions(graph_driver)


def test_each_side_shows_its_entity_now(api, graph_driver, clean_decisions):
    for node in queue(api, first=20):
        for side in ("left", "right"):
            cluster = node[f"{side}Cluster"]
            assert cluster["id"] == node[f"{side}EntityId"]
            keys = [r["key"] for r in cluster["records"]]
            assert keys == sorted(keys) and len(keys) == min(cluster["size"], 50)
            # the first 50 records by key: the candidate's own lies among them or beyond
            assert node[side]["key"] in keys or node[side]["key"] > keys[-1]
            records, _, _ = graph_driver.execute_query(
                "MATCH (s:SourceRecord)-[:RESOLVES_TO]->({id: $id}) RETURN count(s) AS n",
                id=cluster["id"],
            )
            assert cluster["size"] == records[0]["n"] >= len(keys)


RECORD_FIELDS = """fragment R on SourceRecord { __typename key source recordId role entity
  department rowNumber batchId name nameRaw nameKey idNumber idNumberRaw idValid birthDate
  gender phone phoneRaw uscc usccRaw address addressRaw district street community pointKey
  unitKey fieldIssues attributes { name value } }"""
QUEUE_RECORDS = (
    """query { reviewQueue(entity: PERSON, first: 20) { edges { node {
  leftCluster { id size records { ...R } } rightCluster { id size records { k: key } } } } } }"""
    + RECORD_FIELDS
)
PERSON_RECORDS = (
    """query($id: ID!) { person(id: $id) { ... on Person {
  sourceRecords(first: 50) { edges { node { ...R } } } } } }"""
    + RECORD_FIELDS
)


def test_a_clusters_records_read_only_the_fields_asked_show_what_a_full_read_shows(
    api, clean_decisions
):
    """The queue reads only the properties of the clusters' records that the request selects
    (through fragments and aliases too); every field shows what the same record shows when
    read whole, masked alike, for a department-wide steward and for an admin."""
    for auth in (STEWARD, token("admin")):
        nodes = [e["node"] for e in api.query(QUEUE_RECORDS, auth)["reviewQueue"]["edges"]]
        clusters = [n["leftCluster"] for n in nodes if n["leftCluster"]]
        small = [c for c in clusters if c["size"] <= 50]
        assert len(small) >= 5 and all(n["rightCluster"]["records"][0]["k"] for n in nodes)
        for cluster in small:
            person = api.query(PERSON_RECORDS, auth, id=cluster["id"])["person"]
            whole = {e["node"]["key"]: e["node"] for e in person["sourceRecords"]["edges"]}
            assert {r["key"]: r for r in cluster["records"]} == whole
        shown = {k for c in small for r in c["records"] for k, v in r.items() if v}
        assert {"idNumber", "phone", "birthDate", "attributes", "nameKey"} <= shown


@pytest.fixture
def inside_candidate(graph_driver):
    """A candidate between two records the resolver put in one entity (a weak link inside it),
    planted first in the queue: a small city may have none."""
    records, _, _ = graph_driver.execute_query(
        """
        MATCH (c:ReviewCandidate) WHERE c.priority IS NOT NULL
        WITH c ORDER BY c.priority DESC LIMIT 1
        MATCH (s1:SourceRecord)-[:RESOLVES_TO]->(p:Person)<-[:RESOLVES_TO]-(s2:SourceRecord)
        WHERE s1.key < s2.key
        WITH c, s1, s2 ORDER BY p.id, s1.key, s2.key LIMIT 1
        CREATE (x:ReviewCandidate {id: 'C-zz-inside'})
        SET x += c {.*, id: 'C-zz-inside', priority: c.priority + 1}
        CREATE (x)-[:LEFT]->(s1), (x)-[:RIGHT]->(s2)
        RETURN x.id AS id
        """
    )
    assert records
    try:
        yield records[0]["id"]
    finally:
        graph_driver.execute_query("MATCH (x:ReviewCandidate {id: 'C-zz-inside'}) DETACH DELETE x")


def test_a_split_or_merge_settles_the_candidates_across_it(
    api, graph_driver, neo4j_target, clean_decisions, inside_candidate
):
    nodes = queue(api)
    assert nodes[0]["id"] == inside_candidate
    inside = next(n for n in nodes if n["leftEntityId"] == n["rightEntityId"])
    between = next(
        n
        for n in nodes
        if n["leftEntityId"] != n["rightEntityId"]
        and inside["leftEntityId"] not in (n["leftEntityId"], n["rightEntityId"])
    )
    # split the weak link's right record off: no pair across the split is asked again
    split = api.query(
        SPLIT, STEWARD, id=inside["leftEntityId"], records=[inside["right"]["key"]], reason="r"
    )["splitEntity"]
    assert split["__typename"] == "StewardDecision"
    merged = api.query(
        MERGE, STEWARD, keep=between["leftEntityId"], merge=between["rightEntityId"], reason="r"
    )["mergeEntities"]
    assert merged["__typename"] == "StewardDecision"
    waiting = {node["id"] for node in queue(api, first=100)}
    assert inside["id"] not in waiting and between["id"] not in waiting
    clear_decisions(graph_driver, neo4j_target.database)
    assert {inside["id"], between["id"]} <= {node["id"] for node in queue(api, first=100)}


def test_stewards_work_within_their_jurisdiction(api, graph_driver, neo4j_target, clean_decisions):
    records, _, _ = graph_driver.execute_query(
        "MATCH (p:Person) WHERE p.district IS NOT NULL "
        "RETURN p.district AS district, count(*) AS n ORDER BY n DESC, district LIMIT 1"
    )
    district = records[0]["district"]
    local = issue_token(SECRET, role="steward", subject="test:local-steward", district=district)
    local_queue = api.query(QUEUE, local, entity="PERSON", first=100)["reviewQueue"]
    everywhere = api.query(QUEUE, STEWARD, entity="PERSON", first=100)["reviewQueue"]
    assert local_queue["totalCount"] < everywhere["totalCount"]
    districts, _, _ = graph_driver.execute_query(
        "UNWIND $ids AS id MATCH (p:Person {id: id}) RETURN collect(DISTINCT p.district) AS d",
        ids=[
            edge["node"][side]
            for edge in local_queue["edges"]
            for side in ("leftEntityId", "rightEntityId")
        ],
    )
    assert districts[0]["d"] in ([district], [])
    outside = next(
        edge["node"]
        for edge in everywhere["edges"]
        if edge["node"]["id"] not in {e["node"]["id"] for e in local_queue["edges"]}
    )
    refused = api.query(DECIDE, local, id=outside["id"], decision="MATCH", reason="r")
    assert refused["decideCandidate"]["__typename"] == "OutOfJurisdiction"
    assert district in refused["decideCandidate"]["message"]
    sides, _, _ = graph_driver.execute_query(
        "UNWIND $sides AS side MATCH (p:Person {id: side[0]}) "
        "WHERE p.district IS NULL OR p.district <> $district RETURN side[0] AS id, side[1] AS key",
        sides=[
            [outside["leftEntityId"], outside["left"]["key"]],
            [outside["rightEntityId"], outside["right"]["key"]],
        ],
        district=district,
    )
    far, far_record = sides[0]["id"], sides[0]["key"]
    near = outside["rightEntityId"] if far == outside["leftEntityId"] else outside["leftEntityId"]
    for query, variables in (
        (SPLIT, {"id": far, "records": [far_record], "reason": "r"}),
        (MERGE, {"keep": near, "merge": far, "reason": "r"}),
    ):
        answer = api.query(query, local, **variables)
        assert next(iter(answer.values()))["__typename"] == "OutOfJurisdiction", answer
    assert api.query(HISTORY, local, mine=True)["decisions"]["totalCount"] == 0
    # the history shows the local steward only decisions touching the district (and their own)
    elsewhere = api.query(DECIDE, STEWARD, id=outside["id"], decision="MATCH", reason="city")
    assert elsewhere["decideCandidate"]["__typename"] == "StewardDecision"
    inside = local_queue["edges"][0]["node"]
    mine = api.query(DECIDE, local, id=inside["id"], decision="NOT_A_MATCH", reason="local")
    assert mine["decideCandidate"]["__typename"] == "StewardDecision"
    seen = api.query(HISTORY, local, mine=False)["decisions"]
    subjects = {edge["node"]["subject"] for edge in seen["edges"]}
    touching, _, _ = graph_driver.execute_query(
        "MATCH (p:Person) WHERE p.id IN $ids AND p.district = $district RETURN count(p) AS n",
        ids=[outside["leftEntityId"], outside["rightEntityId"]],
        district=district,
    )
    assert inside["id"] in subjects
    assert (outside["id"] in subjects) == (touching[0]["n"] > 0)
    everything = api.query(HISTORY, STEWARD, mine=False)["decisions"]
    assert {outside["id"], inside["id"]} <= {e["node"]["subject"] for e in everything["edges"]}
    clear_decisions(graph_driver, neo4j_target.database)


def _pick(api, graph_driver):
    """A MATCH candidate (records apart now), an entity to split and two to merge, all on
    distinct golden entities. (The demo city's queue holds no candidate whose records are
    together now; separating records that are together is the split's NOT_A_MATCH pairs.)"""
    nodes = queue(api)
    used: set[str] = set()

    def free(*ids: str) -> bool:
        return not used & set(ids)

    to_join = next(n for n in nodes if n["leftEntityId"] != n["rightEntityId"])
    used |= {to_join["leftEntityId"], to_join["rightEntityId"]}
    records, _, _ = graph_driver.execute_query(
        "MATCH (s:SourceRecord)-[:RESOLVES_TO]->(p:Person) WITH p, collect(s.key) AS keys "
        "WHERE size(keys) >= 3 RETURN p.id AS id, keys ORDER BY p.id LIMIT 50"
    )
    split = next(r for r in records if free(r["id"]))
    used.add(split["id"])
    records, _, _ = graph_driver.execute_query(
        "MATCH (s:SourceRecord)-[:RESOLVES_TO]->(p:Person) WITH p, collect(s.key) AS keys "
        "WHERE size(keys) = 2 RETURN p.id AS id, keys ORDER BY p.id DESC LIMIT 50"
    )
    keep, merge = [r for r in records if free(r["id"])][:2]
    return to_join, split, keep, merge


def test_decisions_hold_after_re_resolve_and_re_publish(
    api, city, graph_driver, neo4j_target, tmp_path, clean_decisions
):
    to_join, split, keep, merge = _pick(api, graph_driver)

    joined = api.query(DECIDE, STEWARD, id=to_join["id"], decision="MATCH", reason="same phone")
    decision = joined["decideCandidate"]
    assert decision["__typename"] == "StewardDecision" and decision["kind"] == "candidate"
    assert decision["decidedBy"] == "test:steward" and decision["role"] == "steward"
    assert decision["pairs"] == [
        {"decision": "MATCH", "left": to_join["left"]["key"], "right": to_join["right"]["key"]}
    ]
    before = json.loads(decision["before"])
    assert before["left"]["entity_id"] == to_join["leftEntityId"]
    assert before["department"] == "政务服务数据管理局"
    split_off, kept = split["keys"][0], split["keys"][1:]
    splitting = api.query(SPLIT, STEWARD, id=split["id"], records=[split_off], reason="moved")
    pairs = splitting["splitEntity"]["pairs"]
    assert {(p["decision"], p["left"], p["right"]) for p in pairs} == {
        ("NOT_A_MATCH", split_off, other) for other in kept
    }
    merging = api.query(MERGE, STEWARD, keep=keep["id"], merge=merge["id"], reason="one shop")
    assert merging["mergeEntities"]["kind"] == "merge"

    waiting = {node["id"] for node in queue(api)}
    assert to_join["id"] not in waiting
    history = api.query(HISTORY, STEWARD, mine=True)["decisions"]
    assert history["totalCount"] == 3
    assert history["edges"][0]["node"]["kind"] == "merge"  # newest first
    assert api.query(HISTORY, token("admin"), mine=True)["decisions"]["totalCount"] == 0

    rows = fetch_decisions(graph_driver, neo4j_target.database)
    workdir = tmp_path / "work"
    shutil.copytree(city.workdir, workdir)
    resolve(load_config(city.out / "sources.toml"), workdir, progress=False, decisions=rows)
    publish(workdir, graph_driver, neo4j_target.database, progress=False)

    golden = golden_of(graph_driver)
    assert golden[to_join["left"]["key"]] == golden[to_join["right"]["key"]]
    assert all(golden[split_off] != golden[other] for other in kept)
    assert golden[keep["keys"][0]] == golden[merge["keys"][0]]
    survivor = golden[keep["keys"][0]]
    assert survivor == keep["id"]  # the steward's choice, though merge["id"] sorts first
    for old_id in (keep["id"], merge["id"]):
        found = api.query(PERSON, STEWARD, id=old_id)["person"]
        assert found["__typename"] == "Person" and found["id"] == survivor
        assert found["redirectedFrom"] == (None if old_id == survivor else old_id)


def test_a_split_after_a_merge_undoes_it(api, city, graph_driver, neo4j_target, tmp_path):
    """Merge two people, resolve and publish; split the merged-in records off again: the next
    resolve honours the split (the later decision), not the merge it contradicts."""
    clear_decisions(graph_driver, neo4j_target.database)
    publish(city.workdir, graph_driver, neo4j_target.database, progress=False)  # its own IDs
    records, _, _ = graph_driver.execute_query(
        "MATCH (s:SourceRecord)-[:RESOLVES_TO]->(p:Person) WITH p, collect(s.key) AS keys "
        "WHERE size(keys) = 2 RETURN p.id AS id, keys ORDER BY p.id LIMIT 2"
    )
    keep, merge = records
    config = load_config(city.out / "sources.toml")
    workdir = tmp_path / "work"
    shutil.copytree(city.workdir, workdir)
    try:
        merged = api.query(MERGE, STEWARD, keep=keep["id"], merge=merge["id"], reason="one")
        assert merged["mergeEntities"]["__typename"] == "StewardDecision"
        resolve(config, workdir, progress=False, decisions=fetch_decisions(graph_driver))
        publish(workdir, graph_driver, neo4j_target.database, progress=False)
        golden = golden_of(graph_driver)
        assert {golden[key] for key in keep["keys"] + merge["keys"]} == {keep["id"]}

        split = api.query(SPLIT, STEWARD, id=keep["id"], records=merge["keys"], reason="two")
        assert split["splitEntity"]["__typename"] == "StewardDecision"
        report = resolve(config, workdir, progress=False, decisions=fetch_decisions(graph_driver))
        person = next(e for e in report.entities if e.entity == "person")
        # the merge's must-links across the split: its records held to the kept side's first
        assert person.decisions_superseded == len(merge["keys"])
        publish(workdir, graph_driver, neo4j_target.database, progress=False)
        golden = golden_of(graph_driver)
        assert {golden[key] for key in keep["keys"]} == {keep["id"]}
        assert golden[merge["keys"][0]] == golden[merge["keys"][1]] != keep["id"]
    finally:
        clear_decisions(graph_driver, neo4j_target.database)
        publish(city.workdir, graph_driver, neo4j_target.database, progress=False)


def test_candidates_settled_before_are_found_settled_again(api, graph_driver, clean_decisions):
    """A graph whose candidates lost their ``settled`` flag (published before the flag, or
    re-created by a publish) gets it back from the stored decisions (publish and migration
    run :data:`SETTLE_CANDIDATES`)."""
    candidate = queue(api, first=1)[0]["id"]
    api.query(DECIDE, STEWARD, id=candidate, decision="NOT_A_MATCH", reason="两个人")
    assert candidate not in {node["id"] for node in queue(api)}
    graph_driver.execute_query("MATCH (c:ReviewCandidate) REMOVE c.settled")
    assert candidate in {node["id"] for node in queue(api)}
    graph_driver.execute_query(SETTLE_CANDIDATES)
    assert candidate not in {node["id"] for node in queue(api)}
    clear_decisions(graph_driver)
    assert candidate in {node["id"] for node in queue(api)}
