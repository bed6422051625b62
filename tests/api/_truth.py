"""Expected answers computed from the truth: ``truth.csv``, the source files and the true city."""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from huitong.standardise import parse_address, parse_date


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


def citations(city) -> dict[str, list[Citation]]:
    """True person → the violations the city-management file records (quarantined rows out)."""
    found: dict[str, list[Citation]] = defaultdict(list)
    for row in city.records_of_source("violations"):
        record_id = row["案件编号"]
        if ("violations", record_id) in city.quarantined:
            continue
        vendor = city.truth.get(f"violations/{record_id}/vendor")
        if vendor is None:
            continue
        place = parse_address(row["违法地点"])
        found[vendor].append(
            Citation(record_id, place.point_key if place else None, parse_date(row["发现日期"]))
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
    as_resolved: bool = True,
) -> dict[str, int]:
    """True person → violation count, for the repeat offenders linked to a point.

    With ``as_resolved`` only the citations the resolver put on the person's golden record
    count (a citation naming nobody but 叶芳 cannot be told apart from other 叶芳s): the
    answer the data can give. Without it: what the truth says.
    """
    cited = citations(city)
    if as_resolved:
        cited = {
            person: [
                c
                for c in found
                if city.golden_of_record.get(f"violations/{c.record_id}/vendor")
                == city.golden_of_true.get(person)
            ]
            for person, found in cited.items()
        }
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
