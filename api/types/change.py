"""The change feed in GraphQL: ``changes`` and ``changeFeedHead`` (queries) and the ``changes``
subscription (graphql-transport-ws) — every change to golden records, and every event, that
lies in the caller's jurisdiction, oldest first, from a durable cursor."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from api import changes as feed
from api.context import Context
from api.types.pagination import PageInfo, edge_type
from api.types.review import EntityType
from graph_schema.change_queries import moment

Info = strawberry.Info[Context, None]


@strawberry.enum(description="What a change says happened.")
class ChangeKind(Enum):
    CREATED = strawberry.enum_value("CREATED", description="A new golden record.")
    UPDATED = strawberry.enum_value(
        "UPDATED", description="Survived values changed (see `fields`: before, after, source)."
    )
    MERGED = strawberry.enum_value(
        "MERGED", description="`entityId` was retired into `otherId` (the same entity)."
    )
    SPLIT = strawberry.enum_value(
        "SPLIT", description="Records of `entityId` were split off into `otherId`, the new part."
    )
    RETIRED = strawberry.enum_value(
        "RETIRED", description="Every record of `entityId` is gone; the ID is never reused."
    )
    MOVED_IN = strawberry.enum_value(
        "MOVED_IN", description="The record's district, street or community became yours."
    )
    MOVED_OUT = strawberry.enum_value(
        "MOVED_OUT",
        description="The record left your district, street or community (where to is not said).",
    )
    EVENT = strawberry.enum_value(
        "EVENT",
        description="An event was recorded for the record (birth, death, move-in, move-out, "
        "marriage, violation…; see `eventType`).",
    )


@strawberry.type(description="One value a change concerns.")
class ChangedField:
    name: str = strawberry.field(
        description="The attribute (name, id_number, phone, address, …; `role` for an event)."
    )
    before: str | None = strawberry.field(
        description="Its value before (null: none); identifiers masked for department apps."
    )
    after: str | None = strawberry.field(
        description="Its value after (null: gone); identifiers masked for department apps."
    )
    source: str | None = strawberry.field(description="The source that supplied the value.")
    record_id: str | None = strawberry.field(description="The record in that source.")


@strawberry.type(description="A source record behind a change.")
class ChangeSourceRecord:
    source: str = strawberry.field(description="Source name from the sources contract.")
    record_id: str = strawberry.field(description="Record ID within the source.")
    role: str | None = strawberry.field(description="Role of the mention in its row.")


@strawberry.type(
    description="One entry of the change feed: what happened to a golden record (or that an "
    "event was recorded), in which resolve run, where."
)
class Change:
    seq: int = strawberry.field(description="Position in the feed: increases, never reused.")
    kind: ChangeKind = strawberry.field(description="What happened.")
    entity: EntityType | None = strawberry.field(
        description="The kind of record (null for an event no record took part in)."
    )
    entity_id: str | None = strawberry.field(description="The golden ID concerned.")
    other_id: str | None = strawberry.field(
        description="MERGED: the surviving ID; SPLIT: the new part's ID. Null when that record "
        "lies outside your jurisdiction."
    )
    at: datetime = strawberry.field(description="When the resolve run that found it ran.")
    run_id: str = strawberry.field(description="The resolve run that found it.")
    event_type: str | None = strawberry.field(
        description="EVENT: the event's type (Birth, Death, MoveIn, MoveOut, Marriage, …)."
    )
    event_id: str | None = strawberry.field(description="EVENT: the event's ID (source/record).")
    fields: list[ChangedField] = strawberry.field(
        description="CREATED: the survived values; UPDATED: what changed; EVENT: the role."
    )
    source_records: list[ChangeSourceRecord] = strawberry.field(
        description="The source records behind the change (at most 20)."
    )
    district: str | None = strawberry.field(description="District the change concerns.")
    street: str | None = strawberry.field(description="Street office the change concerns.")
    community: str | None = strawberry.field(description="Community the change concerns.")

    @classmethod
    def from_record(cls, row: dict[str, Any], ctx: Context) -> Change:
        masker = ctx.masker
        fields = [
            ChangedField(
                name=f["name"],
                before=masker.attribute(f["name"], _text(f.get("before"))),
                after=masker.attribute(f["name"], _text(f.get("after"))),
                source=f.get("source"),
                record_id=f.get("record_id"),
            )
            for f in json.loads(row.get("fields") or "[]")
        ]
        records = []
        for key in row.get("source_records") or []:
            source, _, rest = key.partition("/")
            record_id, _, role = rest.partition("/")
            records.append(
                ChangeSourceRecord(source=source, record_id=record_id, role=role or None)
            )
        return cls(
            seq=row["seq"],
            kind=ChangeKind(row["kind"]),
            entity=EntityType(row["entity"]) if row.get("entity") else None,
            entity_id=row.get("entity_id"),
            other_id=row.get("other_id"),
            at=moment(row),
            run_id=row["run_id"],
            event_type=row.get("event_type"),
            event_id=row.get("event_id"),
            fields=fields,
            source_records=records,
            district=row.get("district"),
            street=row.get("street"),
            community=row.get("community"),
        )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


ChangeEdge = edge_type(
    Change,
    name="ChangeEdge",
    description="A change and its cursor.",
    node_description="The change.",
)


@strawberry.type(description="A page of the change feed, oldest first.")
class ChangeConnection:
    edges: list[ChangeEdge] = strawberry.field(description="The changes of this page.")
    page_info: PageInfo = strawberry.field(
        description="`hasNextPage`: more changes follow now; `endCursor`: the last edge's."
    )
    resume_after: str = strawberry.field(
        description="Pass this as `after` next time: past this page and past every change "
        "before it that you may not see (it moves on even when a page is empty)."
    )

    @classmethod
    def of(cls, found: feed.FeedPage, ctx: Context) -> ChangeConnection:
        ctx.returned(len(found.changes))
        edges = [
            ChangeEdge(node=Change.from_record(row, ctx), cursor=feed.cursor(row["seq"]))
            for row in found.changes
        ]
        info = PageInfo(
            has_next_page=found.has_next,
            has_previous_page=found.after > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        )
        return cls(edges=edges, page_info=info, resume_after=feed.cursor(found.resume_after))


ChangeAfter = Annotated[
    str | None,
    strawberry.argument(
        description="A cursor (an edge's, `resumeAfter` or `changeFeedHead`); changes after "
        "it. Null: from the oldest change the feed keeps."
    ),
]
ChangeFirst = Annotated[
    int, strawberry.argument(description="How many changes to return (default 100, ≤ 1000).")
]
ChangeKinds = Annotated[
    list[ChangeKind] | None,
    strawberry.argument(description="Only these kinds (null: every kind)."),
]
ChangeEntity = Annotated[
    EntityType | None,
    strawberry.argument(description="Only changes of this kind of record (null: all)."),
]


def _filters(kinds: list[ChangeKind] | None, entity: EntityType | None) -> dict[str, Any]:
    return {
        "kinds": [k.value for k in kinds] if kinds else None,
        "entity": entity.value if entity else None,
    }


def _audit(ctx: Context, name: str, **arguments: Any) -> None:
    ctx.audit.arguments[name] = {k: v for k, v in arguments.items() if v is not None}


@strawberry.type
class ChangeQueries:
    """The feed's root query fields (mixed into ``Query``)."""

    @strawberry.field(
        description="Every change visible in your jurisdiction since the cursor, oldest first: "
        "golden records created, updated, merged, split, retired, moved in or out, and events "
        "recorded. The same for every role; identifiers masked for department apps."
    )
    async def changes(
        self,
        info: Info,
        after: ChangeAfter = None,
        first: ChangeFirst = 100,
        kinds: ChangeKinds = None,
        entity: ChangeEntity = None,
    ) -> ChangeConnection:
        ctx = info.context
        filters = _filters(kinds, entity)
        _audit(ctx, "changes", after=after, first=first, **filters)
        found = await feed.page(ctx, after, first, filters["kinds"], filters["entity"])
        return ChangeConnection.of(found, ctx)

    @strawberry.field(
        description="The cursor of the newest change: pass it as `after` to follow from now."
    )
    async def change_feed_head(self, info: Info) -> str:
        return feed.cursor(await feed.head(info.context))


