"""Golden IDs across runs: stable, deterministic, with lineage and redirects."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from loaders import staging
from resolution.golden import assign_golden_ids, golden_token, retired_redirects

NOW = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def connection(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = staging.connect(tmp_path)
    yield connection
    connection.close()


def set_clusters(connection: duckdb.DuckDBPyConnection, entity: str, groups: list[list[str]]):
    """Write ``clusters_<entity>`` as clustering would: keyed by each group's smallest id."""
    connection.execute(
        f"CREATE OR REPLACE TABLE clusters_{entity} (mention_id VARCHAR, cluster_key VARCHAR)"
    )
    for group in groups:
        for mention_id in group:
            connection.execute(
                f"INSERT INTO clusters_{entity} VALUES (?, ?)", [mention_id, min(group)]
            )


def run(connection, groups: list[list[str]], run_id: str, entity: str = "person"):
    set_clusters(connection, entity, groups)
    return assign_golden_ids(connection, entity, run_id, NOW)


def ids(connection, entity: str = "person") -> dict[str, str]:
    """mention id → golden id."""
    return dict(
        connection.execute(
            "SELECT mention_id, golden_id FROM golden_members WHERE entity = ?", [entity]
        ).fetchall()
    )


def lineage(connection, run_id: str) -> list[tuple]:
    return connection.execute(
        "SELECT old_id, new_id, kind FROM golden_lineage WHERE run_id = ? ORDER BY ALL",
        [run_id],
    ).fetchall()


def redirects(connection) -> dict[str, str | None]:
    retired_redirects(connection)
    return dict(connection.execute("SELECT old_id, new_id FROM golden_redirects").fetchall())


GROUPS = [["a/1/p", "b/1/p", "c/1/p"], ["a/2/p"], ["b/2/p", "c/2/p"]]


def test_same_input_gives_the_same_ids_in_two_fresh_workspaces(tmp_path):
    seen = []
    for name in ("one", "two"):
        connection = staging.connect(tmp_path / name)
        run(connection, GROUPS, "r1")
        seen.append(ids(connection))
        connection.close()
    assert seen[0] == seen[1]
    assert seen[0]["a/1/p"] == golden_token("person", "a/1/p")
    assert len(set(seen[0].values())) == 3


def test_ids_are_opaque_and_prefixed_by_entity_type(connection):
    run(connection, [["x/1/e"]], "r1", entity="enterprise")
    run(connection, [["x/1/u"]], "r1", entity="rental_unit")
    run(connection, [["x/1/p"]], "r1")
    assert re.fullmatch(r"P-[0-9a-f]{12}", ids(connection)["x/1/p"])
    assert re.fullmatch(r"E-[0-9a-f]{12}", ids(connection, "enterprise")["x/1/e"])
    assert re.fullmatch(r"U-[0-9a-f]{12}", ids(connection, "rental_unit")["x/1/u"])


def test_a_rerun_on_the_same_clusters_changes_nothing(connection):
    first = run(connection, GROUPS, "r1")
    before = ids(connection)
    second = run(connection, GROUPS, "r2")
    assert ids(connection) == before
    assert lineage(connection, "r2") == []
    assert (first.created, second.created, second.kept, second.retired) == (3, 0, 3, 0)
    assert sorted(kind for _, _, kind in lineage(connection, "r1")) == ["create"] * 3


def test_a_new_mention_joining_a_cluster_keeps_its_id(connection):
    run(connection, GROUPS, "r1")
    before = ids(connection)
    # the newcomer even has the smallest mention id of its cluster
    run(connection, [["0/9/p", *GROUPS[0]], *GROUPS[1:]], "r2")
    after = ids(connection)
    assert after["0/9/p"] == after["a/1/p"] == before["a/1/p"]
    assert lineage(connection, "r2") == []


def test_a_merge_keeps_the_larger_clusters_id_and_redirects_the_other(connection):
    run(connection, GROUPS, "r1")
    big, small = ids(connection)["b/1/p"], ids(connection)["b/2/p"]
    result = run(connection, [GROUPS[0] + GROUPS[2], GROUPS[1]], "r2")
    after = ids(connection)
    assert {after[m] for m in GROUPS[0] + GROUPS[2]} == {big}
    assert lineage(connection, "r2") == [(small, big, "merge")]
    assert (result.retired, result.merges, result.created) == (1, 1, 0)
    assert redirects(connection) == {small: big}
    assert connection.execute(
        "SELECT status FROM golden_ids WHERE golden_id = ?", [small]
    ).fetchall() == [("retired",)]
    # a later merge of the survivor moves the redirect along the chain
    other = ids(connection)["a/2/p"]
    run(connection, [["a/2/p", *GROUPS[0], *GROUPS[2]]], "r3")
    assert ids(connection)["a/2/p"] == big
    assert redirects(connection) == {small: big, other: big}
    run(connection, [["a/2/p", "z/1/p"], GROUPS[0] + GROUPS[2]], "r4")
    run(connection, [["a/2/p", "z/1/p"]], "r5")  # big's mentions vanish: it retires
    assert redirects(connection)[small] is None


