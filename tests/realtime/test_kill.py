"""A server killed right after it answered loses nothing: ``huitong serve --workdir`` in its own
process takes a submission, is SIGKILLed the moment the answer arrives, and the next resolve
still has the row, with the golden ID it was given; a restarted server answers the same call
UNCHANGED."""

from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from resolution.pipeline import export_clusters, resolve
from tests.api.conftest import SECRET, token

SUBMIT = """mutation($rows: [JSON!]!) { submitRecords(source: "hukou", rows: $rows) {
  sequence rows { recordId status mentions { role entityId } } } }"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(workdir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "HUITONG_JWT_SECRET": SECRET}
    process = subprocess.Popen(
        [sys.executable, "-m", "huitong.cli", "serve", "--port", str(port), "--workdir",
         str(workdir)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode(errors="replace"))
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.5)
    process.kill()
    raise AssertionError("the server did not start")


def _submit(port: int, rows: list[dict]) -> dict:
    response = httpx.post(
        f"http://127.0.0.1:{port}/graphql",
        json={"query": SUBMIT, "variables": {"rows": rows}},
        headers={"Authorization": f"Bearer {token()}"},
        timeout=120,
    )
    payload = response.json()
    assert not payload.get("errors"), payload
    return payload["data"]["submitRecords"]


def test_a_killed_server_loses_nothing_it_answered(city, tmp_path):
    rows = city.rows["hukou"][7:9]
    port = _free_port()
    server = _serve(city.workdir, port)
    try:
        answer = _submit(port, rows)
    finally:
        os.kill(server.pid, signal.SIGKILL)  # right after the answer
        server.wait()
    assert [r["status"] for r in answer["rows"]] == ["CREATED", "CREATED"]
    given = {
        f"hukou/{r['recordId']}/{m['role']}": m["entityId"]
        for r in answer["rows"]
        for m in r["mentions"]
    }
    restarted = _serve(city.workdir, port)
    try:
        replay = _submit(port, rows)
    finally:
        os.kill(restarted.pid, signal.SIGKILL)
        restarted.wait()
    assert [r["status"] for r in replay["rows"]] == ["UNCHANGED", "UNCHANGED"]
    assert {
        f"hukou/{r['recordId']}/{m['role']}": m["entityId"]
        for r in replay["rows"]
        for m in r["mentions"]
    } == given
    resolve(city.config, city.workdir, progress=False)
    out = tmp_path / "clusters.csv"
    export_clusters(city.workdir, out)
    resolved = {
        f"{r['source']}/{r['record_id']}/{r['role']}": r["entity_id"]
        for r in csv.DictReader(out.open(encoding="utf-8"))
    }
    assert all(resolved.get(key) == golden for key, golden in given.items()), (given, resolved)
