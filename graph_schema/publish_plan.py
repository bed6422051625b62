"""The publish plan: every write of a publish, computed from the workdir's workspace tables and
mapped to the Cypher of :mod:`graph_schema.publish_queries`, in dependency order.

Golden records (with their placement, from resolution's ``golden_places``), source records,
districts / streets / communities (resolution's ``areas``), address points
(``address_points``),
registrations, relations, events and their participants, review candidates and redirects. Each
step is one query and the rows it is run with; nothing here touches Neo4j.
"""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import duckdb

from graph_schema import publish_queries as q
from graph_schema.errors import GraphError
from huitong.vocabulary import ENTITY_TYPES, RELATION_TYPES, SOURCE_RECORD_FIELDS
from resolution.changes import change_entries
from resolution.cluster import table_exists
from resolution.placement import ADDRESS_POINTS, AREAS, GOLDEN_PLACES

WRITERS = 2  # concurrent write transactions for steps of one group


class PublishError(GraphError):
    """The workdir cannot be published (not resolved, or inconsistent)."""


@dataclass(frozen=True)
class Step:
    name: str
    query: str | None
    """None: the step only writes its change entries."""
    rows: list[dict]
    elements_per_row: float
    params: dict[str, Any] = field(default_factory=dict)
    # consecutive steps of one group touch disjoint nodes and may run concurrently
    group: str = ""
    changes: list[list[dict]] = field(default_factory=list)
    """The change entries of each row (parallel to ``rows``, or empty): written in the same
    transaction as their row's batch."""
    shape: tuple[str, ...] = ()
    """What ``query`` writes, for a writer that does not run it (the offline import of
    :mod:`graph_schema.bulk_import`): its kind, then the entity, type or label it is for."""


class _Changes:
    """The change entries to publish, handed out to the rows that carry out each change."""

    def __init__(self, entries: list[dict]) -> None:
        self.pending: dict[tuple[str, str | None, str | None], list[dict]] = defaultdict(list)
        for entry in entries:
            self.pending[self._slot(entry)].append(entry)

    @staticmethod
    def _slot(entry: dict) -> tuple[str, str | None, str | None]:
        kind = entry["kind"]
        if kind == "EVENT":
            return ("event", None, entry["event_id"])
        if kind == "MERGED":
            return ("redirect", entry["entity"], entry["entity_id"])
        if kind == "RETIRED":
            return ("retire", entry["entity"], entry["entity_id"])
        return ("golden", entry["entity"], entry["entity_id"])

    def take(self, slot: str, entity: str | None, key: str | None) -> list[dict]:
        return self.pending.pop((slot, entity, key), [])

    def attach(self, rows: list[dict], slot: str, entity: str | None, key: str) -> list[list]:
        """Each row's entries (``row[key]`` names it); [] when no row has any."""
        attached = [self.take(slot, entity, row[key]) for row in rows]
        return attached if any(attached) else []

    def retirements(self, entity: str) -> tuple[list[dict], list[list[dict]]]:
        ids = sorted(k for s, e, k in self.pending if s == "retire" and e == entity and k)
        return [{"id": i} for i in ids], [self.take("retire", entity, i) for i in ids]

    def rest(self) -> list[dict]:
        left = [entry for entries in self.pending.values() for entry in entries]
        self.pending.clear()
        return sorted(left, key=lambda entry: (entry["run_id"], entry["ordinal"]))


def _rows(connection: duckdb.DuckDBPyConnection, sql: str, params=()) -> list[dict]:
    cursor = connection.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _props(row: dict, skip: tuple[str, ...] = ()) -> dict:
    """Properties for Neo4j: drop nulls (a null in ``SET +=`` removes the property) and keys."""
    return {k: v for k, v in row.items() if k not in skip and v is not None}


def _shard(key: str) -> int:
    return zlib.crc32(key.encode()) % WRITERS


def source_records_sql() -> str:
    """Every source record (``key``) with its golden record and its properties, in key order."""
    columns = ", ".join(f"m.{c}" for c in SOURCE_RECORD_FIELDS)
    return f"""SELECT m.mention_id AS key, g.golden_id, {columns}
               FROM mentions m JOIN golden_members g USING (mention_id)
               ORDER BY m.mention_id"""


