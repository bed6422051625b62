"""SIGKILL at random (seeded) points of ingest, resolve, publish (into an empty graph; and a newer
run's publish over an older one, killed inside its stale removal), a real-time submission and a
steward's decision — real
``huitong`` processes, real DuckDB and Neo4j — then run again: the end state is identical to an
uninterrupted run's (every workspace table row for row, the reports, the whole graph).

A CI-sized subset of ``benchmarks/kill_points.py`` (a small city, a few kills per target)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import duckdb  # noqa: E402
from kill_points import Lab, run_harness, workdir_fingerprint  # noqa: E402

from resolution.changes import SCHEMA_SQL as CHANGES_SCHEMA_SQL  # noqa: E402

KILLS = {"ingest": 2, "resolve": 2, "publish": 2, "stale": 1, "submit": 2, "decide": 2}
# ``republish`` (random kills of a newer run's publish over an older one) is left to the
# benchmark: its publish takes a few seconds, and on a busy machine the kills fell after its end.
PERSONS = 600
SEED = 20


def test_every_kill_point_ends_identical_to_an_uninterrupted_run(neo4j_target, tmp_path):
    lab = Lab(tmp_path, neo4j_target, PERSONS, SEED)
    outcomes = run_harness(lab, KILLS, SEED, control=False)
    assert [o.target for o in outcomes] == list(KILLS)
    for outcome in outcomes:
        assert len(outcome.kills) == KILLS[outcome.target]
        assert [k["differs"] for k in outcome.kills if not k["identical"]] == [], outcome.target
    stale = next(o for o in outcomes if o.target == "stale")
    assert [k["left"] for k in stale.kills] == ["partial"]  # killed inside the stale removal


def _workdir_with_changes(workdir: Path, run_id: str, kind: str = "CREATED") -> Path:
    """A workspace holding what a resolve run at ``run_id`` records for the change feed."""
    workdir.mkdir()
    connection = duckdb.connect(str(workdir / "workspace.duckdb"))
    for statement in CHANGES_SCHEMA_SQL:
        connection.execute(statement)
    connection.execute(
        'INSERT INTO change_entries (key, run_id, ordinal, kind, entity, entity_id, "at") '
        "VALUES ($run || ':000000001', $run, 1, $kind, 'person', 'P-1', now())",
        {"run": run_id, "kind": kind},
    )
    connection.execute("INSERT INTO change_baseline_state VALUES (?)", [run_id])
    connection.close()
    return workdir


def test_the_fingerprint_leaves_out_when_a_resolve_run_happened(tmp_path):
    """Two runs recording the same changes at different times leave the same state (a run again
    after a kill is a later run); what they recorded still counts."""
    first = _workdir_with_changes(tmp_path / "a", "20260101T000000000000Z")
    later = _workdir_with_changes(tmp_path / "b", "20260102T000000000000Z")
    other = _workdir_with_changes(tmp_path / "c", "20260102T000000000000Z", kind="UPDATED")
    assert workdir_fingerprint(first) == workdir_fingerprint(later)
    assert workdir_fingerprint(first) != workdir_fingerprint(other)
