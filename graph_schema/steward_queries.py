"""Cypher for the stewards' review workflow (queue, candidates, entities, decision history).

Reads only: decisions are written by :func:`graph_schema.decisions.record_decision` (its
``RECORD_DECISION``). Values are always ``$params``; the golden label comes from
:data:`GOLDEN_LABELS`, a closed set.
"""

from __future__ import annotations

GOLDEN_LABELS = {"person": "Person", "enterprise": "Enterprise", "rental_unit": "RentalUnit"}

_UNDECIDED = """
MATCH (c:ReviewCandidate {entity: $entity})
WHERE NOT EXISTS { MATCH (d:StewardDecision {subject: c.id}) }
"""

REVIEW_QUEUE_COUNT = _UNDECIDED + "RETURN count(c) AS total"
"""How many undecided candidates of one entity type (``$entity``) wait."""

REVIEW_QUEUE = (
    _UNDECIDED
    + """
WITH c ORDER BY c.priority DESC, c.id SKIP $skip LIMIT $limit
MATCH (c)-[:LEFT]->(l:SourceRecord)
MATCH (c)-[:RIGHT]->(r:SourceRecord)
OPTIONAL MATCH (l)-[:RESOLVES_TO]->(gl)
OPTIONAL MATCH (r)-[:RESOLVES_TO]->(gr)
RETURN c {.*} AS candidate, l {.*} AS left, r {.*} AS right,
       gl.id AS left_entity_id, gr.id AS right_entity_id
ORDER BY c.priority DESC, c.id
"""
)
"""One page (``$skip``/``$limit``) of undecided candidates, highest priority first."""

CANDIDATE = """
MATCH (c:ReviewCandidate {id: $id})
MATCH (c)-[:LEFT]->(l:SourceRecord)
MATCH (c)-[:RIGHT]->(r:SourceRecord)
OPTIONAL MATCH (l)-[:RESOLVES_TO]->(gl)
OPTIONAL MATCH (r)-[:RESOLVES_TO]->(gr)
RETURN c {.*} AS candidate, l {.*} AS left, r {.*} AS right,
       gl.id AS left_entity_id, gr.id AS right_entity_id
"""
"""One candidate by ``$id`` with its two records and their golden entities now."""


ENTITY_RECORDS = """
OPTIONAL MATCH (direct:Person|Enterprise|RentalUnit {id: $id})
OPTIONAL MATCH (:RetiredEntity {id: $id})-[:REDIRECTS_TO]->(successor)
WITH coalesce(direct, successor) AS g
WHERE g IS NOT NULL
MATCH (s:SourceRecord)-[:RESOLVES_TO]->(g)
WITH g, s ORDER BY s.key
RETURN g.id AS id, s.entity AS entity, collect(s.key) AS record_keys
"""
"""A golden entity by ``$id`` (a retired ID follows its redirect) with its records' keys."""


DECISION_COUNT = """
MATCH (d:StewardDecision) WHERE $decided_by IS NULL OR d.decided_by = $decided_by
RETURN count(d) AS total
"""

DECISIONS = """
MATCH (d:StewardDecision) WHERE $decided_by IS NULL OR d.decided_by = $decided_by
WITH d ORDER BY d.decided_at DESC, d.id SKIP $skip LIMIT $limit
RETURN d.id AS id, d.kind AS kind, d.entity AS entity, d.subject AS subject,
       d.reason AS reason, d.decided_by AS decided_by, d.role AS role,
       toString(d.decided_at) AS decided_at, d.pairs AS pairs, d.before AS before,
       d.after AS after
ORDER BY d.decided_at DESC, d.id
"""
"""Decision history, newest first, optionally of one steward (``$decided_by``)."""
