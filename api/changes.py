"""The change feed (数据返还) as data: pages of the changes a caller may see, after a cursor.

A page is read in ``seq`` order from where the cursor points, filtered in Cypher to the
caller's jurisdiction by the place each change concerns (see
:mod:`graph_schema.change_queries`), with the caller's kinds and entity type, in one query that
reads the feed's counter first. ``other_id`` (the survivor of a merge, the part split off) is
shown only when that record is visible to the caller too. A cursor pointing before what
retention kept is refused (:class:`CursorExpired`), never silently skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.context import Context
from api.errors import BadRequest, CursorExpired
from api.pagination import decode_seq_cursor, encode_seq_cursor
from graph_schema import api_queries
from graph_schema import change_queries as q
from huitong.vocabulary import ENTITY_LABELS


@dataclass(frozen=True)
class FeedPage:
    """Changes after a position, and where to go on from."""

    changes: list[dict[str, Any]]
    has_next: bool
    after: int
    resume_after: int
    """Pass this position next time: past this page and every change before it."""
    head: int


async def head(ctx: Context) -> int:
    """The newest ``seq`` of the feed (0 while it is empty)."""
    rows = await ctx.graph.read(q.FEED_STATE, feed=q.FEED_KEY)
    return rows[0]["head"] if rows else 0


async def page(
    ctx: Context,
    after: str | None,
    first: int,
    kinds: list[str] | None,
    entity: str | None,
) -> FeedPage:
    """``first`` changes visible to the caller after the cursor ``after`` (from the oldest
    kept when None), oldest first."""
    limit = ctx.settings.max_change_page_size
    if first < 0 or first > limit:
        raise BadRequest(f"first must be between 0 and {limit} (got {first})")
    position = decode_seq_cursor(after) if after else None
    scope = await ctx.graph.scope()
    (found,) = await ctx.graph.read(
        q.feed_page(scope),
        feed=q.FEED_KEY,
        after=position,
        limit=first + 1,
        kinds=kinds or None,
        entity=entity,
    )
    if position is not None and position < found["pruned_through"]:
        raise CursorExpired(
            f"the feed no longer keeps the changes after this cursor (entries up to "
            f"{found['pruned_through']} were pruned by retention): take the registers again "
            "(GET /exports/…) and follow from changeFeedHead"
        )
    changes = found["changes"][:first]
    has_next = len(found["changes"]) > first
    await _hide_others(ctx, changes)
    start = found["after"]
    resume = changes[-1]["seq"] if changes else start
    if not has_next:  # every change up to the head read before was scanned: skip past them
        resume = max(resume, found["head"])
    return FeedPage(changes, has_next, start, resume, found["head"])


async def _hide_others(ctx: Context, changes: list[dict[str, Any]]) -> None:
    """Blank ``other_id`` where that record is not visible to the caller."""
    wanted: dict[str, set[str]] = {}
    for change in changes:
        if change.get("other_id") and change.get("entity") in ENTITY_LABELS:
            wanted.setdefault(ENTITY_LABELS[change["entity"]], set()).add(change["other_id"])
    visible: set[str] = set()
    for label, ids in wanted.items():
        rows = await ctx.graph.read(api_queries.lookup(label), ids=sorted(ids))
        visible.update(row["id"] for row in rows if row["visible"])
    for change in changes:
        if change.get("other_id") and change["other_id"] not in visible:
            change["other_id"] = None


def cursor(seq: int) -> str:
    return encode_seq_cursor(seq)