def plan(
    connection: duckdb.DuckDBPyConnection,
    changes_after: str | None = None,
    *,
    source_records: bool = True,
) -> list[Step]:
    """Every write of a publish, in dependency order, as (query, rows) steps.

    The change entries of resolve runs after ``changes_after`` (all when None) ride with the
    rows that carry them out: a golden record's creation, update, move or split with its
    record, a merge with its redirect, a retirement with the deletion of the retired record, an
    event with the event; entries no row carries (a record created and merged away in runs
    never published) come last, on their own. Without ``source_records`` the source records
    (and their ``RESOLVES_TO``) are left out: the offline import writes them from
    :func:`source_records_sql` itself.
    """
    steps: list[Step] = []
    changes = _Changes(change_entries(connection, changes_after))
    golden_sets: dict[str, set[str]] = {}
    for table in (AREAS, ADDRESS_POINTS, GOLDEN_PLACES):
        if not table_exists(connection, table):
            raise PublishError(f"the workspace has no {table} table: run `huitong resolve`")
    address_steps = _address_steps(connection)
    for entity in ENTITY_TYPES:
        table = f"golden_{entity}"
        if not table_exists(connection, table):
            raise PublishError(f"the workspace has no {table} table: run `huitong resolve`")
        provenance = {}
        if table_exists(connection, f"golden_records_{entity}"):
            for row in _rows(
                connection,
                f"""SELECT golden_id, json_group_object(attribute, json_object(
                        'value', value, 'source', source, 'record_id', record_id,
                        'role', role, 'rule', rule)) AS provenance
                    FROM golden_records_{entity} GROUP BY golden_id""",
            ):
                provenance[row["golden_id"]] = row["provenance"]
        places = _golden_places(connection, entity)
        rows = []
        for row in _rows(connection, f"SELECT * FROM {table} ORDER BY golden_id"):
            props = _props(row, ("golden_id",))
            props.update(places.get(row["golden_id"], {}))
            props["provenance"] = provenance.get(row["golden_id"], "{}")
            rows.append({"id": row["golden_id"], "props": props})
        golden_sets[entity] = {r["id"] for r in rows}
        steps.append(
            Step(
                f"golden {entity}",
                q.merge_golden(entity),
                rows,
                1,
                group="golden",
                changes=changes.attach(rows, "golden", entity, "id"),
                shape=("golden", entity),
            )
        )

    skip = ("key", "golden_id")
    records = _rows(connection, source_records_sql()) if source_records else []
    for entity in ENTITY_TYPES:
        rows = [
            {"key": r["key"], "golden_id": r["golden_id"], "props": _props(r, skip)}
            for r in records
            if r["entity"] == entity
        ]
        # shards by golden record: concurrent writers never touch the same node
        for shard in range(WRITERS):
            steps.append(
                Step(
                    f"source records {entity} {shard + 1}/{WRITERS}",
                    q.merge_source_records(entity),
                    [r for r in rows if _shard(r["golden_id"]) == shard],
                    2,
                    group="source records",
                    shape=("source records", entity),
                )
            )
    others = [r for r in records if r["entity"] not in ENTITY_TYPES]
    if others:
        steps.append(
            Step(
                "source records",
                q.MERGE_SOURCE_RECORDS,
                [{"key": r["key"], "props": _props(r, skip)} for r in others],
                1,
                shape=("source records",),
            )
        )

    steps.extend(address_steps)
    steps.extend(_attachment_steps(connection))
    steps.extend(_relation_steps(connection))
    steps.extend(_event_steps(connection, changes))
    steps.extend(_review_steps(connection))
    if table_exists(connection, "source_quality"):
        quality = _rows(connection, "SELECT source, department, report FROM source_quality")
        steps.append(
            Step("source quality", q.MERGE_SOURCE_QUALITY, quality, 1, shape=("source quality",))
        )
    if table_exists(connection, "golden_redirects"):
        for entity in ENTITY_TYPES:
            redirects = _rows(
                connection,
                """SELECT r.old_id, r.new_id FROM golden_redirects r
                   JOIN golden_ids i ON i.golden_id = r.old_id
                   WHERE i.entity = ? ORDER BY r.old_id""",
                [entity],
            )
            redirects = [r for r in redirects if r["new_id"] in golden_sets[entity]]
            steps.append(
                Step(
                    f"redirects {entity}",
                    q.merge_redirects(entity),
                    redirects,
                    2,
                    {"entity": entity},
                    changes=changes.attach(redirects, "redirect", entity, "old_id"),
                    shape=("redirects", entity),
                )
            )
    for entity in ENTITY_TYPES:
        retired, entries = changes.retirements(entity)
        if retired:
            steps.append(
                Step(
                    f"retirements {entity}",
                    q.delete_golden(entity),
                    retired,
                    1,
                    changes=entries,
                    shape=("retirements", entity),
                )
            )
    rest = changes.rest()
    if rest:
        steps.append(
            Step(
                "change entries",
                None,
                [{} for _ in rest],
                0,
                changes=[[e] for e in rest],
                shape=("change entries",),
            )
        )
    return steps


