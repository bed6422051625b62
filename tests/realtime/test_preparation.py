"""A call's mentions are prepared as the batch prepares them, with or without the parts the
call has no rows for.

A real-time call without relations (a disability or exit-entry row) or without events as
well has nothing for the preparation's neighbour and related-value parts; the matcher then
reads them as empty relations of the same columns and types, which DuckDB plans far faster.
For a few rows of every source of the city, both ways give the same matcher rows.
"""

from __future__ import annotations

from huitong.vocabulary import ENTITY_TYPES
from loaders.readers import iter_rows
from realtime.engine import CALL, rows_from_objects
from resolution.matcher_input import NEIGHBOURS, RELATED, _neighbours_sql, _related_sql


def test_a_call_is_prepared_alike_without_the_parts_it_has_no_rows_for(city, engine) -> None:
    seen: list[set[str]] = []
    for spec in city.config.sources:
        rows = [r.values for r in iter_rows(spec.path, spec.format, spec.encoding) if r.values]
        rows = [{**row, spec.record_id: f"PREP-{i}"} for i, row in enumerate(rows[:3])]
        call = engine._stage(spec, rows_from_objects(rows))
        try:
            engine._write_call_tables(call)
            empty = engine._empty_parts(call)
            seen.append(empty)
            entities = {m.entity for m in call.mentions}
            for entity in ENTITY_TYPES:
                if entity not in entities:
                    continue
                matcher = engine.matchers[entity]
                parts = {
                    RELATED: _related_sql(matcher.spec, CALL),
                    NEIGHBOURS: _neighbours_sql(
                        engine.con, matcher.spec, CALL, degrees_elsewhere=matcher.degrees
                    ),
                }
                for part in empty:  # what the call is said to have no rows for, it has not
                    sql = parts[part]
                    assert (
                        not sql
                        or not engine.con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]
                    ), (spec.name, entity, part)
                whole = matcher.prepare(CALL)
                quick = matcher.prepare(CALL, empty=empty)
                assert whole.num_rows > 0
                assert quick.schema == whole.schema, (spec.name, entity)
                assert quick.to_pylist() == whole.to_pylist(), (spec.name, entity)
        finally:
            engine._reset()
    # the city's sources exercise every case: relations, events only, neither
    assert set() in seen and {NEIGHBOURS} in seen and {NEIGHBOURS, RELATED} in seen