def test_a_split_gives_the_larger_part_the_old_id(connection):
    run(connection, GROUPS, "r1")
    old = ids(connection)["a/1/p"]
    result = run(connection, [["b/1/p", "c/1/p"], ["a/1/p"], *GROUPS[1:]], "r2")
    after = ids(connection)
    assert after["b/1/p"] == after["c/1/p"] == old
    fresh = after["a/1/p"]
    assert fresh != old
    assert set(lineage(connection, "r2")) == {(old, fresh, "split"), (None, fresh, "create")}
    assert (result.splits, result.created, result.retired) == (1, 1, 0)


def test_vanished_mentions_retire_their_id(connection):
    run(connection, GROUPS, "r1")
    gone = ids(connection)["a/2/p"]
    run(connection, [GROUPS[0], GROUPS[2]], "r2")
    assert lineage(connection, "r2") == [(gone, None, "retire")]
    assert redirects(connection) == {gone: None}


def test_a_retired_id_is_never_issued_again(connection):
    run(connection, [["a/1/p", "b/1/p"]], "r1")
    first = ids(connection)["a/1/p"]
    assert first == golden_token("person", "a/1/p")
    run(connection, [["b/1/p"]], "r2")  # b keeps the ID that was derived from a
    run(connection, [["a/1/p"], ["b/1/p"]], "r3")
    after = ids(connection)
    assert after["b/1/p"] == first
    assert after["a/1/p"] == golden_token("person", "a/1/p", 1)


def test_entity_types_keep_separate_assignments(connection):
    run(connection, GROUPS, "r1")
    people = ids(connection)
    run(connection, [["e/1/e", "e/2/e"]], "r1", entity="enterprise")
    run(connection, [["e/1/e"], ["e/2/e"]], "r2", entity="enterprise")
    assert ids(connection) == people
    assert len(set(ids(connection, "enterprise").values())) == 2


def test_a_steward_merge_keeps_the_id_the_steward_chose(connection):
    run(connection, GROUPS, "r1")
    big, small = ids(connection)["b/1/p"], ids(connection)["b/2/p"]
    set_clusters(connection, "person", [GROUPS[0] + GROUPS[2], GROUPS[1]])
    result = assign_golden_ids(connection, "person", "r2", NOW, keep=[(small, None)])
    after = ids(connection)
    assert {after[m] for m in GROUPS[0] + GROUPS[2]} == {small}
    assert lineage(connection, "r2") == [(big, small, "merge")]
    assert (result.retired, result.merges, result.created) == (1, 1, 0)
    assert redirects(connection) == {big: small}
    # the choice holds on later runs, and does not claim clusters the kept ID never had
    set_clusters(connection, "person", [GROUPS[0] + GROUPS[2], GROUPS[1]])
    assign_golden_ids(connection, "person", "r3", NOW, keep=[(small, None)])
    assert ids(connection) == after and lineage(connection, "r3") == []


def test_after_a_split_the_part_the_steward_kept_keeps_the_id(connection):
    run(connection, [["a/1/p", "b/1/p", "c/1/p", "d/1/p"]], "r1")
    old = ids(connection)["a/1/p"]
    split = [["a/1/p", "b/1/p"], ["c/1/p", "d/1/p"]]  # two halves: a tie on overlap
    set_clusters(connection, "person", split)
    assign_golden_ids(connection, "person", "r2", NOW, keep=[(old, "d/1/p")])
    after = ids(connection)
    assert after["c/1/p"] == after["d/1/p"] == old != after["a/1/p"]
    # without the anchor the tie goes to the smaller cluster key, the other half
    connection.execute("DELETE FROM golden_members")
    run(connection, [["a/1/p", "b/1/p", "c/1/p", "d/1/p"]], "r3")
    again = ids(connection)["a/1/p"]
    set_clusters(connection, "person", split)
    assign_golden_ids(connection, "person", "r4", NOW)
    assert ids(connection)["a/1/p"] == again
