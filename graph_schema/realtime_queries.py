"""The Cypher of real-time submission: what one call changes, written in one transaction.

Publish writes a whole run and removes what is stale; a real-time call changes a few golden
records in place. Values are always parameters; labels and relationship types come from the
vocabulary's closed sets. Elements carry the ``publish_run`` of the run the engine matched
against, so a publish of a newer run (which holds the same rows) replaces them as usual.
"""

from __future__ import annotations

from huitong.vocabulary import RELATION_TYPES, entity_label

APPLIED = """
OPTIONAL MATCH (j:RealtimeJournal {key: $journal})
RETURN coalesce(j.applied, 0) AS applied
"""
"""How far the graph has applied a workdir's journal."""

MARK_APPLIED = """
MERGE (j:RealtimeJournal {key: $journal})
SET j.applied = CASE WHEN j.applied IS NULL OR j.applied < $seq THEN $seq ELSE j.applied END,
    j.updated = datetime()
"""


def set_golden(entity: str) -> str:
    """Golden records created or changed: ``props`` null for an attribute that no longer
    survives removes it."""
    return f"""
UNWIND $rows AS row
MERGE (n:{entity_label(entity)} {{id: row.id}})
SET n += row.props, n.publish_run = coalesce(n.publish_run, $run)
"""


def repoint_out(entity: str, relationship_type: str) -> str:
    """Move a merged-away record's outgoing relationships of one type to the survivor,
    joining their ``sources``."""
    _check(relationship_type)
    return f"""
UNWIND $rows AS row
MATCH (old:{entity_label(entity)} {{id: row.old_id}})-[r:{relationship_type}]->(x)
MATCH (keep:{entity_label(entity)} {{id: row.new_id}})
WITH r, x, keep WHERE x <> keep
MERGE (keep)-[n:{relationship_type}]->(x)
SET n.sources = CASE WHEN n.sources IS NULL THEN r.sources
                     ELSE n.sources + [s IN coalesce(r.sources, []) WHERE NOT s IN n.sources]
                END,
    n.publish_run = coalesce(n.publish_run, r.publish_run)
DELETE r
"""


def repoint_in(entity: str, relationship_type: str) -> str:
    """Move a merged-away record's incoming relationships of one type to the survivor."""
    _check(relationship_type)
    return f"""
UNWIND $rows AS row
MATCH (x)-[r:{relationship_type}]->(old:{entity_label(entity)} {{id: row.old_id}})
MATCH (keep:{entity_label(entity)} {{id: row.new_id}})
WITH r, x, keep WHERE x <> keep
MERGE (x)-[n:{relationship_type}]->(keep)
SET n.sources = CASE WHEN n.sources IS NULL THEN r.sources
                     ELSE n.sources + [s IN coalesce(r.sources, []) WHERE NOT s IN n.sources]
                END,
    n.publish_run = coalesce(n.publish_run, r.publish_run)
DELETE r
"""


def repoint_involves(entity: str) -> str:
    return f"""
UNWIND $rows AS row
MATCH (e:Event)-[r:INVOLVES]->(old:{entity_label(entity)} {{id: row.old_id}})
MATCH (keep:{entity_label(entity)} {{id: row.new_id}})
MERGE (e)-[n:INVOLVES {{role: r.role}}]->(keep)
SET n.mention = r.mention, n.publish_run = r.publish_run
DELETE r
"""


def retire_merged(entity: str) -> str:
    """The merged-away record becomes a redirect to the survivor (older redirects to it
    follow), and leaves."""
    return f"""
UNWIND $rows AS row
MATCH (old:{entity_label(entity)} {{id: row.old_id}})
MATCH (keep:{entity_label(entity)} {{id: row.new_id}})
OPTIONAL MATCH (earlier:RetiredEntity)-[e:REDIRECTS_TO]->(old)
FOREACH (_ IN CASE WHEN earlier IS NULL THEN [] ELSE [1] END |
  MERGE (earlier)-[:REDIRECTS_TO {{publish_run: $run}}]->(keep)
  DELETE e)
WITH DISTINCT old, keep, row
MERGE (o:RetiredEntity {{id: row.old_id}})
SET o.entity = $entity, o.publish_run = $run
MERGE (o)-[r:REDIRECTS_TO]->(keep)
SET r.publish_run = $run
DETACH DELETE old
"""


def retire(entity: str) -> str:
    """A record all of whose mentions were retracted."""
    return f"""
UNWIND $rows AS row
MATCH (n:{entity_label(entity)} {{id: row.id}})
DETACH DELETE n
"""


