"""The ASGI app: health, readiness, metrics, audit lines, batching, introspection, GraphiQL."""

from __future__ import annotations

import json

from api.app import create_app
from api.config import ApiSettings
from graph_schema.connection import Neo4jTarget
from tests.api.conftest import SECRET, LiveApi, token


def test_health_and_readiness(api):
    assert api.request("GET", "/healthz").json() == {"status": "ok"}
    ready = api.request("GET", "/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready" and ready.json()["publish_run"]


def test_metrics_count_requests_per_operation(api):
    def count(line: str) -> float:
        for row in api.request("GET", "/metrics").text.splitlines():
            if row.startswith(line + " "):
                return float(row.split()[-1])
        return 0.0

    ok = 'huitong_graphql_requests_total{operation="searchPeople",outcome="ok"}'
    refused = 'huitong_graphql_requests_total{operation="unauthenticated",outcome="unauthorized"}'
    before_ok, before_refused = count(ok), count(refused)
    api.query('{ searchPeople(name: "陈伟") { totalCount } }')
    assert api.post("{ me { role } }", auth=None).status_code == 401
    assert count(ok) == before_ok + 1
    assert count(refused) == before_refused + 1
    assert "huitong_graphql_request_seconds_bucket" in api.request("GET", "/metrics").text


def test_one_audit_line_per_request(api, audit_stream):
    before = len(audit_stream.getvalue().splitlines())
    api.query(
        'query Neighbourhood { searchPeople(name: "陈伟", first: 3) { edges { node { id } } } }',
        token("department_app", department="来穗人员服务管理局"),
    )
    lines = audit_stream.getvalue().splitlines()
    assert len(lines) == before + 1
    entry = json.loads(lines[-1])
    assert entry["event"] == "graphql_request"
    assert entry["who"] == "test:department_app" and entry["role"] == "department_app"
    assert entry["department"] == "来穗人员服务管理局"
    assert entry["operation"] == "Neighbourhood" and entry["fields"] == ["searchPeople"]
    assert entry["records_returned"] <= 3 and entry["status"] == 200
    assert entry["duration_ms"] > 0 and entry["graph_queries"] >= 1


def test_dataloaders_batch_relations_no_n_plus_one(api, audit_stream, graph_driver):
    rows, _, _ = graph_driver.execute_query(
        "MATCH (a:AddressPoint)<-[:REGISTERED_AT]-(p:Person) WITH a, count(p) AS n "
        "WHERE n >= 6 RETURN a.key AS key ORDER BY n DESC LIMIT 1"
    )
    road, number, sub = rows[0]["key"].split("|")
    text = f"{road}{number}号" + (f"之{sub}" if sub else "")
    query = """query($t: String!) { address(text: $t, first: 1) { points { edges { node {
      registeredPersons(first: %d) { edges { node { id spouses(first: 2) { totalCount }
        children(first: 2) { totalCount } sourceRecords(first: 2) { totalCount }
        events(first: 2) { totalCount } violationCount
        rents(first: 2) { edges { node { point { key } tenants(first: 2) { totalCount } } } }
      } } } } } } } }"""

    def graph_queries(n: int) -> int:
        api.query(query % n, t=text)
        return json.loads(audit_stream.getvalue().splitlines()[-1])["graph_queries"]

    assert graph_queries(2) == graph_queries(6) <= 12


def test_introspection_can_be_switched_off(neo4j_target, city):
    introspect = "{ __schema { queryType { name } } }"
    live = LiveApi(
        create_app(
            ApiSettings(HUITONG_JWT_SECRET=SECRET, HUITONG_INTROSPECTION=False),
            target=neo4j_target,
        )
    )
    try:
        errors = live.post(introspect, auth=token()).json()["errors"]
        assert "introspection" in errors[0]["message"].lower()
        assert live.request("GET", "/graphql").status_code == 401  # no GraphiQL either
    finally:
        live.close()


def test_graphiql_page_and_introspection_when_enabled(api):
    page = api.request("GET", "/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    sneaky = api.request("GET", "/graphql", params={"query": "{ me { role } }"})
    assert sneaky.status_code == 400 and "role" not in sneaky.text  # queries only by POST
    data = api.query("{ __schema { queryType { name } } }")
    assert data["__schema"]["queryType"]["name"] == "Query"


def test_neo4j_down_means_not_ready_and_a_clear_error():
    target = Neo4jTarget("bolt://127.0.0.1:9", "neo4j", "nothing", "neo4j")
    live = LiveApi(create_app(ApiSettings(HUITONG_JWT_SECRET=SECRET), target=target))
    try:
        assert live.request("GET", "/healthz").status_code == 200
        ready = live.request("GET", "/readyz")
        assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
        payload = live.post('{ person(id: "P-1") { __typename } }', auth=token()).json()
        assert payload["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    finally:
        live.close()
