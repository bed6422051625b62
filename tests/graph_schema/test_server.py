import os
import stat
import subprocess

import pytest
from typer.testing import CliRunner

from graph_schema.connection import open_driver
from graph_schema.server import (
    LocalNeo4j,
    Neo4jServerError,
    find_java,
    find_maven,
    parse_size,
)
from huitong.cli import app
from tests.conftest import SHARED_RUNTIME, free_port

runner = CliRunner()


def test_parse_size():
    assert parse_size("512m") == 512 * 1024**2
    assert parse_size("4G") == 4 * 1024**3
    assert parse_size("100") == 100
    with pytest.raises(Neo4jServerError, match="invalid memory size"):
        parse_size("lots")


def test_password_is_generated_once_with_mode_0600(tmp_path):
    server = LocalNeo4j(tmp_path, 7999)
    password = server.password()
    assert len(password) >= 24
    assert server.password() == password
    mode = stat.S_IMODE(server.password_file.stat().st_mode)
    assert mode == 0o600


def test_env_prints_local_server_lines_that_eval_round_trips(tmp_path, monkeypatch):
    for key in ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HUITONG_HOME", str(tmp_path))
    monkeypatch.setenv("HUITONG_NEO4J_PORT", "7789")
    result = runner.invoke(app, ["neo4j", "env"])
    assert result.exit_code == 0, result.output
    shell = subprocess.run(
        [
            "bash",
            "-c",
            'eval "$0"; printf "%s\\n%s\\n%s" "$NEO4J_URI" "$NEO4J_USER" "$NEO4J_PASSWORD"',
            result.stdout,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    uri, user, password = shell.stdout.split("\n")
    assert uri == "bolt://127.0.0.1:7789"
    assert user == "neo4j"
    assert password == LocalNeo4j(tmp_path, 7789).password()


def test_env_prefers_the_users_own_neo4j(monkeypatch):
    monkeypatch.setenv("NEO4J_URI", "neo4j+s://example.databases.neo4j.io")
    monkeypatch.setenv("NEO4J_USER", "alice")
    monkeypatch.setenv("NEO4J_PASSWORD", "it's a secret")
    result = runner.invoke(app, ["neo4j", "env"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "NEO4J_URI=neo4j+s://example.databases.neo4j.io"
    assert lines[1] == "NEO4J_USER=alice"
    assert lines[2] == "NEO4J_PASSWORD='it'\"'\"'s a secret'"


def test_unreachable_server_gives_a_clear_error(monkeypatch):
    port = free_port()  # nothing listens there
    monkeypatch.setenv("NEO4J_URI", f"bolt://127.0.0.1:{port}")
    monkeypatch.setenv("NEO4J_PASSWORD", "whatever")
    result = runner.invoke(app, ["graph", "migrate"])
    assert result.exit_code == 1
    assert f"Neo4j at bolt://127.0.0.1:{port} is unreachable" in result.output
    assert "huitong neo4j start" in result.output


def test_reset_needs_yes(neo4j_target):
    result = runner.invoke(app, ["graph", "reset"])
    assert result.exit_code == 2
    assert "--yes" in result.output


def test_missing_java_and_maven_say_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(Neo4jServerError, match="Install a JDK"):
        find_java(tmp_path / "no-jdk")
    with pytest.raises(Neo4jServerError, match="apt-get install maven"):
        find_maven()


def test_port_in_use_is_refused(neo4j_target, tmp_path):
    busy_port = int(neo4j_target.uri.rsplit(":", 1)[1])
    server = LocalNeo4j(tmp_path, busy_port, runtime_dir=SHARED_RUNTIME)
    with pytest.raises(Neo4jServerError, match="already in use"):
        server.start()


@pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")), reason="uses the local server")
def test_second_home_runs_beside_the_first_then_stops(neo4j_target, tmp_path):
    """Two homes, two ports, two servers at once; start → status → Cypher → stop. (Starting a
    home again on its data, the password already set, is what ``tests/api/test_outage.py``
    does after killing its server: a Neo4j start costs a minute on a busy machine.)"""
    second = LocalNeo4j(
        tmp_path, free_port(), heap="512m", pagecache="128m", runtime_dir=SHARED_RUNTIME
    )
    status = second.start()
    try:
        assert status.running and status.port == second.port
        assert second.start().pid == status.pid  # starting again is a no-op
        env = second.connection_env()
        from graph_schema.connection import Neo4jTarget

        target = Neo4jTarget(env["NEO4J_URI"], "neo4j", env["NEO4J_PASSWORD"], "neo4j")
        with open_driver(target) as driver:
            driver.execute_query("CREATE (:Probe {home: 'second'})")
        with open_driver(neo4j_target) as driver:
            records, _, _ = driver.execute_query("MATCH (p:Probe) RETURN count(p) AS n")
            assert records[0]["n"] == 0  # the first server never saw it
    finally:
        assert second.stop() is True
    assert not second.status().running
    assert second.stop() is False
