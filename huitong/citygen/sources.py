"""The departments' files as views of the true city: what each source holds, row by row.

Each source is a :class:`SourceSpec` (its mentions, relations and event over *logical* column
keys) and a builder that turns the :class:`~huitong.citygen.population.World` into rows keyed by
those logical keys, every value already written through the source's
:class:`~huitong.citygen.noise.Noiser`. A row also carries ``TRUTH``: role → true entity ID.
How logical keys become a department's column names, file format and encoding is the business
of :mod:`huitong.citygen.layouts`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from huitong.citygen._text import words
from huitong.citygen.identifiers import make_passport
from huitong.citygen.noise import Noiser
from huitong.citygen.population import TODAY, Person, World, random_day

TRUTH = "_truth"
Row = dict[str, object]

IDENTIFYING_FIELDS = ("name", "id_number", "uscc", "address")


@dataclass(frozen=True)
class MentionSpec:
    role: str
    entity: str  # person | enterprise | rental_unit
    fields: dict[str, str]  # canonical field: logical key
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EventSpec:
    type: str
    date: str
    place: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceSpec:
    key: str
    mentions: tuple[MentionSpec, ...]
    relations: tuple[tuple[str, str, str], ...] = ()
    event: EventSpec | None = None


@dataclass
class BuildContext:
    world: World
    noise: Noiser
    rng: random.Random  # for the source's own choices (dates of registration, attributes)
    split_names: frozenset[str]  # logical name keys written as two columns


def _person(prefix: str, *fields: str) -> dict[str, str]:
    return {f: f"{prefix}_{f}" for f in fields}


# -- the specs ------------------------------------------------------------------------------------
PERSON_CORE = ("name", "id_number", "gender", "birth_date")

HUKOU = SourceSpec(
    "hukou",
    (
        MentionSpec(
            "resident",
            "person",
            {**_person("p", *PERSON_CORE, "phone"), "address": "hukou_address"},
            {
                "household_no": "household_no",
                "relation_to_head": "relation_to_head",
                "registration_status": "status",
                "residence": "residence_address",
                "ethnicity": "ethnicity",
            },
        ),
    ),
)
HUKOU_BIRTHS = SourceSpec(
    "hukou_births",
    (
        MentionSpec("child", "person", {**_person("c", *PERSON_CORE), "address": "address"}),
        MentionSpec("declarant", "person", _person("d", "name", "id_number")),
    ),
    (("declarant", "PARENT_OF", "child"),),
    EventSpec("Birth", "c_birth_date", "address", {"declarant_relation": "declarant_relation"}),
)


def _change_spec(key: str, event_type: str) -> SourceSpec:
    return SourceSpec(
        key,
        (MentionSpec("person", "person", {**_person("p", *PERSON_CORE), "address": "address"}),),
        (),
        EventSpec(event_type, "change_date", "address", {"note": "change_note"}),
    )


HUKOU_DEATHS = _change_spec("hukou_deaths", "Death")
HUKOU_MOVE_IN = _change_spec("hukou_move_in", "MoveIn")
HUKOU_MOVE_OUT = _change_spec("hukou_move_out", "MoveOut")
RENTAL = SourceSpec(
    "rental",
    (
        MentionSpec(
            "unit", "rental_unit", {"address": "unit_address"}, {"use": "use", "rent": "rent"}
        ),
        MentionSpec("landlord", "person", _person("l", "name", "id_number", "phone")),
        MentionSpec(
            "tenant",
            "person",
            _person("t", "name", "id_number", "gender", "phone"),
            {
                "registered_on": "registered_on",
                "lease_start": "lease_start",
                "lease_end": "lease_end",
            },
        ),
    ),
    (("landlord", "OWNS", "unit"), ("tenant", "RENTS", "unit")),
)
MARRIAGE = SourceSpec(
    "marriage",
    (
        MentionSpec(
            "husband",
            "person",
            {**_person("h", "name", "id_number", "birth_date"), "address": "h_address"},
        ),
        MentionSpec(
            "wife",
            "person",
            {**_person("w", "name", "id_number", "birth_date"), "address": "w_address"},
        ),
    ),
    (("husband", "SPOUSE_OF", "wife"),),
    EventSpec("Marriage", "registered_on", "office_address", {"office": "office"}),
)
SOCIAL_INSURANCE = SourceSpec(
    "social_insurance",
    (
        MentionSpec(
            "insured",
            "person",
            _person("p", *PERSON_CORE, "phone"),
            {
                "insurance_status": "insurance_status",
                "employment_status": "employment_status",
                "insured_since": "insured_since",
                "stopped_on": "stopped_on",
                "contribution_base": "contribution_base",
            },
        ),
        MentionSpec("employer", "enterprise", {"name": "employer_name", "uscc": "employer_uscc"}),
    ),
    (("insured", "EMPLOYED_BY", "employer"),),
)
ENTERPRISE = SourceSpec(
    "enterprise",
    (
        MentionSpec(
            "enterprise",
            "enterprise",
            {"name": "e_name", "uscc": "e_uscc", "address": "e_address", "phone": "e_phone"},
            {
                "company_type": "company_type",
                "economic_nature": "nature",
                "non_public": "non_public",
                "status": "status",
                "founded_on": "founded",
                "registered_capital": "capital",
                "industry": "industry",
                "parent_enterprise": "parent_name",
                "registration_kind": "registration_kind",
                "authority": "authority",
            },
        ),
        MentionSpec("legal_representative", "person", _person("r", "name", "id_number")),
    ),
    (("legal_representative", "LEGAL_REPRESENTATIVE_OF", "enterprise"),),
)
VIOLATIONS = SourceSpec(
    "violations",
    (MentionSpec("vendor", "person", _person("v", "name", "id_number", "gender", "phone")),),
    (),
    EventSpec(
        "Violation",
        "day",
        "place",
        {"kind": "kind", "outcome": "outcome", "fine": "fine", "squad": "squad"},
    ),
)
BIRTHS = SourceSpec(
    "births",
    (
        MentionSpec(
            "child",
            "person",
            {**_person("c", "name", "gender", "birth_date"), "address": "home_address"},
        ),
        MentionSpec("mother", "person", _person("m", "name", "id_number")),
        MentionSpec("father", "person", _person("f", "name", "id_number")),
    ),
    (("mother", "PARENT_OF", "child"), ("father", "PARENT_OF", "child")),
    EventSpec(
        "Birth", "c_birth_date", "hospital_address", {"hospital": "hospital", "weight_g": "weight"}
    ),
)
EXIT_ENTRY = SourceSpec(
    "exit_entry",
    (
        MentionSpec(
            "traveller",
            "person",
            {**_person("p", *PERSON_CORE, "phone"), "address": "residence"},
            {
                "nationality": "nationality",
                "document_type": "document_type",
                "passport": "passport",
                "visa_type": "visa_type",
                "entered_on": "entered_on",
            },
        ),
    ),
)
MIGRANTS = SourceSpec(
    "migrants",
    (
        MentionSpec(
            "migrant",
            "person",
            {**_person("p", *PERSON_CORE, "phone"), "address": "residence"},
            {
                "household_address": "hukou_address",
                "registered_on": "registered_on",
                "reason": "reason",
            },
        ),
        MentionSpec("employer", "enterprise", {"name": "employer_name"}),
    ),
    (("migrant", "EMPLOYED_BY", "employer"),),
)
UNEMPLOYMENT = SourceSpec(
    "unemployment",
    (
        MentionSpec(
            "person",
            "person",
            {**_person("p", "name", "id_number", "gender", "phone"), "address": "residence"},
            {
                "registered_on": "registered_on",
                "wants_work": "wants_work",
                "training_wanted": "training",
                "situation": "situation",
            },
        ),
        MentionSpec(
            "former_employer", "enterprise", {"name": "employer_name", "uscc": "employer_uscc"}
        ),
    ),
)
SUBSISTENCE = SourceSpec(
    "subsistence",
    (
        MentionSpec(
            "applicant",
            "person",
            {**_person("p", "name", "id_number", "phone"), "address": "address"},
            {
                "household_members": "members",
                "monthly_amount": "amount",
                "approved_on": "approved_on",
                "status": "status",
            },
        ),
    ),
)
DISABILITY = SourceSpec(
    "disability",
    (
        MentionSpec(
            "holder",
            "person",
            {**_person("p", *PERSON_CORE), "address": "address"},
            {
                "category": "category",
                "grade": "grade",
                "card_number": "card_number",
                "issued_on": "issued_on",
            },
        ),
        MentionSpec("guardian", "person", _person("g", "name", "phone")),
    ),
    (("guardian", "PARENT_OF", "holder"),),
)


VACCINATION = SourceSpec(
    "vaccination",
    (
        MentionSpec("child", "person", _person("c", "name", "gender", "birth_date")),
        MentionSpec("guardian", "person", _person("g", "name", "phone")),
    ),
    (("guardian", "PARENT_OF", "child"),),
    EventSpec(
        "Vaccination",
        "vaccinated_on",
        "clinic_address",
        {"vaccine": "vaccine", "dose": "dose", "clinic": "clinic"},
    ),
)


# -- builders -------------------------------------------------------------------------------------
def _person_values(ctx: BuildContext, prefix: str, person: Person, *fields: str) -> Row:
    """The noisy values of a person's fields, under ``{prefix}_{field}`` keys."""
    n = ctx.noise
    row: Row = {}
    for name in fields:
        key = f"{prefix}_{name}"
        if name == "name":
            row[key] = n.name(person, split=key in ctx.split_names)
        elif name == "id_number":
            row[key] = n.id_number(person)
        elif name == "gender":
            row[key] = n.gender(person.male)
        elif name == "birth_date":
            row[key] = n.date(person.birth)
        elif name == "phone":
            row[key] = n.phone(person)
    return row


