"""Latency of the investigators' ``neighborhood`` query (depth 2) over random entities.

    .venv/bin/python benchmarks/neighborhood_latency.py 100000 --samples 300 --own-server

Uses the graph Neo4j holds when it already holds the city's resolve run; otherwise generates
the city (``--seed``), resolves it and publishes it (see ``api_latency.ensure_published``;
that replaces what the target holds). ``--own-server`` starts a private Neo4j in a temporary
home on a free port for the run, so no shared graph is touched. The app runs in-process (its
real lifespan and middleware, called over httpx's ASGI transport as a server would); requests
go one at a time for ``--samples`` golden records drawn at random (persons, enterprises, rental
units in proportion). Prints p50/p95/p99 latency, nodes returned and how often a cap was hit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_latency import ensure_published

from api.app import create_app
from api.auth import issue_token
from api.config import ApiSettings
from graph_schema.connection import open_driver, resolve_target

SECRET = "benchmark-" + "s" * 40
NEIGHBORHOOD = """query($id: ID!) { neighborhood(id: $id, depth: 2) {
  truncated totalCount nodes { id kind label } edges { source target type } } }"""


class _Sink:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def sample_ids(count: int, seed: int) -> list[str]:
    """``count`` golden IDs drawn at random (seeded) from the published graph."""
    with open_driver() as driver:
        records, _, _ = driver.execute_query(
            "MATCH (n) WHERE n:Person OR n:Enterprise OR n:RentalUnit RETURN n.id AS id"
        )
    ids = sorted(r["id"] for r in records)
    return random.Random(seed).sample(ids, min(count, len(ids)))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def measure(ids: list[str], warmup: int) -> dict[str, float]:
    app = create_app(
        ApiSettings(HUITONG_JWT_SECRET=SECRET), target=resolve_target(), audit_stream=_Sink()
    )
    auth = {"Authorization": "Bearer " + issue_token(SECRET, role="investigator", subject="bench")}
    latencies, nodes, truncated = [], [], 0
    async with app.router.lifespan_context(app) as state:

        async def serve(scope, receive, send):
            scope["state"] = dict(state)
            await app(scope, receive, send)

        transport = httpx.ASGITransport(app=serve)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for index, golden_id in enumerate(ids):
                began = time.perf_counter()
                response = await client.post(
                    "/graphql",
                    json={"query": NEIGHBORHOOD, "variables": {"id": golden_id}},
                    headers=auth,
                )
                elapsed = time.perf_counter() - began
                payload = response.json()
                if payload.get("errors"):
                    raise SystemExit(f"{golden_id}: {payload['errors']}")
                if index < warmup:
                    continue
                hood = payload["data"]["neighborhood"]
                latencies.append(elapsed * 1000)
                nodes.append(len(hood["nodes"]))
                truncated += hood["truncated"]
    return {
        "samples": len(latencies),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "mean_ms": round(statistics.fmean(latencies), 1),
        "mean_nodes": round(statistics.fmean(nodes), 1),
        "max_nodes": max(nodes),
        "truncated_share": round(truncated / len(latencies), 3),
    }


def start_own_server():
    """A private Neo4j for this run; NEO4J_* point at it."""
    from graph_schema.server import NEO4J_VERSION, LocalNeo4j

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    repo = Path(__file__).resolve().parent.parent
    server = LocalNeo4j(
        Path(tempfile.mkdtemp(prefix="huitong-bench-hood-")),
        port,
        heap="3g",
        pagecache="3g",
        runtime_dir=repo / ".huitong" / "neo4j" / NEO4J_VERSION,
        start_timeout=300,
    )
    server.start()
    os.environ.update(server.connection_env())
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("persons", type=int, help="city size (generated if not published)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=None, help="resolved workdir to use")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--own-server", action="store_true", help="start a private Neo4j")
    args = parser.parse_args()
    server = start_own_server() if args.own_server else None
    try:
        ensure_published(args.persons, args.seed, args.workdir)
        ids = sample_ids(args.samples + args.warmup, args.seed)
        result = asyncio.run(measure(ids, args.warmup))
        print(json.dumps({"persons": args.persons, "depth": 2, **result}, indent=2))
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
