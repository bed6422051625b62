"""What a resolve run changed, as change entries for the data-return feed (数据返还).

After every resolve, :func:`record_changes` compares the run's outcome with the state the last
recorded run left (the *baseline*, kept in the workspace) and appends one row per change to
``change_entries``; then it makes the run's state the new baseline. Both happen in one DuckDB
transaction, so a resolve that crashes before it leaves the baseline as it was and, run again,
records the same entries.

Kinds (the feed's ``ChangeKind``), each placed where it concerns (``point_key, district, street,
community``), so the API shows it only inside that jurisdiction:

- ``CREATED``: a golden ID not in the baseline; fields are its survived values (``before``
  null); placed where the record lies now.
- ``UPDATED``: a survived value that differs (``fields``: name, before, after and the source
  and record that supplied the new value); placed where the record lies now.
- ``MOVED_OUT`` / ``MOVED_IN``: the record's district, street or community changed (placement,
  ``golden_places``): ``MOVED_OUT`` at the old place, without anything of the new one;
  ``MOVED_IN`` at the new place.
- ``MERGED`` (``entity_id`` retired into ``other_id``), ``SPLIT`` (``other_id`` the part split
  off), ``RETIRED`` (every mention gone): from ``golden_lineage`` rows of runs after the
  baseline's; placed where the retired or split entity lay.
- ``EVENT``: an event (birth, death, move, marriage, violation…) staged since the baseline,
  one entry per golden participant, placed where that participant lies (the event's own place
  when the participant is not placed, or when no participant resolved).

Every entry has a ``key`` unique across runs (``<run_id>:<ordinal>``, ordinals in a fixed
order), so publishing the same entries twice writes them once. ``source_records`` lists the
source records behind an entry (``source/record_id/role``, at most
:data:`MAX_SOURCE_RECORDS`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import duckdb

from huitong.vocabulary import CHANGE_KINDS, ENTITY_TYPES
from resolution.cluster import table_exists
from resolution.golden import SCHEMA_SQL as GOLDEN_SCHEMA_SQL
from resolution.placement import GOLDEN_PLACES

CHANGE_ENTRIES = "change_entries"
MAX_SOURCE_RECORDS = 20
"""Source records listed per entry (a large cluster's CREATED names its first 20)."""

SCHEMA_SQL = [
    f"""CREATE TABLE IF NOT EXISTS {CHANGE_ENTRIES} (
        key VARCHAR PRIMARY KEY, run_id VARCHAR, ordinal BIGINT, kind VARCHAR,
        entity VARCHAR, entity_id VARCHAR, other_id VARCHAR, "at" TIMESTAMPTZ,
        event_type VARCHAR, event_id VARCHAR, fields VARCHAR, source_records VARCHAR[],
        point_key VARCHAR, district VARCHAR, street VARCHAR, community VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS change_baseline_state (last_run VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS change_baseline_members (
        mention_id VARCHAR, entity VARCHAR, golden_id VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS change_baseline_records (
        entity VARCHAR, golden_id VARCHAR, attribute VARCHAR, value VARCHAR, source VARCHAR,
        record_id VARCHAR, role VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS change_baseline_places (
        entity VARCHAR, golden_id VARCHAR, point_key VARCHAR, district VARCHAR, street VARCHAR,
        community VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS change_baseline_events (event_id VARCHAR)""",
]


@dataclass(frozen=True)
class ChangeCounts:
    """How many entries of each kind a run recorded."""

    run_id: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _current_records_sql(connection: duckdb.DuckDBPyConnection) -> str:
    parts = [
        f"""SELECT '{entity}' AS entity, golden_id, attribute, value, source, record_id, role
            FROM golden_records_{entity}"""
        for entity in ENTITY_TYPES
        if table_exists(connection, f"golden_records_{entity}")
    ]
    return " UNION ALL ".join(parts) or (
        "SELECT NULL::VARCHAR AS entity, NULL::VARCHAR AS golden_id, NULL::VARCHAR AS attribute,"
        " NULL::VARCHAR AS value, NULL::VARCHAR AS source, NULL::VARCHAR AS record_id,"
        " NULL::VARCHAR AS role WHERE false"
    )


def _entries_sql(records: str) -> str:
    """Every change entry of the run, unnumbered: ``sort_key`` orders them."""
    cap = MAX_SOURCE_RECORDS
    return f"""
    WITH cur_records AS ({records}),
    cur_members AS (SELECT mention_id, entity, golden_id FROM golden_members),
    cur_ids AS (SELECT DISTINCT entity, golden_id FROM cur_members),
    old_ids AS (SELECT DISTINCT entity, golden_id FROM change_baseline_members),
    cur_places AS (SELECT * FROM {GOLDEN_PLACES}),
    old_places AS (SELECT * FROM change_baseline_places),
    members_of AS (
        SELECT golden_id, list(mention_id ORDER BY mention_id)[1:{cap}] AS records
        FROM cur_members GROUP BY golden_id
    ),
    old_members_of AS (
        SELECT golden_id, list(mention_id ORDER BY mention_id)[1:{cap}] AS records
        FROM change_baseline_members GROUP BY golden_id
    ),
    created AS (
        SELECT c.entity, c.golden_id FROM cur_ids c
        ANTI JOIN old_ids o ON o.entity = c.entity AND o.golden_id = c.golden_id
    ),
    created_entries AS (
        SELECT 'CREATED' AS kind, c.entity, c.golden_id AS entity_id, NULL AS other_id,
               NULL AS event_type, NULL AS event_id,
               (SELECT to_json(list({{'name': r.attribute, 'before': NULL, 'after': r.value,
                                      'source': r.source, 'record_id': r.record_id}}
                                     ORDER BY r.attribute))
                FROM cur_records r
                WHERE r.entity = c.entity AND r.golden_id = c.golden_id) AS fields,
               m.records AS source_records,
               p.point_key, p.district, p.street, p.community
        FROM created c
        LEFT JOIN members_of m ON m.golden_id = c.golden_id
        LEFT JOIN cur_places p ON p.entity = c.entity AND p.golden_id = c.golden_id
    ),
    diffs AS (
        SELECT coalesce(n.entity, o.entity) AS entity,
               coalesce(n.golden_id, o.golden_id) AS golden_id,
               coalesce(n.attribute, o.attribute) AS attribute,
               o.value AS before, n.value AS after,
               coalesce(n.source, o.source) AS source,
               coalesce(n.record_id, o.record_id) AS record_id,
               n.source || '/' || n.record_id || '/' || n.role AS record_key
        FROM cur_records n
        FULL JOIN change_baseline_records o
          ON o.entity = n.entity AND o.golden_id = n.golden_id AND o.attribute = n.attribute
        WHERE n.value IS DISTINCT FROM o.value
    ),
    updated_entries AS (
        SELECT 'UPDATED' AS kind, d.entity, d.golden_id AS entity_id, NULL AS other_id,
               NULL AS event_type, NULL AS event_id,
               to_json(list({{'name': d.attribute, 'before': d.before, 'after': d.after,
                              'source': d.source, 'record_id': d.record_id}}
                             ORDER BY d.attribute)) AS fields,
               list(DISTINCT d.record_key ORDER BY d.record_key)
                   FILTER (d.record_key IS NOT NULL) AS source_records,
               any_value(p.point_key) AS point_key, any_value(p.district) AS district,
               any_value(p.street) AS street, any_value(p.community) AS community
        FROM diffs d
        SEMI JOIN cur_ids c ON c.entity = d.entity AND c.golden_id = d.golden_id
        SEMI JOIN old_ids o ON o.entity = d.entity AND o.golden_id = d.golden_id
        LEFT JOIN cur_places p ON p.entity = d.entity AND p.golden_id = d.golden_id
        GROUP BY d.entity, d.golden_id
    ),
    moves AS (
        SELECT c.entity, c.golden_id, o.point_key AS old_point, o.district AS old_district,
               o.street AS old_street, o.community AS old_community,
               n.point_key AS new_point, n.district AS new_district, n.street AS new_street,
               n.community AS new_community
        FROM cur_ids c
        SEMI JOIN old_ids i ON i.entity = c.entity AND i.golden_id = c.golden_id
        LEFT JOIN old_places o ON o.entity = c.entity AND o.golden_id = c.golden_id
        LEFT JOIN cur_places n ON n.entity = c.entity AND n.golden_id = c.golden_id
        WHERE (o.district, o.street, o.community)
              IS DISTINCT FROM (n.district, n.street, n.community)
    ),
    address_records AS (
        SELECT entity, golden_id, source || '/' || record_id || '/' || role AS record_key
        FROM cur_records WHERE attribute = 'address'
    ),
    move_entries AS (
        SELECT 'MOVED_OUT' AS kind, m.entity, m.golden_id AS entity_id, NULL AS other_id,
               NULL AS event_type, NULL AS event_id, NULL AS fields,
               [a.record_key] AS source_records,
               m.old_point AS point_key, m.old_district AS district, m.old_street AS street,
               m.old_community AS community
        FROM moves m
        LEFT JOIN address_records a ON a.entity = m.entity AND a.golden_id = m.golden_id
        WHERE m.old_district IS NOT NULL
        UNION ALL
        SELECT 'MOVED_IN', m.entity, m.golden_id, NULL, NULL, NULL, NULL, [a.record_key],
               m.new_point, m.new_district, m.new_street, m.new_community
        FROM moves m
        LEFT JOIN address_records a ON a.entity = m.entity AND a.golden_id = m.golden_id
        WHERE m.new_district IS NOT NULL
    ),
    lineage AS (
        SELECT DISTINCT l.entity, l.old_id, l.new_id, l.kind
        FROM golden_lineage l
        WHERE l.kind IN ('merge', 'split', 'retire')
          AND CASE WHEN EXISTS (SELECT 1 FROM change_baseline_state)
                   THEN l.run_id > (SELECT max(last_run) FROM change_baseline_state)
                   ELSE l.run_id = $run END
    ),
    lineage_entries AS (
        SELECT CASE l.kind WHEN 'merge' THEN 'MERGED' WHEN 'split' THEN 'SPLIT'
                           ELSE 'RETIRED' END AS kind,
               l.entity, l.old_id AS entity_id, l.new_id AS other_id,
               NULL AS event_type, NULL AS event_id, NULL AS fields,
               CASE WHEN l.kind = 'split' THEN
                   (SELECT list(b.mention_id ORDER BY b.mention_id)[1:{cap}]
                    FROM change_baseline_members b JOIN cur_members c USING (mention_id)
                    WHERE b.golden_id = l.old_id AND c.golden_id = l.new_id)
               ELSE om.records END AS source_records,
               p.point_key, p.district, p.street, p.community
        FROM lineage l
        LEFT JOIN old_members_of om ON om.golden_id = l.old_id
        LEFT JOIN old_places p ON p.entity = l.entity AND p.golden_id = l.old_id
    ),
    new_events AS (
        SELECT e.* FROM events e ANTI JOIN change_baseline_events b USING (event_id)
    ),
    participants AS (
        SELECT e.event_id, e.type, g.entity, g.golden_id, p.role, p.mention_id,
               e.source || '/' || e.record_id AS record
        FROM new_events e
        JOIN event_participants p USING (event_id)
        JOIN cur_members g USING (mention_id)
    ),
    event_entries AS (
        SELECT 'EVENT' AS kind, x.entity, x.golden_id AS entity_id, NULL AS other_id,
               any_value(x.type) AS event_type, x.event_id,
               to_json(list({{'name': 'role', 'before': NULL, 'after': x.role,
                              'source': split_part(x.mention_id, '/', 1),
                              'record_id': split_part(x.mention_id, '/', 2)}}
                             ORDER BY x.role)) AS fields,
               list(DISTINCT x.mention_id ORDER BY x.mention_id) AS source_records,
               coalesce(any_value(p.point_key), any_value(e.place_point_key)) AS point_key,
               CASE WHEN any_value(p.golden_id) IS NOT NULL THEN any_value(p.district)
                    ELSE any_value(e.place_district) END AS district,
               CASE WHEN any_value(p.golden_id) IS NOT NULL THEN any_value(p.street)
                    ELSE any_value(e.place_street) END AS street,
               CASE WHEN any_value(p.golden_id) IS NOT NULL THEN any_value(p.community)
                    ELSE any_value(e.place_community) END AS community
        FROM participants x
        JOIN new_events e USING (event_id)
        LEFT JOIN cur_places p ON p.entity = x.entity AND p.golden_id = x.golden_id
        GROUP BY x.event_id, x.entity, x.golden_id
        UNION ALL
        SELECT 'EVENT', NULL, NULL, NULL, e.type, e.event_id, NULL,
               [e.source || '/' || e.record_id],
               e.place_point_key, e.place_district, e.place_street, e.place_community
        FROM new_events e
        ANTI JOIN participants x USING (event_id)
    ),
    everything AS (
        SELECT * FROM lineage_entries
        UNION ALL SELECT * FROM created_entries
        UNION ALL SELECT * FROM move_entries
        UNION ALL SELECT * FROM updated_entries
        UNION ALL SELECT * FROM event_entries
    )
    SELECT *, CASE kind WHEN 'MERGED' THEN 0 WHEN 'SPLIT' THEN 1 WHEN 'RETIRED' THEN 2
                        WHEN 'CREATED' THEN 3 WHEN 'MOVED_OUT' THEN 4 WHEN 'MOVED_IN' THEN 5
                        WHEN 'UPDATED' THEN 6 ELSE 7 END AS sort_key
    FROM everything
    """


def record_changes(
    connection: duckdb.DuckDBPyConnection, run_id: str, now: datetime
) -> ChangeCounts:
    """Append the run's change entries to ``change_entries`` and make the run's state the
    baseline, in one transaction; returns the entries per kind.

    Needs the run's ``golden_members``, ``golden_records_<entity>``, ``golden_lineage``,
    ``golden_places``, ``events`` and ``event_participants``. Entries of ``run_id`` already
    recorded are replaced (the same inputs give the same entries).
    """
    for statement in (*GOLDEN_SCHEMA_SQL, *SCHEMA_SQL):
        connection.execute(statement)
    records = _current_records_sql(connection)
    connection.execute("BEGIN TRANSACTION")
    try:
        connection.execute(f"DELETE FROM {CHANGE_ENTRIES} WHERE run_id = ?", [run_id])
        connection.execute(
            f"""
            INSERT INTO {CHANGE_ENTRIES}
            SELECT $run || ':' || lpad(CAST(ordinal AS VARCHAR), 9, '0') AS key, $run, ordinal,
                   kind, entity, entity_id, other_id, $now, event_type, event_id,
                   CAST(fields AS VARCHAR), source_records, point_key, district, street,
                   community
            FROM (
                SELECT *, row_number() OVER (
                    ORDER BY sort_key, entity NULLS LAST, entity_id NULLS LAST, event_id,
                             other_id, district NULLS FIRST, street NULLS FIRST,
                             community NULLS FIRST
                ) AS ordinal
                FROM ({_entries_sql(records)})
            )
            """,
            {"run": run_id, "now": now},
        )
        _advance_baseline(connection, records, run_id)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    counts = dict(
        connection.execute(
            f"SELECT kind, count(*) FROM {CHANGE_ENTRIES} WHERE run_id = ? GROUP BY kind",
            [run_id],
        ).fetchall()
    )
    return ChangeCounts(run_id, {kind: counts.get(kind, 0) for kind in CHANGE_KINDS})


def _advance_baseline(connection: duckdb.DuckDBPyConnection, records: str, run_id: str) -> None:
    connection.execute(
        "CREATE OR REPLACE TABLE change_baseline_members AS "
        "SELECT mention_id, entity, golden_id FROM golden_members"
    )
    connection.execute(f"CREATE OR REPLACE TABLE change_baseline_records AS {records}")
    connection.execute(
        "CREATE OR REPLACE TABLE change_baseline_places AS "
        f"SELECT entity, golden_id, point_key, district, street, community FROM {GOLDEN_PLACES}"
    )
    connection.execute(
        "CREATE OR REPLACE TABLE change_baseline_events AS SELECT event_id FROM events"
    )
    lineage_run = connection.execute(
        "SELECT max(run_id) FROM golden_lineage WHERE run_id <= ?", [run_id]
    ).fetchone()[0]
    connection.execute("DELETE FROM change_baseline_state")
    connection.execute(
        "INSERT INTO change_baseline_state VALUES (?)", [max(run_id, lineage_run or "")]
    )


def change_entries(
    connection: duckdb.DuckDBPyConnection, after_run: str | None = None
) -> list[dict]:
    """Recorded entries of runs after ``after_run`` (all when None), in run and ordinal order,
    ``fields`` decoded: what publishing writes to the graph."""
    if not table_exists(connection, CHANGE_ENTRIES):
        return []
    cursor = connection.execute(
        f"""SELECT key, run_id, ordinal, kind, entity, entity_id, other_id, "at", event_type,
                   event_id, fields, source_records, point_key, district, street, community
            FROM {CHANGE_ENTRIES} WHERE run_id > ? ORDER BY run_id, ordinal""",
        [after_run or ""],
    )
    names = [d[0] for d in cursor.description]
    rows = []
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        row["fields"] = json.loads(row["fields"]) if row["fields"] else []
        rows.append(row)
    return rows