def _empty(prefix: str, *fields: str) -> Row:
    return {f"{prefix}_{f}": None for f in fields}


def build_hukou(ctx: BuildContext) -> Iterator[Row]:
    world, n, rng = ctx.world, ctx.noise, ctx.rng
    numbers: dict[int, str] = {}
    taken: set[str] = set()
    ethnicities = words("汉族 壮族 瑶族 苗族 土家族 回族 满族")
    for person in world.persons:
        if person.hukou is None:
            continue
        if person.household not in numbers:
            while (number := f"{rng.randrange(10**9):09d}") in taken:
                pass
            taken.add(number)
            numbers[person.household] = number
        status = "死亡" if person.died_on else "迁出" if person.moved_out_on else "正常"
        yield {
            **_person_values(ctx, "p", person, *PERSON_CORE, "phone"),
            "hukou_address": n.address(person.hukou),
            "household_no": numbers[person.household],
            "relation_to_head": person.relation_to_head,
            "status": status,
            "residence_address": n.address(person.residence, may_be_missing=True),
            "ethnicity": "汉族" if rng.random() < 0.97 else rng.choice(ethnicities[1:]),
            TRUTH: {"resident": person.true_id},
        }


def build_hukou_births(ctx: BuildContext) -> Iterator[Row]:
    world, n, rng = ctx.world, ctx.noise, ctx.rng
    for child in world.persons:
        if child.hukou is None or child.birth < dt.date(2015, 1, 1):
            continue
        parents = [p for p in (child.father, child.mother) if p >= 0]
        if not parents:
            continue
        declarant = world.persons[rng.choice(parents)]
        yield {
            **_person_values(ctx, "c", child, *PERSON_CORE),
            **_person_values(ctx, "d", declarant, "name", "id_number"),
            "address": n.address(child.hukou),
            "declarant_relation": "父亲" if declarant.male else "母亲",
            TRUTH: {"child": child.true_id, "declarant": declarant.true_id},
        }


