"""The true city: persons in households, enterprises, rental units, jobs, vendors, events.

This is the ground truth every department's file is later drawn from (with noise). Persons come
in households: local families registered in Guangzhou (singles, couples, parents with children,
three generations), migrant households registered elsewhere, and a few foreigners. Enterprises
have legal representatives and sometimes branches; rental units have a landlord and tenants,
current and past. Everything is drawn from one ``random.Random`` in a fixed order, so the same
seed gives the same city.
"""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from huitong.citygen._text import words
from huitong.citygen.geography import Address, Geography
from huitong.citygen.identifiers import (
    make_landline,
    make_mobile,
    make_passport,
    make_resident_id,
    make_uscc,
)
from huitong.citygen.names import NameSampler

TODAY = dt.date(2025, 6, 30)

INDUSTRIES = words(
    "贸易 科技 餐饮管理 建筑工程 物业管理 服装 电子科技 投资咨询 文化传播 物流 房地产开发 装饰工程 "
    "信息技术 生物科技 汽车服务 商贸 实业 网络科技 教育咨询 医疗器械 食品 五金制品 印刷 美容美发 "
    "家政服务 人力资源 广告 酒店管理 化工 皮具"
)
BRAND_CHARS = (
    "恒通宏达鑫源金华兴盛富泰安顺利发隆昌嘉汇德信和祥瑞丰永腾飞越卓优博创新捷联众诚志远海天星辰"
    "云宇骏晟铭悦锦绿蓝中粤穗羊城珠江南方美佳荣凯"
)
# economic nature: (label, weight, non-public, company type)
NATURES = (
    ("私营", 78, "是", "有限责任公司（自然人投资或控股）"),
    ("国有", 5, "否", "有限责任公司（国有独资）"),
    ("集体", 2, "否", "集体所有制"),
    ("外资", 8, "是", "有限责任公司（外国法人独资）"),
    ("港澳台", 7, "是", "有限责任公司（台港澳法人独资）"),
)
STATUSES = (("存续", 62), ("在业", 18), ("吊销", 7), ("注销", 13))
HOSPITALS = words(
    "广州市第一人民医院 中山大学附属第一医院 南方医科大学南方医院 广东省妇幼保健院 "
    "广州市妇女儿童医疗中心 暨南大学附属第一医院 广州医科大学附属第三医院 广州市番禺区妇幼保健院 "
    "广州市白云区妇幼保健院 广州市花都区妇幼保健院 广州市增城区妇幼保健院 广州市天河区妇幼保健院"
)
HOTSPOT_MARKS = words("门前 旁 对面 人行道 路口 地铁站A出口 地铁站B出口 市场门口 天桥底 公交站旁")


@dataclass(slots=True)
class Person:
    index: int
    surname: str
    given: str
    male: bool
    birth: dt.date
    id_number: str  # 18-char resident ID, or the passport number of a foreigner
    nationality: str = "CHN"
    passport: str = ""
    local: bool = True  # household registered in Guangzhou
    hukou: Address | None = None
    hukou_text: str = ""  # household registration outside Guangzhou
    residence: Address | None = None
    phone: str = ""
    old_phone: str = ""
    household: int = -1
    relation_to_head: str = "户主"
    spouse: int = -1
    mother: int = -1
    father: int = -1
    children: list[int] = field(default_factory=list)
    married_on: dt.date | None = None
    died_on: dt.date | None = None
    moved_in_on: dt.date | None = None
    moved_in_from: str = ""
    moved_out_on: dt.date | None = None
    moved_out_to: str = ""
    employment: str = ""  # 在职 / 失业 / 灵活就业 / "" (not in the labour force)
    employer: int = -1
    employed_since: dt.date | None = None
    last_employer: int = -1  # of the unemployed
    last_employer_until: dt.date | None = None
    past_jobs: list[tuple[int, dt.date]] = field(default_factory=list)  # (employer, left on)
    insured_since: dt.date | None = None

    @property
    def true_id(self) -> str:
        return f"P{self.index + 1:06d}"

    @property
    def foreign(self) -> bool:
        return self.nationality != "CHN"

    def age(self, on: dt.date = TODAY) -> int:
        return on.year - self.birth.year - ((on.month, on.day) < (self.birth.month, self.birth.day))

    def alive(self) -> bool:
        return self.died_on is None


