"""Publish a resolved generated city to the real Neo4j: counts, idempotence, crash recovery."""

import shutil
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import duckdb
import pytest

from graph_schema import bulk_import
from graph_schema.connection import Neo4jTarget, open_driver
from graph_schema.errors import GraphError
from graph_schema.fingerprint import graph_fingerprint
from graph_schema.migrations import reset, schema_inventory
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


def resolve_again_with_a_split_and_a_merge(city, copy):
    """A second resolve of ``copy`` after a steward's split and merge; returns the split person,
    the mention split off, the mentions left, the person kept and the one merged into it."""
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
    return golden, moved_key, others, keep, merged


def test_publish_after_a_new_resolve_applies_the_difference(driver, resolved, tmp_path):
    city, workdir = resolved
    copy = tmp_path / "work"
    shutil.copytree(workdir, copy)
    publish(copy, driver, progress=False)
    golden, moved_key, others, keep, merged = resolve_again_with_a_split_and_a_merge(city, copy)
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


# -- the offline import ---------------------------------------------------------------------
TYPES = """
MATCH (n) UNWIND keys(n) AS k RETURN DISTINCT labels(n) AS what, k, valueType(n[k]) AS type
UNION
MATCH ()-[r]->() UNWIND keys(r) AS k RETURN DISTINCT [type(r)] AS what, k, valueType(r[k]) AS type
"""


def graph_state(driver):
    """What the two writers must agree on: the fingerprint, every property's type, and the
    change entries' moments (which the fingerprint leaves out) and numbering."""
    types, _, _ = driver.execute_query(TYPES)
    changes, _, _ = driver.execute_query(
        "MATCH (c:Change) RETURN c.key AS key, c.at AS at, c.seq AS seq ORDER BY c.seq"
    )
    feed, _, _ = driver.execute_query("MATCH (f:ChangeFeed) RETURN f.seq AS seq, f.run AS run")
    return {
        "fingerprint": graph_fingerprint(driver),
        "types": sorted((sorted(r["what"]), r["k"], r["type"]) for r in types),
        "at": sorted((r["key"], r["at"]) for r in changes),
        "seq": [r["seq"] for r in changes],
        "feed": [dict(r) for r in feed],
        "schema": schema_inventory(driver),
    }


@pytest.fixture(scope="module")
def resolved_twice(resolved, tmp_path_factory):
    """The city resolved again after a split and a merge: two runs of change entries, a
    redirect, a retired record."""
    city, workdir = resolved
    copy = tmp_path_factory.mktemp("twice") / "work"
    shutil.copytree(workdir, copy)
    resolve_again_with_a_split_and_a_merge(city, copy)
    return copy


@pytest.mark.parametrize("which", ["once", "twice"])
def test_the_offline_import_writes_the_graph_the_cypher_writes(
    driver, neo4j_server, resolved, resolved_twice, which
):
    if neo4j_server is None:
        pytest.skip("the offline import needs the session's own server (NEO4J_URI is set)")
    workdir = resolved[1] if which == "once" else resolved_twice
    cypher = publish(workdir, driver, progress=False, server=neo4j_server, bulk="never")
    assert cypher.method == "cypher"
    expected = graph_state(driver)
    reset(driver)
    imported = publish(workdir, driver, progress=False, server=neo4j_server, bulk="always")
    assert imported.method == "import", imported.note
    assert graph_state(driver) == expected
    assert expected["seq"] == list(range(1, len(expected["seq"]) + 1))
    assert expected["feed"][0]["seq"] == len(expected["seq"]) > 0
    assert imported.changes_written == cypher.changes_written == len(expected["seq"])
    # exact (the importer's own count), where the Cypher writer estimates from its rows
    assert imported.elements_written == sum(graph_counts(driver).values())
    # the driver handed in keeps working (its bookmarks from the old database were replaced),
    # and the graph is a normal one: the same again is skipped, a write lands
    again = publish(workdir, driver, progress=False, server=neo4j_server, bulk="always")
    assert again.method == "unchanged"
    driver.execute_query("MERGE (n:HuitongProbe {key: 1})")
    driver.execute_query("MATCH (n:HuitongProbe) DELETE n")


def test_the_import_is_used_only_into_an_empty_local_graph(driver, neo4j_server, resolved):
    if neo4j_server is None:
        pytest.skip("needs the session's own server")
    _, workdir = resolved
    # a city below the threshold: auto writes through Cypher
    assert publish(workdir, driver, progress=False, server=neo4j_server).method == "cypher"
    reset(driver)
    # no server (NEO4J_URI names someone else's): Cypher, whatever was asked
    assert publish(workdir, driver, progress=False, bulk="always").method == "cypher"
    # a graph holding anything: Cypher (an import would replace what it holds)
    driver.execute_query("MATCH (n:HuitongPublish) DETACH DELETE n")
    assert not bulk_import.graph_is_empty(driver, "neo4j")
    report = publish(workdir, driver, progress=False, server=neo4j_server, bulk="always")
    assert report.method == "cypher"


def test_an_interrupted_import_leaves_an_empty_database(driver, neo4j_server, resolved):
    """The server stopped, the import killed midway: the next start empties the database
    (it was empty before the import, and what the import left is not a graph)."""
    if neo4j_server is None:
        pytest.skip("needs the session's own server")
    _, workdir = resolved
    publish(workdir, driver, progress=False, bulk="never")
    neo4j_server.stop()
    neo4j_server.import_marker.write_text("{}")  # what import_database leaves until it ends
    neo4j_server.start()
    assert not neo4j_server.import_marker.exists()
    with open_driver(resolve_target_of(neo4j_server)) as fresh:
        records, _, _ = fresh.execute_query("MATCH (n) RETURN count(n) AS n")
        assert records[0]["n"] == 0
        report = publish(workdir, fresh, progress=False, server=neo4j_server, bulk="always")
        assert report.method == "import"
        assert graph_counts(fresh)["SourceRecord"] == workdir_counts(workdir)["SourceRecord"]


def resolve_target_of(server):
    env = server.connection_env()
    return Neo4jTarget(env["NEO4J_URI"], env["NEO4J_USER"], env["NEO4J_PASSWORD"], "neo4j")


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"a": 1}, {"a": "1"}], "both long and string"),
        ([{"a": []}], "empty or not of text"),
        ([{"a": float("nan")}], "nan"),
        ([{"a": datetime(2026, 1, 1)}], "without a time zone"),
    ],
)
def test_what_a_csv_cannot_say_as_cypher_stores_it_is_refused(rows, message):
    with pytest.raises(bulk_import.NotImportable, match=message):
        bulk_import._columns(rows, "Label")


def test_date_times_keep_their_zone_in_the_csv():
    zoned = datetime(2026, 1, 2, 3, 4, 5, 600, tzinfo=ZoneInfo("Asia/Shanghai"))
    offset = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert bulk_import._cell(zoned, "datetime", "x") == (
        "2026-01-02T03:04:05.000600+08:00[Asia/Shanghai]"
    )
    assert bulk_import._cell(offset, "datetime", "x") == "2026-01-02T03:04:05+00:00"
    assert bulk_import._cell('say "hi"', "string", "x") == '"say ""hi"""'
    assert bulk_import._cell(["a", "b"], "string[]", "x") == '"a\x1fb"'
