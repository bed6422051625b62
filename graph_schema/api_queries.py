"""The Cypher of the GraphQL API: read-only, parameterised, filtered to the caller's jurisdiction.

Every query that can return a golden record, an address point or an event takes ``$scope``, a
map ``{district, street, community, street_communities}`` (nulls mean "not restricted"), and
keeps only what :func:`in_scope` admits. Labels, relationship types and directions come from
the closed sets below, never from a request. Values are always parameters. Batched look-ups
take ``$ids`` and return one row per key that has anything, as ``{id, items}`` — or, for the
lists the API pages, ``{id, total, items}`` with only the page ``$skip``/``$limit`` in
``items``: the shapes the API's DataLoaders expect.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from huitong.vocabulary import GOLDEN_LABELS, RELATION_TYPES

if TYPE_CHECKING:
    from neo4j import Driver

DIRECTIONS = ("out", "in", "both")
_VARIABLE = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
_EVENT_LABEL = re.compile(r"^[A-Z][A-Za-z]{0,40}$")


def _label(label: str) -> str:
    if label not in GOLDEN_LABELS:
        raise ValueError(f"unknown golden label {label!r}")
    return label


def _variable(name: str) -> str:
    if not _VARIABLE.match(name):
        raise ValueError(f"invalid Cypher variable {name!r}")
    return name


def in_area(variable: str, area: str = "$scope") -> str:
    """Predicate: the node bound to ``variable`` lies in the area map ``area``.

    The map holds ``district``, ``street``, ``community`` (null: not restricted) and the keys
    that place records whose street or community is unknown: ``street_communities``
    (``district|community`` of the street's communities), ``street_roads`` and
    ``community_roads`` (``district|road`` of roads with points known to lie in the street or
    community). A node with an unknown district is outside every area that names one; a node
    whose street (community) is unknown is inside when its community or, failing that, its
    road places it there.
    """
    v = _variable(variable)
    if area not in ("$scope", "$area"):
        raise ValueError(f"unknown area parameter {area!r}")
    road = f"coalesce({v}.road, split({v}.point_key, '|')[0])"
    return (
        f"(({area}.district IS NULL OR {v}.district = {area}.district)"
        f" AND ({area}.street IS NULL OR {v}.street = {area}.street"
        f" OR ({v}.street IS NULL AND ({v}.district + '|' + {v}.community"
        f" IN {area}.street_communities OR ({v}.community IS NULL"
        f" AND {v}.district + '|' + {road} IN {area}.street_roads))))"
        f" AND ({area}.community IS NULL OR {v}.community = {area}.community"
        f" OR ({v}.community IS NULL AND {v}.district + '|' + {road}"
        f" IN {area}.community_roads)))"
    )


def in_scope(variable: str) -> str:
    """Predicate: the node bound to ``variable`` lies in the caller's jurisdiction ``$scope``."""
    return in_area(variable, "$scope")


def _page(items: str) -> str:
    """The tail of a paged batched look-up: each id's ``total`` and the ``$skip``/``$limit``
    page of ``items`` (a ``collect`` expression), so Neo4j returns one page, not the list."""
    return f"""WITH id, {items} AS listed
RETURN id, size(listed) AS total, listed[$skip..$skip + $limit] AS items
"""


def _point(variable: str) -> str:
    """Map projection of an address point, with whether it is in the caller's jurisdiction."""
    v = _variable(variable)
    return f"{v} {{.*, in_scope: coalesce({in_scope(v)}, false)}}"


def event_visible(variable: str) -> str:
    """Predicate: an event is visible when its place or one of its participants is in scope."""
    v = _variable(variable)
    return (
        f"(EXISTS {{ MATCH ({v})-[:AT]->(place:AddressPoint) WHERE {in_scope('place')} }}"
        f" OR EXISTS {{ MATCH ({v})-[:INVOLVES]->(party) WHERE {in_scope('party')} }})"
    )


# -- health and jurisdiction -------------------------------------------------------------------
READINESS = """
OPTIONAL MATCH (p:HuitongPublish {key: 'current'})
RETURN p.run AS publish_run
"""

AREA_KEYS = """
OPTIONAL MATCH (c:Community)
WHERE $street IS NOT NULL AND c.street = $street
  AND ($district IS NULL OR c.district = $district)
WITH collect(DISTINCT c.district + '|' + c.name) AS street_communities
OPTIONAL MATCH (a:AddressPoint)
WHERE $street IS NOT NULL AND ($district IS NULL OR a.district = $district)
  AND (a.street = $street
       OR (a.street IS NULL AND a.district + '|' + a.community IN street_communities))
WITH street_communities, collect(DISTINCT a.district + '|' + a.road) AS street_roads
OPTIONAL MATCH (b:AddressPoint)
WHERE $community IS NOT NULL AND b.community = $community
  AND ($district IS NULL OR b.district = $district)
RETURN street_communities, street_roads,
       collect(DISTINCT b.district + '|' + b.road) AS community_roads
"""


def area_map(
    district: str | None,
    street: str | None = None,
    community: str | None = None,
    keys: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``$area`` / ``$scope`` map of a jurisdiction (see :func:`in_area`): its district,
    street and community, and for a street or community the ``keys`` :data:`AREA_KEYS` read
    (the communities of the street, the roads of each), empty where none were read."""
    area: dict[str, Any] = {
        "district": district,
        "street": street,
        "community": community,
        "street_communities": [],
        "street_roads": [],
        "community_roads": [],
    }
    area.update(keys or {})
    return area


def read_area(
    driver: Driver, district: str | None, street: str | None = None, community: str | None = None
) -> dict[str, Any]:
    """:func:`area_map` read through a synchronous driver (the API reads it asynchronously and
    caches it per published run)."""
    if not (street or community):
        return area_map(district)
    records, _, _ = driver.execute_query(
        AREA_KEYS, district=district, street=street, community=community, routing_="r"
    )
    return area_map(district, street, community, records[0].data() if records else None)


# -- golden records by ID ----------------------------------------------------------------------
def lookup(label: str) -> str:
    """Golden records by ID, following ``(:RetiredEntity)-[:REDIRECTS_TO]->`` for retired IDs.

    One row per requested ID: ``found``, ``visible`` (in scope), ``redirected`` and ``node``
    (the properties, only when visible).
    """
    label = _label(label)
    return f"""
UNWIND $ids AS requested
OPTIONAL MATCH (direct:{label} {{id: requested}})
OPTIONAL MATCH (:RetiredEntity {{id: requested}})-[:REDIRECTS_TO]->(successor:{label})
WITH requested, coalesce(direct, successor) AS n,
     direct IS NULL AND successor IS NOT NULL AS redirected
WITH requested, n, redirected, n IS NOT NULL AND coalesce({in_scope("n")}, false) AS visible
RETURN requested AS id, n IS NOT NULL AS found, visible, redirected,
       CASE WHEN visible THEN n {{.*}} END AS node
"""


def source_records(label: str) -> str:
    """The source records resolving to each golden record: its lineage."""
    label = _label(label)
    return f"""
UNWIND $ids AS id
MATCH (s:SourceRecord)-[:RESOLVES_TO]->(:{label} {{id: id}})
WITH id, s ORDER BY s.source, s.record_id, s.role
{_page("collect(s {.*})")}"""


def related(label: str, relation: str, direction: str, other: str) -> str:
    """Golden neighbours over one relationship type, in scope, with the rows stating it."""
    label, other = _label(label), _label(other)
    if relation not in RELATION_TYPES:
        raise ValueError(f"unknown relation type {relation!r}")
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}")
    pattern = {
        "out": f"-[r:{relation}]->",
        "in": f"<-[r:{relation}]-",
        "both": f"-[r:{relation}]-",
    }[direction]
    return f"""
UNWIND $ids AS id
MATCH (n:{label} {{id: id}}){pattern}(m:{other})
WHERE {in_scope("m")}
WITH id, m, collect(coalesce(r.sources, [])) AS statements
WITH id, m, reduce(acc = [], s IN statements | acc + s) AS sources
ORDER BY m.id
{_page("collect({node: m {.*}, sources: sources})")}"""


def registered_points(label: str) -> str:
    """Address points a golden person or enterprise is registered at, with the records saying so.

    Not filtered by scope: they are the (in-scope) entity's own addresses; what lives at them
    is filtered when it is read.
    """
    label = _label(label)
    return f"""
UNWIND $ids AS id
MATCH (:{label} {{id: id}})-[r:REGISTERED_AT]->(a:AddressPoint)
WITH id, a, r ORDER BY a.key
{_page(f"collect({{node: {_point('a')}, sources: coalesce(r.sources, [])}})")}"""


UNIT_POINTS = f"""
UNWIND $ids AS id
MATCH (:RentalUnit {{id: id}})-[:AT]->(a:AddressPoint)
RETURN id, collect({_point("a")}) AS items
"""

EVENT_POINTS = f"""
UNWIND $ids AS id
MATCH (:Event {{id: id}})-[:AT]->(a:AddressPoint)
RETURN id, collect({_point("a")}) AS items
"""

POINTS_BY_KEY = f"""
UNWIND $ids AS id
MATCH (a:AddressPoint {{key: id}})
RETURN id, collect({_point("a")}) AS items
"""


def entity_events(label: str, event_label: str = "Event") -> str:
    """Events involving each golden record (newest first), with the record's roles in them;
    only of type ``$type`` and on or after ``$since`` when they are not null."""
    label = _label(label)
    if not _EVENT_LABEL.match(event_label):
        raise ValueError(f"invalid event label {event_label!r}")
    return f"""
UNWIND $ids AS id
MATCH (e:{event_label})-[i:INVOLVES]->(:{label} {{id: id}})
WHERE ($type IS NULL OR e.type = $type) AND ($since IS NULL OR e.date >= $since)
WITH id, e, collect(DISTINCT i.role) AS roles
ORDER BY e.date DESC, e.id
{_page("collect({node: e {.*}, roles: roles})")}"""


EVENT_PARTICIPANTS = f"""
UNWIND $ids AS id
MATCH (:Event {{id: id}})-[i:INVOLVES]->(m)
WHERE m:{"|".join(GOLDEN_LABELS)} AND {in_scope("m")}
WITH id, i, m ORDER BY i.role, m.id
RETURN id, collect({{
  role: i.role,
  label: head([label IN labels(m) WHERE label IN {list(GOLDEN_LABELS)!r}]),
  node: m {{.*}}
}}) AS items
"""


# -- what is at an address point -----------------------------------------------------------------
def point_registered(label: str) -> str:
    """Golden persons or enterprises registered at each address point, in scope."""
    label = _label(label)
    return f"""
UNWIND $ids AS id
MATCH (:AddressPoint {{key: id}})<-[r:REGISTERED_AT]-(m:{label})
WHERE {in_scope("m")}
WITH id, m, r ORDER BY m.id
{_page("collect({node: m {.*}, sources: coalesce(r.sources, [])})")}"""


POINT_UNITS = f"""
UNWIND $ids AS id
MATCH (:AddressPoint {{key: id}})<-[:AT]-(u:RentalUnit)
WHERE {in_scope("u")}
WITH id, u ORDER BY u.unit_key, u.id
{_page("collect({node: u {.*}, sources: []})")}"""

POINT_EVENTS = f"""
UNWIND $ids AS id
MATCH (:AddressPoint {{key: id}})<-[:AT]-(e:Event)
WHERE ($type IS NULL OR e.type = $type) AND {event_visible("e")}
WITH id, e ORDER BY e.date DESC, e.id
{_page("collect({node: e {.*}, roles: []})")}"""


# -- address look-up ------------------------------------------------------------------------------
ADDRESS_POINTS = f"""
MATCH (a:AddressPoint)
WHERE ($point_key IS NOT NULL AND a.key = $point_key)
   OR ($point_key IS NULL AND a.road = $road)
WITH a
WHERE ($district IS NULL OR a.district IS NULL OR a.district = $district)
  AND {in_scope("a")}
WITH a ORDER BY a.road, toInteger(a.number), coalesce(toInteger(a.sub_number), 0), a.key
WITH collect({{node: {_point("a")}}}) AS rows
RETURN size(rows) AS total, rows[$skip..$skip + $limit] AS page
"""


# -- search ---------------------------------------------------------------------------------------
def _ranked(variable: str) -> str:
    """The tail of a search: keep in-scope matches of every criterion given, best first.

    Expects rows ``variable, how, criterion, strength`` (one per way a record matched) and
    returns ``total`` and one ``page`` (``$skip``/``$limit``) of ``{node, via, score}``."""
    v = _variable(variable)
    return f"""WITH {v}, criterion, max(strength) AS strength, collect(DISTINCT how) AS hows
WHERE {in_scope(v)}
WITH {v}, collect(criterion) AS criteria, sum(strength) AS score,
     reduce(acc = [], h IN collect(hows) | acc + h) AS via
WHERE size(criteria) = $criteria_count
ORDER BY score DESC, {v}.name, {v}.id
WITH collect({{node: {v} {{.*}}, via: via, score: score}}) AS rows
RETURN size(rows) AS total, rows[$skip..$skip + $limit] AS page
"""


SEARCH_PEOPLE = """
CALL () {
  MATCH (s:SourceRecord) WHERE s.name_key IN $name_keys
  MATCH (s)-[:RESOLVES_TO]->(p:Person)
  RETURN p, CASE WHEN s.name = $name_text THEN 'NAME'
                 WHEN s.name_key = $name_key THEN 'NAME_PINYIN'
                 ELSE 'NAME_HOMOPHONE' END AS how,
         'name' AS criterion,
         CASE WHEN s.name = $name_text THEN 3 WHEN s.name_key = $name_key THEN 2 ELSE 1 END
           AS strength
  UNION ALL
  MATCH (s:SourceRecord {id_number: $id_number})-[:RESOLVES_TO]->(p:Person)
  RETURN p, 'ID_NUMBER' AS how, 'idNumber' AS criterion, 3 AS strength
  UNION ALL
  MATCH (p:Person {id_number: $id_number})
  RETURN p, 'ID_NUMBER' AS how, 'idNumber' AS criterion, 3 AS strength
  UNION ALL
  MATCH (s:SourceRecord {phone: $phone})-[:RESOLVES_TO]->(p:Person)
  RETURN p, 'PHONE' AS how, 'phone' AS criterion, 2 AS strength
  UNION ALL
  MATCH (p:Person {phone: $phone})
  RETURN p, 'PHONE' AS how, 'phone' AS criterion, 2 AS strength
}
""" + _ranked("p")

SEARCH_ENTERPRISES = """
CALL () {
  MATCH (s:SourceRecord {name_key: $name_key})-[:RESOLVES_TO]->(e:Enterprise)
  RETURN e, CASE WHEN s.name = $name_text THEN 'NAME' ELSE 'NAME_KEY' END AS how,
         'name' AS criterion, CASE WHEN s.name = $name_text THEN 3 ELSE 2 END AS strength
  UNION ALL
  MATCH (e:Enterprise) WHERE $name_fragment IS NOT NULL AND e.name CONTAINS $name_fragment
  RETURN e, 'NAME_CONTAINS' AS how, 'name' AS criterion, 1 AS strength
  UNION ALL
  MATCH (s:SourceRecord {uscc: $uscc})-[:RESOLVES_TO]->(e:Enterprise)
  RETURN e, 'USCC' AS how, 'uscc' AS criterion, 3 AS strength
  UNION ALL
  MATCH (e:Enterprise {uscc: $uscc})
  RETURN e, 'USCC' AS how, 'uscc' AS criterion, 3 AS strength
}
""" + _ranked("e")


# -- the report's cross-department questions ----------------------------------------------------
REPEAT_OFFENDERS = f"""
MATCH (a:AddressPoint {{key: $point_key}})
WHERE {in_scope("a")}
CALL (a) {{
  MATCH (p:Person)-[:REGISTERED_AT]->(a)
  RETURN p, 'REGISTERED_AT' AS via
  UNION
  MATCH (p:Person)-[:RENTS]->(:RentalUnit)-[:AT]->(a)
  RETURN p, 'RENTS' AS via
  UNION
  MATCH (v:Violation)-[:AT]->(a) WHERE $since IS NULL OR v.date >= $since
  MATCH (v)-[:INVOLVES]->(p:Person)
  RETURN p, 'CITED_AT' AS via
}}
WITH p, collect(via) AS via
WHERE {in_scope("p")}
CALL (p) {{
  MATCH (v:Violation)-[:INVOLVES]->(p)
  WHERE $since IS NULL OR v.date >= $since
  RETURN count(DISTINCT v) AS violations
}}
WITH p, via, violations
WHERE violations >= $min_violations
ORDER BY violations DESC, p.id
WITH collect({{node: p {{.*}}, via: via, violations: violations}}) AS rows
RETURN size(rows) AS total, rows[$skip..$skip + $limit] AS page
"""

HOUSEHOLD = f"""
MATCH (a:AddressPoint {{key: $point_key}})
WHERE {in_scope("a")}
CALL (a) {{
  MATCH (p:Person)-[r:REGISTERED_AT]->(a)
  UNWIND r.sources AS record_key
  MATCH (s:SourceRecord {{key: record_key}})
  WHERE $unit_key IS NULL OR s.unit_key = $unit_key
  RETURN p, s, 'REGISTERED' AS basis
  UNION
  MATCH (p:Person)-[r:RENTS]->(u:RentalUnit)-[:AT]->(a)
  WHERE $unit_key IS NULL OR u.unit_key = $unit_key
  MATCH (s:SourceRecord)-[:RESOLVES_TO]->(p)
  WHERE s.source + '/' + s.record_id IN r.sources
  RETURN p, s, 'TENANT' AS basis
}}
WITH p, basis, s
WHERE {in_scope("p")}
WITH p, collect(DISTINCT basis) AS basis, collect(DISTINCT s {{.*}}) AS records
ORDER BY p.name, p.id
WITH collect({{node: p {{.*}}, basis: basis, records: records}}) AS rows
RETURN size(rows) AS total, rows[$skip..$skip + $limit] AS page,
       [row IN rows | [r IN row.records | [r.source, r.department]]] AS member_sources
"""

ENTERPRISES_OF_AREA = f"""
MATCH (e:Enterprise)
WHERE {in_area("e", "$area")} AND {in_scope("e")}
MATCH (s:SourceRecord)-[:RESOLVES_TO]->(e)
WHERE s.attributes CONTAINS $attribute_marker
WITH e, collect(s.attributes) AS attributes
ORDER BY e.name, e.id
RETURN e {{.*}} AS node, attributes,
       CASE WHEN e.street = $area.street THEN 'STREET'
            WHEN e.street IS NULL AND e.community IS NOT NULL THEN 'COMMUNITY_OF_STREET'
            ELSE 'ROAD_OF_STREET' END AS placed_by
"""

MARRIED_WOMEN = f"""
MATCH (p:Person)
WHERE p.gender = 'F' AND p.birth_date > $born_after AND p.birth_date <= $born_on_or_before
  AND {in_area("p", "$area")} AND {in_scope("p")}
  AND (EXISTS {{ (p)-[:SPOUSE_OF]-(:Person) }} OR EXISTS {{ (:Marriage)-[:INVOLVES]->(p) }})
  AND NOT EXISTS {{ (:Death)-[:INVOLVES]->(p) }}
WITH p ORDER BY p.name, p.id
WITH collect({{node: p {{.*}}}}) AS rows
RETURN size(rows) AS total, rows[$skip..$skip + $limit] AS page
"""

EMPLOYMENT_RECORDS_OF_AREA = f"""
MATCH (p:Person)
WHERE {in_area("p", "$area")} AND {in_scope("p")}
MATCH (s:SourceRecord)-[:RESOLVES_TO]->(p)
WHERE any(marker IN $attribute_markers WHERE s.attributes CONTAINS marker)
OPTIONAL MATCH (f:SourceRecord {{source: s.source, record_id: s.record_id}})
               -[:RESOLVES_TO]->(e:Enterprise)
WITH p, s, [x IN collect(e) WHERE {in_scope("x")} | x {{.*}}] AS employers
WITH p, collect({{record: s {{.*}}, enterprises: employers}}) AS records
ORDER BY p.name, p.id
RETURN p {{.*}} AS node, records
"""


# -- data quality ----------------------------------------------------------------------------------
SOURCE_QUALITY = """
MATCH (q:SourceQuality {source: $source})
RETURN q {.*} AS quality
"""
