"""Fuzzing the served API (schemathesis, seeded, bounded): every root field, generated arguments,
an admin and a district's department_app token: no HTTP 5xx, no "Unexpected error.", no
traceback in the server's output. The long run is ``benchmarks/fuzz.py``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

from fuzz import fuzz, read_server_log, served_env, tokens  # noqa: E402
from served import ServedApi  # noqa: E402

from graph_schema.decisions import clear_decisions  # noqa: E402

EXAMPLES = 8  # per root field and token
SEED = 20


@pytest.fixture
def no_decisions_left(graph_driver, neo4j_target):
    yield
    clear_decisions(graph_driver, neo4j_target.database)  # fuzzed mutations


def test_fuzzing_finds_no_server_error_and_no_unexpected_error(
    city, graph_driver, tmp_path, no_decisions_left
):
    records, _, _ = graph_driver.execute_query("MATCH (d:District) RETURN d.name AS name LIMIT 1")
    log = tmp_path / "server.log"
    with ServedApi(served_env(tmp_path), log=log) as api:
        report = fuzz(api.url, tokens(records[0]["name"]), EXAMPLES, SEED)
    read_server_log(log, report)
    print(report.summary())
    assert report.operations >= 20
    assert report.requests >= report.operations * 2 * EXAMPLES // 2  # hypothesis may stop early
    assert report.server_errors == []
    assert report.unexpected == []
    assert report.tracebacks == 0
    assert report.log_lines["graphql_client_error"] > 0  # client errors were made, and logged