def _change_rows(ctx: BuildContext, chosen: Iterator[tuple[Person, dt.date, str]]) -> Iterator[Row]:
    n = ctx.noise
    for person, day, note in chosen:
        yield {
            **_person_values(ctx, "p", person, *PERSON_CORE),
            "address": n.address(person.hukou),
            "change_date": n.date(day),
            "change_note": note,
            TRUTH: {"person": person.true_id},
        }


def build_hukou_deaths(ctx: BuildContext) -> Iterator[Row]:
    chosen = ((p, p.died_on, "死亡注销") for p in ctx.world.persons if p.hukou and p.died_on)
    return _change_rows(ctx, chosen)


def build_hukou_move_in(ctx: BuildContext) -> Iterator[Row]:
    chosen = (
        (p, p.moved_in_on, f"由{p.moved_in_from}迁入")
        for p in ctx.world.persons
        if p.hukou and p.moved_in_on and p.moved_in_on >= dt.date(2010, 1, 1)
    )
    return _change_rows(ctx, chosen)


def build_hukou_move_out(ctx: BuildContext) -> Iterator[Row]:
    chosen = (
        (p, p.moved_out_on, f"迁往{p.moved_out_to}")
        for p in ctx.world.persons
        if p.hukou and p.moved_out_on
    )
    return _change_rows(ctx, chosen)


