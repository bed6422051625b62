"""Addresses: parse Guangzhou-style addresses into their hierarchy and build comparable keys.

The grammar, front to back: [广东省] [广州市] [district] [street office] [community]
road house-number [sub-number] [estate] [building] [unit] [floor] [room]. Any road name works:
the road is whatever stands between the administrative parts and the house number.

Addresses in Latin script are read the Western way (see :func:`parse_latin_address`):
[flat/unit] house-number street-name street-type [locality …] [postcode].
"""

from __future__ import annotations

import copy
import itertools
import re
import unicodedata
from dataclasses import dataclass

from huitong.standardise._chinese import (
    HAN_CLASS,
    chinese_numeral_value,
    has_han,
    number_value,
    to_chinese_numeral,
)
from huitong.standardise.text import clean_text, to_simplified

GUANGZHOU = "广州市"
DISTRICTS = ("越秀", "海珠", "荔湾", "天河", "白云", "黄埔", "番禺", "花都", "南沙", "从化", "增城")
# Districts merged away or renamed since 2000: old records still use them.
_FORMER_DISTRICTS = {
    "东山区": "越秀区",
    "芳村区": "荔湾区",
    "萝岗区": "黄埔区",
    "番禺市": "番禺区",
    "花都市": "花都区",
    "从化市": "从化区",
    "增城市": "增城区",
}

