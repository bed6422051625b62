"""Expected answers computed from the truth: ``truth.csv``, the source files and the true city."""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from huitong.standardise import parse_address, parse_date, standardise_resident_id


def unrelated_pair(graph_driver, person_ids: list[str]) -> tuple[str, str]:
    """The first two of ``person_ids`` (golden IDs) with no relationship between them in the
    graph: two tenants of one room who are parent and child are one hop apart, not two."""
    return next(
        (a, b)
        for a, b in itertools.combinations(dict.fromkeys(person_ids), 2)
        if not graph_driver.execute_query(
            "MATCH (:Person {id: $a})--(:Person {id: $b}) RETURN 1 LIMIT 1", a=a, b=b
        ).records
    )


def true_point(world, address) -> str | None:
    """The address-point key of a true address (road|number|sub)."""
    if address is None:
        return None
    road = world.geography.roads[address.road].name
    return f"{road}|{address.number}|{address.sub or ''}"


def true_place(world, address) -> tuple[str, str, str] | None:
    """(district, street, community) of a true address."""
    if address is None:
        return None
    road = world.geography.roads[address.road]
    return road.district, road.street, road.community


@dataclass(frozen=True)
class Citation:
    record_id: str
    point_key: str | None
    day: date | None
    identified: bool
    """the row carries the vendor's own resident ID, valid: no resolver can miss the link."""


def citations(city) -> dict[str, list[Citation]]:
    """True person → the violations the city-management file records (quarantined rows out)."""
    id_of = {person.true_id: person.id_number for person in city.world.persons}
    found: dict[str, list[Citation]] = defaultdict(list)
    for row in city.records_of_source("violations"):
        record_id = row["案件编号"]
        if ("violations", record_id) in city.quarantined:
            continue
        vendor = city.truth.get(f"violations/{record_id}/vendor")
        if vendor is None:
            continue
        place = parse_address(row["违法地点"])
        stated = standardise_resident_id(row.get("当事人证件号码"))
        identified = bool(stated and stated.valid and stated.value == id_of.get(vendor))
        found[vendor].append(
            Citation(
                record_id,
                place.point_key if place else None,
                parse_date(row["发现日期"]),
                identified,
            )
        )
    return found


def people_at(world, point_key: str) -> set[str]:
    """True persons whose household registration or residence is at a point, or who rent
    (now or before) a unit there."""
    people = set()
    for person in world.persons:
        if point_key in (true_point(world, person.hukou), true_point(world, person.residence)):
            people.add(person.true_id)
    for unit in world.rental_units:
        if true_point(world, unit.address) == point_key:
            people.update(world.persons[t.tenant].true_id for t in unit.tenancies)
    return people


def repeat_offenders(
    city,
    point_key: str,
    minimum: int = 2,
    since: date | None = None,
    *,
    identified_only: bool = False,
) -> dict[str, int]:
    """True person → violation count, for the repeat offenders linked to a point, from the
    generator's truth alone.

    With ``identified_only`` only the citations whose row states the vendor's valid resident ID
    count (a citation naming nobody but 叶芳 cannot be told apart from other 叶芳s): a lower
    bound of the answer any resolver must reach. Without it: everything the truth says, an
    upper bound.
    """
    cited = citations(city)
    if identified_only:
        cited = {person: [c for c in found if c.identified] for person, found in cited.items()}
    counted = {
        person: [c for c in found if since is None or (c.day and c.day >= since)]
        for person, found in cited.items()
    }
    linked = people_at(city.world, point_key) | {
        person for person, found in counted.items() if any(c.point_key == point_key for c in found)
    }
    return {
        person: len(found)
        for person, found in counted.items()
        if person in linked and len(found) >= minimum
    }


class Jurisdictions:
    """Whether a golden record lies in a token's jurisdiction, by the README's rule and the true
    geography (not the API's own area keys): the district must match; a known street
    (community) must match; an unknown street counts as inside when the record's community
    lies in the street, or, the community unknown too, its road does; an unknown community when
    its road runs through the community. The road of a record is read from the graph by ID."""

    def __init__(self, world, graph_driver) -> None:
        self.graph_driver = graph_driver
        self.street_communities: set[tuple[str, str, str]] = set()
        self.street_roads: set[tuple[str, str, str]] = set()
        self.community_roads: set[tuple[str, str, str]] = set()
        for road in world.geography.roads:
            self.street_communities.add((road.district, road.street, road.community))
            self.street_roads.add((road.district, road.street, road.name))
            self.community_roads.add((road.district, road.community, road.name))
        self._roads: dict[str, str | None] = {}

    def road(self, golden_id: str) -> str | None:
        if golden_id not in self._roads:
            rows, _, _ = self.graph_driver.execute_query(
                "MATCH (n {id: $id}) RETURN coalesce(n.road, split(n.point_key, '|')[0]) AS r",
                id=golden_id,
            )
            self._roads[golden_id] = rows[0]["r"] if rows else None
        return self._roads[golden_id]

    def outside(self, record: dict, claims: dict[str, str]) -> str | None:
        """Why ``record`` (with ``id district street community``) is outside, or None."""
        district = claims.get("district")
        if district is None:
            return None
        if record["district"] != district:
            return f"district {record['district']!r} is not {district!r}"
        if "street" in claims and record["street"] != claims["street"]:
            if record["street"] is not None:
                return f"street {record['street']!r} is not {claims['street']!r}"
            if record["community"] is not None:
                if (district, claims["street"], record["community"]) not in self.street_communities:
                    return f"community {record['community']!r} lies outside the street"
            elif (district, claims["street"], self.road(record["id"])) not in self.street_roads:
                return "no street, no community, and a road outside the street"
        if "community" in claims and record["community"] != claims["community"]:
            if record["community"] is not None:
                return f"community {record['community']!r} is not {claims['community']!r}"
            road = self.road(record["id"])
            if (district, claims["community"], road) not in self.community_roads:
                return f"no community, and road {road!r} outside the community"
        return None
