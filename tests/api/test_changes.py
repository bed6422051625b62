"""The change feed through the API on the real Neo4j: oldest first from a cursor, scoped to each
token's jurisdiction and masked for department apps; people moved between districts by editing
a source, re-resolved and re-published show as MOVED_OUT in the old district's feed and
MOVED_IN in the new one's, and nowhere else; cursors survive a restart of the API; an expired
cursor is told so; the same feed pushed over graphql-transport-ws."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
import uvicorn
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from api.app import create_app
from api.config import ApiSettings
from api.pagination import decode_seq_cursor
from graph_schema.api_queries import read_area
from graph_schema.changes import write_changes
from graph_schema.publish import publish
from loaders.config import load_config
from resolution.pipeline import resolve
from tests.api.conftest import SECRET, LiveApi, token
from tests.conftest import free_port
from tests.graph_schema.test_changes import EVERY_CHANGE_IN_SCOPE, move_people

FEED = """
query($after: String, $first: Int!, $kinds: [ChangeKind!], $entity: EntityType) {
  changes(after: $after, first: $first, kinds: $kinds, entity: $entity) {
    resumeAfter
    pageInfo { hasNextPage endCursor }
    edges { cursor node { seq kind entity entityId otherId runId eventType district street
      community fields { name before after source recordId } sourceRecords { source recordId role }
    } }
  }
}
"""


def whole_feed(api, auth: str, after: str | None = None, **filters) -> list[dict]:
    """Every change the token sees after ``after``, page by page."""
    changes: list[dict] = []
    while True:
        page = api.query(FEED, auth, after=after, first=1000, **filters)["changes"]
        changes.extend(edge["node"] for edge in page["edges"])
        after = page["resumeAfter"]
        if not page["pageInfo"]["hasNextPage"]:
            return changes


@pytest.fixture(scope="module")
def everything(api) -> list[dict]:
    return whole_feed(api, token("admin"))


@pytest.fixture(scope="module")
def district(everything) -> str:
    counts = Counter(c["district"] for c in everything if c["district"])
    return counts.most_common(1)[0][0]


def test_the_feed_is_oldest_first_and_follows_from_a_cursor(api, everything):
    seqs = [c["seq"] for c in everything]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    kinds = Counter(c["kind"] for c in everything)
    assert kinds["CREATED"] > 800 and kinds["EVENT"] > 100
    first = api.query(FEED, token("admin"), first=10)["changes"]
    assert [e["node"]["seq"] for e in first["edges"]] == seqs[:10]
    assert first["pageInfo"]["hasNextPage"]
    following = api.query(FEED, token("admin"), after=first["pageInfo"]["endCursor"], first=5)
    assert [e["node"]["seq"] for e in following["changes"]["edges"]] == seqs[10:15]
    births = whole_feed(api, token("admin"), kinds=["EVENT"], entity="PERSON")
    assert births and {c["kind"] for c in births} == {"EVENT"}
    assert {c["entity"] for c in births} == {"PERSON"}
    created = next(c for c in everything if c["kind"] == "CREATED" and c["entity"] == "PERSON")
    assert {f["name"] for f in created["fields"]} >= {"name", "address"}
    assert created["sourceRecords"] and created["sourceRecords"][0]["recordId"]


def test_head_and_a_bad_cursor(api, everything):
    head = api.query("{ changeFeedHead }")["changeFeedHead"]
    assert api.query(FEED, token("admin"), after=head, first=10)["changes"]["edges"] == []
    response = api.post(FEED, auth=token("admin"), variables={"after": "bm9wZQ==", "first": 5})
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_each_token_sees_only_changes_in_its_jurisdiction_masked_by_role(api, everything, district):
    app_token = token("department_app", district=district)
    seen = whole_feed(api, app_token)
    expected = [c["seq"] for c in everything if c["district"] == district]
    assert [c["seq"] for c in seen] == expected
    ids = [f for c in seen for f in c["fields"] if f["name"] == "id_number" and f["after"]]
    assert ids and all("*" in f["after"] for f in ids)
    steward_ids = [
        f
        for c in whole_feed(api, token("steward", district=district))
        for f in c["fields"]
        if f["name"] == "id_number" and f["after"]
    ]
    assert steward_ids and not any("*" in f["after"] for f in steward_ids)

    # a community: every golden record its feed names is one the token may look at
    community = Counter(
        (c["street"], c["community"]) for c in everything if c["district"] == district
    ).most_common(1)[0][0]
    narrow = token("investigator", district=district, street=community[0], community=community[1])
    named = {c["entityId"] for c in whole_feed(api, narrow, entity="PERSON")}
    assert named
    for golden_id in sorted(named)[:15]:
        answer = api.query(
            "query($id: ID!) { person(id: $id) { __typename } }", narrow, id=golden_id
        )
        assert answer["person"]["__typename"] == "Person", golden_id


def test_streets_and_communities_see_what_the_jurisdiction_rule_admits(
    api, graph_driver, everything, district
):
    """A street's or community's feed, read page by page from its indexes, is every change the
    jurisdiction rule places there: those without a street or community by their community
    or road too."""
    streets = Counter(
        (c["street"], c["community"]) for c in everything if c["district"] == district
    )
    (street, community), _ = next(p for p in streets.most_common() if all(p[0]))
    placed_by_fallback = 0
    for jurisdiction in ((district, street, None), (district, street, community)):
        scope = read_area(graph_driver, *jurisdiction)
        records, _, _ = graph_driver.execute_query(
            EVERY_CHANGE_IN_SCOPE, scope=scope, kinds=None, entity=None
        )
        auth = token("department_app", district=district, street=street,
                     community=jurisdiction[2])  # fmt: skip
        seen = whole_feed(api, auth)
        assert [c["seq"] for c in seen] == [r["seq"] for r in records], jurisdiction
        placed_by_fallback += sum(1 for c in seen if not c["street"] or not c["community"])
    assert placed_by_fallback > 0


@pytest.fixture(scope="module")
def moved(api, city, graph_driver, neo4j_target, everything, tmp_path_factory):
    """People of one district registered in others by editing hukou.csv, re-resolved and
    re-published; the original city is published again afterwards."""
    out = tmp_path_factory.mktemp("moved-city")
    work = tmp_path_factory.mktemp("moved-work")
    shutil.copytree(city.out, out, dirs_exist_ok=True)
    shutil.copytree(city.workdir, work, dirs_exist_ok=True)
    records = move_people(out, 12)
    head = api.query("{ changeFeedHead }")["changeFeedHead"]
    resolve(load_config(out / "sources.toml"), work, progress=False)
    publish(work, graph_driver, neo4j_target.database)
    golden = {city.golden_of_record.get(f"hukou/{rid}/resident") for rid in records}
    try:
        yield head, golden - {None}
    finally:
        publish(city.workdir, graph_driver, neo4j_target.database)


def test_moved_people_leave_the_old_feed_and_enter_the_new_one(api, moved, district):
    head, golden = moved
    after_move = whole_feed(api, token("admin"), after=head)
    assert min(c["seq"] for c in after_move) > decode_seq_cursor(head)
    outs = {c["entityId"]: c for c in after_move if c["kind"] == "MOVED_OUT"}
    ins = {c["entityId"]: c for c in after_move if c["kind"] == "MOVED_IN"}
    movers = sorted(g for g in golden if g in outs and g in ins)
    assert len(movers) >= 8, (len(movers), len(golden))
    for golden_id in movers:
        old, new = outs[golden_id]["district"], ins[golden_id]["district"]
        assert old != new and outs[golden_id]["fields"] == []
        old_feed = whole_feed(api, token("department_app", district=old), after=head)
        about = [c for c in old_feed if c["entityId"] == golden_id]
        # the old district hears that they left, and nothing of where they went; a record the
        # move left behind (split off, still at the old address) is told as a SPLIT
        kinds = [c["kind"] for c in about]
        assert kinds.count("MOVED_OUT") == 1 and set(kinds) <= {"MOVED_OUT", "SPLIT"}, about
        assert all(c["fields"] == [] for c in about), about
        new_feed = whole_feed(api, token("department_app", district=new), after=head)
        kinds = {c["kind"] for c in new_feed if c["entityId"] == golden_id}
        assert "MOVED_IN" in kinds and "MOVED_OUT" not in kinds
        address = [
            f
            for c in new_feed
            if c["entityId"] == golden_id and c["kind"] == "UPDATED"
            for f in c["fields"]
            if f["name"] == "address"
        ]
        assert address and address[0]["before"] != address[0]["after"]
        assert address[0]["source"] == "hukou"
        # nobody else hears of them
        for other in {c["district"] for c in after_move if c["district"]} - {old, new}:
            elsewhere = whole_feed(api, token("department_app", district=other), after=head)
            assert golden_id not in {c["entityId"] for c in elsewhere}
        if golden_id != movers[0]:
            break  # the full walk for two movers keeps the test quick


def test_a_cursor_holds_across_a_restart_of_the_api(api, city, neo4j_target, everything):
    cursor = api.query(FEED, token("admin"), first=50)["changes"]["pageInfo"]["endCursor"]
    before = api.query(FEED, token("admin"), after=cursor, first=20)["changes"]["edges"]
    restarted = LiveApi(create_app(ApiSettings(HUITONG_JWT_SECRET=SECRET), target=neo4j_target))
    try:
        after = restarted.query(FEED, token("admin"), after=cursor, first=20)["changes"]["edges"]
    finally:
        restarted.close()
    assert [e["node"]["seq"] for e in after] == [e["node"]["seq"] for e in before]
    assert len(after) == 20


def test_a_cursor_older_than_the_retention_is_told_it_expired(api, graph_driver):
    cursor = api.query(FEED, token("admin"), first=3)["changes"]["pageInfo"]["endCursor"]
    graph_driver.execute_query("MATCH (f:ChangeFeed) SET f.pruned_through = 10")
    try:
        response = api.post(FEED, auth=token("admin"), variables={"after": cursor, "first": 5})
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "CURSOR_EXPIRED"
        assert "changeFeedHead" in error["message"]
    finally:
        graph_driver.execute_query("MATCH (f:ChangeFeed) SET f.pruned_through = 0")


@pytest.fixture(scope="module")
def server(city, neo4j_target, audit_stream):
    app = create_app(
        ApiSettings(HUITONG_JWT_SECRET=SECRET, HUITONG_CHANGE_POLL_SECONDS=0.2),
        target=neo4j_target,
        audit_stream=audit_stream,
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
        yield f"ws://127.0.0.1:{port}/graphql"
    finally:
        uvicorn_server.should_exit = True
        thread.join(timeout=15)


SUBSCRIBE = """
subscription($after: String) { changes(after: $after) { seq kind entityId district
  fields { name after } } }
