"""Publish a resolved generated city to the real Neo4j: counts, idempotence, crash recovery."""

import shutil

import duckdb
import pytest

from graph_schema.errors import GraphError
from graph_schema.fingerprint import graph_fingerprint
from graph_schema.publish import graph_counts, publish
from huitong.citygen import generate_city
from loaders.config import load_config
from resolution.decisions import store_decisions
from resolution.pipeline import resolve


@pytest.fixture(scope="module")
def resolved(tmp_path_factory):
    city = tmp_path_factory.mktemp("city")
    generate_city(persons=600, seed=11, out=city)
    workdir = tmp_path_factory.mktemp("work")
    resolve(load_config(city / "sources.toml"), workdir, progress=False)
    return city, workdir


def workdir_counts(workdir):
    connection = duckdb.connect(str(workdir / "workspace.duckdb"), read_only=True)
    try:

        def one(sql):
            return connection.execute(sql).fetchone()[0]

        return {
            "Person": one("SELECT count(*) FROM golden_person"),
            "Enterprise": one("SELECT count(*) FROM golden_enterprise"),
            "RentalUnit": one("SELECT count(*) FROM golden_rental_unit"),
            "SourceRecord": one("SELECT count(*) FROM mentions"),
            "RESOLVES_TO": one("SELECT count(*) FROM golden_members"),
            "Event": one("SELECT count(*) FROM events"),
            "Department": one(
                "SELECT count(DISTINCT d) FROM (SELECT department d FROM mentions "
                "UNION ALL SELECT department FROM events)"
            ),
        }
    finally:
        connection.close()


def test_graph_counts_equal_the_workdir_and_republish_changes_nothing(driver, resolved):
    _, workdir = resolved
    report = publish(workdir, driver, progress=False)
    expected = workdir_counts(workdir)
    counts = graph_counts(driver)
    for key, value in expected.items():
        assert counts[key] == value, key
    assert report.elements_written > sum(expected.values())
    orphans, _, _ = driver.execute_query(
        "MATCH (s:SourceRecord) WHERE NOT (s)-[:RESOLVES_TO]->() RETURN count(s) AS n"
    )
    assert orphans[0]["n"] == 0
    first = graph_fingerprint(driver)
    publish(workdir, driver, progress=False)
    assert graph_counts(driver) == counts
    assert graph_fingerprint(driver) == first


def test_the_same_input_again_skips_the_writes(driver, resolved):
    """A publish of what the last complete one was made from writes nothing; a real-time call
    applied since, or a publish killed midway, makes the next one write everything again."""
    _, workdir = resolved
    publish(workdir, driver, progress=False)
    clean = graph_fingerprint(driver)
    again = publish(workdir, driver, progress=False)
    assert again.elements_written == 0 and "plan" not in again.timings
    assert graph_fingerprint(driver) == clean
    driver.execute_query("MERGE (j:RealtimeJournal {key: 'test-journal'}) SET j.applied = 1")
    try:
        assert publish(workdir, driver, progress=False).elements_written > 0
        assert publish(workdir, driver, progress=False).elements_written == 0
    finally:
        driver.execute_query("MATCH (j:RealtimeJournal {key: 'test-journal'}) DELETE j")
    with pytest.raises(GraphError, match="simulated failure"):
        publish(workdir, driver, progress=False, batch_size=200, fail_after_batches=2)
    assert publish(workdir, driver, progress=False).elements_written > 0
    assert graph_fingerprint(driver) == clean


def test_a_killed_publish_recovers_to_the_same_graph(driver, resolved):
    _, workdir = resolved
    publish(workdir, driver, progress=False)
    clean = graph_fingerprint(driver)
    from graph_schema.migrations import reset

    reset(driver)
    with pytest.raises(GraphError, match="simulated failure"):
        publish(workdir, driver, progress=False, batch_size=200, fail_after_batches=5)
    partial = graph_fingerprint(driver)
    assert partial != clean
    publish(workdir, driver, progress=False)
    assert graph_fingerprint(driver) == clean
    seqs, _, _ = driver.execute_query("MATCH (c:Change) RETURN c.seq AS seq ORDER BY seq")
    numbers = [row["seq"] for row in seqs]
    assert numbers and numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def test_publish_after_a_new_resolve_applies_the_difference(driver, resolved, tmp_path):
    city, workdir = resolved
    copy = tmp_path / "work"
    shutil.copytree(workdir, copy)
    publish(copy, driver, progress=False)
    # A steward splits one mention off a person: re-resolve and re-publish apply the split.
    connection = duckdb.connect(str(copy / "workspace.duckdb"))
    golden, moved_key = connection.execute(
        """SELECT golden_id, max(mention_id) FROM golden_members WHERE entity = 'person'
           GROUP BY golden_id HAVING count(*) >= 3 ORDER BY golden_id LIMIT 1"""
    ).fetchone()
    others = [
        row[0]
        for row in connection.execute(
            "SELECT mention_id FROM golden_members WHERE golden_id = ? AND mention_id <> ?",
            [golden, moved_key],
        ).fetchall()
    ]
    # ... and merges two other persons: the one merged in is retired, redirected to the other.
    (keep, keep_mention), (merged, merged_mention) = connection.execute(
        """SELECT golden_id, min(mention_id) FROM golden_members WHERE entity = 'person'
           AND golden_id <> ? GROUP BY golden_id HAVING count(*) = 2 ORDER BY golden_id LIMIT 2""",
        [golden],
    ).fetchall()
    store_decisions(
        connection,
        [
            {"id": "D-1", "kind": "split", "entity": "person", "reason": "different people",
             "decided_by": "test", "decided_at": "2026-01-01",
             "pairs": [{"decision": "NOT_A_MATCH", "mention_id_l": moved_key,
                        "mention_id_r": other} for other in others]},
            {"id": "D-2", "kind": "merge", "entity": "person", "reason": "one person",
             "decided_by": "test", "decided_at": "2026-01-01",
             "after": {"entity_id": keep, "anchor": keep_mention},
             "pairs": [{"decision": "MATCH", "mention_id_l": keep_mention,
                        "mention_id_r": merged_mention}]},
        ],
    )  # fmt: skip
    connection.close()
    resolve(load_config(city / "sources.toml"), copy, progress=False)
    publish(copy, driver, progress=False)
    expected = workdir_counts(copy)
    counts = graph_counts(driver)
    for key, value in expected.items():
        assert counts[key] == value, key
    kept, _, _ = driver.execute_query(
        "MATCH (s:SourceRecord)-[:RESOLVES_TO]->(p:Person {id: $id}) RETURN s.key AS key",
        id=golden,
    )
    assert sorted(r["key"] for r in kept) == sorted(others)
    moved, _, _ = driver.execute_query(
        "MATCH (s:SourceRecord {key: $key})-[:RESOLVES_TO]->(p:Person) RETURN p.id AS id",
        key=moved_key,
    )
    assert len(moved) == 1 and moved[0]["id"] != golden
    retired, _, _ = driver.execute_query(
        "MATCH (r:RetiredEntity)-[:REDIRECTS_TO]->(p:Person) RETURN r.id AS old, p.id AS new"
    )
    assert [(r["old"], r["new"]) for r in retired] == [(merged, keep)]
    assert counts["RetiredEntity"] == counts["REDIRECTS_TO"] == 1
