"""The Cypher of the registers (GET /exports/…): one streamed query per register, every row in
the requested area (``$area``) and in the caller's jurisdiction (``$scope``), related records
only where they are in scope too. Ordered by place, so a community's households come together.

Each query sorts the bare nodes by their place first (:func:`_sorted`) and only then looks up
each one's relations and records, so Neo4j sends the first row once the sort is done and the
rest as they are read, instead of reading every relation of the city before the sort; the
``ORDER BY`` of the ``RETURN`` names the same keys, which the planner sees are already in order
(no second sort). Each returns only the properties the register shows: a golden record's
``provenance`` alone is about 1 KB, four times the rest of the row."""

from __future__ import annotations

from graph_schema.api_queries import in_area, in_scope

_PERSON = "{.id, .name, .id_number, .phone}"
_BIRTH_DATE = "birth_date: toString({v}.birth_date)"
"""A birth date as the register writes it: ISO text (the driver's ``Date`` is dearer to read)."""
_PLACE = ".district, .street, .community, .address"
_KEYS = "place_district, place_street, place_community, place_address"


def _sorted(v: str) -> str:
    """``WITH`` the node ``v`` and its place keys, ordered by them (see the module)."""
    return (
        f"WITH {v}, coalesce({v}.district, '') AS place_district,"
        f" coalesce({v}.street, '') AS place_street,"
        f" coalesce({v}.community, '') AS place_community,"
        f" coalesce({v}.address, '') AS place_address\n"
        f"ORDER BY {_KEYS}, {v}.id"
    )


def _order(v: str) -> str:
    return f"ORDER BY {_KEYS}, {v}.id"


HOUSEHOLDS = f"""
MATCH (p:Person)
WHERE {in_area("p", "$area")} AND {in_scope("p")}
{_sorted("p")}
CALL (p) {{
  OPTIONAL MATCH (p)-[:SPOUSE_OF]-(s:Person) WHERE {in_scope("s")}
  RETURN collect(DISTINCT s.name + ' ' + s.id) AS spouses
}}
CALL (p) {{
  OPTIONAL MATCH (p)<-[:PARENT_OF]-(m:Person) WHERE {in_scope("m")}
  RETURN collect(DISTINCT m.name + ' ' + m.id) AS parents
}}
CALL (p) {{
  OPTIONAL MATCH (p)-[:PARENT_OF]->(c:Person) WHERE {in_scope("c")}
  RETURN collect(DISTINCT c.name + ' ' + c.id) AS children
}}
CALL (p) {{
  MATCH (r:SourceRecord)-[:RESOLVES_TO]->(p)
  RETURN collect(DISTINCT r.source) AS sources,
         collect(CASE WHEN any(key IN $household_keys WHERE r.attributes CONTAINS key)
                      THEN r.attributes END) AS attributes
}}
RETURN p {{.id, .name, .gender, {_BIRTH_DATE.format(v="p")}, .id_number, .phone, {_PLACE}}} AS node,
       spouses, parents, children, sources, attributes
{_order("p")}
"""

RENTAL_UNITS = f"""
MATCH (u:RentalUnit)
WHERE {in_area("u", "$area")} AND {in_scope("u")}
{_sorted("u")}
CALL (u) {{
  OPTIONAL MATCH (l:Person)-[:OWNS]->(u) WHERE {in_scope("l")}
  RETURN collect(DISTINCT l {_PERSON}) AS landlords
}}
CALL (u) {{
  OPTIONAL MATCH (t:Person)-[:RENTS]->(u) WHERE {in_scope("t")}
  RETURN collect(DISTINCT t {_PERSON}) AS tenants
}}
RETURN u {{.id, .building, .room, {_PLACE}}} AS node, landlords, tenants
{_order("u")}
"""

ENTERPRISES = f"""
MATCH (e:Enterprise)
WHERE {in_area("e", "$area")} AND {in_scope("e")}
{_sorted("e")}
CALL (e) {{
  OPTIONAL MATCH (r:Person)-[:LEGAL_REPRESENTATIVE_OF]->(e) WHERE {in_scope("r")}
  RETURN collect(DISTINCT r {_PERSON}) AS representatives
}}
CALL (e) {{
  MATCH (s:SourceRecord)-[:RESOLVES_TO]->(e)
  RETURN collect(s.attributes) AS attributes, collect(DISTINCT s.source) AS sources
}}
RETURN e {{.id, .name, .uscc, {_PLACE}}} AS node, representatives, attributes, sources
{_order("e")}
"""

UNEMPLOYED = f"""
MATCH (p:Person)
WHERE {in_area("p", "$area")} AND {in_scope("p")}
MATCH (s:SourceRecord)-[:RESOLVES_TO]->(p)
WHERE any(marker IN $attribute_markers WHERE s.attributes CONTAINS marker)
OPTIONAL MATCH (f:SourceRecord {{source: s.source, record_id: s.record_id}})
               -[:RESOLVES_TO]->(e:Enterprise)
WITH p, s, [x IN collect(e) WHERE {in_scope("x")} | x.name] AS employers
WITH p, collect({{source: s.source, record_id: s.record_id, attributes: s.attributes,
                  employers: employers}}) AS records
RETURN p {{.id, .name, .gender, {_BIRTH_DATE.format(v="p")}, .id_number, .phone, {_PLACE}}}
       AS node, records
ORDER BY coalesce(p.district, ''), coalesce(p.street, ''), coalesce(p.community, ''),
         coalesce(p.address, ''), p.id
"""