def build_rental(ctx: BuildContext) -> Iterator[Row]:
    world, n, rng = ctx.world, ctx.noise, ctx.rng
    for unit in world.rental_units:
        landlord = world.persons[unit.landlord]
        tenancies = unit.tenancies or [None]
        for tenancy in tenancies:
            row: Row = {
                "unit_address": n.address(unit.address),
                **_person_values(ctx, "l", landlord, "name", "id_number", "phone"),
                "use": unit.use,
                "rent": str(unit.rent),
            }
            truth = {"unit": unit.true_id, "landlord": landlord.true_id}
            if tenancy is None:
                row |= _empty("t", "name", "id_number", "gender", "phone")
                row |= {
                    "registered_on": n.date(unit.listed_on),
                    "lease_start": None,
                    "lease_end": None,
                }
            else:
                tenant = world.persons[tenancy.tenant]
                row |= _person_values(ctx, "t", tenant, "name", "id_number", "gender", "phone")
                registered = min(tenancy.start + dt.timedelta(days=rng.randint(0, 30)), TODAY)
                row |= {
                    "registered_on": n.date(registered),
                    "lease_start": n.date(tenancy.start),
                    "lease_end": n.date(tenancy.end),
                }
                truth["tenant"] = tenant.true_id
            row[TRUTH] = truth
            yield row


def build_marriage(ctx: BuildContext) -> Iterator[Row]:
    world, n = ctx.world, ctx.noise
    for husband in world.persons:
        if not husband.male or husband.spouse < 0 or husband.married_on is None:
            continue
        wife = world.persons[husband.spouse]
        if husband.married_on < dt.date(1990, 1, 1) or not (husband.hukou or wife.hukou):
            continue
        home = husband.hukou or wife.hukou
        office = world.marriage_offices[world.geography.district_of(home)]
        row: Row = {}
        for prefix, person in (("h", husband), ("w", wife)):
            row |= _person_values(ctx, prefix, person, "name", "id_number", "birth_date")
            if person.hukou:
                row[f"{prefix}_address"] = n.address(person.hukou, may_be_missing=True)
            else:
                row[f"{prefix}_address"] = person.hukou_text or None
        row |= {
            "registered_on": n.date(husband.married_on),
            "office": office.name,
            "office_address": n.address(office.address, room=False),
            TRUTH: {"husband": husband.true_id, "wife": wife.true_id},
        }
        yield row


def build_social_insurance(ctx: BuildContext) -> Iterator[Row]:
    world, n, rng = ctx.world, ctx.noise, ctx.rng
    for person in world.persons:
        if not person.employment:
            continue
        jobs: list[tuple[int, str, str, dt.date | None]] = []
        if person.employment == "在职":
            jobs.append((person.employer, "参保", "在职", None))
            jobs += [(employer, "停保", "在职", left) for employer, left in person.past_jobs]
        elif person.employment == "失业":
            jobs.append((person.last_employer, "停保", "失业", person.last_employer_until))
        else:
            jobs.append((-1, "参保", "灵活就业", None))
        for employer, status, employment, stopped in jobs:
            row = _person_values(ctx, "p", person, *PERSON_CORE, "phone")
            row |= {
                "insurance_status": status,
                "employment_status": employment,
                "insured_since": n.date(person.insured_since),
                "stopped_on": n.date(stopped),
                "contribution_base": rng.randrange(2300, 30000, 100),
            }
            truth = {"insured": person.true_id}
            if employer >= 0:
                enterprise = world.enterprises[employer]
                row["employer_name"] = n.enterprise_name(enterprise)
                row["employer_uscc"] = n.uscc(enterprise)
                truth["employer"] = enterprise.true_id
            else:
                row["employer_name"] = row["employer_uscc"] = None
            row[TRUTH] = truth
            yield row


