"""How departments write the same truth differently: the noise, its rates, and a count of it.

Every value a source writes goes through a :class:`Noiser`, which draws from the source's own
seeded ``random.Random`` and counts, per kind, how many values were *eligible* for that kind and
how many it was *applied* to; ``noise.json`` reports both and their ratio, so the rates below
are checked, not just promised. A kind's rate is a probability per eligible value:

==============================  ============================================================
kind                            what happens (eligible values)
==============================  ============================================================
name_homophone                  one given-name char → a homophone: 伟/玮/炜, 丽/莉/俐, 明/铭
name_traditional                simplified → traditional chars: 陈→陳, 黄→黃, 张→張 (names
                                with such a char)
name_huang_wang                 黄 ↔ 王, Cantonese-speaking clerks (surname 黄 or 王)
name_variant_surname            肖 ↔ 萧, 钟 ↔ 锺, 于 ↔ 於 (those surnames)
name_compound_split             欧阳娜 → "欧阳 娜" / "欧阳　娜" (compound surnames)
name_fullwidth_space            a full-width space between or after the parts (Chinese names)
name_title_case                 CHEN WEIMING → Chen Weiming (romanised names)
name_latin_given_first          SMITH JOHN → JOHN SMITH (foreigners in one-column fields)
id_missing                      resident ID / passport left empty (any ID)
id_digit_typo                   one of the first 17 digits mistyped (resident IDs)
id_adjacent_swap                two adjacent differing digits swapped (resident IDs)
id_relative                     a spouse's, parent's or child's ID written in (with relatives)
id_old_15                       the 15-digit pre-1999 form (born < 2000, older systems only)
id_fullwidth_digits             ＩＤ digits typed full-width (resident IDs)
id_check_char                   the check character miswritten, the 17 digits right
                                (resident IDs)
name_only_party                 a party written by name alone, no ID: a vendor on a ticket, a
                                father on a birth registration
id_lowercase_x                  final X written x (IDs ending in X)
date_alternate_format           not the source's date form but one of the other three of
                                1985-03-07 / 19850307 / 1985/3/7 / 1985年3月7日 (any date)
phone_missing                   phone left empty (persons with a phone)
phone_outdated                  the person's previous number (persons with one)
phone_formatted                 +86 138 1234 5678, 86-13812345678, 138-1234-5678… (phones)
address_missing                 a person's address left empty (person addresses)
address_city_toggle             广州市 added or dropped against the source's habit (addresses)
address_district_toggle         the district added or dropped (addresses)
address_street_community_toggle 街道/社区 inserted, or dropped where the source writes them
address_subnumber_variant       12号之3 → 12-3号 or 12号之三 (addresses with 之N)
address_room_variant            502房 → 502室 or 502 (addresses with a room)
address_building_variant        3栋 → 3座 or 3幢 (addresses with a building)
address_fullwidth_digits        digits written full-width (addresses)
address_glued_digits            之N run into the building or room: 88号之1 2栋405 → 88号之12栋405
                                (addresses with 之N and a building or room)
address_road_suffix             the road's type written as a neighbouring one: 路 ↔ 道/街,
                                大道 ↔ 大街 (addresses)
address_road_direction          a direction character dropped from the road (环市东路 →
                                环市路) or added to it (addresses)
address_extra_note              a note appended: 旁, 首层, 铺位, 对面 (addresses)
address_street_short            the street office written 北京街 (no 道) straight before the
                                road: 北京街中山五路 (addresses naming their street office only)
enterprise_name_variant         广州市X贸易有限公司 ↔ X贸易（广州）有限公司 ↔ 广州X… ↔ …有限责任公司
uscc_missing                    USCC left empty (enterprise mentions with a USCC column)
uscc_typo                       one USCC char mistyped (enterprise mentions)
==============================  ============================================================

Kinds marked ``scales`` below are errors: their rate is the variant's base rate times the
source's quality factor (the household register 0.5, street-level collection up to 2.0) and
per-source overrides; the others are habits of writing and keep the base rate. The ID kinds
from ``id_missing`` to ``id_check_char`` exclude each other (one uniform draw, disjoint
intervals), so each still happens at its own rate.

Deliberately broken rows (≈0.2% of rows) are not noise of a value but of a row; see
:mod:`huitong.citygen.writers`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from huitong.citygen._text import DATE_FORMATS, FULLWIDTH_DIGITS, chinese_number, format_date
from huitong.citygen.geography import Address, Geography
from huitong.citygen.names import (
    HOMOPHONES,
    TRADITIONAL,
    VARIANT_SURNAMES,
    NameParts,
    romanise,
)
from huitong.citygen.population import Enterprise, Person, World

# kind: (scales with the source's quality, standard rate, other-team rate)
NOISE_KINDS: dict[str, tuple[bool, float, float]] = {
    "name_homophone": (True, 0.03, 0.05),
    "name_traditional": (True, 0.01, 0.02),
    "name_huang_wang": (True, 0.02, 0.01),
    "name_variant_surname": (False, 0.15, 0.25),
    "name_compound_split": (False, 0.30, 0.50),
    "name_fullwidth_space": (True, 0.01, 0.03),
    "name_title_case": (False, 0.30, 0.60),
    "name_latin_given_first": (False, 0.40, 0.20),
    "id_missing": (True, 0.02, 0.04),
    "id_digit_typo": (True, 0.008, 0.015),
    "id_adjacent_swap": (True, 0.004, 0.008),
    "id_relative": (True, 0.002, 0.004),
    "id_old_15": (False, 0.12, 0.20),
    "id_fullwidth_digits": (True, 0.003, 0.01),
    "id_check_char": (True, 0.004, 0.008),
    "name_only_party": (True, 0.25, 0.35),
    "id_lowercase_x": (False, 0.25, 0.50),
    "date_alternate_format": (True, 0.04, 0.08),
    "phone_missing": (True, 0.05, 0.08),
    "phone_outdated": (False, 0.35, 0.50),
    "phone_formatted": (True, 0.12, 0.25),
    "address_missing": (True, 0.02, 0.04),
    "address_city_toggle": (False, 0.15, 0.30),
    "address_district_toggle": (False, 0.04, 0.08),
    "address_street_community_toggle": (False, 0.10, 0.20),
    "address_subnumber_variant": (False, 0.40, 0.60),
    "address_room_variant": (False, 0.25, 0.40),
    "address_building_variant": (False, 0.20, 0.35),
    "address_fullwidth_digits": (True, 0.02, 0.05),
    "address_glued_digits": (False, 0.10, 0.20),
    "address_road_suffix": (True, 0.02, 0.04),
    "address_road_direction": (True, 0.02, 0.04),
    "address_extra_note": (True, 0.02, 0.04),
    "address_street_short": (False, 0.20, 0.40),
    "enterprise_name_variant": (True, 0.20, 0.30),
    "uscc_missing": (True, 0.25, 0.35),
    "uscc_typo": (True, 0.004, 0.008),
}
ID_EXCLUSIVE_KINDS = (
    "id_missing",
    "id_digit_typo",
    "id_adjacent_swap",
    "id_relative",
    "id_old_15",
    "id_fullwidth_digits",
    "id_check_char",
)
GENDER_STYLES = {"男女": ("男", "女"), "12": ("1", "2"), "MF": ("M", "F")}
ROOM_SUFFIXES = ("房", "室", "")
# A road's type and the ones a clerk may write instead; longest first, so 大道 is not 道.
ROAD_TYPE_SWAPS = (("大道", ("大街",)), ("大街", ("大道",)), ("路", ("道", "街")), ("街", ("路",)))
DIRECTIONS = "东南西北中"
EXTRA_NOTES = ("旁", "首层", "铺位", "对面", "(后座)", "附近")
BUILDING_SUFFIXES = ("栋", "座", "幢")


@dataclass(frozen=True)
class SourceStyle:
    """A department's writing habits (fixed per source) and how careful its clerks are."""

    quality: float = 1.0  # error rates are multiplied by this
    old_system: bool = False  # 15-digit IDs still appear
    date_format: str = "iso"
    gender: str = "男女"
    romanised: bool = False  # names in passport romanisation
    city: bool = True  # addresses start with 广州市
    district: bool = True
    street_community: bool = False  # addresses name the 街道 and 社区
    room_suffix: str = "房"
    building_suffix: str = "栋"
    overrides: dict[str, float] = field(default_factory=dict)  # kind: rate