_H = f"[{HAN_CLASS}]"
# A Chinese numeral from 1 to 99: 三, 十二, 二十, 九十九 (and the digit-by-digit 一二).
_NUM_CN = "(?:[一二三四五六七八九]?十[一二三四五六七八九]?|[一二三四五六七八九]{1,2})"
# What may follow a bare place name when that name is in fact the start of a road, a street
# office or a landmark (天河路385号, 越秀南路, 白云大道北1号, 南沙街道, 天河城): then the name
# is no district or city prefix.
_NAME_CONTINUES = re.compile(
    r"[东南西北中一二三四五六七八九十横直新]*(?:路|大道|大街|直街|街|巷|里|坊)[东南西北中]?"
    rf"(?=[0-9]|{_NUM_CN}号|\s|$)"
    r"|[东南西北中]*街道"
    r"|城(?!郊)|广场|公园|山|机场|客运站|站|大桥|塔|酒家|医院|大学"
)
_PROVINCES = (
    "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建", "江西", "山东",
    "河南", "湖北", "湖南", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海", "台湾",
)  # fmt: skip
_PROVINCE = re.compile(
    r"(?:中国)?(?:广东省|广东(?!路|大道|街)"
    r"|内蒙古自治区|广西壮族自治区|西藏自治区|宁夏回族自治区|新疆维吾尔自治区"
    rf"|香港特别行政区|澳门特别行政区|(?:北京|天津|上海|重庆)(?=市)|(?:{'|'.join(_PROVINCES)})省)"
)
_GZ_CITY = re.compile(r"广州市|广州")
# 番禺市桥街道 is 番禺 + 市桥街道, not the former 番禺市.
_GZ_DISTRICT = re.compile(
    rf"({'|'.join(DISTRICTS)})区|(?!番禺市桥)(?:{'|'.join(_FORMER_DISTRICTS)})"
)
_GZ_DISTRICT_BARE = re.compile("|".join(DISTRICTS))
_NOT_IN_PLACE_NAME = "区县路街道号巷村镇园城场门超集社小委里坊"
_OTHER_CITY = re.compile(rf"((?:(?![{_NOT_IN_PLACE_NAME}]){_H}){{2,3}}?)(市|自治州|地区|盟)")
_OTHER_DISTRICT = re.compile(rf"((?:(?![{_NOT_IN_PLACE_NAME}]){_H}){{1,4}}?)(区|县|市|旗)")
_STREET_OFFICE = re.compile(
    rf"((?:(?![路号巷]){_H}){{1,6}}?)(?:街道办事处|街道办|街道|街办)"
    rf"|((?:(?![路街号巷]){_H}){{2,4}}?)镇(?!{_NAME_CONTINUES.pattern})"
)
# Characters that mark a number's role; no estate or road name starts with one.
_MARKERS = "号之栋座幢房室楼层单元户"
# Stray office words after a street office or community (北京街道办办事处): dropped, since
# the canonical 北京街道 followed by them would read differently.
_REPEATED_OFFICE = re.compile(r"(?:办事处|办)+")
_REPEATED_COMMUNITY = re.compile(r"(?:居民委员会|居委会|居委)+")
# 北京街中山五路, 桃花街宁涌街: a street office written without 道, then the road; 龙新村永湴路:
# a village (its committee) before the road. The road after it needs a name of its own.
_ROAD_TYPES = "大道|大街|直街|横路|路|街|巷|道"
_OFFICE_BEFORE_ROAD = re.compile(
    rf"((?:(?![路号巷街大村]){_H}){{2,4}}?)街(?!道|[{_MARKERS}])({_H}{{2,}}?(?:{_ROAD_TYPES})"
    r"[东南西北中]?)"
)
_VILLAGE_BEFORE_ROAD = re.compile(
    rf"((?:(?![路号巷街大村]){_H}){{2,4}}?)村({_H}{{2,}}?(?:{_ROAD_TYPES})[东南西北中]?)"
)
_COMMUNITY = re.compile(
    rf"((?:(?![路号巷]){_H}){{1,8}}?)"
    r"(社区居民委员会|社区居委会|社区居委|社区|居民委员会|居委会|居委|村民委员会|村委会)"
)
_NUMBER = re.compile(rf"[0-9]+|{_NUM_CN}(?=号)")
# After the digits of a house number: what makes them something else (3栋, 2巷, 5楼, 3号楼).
_NOT_HOUSE_NUMBER = re.compile(r"[A-Za-z]?(?:号楼|[#栋座幢楼层单元室房户期区街路巷横里坊弄条约村])")
# A building, floor or unit already read: digits after it are a room, not a house number.
_UNIT_MARKER = re.compile(rf"(?:[0-9]|[A-Za-z]|{_NUM_CN}|首)(?:栋|座|幢|#|号楼|单元|楼|层)")
_SUB_NUMBER = re.compile(rf"号?\s*(?:-?\s*之\s*-?|-)\s*([0-9]+|{_NUM_CN})\s*(?:号(?![楼房]))?")
_ROAD_DIGITS = re.compile(r"(?<![0-9])([1-9][0-9]?)(?=[路街巷横里坊弄约条道马])(?!街道|街办)")
_UNIT = re.compile(
    r"(?P<estate>.*?)"
    rf"(?:(?P<building>[0-9]+[A-Za-z]?|[A-Za-z][0-9]*|{_NUM_CN})\s*(?:栋|座|幢|号楼|#楼|#)\s*-?\s*)?"
    rf"(?:(?P<unit>[0-9]+|{_NUM_CN})\s*单元\s*-?\s*)?"
    rf"(?:(?P<floor>[0-9]+|{_NUM_CN}|首)\s*(?:楼|层|F)\s*-?\s*)?"
    r"(?:(?P<room>[A-Za-z]?[0-9]+[A-Za-z]?)\s*(?:号房|房|室|号|户)?)?"
    r"\s*"
)
_ESTATE = re.compile(rf"(?![{_MARKERS}])(?:{_H}|[A-Za-z])+")
_ROAD_END = re.compile(r".*(?:路|大道|大街|街|巷|里|坊|弄)")
_NOTE = re.compile(r"\(([^()]*)\)")
_DASHES = re.compile("[‐‑‒–—―−－~～]")
_SEPARATORS = re.compile("[,，、;；:：]")


