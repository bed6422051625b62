"""The true world of the other city: people and families, homes and rented rooms, enterprises,
jobs, street vendors' violations, births and marriages.

Nothing here is noisy: departments (``departments``) look at this world at the date of each of
their records, and the noise model (``noise``) garbles what they write down.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate

from . import geo, identity, names

TODAY = date(2024, 6, 30)
ETHNICITIES = ["汉族"] * 60 + ["壮族", "壮族", "瑶族", "苗族", "土家族", "回族", "满族", "畲族"]


def day_between(rng: random.Random, start: date, end: date) -> date:
    span = (end - start).days
    return start + timedelta(days=rng.randint(0, max(span, 0)))


def years_after(d: date, years: float) -> date:
    return d + timedelta(days=int(years * 365.25))


def _at(history: list, when: date):
    """Value in effect on ``when`` of a ``[(start, value), …]`` history sorted by start."""
    i = bisect_right([start for start, _ in history], when) - 1
    return history[max(i, 0)][1]


@dataclass(eq=False)
class Person:
    tid: str
    surname: str
    given: str
    sex: str  # "M" | "F"
    birth: date
    id18: str
    local: bool  # household registration (户籍) in Guangzhou
    hometown: geo.HomeTown | None = None
    hukou: list = field(default_factory=list)  # [(since, Place)] for locals
    homes: list = field(default_factory=list)  # [(since, Place)] where they live
    phones: list = field(default_factory=list)  # [(since, "138…")]
    landline: str = ""
    ethnicity: str = "汉族"
    former_given: str = ""
    renamed_on: date | None = None
    spouse: Person | None = None
    married_on: date | None = None
    father: Person | None = None
    mother: Person | None = None
    children: list = field(default_factory=list)
    twin: Person | None = None
    jobs: list = field(default_factory=list)  # [Job]
    work_status: str = ""  # employed | unemployed | flexible | retired | student | child | none
    household_no: str = ""
    head: Person | None = None  # head of the household (户主), self for the head
    education: str = ""

    @property
    def name(self) -> str:
        return self.surname + self.given

    def name_at(self, when: date) -> str:
        if self.former_given and self.renamed_on and when < self.renamed_on:
            return self.surname + self.former_given
        return self.name

    def age_at(self, when: date) -> int:
        years = when.year - self.birth.year
        return years - ((when.month, when.day) < (self.birth.month, self.birth.day))

    def phone_at(self, when: date) -> str:
        return _at(self.phones, when) if self.phones else ""

    def home_at(self, when: date) -> geo.Place:
        return _at(self.homes, when)

    def hukou_at(self, when: date) -> geo.Place | None:
        return _at(self.hukou, when) if self.hukou else None

    def relatives(self) -> list[Person]:
        out = [p for p in (self.spouse, self.father, self.mother) if p is not None]
        return out + list(self.children)


@dataclass(eq=False)
class Enterprise:
    tid: str
    core: str  # 字号
    industry: str
    form: str  # 有限公司 …, or a shop type for individual businesses
    district: str
    kind: str  # company | individual | branch
    uscc: str
    regno: str  # old 15-digit registration number, "" if founded after 2016
    founded: date
    status: str
    nature: str  # economic nature
    non_public: bool
    address: geo.Place
    rep: Person
    phone: str
    weight: float
    parent: Enterprise | None = None
    branch_label: str = ""
    city_prefix: str = "广州市"

    former_core: str = ""  # the 字号 before a change of name (更名), if any
    renamed_on: date | None = None

    @property
    def name(self) -> str:
        return self.name_at(TODAY)

    def core_at(self, when: date) -> str:
        if self.kind == "branch":
            return self.parent.core_at(when)
        if self.former_core and self.renamed_on and when < self.renamed_on:
            return self.former_core
        return self.core

    def name_at(self, when: date) -> str:
        if self.kind == "branch":
            return self.parent.name_at(when) + self.branch_label
        if self.kind == "individual":
            return self.district + self.core + self.industry + self.form
        return self.city_prefix + self.core_at(when) + self.industry + self.form


@dataclass(eq=False)
class Job:
    enterprise: Enterprise
    start: date
    end: date | None  # None = current


@dataclass(eq=False)
class RentalUnit:
    tid: str
    place: geo.Place
    landlord: Person
    tenancies: list = field(default_factory=list)  # [Tenancy]


@dataclass(eq=False)
class Tenancy:
    unit: RentalUnit
    tenants: list  # [Person], first is the contract holder
    start: date
    end: date | None


@dataclass(eq=False)
class Violation:
    vendor: Person
    when: date
    place: geo.Point
    landmark: str
    kind: str
    outcome: str
    fine: int
    squad: str
    shop: Enterprise | None


@dataclass(eq=False)
class Marriage:
    husband: Person
    wife: Person
    when: date
    office_district: str


@dataclass
class World:
    city: geo.City
    persons: list[Person] = field(default_factory=list)
    enterprises: list[Enterprise] = field(default_factory=list)
    units: list[RentalUnit] = field(default_factory=list)
    tenancies: list[Tenancy] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    marriages: list[Marriage] = field(default_factory=list)
    marriage_offices: dict = field(default_factory=dict)  # district -> Place
    hospitals: list = field(default_factory=list)  # [(name, district, Place)]
    facts: dict = field(default_factory=dict)


class _Builder:
    def __init__(self, rng: random.Random, persons: int):
        self.rng = rng
        self.target = persons
        self.city = geo.build_city(rng, persons)
        self.world = World(self.city)
        self.sequences: set[tuple[str, date, int]] = set()
        self.phones_used: set[str] = set()
        self.retired_phones: list[str] = []
        self.household_seq = 0
        self.vacant: dict[str, list[RentalUnit]] = {}
        self.companies_of: dict[str, list[Enterprise]] = {}
        self.landlords: list[Person] = []
        self.owners: list[Person] = []  # local heads of household, possible landlords
        self.facts = {
            "twins": 0,
            "renamed": 0,
            "reassigned_phones": 0,
            "sibling_generation_names": 0,
            "shared_family_phones": 0,
            "renamed_enterprises": 0,
        }

    # --- persons ---------------------------------------------------------------------------
    def region_for(self, birth: date, local: bool, district: str, hometown: geo.HomeTown | None):
        if not local and hometown is not None:
            return hometown.code
        code, old = self.city.districts[district]
        if old and birth.year < 2005 and self.rng.random() < 0.5:
            return old[0]
        return code

    def new_person(
        self,
        sex: str,
        birth: date,
        local: bool,
        district: str,
        hometown: geo.HomeTown | None = None,
        surname: str | None = None,
        given: str | None = None,
        region: str | None = None,
        sequence_near: int | None = None,
    ) -> Person:
        rng = self.rng
        region = region or self.region_for(birth, local, district, hometown)
        parity = 1 if sex == "M" else 0
        while True:
            if sequence_near is not None:
                seq = sequence_near + rng.choice((1, 2, 3))
            else:
                seq = rng.randrange(0, 999)
            if seq % 2 != parity:
                seq += 1
            seq %= 1000
            if seq % 2 == parity and (region, birth, seq) not in self.sequences:
                break
            sequence_near = None
        self.sequences.add((region, birth, seq))
        person = Person(
            tid=f"TP{len(self.world.persons) + 1:07d}",
            surname=surname or names.random_surname(rng),
            given=given or names.random_given(rng, sex, birth.year),
            sex=sex,
            birth=birth,
            id18=identity.ric18(region, birth.strftime("%Y%m%d"), seq),
            local=local,
            hometown=hometown,
            ethnicity=rng.choice(ETHNICITIES),
        )
        self.world.persons.append(person)
        return person

    def give_phones(self, person: Person) -> None:
        rng = self.rng
        if person.age_at(TODAY) < 15:
            return
        if person.age_at(TODAY) >= 72 and rng.random() < 0.5:
            return  # uses the family's phone or landline
        first_use = max(person.birth + timedelta(days=16 * 365), date(2003, 1, 1))
        numbers = []
        if rng.random() < 0.28 and first_use < date(2019, 1, 1):
            numbers.append(first_use)
            numbers.append(day_between(rng, max(first_use, date(2012, 1, 1)), date(2023, 6, 1)))
        else:
            numbers.append(first_use)
        for i, since in enumerate(numbers):
            if i == len(numbers) - 1 and self.retired_phones and rng.random() < 0.02:
                number = self.retired_phones.pop(rng.randrange(len(self.retired_phones)))
                self.facts["reassigned_phones"] += 1
            else:
                number = self._fresh_mobile()
            person.phones.append((since, number))
        if len(numbers) > 1:
            self.retired_phones.append(person.phones[0][1])

    def _fresh_mobile(self) -> str:
        while True:
            number = identity.random_mobile(self.rng)
            if number not in self.phones_used:
                self.phones_used.add(number)
                return number

    def birth_in(self, first_year: int, last_year: int) -> date:
        return day_between(self.rng, date(first_year, 1, 1), date(last_year, 12, 28))

    def new_household_no(self) -> str:
        self.household_seq += 1
        return f"{self.household_seq:09d}"

    # --- families --------------------------------------------------------------------------
    def children_for(
        self,
        father: Person | None,
        mother: Person,
        n: int,
        local: bool,
        district: str,
        hometown: geo.HomeTown | None,
        after: date,
    ) -> list[Person]:
        rng = self.rng
        kids: list[Person] = []
        when = max(after + timedelta(days=300), years_after(mother.birth, 21))
        surname = father.surname if father is not None and rng.random() < 0.92 else mother.surname
        for _ in range(n):
            when = when + timedelta(days=rng.randint(330, 2600))
            if when >= TODAY or mother.age_at(when) > 44:
                break
            twins = rng.random() < 0.012
            sex = rng.choice("MF")
            first_given = names.random_given(rng, sex, when.year)
            if kids and rng.random() < 0.35:
                first_given = names.sibling_given(rng, sex, when.year, kids[-1].given)
                self.facts["sibling_generation_names"] += 1
            parents_given = {mother.given} | ({father.given} if father is not None else set())
            while first_given in parents_given:  # nobody is named after a living parent
                first_given = names.random_given(rng, sex, when.year)
            kid = self.new_person(sex, when, local, district, hometown, surname, first_given)
            kids.append(kid)
            if twins:
                sex2 = sex if rng.random() < 0.6 else ("F" if sex == "M" else "M")
                given2 = names.sibling_given(rng, sex2, when.year, kid.given)
                while given2 in parents_given:
                    given2 = names.sibling_given(rng, sex2, when.year, kid.given)
                twin = self.new_person(
                    sex2,
                    when,
                    local,
                    district,
                    hometown,
                    surname,
                    given2,
                    region=kid.id18[:6],
                    sequence_near=int(kid.id18[14:17]),
                )
                kid.twin, twin.twin = twin, kid
                kids.append(twin)
                self.facts["twins"] += 1
        for kid in kids:
            kid.father, kid.mother = father, mother
            mother.children.append(kid)
            if father is not None:
                father.children.append(kid)
        return kids

    def marry(self, a: Person, b: Person) -> None:
        husband, wife = (a, b) if a.sex == "M" else (b, a)
        youngest = max(husband.birth, wife.birth)
        when = day_between(self.rng, years_after(youngest, 21.5), years_after(youngest, 33))
        when = min(when, TODAY - timedelta(days=30))
        husband.spouse, wife.spouse = wife, husband
        husband.married_on = wife.married_on = when

    def spouse_for(self, person: Person, local: bool, district: str) -> Person:
        rng = self.rng
        sex = "F" if person.sex == "M" else "M"
        shift = rng.gauss(-2.0 if sex == "F" else 2.0, 2.5)
        birth = min(years_after(person.birth, shift), date(2002, 12, 31))
        hometown = None if local and rng.random() < 0.7 else self.city.hometown()
        region = None if hometown is None else hometown.code
        spouse = self.new_person(sex, birth, local, district, hometown, region=region)
        if local:
            spouse.hometown = None  # moved the household registration to Guangzhou
        self.marry(person, spouse)
        return spouse

    def settle_local(self, members: list[Person], flat: geo.Place, since: dict | None = None):
        """Register and house ``members`` at ``flat`` (their household)."""
        head = members[0]
        household = self.new_household_no()
        if head.age_at(TODAY) >= 35:
            self.owners.append(head)
        for p in members:
            start = (since or {}).get(p.tid, p.birth)
            p.hukou.append((start, flat))
            p.homes.append((start, flat))
            p.household_no = household
            p.head = head

    def local_lineage(self) -> None:
        rng = self.rng
        city = self.city
        district = city.random_district()
        g1_birth = self.birth_in(1936, 1966)
        man = self.new_person("M", g1_birth, True, district)
        wife = self.spouse_for(man, True, district)
        flat = city.new_home(district)
        kids = self.children_for(
            man, wife, rng.choice((1, 1, 2, 2, 3)), True, district, None, man.married_on
        )
        self.settle_local([man, wife], flat, {man.tid: man.married_on, wife.tid: man.married_on})
        for kid in kids:
            kid.hukou.append((kid.birth, flat))
            kid.homes.append((kid.birth, flat))
            kid.household_no, kid.head = man.household_no, man
        if rng.random() < 0.08:
            self.renamed(man if rng.random() < 0.5 else wife)
        for kid in kids:
            self.grown_child(kid, district)

    def grown_child(self, kid: Person, district: str) -> None:
        rng = self.rng
        age = kid.age_at(TODAY)
        if age >= 24 and rng.random() < min(0.9, (age - 20) * 0.09):
            spouse = self.spouse_for(kid, True, district)
            married = kid.married_on
            if rng.random() < 0.7:
                own = self.city.new_home(district if rng.random() < 0.6 else None)
                moved = [kid, spouse]
                self.settle_local(moved, own, {kid.tid: married, spouse.tid: married})
            else:  # the couple lives in the parents' flat
                parent_flat = kid.hukou[0][1]
                spouse.hukou.append((married, parent_flat))
                spouse.homes.append((married, parent_flat))
                spouse.household_no, spouse.head = kid.household_no, kid.head
            husband, wife = (kid, spouse) if kid.sex == "M" else (spouse, kid)
            grand = self.children_for(
                husband, wife, rng.choice((0, 1, 1, 2, 2)), True, district, None, married
            )
            home = kid.home_at(TODAY)
            for g in grand:
                g.hukou.append((g.birth, home))
                g.homes.append((g.birth, home))
                g.household_no, g.head = kid.household_no, kid.head
        elif age >= 20 and rng.random() < 0.25:
            # young adult renting a room elsewhere; registration stays with the parents
            start = day_between(rng, years_after(kid.birth, 20), TODAY)
            self.rent(kid.home_at(TODAY).point.road.district, [kid], start)

    def renamed(self, person: Person) -> None:
        rng = self.rng
        person.former_given = names.random_given(rng, person.sex, person.birth.year)
        if person.former_given == person.given:
            person.former_given = ""
            return
        person.renamed_on = day_between(rng, years_after(person.birth, 18), date(2015, 12, 31))
        self.facts["renamed"] += 1

    def migrant_household(self) -> None:
        rng = self.rng
        city = self.city
        district = city.random_district()
        hometown = city.hometown()
        first = self.new_person(
            rng.choice("MMF"), self.birth_in(1966, 2004), False, district, hometown
        )
        members = [first]
        roll = rng.random()
        if roll < 0.45 and first.age_at(TODAY) >= 23:
            spouse = self.spouse_for(first, False, district)
            spouse.hometown = hometown if rng.random() < 0.6 else spouse.hometown
            husband, wife = (first, spouse) if first.sex == "M" else (spouse, first)
            members.append(spouse)
            kids = self.children_for(
                husband, wife, rng.choice((0, 1, 1, 2)), False, district, hometown, first.married_on
            )
            members.extend(kids)
        elif roll < 0.6:
            for _ in range(rng.randint(1, 3)):  # unrelated room-mates
                members.append(
                    self.new_person(
                        rng.choice("MF"),
                        self.birth_in(1975, 2004),
                        False,
                        district,
                        city.hometown(),
                    )
                )
        arrival = max(
            date(2008, 1, 1),
            max(years_after(m.birth, 18) for m in members if m.age_at(TODAY) >= 18),
        )
        arrival = day_between(
            rng, min(arrival, TODAY - timedelta(days=90)), TODAY - timedelta(days=60)
        )
        self.rent(district, members, arrival)

    def rent(self, district: str, members: list[Person], arrival: date) -> None:
        """A sequence of tenancies from ``arrival`` to today, moving now and then."""
        rng = self.rng
        start = arrival
        while start < TODAY:
            years = rng.choice((0.8, 1.5, 2, 3, 4, 6, 10))
            end = years_after(start, years)
            end = None if end >= TODAY else end
            unit = self.free_unit(
                district if rng.random() < 0.8 else self.city.random_district(), start, end
            )
            present = [m for m in members if end is None or m.birth < end]
            adults = [m for m in present if m.age_at(start) >= 18] or present[:1]
            tenancy = Tenancy(unit, adults + [m for m in present if m not in adults], start, end)
            unit.tenancies.append(tenancy)
            self.world.tenancies.append(tenancy)
            for m in present:
                m.homes.append((max(start, m.birth), unit.place))
            if end is None:
                break
            start = end + timedelta(days=rng.randint(0, 40))
        for m in members:
            m.homes.sort(key=lambda h: h[0])

    def free_unit(self, district: str, start: date, end: date | None) -> RentalUnit:
        rng = self.rng
        end = end or date(2999, 1, 1)
        candidates = self.vacant.setdefault(district, [])
        for unit in rng.sample(candidates, min(len(candidates), 12)):
            if all((t.end or date(2999, 1, 1)) <= start or end <= t.start for t in unit.tenancies):
                return unit
        return self.new_rental_building(district)

    def new_rental_building(self, district: str) -> RentalUnit:
        rng = self.rng
        if self.landlords and rng.random() < 0.35:
            landlord = rng.choice(self.landlords)
        else:
            owners = self.owners[-400:]
            landlord = rng.choice(owners) if owners else self.pick_local_adult()
            self.landlords.append(landlord)
        point, building = self.city.rental_building(district)
        floors = rng.randint(2, 7)
        per_floor = rng.randint(1, 4)
        made = []
        for floor in range(1, floors + 1):
            for index in range(1, per_floor + 1):
                place = self.city.room_in(point, building, floor, index)
                unit = RentalUnit(f"TU{len(self.world.units) + 1:06d}", place, landlord)
                self.world.units.append(unit)
                self.vacant.setdefault(district, []).append(unit)
                made.append(unit)
        return rng.choice(made)

    def pick_local_adult(self) -> Person:
        """A local landlord created on the spot when no local adult exists yet."""
        district = self.city.random_district()
        person = self.new_person(self.rng.choice("MF"), self.birth_in(1950, 1980), True, district)
        flat = self.city.new_home(district)
        self.settle_local([person], flat)
        return person

    # --- the city at work ------------------------------------------------------------------
    def enterprises(self) -> None:
        rng = self.rng
        people = self.world.persons
        adults = [p for p in people if 25 <= p.age_at(TODAY) <= 68]
        n = max(12, len(people) // 11)
        cores = []
        syll = "华盛鑫隆恒泰嘉信达源丰裕宏运通汇聚德佳美新创科联拓展富耀金银星月海川润禾晟"
        syll += "锦粤顺安康荣卓越"
        while len(cores) < n:
            c = rng.choice(syll) + rng.choice(syll)
            if c[0] != c[1]:
                cores.append(c)
        industries = [
            "贸易",
            "科技",
            "餐饮管理",
            "物业管理",
            "建筑工程",
            "服装",
            "电子",
            "信息技术",
            "文化传播",
            "物流",
            "装饰工程",
            "投资咨询",
            "食品",
            "五金",
            "广告",
            "家具",
            "医疗器械",
            "教育咨询",
        ]
        shops = [
            "粉面店",
            "便利店",
            "五金店",
            "士多",
            "服装店",
            "水果店",
            "理发店",
            "烧腊店",
            "茶餐厅",
        ]
        reps: list[Person] = []
        approved: set[tuple] = set()
        while len(self.world.enterprises) < n:
            roll = rng.random()
            if reps and rng.random() < 0.12:
                rep = rng.choice(reps)  # a serial entrepreneur
            else:
                rep = rng.choice(adults)
                reps.append(rep)
            district = self.city.random_district()
            founded = day_between(rng, date(1998, 1, 1), date(2024, 3, 1))
            # A name (字号 + line of business) is approved only once in the city, whatever its
            # legal form; a shop's name once in its district.
            if roll < 0.7:
                kind = "company"
                prior = self.companies_of.get(rep.tid, [])
                # a serial entrepreneur often keeps the 字号 in another line of business
                core = prior[0].core if prior and rng.random() < 0.6 else rng.choice(cores)
                industry = rng.choice(industries)
                key = (core, industry)
                form = rng.choices(["有限公司", "有限责任公司", "股份有限公司"], [80, 15, 5])[0]
            else:
                kind, core = "individual", rep.surname + rng.choice("记氏")
                if rng.random() < 0.5:
                    core = rng.choice(cores)
                industry, form = "", rng.choice(shops)
                key = (district, core, form)
            if key in approved:
                continue
            approved.add(key)
            e = self.enterprise(kind, core, industry, form, district, founded, rep)
            if kind == "company":
                self.companies_of.setdefault(rep.tid, []).append(e)
                if founded < date(2019, 1, 1) and rng.random() < 0.05:
                    former = (rng.choice(cores), industry)
                    if former not in approved:  # renamed later; the old name stays taken
                        approved.add(former)
                        e.former_core = former[0]
                        e.renamed_on = day_between(rng, years_after(founded, 1), date(2023, 12, 1))
                        self.facts["renamed_enterprises"] += 1
            if kind == "company" and rng.random() < 0.08:
                self.branch(e, adults)

    def enterprise(self, kind, core, industry, form, district, founded, rep, parent=None):
        rng = self.rng
        code = self.city.district_code(district)
        region = code if rng.random() < 0.7 else "440101"
        modern = founded >= date(2015, 10, 1) or rng.random() < 0.2
        body = identity.random_org_body(rng, modern)
        uscc = identity.uscc("9", "2" if kind == "individual" else "1", region, body)
        regno = "" if founded >= date(2016, 1, 1) else _regno(rng, code)
        status = rng.choices(["存续", "在业", "注销", "吊销"], [70, 15, 10, 5])[0]
        nature = (
            rng.choices(
                ["私营企业", "个体经济", "国有企业", "集体企业", "外商投资企业", "港澳台投资企业"],
                [60, 0, 6, 4, 6, 5],
            )[0]
            if kind != "individual"
            else "个体经济"
        )
        phone = rep.phone_at(founded) if rng.random() < 0.4 else identity.random_landline(rng)
        e = Enterprise(
            tid=f"TE{len(self.world.enterprises) + 1:06d}",
            core=core,
            industry=industry,
            form=form,
            district=district,
            kind=kind,
            uscc=uscc,
            regno=regno,
            founded=founded,
            status=status,
            nature=nature,
            non_public=nature in ("私营企业", "个体经济", "外商投资企业", "港澳台投资企业"),
            address=self.city.office(district),
            rep=rep,
            phone=phone or identity.random_landline(rng),
            weight=rng.paretovariate(1.2) if kind == "company" else 0.3,
            parent=parent,
        )
        if kind == "company" and rng.random() < 0.1:
            e.city_prefix = "广州"
        self.world.enterprises.append(e)
        return e

    def branch(self, parent: Enterprise, adults: list[Person]) -> None:
        rng = self.rng
        district = self.city.random_district()
        label = rng.choice(
            [district[:-1] + "分公司", "第一分公司", "第二分公司", district[:-1] + "营业部"]
        )
        b = self.enterprise(
            "branch",
            parent.core,
            parent.industry,
            parent.form,
            district,
            day_between(rng, parent.founded, date(2024, 3, 1)),
            rng.choice(adults),
            parent,
        )
        b.branch_label = label
        b.weight = parent.weight * 0.4

    def employment(self) -> None:
        rng = self.rng
        firms = [e for e in self.world.enterprises if e.kind != "individual"]
        cum = list(accumulate(e.weight for e in firms))

        def firm() -> Enterprise:
            return rng.choices(firms, cum_weights=cum)[0]

        for p in self.world.persons:
            age = p.age_at(TODAY)
            if age < 6:
                p.work_status = "child"
                continue
            if age < 19:
                p.work_status = "student"
                continue
            if age >= 62:
                p.work_status = "retired"
                continue
            roll = rng.random()
            start = day_between(rng, max(years_after(p.birth, 19), date(2005, 1, 1)), TODAY)
            if roll < 0.35 and start > date(2008, 1, 1):
                earlier = day_between(rng, max(years_after(p.birth, 18), date(2003, 1, 1)), start)
                p.jobs.append(Job(firm(), earlier, start))
            if roll < 0.72:
                p.work_status = "employed"
                p.jobs.append(Job(firm(), start, None))
            elif roll < 0.79:
                p.work_status = "unemployed"
                if not p.jobs:
                    p.jobs.append(Job(firm(), start - timedelta(700), start))
            elif roll < 0.86:
                p.work_status = "flexible"
            else:
                p.work_status = "none"
            p.education = rng.choices(
                ["小学", "初中", "高中", "中专", "大专", "本科", "硕士研究生"],
                [5, 25, 20, 15, 15, 17, 3],
            )[0]

    def vendors(self) -> None:
        rng = self.rng
        adults = [p for p in self.world.persons if 22 <= p.age_at(TODAY) <= 66]
        kinds = [
            ("无证摆卖", 45),
            ("占道经营", 30),
            ("流动摆卖", 10),
            ("店外经营", 8),
            ("张贴小广告", 4),
            ("夜间占道烧烤", 3),
        ]
        for p in adults:
            if rng.random() >= (0.05 if not p.local else 0.015):
                continue
            shop = next(
                (e for e in self.world.enterprises if e.rep is p and e.kind == "individual"), None
            )
            roll = rng.random()
            count = 1 if roll < 0.5 else rng.randint(2, 5) if roll < 0.85 else rng.randint(6, 16)
            base = p.home_at(TODAY)
            haunts = [self.city.near(base) for _ in range(rng.randint(1, 3))]
            for _ in range(count):
                when = day_between(rng, date(2017, 1, 1), TODAY)
                point = rng.choice(haunts)
                kind = rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
                outcome = rng.choices(
                    ["教育警告", "责令改正", "罚款", "暂扣物品"], [35, 25, 28, 12]
                )[0]
                fine = rng.choice((50, 100, 200, 500)) if outcome == "罚款" else 0
                road = point.road
                squad = rng.choice(
                    [
                        road.street.removesuffix("街道").removesuffix("镇") + "执法队",
                        road.district + "城管执法中队",
                    ]
                )
                self.world.violations.append(
                    Violation(
                        p,
                        when,
                        point,
                        rng.choice(("", "", "", "旁", "路口", "对面", "门口")),
                        kind,
                        outcome,
                        fine,
                        squad,
                        shop if kind == "店外经营" else None,
                    )
                )

    def registrations(self) -> None:
        rng = self.rng
        seen = set()
        for p in self.world.persons:
            if p.spouse is None or p.tid in seen:
                continue
            seen.add(p.tid)
            seen.add(p.spouse.tid)
            husband, wife = (p, p.spouse) if p.sex == "M" else (p.spouse, p)
            chance = 0.88 if (husband.local or wife.local) else 0.3
            if husband.married_on < date(1990, 1, 1):
                chance *= 0.4  # paper-era marriages rarely in the digital register
            if rng.random() < chance:
                home = wife.hukou_at(husband.married_on) or wife.home_at(TODAY)
                district = (
                    home.point.road.district
                    if rng.random() < 0.8
                    else (self.city.random_district())
                )
                self.world.marriages.append(Marriage(husband, wife, husband.married_on, district))

    def build(self) -> World:
        rng = self.rng
        while len(self.world.persons) < self.target:
            if rng.random() < 0.28:
                self.local_lineage()
            else:
                self.migrant_household()
        # phones and family sharing
        for p in self.world.persons:
            self.give_phones(p)
        for p in self.world.persons:
            if p.hukou and rng.random() < 0.25 and p.head is p:
                p.landline = identity.random_landline(rng)
        for p in self.world.persons:
            if p.head is not None and p.head.landline:
                p.landline = p.head.landline
            if not p.phones and p.age_at(TODAY) >= 15:
                helper = next((c for c in p.children if c.phones), None) or p.spouse
                if helper is not None and helper.phones:
                    p.phones.append((p.birth, helper.phones[-1][1]))
                    self.facts["shared_family_phones"] += 1
        for district, _code, _old, _weight in geo.DISTRICTS:
            self.world.marriage_offices[district] = self.city.office(district)
            for i in range(self.rng.choice((1, 2, 2, 3))):
                label = ("人民医院", "妇幼保健院", "中医医院")[i]
                hospital = district + label
                self.world.hospitals.append((hospital, district, self.city.office(district)))
        self.enterprises()
        self.employment()
        self.vendors()
        self.registrations()
        for p in self.world.persons:
            p.homes.sort(key=lambda h: h[0])
            p.hukou.sort(key=lambda h: h[0])
        self.world.facts = dict(self.facts)
        self.world.facts["persons"] = len(self.world.persons)
        self.world.facts["locals"] = sum(p.local for p in self.world.persons)
        self.world.facts["enterprises"] = len(self.world.enterprises)
        self.world.facts["branches"] = sum(e.kind == "branch" for e in self.world.enterprises)
        self.world.facts["rental_units"] = len(self.world.units)
        self.world.facts["tenancies"] = len(self.world.tenancies)
        self.world.facts["violations"] = len(self.world.violations)
        self.world.facts["vendors"] = len({v.vendor.tid for v in self.world.violations})
        self.world.facts["marriages_registered"] = len(self.world.marriages)
        return self.world


def _regno(rng: random.Random, region: str) -> str:
    """An old 15-digit business registration number (注册号), ISO 7064 MOD 11,10 check digit."""
    body = region + f"{rng.randrange(10**8):08d}"
    p = 10
    for c in body:
        s = (p + int(c)) % 10 or 10
        p = (2 * s) % 11
    return body + str((11 - p) % 10)


def build_world(rng: random.Random, persons: int) -> World:
    return _Builder(rng, persons).build()
