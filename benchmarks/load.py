"""Sustained load on the served API: many concurrent clients of every role for minutes.

    .venv/bin/python benchmarks/load.py --persons 20000 --clients 64 --seconds 300

Uses the graph Neo4j holds when it already holds the city's resolve run (else generates,
resolves and publishes it, as ``benchmarks/api_latency.py`` does), serves the API
(``huitong serve``, audit file and all, in its own process) and runs ``--clients`` clients for
``--seconds``, each sending one request after another, drawn (seeded) from a mixed workload:

- a district's department_app (masked identifiers, jurisdiction filter): repeat offenders,
  households, 360° views, searches, married women of childbearing age, unemployed residents,
  non-public enterprises, addresses;
- a city-wide department_app: 360° views and searches;
- a steward: the review queue, the decision history, and now and then a decision;
- an investigator: neighbourhoods (depth 2), paths, shared identifiers, timelines;
- an admin: ``me`` and 360° views.

An error is any answer that is not HTTP 200 with no GraphQL error, except a refusal with
``Retry-After`` (HTTP 503 overloaded, 429 rate limited): the server shedding load it could not
take in time, counted apart (*shed*); the client then waits what ``Retry-After`` says before
its next request, as a well-behaved client does. Prints requests, throughput, p50/p95/p99
overall and per operation (of the answered requests), errors, shed requests, the server's
resident memory after the warm-up and at the end (growth), and the machine's load average.
Exits 1 on any error or on memory growth over ``--max-growth`` (10%). The decisions it made are
removed afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from api_latency import ensure_published
from served import ServedApi

from api.auth import issue_token
from graph_schema.connection import open_driver, resolve_target

SECRET = "load-" + "l" * 43

Q = {
    "repeatOffenders": """query($a: String!) { repeatOffenders(address: $a, first: 10) {
      totalCount edges { via node { id name violationCount offenderClass } } } }""",
    "household": """query($a: String!) { household(address: $a, first: 20) { members {
      totalCount edges { node { person { id name idNumber } } } } } }""",
    "person": """query($id: ID!) { person(id: $id) { __typename ... on Person { id name
      idNumber phone district sourceRecords(first: 10) { totalCount edges { node { source
      recordId role } } } spouses { edges { node { id name } } }
      events(first: 10) { totalCount edges { node { type date } } } } } }""",
    "searchPeople": """query($n: String!) { searchPeople(name: $n, first: 10) { totalCount
      edges { via score node { id name idNumber } } } }""",
    "marriedWomen": """query($c: String!, $d: String) {
      marriedWomenOfChildbearingAge(community: $c, district: $d, first: 20) {
      totalCount edges { node { id name birthDate } } } }""",
    "unemployed": """query($c: String!, $d: String) {
      unemployedResidents(community: $c, district: $d, first: 20) {
      totalCount edges { node { person { id name } } } } }""",
    "nonPublic": """query($s: String!, $d: String) {
      nonPublicEnterprises(street: $s, district: $d, first: 20) {
      totalCount edges { node { id name } } } }""",
    "address": """query($a: String!) { address(text: $a, first: 5) { points { totalCount
      edges { node { key district street community } } } } }""",
    "reviewQueue": """query($e: EntityType!) { reviewQueue(entity: $e, first: 20) {
      totalCount edges { node { id matchProbability left { key name } right { key name } } } } }""",
    "decisions": """{ decisions(first: 20) { totalCount edges { node { id kind subject } } } }""",
    "decide": """mutation($id: ID!, $d: Decision!) { decideCandidate(id: $id, decision: $d,
      reason: "负载测试") { __typename ... on StewardDecision { id } } }""",
    "neighborhood": """query($id: ID!) { neighborhood(id: $id, depth: 2, first: 100) {
      totalCount truncated nodes { id kind label } edges { source target type } } }""",
    "connections": """query($a: ID!, $b: ID!) { connections(fromId: $a, toId: $b, maxHops: 4) {
      truncated paths { length } } }""",
    "sharedIdentifiers": """{ sharedIdentifiers(kind: PHONE, minEntities: 3, first: 10) {
      totalCount items { value entityCount } } }""",
    "timeline": """query($id: ID!) { timeline(id: $id) {
      truncated entries { kind date type } } }""",
    "me": """{ me { subject role department district } }""",
}


@dataclass
class Inputs:
    district: str
    people: list[str]
    local_people: list[str]
    names: list[str]
    addresses: list[str]
    communities: list[str]
    streets: list[str]
    candidates: list[str]


def sample_inputs(seed: int) -> Inputs:
    """Real IDs, names and places from the graph, most of them in its busiest district."""
    rng = random.Random(seed)
    with open_driver() as driver:

        def values(query: str, **params: Any) -> list:
            records, _, _ = driver.execute_query(query, **params)
            return [r[0] for r in records]

        district = values(
            "MATCH (p:Person) WHERE p.district IS NOT NULL RETURN p.district, count(*) AS n "
            "ORDER BY n DESC LIMIT 1"
        )[0]
        people = values("MATCH (p:Person) WHERE p.mention_count >= 2 RETURN p.id LIMIT 5000")
        local = values(
            "MATCH (p:Person {district: $d}) WHERE p.mention_count >= 2 RETURN p.id LIMIT 3000",
            d=district,
        )
        names = values("MATCH (p:Person {district: $d}) RETURN p.name LIMIT 3000", d=district)
        addresses = values(
            "MATCH (a:AddressPoint {district: $d}) WHERE a.text IS NOT NULL "
            "RETURN a.text LIMIT 3000",
            d=district,
        )
        communities = values(
            "MATCH (c:Community {district: $d}) RETURN c.name LIMIT 200", d=district
        )
        streets = values("MATCH (s:Street {district: $d}) RETURN s.name LIMIT 200", d=district)
        candidates = values(
            "MATCH (c:ReviewCandidate) RETURN c.id ORDER BY c.priority DESC LIMIT 2000"
        )
    for found in (people, local, names, addresses, communities, streets, candidates):
        rng.shuffle(found)
    return Inputs(district, people, local, names, addresses, communities, streets, candidates)


@dataclass
class Role:
    name: str
    token: str
    weight: float
    operations: list[tuple[float, str]]  # (weight, operation)


def roles(inputs: Inputs) -> list[Role]:
    def token(role: str, **claims: Any) -> str:
        return issue_token(
            SECRET, role=role, subject=f"load:{role}", ttl=timedelta(hours=2), **claims
        )

    department = "城市管理和综合执法局"
    return [
        Role("department_app (district)",
             token("department_app", department=department, district=inputs.district), 0.35,
             [(3, "repeatOffenders"), (2, "household"), (3, "person"), (2, "searchPeople"),
              (1, "marriedWomen"), (1, "unemployed"), (1, "nonPublic"), (1, "address")]),
        Role("department_app (city-wide)", token("department_app", department="来穗人员服务管理局"),
             0.15, [(3, "person"), (2, "searchPeople"), (1, "address")]),
        Role("steward", token("steward", department="政务服务数据管理局"), 0.15,
             [(5, "reviewQueue"), (2, "decisions"), (0.5, "decide")]),
        Role("investigator", token("investigator", department="公安局"), 0.25,
             [(3, "neighborhood"), (1, "connections"), (1, "sharedIdentifiers"), (3, "timeline")]),
        Role("admin", token("admin"), 0.10, [(1, "me"), (3, "person")]),
    ]  # fmt: skip


def variables(operation: str, role: Role, inputs: Inputs, rng: random.Random) -> dict | None:
    local = "district" in role.name
    people = inputs.local_people if local else inputs.people
    pick = rng.choice
    if operation in ("repeatOffenders", "household", "address"):
        return {"a": pick(inputs.addresses)}
    if operation in ("person", "neighborhood", "timeline"):
        return {"id": pick(people)}
    if operation == "searchPeople":
        return {"n": pick(inputs.names)}
    if operation in ("marriedWomen", "unemployed"):
        return {"c": pick(inputs.communities), "d": inputs.district}
    if operation == "nonPublic":
        return {"s": pick(inputs.streets), "d": inputs.district}
    if operation == "reviewQueue":
        return {"e": pick(["PERSON", "PERSON", "ENTERPRISE", "RENTAL_UNIT"])}
    if operation == "decide":
        return {"id": pick(inputs.candidates), "d": pick(["MATCH", "NOT_A_MATCH"])}
    if operation == "connections":
        a, b = rng.sample(people, 2)
        return {"a": a, "b": b}
    return None


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    shed: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    rss: list[tuple[float, int]] = field(default_factory=list)


async def client_loop(
    number: int, client: httpx.AsyncClient, plan: list[Role], inputs: Inputs, seed: int,
    deadline: float, results: Results,
) -> None:  # fmt: skip
    rng = random.Random(seed * 1000 + number)
    weights = [role.weight for role in plan]
    while time.monotonic() < deadline:
        role = rng.choices(plan, weights)[0]
        operation = rng.choices([o for _, o in role.operations],
                                [w for w, _ in role.operations])[0]  # fmt: skip
        body: dict[str, Any] = {"query": Q[operation]}
        found = variables(operation, role, inputs, rng)
        if found:
            body["variables"] = found
        began = time.perf_counter()
        retry_after = None
        try:
            response = await client.post(
                "/graphql", json=body, headers={"Authorization": f"Bearer {role.token}"}
            )
            if response.status_code in (429, 503) and "retry-after" in response.headers:
                retry_after = float(response.headers["retry-after"])
            problem = None if response.status_code == 200 else f"HTTP {response.status_code}"
            if problem is None:
                errors = response.json().get("errors")
                if errors:
                    code = (errors[0].get("extensions") or {}).get("code") or "none"
                    problem = f"{code}: {errors[0].get('message', '')[:120]}"
        except (httpx.HTTPError, ValueError) as error:
            problem = type(error).__name__
        if retry_after is not None:
            results.shed[f"{operation} {problem}"] += 1
            await asyncio.sleep(min(retry_after, max(0.0, deadline - time.monotonic())))
            continue
        results.latencies[operation].append(time.perf_counter() - began)
        if problem:
            key = f"{operation} {problem.split(':')[0]}"
            results.errors[key] += 1
            results.examples.setdefault(key, f"{problem} {json.dumps(found, ensure_ascii=False)}")


async def watch_memory(api: ServedApi, deadline: float, results: Results) -> None:
    began = time.monotonic()
    while time.monotonic() < deadline:
        results.rss.append((time.monotonic() - began, api.rss_bytes()))
        await asyncio.sleep(5)
    results.rss.append((time.monotonic() - began, api.rss_bytes()))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))] * 1000 if ordered else 0


async def run(args, api: ServedApi, inputs: Inputs) -> Results:
    plan = roles(inputs)
    results = Results()
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    async with httpx.AsyncClient(base_url=api.url, timeout=60, limits=limits) as client:
        warm = Results()
        warm_until = time.monotonic() + args.warmup
        await asyncio.gather(*(client_loop(n, client, plan, inputs, args.seed + 99, warm_until,
                                           warm) for n in range(args.clients)))  # fmt: skip
        deadline = time.monotonic() + args.seconds
        await asyncio.gather(
            watch_memory(api, deadline, results),
            *(client_loop(n, client, plan, inputs, args.seed, deadline, results)
              for n in range(args.clients)),
        )  # fmt: skip
        results.errors.update({f"(warm-up) {k}": v for k, v in warm.errors.items()})
        results.shed.update({f"(warm-up) {k}": v for k, v in warm.shed.items()})
        results.examples.update(warm.examples)
    return results


def report(args, results: Results, load_before: tuple, load_after: tuple) -> bool:
    everything = [x for values in results.latencies.values() for x in values]
    total = len(everything)
    print(f"\n{args.clients} clients for {args.seconds}s (after a {args.warmup}s warm-up), "
          f"graph of {args.persons:,} persons; machine: {os.cpu_count()} cores, load average "
          f"{load_before[0]:.1f} before, {load_after[0]:.1f} after")  # fmt: skip
    print(
        f"{total:,} requests, {total / args.seconds:,.1f}/s; p50 {percentile(everything, 0.5):.0f}"
        f" ms, p95 {percentile(everything, 0.95):.0f} ms, p99 {percentile(everything, 0.99):.0f} ms"
    )
    print(f"{'operation':<20}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for operation, values in sorted(results.latencies.items(), key=lambda kv: -len(kv[1])):
        print(f"{operation:<20}{len(values):>9}{percentile(values, .5):>9.0f}"
              f"{percentile(values, .95):>9.0f}{percentile(values, .99):>9.0f}")  # fmt: skip
    errors = sum(results.errors.values())
    print(f"errors: {errors} {dict(results.errors) if errors else ''}")
    shed = sum(results.shed.values())
    print(f"shed (refused with Retry-After, not errors): {shed} {dict(results.shed) or ''}")
    for key, example in list(results.examples.items())[:10]:
        print(f"  {key}: {example}")
    baseline = results.rss[0][1]
    final = results.rss[-1][1]
    peak = max(r for _, r in results.rss)
    growth = (final - baseline) / baseline
    print(
        f"server RSS: {baseline / 2**20:.0f} MiB after warm-up, {final / 2**20:.0f} MiB at the "
        f"end, peak {peak / 2**20:.0f} MiB: growth {growth:+.1%} (limit {args.max_growth:.0%})"
    )
    return errors == 0 and growth <= args.max_growth


def remove_decisions() -> int:
    with open_driver() as driver:
        records, _, _ = driver.execute_query(
            "MATCH (d:StewardDecision) WHERE d.decided_by = 'load:steward' "
            "DETACH DELETE d RETURN count(*) AS n"
        )
    return records[0]["n"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--max-growth", type=float, default=0.10)
    args = parser.parse_args()
    ensure_published(args.persons, args.seed, args.workdir)
    inputs = sample_inputs(args.seed)
    target = resolve_target()
    home = Path(tempfile.mkdtemp(prefix="huitong-load-"))
    env = {**os.environ, "NEO4J_URI": target.uri, "NEO4J_USER": target.user,
           "NEO4J_PASSWORD": target.password, "NEO4J_DATABASE": target.database,
           "HUITONG_JWT_SECRET": SECRET, "HUITONG_HOME": str(home),
           "HUITONG_AUDIT_FILE": str(home / "audit.jsonl")}  # fmt: skip
    load_before = os.getloadavg()
    try:
        with ServedApi(env, log=home / "server.log") as api:
            results = asyncio.run(run(args, api, inputs))
        load_after = os.getloadavg()
    finally:
        removed = remove_decisions()
    ok = report(args, results, load_before, load_after)
    print(
        f"audit trail: {home / 'audit.jsonl'} (check: huitong audit verify --path …); "
        f"{removed} decisions made under load removed"
    )
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
