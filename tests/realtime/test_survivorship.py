"""The real-time engine's survivorship in Python gives exactly what the batch's SQL gives, on
every golden record of a resolved city (its real members, values, ties and sources)."""

from __future__ import annotations

import duckdb
import pytest

from resolution.snapshot import current_snapshot
from resolution.survivorship import build_golden_records, golden_records_of


@pytest.mark.parametrize("entity", ["person", "enterprise", "rental_unit"])
def test_python_survivorship_equals_the_sql_on_a_whole_city(city, entity):
    path = current_snapshot(city.workdir)["path"]
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{path}' AS snap (READ_ONLY)")
        members = "SELECT * FROM snap.mentions WHERE entity = ?"
        con.execute(
            f"CREATE TABLE mentions AS SELECT * EXCLUDE (golden_id) FROM ({members})", [entity]
        )
        con.execute(
            f"CREATE TABLE golden_members AS SELECT mention_id, entity, golden_id FROM ({members})",
            [entity],
        )
        build_golden_records(con, entity)
        expected_records = con.execute(
            f"SELECT * FROM golden_records_{entity} ORDER BY golden_id, attribute"
        ).fetchall()
        result = con.execute(f"SELECT * FROM golden_{entity}")
        names = [d[0] for d in result.description]
        expected_golden = {r[0]: dict(zip(names, r, strict=True)) for r in result.fetchall()}
        result = con.execute(members, [entity])
        names = [d[0] for d in result.description]
        rows = [dict(zip(names, r, strict=True)) for r in result.fetchall()]
    finally:
        con.close()
    records, golden = golden_records_of(rows, entity)
    assert len(expected_golden) >= 20
    rules = {r[-1] for r in expected_records}
    assert {"only_value", "most_frequent"} < rules, rules  # chains decided, not only one value
    assert records == expected_records
    assert golden == expected_golden
