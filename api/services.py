"""What the API can answer, as plain data: each function runs Cypher and returns rows.

Resolvers call these and map rows to GraphQL types. Everything read goes through the request's
:class:`~api.graph.ScopedGraph`, so every query is filtered to the caller's jurisdiction.
Query text is standardised with the ingest's own functions (names → pinyin keys, traditional →
simplified, addresses → address-point keys), so a search meets the records the way the
resolver met them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from api.context import Context
from api.errors import BadRequest, excerpt
from api.name_keys import name_keys
from api.pagination import Page, Window
from graph_schema import api_queries as q
from huitong.standardise import (
    Address,
    clean_text,
    parse_address,
    standardise_enterprise_name,
    standardise_person_name,
    standardise_phone,
    standardise_resident_id,
    standardise_uscc,
    to_simplified,
)

Row = dict[str, Any]

# Offender classes of the urban-management report (初犯 / 偶犯 / 惯犯), by violation count.
FIRST_OFFENCE = 1
OCCASIONAL_MAX = 5  # 2–5 violations: occasional; 6 or more: habitual

# Attribute names (in the sources contract's ``attributes``) the cross-department questions read.
NON_PUBLIC = "non_public"  # commerce registry: 是 / 否
ECONOMIC_NATURE = "economic_nature"
EMPLOYMENT_STATUS = "employment_status"  # social insurance: 在职 / 失业 / 灵活就业
UNEMPLOYMENT_MARKERS = ("wants_work", "training_wanted", "situation")  # unemployment register
UNEMPLOYED = "失业"
FLEXIBLE = "灵活就业"
YES = "是"


def attributes_of(record: Row) -> dict[str, Any]:
    """A source record's ``attributes`` JSON as a dict ({} when absent or unreadable)."""
    text = record.get("attributes")
    if not text:
        return {}
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def as_date(value: object) -> date | None:
    """A date read from the graph (Neo4j ``Date`` or ISO text) as a ``datetime.date``."""
    if value is None:
        return None
    if hasattr(value, "to_native"):
        value = value.to_native()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def offender_class(violations: int) -> str | None:
    """FIRST (1), OCCASIONAL (2–5), HABITUAL (6+); None without violations."""
    if violations < FIRST_OFFENCE:
        return None
    if violations == FIRST_OFFENCE:
        return "FIRST"
    return "OCCASIONAL" if violations <= OCCASIONAL_MAX else "HABITUAL"


# -- reading query text ------------------------------------------------------------------------
def read_address(text: str) -> Address:
    """An address typed by a user, parsed like any department's; BadRequest when unreadable."""
    address = parse_address(text)
    if address is None or not (address.point_key or address.road):
        raise BadRequest(
            f"cannot read an address point (road and house number) in {excerpt(text)!r}"
            + (f": {address.problem}" if address and address.problem else "")
        )
    return address


def read_point(text: str) -> Address:
    """Like :func:`read_address` but a house number is required."""
    address = read_address(text)
    if not address.point_key:
        raise BadRequest(f"{excerpt(text)!r} names a road but no house number")
    return address


def community_name(text: str) -> str:
    """良口东, 良口东居委会, 良口东社区居民委员会 → 良口东社区."""
    cleaned = to_simplified(clean_text(text) or "")
    parsed = parse_address(cleaned)
    if parsed and parsed.community and not parsed.road:
        return parsed.community
    if not cleaned:
        raise BadRequest("a community name is required")
    return cleaned if cleaned.endswith(("社区", "村")) else cleaned + "社区"


def street_name(text: str) -> str:
    """北京街, 北京街道办事处, 北京街道 → 北京街道 (a 镇 stays a 镇)."""
    cleaned = to_simplified(clean_text(text) or "")
    parsed = parse_address(cleaned)
    if parsed and parsed.street and not parsed.road:
        return parsed.street
    if not cleaned:
        raise BadRequest("a street name is required")
    cleaned = cleaned.removesuffix("办事处").removesuffix("办")
    if cleaned.endswith(("街道", "镇")):
        return cleaned
    return cleaned + ("道" if cleaned.endswith("街") else "街道")


