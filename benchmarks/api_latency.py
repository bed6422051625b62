"""GraphQL API latency and throughput under concurrent load, beside the same Cypher alone.

    .venv/bin/python benchmarks/api_latency.py 100000 --concurrency 8 --requests 2000
    .venv/bin/python benchmarks/api_latency.py 100000 --workers 1 2   # throughput per worker count

Uses the graph Neo4j holds when it already holds the city's resolve run; otherwise generates
the city (``--seed``), resolves it and publishes it (into ``NEO4J_URI`` or the local server,
replacing what is there). Then it serves the API with uvicorn on a free local port and sends
``repeatOffenders`` (at the busiest violation places), ``person`` (360° view) and
``reviewQueue`` (a steward's first page of 20, with both entities' records) requests over HTTP
from ``--concurrency`` clients. The baseline runs, for each request, exactly the Cypher
statements the API ran for it (recorded once), one after another, through the async driver
with the same concurrency. Prints p50/p95/p99 latency, throughput and the overhead ratio.
With ``--workers 1 2`` the API is served by ``huitong serve --workers N`` for each count in turn
under the same load, and the throughput of each count is printed side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from neo4j import AsyncGraphDatabase, RoutingControl

from api.app import create_app
from api.auth import issue_token
from api.config import ApiSettings
from graph_schema import api_queries
from graph_schema.connection import open_driver, resolve_target

SECRET = "benchmark-" + "s" * 40
REPEAT_OFFENDERS = """query($a: String!) { repeatOffenders(address: $a) { totalCount
  edges { via node { id name violationCount offenderClass } } } }"""
PERSON = """query($id: ID!) { person(id: $id) { __typename ... on Person { id name idNumber
  phone district sourceRecords(first: 10) { totalCount edges { node { source recordId role } } }
  spouses { edges { node { id name } } }
  events(first: 10) { totalCount edges { roles node { type date } } } } } }"""
REVIEW_QUEUE = """query($entity: EntityType!) { reviewQueue(entity: $entity, first: 20) { totalCount
  edges { node { id matchProbability comparisons { name matchWeight } left { key name }
  right { key name } leftCluster { id size records { key name } }
  rightCluster { id size records { key name } } } } } }"""


def ensure_published(persons: int, seed: int, workdir: Path | None) -> str:
    """The published run: the existing one when it is this city's, else a fresh publish."""
    city = Path(tempfile.gettempdir()) / f"huitong-city-standard-{persons}-{seed}"
    workdir = workdir or Path(tempfile.gettempdir()) / f"huitong-bench-api-{persons}-{seed}"
    report = workdir / "resolve_report.json"
    with open_driver() as driver:
        records, _, _ = driver.execute_query(api_queries.READINESS)
        published = records[0]["publish_run"]
        run = json.loads(report.read_text())["run_id"] if report.exists() else None
        if run is not None and published == run:
            print(f"using the published graph (run {run})")
            return run
        from graph_schema.migrations import reset
        from graph_schema.publish import publish
        from huitong.citygen import generate_city
        from loaders.config import load_config
        from resolution.pipeline import resolve

        if run is None:
            if not (city / "sources.toml").exists():
                began = time.perf_counter()
                generate_city(persons=persons, seed=seed, out=city)
                print(f"generated {city} in {time.perf_counter() - began:.0f}s")
            began = time.perf_counter()
            run = resolve(load_config(city / "sources.toml"), workdir, progress=False).run_id
            print(f"resolved into {workdir} in {time.perf_counter() - began:.0f}s")
        began = time.perf_counter()
        reset(driver)
        publish(workdir, driver, progress=False)
        print(f"published run {run} in {time.perf_counter() - began:.0f}s")
        return run


def sample_inputs(count: int, seed: int) -> tuple[list[str], list[str]]:
    """Busiest violation addresses and a random sample of persons."""
    with open_driver() as driver:
        places, _, _ = driver.execute_query(
            "MATCH (:Violation)-[:AT]->(a:AddressPoint) WITH a, count(*) AS n "
            "ORDER BY n DESC LIMIT 20 RETURN a.text AS text",
            routing_=RoutingControl.READ,
        )
        people, _, _ = driver.execute_query(
            "MATCH (p:Person) WHERE p.mention_count >= 2 RETURN p.id AS id LIMIT 5000",
            routing_=RoutingControl.READ,
        )
    rng = random.Random(seed)
    ids = [r["id"] for r in people]
    return [r["text"] for r in places], rng.sample(ids, min(count, len(ids)))