@strawberry.type(description="Changes pushed as they are published (graphql-transport-ws).")
class Subscription:
    @strawberry.subscription(
        description="The change feed, pushed: each change visible in your jurisdiction after "
        "the cursor (null: from now), as it is published. Scoped and masked like `changes`."
    )
    async def changes(
        self,
        info: Info,
        after: Annotated[
            str | None,
            strawberry.argument(description="A cursor; changes after it (null: from now)."),
        ] = None,
        kinds: ChangeKinds = None,
        entity: ChangeEntity = None,
    ) -> AsyncGenerator[Change, None]:
        ctx = info.context
        filters = _filters(kinds, entity)
        _audit(ctx, "changes", after=after, **filters)
        began = time.perf_counter()
        try:
            position = after or feed.cursor(await feed.head(ctx))
            while True:
                found = await feed.page(ctx, position, 100, filters["kinds"], filters["entity"])
                ctx.returned(len(found.changes))
                for row in found.changes:
                    yield Change.from_record(row, ctx)
                position = feed.cursor(found.resume_after)
                if not found.has_next:
                    await asyncio.sleep(ctx.settings.change_poll_seconds)
        finally:  # one audit line per subscription, when it ends
            if ctx.audit_log is not None:
                ctx.audit.root_fields = ("changes",)
                ctx.audit.operation_name = ctx.audit.operation_name or "subscription"
                ctx.audit.queries = ctx.graph.queries_run
                ctx.audit_log.request(
                    caller=ctx.caller, entry=ctx.audit, status=101,
                    seconds=time.perf_counter() - began, client=None,
                )  # fmt: skip
