"""The Cypher of the change feed (数据返还): writing change entries, pruning them, reading them.

A change is a ``(:Change {key, seq, kind, entity, entity_id, other_id, at, run_id, event_type,
event_id, fields, source_records, point_key, district, street, community, written})`` node.
``seq`` comes from the one ``(:ChangeFeed {key: 'feed'})`` counter: a writer takes the
counter's write lock first, so transactions number their entries one after the other and a
reader never sees seq N+1 committed before seq N; ``key`` is unique, so an entry written twice
is written once. The feed reads in ``seq`` order (an index seek, not a sort) and filters with
the same jurisdiction rule as every read (:func:`graph_schema.api_queries.in_scope`): a change
carries the place it concerns.
"""

from __future__ import annotations

from graph_schema.api_queries import in_scope

FEED_KEY = "feed"

WRITE_CHANGES = """
MERGE (f:ChangeFeed {key: $feed})
ON CREATE SET f.seq = 0, f.pruned_through = 0
SET f._lock = true
WITH f
UNWIND $entries AS entry
OPTIONAL MATCH (existing:Change {key: entry.key})
WITH f, entry WHERE existing IS NULL
WITH f, collect(entry) AS fresh
SET f.seq = f.seq + size(fresh)
REMOVE f._lock
WITH f.seq - size(fresh) AS base, fresh
UNWIND range(0, size(fresh) - 1) AS i
CREATE (c:Change {key: fresh[i].key, seq: base + i + 1})
SET c += fresh[i].props, c.written = datetime()
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

FEED_PAGE_CITY = f"""
MATCH (c:Change)
WHERE c.seq > $after{_FEED_FILTERS}
  AND {in_scope("c")}
WITH c ORDER BY c.seq
LIMIT $limit
RETURN c {{.*}} AS change
"""
"""One page of the feed for a city-wide caller (``$scope`` restricts nothing)."""

FEED_PAGE_DISTRICT = f"""
MATCH (c:Change)
WHERE c.district = $scope.district AND c.seq > $after{_FEED_FILTERS}
  AND {in_scope("c")}
WITH c ORDER BY c.seq
LIMIT $limit
RETURN c {{.*}} AS change
"""
"""One page for a caller with a district: the ``(district, seq)`` index gives the district's
changes in ``seq`` order; street and community are then checked by the usual rule."""
