"""A Neo4j outage under a served API: stop (or kill) the real server while clients ask and
stewards decide, start it again, and measure how the API answered and how soon it recovered.

    .venv/bin/python benchmarks/outage.py --persons 2000 --down 5 --mode kill

Starts a Neo4j of its own (a temporary home, a free port), publishes a generated city into it,
serves the API (``huitong serve``), then runs :func:`drill`: probes of ``/readyz`` and of a
GraphQL query every 100 ms and a steward deciding review candidates one after another, while
Neo4j is stopped (``--mode stop``: SIGTERM, a clean shutdown; ``kill``: SIGKILL, a crash) for
``--down`` seconds and started again. Prints the slowest answer during the outage, what it was,
HTTP 5xx, the recovery time (Bolt answering → ``/readyz`` 200, huitong not restarted) and
whether every decision is stored whole.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from served import ServedApi, free_port

from graph_schema.connection import Neo4jTarget, open_driver
from graph_schema.server import LocalNeo4j

PROBE = '{ person(id: "P-000000000000") { __typename } }'
DECIDE = """mutation($id: ID!) { decideCandidate(id: $id, decision: MATCH, reason: "停机演练") {
  __typename ... on StewardDecision { id } } }"""
STORED = """
MATCH (d:StewardDecision)
OPTIONAL MATCH (d)-[c:COVERS]->()
RETURN d.subject AS subject, d.coverage AS coverage, count(c) AS covers
"""


@dataclass
class Probe:
    sent: float  # monotonic
    kind: str
    status: int | None
    code: str | None
    seconds: float


@dataclass
class OutageReport:
    mode: str
    down_seconds: float
    restart_seconds: float = 0.0
    """Neo4j's start, until Bolt answered."""
    recovery_seconds: float = 0.0
    """Bolt answering → /readyz 200."""
    probes: list[Probe] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    stored: list[dict[str, Any]] = field(default_factory=list)
    window: tuple[float, float] = (0.0, 0.0)

    def during(self) -> list[Probe]:
        began, ended = self.window
        return [p for p in self.probes if began + 0.2 <= p.sent and p.sent + p.seconds < ended]

    @property
    def slowest_during(self) -> float:
        return max((p.seconds for p in self.during()), default=0.0)

    @property
    def server_errors(self) -> int:
        return sum(1 for p in self.probes if p.status is not None and p.status >= 500 and
                   p.kind != "readyz")  # fmt: skip

    @property
    def unavailable_answers(self) -> bool:
        """Every probe during the outage was told so: /readyz 503, SERVICE_UNAVAILABLE."""
        return all(
            (p.kind == "readyz" and p.status == 503)
            or (p.kind != "readyz" and p.code == "SERVICE_UNAVAILABLE")
            for p in self.during()
        )

    @property
    def decisions_whole(self) -> bool:
        """Each stored decision has all its COVERS links; each answered one is stored once."""
        whole = all(len(json.loads(d["coverage"])) == d["covers"] for d in self.stored)
        subjects = [d["subject"] for d in self.stored]
        answered = {d["id"] for d in self.decisions if d["ok"]}
        return whole and len(subjects) == len(set(subjects)) and answered <= set(subjects)

    def summary(self) -> str:
        during = self.during()
        return (
            f"{self.mode} for {self.down_seconds:g}s: {len(during)} answers during the outage, "
            f"slowest {self.slowest_during:.3f}s, all 'unavailable': {self.unavailable_answers}; "
            f"GraphQL 5xx {self.server_errors}; Neo4j restart {self.restart_seconds:.1f}s, "
            f"recovery after Bolt answered {self.recovery_seconds:.2f}s (no restart of huitong); "
            f"decisions answered {sum(d['ok'] for d in self.decisions)}/{len(self.decisions)}, "
            f"stored {len(self.stored)}, each whole: {self.decisions_whole}"
        )


def _probe(client: httpx.Client, kind: str, token: str) -> Probe:
    sent = time.monotonic()
    status = code = None
    try:
        if kind == "readyz":
            response = client.get("/readyz")
        else:
            response = client.post(
                "/graphql", json={"query": PROBE}, headers={"Authorization": f"Bearer {token}"}
            )
        status = response.status_code
        errors = response.json().get("errors") if kind != "readyz" else None
        code = ((errors[0].get("extensions") or {}).get("code")) if errors else None
    except (httpx.HTTPError, ValueError) as error:
        code = type(error).__name__
    return Probe(sent, kind, status, code, time.monotonic() - sent)


