"""The API on a ``neo4j://`` routing URI, as against a cluster or Aura: reads routed to readers,
writes to the leader, and a caller reading its own write through the ``Huitong-Bookmark``
header, whichever API worker answers (here: two apps, each with its own driver, on the
session's Neo4j, which routes to itself)."""

from __future__ import annotations

import dataclasses

import pytest

from api.app import create_app
from api.config import ApiSettings
from api.graph import BOOKMARK_HEADER, parse_bookmarks
from graph_schema.decisions import clear_decisions
from graph_schema.publish import publish
from tests.api.conftest import SECRET, LiveApi
from tests.api.test_steward import DECIDE, HISTORY, QUEUE, STEWARD


@pytest.fixture(scope="module")
def routed(city, graph_driver, neo4j_target):
    """Two API workers on the routing URI of the session's Neo4j; decisions cleared around."""
    assert neo4j_target.uri.startswith("bolt://")
    target = dataclasses.replace(neo4j_target, uri="neo4j://" + neo4j_target.uri[len("bolt://") :])
    settings = ApiSettings(HUITONG_JWT_SECRET=SECRET)
    workers = [LiveApi(create_app(settings, target=target)) for _ in range(2)]
    clear_decisions(graph_driver, neo4j_target.database)
    try:
        yield workers
    finally:
        for worker in workers:
            worker.close()
        clear_decisions(graph_driver, neo4j_target.database)
        publish(city.workdir, graph_driver, neo4j_target.database, progress=False)


def test_parse_bookmarks():
    assert parse_bookmarks(None) == () == parse_bookmarks(" , ")
    assert parse_bookmarks("FB:a, FB:b") == ("FB:a", "FB:b")


def test_a_write_answers_with_a_bookmark_another_worker_reads_after(routed):
    first, second = routed
    candidate = first.query(QUEUE, STEWARD, entity="PERSON", first=1)["reviewQueue"]["edges"]
    reads = first.post(QUEUE, auth=STEWARD, variables={"entity": "PERSON", "first": 1})
    assert BOOKMARK_HEADER not in reads.headers  # a request that only read sends none
    node = candidate[0]["node"]
    written = first.post(
        DECIDE,
        auth=STEWARD,
        variables={"id": node["id"], "decision": "MATCH", "reason": "routing test"},
    )
    assert written.status_code == 200, written.text
    decision = written.json()["data"]["decideCandidate"]
    assert decision["__typename"] == "StewardDecision"
    bookmarks = parse_bookmarks(written.headers.get(BOOKMARK_HEADER))
    assert bookmarks and all(bookmarks)

    headers = {"Authorization": f"Bearer {STEWARD}", BOOKMARK_HEADER: ",".join(bookmarks)}
    seen = second.request(
        "POST", "/graphql", json={"query": HISTORY, "variables": {"mine": False}}, headers=headers
    )
    assert seen.status_code == 200, seen.text
    ids = [edge["node"]["id"] for edge in seen.json()["data"]["decisions"]["edges"]]
    assert decision["id"] in ids


def test_a_bookmark_the_database_does_not_know_is_refused(routed):
    _, second = routed
    headers = {"Authorization": f"Bearer {STEWARD}", BOOKMARK_HEADER: "not-a-bookmark"}
    answer = second.request(
        "POST", "/graphql", json={"query": HISTORY, "variables": {"mine": False}}, headers=headers
    )
    payload = answer.json()
    assert payload.get("errors"), payload
    assert payload["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert BOOKMARK_HEADER in payload["errors"][0]["message"]
