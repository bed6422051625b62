"""Geography of the other city: Guangzhou's real districts, invented streets, communities and
roads, the address points and flats on them, and migrants' home towns elsewhere in China.

Hierarchy: district 区 → street 街道 (a few 镇 in the outer districts) → community 社区 (村 in
towns) → road (路/大道/街/大街/道/巷) → number 号 (sometimes 之N) → building 栋 → room 房.
Some road names are real-world commonplaces (人民路, 解放路…) that exist in several districts,
and some roads have siblings differing only in a direction (龙口东路 / 龙口西路) or in the type
(沙河路 / 沙河大街): distinct places that look alike.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from itertools import accumulate

# name, current region code, older region codes people born there may carry, population weight
DISTRICTS = [
    ("荔湾区", "440103", ("440107",), 0.07),
    ("越秀区", "440104", ("440102",), 0.08),
    ("海珠区", "440105", (), 0.12),
    ("天河区", "440106", (), 0.13),
    ("白云区", "440111", (), 0.17),
    ("黄埔区", "440112", ("440116",), 0.07),
    ("番禺区", "440113", ("440181",), 0.15),
    ("花都区", "440114", ("440182",), 0.08),
    ("南沙区", "440115", (), 0.04),
    ("从化区", "440117", ("440184",), 0.03),
    ("增城区", "440118", ("440183",), 0.07),
]
_DISTRICT_NAMES = [d[0] for d in DISTRICTS]
_DISTRICT_CUM = list(accumulate(d[3] for d in DISTRICTS))
OUTER = {"花都区", "南沙区", "从化区", "增城区"}

_SYLLABLES = (
    "龙凤沙河石牌珠江白鹤金云城荔景新港榕华岗瑞宝岭塘涌洲桥湾冈山水田园林溪源泉康乐平安和"
    "兴盛昌隆丰福永怡彩花桂棠桃竹松柏枫荷莲梅翠碧茶岑员逢光明民潭鹭燕嘉富泰祥德裕宁锦绣"
    "雅逸海滨沧浪芳草恒昌同德棠下车陂员村赤沙黄村龙洞长湴"
)
_BUILDING_WORDS = "华富金银宝利港汇恒信中天星粤海城东方时代国际环球"
_COMMON_ROADS = ["人民", "解放", "中山", "建设", "环城", "新村", "市场", "青年", "府前", "公园"]
ROAD_SUFFIXES = [
    ("路", 0.58),
    ("大道", 0.08),
    ("街", 0.17),
    ("大街", 0.06),
    ("道", 0.05),
    ("巷", 0.06),
]
DIRECTIONS = "东西南北中"

# Non-Guangzhou home regions of migrants: code, province, city, county.
HOME_REGIONS = [
    ("430124", "湖南省", "长沙市", "宁乡县"),
    ("430521", "湖南省", "邵阳市", "邵东县"),
    ("430602", "湖南省", "岳阳市", "岳阳楼区"),
    ("431021", "湖南省", "郴州市", "桂阳县"),
    ("431102", "湖南省", "永州市", "零陵区"),
    ("450103", "广西壮族自治区", "南宁市", "青秀区"),
    ("450881", "广西壮族自治区", "贵港市", "桂平市"),
    ("450902", "广西壮族自治区", "玉林市", "玉州区"),
    ("360121", "江西省", "南昌市", "南昌县"),
    ("360721", "江西省", "赣州市", "赣县"),
    ("421281", "湖北省", "咸宁市", "赤壁市"),
    ("420984", "湖北省", "孝感市", "汉川市"),
    ("511321", "四川省", "南充市", "南部县"),
    ("510922", "四川省", "遂宁市", "射洪县"),
    ("441581", "广东省", "汕尾市", "陆丰市"),
    ("445221", "广东省", "揭阳市", "揭东县"),
    ("440582", "广东省", "汕头市", "潮阳市"),
    ("441424", "广东省", "梅州市", "五华县"),
    ("440882", "广东省", "湛江市", "雷州市"),
    ("441702", "广东省", "阳江市", "江城区"),
    ("441881", "广东省", "清远市", "英德市"),
    ("440923", "广东省", "茂名市", "电白县"),
    ("441621", "广东省", "河源市", "紫金县"),
    ("411323", "河南省", "南阳市", "淅川县"),
    ("350583", "福建省", "泉州市", "南安市"),
    ("500234", "重庆市", "", "开县"),
]
HOME_WEIGHTS = [5, 4, 2, 3, 3, 4, 3, 3, 2, 2, 3, 2, 3, 2, 4, 4, 3, 3, 3, 2, 3, 3, 3, 2, 1, 2]


@dataclass(frozen=True)
class Road:
    base: str
    direction: str
    suffix: str
    district: str
    street: str
    communities: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.base + self.direction + self.suffix


@dataclass(frozen=True)
class Point:
    """A house number on a road: 龙口西路 88 号之 1."""

    road: Road
    number: int
    sub: int  # 0 = none
    community: str
    residential_block: bool  # has numbered buildings (a 小区) rather than rooms only


@dataclass(frozen=True)
class Place:
    """A precise address: a point plus building and room (a flat, a rented room, an office)."""

    point: Point
    building: str  # "" when the point has no buildings
    room: str  # "" for a whole house or a shop
    landmark: str = ""  # e.g. a commercial building name written before the room


@dataclass(frozen=True)
class HomeTown:
    """A household-registration address outside Guangzhou."""

    code: str
    province: str
    city: str
    county: str
    town: str
    village: str
    detail: str  # "五组12号" or "建设路18号"


@dataclass
class City:
    rng: random.Random
    districts: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    roads: list[Road] = field(default_factory=list)
    roads_by_district: dict[str, list[Road]] = field(default_factory=dict)
    points_by_road: dict[str, list[Point]] = field(default_factory=dict)
    used_numbers: set[tuple[str, int, int]] = field(default_factory=set)
    used_places: set[tuple] = field(default_factory=set)
    streets_by_district: dict[str, list[str]] = field(default_factory=dict)
    communities_by_street: dict[str, list[str]] = field(default_factory=dict)
    building_names: list[str] = field(default_factory=list)

    def district_code(self, district: str) -> str:
        return self.districts[district][0]

    def random_district(self) -> str:
        return self.rng.choices(_DISTRICT_NAMES, cum_weights=_DISTRICT_CUM)[0]

    def road_of_district(self, district: str) -> Road:
        return self.rng.choice(self.roads_by_district[district])

    def _new_point(self, road: Road, residential: bool) -> Point:
        rng = self.rng
        while True:
            number = int(rng.paretovariate(1.1) * 6) % 480 + 1
            chance = 0.05 if residential else 0.25  # 之N numbers are mostly old lanes
            sub = rng.choice((1, 1, 2, 2, 3, 4, 5, 6, 8, 12)) if rng.random() < chance else 0
            key = (road.name + road.district, number, sub)
            if key not in self.used_numbers:
                break
        self.used_numbers.add(key)
        community = (
            road.communities[0]
            if len(road.communities) == 1 or number < 120
            else (road.communities[1])
        )
        point = Point(road, number, sub, community, residential)
        self.points_by_road.setdefault(road.name + road.district, []).append(point)
        return point

    def point_on(self, road: Road, residential: bool, reuse: float) -> Point:
        existing = [
            p
            for p in self.points_by_road.get(road.name + road.district, ())
            if p.residential_block == residential
        ]
        if existing and self.rng.random() < reuse:
            return self.rng.choice(existing)
        return self._new_point(road, residential)

    def new_home(self, district: str | None = None) -> Place:
        """A flat nobody else holds yet: in a 小区 (building + room) or an old house (room)."""
        rng = self.rng
        road = self.road_of_district(district or self.random_district())
        residential = rng.random() < 0.6
        while True:
            point = self.point_on(road, residential, reuse=0.7)
            if residential:
                building = str(rng.randint(1, 24))
                room = f"{rng.randint(1, 33 if rng.random() < 0.4 else 12)}{rng.randint(1, 8):02d}"
            else:
                building = ""
                room = f"{rng.randint(1, 7)}{rng.randint(1, 4):02d}" if rng.random() < 0.9 else ""
            place = Place(point, building, room)
            if (point, building, room) not in self.used_places:
                self.used_places.add((point, building, room))
                return place

    def rental_building(self, district: str) -> tuple[Point, str]:
        """A landlord's building: an urban-village house (之N numbers common) or a block."""
        road = self.road_of_district(district)
        point = self._new_point(road, residential=False)
        building = "" if self.rng.random() < 0.8 else str(self.rng.randint(1, 6))
        return point, building

    def room_in(self, point: Point, building: str, floor: int, index: int) -> Place:
        place = Place(point, building, f"{floor}{index:02d}")
        self.used_places.add((point, building, place.room))
        return place

    def office(self, district: str | None = None) -> Place:
        """A commercial address: a room in a named building, a shop, or an office number."""
        rng = self.rng
        road = self.road_of_district(district or self.random_district())
        point = self.point_on(road, residential=False, reuse=0.35)
        roll = rng.random()
        if roll < 0.35:
            landmark = rng.choice(self.building_names)
            room = f"{rng.randint(2, 38)}{rng.randint(1, 20):02d}"
            return Place(point, "", room, landmark)
        if roll < 0.7:
            return Place(point, "", "")  # a street-front shop: the number alone
        return Place(point, "", f"{rng.randint(1, 6)}{rng.randint(1, 30):02d}")

    def near(self, place: Place) -> Point:
        """A point near ``place``: the same road (another number) or a road of the same street."""
        road = place.point.road
        if self.rng.random() < 0.45:
            same_street = [
                r for r in self.roads_by_district[road.district] if r.street == road.street
            ]
            road = self.rng.choice(same_street)
        return self.point_on(road, residential=False, reuse=0.5)

    def hometown(self) -> HomeTown:
        rng = self.rng
        code, province, city, county = rng.choices(HOME_REGIONS, HOME_WEIGHTS)[0]
        town = _word(rng, 2) + rng.choice(("镇", "镇", "镇", "乡", "街道"))
        if rng.random() < 0.75:
            village = _word(rng, 2) + "村"
            detail = f"{'一二三四五六七八九十'[rng.randrange(10)]}组{rng.randint(1, 60)}号"
        else:
            village = ""
            detail = f"{_word(rng, 2)}路{rng.randint(1, 200)}号"
        return HomeTown(code, province, city, county, town, village, detail)