@dataclass(slots=True)
class Enterprise:
    index: int
    brand: str
    industry: str
    name: str
    uscc: str
    district: str
    address: Address
    phone: str
    legal_rep: int
    nature: str
    non_public: str
    company_type: str
    status: str
    founded: dt.date
    capital: int  # 万元
    parent: int = -1
    previous_rep: int = -1
    rep_changed_on: dt.date | None = None

    @property
    def true_id(self) -> str:
        return f"E{self.index + 1:06d}"


@dataclass(slots=True)
class Tenancy:
    tenant: int
    start: dt.date
    end: dt.date | None  # None: current


@dataclass(slots=True)
class RentalUnit:
    index: int
    address: Address
    landlord: int
    listed_on: dt.date
    rent: int
    use: str
    tenancies: list[Tenancy] = field(default_factory=list)

    @property
    def true_id(self) -> str:
        return f"U{self.index + 1:06d}"


@dataclass(slots=True)
class Violation:
    vendor: int
    day: dt.date
    place: Address
    mark: str
    kind: str
    outcome: str
    fine: int


@dataclass(slots=True)
class Facility:
    name: str
    district: str
    address: Address


@dataclass
class World:
    """Everything true about the city; sources are views of it."""

    geography: Geography
    persons: list[Person]
    households: list[list[int]]
    enterprises: list[Enterprise]
    rental_units: list[RentalUnit]
    violations: list[Violation]
    hospitals: list[Facility]
    marriage_offices: dict[str, Facility]
    clinics: dict[str, Facility]  # street: its community health centre
    patterns: dict[str, Any] = field(default_factory=dict)  # planted by .patterns

    def relatives(self, person: Person) -> list[int]:
        """Spouse, parents and children of a person (indices), in that order."""
        found = [person.spouse, person.mother, person.father, *person.children]
        return [index for index in found if index >= 0]


def random_day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    if end <= start:
        return start
    return dt.date.fromordinal(rng.randint(start.toordinal(), end.toordinal()))