def build_enterprise(ctx: BuildContext) -> Iterator[Row]:
    world, n = ctx.world, ctx.noise
    for enterprise in world.enterprises:
        versions = [(enterprise.legal_rep, "设立/现状")]
        if enterprise.previous_rep >= 0:
            versions.append((enterprise.previous_rep, "变更前"))
        for rep_index, kind in versions:
            rep = world.persons[rep_index]
            parent = world.enterprises[enterprise.parent].name if enterprise.parent >= 0 else None
            yield {
                "e_name": enterprise.name,
                "e_uscc": n.uscc(enterprise, may_be_missing=False),
                "e_address": n.address(enterprise.address),
                "e_phone": n.format_phone(enterprise.phone) if enterprise.phone else None,
                "company_type": enterprise.company_type,
                "nature": enterprise.nature,
                "non_public": enterprise.non_public,
                "status": enterprise.status,
                "founded": n.date(enterprise.founded),
                "capital": str(enterprise.capital) if enterprise.capital else None,
                "industry": enterprise.industry,
                "parent_name": parent,
                "registration_kind": kind,
                "authority": f"广州市{enterprise.district}市场监督管理局",
                **_person_values(ctx, "r", rep, "name", "id_number"),
                TRUTH: {"enterprise": enterprise.true_id, "legal_representative": rep.true_id},
            }


def build_violations(ctx: BuildContext) -> Iterator[Row]:
    world, n = ctx.world, ctx.noise
    for violation in world.violations:
        vendor = world.persons[violation.vendor]
        road = world.geography.roads[violation.place.road]
        place = n.address(violation.place, room=False)
        yield {
            **_person_values(ctx, "v", vendor, "name", "gender", "phone"),
            "v_id_number": n.party_id(vendor),
            "kind": violation.kind,
            "place": f"{place}{violation.mark}",
            "day": n.date(violation.day),
            "outcome": violation.outcome,
            "fine": str(violation.fine) if violation.fine else None,
            "squad": f"{road.district}城管执法局{road.street.removesuffix('道')}中队",
            TRUTH: {"vendor": vendor.true_id},
        }


def build_births(ctx: BuildContext) -> Iterator[Row]:
    world, n, rng = ctx.world, ctx.noise, ctx.rng
    for child in world.persons:
        if child.birth < dt.date(2008, 1, 1) or child.mother < 0:
            continue
        mother = world.persons[child.mother]
        district = world.geography.district_of(mother.residence or child.residence)
        nearby = [h for h in world.hospitals if h.district == district]
        hospital = (
            rng.choice(nearby) if nearby and rng.random() < 0.7 else rng.choice(world.hospitals)
        )
        row: Row = {
            **_person_values(ctx, "c", child, "name", "gender", "birth_date"),
            "weight": int(rng.gauss(3250, 420)),
            "hospital": hospital.name,
            "hospital_address": n.address(hospital.address, room=False),
            "home_address": n.address(mother.residence, may_be_missing=True),
            **_person_values(ctx, "m", mother, "name", "id_number"),
        }
        truth = {"child": child.true_id, "mother": mother.true_id}
        if child.father >= 0 and rng.random() < 0.97:
            father = world.persons[child.father]
            row |= _person_values(ctx, "f", father, "name")
            row["f_id_number"] = n.party_id(father)
            truth["father"] = father.true_id
        else:
            row |= _empty("f", "name", "id_number")
        row[TRUTH] = truth
        yield row