def district_name(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    cleaned = to_simplified(clean_text(text) or "")
    return cleaned if cleaned.endswith(("区", "市")) else cleaned + "区"


# -- golden records by ID ------------------------------------------------------------------------
@dataclass(frozen=True)
class Lookup:
    """A golden record asked for by ID: found, in the caller's jurisdiction, redirected?"""

    requested: str
    found: bool
    visible: bool
    redirected: bool
    node: Row | None


async def lookup(ctx: Context, label: str, golden_id: str) -> Lookup:
    row = await ctx.loaders.lookup(label).load(golden_id)
    if row is None:
        return Lookup(golden_id, False, False, False, None)
    if row["visible"]:
        ctx.returned(1)
    return Lookup(golden_id, row["found"], row["visible"], row["redirected"], row["node"])


# -- relationships (through the request's DataLoaders, paged in Cypher) ---------------------
async def source_records(ctx: Context, label: str, golden_id: str, page: Page) -> Window[Row]:
    """A page of the source records resolving to a golden record (its lineage)."""
    return await ctx.loaders.source_records(label, page).load(golden_id)


async def related(
    ctx: Context, label: str, relation: str, direction: str, other: str, golden_id: str, page: Page
) -> Window[Row]:
    """``[{node, sources}]``: in-scope neighbours and the rows stating each relation."""
    return await ctx.loaders.related(label, relation, direction, other, page).load(golden_id)


async def registered_points(ctx: Context, label: str, golden_id: str, page: Page) -> Window[Row]:
    return await ctx.loaders.registered_points(label, page).load(golden_id)


async def unit_point(ctx: Context, unit_id: str) -> Row | None:
    points = await ctx.loaders.unit_points().load(unit_id)
    return points[0] if points else None


async def event_point(ctx: Context, event_id: str) -> Row | None:
    points = await ctx.loaders.event_points().load(event_id)
    return points[0] if points else None


async def point(ctx: Context, point_key: str | None) -> Row | None:
    if not point_key:
        return None
    points = await ctx.loaders.points().load(point_key)
    return points[0] if points else None


async def events(
    ctx: Context, label: str, golden_id: str, page: Page, event_type: str | None = None
) -> Window[Row]:
    """``[{node, roles}]``: events involving a golden record, newest first."""
    return await ctx.loaders.events(label, page, event_type=event_type).load(golden_id)


async def violations(
    ctx: Context, person_id: str, page: Page, since: date | None = None
) -> Window[Row]:
    """``[{node, roles}]``: a person's Violation events (on or after ``since``), newest first;
    ``total`` counts them all."""
    return await ctx.loaders.events("Person", page, "Violation", since=since).load(person_id)


async def participants(ctx: Context, event_id: str) -> list[Row]:
    """``[{role, label, node}]``: an event's in-scope participants."""
    return await ctx.loaders.participants().load(event_id)


async def point_registered(ctx: Context, label: str, point_key: str, page: Page) -> Window[Row]:
    return await ctx.loaders.point_registered(label, page).load(point_key)


async def point_units(ctx: Context, point_key: str, page: Page) -> Window[Row]:
    return await ctx.loaders.point_units(page).load(point_key)


async def point_events(
    ctx: Context, point_key: str, page: Page, event_type: str | None = None
) -> Window[Row]:
    return await ctx.loaders.point_events(page, event_type).load(point_key)


# -- search ---------------------------------------------------------------------------------------
async def search_people(
    ctx: Context,
    page: Page,
    name: str | None = None,
    id_number: str | None = None,
    phone: str | None = None,
    homophones: bool = True,
) -> Window[Row]:
    """Persons matching every criterion given; ``[{node, via, score}]`` best first."""
    person_name = standardise_person_name(name)
    resident_id = standardise_resident_id(id_number)
    phone_number = standardise_phone(phone)
    criteria = sum(x is not None for x in (person_name, resident_id, phone_number))
    if criteria == 0:
        raise BadRequest("give at least one of name, idNumber, phone")
    params = {
        "name_keys": name_keys(person_name, homophones=homophones) if person_name else [],
        "name_key": person_name.key if person_name else None,
        "name_text": person_name.text if person_name else None,
        "id_number": resident_id.value if resident_id else None,
        "phone": phone_number.value if phone_number else None,
        "criteria_count": criteria,
    }
    return await _paged(ctx, q.SEARCH_PEOPLE, page, **params)


async def search_enterprises(
    ctx: Context, page: Page, name: str | None = None, uscc: str | None = None
) -> Window[Row]:
    """Enterprises matching every criterion given; ``[{node, via, score}]`` best first."""
    enterprise_name = standardise_enterprise_name(name)
    code = standardise_uscc(uscc)
    criteria = sum(x is not None for x in (enterprise_name, code))
    if criteria == 0:
        raise BadRequest("give at least one of name, uscc")
    fragment = None
    if enterprise_name is not None:
        fragment = enterprise_name.brand if len(enterprise_name.brand) >= 2 else None
    params = {
        "name_key": enterprise_name.key if enterprise_name else None,
        "name_text": enterprise_name.text if enterprise_name else None,
        "name_fragment": fragment,
        "uscc": code.value if code else None,
        "criteria_count": criteria,
    }
    return await _paged(ctx, q.SEARCH_ENTERPRISES, page, **params)


async def _paged(ctx: Context, query: str, page: Page, **params: Any) -> Window[Row]:
    rows = await ctx.graph.read(query, **params, **page.params)
    total, items = (rows[0]["total"], rows[0]["page"]) if rows else (0, [])
    ctx.returned(len(items))
    return Window(items, page.offset, total)


# -- addresses -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AddressMatch:
    """Free text read as an address, and the address points it names."""

    address: Address
    points: Window[Row]


async def find_address(ctx: Context, text: str, page: Page) -> AddressMatch:
    """Address points for free text: the point itself, or every point of a road."""
    address = read_address(text)
    points = await _paged(
        ctx,
        q.ADDRESS_POINTS,
        page,
        point_key=address.point_key,
        road=address.road,
        district=address.district,
    )
    return AddressMatch(address, points)


async def repeat_offenders(
    ctx: Context, text: str, min_violations: int, since: date | None, page: Page
) -> tuple[Address, Window[Row]]:
    """Persons with ``min_violations`` or more violations (since a date) linked to an address
    point: registered there, renting there, or cited there. ``[{node, via, violations}]``."""
    if min_violations < 1:
        raise BadRequest("minViolations must be at least 1")
    address = read_point(text)
    window = await _paged(
        ctx,
        q.REPEAT_OFFENDERS,
        page,
        point_key=address.point_key,
        min_violations=min_violations,
        since=since,
    )
    return address, window


@dataclass(frozen=True)
class HouseholdRegister:
    address: Address
    point: Row | None
    members: Window[Row]
    members_by_source: list[tuple[str, str | None, int]]


async def household(ctx: Context, text: str, page: Page) -> HouseholdRegister:
    """Who is registered at or rents at an address (a flat when a room is given), by source."""
    address = read_point(text)
    found = await point(ctx, address.point_key)
    rows = await ctx.graph.read(
        q.HOUSEHOLD, point_key=address.point_key, unit_key=address.unit_key, **page.params
    )
    total, items, member_sources = (
        (rows[0]["total"], rows[0]["page"], rows[0]["member_sources"]) if rows else (0, [], [])
    )
    counts: dict[tuple[str, str | None], int] = {}
    for sources in member_sources:
        for source, department in {tuple(pair) for pair in sources}:
            counts[(source, department)] = counts.get((source, department), 0) + 1
    by_source = sorted(((s, d, n) for (s, d), n in counts.items()), key=lambda x: (-x[2], x[0]))
    ctx.returned(len(items))
    visible_point = found if found and found.get("in_scope") else None
    return HouseholdRegister(address, visible_point, Window(items, page.offset, total), by_source)


# -- the report's cross-department questions -----------------------------------------------------
async def non_public_enterprises(
    ctx: Context, street: str, district: str | None, page: Page
) -> Window[Row]:
    """Enterprises of a street that the commerce registry marks non-public (是否非公企业 = 是).

    ``[{node, registry, via}]``: ``registry`` is the merged registry attributes, ``via`` how
    the enterprise was placed in the street (recorded street, its community, or its road).
    """
    area = await ctx.graph.area(district_name(district), street_name(street))
    rows = await ctx.graph.read(
        q.ENTERPRISES_OF_AREA, area=area, attribute_marker=f'"{NON_PUBLIC}"'
    )
    matches = []
    for row in rows:
        registry = merged_attributes(row["attributes"])
        if registry.get(NON_PUBLIC) == YES:
            matches.append({"node": row["node"], "registry": registry, "via": [row["placed_by"]]})
    window = Window.of(matches, page)
    ctx.returned(len(window.items))
    return window


def merged_attributes(attribute_texts: list[str]) -> dict[str, Any]:
    """Attributes of several records, the first record that states a key winning."""
    merged: dict[str, Any] = {}
    for text in attribute_texts:
        for key, value in attributes_of({"attributes": text}).items():
            if value not in (None, "") and key not in merged:
                merged[key] = value
    return merged


async def married_women(
    ctx: Context, community: str, district: str | None, as_of: date | None, page: Page
) -> Window[Row]:
    """Women aged 15–49 on ``as_of`` (default today) of a community who are married (a
    SPOUSE_OF relation or a Marriage event) and not recorded as dead."""
    as_of = as_of or date.today()
    if as_of.year <= 50:  # the age window would start before year 1
        raise BadRequest(f"asOf must be in the year 51 or later (got {as_of.isoformat()})")
    born_on_or_before = _years_before(as_of, 15)
    born_after = _years_before(as_of, 50)
    area = await ctx.graph.area(district_name(district), None, community_name(community))
    return await _paged(
        ctx,
        q.MARRIED_WOMEN,
        page,
        area=area,
        born_after=born_after,
        born_on_or_before=born_on_or_before,
    )


def _years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


async def unemployed_residents(
    ctx: Context, community: str, district: str | None, include_flexible: bool, page: Page
) -> Window[Row]:
    """Residents of a community the data says are out of work: registered unemployed, or
    social insurance employment status 失业 (or 灵活就业 when ``include_flexible``).

    ``[{node, records: [{record, enterprises}]}]``: every employment-related source record
    with the enterprises its row names (former or current employer).
    """
    statuses = {UNEMPLOYED, FLEXIBLE} if include_flexible else {UNEMPLOYED}
    area = await ctx.graph.area(district_name(district), None, community_name(community))
    rows = await ctx.graph.read(
        q.EMPLOYMENT_RECORDS_OF_AREA,
        area=area,
        attribute_markers=[f'"{key}"' for key in (EMPLOYMENT_STATUS, *UNEMPLOYMENT_MARKERS)],
    )
    matches = []
    for row in rows:
        records = row["records"]
        registered = any(
            any(key in attributes_of(r["record"]) for key in UNEMPLOYMENT_MARKERS) for r in records
        )
        status = any(attributes_of(r["record"]).get(EMPLOYMENT_STATUS) in statuses for r in records)
        if registered or status:
            matches.append(row)
    window = Window.of(matches, page)
    ctx.returned(len(window.items))
    return window
