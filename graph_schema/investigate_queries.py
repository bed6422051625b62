"""The Cypher of the investigators' queries: neighbourhoods, paths, shared identifiers, timelines.

Every traversal is bounded: a depth or hop count checked against a small maximum before it is
written into the pattern (Cypher cannot take it as a parameter), ``LIMIT``s on every expansion
and result, and a transaction timeout set by the caller. Relationship types come only from
:data:`NEIGHBOURHOOD_RELATIONS` (the golden relations of :mod:`graph_schema.publish_queries`
plus registrations, places and event involvement). Jurisdiction is the API's ``$scope``,
filtered with :func:`graph_schema.api_queries.in_scope`; values are always parameters.
"""

from __future__ import annotations

from graph_schema.api_queries import event_visible, in_scope
from huitong.vocabulary import GOLDEN_LABELS, RELATION_TYPES

NODE_KINDS = (*GOLDEN_LABELS, "AddressPoint", "Event")
NEIGHBOURHOOD_RELATIONS = (*RELATION_TYPES, "REGISTERED_AT", "AT", "INVOLVES")
MAX_DEPTH = 3
MAX_HOPS = 6
SHARED_KINDS = ("PHONE", "ID_NUMBER", "ADDRESS_POINT", "RENTAL_UNIT")

_KIND_LABELS = " OR ".join(f"{{v}}:{kind}" for kind in NODE_KINDS)
_KIND_LIST = "[" + ", ".join(f"'{kind}'" for kind in NODE_KINDS) + "]"


def _kinds(variable: str) -> str:
    """Predicate: the node is one an investigator sees (golden record, address point, event)."""
    return "(" + _KIND_LABELS.replace("{v}", variable) + ")"


def visible(variable: str) -> str:
    """Predicate: a node of :data:`NODE_KINDS` lies in the caller's jurisdiction ``$scope``
    (an event: its place or one of its participants does)."""
    v = variable
    return (
        f"(({v}:Event AND {event_visible(v)})"
        f" OR (NOT {v}:Event AND coalesce({in_scope(v)}, false)))"
    )


def node(variable: str) -> str:
    """Map projection of a node for a graph view: public id, kind, internal id, properties."""
    v = variable
    return (
        f"{{element_id: elementId({v}), id: coalesce({v}.id, {v}.key),"
        f" kind: head([label IN labels({v}) WHERE label IN {_KIND_LIST}]),"
        f" props: properties({v})}}"
    )


def _relations(types: tuple[str, ...] | list[str]) -> str:
    unknown = [t for t in types if t not in NEIGHBOURHOOD_RELATIONS]
    if unknown or not types:
        raise ValueError(f"unknown relation types {unknown!r}")
    return "|".join(types)


FIND_NODE = f"""
CALL () {{
  MATCH (n:Person {{id: $id}}) RETURN n
  UNION MATCH (n:Enterprise {{id: $id}}) RETURN n
  UNION MATCH (n:RentalUnit {{id: $id}}) RETURN n
  UNION MATCH (n:Event {{id: $id}}) RETURN n
  UNION MATCH (n:AddressPoint {{key: $id}}) RETURN n
  UNION MATCH (:RetiredEntity {{id: $id}})-[:REDIRECTS_TO]->(n) RETURN n
}}
WITH n LIMIT 1
RETURN {node("n")} AS node, {visible("n")} AS visible
"""
"""One node by public ID (golden ID, event ID or address-point key; a retired ID follows its
redirect): ``node`` and whether it is ``visible`` to the caller."""


def expand(types: tuple[str, ...] | list[str]) -> str:
    """One level of a neighbourhood: the visible neighbours of each ``$frontier`` node (by
    element id) over ``types``, at most ``$per_node`` per node and ``$level_limit`` in all."""
    return f"""
UNWIND $frontier AS from_element
MATCH (n) WHERE elementId(n) = from_element
CALL (n) {{
  MATCH (n)-[r:{_relations(types)}]-(m)
  WHERE {_kinds("m")} AND {visible("m")}
  RETURN r, m LIMIT $per_node
}}
RETURN from_element, {node("m")} AS node, type(r) AS type, startNode(r) = n AS outgoing,
       coalesce(r.sources, []) AS sources, r.role AS role
LIMIT $level_limit
"""


