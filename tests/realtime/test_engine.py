"""Real-time resolution against the real Neo4j: rows held out of a generated city are submitted
after it was resolved and published; they get golden IDs, land in the graph and the change
feed in one call, replay as UNCHANGED, and the next resolve treats them as part of their
source and keeps their IDs."""

from __future__ import annotations

import csv
import gc
import json
from collections import Counter

from huitong.journal import Journal
from realtime.engine import Engine, rows_from_objects
from resolution.pipeline import export_clusters, resolve


def _objects(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items()} for row in rows]


def _golden_of_record(driver, key: str) -> str | None:
    records, _, _ = driver.execute_query(
        "MATCH (s:SourceRecord {key: $key})-[:RESOLVES_TO]->(g) RETURN g.id AS id", key=key
    )
    return records[0]["id"] if records else None


def test_submitted_rows_get_golden_ids_in_the_graph_and_the_feed(city, engine, graph):
    records, _, _ = graph.execute_query(
        "MATCH (s:SourceRecord)-[:RESOLVES_TO]->(g:Person) RETURN s.key AS key, g.id AS id"
    )
    by_truth: dict[str, Counter] = {}
    for r in records:
        if r["key"] in city.truth:
            by_truth.setdefault(city.truth[r["key"]], Counter())[r["id"]] += 1
    before = Journal(city.workdir).last_seq()
    result = engine.submit("rental", rows_from_objects(_objects(city.rows["rental"])), "test")
    assert [r.status for r in result.rows] == ["CREATED"] * len(city.rows["rental"])
    assert result.sequence == before + 1
    agreed = total = 0
    for row in result.rows:
        roles = {m.role: m for m in row.mentions}
        assert {"unit", "landlord", "tenant"} <= set(roles)
        for role, mention in roles.items():
            assert mention.decision in ("MATCHED", "NEW", "REVIEW")
            key = f"rental/{row.record_id}/{role}"
            assert _golden_of_record(graph, key) == mention.entity_id
            # record to entity: a landlord or tenant the city knows joins that person
            true_id = city.truth.get(key)
            if mention.entity == "person" and true_id in by_truth:
                total += 1
                agreed += by_truth[true_id].most_common(1)[0][0] == mention.entity_id
    assert total >= 3 and agreed >= total - 1, (agreed, total)
    changes, _, _ = graph.execute_query(
        "MATCH (c:Change) WHERE c.run_id = $run RETURN c.kind AS kind",
        run=f"realtime:{result.sequence}",
    )
    assert {r["kind"] for r in changes} <= {
        "CREATED", "UPDATED", "MERGED", "MOVED_IN", "MOVED_OUT", "SPLIT", "RETIRED", "EVENT"
    }  # fmt: skip
    assert changes, "the call's change entries are in the feed"
    applied, _, _ = graph.execute_query("MATCH (j:RealtimeJournal) RETURN j.applied AS seq")
    assert [r["seq"] for r in applied] == [result.sequence]


def test_the_engines_state_is_left_out_of_the_collectors_walks(city, graph, neo4j_target):
    """Each full collection walked everything the engine keeps (150–500 ms pauses every ten
    or so calls at 100k persons, the one-row p95): what it builds when it opens and when it
    replays the journal is frozen after a full collection, still freed by reference
    counting, no longer walked."""
    engine = Engine(city.workdir, graph, database=neo4j_target.database)
    try:
        walked = {id(o) for o in gc.get_objects()}
        opened = {"snapshot_sizes": engine.snapshot_sizes, "profile_ids": engine.profile_ids}
        assert not [name for name, o in opened.items() if id(o) in walked]
        with engine.journal.writer() as writer:
            engine._catch_up(writer)  # the calls of the tests before (one at least)
        assert engine.golden_state, "the journal's calls were replayed"
        walked = {id(o) for o in gc.get_objects()}
        replayed = [*engine.golden_state.values(), engine.matchers["person"].overlay_rows]
        assert not [o for o in replayed if id(o) in walked]
    finally:
        engine.close()


