"""Session fixtures: one real Neo4j for the whole run, on a private home and a free port.

The jars are shared with the repository's own home (``.huitong/neo4j/<version>``) so a test run
after the README's first command does not provision again; a fresh clone provisions them once.
Set ``NEO4J_URI`` (and user, password) to run the graph tests against your own Neo4j instead.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from graph_schema.connection import Neo4jTarget, open_driver
from graph_schema.server import NEO4J_VERSION, LocalNeo4j

REPO = Path(__file__).resolve().parent.parent
SHARED_RUNTIME = REPO / ".huitong" / "neo4j" / NEO4J_VERSION


# Property tests on two busy shared cores: no per-example deadline (a slow example is not a
# failure), the same examples on every run (a CI failure reproduces), a bounded number of them.
# HYPOTHESIS_PROFILE=dev gives hypothesis's defaults back (random examples, 200 ms deadline).
settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    max_examples=100,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", settings.get_profile("default"))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session", autouse=True)
def no_audit_file_by_default() -> Iterator[None]:
    """Apps made by tests keep no audit file unless a test gives them one (HUITONG_AUDIT_FILE
    would otherwise default to one under the repository's ``.huitong``)."""
    saved = os.environ.get("HUITONG_AUDIT_FILE")
    os.environ["HUITONG_AUDIT_FILE"] = ""
    yield
    if saved is None:
        os.environ.pop("HUITONG_AUDIT_FILE", None)
    else:
        os.environ["HUITONG_AUDIT_FILE"] = saved


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNeo4j | None]:
    """The session's own Neo4j, started for it (None when NEO4J_URI names another): what the
    graph tests talk to, and what an offline import stops and replaces."""
    if os.environ.get("NEO4J_URI"):
        yield None
        return
    home = tmp_path_factory.mktemp("huitong-home")
    server = LocalNeo4j(
        home,
        free_port(),
        heap="1g",
        pagecache="512m",
        runtime_dir=SHARED_RUNTIME,
        start_timeout=180,
    )
    status = server.start()
    try:
        yield server
    finally:
        server.stop()
        assert not server.status().running, f"Neo4j (pid {status.pid}) did not stop"


@pytest.fixture(scope="session")
def neo4j_target(neo4j_server: LocalNeo4j | None) -> Iterator[Neo4jTarget]:
    """Connection details of the session's Neo4j; exported as NEO4J_* for CLI calls too."""
    if neo4j_server is None:
        yield Neo4jTarget(
            os.environ["NEO4J_URI"],
            os.environ.get("NEO4J_USER", "neo4j"),
            os.environ.get("NEO4J_PASSWORD", ""),
            os.environ.get("NEO4J_DATABASE", "neo4j"),
        )
        return
    env = neo4j_server.connection_env()
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        yield Neo4jTarget(env["NEO4J_URI"], env["NEO4J_USER"], env["NEO4J_PASSWORD"], "neo4j")
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def driver(neo4j_target: Neo4jTarget):
    """A driver on an empty graph (reset before each test that asks for it)."""
    from graph_schema.migrations import reset

    with open_driver(neo4j_target) as driver:
        reset(driver, neo4j_target.database)
        yield driver