REMOVE_STATEMENTS = """
UNWIND $statements AS st
UNWIND st.records AS key
MATCH (:SourceRecord {key: key})-[:RESOLVES_TO]->(g)-[r]-()
WHERE type(r) IN $types AND st.statement IN coalesce(r.sources, [])
WITH DISTINCT r, st.statement AS statement
WITH r, [s IN r.sources WHERE s <> statement] AS rest
FOREACH (_ IN CASE WHEN size(rest) = 0 THEN [1] ELSE [] END | DELETE r)
FOREACH (_ IN CASE WHEN size(rest) > 0 THEN [1] ELSE [] END | SET r.sources = rest)
"""
"""What a changed or retracted row stated (``statement``: its ``source/record_id``, found
through the golden records its earlier ``records`` resolve to) leaves every relation's
``sources``; a relation no row states any more leaves."""

REMOVE_EVENTS = """
UNWIND $ids AS id
MATCH (e:Event {id: id})
DETACH DELETE e
"""

REMOVE_SOURCE_RECORDS = """
UNWIND $keys AS key
MATCH (s:SourceRecord {key: key})
OPTIONAL MATCH (s)-[:RESOLVES_TO]->(g)-[r:REGISTERED_AT]->()
WHERE key IN coalesce(r.sources, [])
WITH s, key, collect(r) AS registrations
FOREACH (r IN registrations |
  SET r.sources = [x IN r.sources WHERE x <> key])
DETACH DELETE s
"""


def set_source_records(entity: str) -> str:
    """Source records of one entity type, each resolving to its golden record only."""
    return f"""
UNWIND $rows AS row
MERGE (s:SourceRecord {{key: row.key}})
SET s += row.props, s.publish_run = $run
WITH s, row
OPTIONAL MATCH (s)-[old:RESOLVES_TO]->(g)
WHERE g.id <> row.golden_id
DELETE old
WITH DISTINCT s, row
MATCH (g:{entity_label(entity)} {{id: row.golden_id}})
MERGE (s)-[r:RESOLVES_TO]->(g)
SET r.publish_run = $run
"""


def add_registered_at(entity: str) -> str:
    return f"""
UNWIND $rows AS row
MATCH (g:{entity_label(entity)} {{id: row.golden_id}})
MATCH (a:AddressPoint {{key: row.point_key}})
MERGE (g)-[r:REGISTERED_AT]->(a)
SET r.sources = CASE WHEN row.source IN coalesce(r.sources, []) THEN r.sources
                     ELSE coalesce(r.sources, []) + row.source END,
    r.publish_run = coalesce(r.publish_run, $run)
"""


def add_relation(relation_type: str) -> str:
    from_entity, to_entity = RELATION_TYPES[relation_type]
    return f"""
UNWIND $rows AS row
MATCH (a:{entity_label(from_entity)} {{id: row.from_id}})
MATCH (b:{entity_label(to_entity)} {{id: row.to_id}})
MERGE (a)-[r:{relation_type}]->(b)
SET r.sources = CASE WHEN row.source IN coalesce(r.sources, []) THEN r.sources
                     ELSE coalesce(r.sources, []) + row.source END,
    r.publish_run = coalesce(r.publish_run, $run)
"""


ADD_POINTS = """
UNWIND $rows AS row
MERGE (a:AddressPoint {key: row.key})
ON CREATE SET a += row.props, a.publish_run = $run
WITH a, row
CALL (a, row) {
  MATCH (c:Community {key: row.parent}) WHERE row.parent_kind = 'community'
  MERGE (a)-[r:LOCATED_IN]->(c) ON CREATE SET r.publish_run = $run
  UNION
  MATCH (s:Street {key: row.parent}) WHERE row.parent_kind = 'street'
  MERGE (a)-[r:LOCATED_IN]->(s) ON CREATE SET r.publish_run = $run
  UNION
  MATCH (d:District {key: row.parent}) WHERE row.parent_kind = 'district'
  MERGE (a)-[r:LOCATED_IN]->(d) ON CREATE SET r.publish_run = $run
}
"""
"""Address points new to the graph (an existing point keeps its placement)."""

RELATIONSHIP_TYPES_OF = {
    "person": (
        ("out", "REGISTERED_AT"),
        ("out", "RENTS"),
        ("out", "OWNS"),
        ("out", "LEGAL_REPRESENTATIVE_OF"),
        ("out", "EMPLOYED_BY"),
        ("out", "SPOUSE_OF"),
        ("in", "SPOUSE_OF"),
        ("out", "PARENT_OF"),
        ("in", "PARENT_OF"),
        ("in", "RESOLVES_TO"),
    ),
    "enterprise": (
        ("out", "REGISTERED_AT"),
        ("in", "LEGAL_REPRESENTATIVE_OF"),
        ("in", "EMPLOYED_BY"),
        ("in", "RESOLVES_TO"),
    ),
    "rental_unit": (("out", "AT"), ("in", "RENTS"), ("in", "OWNS"), ("in", "RESOLVES_TO")),
}
"""The relationships a golden record of each entity type has, by direction: what a merge
moves to the survivor (besides ``INVOLVES``)."""


def _check(relationship_type: str) -> None:
    known = {t for pairs in RELATIONSHIP_TYPES_OF.values() for _, t in pairs}
    if relationship_type not in known:
        raise ValueError(f"unknown relationship type {relationship_type!r}")
