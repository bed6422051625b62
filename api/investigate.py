"""The investigators' questions, as plain data: neighbourhoods, connections, shared identifiers
and timelines (their GraphQL fields are in :mod:`api.types.investigate`).

Open to the ``investigator`` and ``admin`` roles only (:class:`api.permissions.InvestigatorsOnly`),
within the caller's jurisdiction (a token without a district is city-wide). Traversals are
bounded three ways: depth and hops (at most :data:`~graph_schema.investigate_queries.MAX_DEPTH`
/ ``MAX_HOPS``), row caps on every query (a result that hit one says ``truncated``), and a
transaction timeout (:data:`QUERY_TIMEOUT_SECONDS`) after which Neo4j aborts the query.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from api.context import Context
from api.errors import BadRequest, NodeNotFound, excerpt
from api.pagination import decode_cursor, encode_cursor
from api.services import as_date
from graph_schema import investigate_queries as q
from huitong.standardise import parse_date

Row = dict[str, Any]

QUERY_TIMEOUT_SECONDS = 5.0
NEIGHBOURS_PER_NODE = 50  # a hub (an address point with 300 events) shows 50 and says truncated
LEVEL_ROWS = 2_000  # neighbour rows read per level of a neighbourhood
DEFAULT_NODES, MAX_NODES = 50, 500
MAX_PATHS, LINEAGE_PER_NODE = 10, 10
DEFAULT_GROUPS, MAX_GROUPS, GROUP_SCAN, ENTITIES_PER_GROUP = 20, 100, 1_000, 50
TIMELINE_ROWS = 500
MASKED_AS = {"PHONE": "phone", "ID_NUMBER": "id_number"}
"""Which identifier each shared kind is masked as."""
_DATE_KEY = re.compile(r"(date|_on$|_at$|start|since|registered|issued|until|_end$)")


async def _read(ctx: Context, query: str, **params: Any) -> list[Row]:
    """One read query in the caller's scope, with the investigation timeout."""
    return await ctx.graph.read(query, timeout=QUERY_TIMEOUT_SECONDS, **params)


async def find_node(ctx: Context, node_id: str) -> Row:
    """A node by public ID, visible to the caller; NodeNotFound otherwise."""
    rows = await _read(ctx, q.FIND_NODE, id=node_id)
    if not rows:
        raise NodeNotFound(
            f"no person, enterprise, rental unit, address or event has ID {excerpt(node_id)}"
        )
    if not rows[0]["visible"]:
        where = ctx.caller.jurisdiction.describe()
        raise NodeNotFound(f"{excerpt(node_id)} lies outside your jurisdiction ({where})")
    return rows[0]["node"]


def _offset(after: str | None) -> int:
    return decode_cursor(after) + 1 if after else 0


# -- neighbourhood -------------------------------------------------------------------------------
@dataclass
class _Found:
    nodes: list[Row]  # BFS order, the centre first
    edges: list[Row]
    truncated: bool


async def explore(ctx: Context, center: Row, depth: int, types: list[str], limit: int) -> _Found:
    """Breadth-first from ``center``, one query per level, until ``depth`` or ``limit`` nodes."""
    seen = {center["element_id"]: center}
    order = [center]
    edges: dict[tuple[str, str, str], Row] = {}
    truncated = False
    frontier = [center["element_id"]]
    query = q.expand(types)
    for _ in range(depth):
        if not frontier:
            break
        rows = await _read(
            ctx,
            query,
            frontier=frontier,
            per_node=NEIGHBOURS_PER_NODE + 1,
            level_limit=LEVEL_ROWS,
        )
        truncated |= len(rows) >= LEVEL_ROWS
        per_node: dict[str, int] = {}
        next_frontier = []
        for row in rows:
            origin = row["from_element"]
            per_node[origin] = per_node.get(origin, 0) + 1
            if per_node[origin] > NEIGHBOURS_PER_NODE:
                truncated = True
                continue
            found = row["node"]
            if found["element_id"] not in seen:
                if len(order) >= limit:
                    truncated = True
                    continue
                seen[found["element_id"]] = found
                order.append(found)
                next_frontier.append(found["element_id"])
            here, there = seen[origin]["id"], found["id"]
            source, target = (here, there) if row["outgoing"] else (there, here)
            edges[(source, target, row["type"])] = {
                "source": source,
                "target": target,
                "type": row["type"],
                "role": row["role"],
                "sources": row["sources"],
            }
        frontier = next_frontier
    return _Found(order, list(edges.values()), truncated)


@dataclass(frozen=True)
class NeighborhoodPage:
    """One page of the nodes around a node, with the edges among those returned so far."""

    center: Row
    nodes: list[Row]
    edges: list[Row]
    truncated: bool
    total: int
    end_cursor: str | None


