"""``huitong serve --workers 2``: two processes on one port that answer alike.

A real server (uvicorn's worker processes) on a free local port, called over HTTP. Requests
spread over the workers; ``/metrics`` must count all of them whichever worker answers it, a
token minted from the development secret must be accepted by every worker, and each worker
keeps an audit chain of its own that verifies (two writers of one chain would break it).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from api.audit import worker_files
from api.auth import issue_token, load_secret
from huitong.cli import app
from tests.conftest import free_port

REQUESTS = 24


@pytest.fixture
def two_workers(neo4j_target, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "HUITONG_HOME": str(tmp_path / "home"),  # the development secret is made here
        "HUITONG_AUDIT_FILE": str(tmp_path / "home" / "audit" / "audit.jsonl"),
        "NEO4J_URI": neo4j_target.uri,
        "NEO4J_USER": neo4j_target.user,
        "NEO4J_PASSWORD": neo4j_target.password,
    }
    env.pop("HUITONG_JWT_SECRET", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    huitong = Path(sys.executable).with_name("huitong")
    server = subprocess.Popen(
        [str(huitong), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Both workers up: each has claimed its audit file (made with its app), and one answers.
        # On a busy machine the second may start tens of seconds after the first.
        audit = tmp_path / "home" / "audit"
        deadline = time.monotonic() + 180
        while True:
            try:
                if (
                    httpx.get(f"{base}/healthz", timeout=2).status_code == 200
                    and (audit / "audit.worker2.jsonl").exists()
                ):
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            assert time.monotonic() < deadline, "the workers did not start in 180 s"
            time.sleep(0.3)
        secret = load_secret(None, tmp_path / "home")
        yield base, issue_token(secret, role="admin", subject="test:workers"), tmp_path / "home"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck worker
            server.kill()
            server.wait()


def test_two_workers_answer_alike_and_count_together(two_workers):
    base, token, _ = two_workers
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(REQUESTS):  # a new connection each: spread over both workers
        answer = httpx.post(
            f"{base}/graphql", json={"query": "{ __typename }"}, headers=headers, timeout=20
        )
        assert answer.status_code == 200, answer.text  # every worker knows the secret
        assert answer.json() == {"data": {"__typename": "Query"}}
    counts = {_requests_counted(httpx.get(f"{base}/metrics", timeout=20).text) for _ in range(8)}
    assert counts == {REQUESTS}, f"/metrics answered {counts}: one worker's counts only?"


def _requests_counted(metrics: str) -> float:
    total = 0.0
    for line in metrics.splitlines():
        match = re.match(r"^huitong_graphql_requests_total\{(.*)\} ([0-9.e+]+)$", line)
        if match and 'outcome="ok"' in match.group(1):
            total += float(match.group(2))
    return total


def test_each_worker_keeps_an_audit_chain_that_verifies(two_workers):
    base, token, home = two_workers
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(REQUESTS):
        answer = httpx.post(
            f"{base}/graphql", json={"query": "{ __typename }"}, headers=headers, timeout=20
        )
        assert answer.status_code == 200, answer.text
    audit = home / "audit" / "audit.jsonl"
    chains = worker_files(audit)
    deadline = time.monotonic() + 10
    while sum(_lines(chain) for chain in chains) < REQUESTS and time.monotonic() < deadline:
        time.sleep(0.1)  # each worker's writer thread fsyncs within milliseconds
        chains = worker_files(audit)
    assert [chain.name for chain in chains] == ["audit.jsonl", "audit.worker2.jsonl"]
    assert sum(_lines(chain) for chain in chains) == REQUESTS
    result = CliRunner().invoke(app, ["audit", "verify", "--path", str(audit)])
    assert result.exit_code == 0, result.output
    assert result.output.count("intact:") == 2, result.output


def _lines(path: Path) -> int:
    return len(path.read_bytes().splitlines()) if path.exists() else 0
