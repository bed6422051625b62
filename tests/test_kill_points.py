"""SIGKILL at random (seeded) points of ingest, resolve, publish and a steward's decision — real
``huitong`` processes, real DuckDB and Neo4j — then run again: the end state is identical to an
uninterrupted run's (every workspace table row for row, the reports, the whole graph).

A CI-sized subset of ``benchmarks/kill_points.py`` (a small city, a few kills per target)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from kill_points import Lab, run_harness  # noqa: E402

KILLS = {"ingest": 3, "resolve": 2, "publish": 3, "decide": 3}
PERSONS = 600  # a smaller city leaves a department file empty (its columns unknown to ingest)
SEED = 20


def test_every_kill_point_ends_identical_to_an_uninterrupted_run(neo4j_target, tmp_path):
    lab = Lab(tmp_path, neo4j_target, PERSONS, SEED)
    outcomes = run_harness(lab, KILLS, SEED, control=False)
    assert [o.target for o in outcomes] == list(KILLS)
    for outcome in outcomes:
        assert len(outcome.kills) == KILLS[outcome.target]
        assert [k["differs"] for k in outcome.kills if not k["identical"]] == [], outcome.target