@dataclass(frozen=True)
class Address:
    """A parsed address and the keys that make two writings of one place compare equal.

    ``point_key`` names the address point (road, house number, sub-number) without district,
    street office or community, which departments add or omit at will; ``unit_key`` adds
    building and room, naming a flat or rental room. ``estate`` (an addition to the fields
    the loaders need) keeps a named estate or building between house number and building
    (太古汇 in 天河路385号太古汇1座3501室); it is not part of either key.
    """

    text: str
    city: str | None
    district: str | None
    street: str | None
    community: str | None
    road: str | None
    number: str | None
    sub_number: str | None
    building: str | None
    room: str | None
    point_key: str | None
    unit_key: str | None
    is_latin: bool
    problem: str | None
    estate: str | None = None
    locality: str | None = None
    """Western addresses: what follows the street (suburb, town, state), lowercase."""
    postcode: str | None = None
    """Western addresses: a trailing postcode (2604, 90210, SW1A 1AA)."""
    road_core: str | None = None
    """The road without its type and direction (环市东路, 环市路 → 环市; 白云大道北 → 白云):
    what stays when a clerk writes 路 for 道 or drops 东. Latin roads keep their name."""
    unit_text: str | None = None
    """What follows the house number, as read and without spaces: sub-number, estate,
    building, room and anything left unread (之1 2栋405房 → 之12栋405房). Lets two writings of
    one flat be compared where their keys differ or could not be built."""


def parse_address(raw: str | None) -> Address | None:
    """Parse one written address; None when ``raw`` is empty. Never raises.

    Accepts traditional characters, full-width digits and spaces, an optional 广东省 /
    广州市 prefix, districts with or without 区, street offices (北京街道, 北京街道办事处,
    北京街) and communities (某某社区, 某某居委会), sub-numbers written 12号之3, 12-3号,
    12号之三, 12之3号 or 12号-3, buildings 3栋/3座/3幢/三栋/C栋 and rooms 502房/502室/502.
    Addresses in other cities keep their city in ``point_key`` (every city has a 中山路).
    Addresses in Latin script (``is_latin``) are read by :func:`parse_latin_address`. What
    cannot be read is kept in ``text`` and reported in ``problem``.
    """
    cleaned = clean_text(raw)
    if cleaned is None:
        return None
    if not has_han(cleaned):
        if re.search("[A-Za-z]", cleaned) is None:
            return _unparsed(cleaned, "no road or place name")
        return parse_latin_address(cleaned)
    return _Parser(_prepare(to_simplified(cleaned))).parse(cleaned)


# Street types (and their usual abbreviations) that end a Western street name.
_STREET_TYPES = {
    "street": ("st", "str"), "road": ("rd",), "avenue": ("ave", "av"), "place": ("pl",),
    "crescent": ("cres", "cr"), "circuit": ("cct", "cir"), "close": ("cl",), "drive": ("dr",),
    "lane": ("ln",), "way": ("wy",), "court": ("ct",), "terrace": ("tce", "ter"),
    "parade": ("pde",), "boulevard": ("blvd", "bvd"), "highway": ("hwy",), "grove": ("gr",),
    "square": ("sq",), "esplanade": ("esp",), "parkway": ("pkwy",), "row": (), "walk": (),
    "mews": (), "gardens": ("gdns",), "rise": (), "loop": (), "track": (), "trail": (),
    "alley": (), "glen": (), "green": (), "circle": (), "quay": (), "wharf": (), "pass": (),
    "promenade": ("prom",), "strip": (), "link": (), "vista": (), "heights": ("hts",),
}  # fmt: skip
_STREET_TYPE = {abbr: full for full, abbrs in _STREET_TYPES.items() for abbr in (full, *abbrs)}
_LATIN_TOKEN = re.compile(r"[a-z0-9]+(?:[/'-][a-z0-9]+)*")
_HOUSE_NUMBER = re.compile(r"[0-9]+[a-z]?(?:-[0-9]+[a-z]?)?")
_UNIT_SLASH_NUMBER = re.compile(r"([0-9]+[a-z]?)/([0-9]+[a-z]?)")
_ROOM_WORDS = frozenset(("flat", "apt", "apartment", "unit", "suite", "room", "rm", "lot"))
_BUILDING_WORDS = frozenset(("block", "blk", "building", "bldg", "tower"))
_POSTCODE = re.compile(r"[0-9]{3,6}(?:-[0-9]{4})?")
_UK_POSTCODE = re.compile(r"([a-z]{1,2}[0-9][a-z0-9]?) ([0-9][a-z]{2})$")


