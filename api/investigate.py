"""The investigators' queries: neighbourhoods, connections, shared identifiers and timelines.

Open to the ``investigator`` and ``admin`` roles only, within the caller's jurisdiction (a token
without a district is city-wide). Every call records its arguments in the request's audit line.
Traversals are bounded three ways: depth and hops (at most
:data:`~graph_schema.investigate_queries.MAX_DEPTH` / ``MAX_HOPS``), row caps on every query
(a result that hit one says ``truncated``), and a transaction timeout
(:data:`QUERY_TIMEOUT_SECONDS`) after which Neo4j aborts the query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import strawberry

from api.context import Context
from api.errors import (
    BadRequest,
    NodeNotFound,
)
from api.pagination import decode_cursor, encode_cursor
from api.permissions import InvestigatorsOnly
from api.services import as_date
from api.types.investigate import (
    Connections,
    GraphEdge,
    GraphNode,
    IdentifierKind,
    Neighborhood,
    Path,
    PathNode,
    SharedIdentifier,
    SharedIdentifiers,
    Timeline,
    TimelineEntry,
    json_details,
    plain,
)
from graph_schema import investigate_queries as q
from huitong.standardise import parse_date

Info = strawberry.Info[Context, None]
Row = dict[str, Any]

QUERY_TIMEOUT_SECONDS = 5.0
NEIGHBOURS_PER_NODE = 50  # a hub (an address point with 300 events) shows 50 and says truncated
LEVEL_ROWS = 2_000  # neighbour rows read per level of a neighbourhood
DEFAULT_NODES, MAX_NODES = 50, 500
MAX_PATHS, LINEAGE_PER_NODE = 10, 10
DEFAULT_GROUPS, MAX_GROUPS, GROUP_SCAN, ENTITIES_PER_GROUP = 20, 100, 1_000, 50
TIMELINE_ROWS = 500
_DATE_KEY = re.compile(r"(date|_on$|_at$|start|since|registered|issued|until|_end$)")


async def _read(ctx: Context, query: str, **params: Any) -> list[Row]:
    """One read query in the caller's scope, with the investigation timeout."""
    return await ctx.graph.read(query, timeout=QUERY_TIMEOUT_SECONDS, **params)


async def find_node(ctx: Context, node_id: str) -> Row:
    """A node by public ID, visible to the caller; NodeNotFound otherwise."""
    rows = await _read(ctx, q.FIND_NODE, id=node_id)
    if not rows:
        raise NodeNotFound(f"no person, enterprise, rental unit, address or event has ID {node_id}")
    if not rows[0]["visible"]:
        raise NodeNotFound(
            f"{node_id} lies outside your jurisdiction ({ctx.caller.jurisdiction.describe()})"
        )
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


async def neighborhood(
    info: Info,
    id: Annotated[
        strawberry.ID,
        strawberry.argument(description="Golden ID, event ID or address-point key."),
    ],
    depth: Annotated[
        int, strawberry.argument(description=f"Hops from the node (1 to {q.MAX_DEPTH}).")
    ] = 1,
    relation_types: Annotated[
        list[str] | None,
        strawberry.argument(
            description="Follow only these relationship types (default all of: "
            + ", ".join(q.NEIGHBOURHOOD_RELATIONS)
            + ")."
        ),
    ] = None,
    first: Annotated[
        int | None,
        strawberry.argument(
            description=f"Most nodes per page (default {DEFAULT_NODES}, at most {MAX_NODES})."
        ),
    ] = None,
    after: Annotated[
        str | None, strawberry.argument(description="Continue after this `endCursor`.")
    ] = None,
) -> Neighborhood:
    ctx = info.context
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
    center = await find_node(ctx, id)
    found = await explore(ctx, center, depth, types, offset + page_size + 1)
    page = found.nodes[offset : offset + page_size]
    more = len(found.nodes) > offset + page_size
    shown = {n["id"] for n in found.nodes[: offset + page_size]}
    fresh = {n["id"] for n in page}
    edges = [
        GraphEdge.from_record(e)
        for e in found.edges
        if e["source"] in shown and e["target"] in shown
        and (e["source"] in fresh or e["target"] in fresh)
    ]  # fmt: skip
    ctx.returned(len(page))
    return Neighborhood(
        center=GraphNode.from_record(center, ctx.masker),
        nodes=[GraphNode.from_record(n, ctx.masker) for n in page],
        edges=edges,
        truncated=found.truncated or more,
        total_count=len(found.nodes),
        end_cursor=encode_cursor(offset + len(page) - 1) if more and page else None,
    )


# -- connections ---------------------------------------------------------------------------------
async def connections(
    info: Info,
    from_id: Annotated[strawberry.ID, strawberry.argument(description="Where paths start.")],
    to_id: Annotated[strawberry.ID, strawberry.argument(description="Where paths end.")],
    max_hops: Annotated[
        int, strawberry.argument(description=f"Longest path looked for (1 to {q.MAX_HOPS}).")
    ] = 4,
) -> Connections:
    ctx = info.context
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
    paths = [
        Path(
            nodes=[
                PathNode(node=GraphNode.from_record(n["node"], ctx.masker), lineage=n["lineage"])
                for n in row["nodes"]
            ],
            steps=[GraphEdge.from_record(step) for step in row["steps"]],
            length=len(row["steps"]),
        )
        for row in rows[:MAX_PATHS]
    ]
    ctx.returned(len(paths))
    return Connections(paths=paths, truncated=len(rows) > MAX_PATHS)


