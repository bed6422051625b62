"""One generated, resolved and published city for every API test, and the app serving it.

The city (800 persons) is generated, resolved and published into the session's Neo4j once for
the package. The app runs with its real lifespan in a background event loop and is called
through httpx's ASGI transport, the way a server would call it (lifespan state copied into
each request's scope). Truth comes from ``truth.csv`` (records → true entities) and the true
city the generator drew the files from.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from anyio.from_thread import start_blocking_portal

from api.app import create_app
from api.auth import issue_token
from api.config import ApiSettings
from graph_schema.connection import open_driver
from graph_schema.migrations import reset
from graph_schema.publish import publish
from huitong.citygen import generate_city, true_city
from loaders.config import load_config
from resolution.pipeline import resolve

PERSONS = 800
SEED = 29
SECRET = "test-secret-" + "k" * 40


@dataclass
class City:
    """The published city and its truth."""

    out: Path
    workdir: Path
    world: Any
    truth: dict[str, str]  # source/record_id/role → true id
    golden_of_record: dict[str, str]  # source record key → golden id
    golden_of_true: dict[str, str] = field(default_factory=dict)
    true_of_golden: dict[str, str] = field(default_factory=dict)
    quarantined: set[tuple[str, str]] = field(default_factory=set)

    def records_of_source(self, source: str) -> list[dict[str, str]]:
        """Rows of a generated CSV source, decoded with the encoding sources.toml states."""
        encodings = {"violations": "gbk", "rental": "gb18030", "unemployment": "utf-8-sig"}
        path = self.out / f"{source}.csv"
        text = path.read_bytes().decode(encodings.get(source, "utf-8"), errors="replace")
        return list(csv.DictReader(io.StringIO(text)))


def _majority(pairs) -> dict[str, str]:
    counts: dict[str, Counter] = defaultdict(Counter)
    for key, value in pairs:
        counts[key][value] += 1
    return {key: counter.most_common(1)[0][0] for key, counter in counts.items()}


@pytest.fixture(scope="package")
def graph_driver(neo4j_target):
    with open_driver(neo4j_target) as driver:
        yield driver


@pytest.fixture(scope="package")
def city(tmp_path_factory, graph_driver, neo4j_target) -> City:
    out = tmp_path_factory.mktemp("api-city")
    workdir = tmp_path_factory.mktemp("api-work")
    generate_city(persons=PERSONS, seed=SEED, out=out)
    resolve(load_config(out / "sources.toml"), workdir, progress=False)
    reset(graph_driver, neo4j_target.database)
    publish(workdir, graph_driver, neo4j_target.database, progress=False)

    truth = {}
    with (out / "truth.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            truth[f"{row['source']}/{row['record_id']}/{row['role']}"] = row["true_id"]
    records, _, _ = graph_driver.execute_query(
        "MATCH (s:SourceRecord)-[:RESOLVES_TO]->(g) RETURN s.key AS key, g.id AS golden"
    )
    golden_of_record = {r["key"]: r["golden"] for r in records}
    quarantined = set()
    with (out / "broken_rows.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            quarantined.add((row["source"], row["record_id"]))
    linked = [(k, truth[k]) for k in golden_of_record if k in truth]
    return City(
        out=out,
        workdir=workdir,
        world=true_city(PERSONS, SEED),
        truth=truth,
        golden_of_record=golden_of_record,
        golden_of_true=_majority((t, golden_of_record[k]) for k, t in linked),
        true_of_golden=_majority((golden_of_record[k], t) for k, t in linked),
        quarantined=quarantined,
    )


def token(role: str = "admin", **claims: Any) -> str:
    """A token for the test secret; department_app tokens get a department by default."""
    if role == "department_app":
        claims.setdefault("department", "城市管理和综合执法局")
    return issue_token(SECRET, role=role, subject=f"test:{role}", **claims)


class LiveApi:
    """The app with its lifespan running in a background loop; called over httpx's ASGI
    transport like a server calls it."""

    def __init__(self, app) -> None:
        self.app = app
        self._portal_cm = start_blocking_portal()
        self.portal = self._portal_cm.__enter__()
        self.portal.call(self._start)

    async def _start(self) -> None:
        self._lifespan = self.app.router.lifespan_context(self.app)
        self.state = await self._lifespan.__aenter__()
        transport = httpx.ASGITransport(app=self._serve, client=("10.0.0.7", 5123))
        self.client = httpx.AsyncClient(transport=transport, base_url="http://api.test")

    async def _serve(self, scope, receive, send) -> None:
        scope["state"] = dict(self.state)
        await self.app(scope, receive, send)

    async def _stop(self) -> None:
        await self.client.aclose()
        await self._lifespan.__aexit__(None, None, None)

    def close(self) -> None:
        self.portal.call(self._stop)
        self._portal_cm.__exit__(None, None, None)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.portal.call(lambda: self.client.request(method, path, **kwargs))

    def post(self, query: str, *, auth: str | None, variables: dict | None = None, **kw):
        """POST a GraphQL query; ``auth`` is a token (None: no Authorization header)."""
        headers = {"Authorization": f"Bearer {auth}"} if auth else {}
        body: dict[str, Any] = {"query": query}
        if variables:
            body["variables"] = variables
        return self.request("POST", "/graphql", json=body, headers=headers, **kw)

    def query(self, query: str, auth: str | None = None, **variables: Any) -> dict[str, Any]:
        """Run a query that must succeed; its ``data``."""
        response = self.post(query, auth=auth or token(), variables=variables or None)
        assert response.status_code == 200, response.text
        payload = response.json()
        assert not payload.get("errors"), json.dumps(payload["errors"], ensure_ascii=False)
        return payload["data"]


@pytest.fixture(scope="package")
def audit_stream() -> io.StringIO:
    return io.StringIO()


@pytest.fixture(scope="package")
def audit_file(tmp_path_factory) -> Path:
    """The package app's audit file (rotated every 64 KiB, so the tests cross rotations)."""
    return tmp_path_factory.mktemp("audit") / "audit.jsonl"


@pytest.fixture(scope="package")
def api(city, neo4j_target, audit_stream, audit_file):
    settings = ApiSettings(
        HUITONG_JWT_SECRET=SECRET,
        HUITONG_GRAPHIQL=True,
        HUITONG_AUDIT_FILE=str(audit_file),
        HUITONG_AUDIT_MAX_BYTES=64 << 10,
    )
    live = LiveApi(create_app(settings, target=neo4j_target, audit_stream=audit_stream))
    try:
        yield live
    finally:
        live.close()
