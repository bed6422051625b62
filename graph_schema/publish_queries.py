"""The Cypher of ``huitong publish``: batched ``UNWIND`` writes, then removal of what is stale.

Every element publish writes carries ``publish_run``: the resolve run it came from. Writing is
``MERGE`` on unique keys, so it is idempotent; after every element of a run is written, elements
still carrying another run are stale and removed. A killed publish, run again, therefore ends in
the same graph as an uninterrupted one. Labels and relationship types come from closed sets
(checked here), never from data; values are always parameters.
"""

from __future__ import annotations

import re

from huitong.vocabulary import GOLDEN_LABELS, RELATION_TYPES, entity_label

MANAGED_LABELS = (
    *GOLDEN_LABELS,
    "SourceRecord",
    "Event",
    "AddressPoint",
    "Community",
    "Street",
    "District",
    "Department",
    "RetiredEntity",
    "ReviewCandidate",
    "SourceQuality",
)
MANAGED_RELATIONSHIPS = (
    "RESOLVES_TO",
    "LOCATED_IN",
    "AT",
    "REGISTERED_AT",
    "INVOLVES",
    "REPORTED_BY",
    "REDIRECTS_TO",
    "LEFT",
    "RIGHT",
    *RELATION_TYPES,
)
_EVENT_LABEL = re.compile(r"^[A-Z][A-Za-z]*$")


def merge_golden(entity: str) -> str:
    return f"""
UNWIND $rows AS row
MERGE (n:{entity_label(entity)} {{id: row.id}})
SET n += row.props, n.publish_run = $run
"""


MERGE_SOURCE_RECORDS = """
UNWIND $rows AS row
MERGE (s:SourceRecord {key: row.key})
SET s += row.props, s.publish_run = $run
"""


def merge_source_records(entity: str) -> str:
    """Source records of one entity together with their ``RESOLVES_TO`` (one index seek each)."""
    return f"""
UNWIND $rows AS row
MERGE (s:SourceRecord {{key: row.key}})
SET s += row.props, s.publish_run = $run
WITH s, row
MATCH (g:{entity_label(entity)} {{id: row.golden_id}})
MERGE (s)-[r:RESOLVES_TO]->(g)
SET r.publish_run = $run
"""


MERGE_DISTRICTS = """
UNWIND $rows AS row
MERGE (d:District {key: row.key})
SET d.name = row.name, d.publish_run = $run
"""

MERGE_STREETS = """
UNWIND $rows AS row
MERGE (s:Street {key: row.key})
SET s.name = row.name, s.district = row.district, s.publish_run = $run
WITH s, row
MATCH (d:District {key: row.district})
MERGE (s)-[r:LOCATED_IN]->(d)
SET r.publish_run = $run
"""

MERGE_COMMUNITIES = """
UNWIND $rows AS row
MERGE (c:Community {key: row.key})
SET c.name = row.name, c.district = row.district, c.street = row.street, c.publish_run = $run
WITH c, row
CALL (c, row) {
  MATCH (s:Street {key: row.parent}) WHERE row.parent_kind = 'street'
  MERGE (c)-[r:LOCATED_IN]->(s) SET r.publish_run = $run
  UNION
  MATCH (d:District {key: row.parent}) WHERE row.parent_kind = 'district'
  MERGE (c)-[r:LOCATED_IN]->(d) SET r.publish_run = $run
}
"""

MERGE_ADDRESS_POINTS = """
UNWIND $rows AS row
MERGE (a:AddressPoint {key: row.key})
SET a += row.props, a.publish_run = $run
WITH a, row
CALL (a, row) {
  MATCH (c:Community {key: row.parent}) WHERE row.parent_kind = 'community'
  MERGE (a)-[r:LOCATED_IN]->(c) SET r.publish_run = $run
  UNION
  MATCH (s:Street {key: row.parent}) WHERE row.parent_kind = 'street'
  MERGE (a)-[r:LOCATED_IN]->(s) SET r.publish_run = $run
  UNION
  MATCH (d:District {key: row.parent}) WHERE row.parent_kind = 'district'
  MERGE (a)-[r:LOCATED_IN]->(d) SET r.publish_run = $run
}
"""

MERGE_UNIT_AT = """
UNWIND $rows AS row
MATCH (u:RentalUnit {id: row.golden_id})
MATCH (a:AddressPoint {key: row.point_key})
MERGE (u)-[r:AT]->(a)
SET r.publish_run = $run
"""


def merge_registered_at(entity: str) -> str:
    return f"""
UNWIND $rows AS row
MATCH (g:{entity_label(entity)} {{id: row.golden_id}})
MATCH (a:AddressPoint {{key: row.point_key}})
MERGE (g)-[r:REGISTERED_AT]->(a)
SET r.sources = row.sources, r.publish_run = $run
"""


def merge_relation(relation_type: str, from_entity: str, to_entity: str) -> str:
    if relation_type not in RELATION_TYPES:
        raise ValueError(f"unknown relation type {relation_type!r}")
    return f"""
UNWIND $rows AS row
MATCH (a:{entity_label(from_entity)} {{id: row.from_id}})
MATCH (b:{entity_label(to_entity)} {{id: row.to_id}})
MERGE (a)-[r:{relation_type}]->(b)
SET r.sources = row.sources, r.publish_run = $run
"""


