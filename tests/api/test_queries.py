"""Every query answers what the truth implies, through HTTP, on the published city."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import opencc
from pypinyin import lazy_pinyin

from huitong.citygen.population import TODAY
from tests.api import _truth
from tests.api.conftest import token

TO_TRADITIONAL = opencc.OpenCC("s2t")

REPEAT_OFFENDERS = """
query Offenders($address: String!, $min: Int!, $since: Date) {
  repeatOffenders(address: $address, minViolations: $min, since: $since, first: 20) {
    totalCount
    edges {
      via
      node {
        id name violationCount offenderClass
        violations(first: 20) {
          totalCount edges { roles node { id date ... on Violation { kind } } }
        }
        sourceRecords(first: 50) { totalCount edges { node { source recordId role } } }
      }
    }
  }
}
"""


def offenders(api, address: str, minimum: int = 2, since: dt.date | None = None, **claims):
    data = api.query(
        REPEAT_OFFENDERS,
        token(**claims) if claims else None,
        address=address,
        min=minimum,
        since=since.isoformat() if since else None,
    )
    return data["repeatOffenders"]


def cited_points(city) -> Counter:
    return Counter(c.point_key for found in _truth.citations(city).values() for c in found)


def point_text(key: str) -> str:
    road, number, sub = key.split("|")
    return f"{road}{number}号" + (f"之{sub}" if sub else "")


def assert_within_the_truth(got: dict[str, int], city, point_key: str, **criteria) -> None:
    """``got`` (true person → violation count) holds every offender the truth identifies beyond
    doubt, with at least those citations, and nobody and no citation the truth does not have."""
    at_least = _truth.repeat_offenders(city, point_key, identified_only=True, **criteria)
    at_most = _truth.repeat_offenders(city, point_key, **{**criteria, "minimum": 1})
    for person, count in at_least.items():
        assert got.get(person, 0) >= count, (point_key, person, count, got)
    for person, count in got.items():
        assert count <= at_most.get(person, 0), (point_key, person, count, at_most)


def test_repeat_offenders_at_every_cited_address_match_the_truth(api, city):
    points = cited_points(city)
    assert len(points) >= 3
    identified = 0
    for point_key in points:
        answer = offenders(api, point_text(point_key))
        got = {
            city.true_of_golden[edge["node"]["id"]]: edge["node"]["violationCount"]
            for edge in answer["edges"]
        }
        assert_within_the_truth(got, city, point_key)
        identified += len(_truth.repeat_offenders(city, point_key, identified_only=True))
        assert answer["totalCount"] == len(got)
        for edge in answer["edges"]:
            person = edge["node"]
            count = person["violationCount"]
            assert person["violations"]["totalCount"] == count
            assert {e["roles"][0] for e in person["violations"]["edges"]} == {"vendor"}
            assert person["offenderClass"] == ("OCCASIONAL" if count <= 5 else "HABITUAL")
            assert set(edge["via"]) <= {"REGISTERED_AT", "RENTS", "CITED_AT"}
            vendor_records = [
                e["node"] for e in person["sourceRecords"]["edges"]
                if e["node"]["source"] == "violations"
            ]  # fmt: skip
            assert len(vendor_records) == count
        counts = [edge["node"]["violationCount"] for edge in answer["edges"]]
        assert counts == sorted(counts, reverse=True)
    assert identified >= 3  # the lower bound is not empty


def test_repeat_offenders_recall_against_raw_truth(city, api):
    """Citations naming nobody but a common name cannot always be linked: nearly all are."""
    truth_links = found_links = 0
    for point_key in cited_points(city):
        raw = _truth.repeat_offenders(city, point_key)
        answer = offenders(api, point_text(point_key))
        got = {city.true_of_golden[edge["node"]["id"]] for edge in answer["edges"]}
        truth_links += len(raw)
        found_links += len(got & set(raw))
    print(f"repeatOffenders recall against the truth: {found_links}/{truth_links}")
    assert found_links / truth_links >= 0.9  # 16/17 on the test city


def test_repeat_offenders_since_min_and_written_variants(api, city):
    point_key, _ = cited_points(city).most_common(1)[0]
    since = dt.date(2023, 1, 1)
    answer = offenders(api, point_text(point_key), since=since)
    got = {
        city.true_of_golden[e["node"]["id"]]: e["node"]["violationCount"] for e in answer["edges"]
    }
    assert_within_the_truth(got, city, point_key, since=since)
    assert got
    for edge in answer["edges"]:
        dates = [e["node"]["date"] for e in edge["node"]["violations"]["edges"]]
        assert all(day >= since.isoformat() for day in dates)

    everyone = offenders(api, point_text(point_key), minimum=1)
    got = {
        city.true_of_golden[e["node"]["id"]]: e["node"]["violationCount"] for e in everyone["edges"]
    }
    assert everyone["totalCount"] == len(got) > len(answer["edges"])
    assert_within_the_truth(got, city, point_key, minimum=1)
    classes = {e["node"]["offenderClass"] for e in everyone["edges"]}
    assert classes <= {"FIRST", "OCCASIONAL", "HABITUAL"}

    plain = offenders(api, point_text(point_key))
    road, number, sub = point_key.split("|")
    district = next(r.district for r in city.world.geography.roads if r.name == road)
    full_width = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    written = f"广州市{district}{road}{full_width}号" + (f"之{sub}" if sub else "") + "门前"
    assert offenders(api, TO_TRADITIONAL.convert(written)) == plain


def test_repeat_offenders_pages(api, city):
    point_key, _ = cited_points(city).most_common(1)[0]
    whole = offenders(api, point_text(point_key), minimum=1)
    ids = [e["node"]["id"] for e in whole["edges"]]
    query = """query($a: String!, $after: String) { repeatOffenders(address: $a, minViolations: 1,
      first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor }
      edges { cursor node { id } } } }"""
    seen, after = [], None
    while True:
        page = api.query(query, a=point_text(point_key), after=after)["repeatOffenders"]
        assert page["totalCount"] == len(ids)
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ids


def test_unreadable_address_is_a_clear_error(api):
    response = api.post(
        '{ repeatOffenders(address: "nowhere at all") { totalCount } }', auth=token()
    )
    payload = response.json()
    assert response.status_code == 200
    assert payload["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "address" in payload["errors"][0]["message"]


# -- the 360° views ----------------------------------------------------------------------------
PERSON = """
query($id: ID!) {
  person(id: $id) {
    __typename
    ... on Person {
      id name idNumber redirectedFrom mentionCount sourceNames
      provenance { attribute source recordId rule }
      sourceRecords(first: 100) {
        totalCount edges { node { key source recordId role department } }
      }
      spouses { edges { via sources node { id } } }
      children(first: 50) { edges { node { id } } }
      parents { edges { node { id } } }
      rents { edges { sources node { id address } } }
      employedBy { edges { node { id name } } }
      registeredAt { edges { sources node { key district } } }
      events(first: 50) { totalCount edges { roles node { __typename type date } } }
    }
    ... on NotFound { id message }
    ... on OutOfJurisdiction { id message }
  }
}
"""


def well_resolved_people(city, predicate):
    """True persons matching ``predicate`` whose golden record holds exactly their records."""
    by_golden: dict[str, set[str]] = {}
    for key, golden in city.golden_of_record.items():
        by_golden.setdefault(golden, set()).add(city.truth.get(key, "?"))
    chosen = []
    for person in city.world.persons:
        golden = city.golden_of_true.get(person.true_id)
        if golden and by_golden[golden] == {person.true_id} and predicate(person):
            chosen.append(person)
    return chosen


def test_person_360_view_matches_the_truth(api, city):
    world = city.world

    married = {t for k, t in city.truth.items() if k.startswith("marriage/")}

    marriage_golden = {
        city.golden_of_record.get(k) for k, t in city.truth.items() if k.startswith("marriage/")
    }

    def married_parent(p):
        spouse = world.persons[p.spouse] if p.spouse >= 0 else None
        return bool(
            spouse and p.children and p.true_id in married
            and city.golden_of_true.get(spouse.true_id)
            and city.golden_of_true.get(p.true_id) in marriage_golden
        )  # fmt: skip

    person = well_resolved_people(city, married_parent)[0]
    golden = city.golden_of_true[person.true_id]
    view = api.query(PERSON, id=golden)["person"]
    assert view["__typename"] == "Person" and view["id"] == golden
    records = {e["node"]["key"] for e in view["sourceRecords"]["edges"]}
    assert records == {k for k, g in city.golden_of_record.items() if g == golden}
    assert all(city.truth[k] == person.true_id for k in records)
    assert view["sourceRecords"]["totalCount"] == view["mentionCount"] == len(records)
    assert all(e["node"]["department"] for e in view["sourceRecords"]["edges"])
    assert {p["source"] for p in view["provenance"]} <= set(view["sourceNames"])

    spouse_true = world.persons[person.spouse].true_id
    spouses = {city.true_of_golden[e["node"]["id"]] for e in view["spouses"]["edges"]}
    assert spouses == {spouse_true}
    assert all(e["via"] == ["SPOUSE_OF"] and e["sources"] for e in view["spouses"]["edges"])
    descendants = set()
    for child in person.children:
        descendants.add(world.persons[child].true_id)
        descendants.update(world.persons[c].true_id for c in world.persons[child].children)
    children = {city.true_of_golden[e["node"]["id"]] for e in view["children"]["edges"]}
    assert children and children <= descendants
    assert any(k.startswith("marriage/") for k in records)
    assert "Marriage" in {e["node"]["type"] for e in view["events"]["edges"]}
    dates = [e["node"]["date"] for e in view["events"]["edges"] if e["node"]["date"]]
    assert dates == sorted(dates, reverse=True)
    assert all(e["sources"] for e in view["registeredAt"]["edges"])


def test_person_relations_rentals_and_employers(api, city):
    world = city.world
    rented = {}
    for unit in world.rental_units:
        for tenancy in unit.tenancies:
            rented.setdefault(world.persons[tenancy.tenant].true_id, set()).add(unit.true_id)
    employers = {}
    for p in world.persons:
        known = {p.employer, p.last_employer, *(e for e, _ in p.past_jobs)} - {-1}
        employers[p.true_id] = {world.enterprises[e].true_id for e in known}
    tenants = well_resolved_people(city, lambda p: p.true_id in rented)[:5]
    assert tenants
    for person in tenants:
        view = api.query(PERSON, id=city.golden_of_true[person.true_id])["person"]
        units = {city.true_of_golden[e["node"]["id"]] for e in view["rents"]["edges"]}
        assert units and units <= rented[person.true_id]
        assert all(e["sources"][0].startswith("rental/") for e in view["rents"]["edges"])
        jobs = {city.true_of_golden.get(e["node"]["id"]) for e in view["employedBy"]["edges"]}
        assert jobs <= employers[person.true_id] | {None}


def test_retired_id_redirects_and_unknown_id_is_not_found(api, city, graph_driver):
    golden = next(iter(city.true_of_golden))
    graph_driver.execute_query(
        "MATCH (p:Person {id: $id}) MERGE (r:RetiredEntity {id: 'P-retired-test'}) "
        "SET r.entity = 'person' MERGE (r)-[:REDIRECTS_TO]->(p)",
        id=golden,
    )
    try:
        view = api.query(PERSON, id="P-retired-test")["person"]
        assert view["id"] == golden and view["redirectedFrom"] == "P-retired-test"
    finally:
        graph_driver.execute_query("MATCH (r:RetiredEntity {id: 'P-retired-test'}) DETACH DELETE r")
    missing = api.query(PERSON, id="P-does-not-exist")["person"]
    assert missing == {
        "__typename": "NotFound",
        "id": "P-does-not-exist",
        "message": missing["message"],
    }


def test_enterprise_and_rental_unit_views(api, city):
    world = city.world
    enterprise = next(
        e for e in world.enterprises
        if e.parent < 0 and city.golden_of_true.get(e.true_id)
        and city.golden_of_true.get(world.persons[e.legal_rep].true_id)
    )  # fmt: skip
    golden = city.golden_of_true[enterprise.true_id]
    view = api.query(
        """query($id: ID!) { enterprise(id: $id) { ... on Enterprise { id name uscc isBranch
          registry { nonPublic economicNature status }
          legalRepresentatives { edges { via node { id } } }
          employees(first: 100) { totalCount }
          sourceRecords(first: 100) { totalCount } } } }""",
        id=golden,
    )["enterprise"]
    assert view["uscc"] == enterprise.uscc
    assert view["registry"]["nonPublic"] == (enterprise.non_public == "是")
    assert view["registry"]["economicNature"] == enterprise.nature
    reps = {city.true_of_golden[e["node"]["id"]] for e in view["legalRepresentatives"]["edges"]}
    allowed = {
        world.persons[i].true_id for i in (enterprise.legal_rep, enterprise.previous_rep) if i >= 0
    }
    assert reps and reps <= allowed

    unit = next(u for u in world.rental_units if city.golden_of_true.get(u.true_id))
    unit_view = api.query(
        """query($id: ID!) { rentalUnit(id: $id) { ... on RentalUnit { id address unitKey
          point { key } landlords { edges { node { id } } }
          tenants(first: 50) { edges { node { id } } } } } }""",
        id=city.golden_of_true[unit.true_id],
    )["rentalUnit"]
    assert unit_view["point"]["key"] == _truth.true_point(world, unit.address)
    landlords = {city.true_of_golden[e["node"]["id"]] for e in unit_view["landlords"]["edges"]}
    assert landlords == {world.persons[unit.landlord].true_id}
    tenants = {city.true_of_golden[e["node"]["id"]] for e in unit_view["tenants"]["edges"]}
    assert tenants <= {world.persons[t.tenant].true_id for t in unit.tenancies}


# -- search ------------------------------------------------------------------------------------
SEARCH = """
query($name: String, $id: String, $phone: String, $homophones: Boolean!) {
  searchPeople(name: $name, idNumber: $id, phone: $phone, homophones: $homophones, first: 100) {
    totalCount edges { via score node { id name } }
  }
}
"""


def search(api, name=None, id_number=None, phone=None, homophones=True):
    data = api.query(SEARCH, name=name, id=id_number, phone=phone, homophones=homophones)
    return data["searchPeople"]


def hukou_people(city):
    return well_resolved_people(
        city,
        lambda p: not p.foreign and p.local and len(p.given) >= 1 and p.phone
        and p.id_number and p.id_number[6:8] == "19",
    )[:8]  # fmt: skip


def test_search_people_by_any_writing_of_the_name(api, city):
    people = hukou_people(city)
    assert len(people) >= 5
    for person in people:
        golden = city.golden_of_true[person.true_id]
        name = person.surname + person.given
        traditional = TO_TRADITIONAL.convert(name)
        romanised = " ".join(
            [
                "".join(lazy_pinyin(person.surname)).upper(),
                "".join(lazy_pinyin(person.given)).upper(),
            ]
        )
        for written in (name, traditional, romanised):
            result = search(api, name=written, homophones=False)
            assert golden in [e["node"]["id"] for e in result["edges"]], (name, written)
        ranked = search(api, name=name)["edges"]  # best first: the exact name ranks top
        score = next(e["score"] for e in ranked if e["node"]["id"] == golden)
        assert score == ranked[0]["score"], (name, ranked[:3])
        assert [e["score"] for e in ranked] == sorted((e["score"] for e in ranked), reverse=True)


def test_search_people_homophones_and_identifiers(api, city):
    person = next(p for p in hukou_people(city) if p.surname in ("黄", "王", "陈", "张", "李"))
    golden = city.golden_of_true[person.true_id]
    swapped = {"黄": "王", "王": "黄", "陈": "岑", "张": "章", "李": "理"}[person.surname]
    sounding = swapped + person.given
    with_homophones = search(api, name=sounding)
    assert golden in [e["node"]["id"] for e in with_homophones["edges"]]
    edge = next(e for e in with_homophones["edges"] if e["node"]["id"] == golden)
    if swapped in ("王", "黄"):
        assert "NAME_HOMOPHONE" in edge["via"]
        strict = search(api, name=sounding, homophones=False)
        assert golden not in [e["node"]["id"] for e in strict["edges"]]

    old_id = person.id_number[:6] + person.id_number[8:17]
    by_id = search(api, id_number=old_id)
    assert [e["node"]["id"] for e in by_id["edges"]] == [golden]
    assert by_id["edges"][0]["via"] == ["ID_NUMBER"]
    phone = f"+86 {person.phone[:3]} {person.phone[3:7]} {person.phone[7:]}"
    by_phone = search(api, phone=phone)
    assert golden in [e["node"]["id"] for e in by_phone["edges"]]
    both = search(api, name=person.surname + person.given, phone=phone)
    assert golden in [e["node"]["id"] for e in both["edges"]]
    assert all(set(e["via"]) & {"PHONE"} for e in both["edges"])
    nobody = search(api, name=person.surname + person.given, id_number="110101199003077777")
    assert nobody["totalCount"] == 0


def test_search_enterprises_by_name_variants_and_uscc(api, city):
    world = city.world
    enterprise = next(
        e for e in world.enterprises if e.parent < 0 and city.golden_of_true.get(e.true_id)
    )
    golden = city.golden_of_true[enterprise.true_id]
    query = """query($name: String, $uscc: String) { searchEnterprises(name: $name, uscc: $uscc,
      first: 50) { totalCount edges { via score node { id name } } } }"""
    for name in (enterprise.name, f"{enterprise.brand}{enterprise.industry}（广州）有限公司",
                 TO_TRADITIONAL.convert(enterprise.name), enterprise.brand):  # fmt: skip
        found = api.query(query, name=name)["searchEnterprises"]["edges"]
        assert golden in [e["node"]["id"] for e in found], name
    by_code = api.query(query, uscc=enterprise.uscc.lower())["searchEnterprises"]["edges"]
    assert by_code[0]["node"]["id"] == golden and "USCC" in by_code[0]["via"]


# -- addresses and households ------------------------------------------------------------------
def test_address_reads_any_writing_to_the_point(api, city):
    world = city.world
    registered_true = {  # true persons whose hukou record resolved to their golden record
        t for k, t in city.truth.items()
        if k.startswith("hukou/") and city.golden_of_true.get(t) == city.golden_of_record.get(k)
    }  # fmt: skip
    person = next(
        p for p in world.persons if p.hukou and p.hukou.sub and p.true_id in registered_true
    )
    key = _truth.true_point(world, person.hukou)
    district, street, community = _truth.true_place(world, person.hukou)
    road, number, sub = key.split("|")
    query = """query($t: String!) { address(text: $t) { parsed { pointKey unitKey district }
      points { totalCount edges { node { key district street community
        registeredPersons(first: 100) { edges { via node { id } } }
        rentalUnits { totalCount } } } } } }"""
    for text in (
        f"广州市{district}{street}{community}{road}{number}号之{sub}",
        TO_TRADITIONAL.convert(f"{district}{road}") + f"{number}-{sub}号",
        f"{road}{number}号之{sub} {person.hukou.room}房",
    ):
        lookup = api.query(query, t=text)["address"]
        assert lookup["parsed"]["pointKey"] == key, text
        assert [e["node"]["key"] for e in lookup["points"]["edges"]] == [key]
    point = lookup["points"]["edges"][0]["node"]
    assert point["district"] == district
    registered = {city.true_of_golden[e["node"]["id"]] for e in point["registeredPersons"]["edges"]}
    assert person.true_id in registered
    road_only = api.query(query, t=f"{district}{road}")["address"]["points"]
    assert key in [e["node"]["key"] for e in road_only["edges"]]


def test_household_register_of_a_flat(api, city):
    world = city.world
    household = next(
        h for h in world.households
        if len(h) >= 3 and world.persons[h[0]].hukou and world.persons[h[0]].hukou.room
        and all(world.persons[i].hukou == world.persons[h[0]].hukou for i in h)
    )  # fmt: skip
    address = world.persons[household[0]].hukou
    road, number, sub = _truth.true_point(world, address).split("|")
    text = f"{road}{number}号" + (f"之{sub}" if sub else "")
    text += (f"{address.building}栋" if address.building else "") + f"{address.room}房"
    hukou_members = {
        t for k, t in city.truth.items()
        if k.startswith("hukou/") and t in {world.persons[i].true_id for i in household}
    }  # fmt: skip
    data = api.query(
        """query($a: String!) { household(address: $a, first: 100) { parsed { unitKey }
          point { key } members { totalCount edges { node { basis person { id }
            sourceRecords { source unitKey department } } } }
          bySource { source department members } } }""",
        a=text,
    )["household"]
    unit_key = data["parsed"]["unitKey"]
    members = {city.true_of_golden[e["node"]["person"]["id"]] for e in data["members"]["edges"]}
    assert hukou_members and hukou_members <= members
    for edge in data["members"]["edges"]:
        member = edge["node"]
        assert "TENANT" in member["basis"] or any(
            r["unitKey"] == unit_key for r in member["sourceRecords"]
        )
    hukou = next(s for s in data["bySource"] if s["source"] == "hukou")
    assert hukou["members"] >= len(hukou_members) and hukou["department"]


# -- the report's cross-department questions ---------------------------------------------------
def test_non_public_enterprises_of_a_street(api, city, graph_driver):
    world = city.world
    by_street = Counter(
        _truth.true_place(world, e.address)[1] for e in world.enterprises if e.non_public == "是"
    )
    street, _ = by_street.most_common(1)[0]
    data = api.query(
        """query($s: String!) { nonPublicEnterprises(street: $s, first: 100) { totalCount
          edges { via node { id street registry { nonPublic economicNature }
            legalRepresentatives { edges { node { id } } } } } } }""",
        s=street.removesuffix("道"),
    )["nonPublicEnterprises"]
    found = {city.true_of_golden[e["node"]["id"]] for e in data["edges"]}
    truly = {
        e.true_id for e in world.enterprises
        if e.non_public == "是" and _truth.true_place(world, e.address)[1] == street
    }  # fmt: skip
    records, _, _ = graph_driver.execute_query(
        "MATCH (e:Enterprise) WHERE e.street = $s RETURN e.id AS id", s=street
    )
    recorded = {city.true_of_golden.get(r["id"]) for r in records} & truly
    assert found and found <= truly
    assert recorded <= found
    assert {v for e in data["edges"] for v in e["via"]} <= {
        "STREET", "COMMUNITY_OF_STREET", "ROAD_OF_STREET"
    }  # fmt: skip
    for edge in data["edges"]:
        node = edge["node"]
        assert node["registry"]["nonPublic"] is True
        assert node["registry"]["economicNature"] in ("私营", "外资", "港澳台")
        true_enterprise = world.enterprises[int(city.true_of_golden[node["id"]][1:]) - 1]
        reps = {city.true_of_golden[e["node"]["id"]] for e in node["legalRepresentatives"]["edges"]}
        allowed = {
            world.persons[i].true_id
            for i in (true_enterprise.legal_rep, true_enterprise.previous_rep) if i >= 0
        }  # fmt: skip
        assert reps <= allowed


def test_married_women_of_childbearing_age(api, city, graph_driver):
    world = city.world
    records, _, _ = graph_driver.execute_query(
        "MATCH (p:Person) WHERE p.community IS NOT NULL RETURN p.id AS id, p.district AS d, "
        "p.community AS c"
    )
    community_of = {r["id"]: (r["d"], r["c"]) for r in records}

    def truly_eligible(person) -> bool:
        return (
            not person.male and person.spouse >= 0 and person.alive()
            and 15 <= person.age(TODAY) <= 49
        )  # fmt: skip

    eligible = Counter(
        community_of[city.golden_of_true[p.true_id]]
        for p in world.persons
        if truly_eligible(p) and city.golden_of_true.get(p.true_id) in community_of
    )
    (district, community), _ = eligible.most_common(1)[0]
    data = api.query(
        """query($c: String!, $d: String, $on: Date) { marriedWomenOfChildbearingAge(
          community: $c, district: $d, asOf: $on, first: 100) { totalCount
          edges { node { id gender birthDate community spouses { totalCount } } } } }""",
        c=community.removesuffix("社区") + "居委会",
        d=district,
        on=TODAY.isoformat(),
    )["marriedWomenOfChildbearingAge"]
    found = {city.true_of_golden[e["node"]["id"]] for e in data["edges"]}
    expected = {
        p.true_id for p in world.persons
        if truly_eligible(p)
        and community_of.get(city.golden_of_true.get(p.true_id)) == (district, community)
        and any(k.startswith("marriage/") and t == p.true_id for k, t in city.truth.items())
    }  # fmt: skip
    assert expected and expected <= found
    persons = {p.true_id: p for p in world.persons}
    assert all(truly_eligible(persons[t]) for t in found)
    assert all(e["node"]["gender"] == "F" for e in data["edges"])


def test_unemployed_residents_with_what_the_data_says(api, city, graph_driver):
    world = city.world
    records, _, _ = graph_driver.execute_query(
        "MATCH (p:Person) WHERE p.community IS NOT NULL RETURN p.id AS id, p.district AS d, "
        "p.community AS c"
    )
    community_of = {r["id"]: (r["d"], r["c"]) for r in records}
    registered = {t for k, t in city.truth.items() if k.startswith("unemployment/")}
    unemployed = {p.true_id for p in world.persons if p.employment == "失业"}
    counts = Counter(
        community_of[city.golden_of_true[t]]
        for t in registered
        if city.golden_of_true.get(t) in community_of
    )
    (district, community), _ = counts.most_common(1)[0]
    data = api.query(
        """query($c: String!, $d: String) { unemployedResidents(community: $c, district: $d,
          first: 100) { totalCount edges { node { person { id community }
            registeredUnemployed registeredOn situation wantsWork trainingWanted
            employmentStatuses { source status } formerEmployers { id }
            sourceRecords { source recordId } } } } }""",
        c=community,
        d=district,
    )["unemployedResidents"]
    found = {city.true_of_golden[e["node"]["person"]["id"]]: e["node"] for e in data["edges"]}
    expected = {
        t
        for t in registered
        if community_of.get(city.golden_of_true.get(t)) == (district, community)
    }
    assert expected and expected <= set(found)
    assert set(found) <= unemployed | registered
    rows = {r["失业登记证号"]: r for r in city.records_of_source("unemployment")}
    for node in found.values():
        if not node["registeredUnemployed"]:
            assert any(s["status"] == "失业" for s in node["employmentStatuses"])
            continue
        ids = [r["recordId"] for r in node["sourceRecords"] if r["source"] == "unemployment"]
        latest = max((rows[i] for i in ids), key=lambda r: r["失业登记日期"])
        assert node["situation"] == latest["目前状况"]
        assert node["trainingWanted"] == latest["培训需求"]
        assert node["wantsWork"] == (latest["就业意愿"] == "是")
    wider = api.query(
        """query($c: String!, $d: String) { unemployedResidents(community: $c, district: $d,
          includeFlexibleEmployment: true, first: 100) { edges { node { person { id } } } } }""",
        c=community,
        d=district,
    )["unemployedResidents"]
    assert {e["node"]["person"]["id"] for e in wider["edges"]} >= {
        e["node"]["person"]["id"] for e in data["edges"]
    }