def build_exit_entry(ctx: BuildContext) -> Iterator[Row]:
    world, n, rng = ctx.world, ctx.noise, ctx.rng
    for person in world.persons:
        if not person.alive() or person.age() < 16:
            continue
        if person.foreign:
            visits = rng.randint(1, 3)
        elif person.local and 1960 <= person.birth.year <= 2004 and rng.random() < 0.06:
            visits = 1 if rng.random() < 0.8 else 2
        elif not person.local and rng.random() < 0.02:
            visits = 1
        else:
            continue
        passport = person.passport or make_passport(rng, "CHN")
        for _ in range(visits):
            entered = random_day(rng, dt.date(2018, 1, 1), TODAY)
            yield {
                **_person_values(ctx, "p", person, *PERSON_CORE, "phone"),
                "residence": n.address(person.residence, may_be_missing=True),
                "nationality": person.nationality,
                "document_type": "护照" if person.foreign else "居民身份证",
                "passport": passport,
                "visa_type": rng.choice(("Z", "M", "F", "S1", "Q1")) if person.foreign else None,
                "entered_on": n.date(entered),
                TRUTH: {"traveller": person.true_id},
            }


def build_migrants(ctx: BuildContext) -> Iterator[Row]:
    world, n, rng = ctx.world, ctx.noise, ctx.rng
    for person in world.persons:
        if person.local or person.foreign or not person.alive() or person.age() < 16:
            continue
        times = 2 if rng.random() < 0.25 else 1
        for _ in range(times):
            row = _person_values(ctx, "p", person, *PERSON_CORE, "phone")
            employer = person.employer if person.employer >= 0 else -1
            row |= {
                "residence": n.address(person.residence),
                "hukou_address": person.hukou_text,
                "registered_on": n.date(random_day(rng, dt.date(2016, 1, 1), TODAY)),
                "reason": "务工"
                if employer >= 0
                else rng.choice(("务工", "经商", "投靠亲友", "就学")),
                "employer_name": None,
            }
            truth = {"migrant": person.true_id}
            if employer >= 0 and rng.random() < 0.8:
                row["employer_name"] = n.enterprise_name(world.enterprises[employer])
                truth["employer"] = world.enterprises[employer].true_id
            row[TRUTH] = truth
            yield row


def build_unemployment(ctx: BuildContext) -> Iterator[Row]:
    world, n, rng = ctx.world, ctx.noise, ctx.rng
    trainings = words("电工 家政服务 中式烹调 电子商务 汽车维修 育婴员 叉车 无")
    situations = words("待业在家 打零工 照顾家庭 参加培训 自主创业筹备")
    for person in world.persons:
        if person.employment != "失业" or rng.random() > 0.9:
            continue
        row = _person_values(ctx, "p", person, "name", "id_number", "gender", "phone")
        enterprise = world.enterprises[person.last_employer]
        row |= {
            "residence": n.address(person.residence, may_be_missing=True),
            "employer_name": n.enterprise_name(enterprise),
            "employer_uscc": n.uscc(enterprise),
            "registered_on": n.date(
                person.last_employer_until + dt.timedelta(days=rng.randint(5, 60))
            ),
            "wants_work": "是" if rng.random() < 0.8 else "否",
            "training": rng.choice(trainings),
            "situation": rng.choice(situations),
            TRUTH: {"person": person.true_id, "former_employer": enterprise.true_id},
        }
        yield row


def build_subsistence(ctx: BuildContext) -> Iterator[Row]:
    world, n, rng = ctx.world, ctx.noise, ctx.rng
    for household in world.households:
        head = world.persons[household[0]]
        if head.hukou is None or rng.random() > 0.02:
            continue
        living = [world.persons[i] for i in household if world.persons[i].alive()]
        adults = [p for p in living if p.age() >= 18]
        if not adults:
            continue
        applicant = max(adults, key=lambda p: (p.age(), p.index))
        yield {
            **_person_values(ctx, "p", applicant, "name", "id_number", "phone"),
            "address": n.address(applicant.residence or applicant.hukou),
            "members": len(living),
            "amount": 1120 * len(living) - rng.randrange(0, 400, 10),
            "approved_on": n.date(random_day(rng, dt.date(2015, 1, 1), TODAY)),
            "status": "在保" if rng.random() < 0.85 else "停保",
            TRUTH: {"applicant": applicant.true_id},
        }


