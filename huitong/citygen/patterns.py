"""Patterns investigators look for, planted in the true city with their truth.

Three deliberate patterns, drawn from their own random stream after the city is built:

- ``shared_phones``: one mobile number given to several unrelated adults (different
  households) — a phone used by many "different" people;
- ``crowded_addresses``: several enterprises of one district moved to one building (same
  address point, different rooms) — companies registered at one flat;
- ``overcrowded_units``: one rental unit let at once to many adults who rent nowhere else.

:func:`plant_patterns` changes the world in place and returns what it planted (true IDs), which
``generate_city`` writes to ``patterns.json``.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from huitong.citygen.identifiers import make_mobile
from huitong.citygen.population import TODAY, Tenancy, World, random_day

SHARED_PHONE_PEOPLE = 6
CROWDED_ADDRESS_ENTERPRISES = 6
OVERCROWDED_UNIT_TENANTS = 10


def plant_patterns(world: World, rng: random.Random) -> dict[str, Any]:
    """Plant the patterns into ``world``; ``{pattern: [{…, true ids}]}`` of what was planted."""
    return {
        "shared_phones": [_shared_phone(world, rng)],
        "crowded_addresses": [_crowded_address(world, rng)],
        "overcrowded_units": [_overcrowded_unit(world, rng)],
    }


def _adults(world: World) -> list[int]:
    return [
        p.index
        for p in world.persons
        if p.alive() and 20 <= p.age() <= 70 and not p.foreign and p.phone
    ]


def _shared_phone(world: World, rng: random.Random) -> dict[str, Any]:
    candidates = _adults(world)
    rng.shuffle(candidates)
    chosen: list[int] = []
    households: set[int] = set()
    for index in candidates:
        household = world.persons[index].household
        if household in households:
            continue
        households.add(household)
        chosen.append(index)
        if len(chosen) == SHARED_PHONE_PEOPLE:
            break
    phone = make_mobile(rng)
    for index in chosen:
        world.persons[index].phone = phone
    return {"phone": phone, "persons": sorted(world.persons[i].true_id for i in chosen)}


def _crowded_address(world: World, rng: random.Random) -> dict[str, Any]:
    by_district: dict[str, list[int]] = {}
    for enterprise in world.enterprises:
        if enterprise.parent < 0:
            by_district.setdefault(enterprise.district, []).append(enterprise.index)
    district = max(sorted(by_district), key=lambda d: len(by_district[d]))
    chosen = sorted(
        rng.sample(
            by_district[district], min(CROWDED_ADDRESS_ENTERPRISES, len(by_district[district]))
        )
    )
    base = world.enterprises[chosen[0]].address
    rooms = rng.sample(range(1, 20), len(chosen))
    for index, room in zip(chosen, rooms, strict=True):
        world.enterprises[index].address = base._replace(room=base.room // 100 * 100 + room)
    road = world.geography.roads[base.road].name
    return {
        "point_key": f"{road}|{base.number}|{base.sub or ''}",
        "address": world.geography.canonical(base._replace(room=0)),
        "enterprises": sorted(world.enterprises[i].true_id for i in chosen),
    }


def _overcrowded_unit(world: World, rng: random.Random) -> dict[str, Any]:
    renting = {t.tenant for u in world.rental_units for t in u.tenancies if t.end is None}
    landlords = {u.landlord for u in world.rental_units}
    candidates = [i for i in _adults(world) if i not in renting and i not in landlords]
    unit = rng.choice([u for u in world.rental_units if not u.tenancies])
    chosen = sorted(rng.sample(candidates, min(OVERCROWDED_UNIT_TENANTS, len(candidates))))
    for index in chosen:
        start = random_day(rng, max(unit.listed_on, dt.date(2023, 1, 1)), TODAY)
        unit.tenancies.append(Tenancy(index, start, None))
    return {
        "unit": unit.true_id,
        "address": world.geography.canonical(unit.address),
        "tenants": [world.persons[i].true_id for i in chosen],
    }