def _address_steps(connection) -> list[Step]:
    """Districts, streets, communities and address points, placed as resolution placed them."""
    districts = _rows(
        connection,
        f"""SELECT DISTINCT district AS key, district AS name FROM {AREAS} ORDER BY key""",
    )
    streets = _rows(
        connection,
        f"""SELECT DISTINCT district || '|' || street AS key, street AS name, district
            FROM {AREAS} WHERE street IS NOT NULL ORDER BY key""",
    )
    communities = _rows(
        connection,
        f"""SELECT DISTINCT district || '|' || coalesce(street, '') || '|' || community AS key,
                   community AS name, district, street,
                   CASE WHEN street IS NULL THEN district ELSE district || '|' || street END
                       AS parent,
                   CASE WHEN street IS NULL THEN 'district' ELSE 'street' END AS parent_kind
            FROM {AREAS} WHERE community IS NOT NULL ORDER BY key""",
    )
    points = _rows(
        connection,
        """SELECT point_key AS key, district, street, community,
                  split_part(point_key, '|', 1) AS road,
                  split_part(point_key, '|', 2) AS number,
                  nullif(split_part(point_key, '|', 3), '') AS sub_number,
                  CASE WHEN community IS NOT NULL AND district IS NOT NULL
                         THEN district || '|' || coalesce(street, '') || '|' || community
                       WHEN street IS NOT NULL AND district IS NOT NULL
                         THEN district || '|' || street
                       ELSE district END AS parent,
                  CASE WHEN community IS NOT NULL AND district IS NOT NULL THEN 'community'
                       WHEN street IS NOT NULL AND district IS NOT NULL THEN 'street'
                       WHEN district IS NOT NULL THEN 'district' ELSE 'none' END AS parent_kind
           FROM address_points ORDER BY key""",
    )
    point_rows = []
    for point in points:
        text = f"{point['road']}{point['number']}号"
        if point["sub_number"]:
            text += f"之{point['sub_number']}"
        props = _props(point, ("key", "parent", "parent_kind"))
        props["text"] = text
        point_rows.append(
            {
                "key": point["key"],
                "props": props,
                "parent": point["parent"],
                "parent_kind": point["parent_kind"],
            }
        )
    located = sum(1 for p in point_rows if p["parent_kind"] != "none")
    return [
        Step("districts", q.MERGE_DISTRICTS, districts, 1, shape=("districts",)),
        Step("streets", q.MERGE_STREETS, streets, 2, shape=("streets",)),
        Step("communities", q.MERGE_COMMUNITIES, communities, 2, shape=("communities",)),
        Step(
            "address points",
            q.MERGE_ADDRESS_POINTS,
            point_rows,
            1 + (located / len(point_rows) if point_rows else 0),
            shape=("address points",),
        ),
    ]


def _golden_places(connection, entity: str) -> dict[str, dict]:
    """Jurisdiction of each golden record as resolution placed it (``golden_places``)."""
    rows = _rows(
        connection,
        """SELECT golden_id, point_key, district, street, community
           FROM golden_places WHERE entity = ?""",
        [entity],
    )
    return {row["golden_id"]: _props(row, ("golden_id",)) for row in rows}


def _attachment_steps(connection) -> list[Step]:
    steps = []
    units = _rows(
        connection,
        """SELECT g.golden_id, arg_max(m.point_key, m.mention_id) AS point_key
           FROM mentions m JOIN golden_members g USING (mention_id)
           WHERE m.entity = 'rental_unit' AND m.point_key IS NOT NULL
           GROUP BY g.golden_id ORDER BY g.golden_id""",
    )
    steps.append(Step("units at points", q.MERGE_UNIT_AT, units, 1, shape=("units at",)))
    for entity in ("person", "enterprise"):
        registered = _rows(
            connection,
            """SELECT g.golden_id, m.point_key, list(m.mention_id ORDER BY m.mention_id)
                      AS sources
               FROM mentions m JOIN golden_members g USING (mention_id)
               WHERE m.entity = ? AND m.point_key IS NOT NULL
               GROUP BY ALL ORDER BY ALL""",
            [entity],
        )
        steps.append(
            Step(
                f"registered at ({entity})",
                q.merge_registered_at(entity),
                registered,
                1,
                shape=("registered at", entity),
            )
        )
    return steps


