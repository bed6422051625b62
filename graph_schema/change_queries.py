"""The Cypher of the change feed (数据返还): writing change entries, pruning them, reading them.

A change is a ``(:Change {key, seq, kind, entity, entity_id, other_id, at, run_id, event_type,
event_id, fields, source_records, point_key, district, street, community, written})`` node.
``seq`` comes from the one ``(:ChangeFeed {key: 'feed'})`` counter: a writer takes the
counter's write lock first (setting and removing a flag: the lock is held until the
transaction ends, the flag gone even when every entry was written before), so transactions
number their entries one after the other and a reader never sees seq N+1 committed before
seq N; ``key`` is unique, so an entry written twice is written once.

The feed is filtered with the same jurisdiction rule as every read
(:func:`graph_schema.api_queries.in_scope`): a change carries the place it concerns. A page is
read from indexes in ``seq`` order, so it costs an index seek and ``first`` rows however many
entries the feed holds and however narrow the caller's jurisdiction: a district's page from
``(district, seq)``, a street's from ``(district, street, seq)``, a community's from
``(district, community, seq)``. A change whose street (community) is unknown lies in a street
(community) by its community or road, as the caller's ``$scope`` lists them; such a change
carries its place as a key (:data:`SET_PLACE_KEYS`) so that each listed community or road is
one more ordered seek. Each seek is cut at ``$limit``; the page is the first ``$limit`` of
their union, and every row is checked with :func:`in_scope` besides.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from graph_schema.api_queries import in_scope

FEED_KEY = "feed"

_ROAD = "coalesce(c.road, split(c.point_key, '|')[0])"
SET_PLACE_KEYS = f"""
SET c.streetless_community = CASE WHEN c.street IS NULL THEN c.district + '|' + c.community END,
    c.communityless_road = CASE WHEN c.community IS NULL THEN c.district + '|' + {_ROAD} END,
    c.placeless_road = CASE WHEN c.street IS NULL AND c.community IS NULL
                            THEN c.district + '|' + {_ROAD} END"""
"""The keys that place the change ``c`` when its street or community is unknown, as
:func:`graph_schema.api_queries.in_area` places it (``district|community`` for a change without
a street; ``district|road`` without a community, and without either), each left unset (null)
otherwise: ``(key, seq)`` indexes then list exactly those changes of a community or road."""

PLACE_KEY_PROPERTIES = ("streetless_community", "communityless_road", "placeless_road")
"""The properties :data:`SET_PLACE_KEYS` writes: bookkeeping, not part of a change."""

WRITE_CHANGES = f"""
MERGE (f:ChangeFeed {{key: $feed}})
ON CREATE SET f.seq = 0, f.pruned_through = 0
SET f._lock = true
REMOVE f._lock
WITH f
UNWIND $entries AS entry
OPTIONAL MATCH (existing:Change {{key: entry.key}})
WITH f, entry WHERE existing IS NULL
WITH f, collect(entry) AS fresh
SET f.seq = f.seq + size(fresh)
WITH f.seq - size(fresh) AS base, fresh
UNWIND range(0, size(fresh) - 1) AS i
CREATE (c:Change {{key: fresh[i].key, seq: base + i + 1}})
SET c += fresh[i].props, c.written = datetime(){SET_PLACE_KEYS}
RETURN count(c) AS written, max(c.seq) AS last_seq
"""
"""Write ``$entries`` (``{key, props}``) not written before, numbered after the feed's last."""

FEED_STATE = """
OPTIONAL MATCH (f:ChangeFeed {key: $feed})
RETURN coalesce(f.seq, 0) AS head, coalesce(f.pruned_through, 0) AS pruned_through,
       f.run AS run
"""

RECORD_FEED_RUN = """
MERGE (f:ChangeFeed {key: $feed})
ON CREATE SET f.seq = 0, f.pruned_through = 0
SET f.run = CASE WHEN f.run IS NULL OR f.run < $run THEN $run ELSE f.run END
"""
"""The newest resolve run whose entries are all written (publish sends only newer ones)."""

EXPIRED_THROUGH = """
MATCH (c:Change) WHERE c.written < $cutoff
RETURN max(c.seq) AS through
"""

BACKFILL_PLACE_KEYS = f"""
MATCH (c:Change) WHERE c.street IS NULL OR c.community IS NULL
CALL (c) {{{SET_PLACE_KEYS}
}} IN TRANSACTIONS OF 10000 ROWS
"""
"""Set the place keys of changes written before the writer set them (a migration)."""

MARK_PRUNED = """
MATCH (f:ChangeFeed {key: $feed})
SET f.pruned_through = CASE WHEN f.pruned_through < $through THEN $through
                            ELSE f.pruned_through END
"""

