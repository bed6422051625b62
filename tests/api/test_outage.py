"""A Neo4j outage under the served API, with a real Neo4j of its own killed (SIGKILL) and
started again: /readyz 503 and SERVICE_UNAVAILABLE within 2 s while it is down, no 5xx, no
decision half-stored, and recovery after Neo4j's return without restarting huitong. How fast it
recovers is the figure ``benchmarks/outage.py`` prints (the same drill); here the bound is wide
(30 s, against a liveness probe of about a second) so that a busy machine does not fail it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

from outage import drill, review_candidates  # noqa: E402
from served import ServedApi, free_port  # noqa: E402

from api.auth import issue_token  # noqa: E402
from graph_schema.connection import Neo4jTarget, open_driver  # noqa: E402
from graph_schema.publish import publish  # noqa: E402
from graph_schema.server import LocalNeo4j  # noqa: E402
from tests.conftest import SHARED_RUNTIME  # noqa: E402

SECRET = "outage-test-" + "o" * 36


@pytest.fixture(scope="module")
def own_neo4j(tmp_path_factory, city):
    """A Neo4j of this module's own (the drill kills it), holding the package's city."""
    home = tmp_path_factory.mktemp("outage-neo4j")
    server = LocalNeo4j(
        home, free_port(), heap="512m", pagecache="128m", runtime_dir=SHARED_RUNTIME,
        start_timeout=300,
    )  # fmt: skip
    server.start()
    env = server.connection_env()
    target = Neo4jTarget(env["NEO4J_URI"], env["NEO4J_USER"], env["NEO4J_PASSWORD"], "neo4j")
    try:
        with open_driver(target) as driver:
            publish(city.workdir, driver, progress=False)
        yield server, target, env
    finally:
        server.stop()


def test_a_neo4j_crash_is_answered_fast_and_recovered_from_without_a_restart(own_neo4j, tmp_path):
    server, target, neo4j_env = own_neo4j
    env = {
        **os.environ,
        **neo4j_env,
        "HUITONG_JWT_SECRET": SECRET,
        "HUITONG_HOME": str(tmp_path),
        "HUITONG_AUDIT_FILE": str(tmp_path / "audit.jsonl"),
    }
    with ServedApi(env, log=tmp_path / "server.log") as api:
        report = drill(
            server,
            target,
            api,
            issue_token(SECRET, role="admin", subject="outage:probe"),
            issue_token(SECRET, role="steward", subject="outage:steward"),
            review_candidates(target, 100),
            mode="kill",
            down=3.0,
        )
        assert api.alive()  # the same process throughout
    print(report.summary())
    during = report.during()
    assert len(during) >= 6, report.summary()
    assert report.unavailable_answers, [p for p in during if p.code != "SERVICE_UNAVAILABLE"]
    assert report.slowest_during < 2.0
    assert report.server_errors == 0
    assert report.recovery_seconds < 30.0, report.summary()
    recovered_at = report.window[1] + report.restart_seconds + report.recovery_seconds
    after = [p for p in report.probes if p.sent > recovered_at]
    assert after and all(p.status == 200 and p.code is None for p in after)
    assert report.decisions_whole
    assert any(d["ok"] for d in report.decisions)  # decided before and after the outage
    assert any(d["code"] == "SERVICE_UNAVAILABLE" for d in report.decisions)
