"""Cypher for the stewards' review workflow (queue, candidates, entities, decision history).

Reads only: decisions are written by :func:`graph_schema.decisions.record_decision` (its
``RECORD_DECISION``). Values are always ``$params``; golden labels come from
:data:`huitong.vocabulary.GOLDEN_LABELS`, a closed set. Stewards work within their
jurisdiction like every other caller: the queue holds only candidates whose two entities lie in
``$scope``.
"""

from __future__ import annotations

from graph_schema.api_queries import in_scope
from huitong.vocabulary import GOLDEN_LABELS

_GOLDEN = "|".join(GOLDEN_LABELS)


def _waiting(order: str = "") -> str:
    """Candidates of ``$entity`` no decision settles yet (not marked ``settled``: see
    :data:`graph_schema.decisions.SETTLE_CANDIDATES`) whose two records' golden entities both
    lie in the caller's jurisdiction ``$scope``; ``order`` sorts the candidates before the
    (pipelined) filters, so a page stops as soon as it is full."""
    return f"""
MATCH (c:ReviewCandidate {{entity: $entity}}) WHERE c.priority IS NOT NULL AND c.settled IS NULL
WITH c {order}
MATCH (c)-[:LEFT]->(l:SourceRecord)
MATCH (c)-[:RIGHT]->(r:SourceRecord)
MATCH (l)-[:RESOLVES_TO]->(gl)
MATCH (r)-[:RESOLVES_TO]->(gr)
WITH c, l, r, gl, gr
WHERE {in_scope("gl")} AND {in_scope("gr")}
"""


_COUNT = _waiting() + "RETURN count(c) AS total"

_COUNT_CITYWIDE = """
MATCH (c:ReviewCandidate {entity: $entity}) WHERE c.priority IS NOT NULL AND c.settled IS NULL
RETURN count(c) AS total
"""
# a city-wide caller's count from the index alone: every candidate's two records are published
# with the golden entity they resolve to, and every golden entity lies in the city

_PAGE = (
    _waiting("ORDER BY c.priority DESC, c.id")
    + """
WITH c, l, r, gl, gr SKIP $skip LIMIT $limit
WITH c, l, r, gl, gr ORDER BY c.priority DESC, c.id
RETURN collect({candidate: c {.*}, left: l {.*}, right: r {.*},
                left_entity_id: gl.id, right_entity_id: gr.id}) AS rows
"""
)

_PAGE_ENTITIES = f"""
UNWIND rows AS row
UNWIND [row.left_entity_id, row.right_entity_id] AS id
WITH DISTINCT id
MATCH (g:{_GOLDEN} {{id: id}})
MATCH (s:SourceRecord)-[:RESOLVES_TO]->(g)
WITH id, s ORDER BY s.key
WITH id, collect(s) AS records
RETURN collect({{id: id, size: size(records),
                 records: [s IN records[0..$cluster_records] | __RECORD__]}}) AS clusters
"""
_RECORD_WHOLE = "s {.*}"
_RECORD_PROJECTED = "[p IN $record_properties | s[p]]"


def review_queue(citywide: bool, projected: bool = False) -> str:
    """One page (``$skip``/``$limit``) of undecided candidates of ``$entity`` in ``$scope``,
    highest priority first (``rows``), how many wait in all (``total``), and the golden
    entities of the page's records with their record count and first ``$cluster_records``
    records by key (``clusters``): the whole queue page in one statement. ``citywide``: the
    caller's ``$scope`` is the whole city (the count then needs no look beyond the index).
    ``projected``: each of those records is the list of its ``$record_properties`` values, in
    that order, instead of all its properties (a page's clusters hold up to 2,000 records)."""
    count = _COUNT_CITYWIDE if citywide else _COUNT
    entities = _PAGE_ENTITIES.replace(
        "__RECORD__", _RECORD_PROJECTED if projected else _RECORD_WHOLE
    )
    return f"""
CALL () {{ {count} }}
CALL () {{ {_PAGE} }}
CALL (rows) {{ {entities} }}
RETURN total, rows, clusters
"""


CANDIDATE = f"""
MATCH (c:ReviewCandidate {{id: $id}})
MATCH (c)-[:LEFT]->(l:SourceRecord)
MATCH (c)-[:RIGHT]->(r:SourceRecord)
OPTIONAL MATCH (l)-[:RESOLVES_TO]->(gl)
OPTIONAL MATCH (r)-[:RESOLVES_TO]->(gr)
RETURN c {{.*}} AS candidate, l {{.*}} AS left, r {{.*}} AS right,
       gl.id AS left_entity_id, gr.id AS right_entity_id,
       coalesce({in_scope("gl")} AND {in_scope("gr")}, false) AS visible
"""
"""One candidate by ``$id`` with its two records, their golden entities now, and whether both
lie in the caller's jurisdiction."""


ENTITY_RECORDS = f"""
OPTIONAL MATCH (direct:{_GOLDEN} {{id: $id}})
OPTIONAL MATCH (:RetiredEntity {{id: $id}})-[:REDIRECTS_TO]->(successor)
WITH coalesce(direct, successor) AS g
WHERE g IS NOT NULL
MATCH (s:SourceRecord)-[:RESOLVES_TO]->(g)
WITH g, s ORDER BY s.key
RETURN g.id AS id, s.entity AS entity, collect(s.key) AS record_keys,
       coalesce({in_scope("g")}, false) AS visible
"""
"""A golden entity by ``$id`` (a retired ID follows its redirect) with its records' keys and
whether it lies in the caller's jurisdiction."""


_HISTORY = f"""
MATCH (d:StewardDecision)
WHERE ($decided_by IS NULL OR d.decided_by = $decided_by)
  AND (d.decided_by = $caller OR $scope.district IS NULL
       OR EXISTS {{
         MATCH (d)-[:COVERS]->(:SourceRecord)-[:RESOLVES_TO]->(g) WHERE {in_scope("g")}
       }})
"""

DECISION_COUNT = _HISTORY + "RETURN count(d) AS total"

DECISIONS = (
    _HISTORY
    + """
WITH d ORDER BY d.decided_at DESC, d.id SKIP $skip LIMIT $limit
RETURN d.id AS id, d.kind AS kind, d.entity AS entity, d.subject AS subject,
       d.reason AS reason, d.decided_by AS decided_by, d.role AS role,
       toString(d.decided_at) AS decided_at, d.pairs AS pairs, d.before AS before,
       d.after AS after
ORDER BY d.decided_at DESC, d.id
"""
)
"""Decision history, newest first, optionally of one steward (``$decided_by``): the caller's
own decisions and, unless the caller is city-wide, only others' that touched a record of an
entity in ``$scope``."""
