"""The audit trail: chained lines on stdout and in a rotated file; `huitong audit verify` finds
a removed, edited or torn line, across rotations and restarts."""

from __future__ import annotations

import io
import json

import pytest
from typer.testing import CliRunner

from api.audit import GENESIS, AuditFile, AuditLog, chain_files, line_hash
from huitong.cli import app
from tests.api.conftest import token


def write_log(path, lines: int, *, max_bytes: int = 2_000) -> io.StringIO:
    """``lines`` records through a fresh AuditLog (as a restarted server would open it)."""
    stdout = io.StringIO()
    log = AuditLog(stdout, AuditFile(path, max_bytes=max_bytes))
    for n in range(lines):
        log.write({"event": "graphql_request", "who": f"user{n}", "fields": ["person"]})
    log.close()
    return stdout


def run_verify(path):
    return CliRunner().invoke(app, ["audit", "verify", "--path", str(path)])


def lines_of(file):
    return file.read_bytes().splitlines(keepends=True)


@pytest.fixture
def chain(tmp_path):
    path = tmp_path / "audit.jsonl"
    write_log(path, 30)
    write_log(path, 30)  # a restart continues the chain
    return path


def test_an_intact_chain_across_rotations_and_restarts(chain):
    files = chain_files(chain)
    assert len(files) > 3 and files[-1] == chain  # rotated, oldest first, current last
    result = run_verify(chain)
    assert result.exit_code == 0, result.output
    assert "intact: 60 lines (seq 1 to 60)" in result.output
    records = [json.loads(line) for file in files for line in lines_of(file)]
    assert records[0]["prev"] == GENESIS
    assert [r["seq"] for r in records] == list(range(1, 61))
    assert records[30]["who"] == "user0" and records[30]["seq"] == 31


def test_the_stdout_copy_is_the_same_chain(tmp_path):
    path = tmp_path / "audit.jsonl"
    stdout = write_log(path, 12)
    file_lines = [line.decode() for f in chain_files(path) for line in lines_of(f)]
    assert stdout.getvalue().splitlines(keepends=True) == file_lines
    assert json.loads(file_lines[5])["prev"] == line_hash(file_lines[4].rstrip("\n"))


def test_a_removed_line_is_found(chain):
    second = chain_files(chain)[1]
    lines = lines_of(second)
    second.write_bytes(b"".join(lines[:2] + lines[3:]))
    result = run_verify(chain)
    assert result.exit_code == 1
    assert f"broken at {second.name}:3: prev does not match the line before it" in result.output


def test_an_edited_line_is_found(chain):
    first = chain_files(chain)[0]
    lines = lines_of(first)
    lines[1] = lines[1].replace(b'"user1"', b'"someone else"')
    first.write_bytes(b"".join(lines))
    result = run_verify(chain)
    assert result.exit_code == 1 and f"broken at {first.name}:3" in result.output


def test_a_removed_first_line_of_a_rotated_file_is_found(chain):
    files = chain_files(chain)
    lines = lines_of(files[2])
    files[2].write_bytes(b"".join(lines[1:]))
    result = run_verify(chain)
    assert result.exit_code == 1 and f"broken at {files[2].name}:1" in result.output


def test_a_removed_rotated_file_is_found(chain):
    files = chain_files(chain)
    files[1].unlink()
    assert run_verify(chain).exit_code == 1


def test_a_torn_last_line_is_found(chain):
    data = chain.read_bytes()
    chain.write_bytes(data[:-20])
    result = run_verify(chain)
    assert result.exit_code == 1 and "cut short" in result.output


def test_a_missing_file_is_an_error(tmp_path):
    result = run_verify(tmp_path / "nothing.jsonl")
    assert result.exit_code == 1 and "no audit file" in result.output


def test_the_served_api_keeps_a_verifiable_trail_of_who_looked_at_whom(
    api, audit_file, audit_stream
):
    person = api.query('{ searchPeople(name: "陈伟", first: 1) { edges { node { id } } } }')
    golden = person["searchPeople"]["edges"][0]["node"]["id"]
    api.query(
        "query($id: ID!) { person(id: $id) { __typename } }",
        token("department_app"),
        id=golden,
    )
    api.post("{ me { role } }", auth="not-a-token")
    api.app.state.audit.file.sync()
    lines = [json.loads(line) for line in audit_stream.getvalue().splitlines()]
    looked = next(line for line in reversed(lines) if line["fields"] == ["person"])
    assert looked["arguments"] == {"person": {"id": golden}}
    assert looked["who"] == "test:department_app"
    assert lines[-1]["status"] == 401
    result = run_verify(audit_file)
    assert result.exit_code == 0, result.output
    assert f"{len(lines):,} lines" in result.output