def drill(
    neo4j: LocalNeo4j,
    target: Neo4jTarget,
    api: ServedApi,
    token: str,
    steward_token: str,
    candidates: list[str],
    *,
    mode: str = "kill",
    down: float = 4.0,
) -> OutageReport:
    """Stop Neo4j for ``down`` seconds under probes and decisions, start it again."""
    report = OutageReport(mode, down)
    stop = threading.Event()
    client = httpx.Client(base_url=api.url, timeout=30)

    def probing(kind: str) -> None:
        while not stop.is_set():
            report.probes.append(_probe(client, kind, token))
            time.sleep(0.1)

    def deciding() -> None:
        # round and round: a decision sent again is answered with the stored one, so a slow
        # restart cannot run the list dry before the decisions after the outage are made
        for candidate in itertools.cycle(candidates):
            if stop.is_set():
                return
            began = time.monotonic()
            try:
                response = client.post(
                    "/graphql",
                    json={"query": DECIDE, "variables": {"id": candidate}},
                    headers={"Authorization": f"Bearer {steward_token}"},
                )
                payload = response.json()
                ok = response.status_code == 200 and not payload.get("errors")
                code = None if ok else (payload["errors"][0].get("extensions") or {}).get("code")
            except (httpx.HTTPError, ValueError) as error:
                ok, code = False, type(error).__name__
            report.decisions.append(
                {"id": candidate, "ok": ok, "code": code, "seconds": time.monotonic() - began}
            )
            time.sleep(0.15)

    threads = [
        threading.Thread(target=probing, args=("readyz",)),
        threading.Thread(target=probing, args=("graphql",)),
        threading.Thread(target=deciding),
    ]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.0)
        _decided_since(report, 0, timeout=60)  # a decision before the outage (a cold API is slow)
        went_down = time.monotonic()
        pid = neo4j.status().pid
        if mode == "kill":
            os.kill(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.01)
        else:
            neo4j.stop()
        time.sleep(down)
        restart = time.monotonic()
        report.window = (went_down, restart)
        neo4j.start()
        back = time.monotonic()
        report.restart_seconds = back - restart
        report.recovery_seconds = api.wait_for("/readyz", timeout=60)
        _decided_since(report, len(report.decisions), timeout=60)  # and one after it
        time.sleep(1.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
        client.close()
    with open_driver(target) as driver:
        records, _, _ = driver.execute_query(STORED, database_=target.database)
    mine = set(candidates)
    report.stored = [dict(r) for r in records if r["subject"] in mine]
    return report


def _decided_since(report: OutageReport, start: int, timeout: float) -> None:
    """Wait until a decision sent after the ``start``-th was answered without error."""
    deadline = time.monotonic() + timeout
    while not any(d["ok"] for d in report.decisions[start:]):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no decision answered in {timeout:g}s: {report.decisions[-3:]}")
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())


def review_candidates(target: Neo4jTarget, count: int) -> list[str]:
    with open_driver(target) as driver:
        records, _, _ = driver.execute_query(
            "MATCH (c:ReviewCandidate) RETURN c.id AS id ORDER BY c.priority DESC, c.id LIMIT $n",
            n=count,
            database_=target.database,
        )
    return [r["id"] for r in records]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--down", type=float, default=5.0)
    parser.add_argument("--mode", choices=("kill", "stop"), nargs="+", default=["stop", "kill"])
    args = parser.parse_args()
    from api.auth import issue_token
    from graph_schema.publish import publish
    from huitong.citygen import generate_city
    from loaders.config import load_config
    from resolution.pipeline import resolve

    root = Path(tempfile.mkdtemp(prefix="huitong-outage-"))
    runtime = Path(__file__).resolve().parents[1] / ".huitong" / "neo4j" / "5.26.30"
    neo4j = LocalNeo4j(root / "neo4j", free_port(), heap="1g", pagecache="512m",
                       runtime_dir=runtime if runtime.exists() else None)  # fmt: skip
    neo4j.start()
    env = neo4j.connection_env()
    target = Neo4jTarget(env["NEO4J_URI"], env["NEO4J_USER"], env["NEO4J_PASSWORD"], "neo4j")
    try:
        generate_city(persons=args.persons, seed=args.seed, out=root / "city")
        resolve(load_config(root / "city" / "sources.toml"), root / "work", progress=False)
        with open_driver(target) as driver:
            publish(root / "work", driver, progress=False)
        secret = "outage-" + "o" * 41
        served = {**os.environ, **env, "HUITONG_JWT_SECRET": secret,
                  "HUITONG_HOME": str(root / "home"),
                  "HUITONG_AUDIT_FILE": str(root / "audit.jsonl")}  # fmt: skip
        candidates = review_candidates(target, 100 * len(args.mode))
        with ServedApi(served, log=root / "server.log") as api:
            for number, mode in enumerate(args.mode):
                report = drill(
                    neo4j,
                    target,
                    api,
                    issue_token(secret, role="admin", subject="outage:probe"),
                    issue_token(secret, role="steward", subject=f"outage:{mode}"),
                    candidates[number * 100 : (number + 1) * 100],
                    mode=mode,
                    down=args.down,
                )
                print(report.summary(), flush=True)
    finally:
        neo4j.stop()


if __name__ == "__main__":
    main()