def _word(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(n))


def build_city(rng: random.Random, persons: int) -> City:
    """Streets, communities and roads, sized to the population (about one road per 55 people)."""
    city = City(rng)
    total_roads = max(44, persons // 55)
    seen_roads: set[str] = set()
    seen_words: set[str] = set()

    def fresh(n: int) -> str:
        while True:
            w = _word(rng, n)
            if w not in seen_words and w[0] != w[1]:
                seen_words.add(w)
                return w

    for name, code, old_codes, weight in DISTRICTS:
        city.districts[name] = (code, old_codes)
        n_roads = max(4, round(total_roads * weight))
        n_streets = max(2, n_roads // 9)
        streets = []
        for _ in range(n_streets):
            town = name in OUTER and rng.random() < 0.3
            streets.append(fresh(2) + ("镇" if town else "街道"))
        city.streets_by_district[name] = streets
        for street in streets:
            village = street.endswith("镇")
            city.communities_by_street[street] = [
                fresh(2) + ("村" if village and rng.random() < 0.6 else "社区")
                for _ in range(rng.randint(2, 5))
            ]
        roads: list[Road] = []
        while len(roads) < n_roads:
            street = rng.choice(streets)
            communities = city.communities_by_street[street]
            comm = tuple(rng.sample(communities, min(len(communities), rng.choice((1, 1, 2)))))
            roll = rng.random()
            # a commonplace name (人民路) exists in several districts
            base = rng.choice(_COMMON_ROADS) if roll < 0.05 else fresh(2)
            direction = rng.choice(DIRECTIONS) if rng.random() < 0.15 else ""
            suffix = rng.choices([s for s, _ in ROAD_SUFFIXES], [w for _, w in ROAD_SUFFIXES])[0]
            road = Road(base, direction, suffix, name, street, comm)
            if road.name + name in seen_roads:
                continue
            seen_roads.add(road.name + name)
            roads.append(road)
            # a sibling road that differs only by direction or by type, nearby
            if rng.random() < 0.12 and len(roads) < n_roads:
                if direction and rng.random() < 0.7:
                    other = rng.choice([d for d in DIRECTIONS if d != direction and d != "中"])
                    sibling = Road(base, other, suffix, name, street, comm)
                else:
                    other = {"路": "大街", "大道": "路", "街": "路", "大街": "路", "道": "路"}
                    sibling = Road(base, direction, other.get(suffix, "街"), name, street, comm)
                if sibling.name + name not in seen_roads:
                    seen_roads.add(sibling.name + name)
                    roads.append(sibling)
        city.roads_by_district[name] = roads
        city.roads.extend(roads)
    city.building_names = [
        rng.choice(_BUILDING_WORDS)
        + rng.choice(_BUILDING_WORDS)
        + rng.choice(("大厦", "广场", "中心", "商务大厦", "国际大厦", "商业城"))
        for _ in range(max(12, persons // 800))
    ]
    return city
