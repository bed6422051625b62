"""A call journalled but never written to the graph (the graph unreachable, as after a crash
between journal and graph) is written by the next call, in journal order, exactly once."""

from __future__ import annotations

import pytest
from neo4j import GraphDatabase

from graph_schema.connection import open_driver
from huitong.journal import Journal
from realtime.engine import Engine, rows_from_objects
from realtime.errors import NotApplied
from tests.conftest import free_port


def test_a_call_the_graph_missed_is_applied_by_the_next_one(city, neo4j_target):
    rows = city.rows["hukou"][11:13]
    residents = [f"hukou/{row['人员编号']}/resident" for row in rows]
    nowhere = GraphDatabase.driver(
        f"bolt://127.0.0.1:{free_port()}",
        auth=("neo4j", "x"),
        connection_timeout=1.0,
        max_transaction_retry_time=0.5,
    )
    down = Engine(city.workdir, nowhere, database=neo4j_target.database)
    try:
        with pytest.raises(NotApplied, match="recorded in the workdir"):
            down.submit("hukou", rows_from_objects(rows), "test")
    finally:
        down.close()
        nowhere.close()
    missed = Journal(city.workdir).last_seq()
    with open_driver(neo4j_target) as driver:

        def in_graph(keys: list[str]) -> dict[str, str]:
            records, _, _ = driver.execute_query(
                "MATCH (s:SourceRecord)-[:RESOLVES_TO]->(g) WHERE s.key IN $keys "
                "RETURN s.key AS key, g.id AS id",
                keys=keys,
            )
            return {r["key"]: r["id"] for r in records}

        def changes() -> int:
            records, _, _ = driver.execute_query(
                "MATCH (c:Change {run_id: $run}) RETURN count(c) AS n", run=f"realtime:{missed}"
            )
            return records[0]["n"]

        assert in_graph(residents) == {} and changes() == 0, "the graph did not take the call"
        up = Engine(city.workdir, driver, database=neo4j_target.database)
        try:
            replay = up.submit("hukou", rows_from_objects(rows), "test")
            assert [r.status for r in replay.rows] == ["UNCHANGED", "UNCHANGED"]
            given = {f"hukou/{r.record_id}/{m.role}": m.entity_id for r in replay.rows
                     for m in r.mentions}  # fmt: skip
            assert set(residents) <= set(given)
            assert in_graph(list(given)) == given
            written = changes()
            assert written > 0, "its change entries came with it"
            up.submit("hukou", rows_from_objects(rows), "test")
            assert changes() == written, "applied once"
        finally:
            up.close()
        records, _, _ = driver.execute_query(
            "MATCH (j:RealtimeJournal) RETURN max(j.applied) AS seq"
        )
        assert records[0]["seq"] == missed
