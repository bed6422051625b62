"""The investigators' types: graph views (nodes and edges), paths, shared identifiers, timelines.

Nodes and edges have the shape a graph view draws directly (cytoscape's ``{data: {id}}`` /
``{data: {source, target}}``): every node a public ID (golden ID, event ID, address-point key),
a kind and its properties as JSON.
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from api import investigate
from api.context import Context
from api.masking import Masker
from api.permissions import InvestigatorsOnly
from graph_schema import investigate_queries as q

Row = dict[str, Any]
_HIDDEN_PROPERTIES = {"provenance", "publish_run"}


def plain(value: Any) -> Any:
    """A value read from Neo4j made JSON-safe (dates and times as ISO text)."""
    if isinstance(value, list):
        return [plain(item) for item in value]
    if hasattr(value, "iso_format"):
        return value.iso_format()
    if isinstance(value, date):
        return value.isoformat()
    return value


@strawberry.enum(description="Kinds of identifier several golden records can share.")
class IdentifierKind(Enum):
    PHONE = strawberry.enum_value("PHONE", description="A phone number in source records.")
    ADDRESS_POINT = strawberry.enum_value(
        "ADDRESS_POINT", description="An address point enterprises are registered at."
    )
    RENTAL_UNIT = strawberry.enum_value(
        "RENTAL_UNIT", description="A rental unit persons rent (now or before)."
    )
    ID_NUMBER = strawberry.enum_value(
        "ID_NUMBER", description="A resident ID number in source records."
    )


@strawberry.type(description="A node of a graph view: a golden record, address point or event.")
class GraphNode:
    id: strawberry.ID = strawberry.field(
        description="Golden ID, event ID (`source/record_id`) or address-point key."
    )
    kind: str = strawberry.field(
        description="Person, Enterprise, RentalUnit, AddressPoint or Event."
    )
    label: str = strawberry.field(description="A short caption: a name, an address, an event.")
    properties: JSON = strawberry.field(
        description="The node's properties (identifiers masked unless your role sees them)."
    )

    @classmethod
    def from_record(cls, row: Row, masker: Masker) -> GraphNode:
        props = {k: plain(v) for k, v in row["props"].items() if k not in _HIDDEN_PROPERTIES}
        for name in ("id_number", "phone"):
            if isinstance(props.get(name), str):
                props[name] = masker.attribute(name, props[name])
        return cls(
            id=strawberry.ID(row["id"]),
            kind=row["kind"],
            label=caption(row["kind"], props),
            properties=props,
        )


def caption(kind: str, props: Row) -> str:
    """What a graph view writes on a node."""
    if kind in ("Person", "Enterprise"):
        return str(props.get("name") or props.get("id"))
    if kind == "RentalUnit":
        return str(props.get("address") or props.get("id"))
    if kind == "AddressPoint":
        return str(props.get("text") or props.get("key"))
    return f"{props.get('type') or 'Event'} {props.get('date') or ''}".strip()


@strawberry.type(description="An edge of a graph view: one relationship between two nodes.")
class GraphEdge:
    source: strawberry.ID = strawberry.field(description="ID of the node it starts from.")
    target: strawberry.ID = strawberry.field(description="ID of the node it points to.")
    type: str = strawberry.field(description="Relationship type (RENTS, REGISTERED_AT, …).")
    role: str | None = strawberry.field(description="Role of an event participant (INVOLVES).")
    sources: list[str] = strawberry.field(
        description="The records (`source/record_id`) that state the relationship."
    )

    @classmethod
    def from_record(cls, row: Row) -> GraphEdge:
        return cls(
            source=strawberry.ID(row["source"]),
            target=strawberry.ID(row["target"]),
            type=row["type"],
            role=row.get("role"),
            sources=list(row.get("sources") or []),
        )


@strawberry.type(description="The nodes and edges around a node, ready to draw.")
class Neighborhood:
    center: GraphNode = strawberry.field(description="The node asked for.")
    nodes: list[GraphNode] = strawberry.field(
        description="Nodes of this page (the centre first on the first page), nearest first."
    )
    edges: list[GraphEdge] = strawberry.field(
        description="Edges among the nodes returned so far with one end in this page."
    )
    truncated: bool = strawberry.field(
        description="Whether a cap was hit: more neighbours exist than this result holds."
    )
    total_count: int = strawberry.field(description="Nodes found within the caps.")
    end_cursor: str | None = strawberry.field(
        description="Pass as `after` for the next page of nodes (null on the last page)."
    )


@strawberry.type(description="One node of a path, with the source records resolving to it.")
class PathNode:
    node: GraphNode = strawberry.field(description="The node.")
    lineage: list[str] = strawberry.field(
        description="Keys (`source/record_id/role`) of source records resolving to it (capped)."
    )


@strawberry.type(description="One shortest path between two nodes.")
class Path:
    nodes: list[PathNode] = strawberry.field(description="The nodes, from start to end.")
    steps: list[GraphEdge] = strawberry.field(
        description="The relationships between consecutive nodes, with the records stating "
        "each (an event's own ID for INVOLVES)."
    )
    length: int = strawberry.field(description="Number of steps.")


@strawberry.type(description="Shortest paths between two nodes.")
class Connections:
    paths: list[Path] = strawberry.field(description="Shortest paths found (capped).")
    truncated: bool = strawberry.field(description="Whether more shortest paths exist.")


@strawberry.type(description="One identifier shared by several golden records.")
class SharedIdentifier:
    kind: IdentifierKind = strawberry.field(description="What kind of identifier.")
    value: str = strawberry.field(
        description="The identifier (phone, ID number, address-point key or rental-unit ID)."
    )
    label: str = strawberry.field(description="A readable form (an address for places).")
    entity_count: int = strawberry.field(description="Distinct golden records sharing it.")
    entities: list[GraphNode] = strawberry.field(description="The records sharing it (capped).")


@strawberry.type(description="Identifiers shared by at least N golden records, most shared first.")
class SharedIdentifiers:
    items: list[SharedIdentifier] = strawberry.field(description="This page of identifiers.")
    total_count: int = strawberry.field(description="Identifiers found within the caps.")
    truncated: bool = strawberry.field(description="Whether the search hit its cap.")
    end_cursor: str | None = strawberry.field(
        description="Pass as `after` for the next page (null on the last page)."
    )


@strawberry.type(description="An event or a registration of an entity, dated.")
class TimelineEntry:
    kind: str = strawberry.field(description="EVENT or REGISTRATION.")
    id: strawberry.ID = strawberry.field(
        description="Event ID, or the source record key of a registration."
    )
    date: date | None = strawberry.field(
        description="When: the event's date, or the record's own date (lease start, …)."
    )
    type: str = strawberry.field(description="Event type, or the source of a registration.")
    department: str | None = strawberry.field(description="Department that recorded it.")
    source: str | None = strawberry.field(description="Source name.")
    record_id: str | None = strawberry.field(description="Record ID within the source.")
    role: str | None = strawberry.field(description="The entity's role in it.")
    place: str | None = strawberry.field(description="Where, as recorded.")
    details: JSON = strawberry.field(description="The event's or record's other attributes.")


@strawberry.type(description="Everything recorded about an entity across departments, by date.")
class Timeline:
    entity: GraphNode = strawberry.field(description="The entity.")
    entries: list[TimelineEntry] = strawberry.field(
        description="Events and registrations, oldest first; undated ones last."
    )
    truncated: bool = strawberry.field(description="Whether a cap on entries was hit.")


# -- the investigators' root fields (assembled into Query by api.schema) --------------------------
Info = strawberry.Info[Context, None]
NodeId = Annotated[
    strawberry.ID, strawberry.argument(description="Golden ID, event ID or address-point key.")
]
NextPage = Annotated[
    str | None, strawberry.argument(description="Continue after this `endCursor`.")
]
NodesPerPage = Annotated[
    int | None,
    strawberry.argument(
        description=f"Most nodes per page (default {investigate.DEFAULT_NODES}, at most "
        f"{investigate.MAX_NODES})."
    ),
]
GroupsPerPage = Annotated[
    int | None,
    strawberry.argument(
        description=f"Identifiers per page (default {investigate.DEFAULT_GROUPS}, at most "
        f"{investigate.MAX_GROUPS})."
    ),
]


async def neighborhood(
    info: Info,
    id: NodeId,
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
    first: NodesPerPage = None,
    after: NextPage = None,
) -> Neighborhood | None:
    ctx = info.context
    found = await investigate.neighborhood(ctx, id, depth, relation_types, first, after)
    return Neighborhood(
        center=GraphNode.from_record(found.center, ctx.masker),
        nodes=[GraphNode.from_record(n, ctx.masker) for n in found.nodes],
        edges=[GraphEdge.from_record(e) for e in found.edges],
        truncated=found.truncated,
        total_count=found.total,
        end_cursor=found.end_cursor,
    )


async def connections(
    info: Info,
    from_id: Annotated[strawberry.ID, strawberry.argument(description="Where paths start.")],
    to_id: Annotated[strawberry.ID, strawberry.argument(description="Where paths end.")],
    max_hops: Annotated[
        int, strawberry.argument(description=f"Longest path looked for (1 to {q.MAX_HOPS}).")
    ] = 4,
) -> Connections | None:
    ctx = info.context
    rows, truncated = await investigate.connections(ctx, from_id, to_id, max_hops)
    paths = [
        Path(
            nodes=[
                PathNode(node=GraphNode.from_record(n["node"], ctx.masker), lineage=n["lineage"])
                for n in row["nodes"]
            ],
            steps=[GraphEdge.from_record(step) for step in row["steps"]],
            length=len(row["steps"]),
        )
        for row in rows
    ]
    return Connections(paths=paths, truncated=truncated)


async def shared_identifiers(
    info: Info,
    kind: Annotated[IdentifierKind, strawberry.argument(description="Which identifier.")],
    min_entities: Annotated[
        int, strawberry.argument(description="Least number of distinct golden records (≥ 2).")
    ],
    first: GroupsPerPage = None,
    after: NextPage = None,
) -> SharedIdentifiers:
    ctx = info.context
    found = await investigate.shared_identifiers(ctx, kind.value, min_entities, first, after)
    masked_as = investigate.MASKED_AS.get(kind.value, "")
    items = [
        SharedIdentifier(
            kind=kind,
            value=ctx.masker.attribute(masked_as, row["value"]) or "",
            label=ctx.masker.attribute(masked_as, row["label"]) or "",
            entity_count=row["entity_count"],
            entities=[GraphNode.from_record(e, ctx.masker) for e in row["entities"]],
        )
        for row in found.items
    ]
    return SharedIdentifiers(
        items=items,
        total_count=found.total,
        truncated=found.truncated,
        end_cursor=found.end_cursor,
    )


async def timeline(
    info: Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="Golden ID of the entity.")],
) -> Timeline | None:
    ctx = info.context
    found = await investigate.timeline(ctx, id)
    return Timeline(
        entity=GraphNode.from_record(found.entity, ctx.masker),
        entries=[
            TimelineEntry(
                kind=row["kind"],
                id=strawberry.ID(row["id"]),
                date=row["date"],
                type=row["type"] or row["kind"],
                department=row["department"],
                source=row["source"],
                record_id=row["record_id"],
                role=row["role"],
                place=row["place"],
                details={k: plain(v) for k, v in row["details"].items()},
            )
            for row in found.entries
        ],
        truncated=found.truncated,
    )


neighborhood_field = strawberry.field(
    resolver=neighborhood,
    permission_classes=[InvestigatorsOnly],
    description="Investigators: the nodes and edges around a golden record, address point or "
    f"event, up to {q.MAX_DEPTH} hops, capped ({investigate.NEIGHBOURS_PER_NODE} neighbours a "
    "node) and paged by nodes; `truncated` says when a cap was hit. Null, with a NOT_FOUND "
    "error, when no node you may see has the ID.",
)
connections_field = strawberry.field(
    resolver=connections,
    permission_classes=[InvestigatorsOnly],
    description="Investigators: the shortest paths between two nodes, each step naming its "
    "relationship and the records stating it. Null, with a NOT_FOUND error, when either ID "
    "names no node you may see.",
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
    "departments, by date. Null, with a NOT_FOUND error, when no node you may see has the ID.",
)