async def neighborhood(
    ctx: Context,
    node_id: str,
    depth: int,
    relation_types: list[str] | None,
    first: int | None,
    after: str | None,
) -> NeighborhoodPage:
    """Nodes up to ``depth`` hops from a node over ``relation_types`` (default: all), nearest
    first, paged by nodes; edges among the nodes returned so far with one end in this page."""
    if not 1 <= depth <= q.MAX_DEPTH:
        raise BadRequest(f"depth must be between 1 and {q.MAX_DEPTH} (got {depth})")
    types = list(dict.fromkeys(relation_types or q.NEIGHBOURHOOD_RELATIONS))
    unknown = sorted(set(types) - set(q.NEIGHBOURHOOD_RELATIONS))
    if unknown:
        raise BadRequest(
            f"unknown relation types {', '.join(unknown)}; "
            f"choose from {', '.join(q.NEIGHBOURHOOD_RELATIONS)}"
        )
    page_size = DEFAULT_NODES if first is None else first
    if not 1 <= page_size <= MAX_NODES:
        raise BadRequest(f"first must be between 1 and {MAX_NODES} (got {page_size})")
    offset = _offset(after)
    center = await find_node(ctx, node_id)
    found = await explore(ctx, center, depth, types, offset + page_size + 1)
    page = found.nodes[offset : offset + page_size]
    more = len(found.nodes) > offset + page_size
    shown = {n["id"] for n in found.nodes[: offset + page_size]}
    fresh = {n["id"] for n in page}
    edges = [
        e
        for e in found.edges
        if e["source"] in shown and e["target"] in shown
        and (e["source"] in fresh or e["target"] in fresh)
    ]  # fmt: skip
    ctx.returned(len(page))
    return NeighborhoodPage(
        center=center,
        nodes=page,
        edges=edges,
        truncated=found.truncated or more,
        total=len(found.nodes),
        end_cursor=encode_cursor(offset + len(page) - 1) if more and page else None,
    )


# -- connections ---------------------------------------------------------------------------------
async def connections(
    ctx: Context, from_id: str, to_id: str, max_hops: int
) -> tuple[list[Row], bool]:
    """Shortest paths (at most :data:`MAX_PATHS`) between two nodes through the caller's
    jurisdiction: ``[{nodes: [{node, lineage}], steps}]`` and whether more exist."""
    if not 1 <= max_hops <= q.MAX_HOPS:
        raise BadRequest(f"maxHops must be between 1 and {q.MAX_HOPS} (got {max_hops})")
    start, end = await find_node(ctx, from_id), await find_node(ctx, to_id)
    if start["element_id"] == end["element_id"]:
        raise BadRequest("fromId and toId name the same node")
    rows = await _read(
        ctx,
        q.connections(max_hops),
        from_element=start["element_id"],
        to_element=end["element_id"],
        limit=MAX_PATHS + 1,
        lineage_limit=LINEAGE_PER_NODE,
    )
    ctx.returned(len(rows[:MAX_PATHS]))
    return rows[:MAX_PATHS], len(rows) > MAX_PATHS


# -- shared identifiers --------------------------------------------------------------------------
@dataclass(frozen=True)
class SharedPage:
    """One page of identifiers shared by several golden records."""

    items: list[Row]
    total: int
    truncated: bool
    end_cursor: str | None


async def shared_identifiers(
    ctx: Context, kind: str, min_entities: int, first: int | None, after: str | None
) -> SharedPage:
    """Identifiers of ``kind`` held by at least ``min_entities`` visible golden records, most
    shared first: ``[{value, label, entity_count, entities}]``."""
    if min_entities < 2:
        raise BadRequest(f"minEntities must be at least 2 (got {min_entities})")
    limit = DEFAULT_GROUPS if first is None else first
    if not 1 <= limit <= MAX_GROUPS:
        raise BadRequest(f"first must be between 1 and {MAX_GROUPS} (got {limit})")
    offset = _offset(after)
    rows = await _read(
        ctx,
        q.shared_identifiers(kind),
        min_entities=min_entities,
        skip=offset,
        limit=limit,
        group_limit=GROUP_SCAN,
        entity_limit=ENTITIES_PER_GROUP,
    )
    total, page = (rows[0]["total"], rows[0]["page"]) if rows else (0, [])
    ctx.returned(len(page))
    more = offset + len(page) < total
    return SharedPage(
        items=page,
        total=total,
        truncated=total >= GROUP_SCAN
        or any(row["entity_count"] > ENTITIES_PER_GROUP for row in page),
        end_cursor=encode_cursor(offset + len(page) - 1) if more and page else None,
    )


# -- timeline ------------------------------------------------------------------------------------
def json_details(text: str | None) -> Row:
    """A record's ``attributes`` JSON as a dict ({} when absent or unreadable)."""
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def record_date(attributes: Row) -> date | None:
    """The earliest date a source record states about its row (lease start, registration…)."""
    dates = []
    for key, value in attributes.items():
        if isinstance(value, str) and _DATE_KEY.search(key):
            try:
                day = parse_date(value)
            except ValueError:
                continue
            if day is not None:
                dates.append(day)
    return min(dates) if dates else None


@dataclass(frozen=True)
class TimelineRows:
    """An entity, its events and registrations (``date``, ``details`` added), oldest first."""

    entity: Row
    entries: list[Row]
    truncated: bool


async def timeline(ctx: Context, node_id: str) -> TimelineRows:
    """Every event and registration of an entity across departments, by date (undated last)."""
    entity = await find_node(ctx, node_id)
    rows = await _read(ctx, q.TIMELINE, element_id=entity["element_id"], limit=TIMELINE_ROWS)
    entries = []
    for row in rows:
        details = json_details(row["attributes"])
        when = as_date(row["date"]) if row["kind"] == "EVENT" else record_date(details)
        if row["batch_id"] is not None:
            details["batch_id"] = row["batch_id"]
        entries.append({**row, "date": when, "details": details})
    entries.sort(key=lambda e: (e["date"] is None, e["date"] or date.min, e["kind"], str(e["id"])))
    ctx.returned(len(entries))
    counts = {"EVENT": 0, "REGISTRATION": 0}
    for row in rows:
        counts[row["kind"]] += 1
    return TimelineRows(entity, entries, max(counts.values()) >= TIMELINE_ROWS)