def years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class _Builder:
    def __init__(self, persons: int, rng: random.Random) -> None:
        self.target = persons
        self.rng = rng
        self.geo = Geography(rng)
        self.names = NameSampler(rng)
        self.persons: list[Person] = []
        self.households: list[list[int]] = []
        self.used_ids: set[str] = set()

    # -- persons ------------------------------------------------------------------------------
    def birth_day(self, first_year: int, last_year: int) -> dt.date:
        return random_day(
            self.rng, dt.date(first_year, 1, 1), min(dt.date(last_year, 12, 31), TODAY)
        )

    def add_person(
        self,
        male: bool,
        birth: dt.date,
        region: str,
        household: int,
        relation: str,
        surname: str | None = None,
        nationality: str = "CHN",
    ) -> Person:
        rng = self.rng
        index = len(self.persons)
        if nationality == "CHN":
            given = self.names.given(male, birth.year)
            while True:
                sequence = rng.randrange(500) * 2 + (1 if male else 0)
                id_number = make_resident_id(region, birth, sequence)
                if id_number not in self.used_ids:
                    break
            person = Person(index, surname or self.names.surname(), given, male, birth, id_number)
        else:
            foreign_surname, given = self.names.foreign(nationality, male)
            passport = make_passport(rng, nationality)
            person = Person(
                index, foreign_surname, given, male, birth, passport, nationality, passport
            )
            person.local = False
        self.used_ids.add(person.id_number)
        person.household = household
        person.relation_to_head = relation
        age = person.age()
        if age >= 16 and rng.random() < (0.6 if age >= 75 else 0.96):
            person.phone = make_mobile(rng)
            if rng.random() < 0.15:
                person.old_phone = make_mobile(rng)
        self.persons.append(person)
        self.households[household].append(index)
        return person

    def marry(self, husband: Person, wife: Person) -> None:
        husband.spouse, wife.spouse = wife.index, husband.index
        younger = max(husband.birth, wife.birth)
        day = years_after(younger, self.rng.randint(21, 33))
        day = min(day + dt.timedelta(days=self.rng.randint(0, 364)), TODAY)
        husband.married_on = wife.married_on = day

    def add_children(
        self, father: Person | None, mother: Person, household: int, region: str, surname: str
    ) -> None:
        rng = self.rng
        count = rng.choices((1, 2, 3), weights=(45, 45, 10))[0]
        day = years_after(mother.birth, rng.randint(22, 34))
        for _ in range(count):
            if day > TODAY:
                break
            child_surname = surname if rng.random() < 0.95 else mother.surname
            child = self.add_person(
                rng.random() < 0.52, day, region, household, "子女", surname=child_surname
            )
            child.mother = mother.index
            mother.children.append(child.index)
            if father is not None:
                child.father = father.index
                father.children.append(child.index)
            day = day + dt.timedelta(days=rng.randint(500, 2200))

    def local_region(self, district: str) -> tuple[str, str]:
        """The region code in a local's ID and, if it is not the district's, where from."""
        roll = self.rng.random()
        if roll < 0.85:
            return self.geo.district_code[district], ""
        if roll < 0.93:
            other = self.rng.choice(self.geo.district_names)
            return self.geo.district_code[other], f"广州市{other}"
        code, place = self.geo.other_region()
        return code, place

    def new_household(self) -> int:
        self.households.append([])
        return len(self.households) - 1

    def local_household(self) -> None:
        rng = self.rng
        household = self.new_household()
        district = self.geo.district()
        region, origin = self.local_region(district)
        home = self.geo.dwelling(district)
        shape = rng.random()
        members: list[Person] = []
        if shape < 0.16:
            male = rng.random() < 0.5
            members.append(
                self.add_person(male, self.birth_day(1940, 2004), region, household, "户主")
            )
        else:
            three_generations = shape >= 0.84
            years = (1962, 1996) if three_generations else (1940, 1998)
            husband = self.add_person(True, self.birth_day(*years), region, household, "户主")
            wife_region = region if rng.random() < 0.8 else self.local_region(district)[0]
            wife_birth = husband.birth + dt.timedelta(days=int(rng.gauss(2.5, 2.5) * 365))
            wife_birth = min(max(wife_birth, dt.date(1935, 1, 1)), dt.date(2004, 12, 31))
            wife = self.add_person(False, wife_birth, wife_region, household, "配偶")
            self.marry(husband, wife)
            members += [husband, wife]
            if shape >= 0.34:
                before = len(self.persons)
                self.add_children(
                    husband, wife, household, self.geo.district_code[district], husband.surname
                )
                members += self.persons[before:]
            if three_generations:
                members += self.grandparents(husband, household, region)
        for person in members:
            person.hukou = home
            if origin and person.relation_to_head in ("户主", "配偶"):
                person.moved_in_from = origin
                start = max(years_after(person.birth, 18), dt.date(1995, 1, 1))
                person.moved_in_on = random_day(rng, start, TODAY)
        if rng.random() >= 0.3 or members[0].age() >= 70:  # else they rent elsewhere
            for person in members:
                person.residence = home

    def grandparents(self, son: Person, household: int, region: str) -> list[Person]:
        rng = self.rng
        father_birth = years_after(son.birth, -rng.randint(24, 34))
        added: list[Person] = []
        grandfather = None
        if rng.random() < 0.6:
            grandfather = self.add_person(
                True, father_birth, region, household, "父母", son.surname
            )
            added.append(grandfather)
        mother_birth = father_birth + dt.timedelta(days=rng.randint(-900, 1500))
        grandmother = self.add_person(False, mother_birth, region, household, "父母")
        added.append(grandmother)
        son.mother = grandmother.index
        grandmother.children.append(son.index)
        if grandfather is not None:
            self.marry(grandfather, grandmother)
            son.father = grandfather.index
            grandfather.children.append(son.index)
        return added

    def migrant_household(self) -> None:
        rng = self.rng
        household = self.new_household()
        region, place = self.geo.other_region()
        members: list[Person] = []
        shape = rng.random()
        if shape < 0.55:
            members.append(
                self.add_person(
                    rng.random() < 0.55, self.birth_day(1965, 2006), region, household, "户主"
                )
            )
        else:
            husband = self.add_person(True, self.birth_day(1960, 2000), region, household, "户主")
            wife_birth = husband.birth + dt.timedelta(days=int(rng.gauss(2.0, 2.0) * 365))
            wife_birth = min(wife_birth, dt.date(2004, 12, 31))
            wife = self.add_person(False, wife_birth, region, household, "配偶")
            self.marry(husband, wife)
            members += [husband, wife]
            if shape >= 0.75:
                before = len(self.persons)
                self.add_children(husband, wife, household, region, husband.surname)
                members += self.persons[before:]
        village = self.geo.village_address(place)
        for person in members:
            person.local = False
            person.hukou_text = village
        if rng.random() >= 0.9:  # a dormitory; the others rent
            dorm = self.geo.dwelling()
            for person in members:
                person.residence = dorm

    def foreign_household(self) -> None:
        rng = self.rng
        household = self.new_household()
        nationality = self.names.nationality()
        person = self.add_person(
            rng.random() < 0.6,
            self.birth_day(1955, 2002),
            "",
            household,
            "户主",
            nationality=nationality,
        )
        spouse_roll = rng.random()
        if spouse_roll < 0.3:  # married to a local Chinese citizen
            district = self.geo.district()
            spouse = self.add_person(
                not person.male,
                self.birth_day(1960, 2000),
                self.geo.district_code[district],
                household,
                "户主",  # the only member in the household register
            )
            spouse.hukou = self.geo.dwelling(district)
            husband, wife = (person, spouse) if person.male else (spouse, person)
            self.marry(husband, wife)
        elif spouse_roll < 0.45:
            spouse = self.add_person(
                not person.male,
                self.birth_day(1955, 2002),
                "",
                household,
                "配偶",
                nationality=nationality,
            )
            husband, wife = (person, spouse) if person.male else (spouse, person)
            self.marry(husband, wife)

    def populate(self) -> None:
        rng = self.rng
        while len(self.persons) < self.target:
            roll = rng.random()
            if roll < 0.012:
                self.foreign_household()
            elif roll < 0.306:
                self.migrant_household()
            else:
                self.local_household()
        self.trim()
        self.life_events()

    def trim(self) -> None:
        """Drop the persons beyond the target (the last household is cut short)."""
        extra = self.persons[self.target :]
        cut = {person.index for person in extra}
        del self.persons[self.target :]
        for household in self.households:
            household[:] = [index for index in household if index not in cut]
        self.households = [household for household in self.households if household]
        for person in self.persons:
            if person.spouse in cut:
                person.spouse, person.married_on = -1, None
            if person.mother in cut:
                person.mother = -1
            if person.father in cut:
                person.father = -1
            person.children = [child for child in person.children if child not in cut]
        for number, household in enumerate(self.households):
            for index in household:
                self.persons[index].household = number

    def life_events(self) -> None:
        rng = self.rng
        for person in self.persons:
            if person.birth.year < 1952 and rng.random() < 0.22:
                person.died_on = random_day(rng, dt.date(2016, 1, 1), TODAY)
            elif person.local and person.hukou and person.age() >= 20 and rng.random() < 0.012:
                person.moved_out_on = random_day(rng, dt.date(2015, 1, 1), TODAY)
                person.moved_out_to = rng.choice(
                    ("深圳市", "佛山市", "东莞市", "上海市", "北京市", "珠海市", "境外")
                )

    # -- enterprises --------------------------------------------------------------------------
    def enterprises(self) -> list[Enterprise]:
        rng = self.rng
        target = max(10, round(self.target / 20))
        everyone = [p.index for p in self.persons]
        adults = [
            p.index for p in self.persons if 1950 <= p.birth.year <= 1998 and not p.foreign
        ] or everyone
        foreign_adults = [p.index for p in self.persons if p.foreign and p.age() >= 25]
        nature_cum = list(accumulate(weight for _, weight, _, _ in NATURES))
        status_labels = [label for label, _ in STATUSES]
        status_weights = [weight for _, weight in STATUSES]
        used_names: set[str] = set()
        serial_reps: list[int] = []
        result: list[Enterprise] = []
        while len(result) < target:
            if result and rng.random() < 0.08:
                result.append(self.branch(result, adults))
                continue
            nature, _, non_public, company_type = NATURES[
                bisect(nature_cum, rng.random() * nature_cum[-1])
            ]
            while True:
                brand = rng.choice(BRAND_CHARS) + rng.choice(BRAND_CHARS)
                industry = rng.choice(INDUSTRIES)
                if brand[0] != brand[1] and brand + industry not in used_names:
                    used_names.add(brand + industry)
                    break
            form = "股份有限公司" if nature == "国有" and rng.random() < 0.3 else "有限公司"
            style = rng.random()
            if nature in ("外资", "港澳台") and style < 0.5:
                name = f"{brand}{industry}（广州）{form}"
            elif style < 0.06:
                name = f"广州{brand}{industry}{form}"
            else:
                name = f"广州市{brand}{industry}{form}"
            if nature == "外资" and foreign_adults and rng.random() < 0.6:
                rep = rng.choice(foreign_adults)
            elif serial_reps and rng.random() < 0.2:
                rep = rng.choice(serial_reps)
            else:
                rep = rng.choice(adults)
                serial_reps.append(rep)
            district = self.geo.district()
            founded = random_day(rng, dt.date(1992, 1, 1), TODAY)
            enterprise = Enterprise(
                index=len(result),
                brand=brand,
                industry=industry,
                name=name,
                uscc=make_uscc(rng, self.geo.district_code[district]),
                district=district,
                address=self.geo.premises(district),
                phone=make_landline(rng) if rng.random() < 0.6 else self.persons[rep].phone,
                legal_rep=rep,
                nature=nature,
                non_public=non_public,
                company_type=company_type,
                status=rng.choices(status_labels, weights=status_weights)[0],
                founded=founded,
                capital=rng.choice((10, 30, 50, 100, 100, 200, 500, 1000, 5000)),
            )
            if rng.random() < 0.06 and founded < dt.date(2022, 1, 1):
                enterprise.previous_rep = rng.choice(adults)
                enterprise.rep_changed_on = random_day(rng, founded, TODAY)
            result.append(enterprise)
        return result

    def branch(self, so_far: list[Enterprise], adults: list[int]) -> Enterprise:
        rng = self.rng
        parent = rng.choice(so_far)
        if parent.parent >= 0:
            parent = so_far[parent.parent]
        district = rng.choice([d for d in self.geo.district_names if d != parent.district])
        name = f"{parent.name}{district.removesuffix('区')}分公司"
        return Enterprise(
            index=len(so_far),
            brand=parent.brand,
            industry=parent.industry,
            name=name,
            uscc=make_uscc(rng, self.geo.district_code[district]),
            district=district,
            address=self.geo.premises(district),
            phone=make_landline(rng),
            legal_rep=rng.choice(adults),
            nature=parent.nature,
            non_public=parent.non_public,
            company_type=parent.company_type.replace("有限责任公司", "有限责任公司分公司", 1),
            status="存续" if parent.status in ("存续", "在业") else parent.status,
            founded=random_day(rng, parent.founded, TODAY),
            capital=0,
            parent=parent.index,
        )

    # -- jobs ---------------------------------------------------------------------------------
    def employment(self, enterprises: list[Enterprise]) -> None:
        rng = self.rng
        active = [e for e in enterprises if e.status in ("存续", "在业")]
        # Pareto-skewed firm sizes, capped so that no firm employs more than about 1% of the
        # city (uncapped, one firm of a 100k city employed 59,000 people).
        sizes = list(accumulate(min(rng.paretovariate(1.2), 300.0) for _ in active))
        foreign_firms = [e.index for e in active if e.nature in ("外资", "港澳台")]

        def pick(person: Person) -> int:
            if person.foreign and foreign_firms and rng.random() < 0.7:
                return rng.choice(foreign_firms)
            return active[bisect(sizes, rng.random() * sizes[-1])].index

        for person in self.persons:
            age = person.age()
            if not person.alive() or age < 18 or age > 62:
                continue
            roll = rng.random()
            if person.foreign:
                roll *= 0.6
            earliest = max(years_after(person.birth, 18), dt.date(2000, 1, 1))
            if roll < 0.62:
                person.employment = "在职"
                person.employer = pick(person)
                start = max(earliest, enterprises[person.employer].founded)
                person.employed_since = random_day(rng, start, TODAY)
                left = person.employed_since
                for _ in range(rng.choices((0, 1, 2, 3), weights=(45, 30, 17, 8))[0]):
                    if left <= earliest:
                        break
                    person.past_jobs.append((pick(person), left))
                    left = random_day(rng, earliest, left)
            elif roll < 0.70:
                person.employment = "灵活就业"
            elif roll < 0.76:
                person.employment = "失业"
                person.last_employer = pick(person)
                person.last_employer_until = random_day(rng, dt.date(2022, 1, 1), TODAY)
            else:
                continue
            first_left = [left for _, left in person.past_jobs]
            first_left.append(person.last_employer_until or person.employed_since or TODAY)
            person.insured_since = random_day(rng, earliest, min(first_left))

    # -- rental housing -----------------------------------------------------------------------
    def rental_units(self) -> list[RentalUnit]:
        rng = self.rng
        units: list[RentalUnit] = []
        landlords = [
            p.index
            for p in self.persons
            if p.local and p.alive() and p.birth.year <= 1985 and p.residence is not None
        ] or [p.index for p in self.persons]
        landlords = rng.sample(landlords, max(1, min(len(landlords), self.target // 12)))
        # Pareto-skewed portfolios, capped: a few landlords own dozens of units, none half a city.
        weights = list(accumulate(min(rng.paretovariate(1.3), 30.0) for _ in landlords))

        def new_unit() -> RentalUnit:
            unit = RentalUnit(
                index=len(units),
                address=self.geo.dwelling(),
                landlord=landlords[bisect(weights, rng.random() * weights[-1])],
                listed_on=random_day(rng, dt.date(2012, 1, 1), dt.date(2024, 12, 31)),
                rent=rng.randrange(800, 6000, 50),
                use=rng.choices(("居住", "商住", "仓储"), weights=(90, 8, 2))[0],
            )
            units.append(unit)
            return unit

        # a household whose residence is still open rents a unit
        renting = [h for h in self.households if self.persons[h[0]].residence is None]
        singles: list[int] = []
        for household in renting:
            if len(household) == 1 and not self.persons[household[0]].local:
                singles.append(household[0])
            else:
                self.move_in(new_unit(), household)
        while singles:  # migrant singles share a unit two to four at a time, or live alone
            size = 1 if rng.random() < 0.6 else rng.randint(2, 4)
            group, singles = singles[:size], singles[size:]
            self.move_in(new_unit(), group)
        target = max(1, round(self.target / 4))
        while len(units) < target:  # vacant now, or let only in the past
            new_unit()
        renters = [p.index for p in self.persons if p.age() >= 18 and p.alive()]
        renters = renters or [p.index for p in self.persons]
        for unit in units:
            if rng.random() < (0.35 if unit.tenancies else 0.7):
                end = min((t.start for t in unit.tenancies), default=TODAY)
                for _ in range(rng.randint(1, 2)):
                    start = random_day(rng, unit.listed_on, end)
                    if start >= end:
                        break
                    tenant = rng.choice(renters)
                    unit.tenancies.append(Tenancy(tenant, start, end))
                    end = start
        return units

    def move_in(self, unit: RentalUnit, members: list[int]) -> None:
        start = random_day(self.rng, unit.listed_on, TODAY)
        for index in members:
            person = self.persons[index]
            person.residence = unit.address
            if person.age() >= 16:
                unit.tenancies.append(Tenancy(index, max(start, person.birth), None))

    # -- street vendors -----------------------------------------------------------------------
    def violations(self) -> list[Violation]:
        rng = self.rng
        hotspots = [
            self.geo.premises(with_room=False)._replace(building=0)
            for _ in range(max(10, self.target // 400))
        ]
        candidates = [
            p for p in self.persons if p.alive() and 22 <= p.age() <= 68 and not p.foreign
        ]
        weights = list(
            accumulate(
                3.0 if not p.local or p.employment in ("失业", "灵活就业") else 1.0
                for p in candidates
            )
        )
        count = max(5, round(self.target * 0.012))
        chosen: dict[int, None] = {}
        while len(chosen) < min(count, len(candidates)):
            chosen[candidates[bisect(weights, rng.random() * weights[-1])].index] = None
        kinds = ("占道经营", "无证摊贩", "流动摊贩", "店外经营", "乱摆卖", "违规设置广告")
        kind_weights = (35, 25, 15, 12, 9, 4)
        result: list[Violation] = []
        for vendor in chosen:
            tier = rng.random()
            if tier < 0.55:
                times = 1
            elif tier < 0.75:
                times = 2
            elif tier < 0.92:
                times = rng.randint(3, 5)
            else:
                times = rng.randint(6, 15)
            haunts = rng.sample(hotspots, min(len(hotspots), rng.randint(1, 2)))
            marks = [rng.choice(HOTSPOT_MARKS) for _ in haunts]
            usual = rng.choices(kinds, weights=kind_weights)[0]
            for _ in range(times):
                spot = rng.randrange(len(haunts))
                place, mark = haunts[spot], marks[spot]
                if rng.random() < 0.12:
                    place, mark = rng.choice(hotspots), rng.choice(HOTSPOT_MARKS)
                kind = usual if rng.random() < 0.7 else rng.choices(kinds, weights=kind_weights)[0]
                outcome = rng.choices(
                    ("警告", "罚款", "暂扣物品", "责令改正"), weights=(30, 40, 15, 15)
                )[0]
                fine = rng.randrange(50, 50 + 100 * min(times, 10), 50) if outcome == "罚款" else 0
                day = random_day(rng, dt.date(2020, 1, 1), TODAY)
                result.append(Violation(vendor, day, place, mark, kind, outcome, fine))
        return result

    def facilities(self) -> tuple[list[Facility], dict[str, Facility], dict[str, Facility]]:
        hospitals = []
        for name in HOSPITALS:
            district = next((d for d in self.geo.district_names if d in name), None)
            district = district or self.geo.district()
            hospitals.append(Facility(name, district, self.geo.premises(district, with_room=False)))
        offices = {
            district: Facility(
                f"广州市{district}民政局婚姻登记处",
                district,
                self.geo.premises(district, with_room=False),
            )
            for district in self.geo.district_names
        }
        clinics = {}
        for district, street, _ in self.geo.communities:
            if street not in clinics:
                name = f"{district}{street.removesuffix('道')}社区卫生服务中心"
                address = self.geo.premises(district, with_room=False)
                clinics[street] = Facility(name, district, address)
        return hospitals, offices, clinics


def build_world(persons: int, rng: random.Random) -> World:
    """The whole true city for ``persons`` people, drawn from ``rng``."""
    builder = _Builder(persons, rng)
    builder.populate()
    enterprises = builder.enterprises()
    builder.employment(enterprises)
    units = builder.rental_units()
    violations = builder.violations()
    hospitals, offices, clinics = builder.facilities()
    return World(
        geography=builder.geo,
        persons=builder.persons,
        households=builder.households,
        enterprises=enterprises,
        rental_units=units,
        violations=violations,
        hospitals=hospitals,
        marriage_offices=offices,
        clinics=clinics,
    )