def parse_latin_address(cleaned: str) -> Address:
    """Read a Western address: ``[flat 5 | 5/] 12 Smith St, Kingston ACT 2604``.

    The street is the words up to the first street type (``St``, ``Road``, ``Crescent`` …,
    abbreviations spelled out), the house number the number before them; a flat, unit or
    block before the number becomes ``room`` / ``building``; what follows the street is the
    ``locality``, and a trailing number of 3–6 digits (or a British postcode) the
    ``postcode``. Keys are lowercase: ``road|number|`` like Chinese point keys. An address
    with no street type (a typo in it, or none written) gets no street, locality or key, only
    a leading number and the postcode, with a ``problem``.
    """
    lowered = cleaned.casefold()
    postcode = None
    if uk := _UK_POSTCODE.search(lowered):
        postcode, lowered = f"{uk[1]} {uk[2]}".upper(), lowered[: uk.start()]
    tokens = _LATIN_TOKEN.findall(lowered)
    if postcode is None and tokens and _POSTCODE.fullmatch(tokens[-1]) and len(tokens) > 1:
        postcode = tokens.pop()
    road = number = building = room = None
    end = next(
        (
            i
            for i, token in enumerate(tokens)
            if i > 0 and token in _STREET_TYPE and not _HOUSE_NUMBER.fullmatch(tokens[i - 1])
        ),
        None,
    )
    locality_from = 0
    if end is not None:
        start = end - 1
        while (
            start > 0
            and not _HOUSE_NUMBER.fullmatch(tokens[start - 1])
            and not (_UNIT_SLASH_NUMBER.fullmatch(tokens[start - 1]))
        ):
            start -= 1
        words = [*tokens[start:end], _STREET_TYPE[tokens[end]]]
        road = " ".join(words)
        locality_from = end + 1
        head = tokens[:start]
        if head and (slash := _UNIT_SLASH_NUMBER.fullmatch(head[-1])):
            room, number = slash[1], slash[2]
            head = head[:-1]
        elif head and _HOUSE_NUMBER.fullmatch(head[-1]):
            number = head.pop()
        for word, value in itertools.pairwise(head):
            if word in _ROOM_WORDS and room is None:
                room = value
            elif word in _BUILDING_WORDS and building is None:
                building = value
    locality = " ".join(tokens[locality_from:]) if road else ""
    if road is None and tokens and _HOUSE_NUMBER.fullmatch(tokens[0]):
        number = tokens[0]  # 28 Moolooboola Kinglake: no street type, so no street to key
    point_key = unit_key = None
    if road and number:
        point_key = f"{road}|{number}|"
        if room:
            unit_key = f"{point_key}|{building or ''}|{room}"
    problem = None if road else "no street name"
    if road and not number:
        problem = "no house number"
    return Address(
        text=cleaned,
        city=None,
        district=None,
        street=None,
        community=None,
        road=road,
        number=number,
        sub_number=None,
        building=building.upper() if building else None,
        room=room.upper() if room else None,
        point_key=point_key,
        unit_key=unit_key,
        is_latin=True,
        problem=problem,
        locality=locality or None,
        postcode=postcode,
        road_core=road,
    )


def _prepare(text: str) -> str:
    text = _DASHES.sub("-", text)
    text = _SEPARATORS.sub(" ", text)
    text = re.sub(
        r"\s+",
        lambda m: " " if _alnum_at(text, m.start() - 1) and _alnum_at(text, m.end()) else "",
        text,
    )
    return unicodedata.normalize("NFKC", text).strip()


def _alnum_at(text: str, index: int) -> bool:
    """True when ``text[index]`` is a digit, a Latin letter or a Chinese numeral: a space
    between two of them separates numbers (12号之3 3栋, 之三 三栋) and must stay."""
    if not 0 <= index < len(text):
        return False
    char = text[index]
    return (char.isascii() and char.isalnum()) or char in "一二三四五六七八九十"