def connections(max_hops: int) -> str:
    """All shortest paths (up to ``max_hops``, at most ``$limit`` paths) between two nodes given
    by element id, through nodes in ``$scope`` only: the predicate is part of the search, so a
    longer path inside the caller's jurisdiction is found when the shortest one leaves it. Each
    node comes with its lineage (up to ``$lineage_limit`` source record keys), each step with the
    records stating it."""
    if not 1 <= max_hops <= MAX_HOPS:
        raise ValueError(f"max_hops must be between 1 and {MAX_HOPS}")
    return f"""
MATCH (a) WHERE elementId(a) = $from_element
MATCH (b) WHERE elementId(b) = $to_element
MATCH p = allShortestPaths((a)-[:{_relations(NEIGHBOURHOOD_RELATIONS)}*..{max_hops}]-(b))
WHERE all(x IN nodes(p) WHERE {_kinds("x")} AND {visible("x")})
WITH p LIMIT $limit
RETURN [x IN nodes(p) | {{node: {node("x")}, lineage: COLLECT {{
          MATCH (s:SourceRecord)-[:RESOLVES_TO]->(x)
          RETURN s.key ORDER BY s.key LIMIT $lineage_limit }}}}] AS nodes,
       [r IN relationships(p) | {{
          source: coalesce(startNode(r).id, startNode(r).key),
          target: coalesce(endNode(r).id, endNode(r).key),
          type: type(r), role: r.role,
          sources: CASE WHEN type(r) = 'INVOLVES' THEN [startNode(r).id]
                        ELSE coalesce(r.sources, []) END}}] AS steps
"""


_SHARED_MATCH = {
    "PHONE": (
        "MATCH (s:SourceRecord)-[:RESOLVES_TO]->(g)\n"
        "WHERE s.phone IS NOT NULL AND s.phone <> '' AND {g_in_scope}\n"
        "WITH s.phone AS value, s.phone AS label, g"
    ),
    "ID_NUMBER": (
        "MATCH (s:SourceRecord)-[:RESOLVES_TO]->(g:Person)\n"
        "WHERE s.id_number IS NOT NULL AND s.id_number <> '' AND {g_in_scope}\n"
        "WITH s.id_number AS value, s.id_number AS label, g"
    ),
    "ADDRESS_POINT": (
        "MATCH (g:Enterprise)-[:REGISTERED_AT]->(a:AddressPoint)\n"
        "WHERE {g_in_scope}\n"
        "WITH a.key AS value, coalesce(a.text, a.key) AS label, g"
    ),
    "RENTAL_UNIT": (
        "MATCH (g:Person)-[:RENTS]->(u:RentalUnit)\n"
        "WHERE {g_in_scope} AND coalesce({u_in_scope}, false)\n"
        "WITH u.id AS value, coalesce(u.address, u.id) AS label, g"
    ),
}


def shared_identifiers(kind: str) -> str:
    """Identifiers held by at least ``$min_entities`` distinct visible golden records, most
    shared first: ``total`` and a ``page`` (``$skip``/``$limit``) of ``{value, label,
    entity_count, entities}`` (at most ``$entity_limit`` entities each). Phones and ID numbers
    come from the source records resolving to each golden record; address points from
    enterprises' registrations; rental units from persons renting them."""
    if kind not in _SHARED_MATCH:
        raise ValueError(f"unknown identifier kind {kind!r}")
    match = _SHARED_MATCH[kind].format(
        g_in_scope=f"coalesce({in_scope('g')}, false)", u_in_scope=in_scope("u")
    )
    return f"""
{match}
WITH value, label, collect(DISTINCT g) AS entities
WHERE size(entities) >= $min_entities
WITH value, label, entities ORDER BY size(entities) DESC, value
LIMIT $group_limit
WITH collect({{value: value, label: label, entities: entities}}) AS groups
RETURN size(groups) AS total,
       [x IN groups[$skip..$skip + $limit] | {{
          value: x.value, label: x.label, entity_count: size(x.entities),
          entities: [g IN x.entities[..$entity_limit] | {node("g")}]}}] AS page
"""


TIMELINE = """
MATCH (n) WHERE elementId(n) = $element_id
CALL (n) {
  MATCH (e:Event)-[r:INVOLVES]->(n)
  RETURN 'EVENT' AS kind, e.id AS id, e.type AS type, e.date AS date,
         e.department AS department, e.source AS source, e.record_id AS record_id,
         r.role AS role, e.place AS place, null AS attributes, null AS batch_id
  ORDER BY e.date DESC LIMIT $limit
  UNION ALL
  MATCH (s:SourceRecord)-[:RESOLVES_TO]->(n)
  RETURN 'REGISTRATION' AS kind, s.key AS id, s.source AS type, null AS date,
         s.department AS department, s.source AS source, s.record_id AS record_id,
         s.role AS role, s.address AS place, s.attributes AS attributes, s.batch_id AS batch_id
  ORDER BY s.key LIMIT $limit
}
RETURN kind, id, type, date, department, source, record_id, role, place, attributes, batch_id
"""
"""Events involving a node and the source records resolving to it (at most ``$limit`` each);
registration dates are read from the records' attributes by the caller."""