def effective_rates(style: SourceStyle, variant: str) -> dict[str, float]:
    """The rate of every kind in a source of this style, in this variant."""
    column = 2 if variant == "other_team" else 1
    rates = {}
    for kind, spec in NOISE_KINDS.items():
        rate = spec[column] * (style.quality if spec[0] else 1.0)
        rates[kind] = round(min(0.9, style.overrides.get(kind, rate)), 6)
    return rates


class Noiser:
    """Writes true values the way one source does, drawing noise and counting it."""

    def __init__(self, world: World, style: SourceStyle, variant: str, rng: random.Random) -> None:
        self.world = world
        self.geography: Geography = world.geography
        self.style = style
        self.rng = rng
        self.rates = effective_rates(style, variant)
        self.counts: dict[str, list[int]] = {kind: [0, 0] for kind in NOISE_KINDS}
        self._male, self._female = GENDER_STYLES[style.gender]
        self._other_dates = tuple(f for f in DATE_FORMATS if f != style.date_format)
        self._other_rooms = tuple(s for s in ROOM_SUFFIXES if s != style.room_suffix)
        self._other_buildings = tuple(s for s in BUILDING_SUFFIXES if s != style.building_suffix)
        id_cum, total = [], 0.0
        for kind in ID_EXCLUSIVE_KINDS:
            total += self.rates[kind]
            id_cum.append(total)
        self._id_cum = id_cum

    def roll(self, kind: str) -> bool:
        """Count one eligible value for ``kind``; True if the noise is applied to it."""
        count = self.counts[kind]
        count[0] += 1
        if self.rng.random() < self.rates[kind]:
            count[1] += 1
            return True
        return False

    # -- names --------------------------------------------------------------------------------
    def name(self, person: Person, split: bool = False) -> NameParts:
        """The person's name as this source writes it; ``split`` for two name columns."""
        if person.foreign:
            parts = NameParts(person.surname, person.given, " ")
            if self.roll("name_title_case"):
                parts = NameParts(parts.surname.title(), parts.given.title(), " ")
            if not split and not self.style.romanised and self.roll("name_latin_given_first"):
                parts = NameParts(parts.given, parts.surname, " ")
            return parts
        if self.style.romanised:
            parts = romanise(person.surname, person.given)._replace(separator=" ")
            if self.roll("name_title_case"):
                parts = NameParts(parts.surname.title(), parts.given.title(), " ")
            return parts
        return self.hanzi_name(person.surname, person.given)

    def hanzi_name(self, surname: str, given: str) -> NameParts:
        rng = self.rng
        if surname in VARIANT_SURNAMES and self.roll("name_variant_surname"):
            surname = VARIANT_SURNAMES[surname]
        if surname in ("黄", "王") and self.roll("name_huang_wang"):
            surname = "王" if surname == "黄" else "黄"
        positions = [i for i, char in enumerate(given) if char in HOMOPHONES]
        if positions and self.roll("name_homophone"):
            at = rng.choice(positions)
            given = given[:at] + rng.choice(HOMOPHONES[given[at]]) + given[at + 1 :]
        if any(c in TRADITIONAL for c in surname + given) and self.roll("name_traditional"):
            surname = "".join(TRADITIONAL.get(c, c) for c in surname)
            given = "".join(TRADITIONAL.get(c, c) for c in given)
        separator = ""
        if len(surname) == 2 and self.roll("name_compound_split"):
            separator = " " if rng.random() < 0.7 else "\u3000"
        if self.roll("name_fullwidth_space"):
            if rng.random() < 0.7:
                separator = "\u3000"
            else:
                given += "\u3000"
        return NameParts(surname, given, separator)

    # -- identifiers --------------------------------------------------------------------------
    def id_number(self, person: Person) -> str | None:
        """The resident ID (or a foreigner's passport) as written, or None when left out."""
        rng = self.rng
        if person.foreign:
            self.counts["id_missing"][0] += 1
            if rng.random() < self.rates["id_missing"]:
                self.counts["id_missing"][1] += 1
                return None
            return person.id_number
        number = person.id_number
        relatives = [r for r in self.world.relatives(person) if not self.world.persons[r].foreign]
        eligible = {
            "id_missing": True,
            "id_digit_typo": True,
            "id_adjacent_swap": True,
            "id_relative": bool(relatives),
            "id_old_15": self.style.old_system and person.birth.year < 2000,
            "id_fullwidth_digits": True,
            "id_check_char": True,
        }
        point = rng.random()
        chosen = None
        for kind, upper in zip(ID_EXCLUSIVE_KINDS, self._id_cum, strict=True):
            if not eligible[kind]:
                continue
            self.counts[kind][0] += 1
            if chosen is None and point < upper and point >= upper - self.rates[kind]:
                chosen = kind
                self.counts[kind][1] += 1
        if chosen == "id_missing":
            return None
        if chosen == "id_digit_typo":
            at = rng.randrange(17)
            digit = rng.choice([d for d in "0123456789" if d != number[at]])
            number = number[:at] + digit + number[at + 1 :]
        elif chosen == "id_adjacent_swap":
            spots = [i for i in range(16) if number[i] != number[i + 1]]
            at = rng.choice(spots)
            number = number[:at] + number[at + 1] + number[at] + number[at + 2 :]
        elif chosen == "id_relative":
            number = self.world.persons[rng.choice(relatives)].id_number
        elif chosen == "id_old_15":
            return number[:6] + number[8:17]
        elif chosen == "id_fullwidth_digits":
            number = number.translate(FULLWIDTH_DIGITS)
        elif chosen == "id_check_char":
            number = number[:17] + rng.choice([c for c in "0123456789X" if c != number[17]])
        if number.endswith("X") and self.roll("id_lowercase_x"):
            number = number[:-1] + "x"
        return number

    def party_id(self, person: Person) -> str | None:
        """The ID of a party the source often records by name alone (a vendor on a ticket, a
        father on a birth registration)."""
        if self.roll("name_only_party"):
            return None
        return self.id_number(person)

    def uscc(self, enterprise: Enterprise, may_be_missing: bool = True) -> str | None:
        if may_be_missing and self.roll("uscc_missing"):
            return None
        code = enterprise.uscc
        if self.roll("uscc_typo"):
            at = self.rng.randrange(2, 17)
            code = (
                code[:at]
                + self.rng.choice("0123456789ABCDEFGH".replace(code[at], ""))
                + code[at + 1 :]
            )
        return code

    # -- dates, genders, phones ---------------------------------------------------------------
    def date(self, day) -> str | None:
        if day is None:
            return None
        style = self.style.date_format
        if self.roll("date_alternate_format"):
            style = self.rng.choice(self._other_dates)
        return format_date(day, style)

    def gender(self, male: bool) -> str:
        return self._male if male else self._female

    def phone(self, person: Person) -> str | None:
        if not person.phone:
            return None
        if self.roll("phone_missing"):
            return None
        number = person.phone
        if person.old_phone and self.roll("phone_outdated"):
            number = person.old_phone
        return self.format_phone(number)

    def format_phone(self, number: str) -> str:
        if not self.roll("phone_formatted"):
            return number
        a, b, c = number[:3], number[3:7], number[7:]
        return self.rng.choice(
            (
                f"+86 {a} {b} {c}",
                f"86-{number}",
                f"+86{number}",
                f"{a}-{b}-{c}",
                f"{a} {b} {c}",
                f"(+86){number}",
            )
        )

    # -- addresses ----------------------------------------------------------------------------
    def address(
        self, address: Address | None, room: bool = True, may_be_missing: bool = False
    ) -> str | None:
        """An address written the source's way, with its noise; None if absent or left out."""
        if address is None:
            return None
        if may_be_missing and self.roll("address_missing"):
            return None
        style = self.style
        road = self.geography.roads[address.road]
        city, district = style.city, style.district
        street = community = style.street_community
        if self.roll("address_city_toggle"):
            city = not city
        if self.roll("address_district_toggle"):
            district = not district
        if self.roll("address_street_community_toggle"):
            if street:
                street = community = False
            else:
                which = self.rng.random()
                street, community = which < 0.5, which >= 0.25
        parts = []
        if city:
            parts.append("广州市")
        if district:
            parts.append(road.district)
        if street:
            short = not community and self.roll("address_street_short")
            parts.append(road.street.removesuffix("道") if short else road.street)
        if community:
            parts.append(road.community)
        parts.append(self._road_name(road.name))
        if address.sub:
            glued = (address.building or address.room) and self.roll("address_glued_digits")
            if self.roll("address_subnumber_variant"):
                if self.rng.random() < 0.5:
                    parts.append(f"{address.number}-{address.sub}号")
                else:
                    parts.append(f"{address.number}号之{chinese_number(address.sub)}")
            else:  # a space keeps 之3 apart from a number that follows, unless glued
                apart = " " if (address.room or address.building) and not glued else ""
                parts.append(f"{address.number}号之{address.sub}{apart}")
        else:
            parts.append(f"{address.number}号")
        if address.building:
            suffix = style.building_suffix
            if self.roll("address_building_variant"):
                suffix = self.rng.choice(self._other_buildings)
            parts.append(f"{address.building}{suffix}")
        if room and address.room:
            suffix = style.room_suffix
            if self.roll("address_room_variant"):
                suffix = self.rng.choice(self._other_rooms)
            parts.append(f"{address.room}{suffix}")
        if self.roll("address_extra_note"):
            parts.append(self.rng.choice(EXTRA_NOTES))
        text = "".join(parts)
        if self.roll("address_fullwidth_digits"):
            text = text.translate(FULLWIDTH_DIGITS)
        return text

    def _road_name(self, name: str) -> str:
        """The road's name, sometimes with another type or a direction dropped or added."""
        if self.roll("address_road_suffix"):
            for kind, others in ROAD_TYPE_SWAPS:
                at = name.rfind(kind)
                if at > 0:
                    name = name[:at] + self.rng.choice(others) + name[at + len(kind) :]
                    break
        if self.roll("address_road_direction"):
            core = name.rstrip(DIRECTIONS)
            kind = next((k for k, _ in ROAD_TYPE_SWAPS if core.endswith(k)), None)
            if kind and core != name:  # 白云大道北 → 白云大道
                name = core
            elif kind and len(core) > len(kind) + 1 and core[-len(kind) - 1] in DIRECTIONS:
                name = core[: -len(kind) - 1] + kind  # 环市东路 → 环市路
            elif kind:
                name = core[: -len(kind)] + self.rng.choice(DIRECTIONS) + kind  # 环市路 → 环市东路
        return name

    # -- enterprises --------------------------------------------------------------------------
    def enterprise_name(self, enterprise: Enterprise) -> str:
        """The enterprise's name, sometimes in another of its customary forms."""
        name = enterprise.name
        if not self.roll("enterprise_name_variant"):
            return name
        if enterprise.parent >= 0:
            parent = self.world.enterprises[enterprise.parent]
            return self._name_variant(parent) + name.removeprefix(parent.name)
        return self._name_variant(enterprise)

    def _name_variant(self, enterprise: Enterprise) -> str:
        core = enterprise.brand + enterprise.industry
        form = "股份有限公司" if enterprise.name.endswith("股份有限公司") else "有限公司"
        forms = [
            f"广州市{core}{form}",
            f"{core}（广州）{form}",
            f"广州{core}{form}",
            f"广州市{core}有限责任公司",
            f"{core}(广州){form}",
        ]
        return self.rng.choice([f for f in forms if f != enterprise.name])