"""


@contextmanager
def subscribe(url: str, auth: str, after: str | None):
    with connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10) as socket:
        socket.send(json.dumps({"type": "connection_init", "payload": {"Authorization": auth}}))
        assert json.loads(socket.recv(timeout=10))["type"] == "connection_ack"
        socket.send(
            json.dumps(
                {"id": "1", "type": "subscribe",
                 "payload": {"query": SUBSCRIBE, "variables": {"after": after}}}
            )
        )  # fmt: skip
        yield socket


def receive(socket, count: int) -> list[dict]:
    changes = []
    while len(changes) < count:
        message = json.loads(socket.recv(timeout=15))
        assert message["type"] == "next", message
        assert not message["payload"].get("errors"), message
        changes.append(message["payload"]["data"]["changes"])
    return changes


def test_the_subscription_pushes_the_feed_scoped_and_new_changes_as_written(
    api, server, everything, district, graph_driver, audit_stream
):
    mine = [c for c in everything if c["district"] == district]
    start = api.query(FEED, token("admin"), first=1)["changes"]["pageInfo"]["endCursor"]
    auth = "Bearer " + token("department_app", district=district)
    with subscribe(server, auth, start) as socket:
        pushed = receive(socket, 5)
        assert [c["seq"] for c in pushed] == [c["seq"] for c in mine if c["seq"] > 1][:5]
        assert {c["district"] for c in pushed} == {district}
    head = api.query("{ changeFeedHead }")["changeFeedHead"]
    with subscribe(server, auth, head) as socket:
        entries = [
            {"key": f"test-realtime-{district}-{i}", "kind": "EVENT", "entity": "person",
             "entity_id": f"P-test{i}", "run_id": "realtime", "at": datetime.now(UTC),
             "event_type": "Birth", "district": d,
             "fields": [{"name": "phone", "after": "13812345678"}]}
            for i, d in enumerate(["某区", district])
        ]  # fmt: skip
        with graph_driver.session() as session:
            session.execute_write(write_changes, entries)
        (pushed,) = receive(socket, 1)
        assert pushed["entityId"] == "P-test1" and pushed["district"] == district
        assert pushed["fields"][0]["after"] == "138****5678"
    graph_driver.execute_query("MATCH (c:Change) WHERE c.key STARTS WITH 'test-realtime-' DELETE c")
    lines = [json.loads(line) for line in audit_stream.getvalue().splitlines() if line]
    assert any(line.get("status") == 101 and line["fields"] == ["changes"] for line in lines)


def test_a_socket_without_a_good_token_is_closed(server):
    with connect(server, subprotocols=["graphql-transport-ws"], open_timeout=10) as socket:
        init = {"type": "connection_init", "payload": {"Authorization": "Bearer x"}}
        socket.send(json.dumps(init))
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=10)
    assert closed.value.rcvd.code == 4403
