"""Writing one real-time call to the graph: :func:`apply_plan` runs the call's plan (built by
the real-time engine) in one transaction, with its change-feed entries
(:func:`graph_schema.changes.write_changes`) and the journal position it has reached, so a
call is in the graph whole or not at all, and applying it twice changes nothing."""

from __future__ import annotations

import contextlib
from datetime import date, datetime

from neo4j import Driver, ManagedTransaction, RoutingControl
from neo4j.exceptions import ServiceUnavailable, SessionExpired, TransientError

from graph_schema import publish_queries as pq
from graph_schema import realtime_queries as q
from graph_schema.changes import write_changes
from graph_schema.errors import GraphUnavailable
from huitong.vocabulary import ENTITY_TYPES, RELATION_TYPES

__all__ = ["GraphUnavailable", "applied_through", "apply_plan"]


def applied_through(driver: Driver, database: str, journal_id: str) -> int:
    """The last call of a workdir's journal the graph has taken (0: none)."""
    try:
        records, _, _ = driver.execute_query(
            q.APPLIED, journal=journal_id, database_=database, routing_=RoutingControl.READ
        )
    except (ServiceUnavailable, SessionExpired, OSError) as error:
        raise GraphUnavailable(f"Neo4j is unavailable ({type(error).__name__})") from error
    return int(records[0]["applied"]) if records else 0


def apply_plan(driver: Driver, database: str, journal_id: str, seq: int, plan: dict) -> int:
    """Write one call's plan in one transaction; returns the change entries new to the feed."""
    try:
        with driver.session(database=database) as session:
            return session.execute_write(_write, journal_id, seq, plan)
    except (ServiceUnavailable, SessionExpired, TransientError, OSError) as error:
        raise GraphUnavailable(f"Neo4j is unavailable ({type(error).__name__})") from error


def _by(rows: list[dict], key: str) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row)
    return grouped


_DATES = ("birth_date", "id_birth_date", "date")
"""Properties that are dates: a plan read back from the journal has them as ISO text."""


def _typed(props: dict) -> dict:
    out = dict(props)
    for name in _DATES:
        value = out.get(name)
        if isinstance(value, str) and len(value) == 10:
            with contextlib.suppress(ValueError):
                out[name] = date.fromisoformat(value)
    return out


def _write(tx: ManagedTransaction, journal_id: str, seq: int, plan: dict) -> int:
    run = plan["run"]
    for group in ("golden", "source_records", "events"):
        plan[group] = [{**row, "props": _typed(row["props"])} for row in plan[group]]
    changes = [
        {**c, "at": datetime.fromisoformat(c["at"]) if isinstance(c["at"], str) else c["at"]}
        for c in plan["changes"]
    ]

    def go(query: str, **params) -> None:
        if params.get("rows") == []:
            return  # UNWIND of nothing: a round trip that writes nothing
        tx.run(query, run=run, **params).consume()

    if plan["statements"]:
        go(q.REMOVE_STATEMENTS, statements=plan["statements"], types=list(RELATION_TYPES))
        go(q.REMOVE_EVENTS, ids=[s["statement"] for s in plan["statements"]])
    if plan["removed_records"]:
        go(q.REMOVE_SOURCE_RECORDS, keys=plan["removed_records"])
    departments = [{"name": name} for name in plan["departments"]]
    go(pq.MERGE_DEPARTMENTS, rows=departments)
    districts, streets, communities = set(), set(), set()
    for district, street, community in plan["areas"]:
        districts.add(district)
        if street:
            streets.add((district, street))
        if community:
            communities.add((district, street, community))
    go(pq.MERGE_DISTRICTS, rows=[{"key": d, "name": d} for d in sorted(districts)])
    go(
        pq.MERGE_STREETS,
        rows=[{"key": f"{d}|{s}", "name": s, "district": d} for d, s in sorted(streets)],
    )
    go(
        pq.MERGE_COMMUNITIES,
        rows=[
            {"key": f"{d}|{s or ''}|{c}", "name": c, "district": d, "street": s,
             "parent": f"{d}|{s}" if s else d, "parent_kind": "street" if s else "district"}
            for d, s, c in sorted(communities, key=lambda a: tuple(x or "" for x in a))
        ],
    )  # fmt: skip
    go(q.ADD_POINTS, rows=[_point(p) for p in plan["points"]])
    for entity, rows in _by(plan["golden"], "entity").items():
        go(q.set_golden(entity), rows=rows)
    for entity, rows in _by(plan["merges"], "entity").items():
        for direction, relationship_type in q.RELATIONSHIP_TYPES_OF[entity]:
            query = q.repoint_out if direction == "out" else q.repoint_in
            go(query(entity, relationship_type), rows=rows)
        go(q.repoint_involves(entity), rows=rows)
        go(q.retire_merged(entity), rows=rows, entity=entity)
    for entity, rows in _by(plan["source_records"], "entity").items():
        go(q.set_source_records(entity), rows=rows)
    for entity, rows in _by(plan["registered"], "entity").items():
        go(q.add_registered_at(entity), rows=rows)
    if plan["units_at"]:
        go(pq.MERGE_UNIT_AT, rows=plan["units_at"])
    for relation_type, rows in _by(plan["relations"], "type").items():
        go(q.add_relation(relation_type), rows=rows)
    for event_type, rows in _by(plan["events"], "type").items():
        go(pq.merge_events(event_type), rows=rows)
    for entity, rows in _by(plan["participants"], "entity").items():
        go(pq.merge_participants(entity), rows=rows)
    if plan["reviews"]:
        go(pq.MERGE_REVIEW_CANDIDATES, rows=plan["reviews"])
    for entity, rows in _by(plan["retire"], "entity").items():
        if entity in ENTITY_TYPES:
            go(q.retire(entity), rows=rows)
    written = write_changes(tx, changes)
    tx.run(q.MARK_APPLIED, journal=journal_id, seq=seq).consume()
    return written


def _point(point: dict) -> dict:
    place = point.get("place") or {}
    road, number, sub = ([*point["key"].split("|"), "", "", ""])[:3]
    district, street, community = place.get("district"), place.get("street"), place.get("community")
    text = f"{road}{number}号" + (f"之{sub}" if sub else "")
    props = {k: v for k, v in {"district": district, "street": street, "community": community,
                               "road": road, "number": number, "sub_number": sub or None,
                               "text": text}.items() if v is not None}  # fmt: skip
    if community and district:
        parent, kind = f"{district}|{street or ''}|{community}", "community"
    elif street and district:
        parent, kind = f"{district}|{street}", "street"
    elif district:
        parent, kind = district, "district"
    else:
        parent, kind = None, "none"
    return {"key": point["key"], "props": props, "parent": parent, "parent_kind": kind}
