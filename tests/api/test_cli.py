"""``token create`` and ``serve`` as the main CLI will register them."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from api.auth import verify_token
from api.cli import api_cli

runner = CliRunner()


def test_token_create_prints_a_verifiable_token_last(monkeypatch, tmp_path):
    monkeypatch.setenv("HUITONG_HOME", str(tmp_path))
    monkeypatch.delenv("HUITONG_JWT_SECRET", raising=False)
    result = runner.invoke(
        api_cli,
        ["token", "create", "--role", "department_app", "--department", "城管",
         "--district", "越秀区", "--street", "北京街道", "--ttl", "30m"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    signed = result.stdout.strip().splitlines()[-1]
    caller = verify_token((tmp_path / "jwt_secret").read_text().strip(), signed)
    assert caller.role == "department_app" and caller.jurisdiction.street == "北京街道"


def test_token_create_uses_the_configured_secret(monkeypatch):
    monkeypatch.setenv("HUITONG_JWT_SECRET", "configured-" + "s" * 40)
    result = runner.invoke(api_cli, ["token", "create", "--role", "admin"])
    assert result.exit_code == 0
    caller = verify_token("configured-" + "s" * 40, result.stdout.strip().splitlines()[-1])
    assert caller.role == "admin" and caller.jurisdiction.citywide


def test_token_create_refuses_bad_claims(monkeypatch):
    monkeypatch.setenv("HUITONG_JWT_SECRET", "configured-" + "s" * 40)
    result = runner.invoke(api_cli, ["token", "create", "--role", "department_app"])
    assert result.exit_code == 1
    assert "needs a department" in result.output
    assert (
        runner.invoke(api_cli, ["token", "create", "--role", "x", "--ttl", "soon"]).exit_code == 1
    )


def test_serve_documents_its_options():
    result = runner.invoke(api_cli, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--workdir"):
        assert option in result.output


def test_serve_keeps_an_idle_connection_open_longer_than_clients_do(tmp_path):
    """A connection idle for 6 s (past uvicorn's default 5 s and httpx's) still carries the
    next request: the server does not close it under a client about to send."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from served import ServedApi

    env = {**os.environ, "HUITONG_HOME": str(tmp_path), "HUITONG_AUDIT_FILE": "",
           "NEO4J_URI": "bolt://127.0.0.1:1", "NEO4J_PASSWORD": "unused"}  # fmt: skip
    request = b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n"

    def answer(sock: socket.socket) -> bytes:
        """One whole response: its head, then as many bytes as its Content-Length says."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            assert chunk, f"the server closed the connection after {data!r}"
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        while len(body) < length:
            chunk = sock.recv(4096)
            assert chunk, "the server closed the connection mid-body"
            body += chunk
        return head

    api = ServedApi(env).start(ready=False)
    try:
        with socket.create_connection(("127.0.0.1", api.port), timeout=10) as sock:
            sock.sendall(request)
            assert answer(sock).startswith(b"HTTP/1.1 200")
            time.sleep(6)
            sock.sendall(request)
            assert answer(sock).startswith(b"HTTP/1.1 200")
    finally:
        api.stop()