def build_disability(ctx: BuildContext) -> Iterator[Row]:
    world, n, rng = ctx.world, ctx.noise, ctx.rng
    categories = words("视力 听力 言语 肢体 智力 精神 多重")
    for person in world.persons:
        if person.foreign or rng.random() > 0.004 + 0.0004 * person.age():
            continue
        category = rng.randint(1, 7)
        grade = rng.randint(1, 4)
        row = _person_values(ctx, "p", person, *PERSON_CORE)
        row |= {
            "address": n.address(person.hukou or person.residence, may_be_missing=True),
            "category": categories[category - 1],
            "grade": "一二三四"[grade - 1] + "级",
            "card_number": f"{person.id_number}{category}{grade}",
            "issued_on": n.date(random_day(rng, max(person.birth, dt.date(2008, 1, 1)), TODAY)),
        }
        truth = {"holder": person.true_id}
        parents = [p for p in (person.mother, person.father) if p >= 0]
        if person.age() < 18 and parents:
            guardian = world.persons[parents[0]]
            row |= _person_values(ctx, "g", guardian, "name", "phone")
            truth["guardian"] = guardian.true_id
        else:
            row |= _empty("g", "name", "phone")
        row[TRUTH] = truth
        yield row


# vaccine, dose, age in days when given
VACCINES = (
    ("乙肝疫苗", "第1剂", 0), ("卡介苗", "第1剂", 0), ("乙肝疫苗", "第2剂", 30),
    ("脊灰疫苗", "第1剂", 60), ("百白破疫苗", "第1剂", 90), ("A群流脑疫苗", "第1剂", 180),
    ("麻腮风疫苗", "第1剂", 240), ("乙脑疫苗", "第1剂", 240), ("甲肝疫苗", "第1剂", 540),
    ("百白破疫苗", "加强", 540), ("麻腮风疫苗", "第2剂", 540), ("白破疫苗", "加强", 2190),
)  # fmt: skip


def build_vaccination(ctx: BuildContext) -> Iterator[Row]:
    world, n, rng = ctx.world, ctx.noise, ctx.rng
    for child in world.persons:
        if child.birth < dt.date(2012, 1, 1) or child.residence is None:
            continue
        parents = [p for p in (child.mother, child.father) if p >= 0]
        given = [v for v in VACCINES if child.birth + dt.timedelta(days=v[2]) <= TODAY]
        if not parents or not given:
            continue
        clinic = world.clinics[world.geography.roads[child.residence.road].street]
        for vaccine, dose, age in rng.sample(given, min(len(given), rng.randint(2, 4))):
            guardian = world.persons[parents[0] if rng.random() < 0.7 else parents[-1]]
            day = child.birth + dt.timedelta(days=age + rng.randint(0, 20))
            yield {
                **_person_values(ctx, "c", child, "name", "gender", "birth_date"),
                **_person_values(ctx, "g", guardian, "name", "phone"),
                "vaccine": vaccine,
                "dose": dose,
                "vaccinated_on": n.date(min(day, TODAY)),
                "clinic": clinic.name,
                "clinic_address": n.address(clinic.address, room=False),
                TRUTH: {"child": child.true_id, "guardian": guardian.true_id},
            }


Builder = Callable[[BuildContext], Iterator[Row]]
SOURCES: tuple[tuple[SourceSpec, Builder], ...] = (
    (HUKOU, build_hukou),
    (HUKOU_BIRTHS, build_hukou_births),
    (HUKOU_DEATHS, build_hukou_deaths),
    (HUKOU_MOVE_IN, build_hukou_move_in),
    (HUKOU_MOVE_OUT, build_hukou_move_out),
    (RENTAL, build_rental),
    (MARRIAGE, build_marriage),
    (SOCIAL_INSURANCE, build_social_insurance),
    (ENTERPRISE, build_enterprise),
    (VIOLATIONS, build_violations),
    (BIRTHS, build_births),
    (EXIT_ENTRY, build_exit_entry),
    (MIGRANTS, build_migrants),
    (UNEMPLOYMENT, build_unemployment),
    (SUBSISTENCE, build_subsistence),
    (DISABILITY, build_disability),
    (VACCINATION, build_vaccination),
)