def _unparsed(text: str, problem: str | None, *, is_latin: bool = False) -> Address:
    return Address(
        text, None, None, None, None, None, None, None, None, None, None, None, is_latin, problem
    )


class _Parser:
    """One left-to-right pass over a prepared address; fields fill in as parts are read."""

    def __init__(self, text: str) -> None:
        self.remainders = [note.strip() for note in _NOTE.findall(text) if note.strip()]
        self.rest = _NOTE.sub(" ", text)
        self.rest = re.sub(r"\s*\(|\)\s*", " ", self.rest)
        self.rest = _prepare(self.rest).strip(" -")
        # Digits naming a road (中山5路, 3巷) are written as numerals: 中山五路, 三巷.
        self.rest = _ROAD_DIGITS.sub(lambda m: to_chinese_numeral(int(m[1])), self.rest)
        self.city: str | None = None
        self.district: str | None = None
        self.street: str | None = None
        self.community: str | None = None
        self.road: str | None = None
        self.number: str | None = None
        self.sub_number: str | None = None
        self.estate: str | None = None
        self.building: str | None = None
        self.room: str | None = None
        self.problems: list[str] = []

    def parse(self, cleaned: str) -> Address:
        self._region()
        self._street_office()
        self._community()
        readings = self._point()
        return self._best(readings)._address(cleaned)

    def _best(self, readings: list[tuple[str, str]]) -> _Parser:
        """The reading of the sub-number that leaves least unread, then the most plausible.

        ``readings`` are (sub-number, text after it) for a digit run after 之 that may hold
        more than the sub-number (88号之12栋405 is 之1, 2栋, 405); each is read to its end on a
        copy of the parser. Where another complete reading is nearly as plausible, the address
        is flagged ambiguous in ``problem``.
        """
        if len(readings) < 2:
            self._unit(self.rest)
            return self
        scored = []
        for sub_number, rest in readings:
            candidate = copy.copy(self)
            candidate.remainders = list(self.remainders)
            candidate.problems = list(self.problems)
            candidate.sub_number, candidate.rest = sub_number, rest
            candidate._unit(rest)
            unread = sum(len(r) for r in candidate.remainders)
            scored.append((unread, candidate._implausibility(), len(scored), candidate))
        scored.sort(key=lambda s: s[:3])
        best = scored[0]
        rivals = [s for s in scored[1:] if s[0] == best[0] and s[1] <= best[1] + 1]
        if rivals:
            other = rivals[0][3]
            best[3].problems.append(
                f"ambiguous: 之{best[3].sub_number} read, 之{other.sub_number} also possible"
            )
        return best[3]

    def _implausibility(self) -> int:
        """How unusual the numbers read are: sub-numbers are short, buildings one or two
        digits, rooms three or four, and no number starts with 0."""
        penalty = {1: 0, 2: 1}.get(len(self.sub_number or "1"), 3)
        if self.building and len(self.building) > 2:
            penalty += 2
        digits = (self.room or "").rpartition("-")[2].rstrip("楼")
        if digits.isdigit():
            penalty += 0 if 3 <= len(digits) <= 4 else 1 if len(digits) < 3 else 2
        numbers = (self.sub_number, self.building, digits)
        if any(n and len(n) > 1 and n.startswith("0") for n in numbers):
            penalty += 5
        return penalty

    def _address(self, cleaned: str) -> Address:
        found = (self.district, self.street, self.community, self.road, self.number)
        found += (self.building, self.room)
        if not any(found) and not (self.estate and has_han(self.estate)):
            return _unparsed(cleaned, "; ".join(self._problem_list()) or "unparsed address")
        point_key = unit_key = None
        if self.road and self.number:
            road = self.road if self.city in (None, GUANGZHOU) else f"{self.city}{self.road}"
            point_key = f"{road}|{self.number}|{self.sub_number or ''}"
            if self.room:
                unit_key = f"{point_key}|{self.building or ''}|{self.room}"
        return Address(
            text=self._text(),
            city=self.city,
            district=self.district,
            street=self.street,
            community=self.community,
            road=self.road,
            number=self.number,
            sub_number=self.sub_number,
            building=self.building,
            room=self.room,
            point_key=point_key,
            unit_key=unit_key,
            is_latin=False,
            problem="; ".join(self._problem_list()) or None,
            estate=self.estate,
            road_core=road_core(self.road),
            unit_text=self._unit_text(),
        )

    def _take(self, pattern: re.Pattern[str], *, may_end: bool = True) -> re.Match[str] | None:
        """Consume ``pattern`` at the front; with ``may_end=False`` only if more follows."""
        match = pattern.match(self.rest)
        if match is not None and (may_end or match.end() < len(self.rest)):
            self.rest = self.rest[match.end() :].lstrip(" -")
            return match
        return None

    def _region(self) -> None:
        self._take(_PROVINCE, may_end=False)
        city = _GZ_CITY.match(self.rest)
        bare_ok = city is not None and not _NAME_CONTINUES.match(self.rest, city.end())
        if city and (city[0] == GUANGZHOU or bare_ok) and self._take(_GZ_CITY):
            self.city = GUANGZHOU
        if district := self._take(_GZ_DISTRICT):
            self.district = _FORMER_DISTRICTS.get(district[0], district[0])
            self.city = GUANGZHOU
            return
        bare = _GZ_DISTRICT_BARE.match(self.rest)
        if (
            bare
            and not _NAME_CONTINUES.match(self.rest, bare.end())
            and self._take(_GZ_DISTRICT_BARE, may_end=False)
        ):
            self.district = bare[0] + "区"
            self.city = GUANGZHOU
            return
        if self.city is None and (city := self._take(_OTHER_CITY, may_end=False)):
            self.city = city[0]
            if district := self._take(_OTHER_DISTRICT):
                self.district = district[0]

    def _street_office(self) -> None:
        if office := self._take(_STREET_OFFICE):
            self.street = f"{office[1]}街道" if office[1] else f"{office[2]}镇"
            self._take(_REPEATED_OFFICE)

    def _community(self) -> None:
        community = self._take(_COMMUNITY)
        if community is None:
            return
        self._take(_REPEATED_COMMUNITY)
        name, marker = community[1], community[2]
        if self.street is None and "街" in name[2:-1]:
            cut = name.index("街", 2) + 1
            self.street, name = name[: cut - 1] + "街道", name[cut:]
        self.community = name + ("村" if marker.startswith("村") else "社区")

    def _point(self) -> list[tuple[str, str]]:
        """Read road, house number and sub-number; returns the alternative readings of a
        sub-number written in digits and run into what follows (12号之3502房, 88号之12栋405):
        (sub-number, text after it) for each way to cut the digits, the whole run first."""
        for match in _NUMBER.finditer(self.rest):
            if _NOT_HOUSE_NUMBER.match(self.rest, match.end()) or not number_value(match[0]):
                continue
            road = self.rest[: match.start()].strip(" -")
            if _UNIT_MARKER.search(road):
                break
            self.number = number_value(match[0])
            after = match.end()
            readings: list[tuple[str, str]] = []
            sub = _SUB_NUMBER.match(self.rest, after)
            if sub and number_value(sub[1]):
                self.sub_number = number_value(sub[1])
                after = sub.end()
                run = sub[1]
                runs_on = sub.end() == sub.end(1) < len(self.rest)
                if run.isdigit() and len(run) >= 2 and (runs_on or len(run) >= 3):
                    readings = [(run, self.rest[after:])] + [
                        (run[:cut], self.rest[sub.start(1) + cut :]) for cut in range(1, len(run))
                    ]
            elif self.rest.startswith("号", after):
                after += 1
            self.rest = self.rest[after:]
            if road:
                self.road = self._split_road(road)
            else:
                self.problems.append("no road")
            return readings
        self.problems.append("no house number")
        return []

    def _split_road(self, road: str) -> str:
        """The road; a street office written without 道 before it (北京街中山五路, 桃花街宁涌街)
        goes to ``street``, a village before it (龙新村永湴路) to ``community``."""
        office = _OFFICE_BEFORE_ROAD.fullmatch(road)
        if office and self.street is None:
            self.street = office[1] + "街道"
            return office[2]
        village = _VILLAGE_BEFORE_ROAD.fullmatch(road)
        if village and self.community is None:
            self.community = village[1] + "村"
            return village[2]
        return road

    def _unit(self, text: str) -> None:
        """Estate, building, unit, floor and room after the house number; what does not
        read as those is kept as a remainder (the longest readable front part is used)."""
        text = text.strip(" -")
        if not text:
            return
        for end in range(len(text), 0, -1):
            match = _UNIT.fullmatch(text, 0, end)
            if match is None:
                continue
            estate = match["estate"].strip(" -")
            found = match["building"] or match["floor"] or match["room"]
            if estate and (not _ESTATE.fullmatch(estate) or _UNIT_MARKER.search(estate)):
                continue
            if end < len(text) and not found:
                continue
            if end < len(text):
                self.remainders.append(text[end:].strip(" -"))
            self._unit_parts(match, estate)
            return
        self.remainders.append(text)

    def _unit_parts(self, match: re.Match[str], estate: str) -> None:
        if estate and self.number is None and self.road is None and _ROAD_END.fullmatch(estate):
            self.road = self._split_road(estate)
        else:
            self.estate = estate or None
        if match["building"]:
            self.building = _unit_number(match["building"])
        room, floor, unit = match["room"], match["floor"], match["unit"]
        if room:
            room = room.upper()
            self.room = f"{_unit_number(unit)}-{room}" if unit else room
        elif floor:
            self.room = ("1" if floor == "首" else _unit_number(floor)) + "楼"
        if unit and not room:
            self.remainders.append(f"{unit}单元")

    def _problem_list(self) -> list[str]:
        return self.problems + [f"unparsed remainder {r!r}" for r in self.remainders]

    def _unit_text(self) -> str | None:
        if self.number is None:
            return None
        text = f"之{self.sub_number}" if self.sub_number else ""
        text += self.estate or ""
        if self.building:
            text += f"{self.building}栋"
        if self.room:
            text += _room_text(self.room)
        text += "".join(self.remainders)
        return text.replace(" ", "") or None

    def _text(self) -> str:
        head = ""
        if self.city and (self.city != GUANGZHOU or self.district is None):
            head = self.city
        head += "".join(p for p in (self.district, self.street, self.community) if p)
        point = self.road or ""
        if self.number:
            point += f"{self.number}号" + (f"之{self.sub_number}" if self.sub_number else "")
        unit = self.estate or ""
        if unit and unit[-1].isascii() and (self.building or self.room):
            unit += " "  # keeps estate IFC apart from building 3: "IFC 3栋"
        if self.building:
            unit += f"{self.building}栋"
        if self.room:
            unit += _room_text(self.room)
        text = head + point
        if unit:
            text += " " + unit if self.number else unit
        for remainder in self.remainders:
            text += f" ({remainder})"
        return text.strip()


_ROAD_ENDING = re.compile(r"(?:大马路|大道|大街|马路|路|道|街|巷|[东南西北中直横])$")


def road_core(road: str | None) -> str | None:
    """A road's name without its type (路, 道, 街, 大道 …), directions and 直/横 at its end.

    环市东路 and 环市路 → 环市, 白云大道北 → 白云, 凤凰一直街 and 凤凰一直路 → 凤凰一: two
    writings of one road meet, and so do 天河北路 and 天河路, which are two roads — a core is
    evidence with the house number and room beside it, not a key on its own. At least two
    characters are kept.
    """
    if road is None:
        return None
    core = road
    while (ending := _ROAD_ENDING.search(core)) and ending.start() >= 2:
        core = core[: ending.start()]
    return core


def _unit_number(text: str) -> str:
    value = chinese_numeral_value(text)
    if value is not None:
        return str(value)
    return text.upper().lstrip("0") or "0"


def _room_text(room: str) -> str:
    if room.endswith("楼"):
        return room
    unit, _, number = room.rpartition("-")
    return (f"{unit}单元" if unit else "") + f"{number}房"