DELETE_PRUNED = """
MATCH (c:Change) WHERE c.seq <= $through
CALL (c) { DELETE c } IN TRANSACTIONS OF 10000 ROWS
"""

_FEED_FILTERS = """
  AND ($kinds IS NULL OR c.kind IN $kinds)
  AND ($entity IS NULL OR c.entity = $entity)"""

_CHANGE = (
    "c {.seq, .kind, .entity, .entity_id, .other_id, .run_id, .event_type, .event_id,"
    " .fields, .source_records, .point_key, .district, .street, .community,"
    " at_epoch: c.at.epochSeconds, at_nanos: c.at.nanosecond, at_offset: c.at.offsetSeconds}"
)
"""A change as a map. Its moment comes as numbers (``at_epoch``, ``at_nanos``, ``at_offset``:
see :func:`moment`): the driver's hydration of a ``DateTime`` costs more than the rest of a
change's row."""


def _seek(**fixed: str) -> str:
    """The first ``$limit`` changes in scope after ``after`` whose properties are ``fixed``
    (property → value), as ``c``: read from the ``(fixed…, seq)`` index in its order, so the
    seek stops after a page (the hint keeps the planner from scanning ``seq`` instead, which
    its statistics may prefer for a small place)."""
    properties = [*fixed, "seq"]
    where = "".join(f"c.{name} = {value} AND " for name, value in fixed.items())
    return f"""MATCH (c:Change)
USING INDEX c:Change({", ".join(properties)})
WHERE {where}c.seq > after{_FEED_FILTERS}
  AND {in_scope("c")}
WITH c ORDER BY {", ".join(f"c.{name}" for name in properties)} LIMIT $limit"""


def _seek_each(places: str, key: str) -> str:
    """:func:`_seek` by the place key ``key``, once for each key in the list ``places``."""
    seek = _seek(**{key: "place"}).replace("\n", "\n  ")
    return f"""UNWIND {places} AS place
CALL (place, after) {{
  {seek}
  RETURN c
}}"""


def _page(*seeks: str) -> str:
    """One page: the feed's counter (``head``, ``pruned_through``), the position the page
    starts after (``$after``, or where retention left the feed when null) and the first
    ``$limit`` changes of the union of ``seeks`` after it, oldest first (``changes``). The
    counter is read before the changes, so every change up to ``head`` was there to be read."""
    union = "\nRETURN c\nUNION\n".join(seeks).replace("\n", "\n    ")
    return f"""
OPTIONAL MATCH (f:ChangeFeed {{key: $feed}})
WITH coalesce(f.seq, 0) AS head, coalesce(f.pruned_through, 0) AS pruned_through
WITH head, pruned_through, coalesce($after, pruned_through) AS after
CALL (after) {{
  CALL (after) {{
    {union}
    RETURN c
  }}
  WITH c ORDER BY c.seq LIMIT $limit
  RETURN collect({_CHANGE}) AS changes
}}
RETURN head, pruned_through, after, changes
"""


FEED_PAGE_CITY = _page(_seek())
"""One page of the feed for a city-wide caller (``$scope`` restricts nothing)."""

FEED_PAGE_DISTRICT = _page(_seek(district="$scope.district"))
"""One page for a caller with a district (and neither street nor community)."""

FEED_PAGE_STREET = _page(
    _seek(district="$scope.district", street="$scope.street"),
    _seek_each("$scope.street_communities", "streetless_community"),
    _seek_each("$scope.street_roads", "placeless_road"),
)
"""One page for a caller with a street (and no community): the street's changes, those without
a street in one of its communities, those without street or community on one of its roads."""

FEED_PAGE_COMMUNITY = _page(
    _seek(district="$scope.district", community="$scope.community"),
    _seek_each("$scope.community_roads", "communityless_road"),
)
"""One page for a caller with a community: its changes (their street checked by
:func:`in_scope`) and those without a community on one of its roads."""


def feed_page(scope: dict) -> str:
    """The page query for a caller's ``$scope`` map: the narrowest level it names."""
    if scope.get("community"):
        return FEED_PAGE_COMMUNITY
    if scope.get("street"):
        return FEED_PAGE_STREET
    if scope.get("district"):
        return FEED_PAGE_DISTRICT
    return FEED_PAGE_CITY


def moment(change: dict) -> datetime:
    """A change's ``at`` from the numbers :data:`_CHANGE` returns, as the driver's
    ``DateTime.to_native()`` gives it (microseconds; the offset the moment was written with)."""
    offset = timezone(timedelta(seconds=change["at_offset"]))
    return datetime.fromtimestamp(change["at_epoch"], offset).replace(
        microsecond=change["at_nanos"] // 1000
    )
