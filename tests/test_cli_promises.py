"""README promises of the CLI and of a re-resolve, against the real parts: ``huitong resolve``
fetching steward decisions from Neo4j (and honouring the workdir's copy when Neo4j is away),
``huitong export clusters``, ``huitong neo4j status`` exiting 3 when stopped, and a source
dropped from the config (its records and events gone, everyone else's golden IDs kept)."""

from __future__ import annotations

import csv
import json
import shutil
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from graph_schema.decisions import (
    Covered,
    PairConstraint,
    StewardDecision,
    clear_decisions,
    record_decision,
)
from graph_schema.publish import publish
from huitong.citygen import generate_city
from huitong.cli import app
from loaders.config import load_config
from resolution.pipeline import resolve
from tests.conftest import free_port

runner = CliRunner()


@pytest.fixture(scope="module")
def resolved(tmp_path_factory) -> tuple[Path, Path]:
    """A small generated city, resolved once (copy the workdir before changing it)."""
    city = tmp_path_factory.mktemp("city")
    generate_city(persons=300, seed=41, out=city)
    workdir = tmp_path_factory.mktemp("work")
    resolve(load_config(city / "sources.toml"), workdir, progress=False)
    return city, workdir


def members(workdir: Path) -> dict[str, str]:
    """Mention ID (``source/record/role``) → golden ID, from the workspace."""
    connection = duckdb.connect(str(workdir / "workspace.duckdb"), read_only=True)
    try:
        return dict(
            connection.execute("SELECT mention_id, golden_id FROM golden_members").fetchall()
        )
    finally:
        connection.close()


def test_neo4j_status_exits_3_when_the_server_is_stopped(monkeypatch, tmp_path):
    monkeypatch.setenv("HUITONG_HOME", str(tmp_path))
    result = runner.invoke(app, ["neo4j", "status"])
    assert result.exit_code == 3, result.output
    assert result.output.startswith("stopped")


def test_resolve_fetches_decisions_from_neo4j_and_else_keeps_the_workdir_copy(
    resolved, driver, neo4j_target, tmp_path, monkeypatch
):
    city, original = resolved
    workdir = tmp_path / "work"
    shutil.copytree(original, workdir)
    publish(workdir, driver, neo4j_target.database, progress=False)
    by_golden: dict[str, list[str]] = defaultdict(list)
    for mention, golden in members(workdir).items():
        if golden.startswith("P-"):
            by_golden[golden].append(mention)
    golden, together = next((g, sorted(m)) for g, m in sorted(by_golden.items()) if len(m) >= 3)
    split_off, kept = together[0], together[1:]
    record_decision(
        driver,
        StewardDecision(
            kind="split",
            entity="person",
            subject=golden,
            reason="two people",
            decided_by="test:steward",
            role="steward",
            pairs=tuple(PairConstraint("NOT_A_MATCH", split_off, other) for other in kept),
            coverage=(Covered(split_off, 0, True), *(Covered(k, 1, True) for k in kept)),
            after={"entity_id": golden, "anchor": kept[0]},
        ),
        neo4j_target.database,
    )
    sources = str(city / "sources.toml")
    try:
        fetched = runner.invoke(app, ["resolve", "--config", sources, "--workdir", str(workdir)])
        assert fetched.exit_code == 0, fetched.output
        assert "not reachable" not in fetched.output
        after = members(workdir)
        assert after[split_off] != golden and {after[k] for k in kept} == {golden}

        # Neo4j away: the copy kept in the workdir is honoured, and the run says so.
        monkeypatch.setenv("NEO4J_URI", f"bolt://127.0.0.1:{free_port()}")
        offline = runner.invoke(app, ["resolve", "--config", sources, "--workdir", str(workdir)])
        assert offline.exit_code == 0, offline.output
        assert "not reachable" in offline.output and "kept in the workdir" in offline.output
        again = members(workdir)
        assert again[split_off] != golden and {again[k] for k in kept} == {golden}
    finally:
        clear_decisions(driver, neo4j_target.database)


def test_export_clusters_writes_every_mention_with_its_golden_id(resolved, tmp_path):
    _, workdir = resolved
    out = tmp_path / "clusters.csv"
    result = runner.invoke(
        app, ["export", "clusters", "--workdir", str(workdir), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["source", "record_id", "role", "entity", "entity_id"]
    assert f"{len(rows):,} mentions written" in result.output
    exported = {f"{r['source']}/{r['record_id']}/{r['role']}": r["entity_id"] for r in rows}
    assert exported == members(workdir)
    prefixes = {"person": "P-", "enterprise": "E-", "rental_unit": "U-"}
    assert all(r["entity_id"].startswith(prefixes[r["entity"]]) for r in rows)


def without_source(config_text: str, name: str) -> str:
    """sources.toml with the ``[[sources]]`` block named ``name`` removed."""
    head, *blocks = config_text.split("[[sources]]\n")
    kept = [b for b in blocks if f'name = "{name}"' not in b.split("\n[[", 1)[0]]
    assert len(kept) == len(blocks) - 1, f"no source {name!r} in the config"
    return "[[sources]]\n".join([head, *kept])


def test_a_source_dropped_from_the_config_leaves_no_trace_and_keeps_other_ids(resolved, tmp_path):
    city, original = resolved
    workdir = tmp_path / "work"
    shutil.copytree(original, workdir)
    before = members(workdir)
    config = city / "sources.toml"
    trimmed = tmp_path / "sources.toml"  # the config names its files relative to itself
    trimmed.write_text(without_source(config.read_text(encoding="utf-8"), "violations"), "utf-8")
    for path in city.iterdir():
        if path.name != "sources.toml":
            (tmp_path / path.name).symlink_to(path)

    resolve(load_config(trimmed), workdir, progress=False)

    after = members(workdir)
    assert not [m for m in after if m.startswith("violations/")]
    assert set(after) == {m for m in before if not m.startswith("violations/")}
    report = json.loads((workdir / "ingest_report.json").read_text(encoding="utf-8"))
    assert "violations" not in {s["name"] for s in report["sources"]}
    connection = duckdb.connect(str(workdir / "workspace.duckdb"), read_only=True)
    try:
        events = connection.execute(
            "SELECT count(*) FROM events WHERE source = 'violations'"
        ).fetchone()[0]
        retired = {
            r[0] for r in connection.execute("SELECT old_id FROM golden_redirects").fetchall()
        }
    finally:
        connection.close()
    assert events == 0
    # Golden records made of violation citations alone are retired; everyone else keeps the ID
    # (a citation linking two records is gone, so a few may part: not more than 1 in 100).
    gone = set(before.values()) - set(after.values())
    assert gone and gone <= retired
    kept = sum(after[m] == before[m] for m in after)
    assert kept / len(after) >= 0.99, kept / len(after)


def test_publish_refuses_an_unknown_bulk_mode_before_touching_anything(tmp_path):
    result = runner.invoke(app, ["publish", "--workdir", str(tmp_path), "--bulk", "sometimes"])
    assert result.exit_code == 2
    assert "choose auto, always or never" in result.output