# -- shared identifiers --------------------------------------------------------------------------
async def shared_identifiers(
    info: Info,
    kind: Annotated[IdentifierKind, strawberry.argument(description="Which identifier.")],
    min_entities: Annotated[
        int, strawberry.argument(description="Least number of distinct golden records (≥ 2).")
    ],
    first: Annotated[
        int | None,
        strawberry.argument(
            description=f"Identifiers per page (default {DEFAULT_GROUPS}, at most {MAX_GROUPS})."
        ),
    ] = None,
    after: Annotated[
        str | None, strawberry.argument(description="Continue after this `endCursor`.")
    ] = None,
) -> SharedIdentifiers:
    ctx = info.context
    if min_entities < 2:
        raise BadRequest(f"minEntities must be at least 2 (got {min_entities})")
    limit = DEFAULT_GROUPS if first is None else first
    if not 1 <= limit <= MAX_GROUPS:
        raise BadRequest(f"first must be between 1 and {MAX_GROUPS} (got {limit})")
    offset = _offset(after)
    rows = await _read(
        ctx,
        q.shared_identifiers(kind.value),
        min_entities=min_entities,
        skip=offset,
        limit=limit,
        group_limit=GROUP_SCAN,
        entity_limit=ENTITIES_PER_GROUP,
    )
    total, page = (rows[0]["total"], rows[0]["page"]) if rows else (0, [])
    items = [
        SharedIdentifier(
            kind=kind,
            value=ctx.masker.attribute(_MASKED_AS.get(kind.value, ""), row["value"]) or "",
            label=ctx.masker.attribute(_MASKED_AS.get(kind.value, ""), row["label"]) or "",
            entity_count=row["entity_count"],
            entities=[GraphNode.from_record(e, ctx.masker) for e in row["entities"]],
        )
        for row in page
    ]
    ctx.returned(len(items))
    more = offset + len(items) < total
    return SharedIdentifiers(
        items=items,
        total_count=total,
        truncated=total >= GROUP_SCAN
        or any(row["entity_count"] > ENTITIES_PER_GROUP for row in page),
        end_cursor=encode_cursor(offset + len(items) - 1) if more and items else None,
    )


_MASKED_AS = {"PHONE": "phone", "ID_NUMBER": "id_number"}


# -- timeline ------------------------------------------------------------------------------------
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


async def timeline(
    info: Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="Golden ID of the entity.")],
) -> Timeline:
    ctx = info.context
    entity = await find_node(ctx, id)
    rows = await _read(ctx, q.TIMELINE, element_id=entity["element_id"], limit=TIMELINE_ROWS)
    entries = []
    for row in rows:
        details = json_details(row["attributes"])
        when = as_date(row["date"]) if row["kind"] == "EVENT" else record_date(details)
        if row["batch_id"] is not None:
            details["batch_id"] = row["batch_id"]
        entries.append(
            TimelineEntry(
                kind=row["kind"],
                id=strawberry.ID(row["id"]),
                date=when,
                type=row["type"] or row["kind"],
                department=row["department"],
                source=row["source"],
                record_id=row["record_id"],
                role=row["role"],
                place=row["place"],
                details={k: plain(v) for k, v in details.items()},
            )
        )
    entries.sort(key=lambda e: (e.date is None, e.date or date.min, e.kind, str(e.id)))
    ctx.returned(len(entries))
    counts = {"EVENT": 0, "REGISTRATION": 0}
    for row in rows:
        counts[row["kind"]] += 1
    return Timeline(
        entity=GraphNode.from_record(entity, ctx.masker),
        entries=entries,
        truncated=max(counts.values()) >= TIMELINE_ROWS,
    )


neighborhood_field = strawberry.field(
    resolver=neighborhood,
    permission_classes=[InvestigatorsOnly],
    description="Investigators: the nodes and edges around a golden record, address point or "
    f"event, up to {q.MAX_DEPTH} hops, capped ({NEIGHBOURS_PER_NODE} neighbours a node) and "
    "paged by nodes; `truncated` says when a cap was hit.",
)
connections_field = strawberry.field(
    resolver=connections,
    permission_classes=[InvestigatorsOnly],
    description="Investigators: the shortest paths between two nodes, each step naming its "
    "relationship and the records stating it.",
)
shared_identifiers_field = strawberry.field(
    resolver=shared_identifiers,
    permission_classes=[InvestigatorsOnly],
    description="Investigators: phones, ID numbers, addresses or rental units shared by at "
    "least `minEntities` distinct golden records, with the records.",
)
timeline_field = strawberry.field(
    resolver=timeline,
    permission_classes=[InvestigatorsOnly],
    description="Investigators: every event and registration of an entity across "
    "departments, by date.",
)
