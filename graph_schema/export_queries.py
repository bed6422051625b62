"""The Cypher of the registers (GET /exports/…): one streamed query per register, every row in
the requested area (``$area``) and in the caller's jurisdiction (``$scope``), related records
only where they are in scope too. Ordered by place, so a community's households come together."""

from __future__ import annotations

from graph_schema.api_queries import in_area, in_scope

_PERSON = "{.id, .name, .gender, .birth_date, .id_number, .phone}"
_ORDER = (
    "coalesce({v}.district, ''), coalesce({v}.street, ''), coalesce({v}.community, ''), "
    "coalesce({v}.address, ''), {v}.id"
)

HOUSEHOLDS = f"""
MATCH (p:Person)
WHERE {in_area("p", "$area")} AND {in_scope("p")}
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
  RETURN collect(DISTINCT r.source) AS sources, collect(r.attributes) AS attributes
}}
RETURN p {{.*}} AS node, spouses, parents, children, sources, attributes
ORDER BY {_ORDER.format(v="p")}
"""

RENTAL_UNITS = f"""
MATCH (u:RentalUnit)
WHERE {in_area("u", "$area")} AND {in_scope("u")}
CALL (u) {{
  OPTIONAL MATCH (l:Person)-[:OWNS]->(u) WHERE {in_scope("l")}
  RETURN collect(DISTINCT l {_PERSON}) AS landlords
}}
CALL (u) {{
  OPTIONAL MATCH (t:Person)-[:RENTS]->(u) WHERE {in_scope("t")}
  RETURN collect(DISTINCT t {_PERSON}) AS tenants
}}
RETURN u {{.*}} AS node, landlords, tenants
ORDER BY {_ORDER.format(v="u")}
"""

ENTERPRISES = f"""
MATCH (e:Enterprise)
WHERE {in_area("e", "$area")} AND {in_scope("e")}
CALL (e) {{
  OPTIONAL MATCH (r:Person)-[:LEGAL_REPRESENTATIVE_OF]->(e) WHERE {in_scope("r")}
  RETURN collect(DISTINCT r {_PERSON}) AS representatives
}}
CALL (e) {{
  MATCH (s:SourceRecord)-[:RESOLVES_TO]->(e)
  RETURN collect(s.attributes) AS attributes, collect(DISTINCT s.source) AS sources
}}
RETURN e {{.*}} AS node, representatives, attributes, sources
ORDER BY {_ORDER.format(v="e")}
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
RETURN p {{.*}} AS node, records
ORDER BY {_ORDER.format(v="p")}
"""