def _relation_steps(connection) -> list[Step]:
    steps = []
    for relation_type, (from_entity, to_entity) in RELATION_TYPES.items():
        rows = _rows(
            connection,
            """SELECT a.golden_id AS from_id, b.golden_id AS to_id,
                      list(r.source || '/' || r.record_id ORDER BY r.source, r.record_id)
                          AS sources
               FROM relations r
               JOIN golden_members a ON a.mention_id = r.from_mention
               JOIN golden_members b ON b.mention_id = r.to_mention
               WHERE r.type = ? AND a.golden_id <> b.golden_id
               GROUP BY ALL ORDER BY ALL""",
            [relation_type],
        )
        if rows:
            steps.append(
                Step(
                    f"relations {relation_type}",
                    q.merge_relation(relation_type, from_entity, to_entity),
                    rows,
                    1,
                    shape=("relation", relation_type, from_entity, to_entity),
                )
            )
    return steps


def _event_steps(connection, changes: _Changes) -> list[Step]:
    departments = _rows(
        connection,
        """SELECT DISTINCT department AS name FROM
           (SELECT department FROM mentions UNION SELECT department FROM events)
           WHERE department IS NOT NULL ORDER BY name""",
    )
    steps = [Step("departments", q.MERGE_DEPARTMENTS, departments, 1, shape=("departments",))]
    types = [
        r[0] for r in connection.execute("SELECT DISTINCT type FROM events ORDER BY 1").fetchall()
    ]
    for event_type in types:
        events = _rows(
            connection,
            """SELECT event_id, type, date, date_raw, department, source, record_id, place,
                      place_raw, place_point_key, attributes, field_issues
               FROM events WHERE type = ? ORDER BY event_id""",
            [event_type],
        )
        rows = []
        for event in events:
            props = _props(event, ("event_id", "place_point_key"))
            props.update(_flat_attributes(event["attributes"]))
            rows.append(
                {
                    "id": event["event_id"],
                    "props": props,
                    "department": event["department"],
                    "point_key": event["place_point_key"],
                }
            )
        placed = sum(1 for r in rows if r["point_key"])
        steps.append(
            Step(
                f"events {event_type}",
                q.merge_events(event_type),
                rows,
                2 + (placed / len(rows) if rows else 0),
                changes=changes.attach(rows, "event", None, "id"),
                shape=("events", event_type),
            )
        )
    for entity in ENTITY_TYPES:
        participants = _rows(
            connection,
            """SELECT p.event_id, g.golden_id, p.role, p.mention_id
               FROM event_participants p
               JOIN golden_members g USING (mention_id)
               JOIN mentions m USING (mention_id)
               WHERE m.entity = ? ORDER BY p.event_id, p.mention_id""",
            [entity],
        )
        steps.append(
            Step(
                f"participants ({entity})",
                q.merge_participants(entity),
                participants,
                1,
                shape=("participants", entity),
            )
        )
    return steps


def _review_steps(connection) -> list[Step]:
    """Review candidates for the stewards' queue, each pointing at its two source records."""
    rows = []
    for entity in ENTITY_TYPES:
        table = f"review_candidates_{entity}"
        if not table_exists(connection, table):
            continue
        for row in _rows(
            connection,
            f"""SELECT candidate_id, mention_id_l, mention_id_r, match_probability,
                       match_weight, CAST(comparisons AS VARCHAR) AS comparisons,
                       cluster_key_l, cluster_key_r, weak_link, priority
                FROM {table} ORDER BY candidate_id""",
        ):
            props = _props(row, ("candidate_id", "mention_id_l", "mention_id_r"))
            props["entity"] = entity
            rows.append(
                {"id": row["candidate_id"], "left": row["mention_id_l"],
                 "right": row["mention_id_r"], "props": props}
            )  # fmt: skip
    return [
        Step("review candidates", q.MERGE_REVIEW_CANDIDATES, rows, 3, shape=("review candidates",))
    ]


def _flat_attributes(attributes: str | None) -> dict:
    """Event attributes become properties (``kind`` → ``kind``), never overriding fixed ones."""
    if not attributes:
        return {}
    reserved = {"id", "type", "date", "department", "source", "record_id", "publish_run"}
    return {
        key: value
        for key, value in json.loads(attributes).items()
        if key not in reserved and value is not None
    }