class _Discard:
    """An audit stream that keeps nothing (the benchmark measures, it does not audit)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(target, port: int, workers: int = 1) -> subprocess.Popen:
    """The API under ``huitong serve --workers`` in its own process(es) (the load generator
    keeps this one's GIL)."""
    env = {
        **os.environ,
        "HUITONG_JWT_SECRET": SECRET,
        "NEO4J_URI": target.uri,
        "NEO4J_USER": target.user,
        "NEO4J_PASSWORD": target.password,
        "NEO4J_DATABASE": target.database,
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("huitong")), "serve", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise SystemExit("the API did not become ready in 30 s")


async def record_statements(app, jobs: list[tuple[str, dict]], auth: str) -> list[list]:
    """The Cypher the API runs for each job, recorded in-process."""
    recorded: list[list] = []
    async with app.router.lifespan_context(app) as state:
        current: list = []

        async def with_recorder(scope, receive, send):
            scope["state"] = {**state, "query_recorder": current}
            await app(scope, receive, send)

        transport = httpx.ASGITransport(app=with_recorder)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for query, variables in jobs:
                current.clear()
                response = await client.post(
                    "/graphql",
                    json={"query": query, "variables": variables},
                    headers={"Authorization": f"Bearer {auth}"},
                )
                assert not response.json().get("errors"), response.text
                recorded.append(list(current))
    return recorded


async def load(run_one, jobs: list[Any], concurrency: int) -> tuple[list[float], float]:
    """Run every job with ``concurrency`` workers; per-job seconds and the wall time."""
    queue: asyncio.Queue = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    latencies: list[float] = []

    async def worker() -> None:
        while not queue.empty():
            job = queue.get_nowait()
            began = time.perf_counter()
            await run_one(job)
            latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - began


def summary(latencies: list[float], wall: float) -> dict[str, float]:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))] * 1000

    return {
        "p50": pct(0.50),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "mean": statistics.fmean(ordered) * 1000,
        "rps": len(ordered) / wall,
    }


async def benchmark(args, workers: int = 1) -> dict[str, float]:
    places, people = sample_inputs(args.requests, args.seed)
    if not places:
        raise SystemExit("the graph has no violations: nothing to ask repeatOffenders")
    rng = random.Random(args.seed)
    distinct = {
        "repeatOffenders": [(REPEAT_OFFENDERS, {"a": rng.choice(places)}) for _ in places],
        "person": [(PERSON, {"id": person}) for person in people[: args.distinct]],
        "reviewQueue": [
            (REVIEW_QUEUE, {"entity": entity}) for entity in ("PERSON", "ENTERPRISE", "RENTAL_UNIT")
        ],
    }
    auth = issue_token(SECRET, role="admin", subject="benchmark")
    settings = ApiSettings(HUITONG_JWT_SECRET=SECRET)
    target = resolve_target()
    port = free_port()
    server = serve(target, port, workers)
    driver = AsyncGraphDatabase.driver(
        target.uri, auth=(target.user, target.password), notifications_min_severity="OFF"
    )
    rows = []
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {auth}"},
            limits=httpx.Limits(max_connections=args.concurrency * 2),
        ) as client:
            for name, unique in distinct.items():
                statements = await record_statements(
                    create_app(settings, target=target, audit_stream=_Discard()), unique, auth
                )
                jobs = [unique[i % len(unique)] for i in range(args.requests)]

                async def via_api(job, client=client):
                    response = await client.post(
                        "/graphql", json={"query": job[0], "variables": job[1]}
                    )
                    response.raise_for_status()

                async def via_driver(index: int, statements=statements):
                    for query, params in statements[index]:
                        await driver.execute_query(
                            query,
                            parameters_=params,
                            routing_=RoutingControl.READ,
                            database_=target.database,
                            bookmark_manager_=None,
                        )

                warm = jobs[: min(50, len(jobs))]
                await load(via_api, warm, args.concurrency)
                api_lat, api_wall = await load(via_api, jobs, args.concurrency)
                indexes = [i % len(unique) for i in range(len(jobs))]
                await load(via_driver, indexes[:50], args.concurrency)
                raw_lat, raw_wall = await load(via_driver, indexes, args.concurrency)
                per_request = statistics.fmean(len(s) for s in statements)
                rows.append((name, "GraphQL over HTTP", summary(api_lat, api_wall), per_request))
                rows.append((name, "same Cypher, driver", summary(raw_lat, raw_wall), per_request))
    finally:
        await driver.close()
        server.terminate()
        server.wait(timeout=10)
    print(
        f"\n{args.requests} requests per workload, concurrency {args.concurrency}, "
        f"graph of {args.persons:,} persons, {workers} API worker(s)"
    )
    print(f"{'query':<17}{'path':<22}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'req/s':>9}"
          f"{'stmts':>7}")  # fmt: skip
    for name, path, stats, statements in rows:
        print(
            f"{name:<17}{path:<22}{stats['p50']:>8.1f}{stats['p95']:>8.1f}{stats['p99']:>8.1f}"
            f"{stats['rps']:>9.0f}{statements:>7.1f}"
        )
    for index in range(0, len(rows), 2):
        api_stats, raw_stats = rows[index][2], rows[index + 1][2]
        print(
            f"{rows[index][0]}: GraphQL/driver p95 ratio "
            f"{api_stats['p95'] / max(raw_stats['p95'], 1e-9):.2f}x"
        )
    return {name: stats["rps"] for name, path, stats, _ in rows if path == "GraphQL over HTTP"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("persons", type=int, help="city size (generated if not published)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=None, help="resolved workdir to use")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=500, help="per workload")
    parser.add_argument("--distinct", type=int, default=100, help="requests recorded for Cypher")
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1], help="API worker counts to compare"
    )
    args = parser.parse_args()
    ensure_published(args.persons, args.seed, args.workdir)
    throughput = {workers: asyncio.run(benchmark(args, workers)) for workers in args.workers}
    if len(throughput) > 1:
        print(f"\nGraphQL req/s by API workers ({os.cpu_count()} CPUs, load {os.getloadavg()})")
        print(f"{'query':<17}" + "".join(f"{f'{w} worker(s)':>14}" for w in throughput))
        for name in next(iter(throughput.values())):
            print(f"{name:<17}" + "".join(f"{rps[name]:>14.0f}" for rps in throughput.values()))


if __name__ == "__main__":
    main()