MERGE_DEPARTMENTS = """
UNWIND $rows AS row
MERGE (d:Department {name: row.name})
SET d.publish_run = $run
"""


def merge_events(event_type: str) -> str:
    if not _EVENT_LABEL.match(event_type) or event_type in MANAGED_LABELS:
        raise ValueError(f"invalid event type {event_type!r}")
    return f"""
UNWIND $rows AS row
MERGE (e:Event {{id: row.id}})
SET e:{event_type}, e += row.props, e.publish_run = $run
WITH e, row
MATCH (d:Department {{name: row.department}})
MERGE (e)-[r:REPORTED_BY]->(d)
SET r.publish_run = $run
WITH e, row
CALL (e, row) {{
  MATCH (a:AddressPoint {{key: row.point_key}})
  MERGE (e)-[r:AT]->(a)
  SET r.publish_run = $run
}}
"""


def merge_participants(entity: str) -> str:
    return f"""
UNWIND $rows AS row
MATCH (e:Event {{id: row.event_id}})
MATCH (g:{entity_label(entity)} {{id: row.golden_id}})
MERGE (e)-[r:INVOLVES {{role: row.role}}]->(g)
SET r.mention = row.mention_id, r.publish_run = $run
"""


def merge_redirects(entity: str) -> str:
    return f"""
UNWIND $rows AS row
MERGE (o:RetiredEntity {{id: row.old_id}})
SET o.entity = $entity, o.publish_run = $run
WITH o, row
MATCH (n:{entity_label(entity)} {{id: row.new_id}})
MERGE (o)-[r:REDIRECTS_TO]->(n)
SET r.publish_run = $run
"""


MERGE_SOURCE_QUALITY = """
UNWIND $rows AS row
MERGE (q:SourceQuality {source: row.source})
SET q.department = row.department, q.report = row.report, q.publish_run = $run
"""


def delete_golden(entity: str) -> str:
    """Retired golden records (every mention gone), deleted with their change entries."""
    return f"""
UNWIND $rows AS row
MATCH (n:{entity_label(entity)} {{id: row.id}})
DETACH DELETE n
"""


MERGE_REVIEW_CANDIDATES = """
UNWIND $rows AS row
MATCH (l:SourceRecord {key: row.left})
MATCH (r:SourceRecord {key: row.right})
MERGE (c:ReviewCandidate {id: row.id})
SET c += row.props, c.publish_run = $run
MERGE (c)-[a:LEFT]->(l)
SET a.publish_run = $run
MERGE (c)-[b:RIGHT]->(r)
SET b.publish_run = $run
"""


def delete_stale_nodes(label: str) -> str:
    if label not in MANAGED_LABELS:
        raise ValueError(f"unmanaged label {label!r}")
    return f"""
MATCH (n:{label}) WHERE n.publish_run IS NULL OR n.publish_run <> $run
CALL (n) {{ DETACH DELETE n }} IN TRANSACTIONS OF 10000 ROWS
"""


def delete_stale_relationships(relationship_type: str) -> str:
    if relationship_type not in MANAGED_RELATIONSHIPS:
        raise ValueError(f"unmanaged relationship type {relationship_type!r}")
    return f"""
MATCH ()-[r:{relationship_type}]->() WHERE r.publish_run IS NULL OR r.publish_run <> $run
CALL (r) {{ DELETE r }} IN TRANSACTIONS OF 10000 ROWS
"""


RECORD_PUBLISH = """
MERGE (p:HuitongPublish {key: 'current'})
SET p.run = $run, p.published_at = datetime(), p.counts = $counts,
    p.input_hash = $input_hash, p.journal = $journal
"""
"""A publish is complete: its run, when, the graph's counts, and what it was published from
(``input_hash``: the workdir and publish code; ``journal``: the real-time journals' state
before it began), so that publishing the same again may skip the writes."""

PUBLISHED_INPUT = """
OPTIONAL MATCH (p:HuitongPublish {key: 'current'})
RETURN p.run AS run, p.input_hash AS input_hash, p.journal AS journal
"""

FORGET_PUBLISHED_INPUT = """
MATCH (p:HuitongPublish {key: 'current'}) WHERE p.input_hash IS NOT NULL
REMOVE p.input_hash, p.journal
"""
"""Before a publish writes anything: the graph no longer holds just what the last input wrote
(a publish killed after this is never taken for a complete one)."""

JOURNAL_STATE = """
MATCH (j:RealtimeJournal)
RETURN j.key AS key, j.applied AS applied ORDER BY key
"""
"""How far each real-time journal's calls are applied to the graph."""


def count_label(label: str) -> str:
    if label not in MANAGED_LABELS:
        raise ValueError(f"unmanaged label {label!r}")
    return f"MATCH (n:{label}) RETURN count(n) AS n"


def count_relationships(relationship_type: str) -> str:
    if relationship_type not in MANAGED_RELATIONSHIPS:
        raise ValueError(f"unmanaged relationship type {relationship_type!r}")
    return f"MATCH ()-[r:{relationship_type}]->() RETURN count(r) AS n"
