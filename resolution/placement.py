"""Where things lie: the district, street and community of every address point and golden record.

This decides what every caller may see (jurisdiction), so it is resolution's output, kept in
the workspace beside the golden records; publishing only copies it into the graph, and
``export`` / ``evaluate`` or a real-time path can read the same tables.

- ``address_points``: one row per address point key mentioned anywhere (mentions and event
  places), each level (district, street, community) the value most sources give for the point
  (ties: the smaller); a point no source places in a street or community takes its road's.
- ``areas``: every (district, street, community) combination some address places itself in
  (street and community may be null), the district → street → community hierarchy;
- ``golden_places``: one row per golden record with a located surviving address: ``entity,
  golden_id, point_key, district, street, community`` — the address point of its surviving
  address (a rental unit's own point), placed as in ``address_points``.
"""

from __future__ import annotations

import duckdb

from huitong.vocabulary import ENTITY_TYPES
from resolution.cluster import table_exists

ADDRESS_POINTS = "address_points"
AREAS = "areas"
GOLDEN_PLACES = "golden_places"

PLACES = """
    SELECT district, street, community, point_key FROM mentions
    UNION ALL
    SELECT place_district, place_street, place_community, place_point_key FROM events
"""
"""Every placed address the workspace holds (mentions and event places), one row each."""


def place_address_points(connection: duckdb.DuckDBPyConnection) -> int:
    """(Re)build ``address_points`` from every staged address; returns how many points."""
    connection.execute(
        f"""CREATE OR REPLACE TABLE {ADDRESS_POINTS} AS
            WITH places AS ({PLACES}),
            counted AS (
              SELECT point_key, split_part(point_key, '|', 1) AS road,
                     district, street, community, count(*) AS n
              FROM places WHERE point_key IS NOT NULL
              GROUP BY ALL
            ),
            -- each level: the value most sources give for the point (ties: the smaller)
            per_point AS (
              SELECT point_key, any_value(road) AS road,
                     arg_max(district, (n, district)) FILTER (district IS NOT NULL)
                         AS district,
                     arg_max(street, (n, street)) FILTER (street IS NOT NULL) AS street,
                     arg_max(community, (n, community)) FILTER (community IS NOT NULL)
                         AS community
              FROM counted GROUP BY point_key
            ),
            -- a point no source places in a street or community takes its road's
            per_road AS (
              SELECT road, district,
                     arg_max(street, (n, street)) FILTER (street IS NOT NULL) AS street,
                     arg_max(community, (n, community)) FILTER (community IS NOT NULL)
                         AS community
              FROM counted WHERE district IS NOT NULL GROUP BY road, district
            ),
            road_district AS (
              SELECT road, arg_max(district, (n, district)) AS district
              FROM (SELECT road, district, sum(n) AS n FROM counted
                    WHERE district IS NOT NULL GROUP BY ALL)
              GROUP BY road
            )
            SELECT p.point_key,
                   coalesce(p.district, d.district) AS district,
                   coalesce(p.street, r.street) AS street,
                   coalesce(p.community, r.community) AS community
            FROM per_point p
            LEFT JOIN road_district d ON d.road = p.road
            LEFT JOIN per_road r
              ON r.road = p.road AND r.district = coalesce(p.district, d.district)"""
    )
    return connection.execute(f"SELECT count(*) FROM {ADDRESS_POINTS}").fetchone()[0]


def place_areas(connection: duckdb.DuckDBPyConnection) -> int:
    """(Re)build ``areas`` from every staged address with a district; returns how many."""
    connection.execute(
        f"""CREATE OR REPLACE TABLE {AREAS} AS
            SELECT DISTINCT district, street, community FROM ({PLACES})
            WHERE district IS NOT NULL"""
    )
    return connection.execute(f"SELECT count(*) FROM {AREAS}").fetchone()[0]


def _located(connection: duckdb.DuckDBPyConnection, entity: str) -> str | None:
    """SQL of ``golden_id, point_key`` for an entity's golden records: the point of the
    surviving address (a rental unit's own); None when the entity has no golden records."""
    if entity == "rental_unit":
        if not table_exists(connection, "golden_rental_unit"):
            return None
        return "SELECT golden_id, point_key FROM golden_rental_unit"
    if not table_exists(connection, f"golden_records_{entity}"):
        return None
    return f"""SELECT r.golden_id, m.point_key FROM golden_records_{entity} r
               JOIN mentions m ON m.source = r.source AND m.record_id = r.record_id
                    AND m.role = r.role
               WHERE r.attribute = 'address'"""


def place_golden_records(connection: duckdb.DuckDBPyConnection) -> int:
    """(Re)build ``golden_places`` (after every entity's survivorship and ``address_points``);
    returns how many golden records are placed."""
    parts = [
        f"""SELECT '{entity}' AS entity, l.golden_id, l.point_key,
                   p.district, p.street, p.community
            FROM ({located}) l JOIN {ADDRESS_POINTS} p USING (point_key)"""
        for entity in ENTITY_TYPES
        if (located := _located(connection, entity)) is not None
    ]
    if not parts:
        parts = [
            "SELECT NULL::VARCHAR AS entity, NULL::VARCHAR AS golden_id, "
            "NULL::VARCHAR AS point_key, NULL::VARCHAR AS district, "
            "NULL::VARCHAR AS street, NULL::VARCHAR AS community WHERE false"
        ]
    connection.execute(f"CREATE OR REPLACE TABLE {GOLDEN_PLACES} AS {' UNION ALL '.join(parts)}")
    return connection.execute(f"SELECT count(*) FROM {GOLDEN_PLACES}").fetchone()[0]


def place(connection: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Every placement table, in order; returns ``(address points, golden records placed)``."""
    place_areas(connection)
    return place_address_points(connection), place_golden_records(connection)
