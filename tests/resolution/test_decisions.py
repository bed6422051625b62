"""Steward decisions in the workspace: stored, upgraded, turned into constraints, keep IDs and
the coverage that keeps settled pairs out of the review queue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from loaders import staging
from resolution.cluster import cluster_entity
from resolution.decisions import (
    Constraints,
    constraints_for,
    coverage_rows,
    keep_ids,
    store_decisions,
)
from resolution.review import build_review_candidates
from tests.resolution.test_cluster import person, stage_mentions, stage_pairs


@pytest.fixture
def connection(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = staging.connect(tmp_path)
    yield connection
    connection.close()


def decision(id_, kind, pairs, coverage=None, **extra) -> dict:
    found = {
        "id": id_,
        "kind": kind,
        "entity": "person",
        "reason": "test",
        "decided_by": "test:steward",
        "decided_at": f"2026-01-0{id_[-1]}T00:00:00Z",
        "pairs": [{"decision": d, "mention_id_l": a, "mention_id_r": b} for d, a, b in pairs],
        **extra,
    }
    if coverage is not None:
        found["coverage"] = [{"record": r, "group": g, "together": t} for r, g, t in coverage]
    return found


def test_decisions_become_constraints_and_keep_ids(connection):
    store_decisions(
        connection,
        [
            decision("D-1", "candidate", [("MATCH", "a/1/p", "b/1/p")]),
            decision("D-2", "split", [("NOT_A_MATCH", "c/1/p", "d/1/p")]),
            decision("D-3", "merge", [("MATCH", "e/1/p", "f/1/p")], after={"entity_id": "P-keep"}),
        ],
    )
    assert constraints_for(connection, "person") == Constraints(
        [("a/1/p", "b/1/p"), ("e/1/p", "f/1/p")], [("c/1/p", "d/1/p")], []
    )
    assert constraints_for(connection, "enterprise") == Constraints([], [], [])
    assert keep_ids(connection, "person") == [("P-keep", None)]
    # a re-store replaces the copy: nothing of the old decisions remains
    store_decisions(connection, [])
    assert constraints_for(connection, "person") == Constraints([], [], [])
    assert keep_ids(connection, "person") == []
    assert connection.execute("SELECT count(*) FROM steward_coverage").fetchone() == (0,)


def test_a_copy_kept_by_an_older_version_is_upgraded(connection):
    connection.execute(
        """CREATE TABLE steward_decisions (
            decision_id VARCHAR, kind VARCHAR, entity VARCHAR, decision VARCHAR,
            mention_id_l VARCHAR, mention_id_r VARCHAR, reason VARCHAR, decided_by VARCHAR,
            decided_at VARCHAR)"""
    )
    connection.execute(
        "INSERT INTO steward_decisions VALUES "
        "('D-1', 'candidate', 'person', 'MATCH', 'a/1/p', 'b/1/p', 'r', 's', '2026-01-01')"
    )
    assert keep_ids(connection, "person") == []
    assert constraints_for(connection, "person").must_link == [("a/1/p", "b/1/p")]
    store_decisions(connection, [decision("D-2", "merge", [], after={"entity_id": "P-k"})])
    assert keep_ids(connection, "person") == []  # a merge without pairs constrains nothing


def test_a_later_decision_supersedes_an_earlier_one_it_contradicts(connection):
    store_decisions(
        connection,
        [
            # a merge joins a and b, a MATCH joins b and c: a, b, c one group ...
            decision("D-1", "merge", [("MATCH", "a", "b")], after={"entity_id": "P-a"}),
            decision("D-2", "candidate", [("MATCH", "b", "c")]),
            # ... then c is split off a: the older must-link (a, b) gives way, (b, c) stays
            decision("D-3", "split", [("NOT_A_MATCH", "c", "a")]),
            # a MATCH rejected later is gone; a NOT_A_MATCH accepted later is gone too
            decision("D-4", "candidate", [("MATCH", "x", "y")]),
            decision("D-5", "candidate", [("NOT_A_MATCH", "x", "y")]),
            decision("D-6", "candidate", [("NOT_A_MATCH", "p", "q")]),
            decision("D-7", "candidate", [("MATCH", "q", "p")]),
        ],
    )
    found = constraints_for(connection, "person")
    assert found.must_link == [("b", "c"), ("q", "p")]
    assert found.cannot_link == [("c", "a"), ("x", "y")]
    assert found.superseded == [
        ("MATCH", "a", "b"),
        ("MATCH", "x", "y"),
        ("NOT_A_MATCH", "p", "q"),
    ]


def test_decisions_without_coverage_cover_their_pairs():
    rows = coverage_rows(
        [decision("D-1", "split", [("NOT_A_MATCH", "a", "b"), ("MATCH", "a", "c")])]
    )
    assert rows == [
        ["D-1#0", "person", "a", 0, False],
        ["D-1#0", "person", "b", 1, False],
        ["D-1#1", "person", "a", 0, True],
        ["D-1#1", "person", "c", 0, True],
    ]


@pytest.fixture
def three_and_one(connection):
    """s/1, s/2, s/3 clustered (s/2–s/3 a weak link), s/4 apart but close to s/3."""
    ids = [f"s/{i}/p" for i in range(1, 5)]
    stage_mentions(connection, "person", [person(i) for i in ids])
    stage_pairs(
        connection,
        "person",
        [("s/1/p", "s/2/p", 0.97), ("s/2/p", "s/3/p", 0.55), ("s/4/p", "s/3/p", 0.45)],
    )
    cluster_entity(connection, "person", 0.5, weak_link_below=0.95)
    return connection


def candidates(connection) -> list[tuple[str, str]]:
    build_review_candidates(connection, "person", (0.1, 0.95))
    return connection.execute(
        "SELECT mention_id_l, mention_id_r FROM review_candidates_person ORDER BY ALL"
    ).fetchall()


def test_a_split_settles_every_pair_across_it(three_and_one):
    connection = three_and_one
    assert candidates(connection) == [("s/2/p", "s/3/p"), ("s/3/p", "s/4/p")]
    # s/3 split off s/1 and s/2: the one pair listed is (s/3, s/1), yet (s/2, s/3) is settled
    store_decisions(
        connection,
        [
            decision(
                "D-1",
                "split",
                [("NOT_A_MATCH", "s/3/p", "s/1/p")],
                coverage=[("s/3/p", 0, True), ("s/1/p", 1, False), ("s/2/p", 1, False)],
            )
        ],
    )
    assert candidates(connection) == [("s/3/p", "s/4/p")]


def test_a_merge_settles_the_pairs_between_its_entities_only(three_and_one):
    connection = three_and_one
    store_decisions(
        connection,
        [
            decision(
                "D-1",
                "merge",
                [("MATCH", "s/1/p", "s/4/p")],
                coverage=[("s/1/p", 0, False), ("s/2/p", 0, False), ("s/3/p", 0, False),
                          ("s/4/p", 1, False)],
                after={"entity_id": "P-x"},
            )
        ],
    )  # fmt: skip
    # (s/3, s/4) lies between the merged entities; (s/2, s/3) inside one: still a question
    assert candidates(connection) == [("s/2/p", "s/3/p")]


def test_merges_and_splits_keep_their_ids_at_their_anchors_newest_first(connection):
    store_decisions(
        connection,
        [
            decision(
                "D-1", "merge", [("MATCH", "a", "c")], after={"entity_id": "P-a", "anchor": "a"}
            ),
            decision(
                "D-2",
                "split",
                [("NOT_A_MATCH", "c", "a")],
                after={"entity_id": "P-a", "anchor": "b"},
            ),
            decision("D-3", "candidate", [("MATCH", "x", "y")], after={"entity_id": "P-x"}),
        ],
    )
    assert keep_ids(connection, "person") == [("P-a", "b"), ("P-a", "a")]