def test_replay_is_unchanged_and_bad_rows_get_their_reason(city, engine, graph):
    again = _objects(city.rows["rental"][:2])
    broken = {**city.rows["hukou"][0], "人员编号": ""}
    nameless = {k: "" for k in city.rows["hukou"][1]} | {"人员编号": "RT-EMPTY"}
    good = city.rows["hukou"][2]
    before = Journal(city.workdir).last_seq()
    result = engine.submit("rental", rows_from_objects(again), "test")
    assert [r.status for r in result.rows] == ["UNCHANGED", "UNCHANGED"]
    assert result.sequence is None and Journal(city.workdir).last_seq() == before
    assert all(m.entity_id for r in result.rows for m in r.mentions)
    surrogate = {**city.rows["hukou"][4], "姓名": "王\ud800"}  # JSON may carry "\\ud800"
    mixed = engine.submit(
        "hukou", rows_from_objects([broken, nameless, good, "x", surrogate]), "test"
    )
    statuses = [r.status for r in mixed.rows]
    assert statuses == ["QUARANTINED", "QUARANTINED", "CREATED", "QUARANTINED", "QUARANTINED"]
    assert "missing record id" in mixed.rows[0].reason
    assert "no mention" in mixed.rows[1].reason or "identifying" in mixed.rows[1].reason
    assert "must be an object" in mixed.rows[3].reason
    assert "lone surrogate" in mixed.rows[4].reason
    key = f"hukou/{good['人员编号']}/resident"
    assert _golden_of_record(graph, key) == mixed.rows[2].mentions[0].entity_id


def test_an_update_and_a_retraction(city, engine, graph):
    row = dict(city.rows["hukou"][3])
    first = engine.submit("hukou", rows_from_objects([row]), "test").rows[0]
    assert first.status == "CREATED"
    changed = {**row, "联系电话": "13800000001"}
    second = engine.submit("hukou", rows_from_objects([changed]), "test").rows[0]
    assert second.status == "UPDATED"
    key = f"hukou/{row['人员编号']}/resident"
    records, _, _ = graph.execute_query(
        "MATCH (s:SourceRecord {key: $key}) RETURN s.phone AS phone", key=key
    )
    assert records[0]["phone"] == "13800000001"
    gone = engine.retract("hukou", [row["人员编号"], "NO-SUCH-RECORD"], "test")
    assert gone.retracted == [row["人员编号"]] and gone.not_found == ["NO-SUCH-RECORD"]
    assert _golden_of_record(graph, key) is None
    again = engine.retract("hukou", [row["人员编号"]], "test")
    assert again.retracted == [] and again.sequence is None


def test_the_next_resolve_holds_the_rows_and_keeps_their_ids(city, engine, tmp_path):
    submitted = engine.submit("hukou", rows_from_objects(city.rows["hukou"][4:6]), "test")
    given = {
        f"hukou/{r.record_id}/{m.role}": m.entity_id for r in submitted.rows for m in r.mentions
    }
    before = tmp_path / "before.csv"
    export_clusters(city.workdir, before)
    exported = {
        f"{r['source']}/{r['record_id']}/{r['role']}": r["entity_id"]
        for r in csv.DictReader(before.open(encoding="utf-8"))
    }
    assert all(exported[key] == golden for key, golden in given.items())
    engine.close()
    report = resolve(city.config, city.workdir, progress=False)
    assert report.ingest.submitted_through == Journal(city.workdir).last_seq()
    after = tmp_path / "after.csv"
    export_clusters(city.workdir, after)
    resolved = {
        f"{r['source']}/{r['record_id']}/{r['role']}": r["entity_id"]
        for r in csv.DictReader(after.open(encoding="utf-8"))
    }
    rental_keys = {
        f"rental/{row['登记编号']}/{role}"
        for row in city.rows["rental"]
        for role in ("unit", "landlord", "tenant")
    }
    assert rental_keys <= set(resolved), "the submitted rental rows are part of their source"
    assert f"hukou/{city.rows['hukou'][3]['人员编号']}/resident" not in resolved  # retracted
    kept = sum(resolved.get(key) == golden for key, golden in given.items())
    assert kept >= len(given) - 1, (kept, len(given))
    ingest = json.loads((city.workdir / "ingest_report.json").read_text())
    rental = next(s for s in ingest["sources"] if s["name"] == "rental")
    assert rental["rows_read"] == rental["rows_staged"] + rental["rows_quarantined"]
