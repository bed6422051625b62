"""Change-feed latency: ``changes`` first page p50/p95 on a graph holding ≥ 1M change entries.

    .venv/bin/python benchmarks/change_feed.py --persons 100000 --entries 1000000

Publishes the city as ``api_latency.py`` does (or uses the published one): its first publish
writes a CREATED entry per golden record and an EVENT entry per event participant. The feed is
then topped up to ``--entries`` with synthetic UPDATED entries through the same writer
(:func:`graph_schema.changes.write_changes`, 10,000 per transaction), each about a real person
and placed where that person lies, so every jurisdiction's share is as the city's. Then it
serves the API and times ``changes(first: 100)`` from the oldest entry and from a cursor in the
middle, for a city-wide admin, a district, a street and a community department app, and beside
each the page's Cypher alone (the one query the API runs for a page, through the driver with
the same ``$scope``), so the feed's storage and the API's own cost can be told apart.
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time
from datetime import UTC, datetime

import httpx
import uvicorn
from api_latency import SECRET, ensure_published, free_port

from api.app import create_app
from api.auth import issue_token
from api.config import ApiSettings
from api.pagination import encode_seq_cursor
from graph_schema import change_queries
from graph_schema.api_queries import read_area
from graph_schema.changes import feed_state, write_changes
from graph_schema.connection import open_driver

FEED = """query($after: String) { changes(after: $after, first: 100) { resumeAfter
  edges { node { seq kind entityId district fields { name before after } } } } }"""


def top_up(target: int) -> int:
    """Synthetic UPDATED entries about real persons until the feed holds ``target``."""
    with open_driver() as driver:
        head = feed_state(driver).head
        records, _, _ = driver.execute_query(
            "MATCH (p:Person) RETURN p.id AS id, p.point_key AS point_key, "
            "p.district AS district, p.street AS street, p.community AS community"
        )
        people = [dict(r) for r in records]
        rng = random.Random(7)
        at = datetime.now(UTC)
        while head < target:
            batch = []
            for i in range(min(10_000, target - head)):
                p = rng.choice(people)
                batch.append({
                    "key": f"bench-topup-{head + i}", "kind": "UPDATED", "entity": "person",
                    "entity_id": p["id"], "run_id": "bench-topup", "at": at,
                    "point_key": p["point_key"], "district": p["district"],
                    "street": p["street"], "community": p["community"],
                    "fields": [{"name": "phone", "before": "13800000000",
                                "after": f"139{rng.randrange(10**8):08d}", "source": "bench"}],
                })  # fmt: skip
            with driver.session() as session:
                session.execute_write(write_changes, batch)
            head = feed_state(driver).head
            print(f"  feed holds {head:,} entries", flush=True)
        return head


def cypher_alone(driver, jurisdiction: tuple, after: int | None, requests: int) -> list[float]:
    """Milliseconds of the page query alone (first 100 after ``after``), ``requests`` times."""
    district, street, community = jurisdiction
    scope = read_area(driver, district, street, community)
    query = change_queries.feed_page(scope)
    timings = []
    for _ in range(requests):
        began = time.perf_counter()
        driver.execute_query(query, feed=change_queries.FEED_KEY, scope=scope, after=after,
                             limit=101, kinds=None, entity=None)  # fmt: skip
        timings.append((time.perf_counter() - began) * 1000)
    return timings


def percentiles(timings: list[float]) -> str:
    timings = sorted(timings)
    p95 = timings[int(len(timings) * 0.95) - 1]
    return f"p50 {statistics.median(timings):6.1f} ms  p95 {p95:6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    ensure_published(args.persons, args.seed, None)
    head = top_up(args.entries)
    with open_driver() as driver:
        records, _, _ = driver.execute_query(
            "MATCH (p:Person) WHERE p.community IS NOT NULL AND p.street IS NOT NULL "
            "RETURN p.district AS d, p.street AS s, p.community AS c, count(*) AS n "
            "ORDER BY n DESC LIMIT 1"
        )
    d, s, c = records[0]["d"], records[0]["s"], records[0]["c"]
    places = {
        "admin (city)": (None, None, None),
        "district app": (d, None, None),
        "street app": (d, s, None),
        "community app": (d, s, c),
    }
    tokens = {
        who: issue_token(SECRET, role="admin", subject="bench")
        if district is None
        else issue_token(SECRET, role="department_app", subject="bench", department="bench",
                         district=district, street=street, community=community)
        for who, (district, street, community) in places.items()
    }  # fmt: skip
    app = create_app(ApiSettings(HUITONG_JWT_SECRET=SECRET))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}/graphql"
    print(f"feed: {head:,} entries; {args.requests} requests per line (first page of 100)")
    with httpx.Client(timeout=60) as client, open_driver() as driver:
        for who, auth in tokens.items():
            headers = {"Authorization": f"Bearer {auth}"}
            for start, after in (("oldest", None), ("middle", head // 2)):
                cursor = encode_seq_cursor(after) if after is not None else None
                timings = []
                for _ in range(args.requests):
                    began = time.perf_counter()
                    response = client.post(
                        url, json={"query": FEED, "variables": {"after": cursor}}, headers=headers
                    )
                    timings.append((time.perf_counter() - began) * 1000)
                    body = response.json()
                    assert not body.get("errors"), body
                alone = cypher_alone(driver, places[who], after, args.requests)
                print(f"{who:<14} from {start:<6}  {percentiles(timings)}   "
                      f"Cypher alone {percentiles(alone)}", flush=True)  # fmt: skip
    server.should_exit = True


if __name__ == "__main__":
    main()
