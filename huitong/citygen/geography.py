"""Guangzhou's administrative geography and the addresses built on it.

District → street (街道, real names) → community (社区, invented) → road (路/街/大道/巷, each in
one community, names unique city-wide) → number (号, sometimes 之N) → building (栋) → room (房).
The hierarchy is fixed by the seed alone, not by the number of persons.
"""

from __future__ import annotations

import random
from itertools import accumulate
from typing import NamedTuple

from huitong.citygen._text import words

# name, region code, weight (2020 census population, 10 000s), streets
DISTRICTS: tuple[tuple[str, str, int, str], ...] = (
    ("越秀区", "440104", 103, "北京街道 人民街道 东山街道 农林街道 梅花村街道 大塘街道"),
    ("海珠区", "440105", 181, "江南中街道 滨江街道 素社街道 昌岗街道 赤岗街道"),
    ("荔湾区", "440103", 123, "沙面街道 逢源街道 多宝街道 金花街道 花地街道"),
    ("天河区", "440106", 224, "石牌街道 天河南街道 林和街道 员村街道 车陂街道 棠下街道"),
    ("白云区", "440111", 374, "三元里街道 景泰街道 同和街道 京溪街道 永平街道 嘉禾街道"),
    ("黄埔区", "440112", 126, "黄埔街道 鱼珠街道 大沙街道 文冲街道 萝岗街道"),
    ("番禺区", "440113", 265, "市桥街道 东环街道 桥南街道 大石街道 洛浦街道 钟村街道"),
    ("花都区", "440114", 164, "新华街道 新雅街道 秀全街道 花城街道"),
    ("南沙区", "440115", 85, "南沙街道 珠江街道 龙穴街道"),
    ("从化区", "440117", 72, "街口街道 城郊街道 江埔街道"),
    ("增城区", "440118", 147, "荔城街道 增江街道 永宁街道 荔湖街道"),
)
REAL_ROADS = {
    "越秀区": "北京路 中山五路 解放北路 东风东路 农林下路 越秀南路 文德路 环市东路",
    "海珠区": "江南大道中 宝岗大道 新港西路 工业大道 昌岗中路 滨江东路",
    "荔湾区": "康王中路 中山八路 芳村大道 龙津西路 多宝路",
    "天河区": "天河路 体育西路 天河北路 黄埔大道西 石牌东路 员村二横路",
    "白云区": "广园中路 白云大道北 机场路 三元里大道 同和路 京溪路",
    "黄埔区": "黄埔东路 开创大道 科学大道 大沙地东",
    "番禺区": "清河东路 桥南路 番禺大道北 市桥路",
    "花都区": "新华路 秀全大道 公益路",
    "南沙区": "进港大道 环市大道 凤凰大道",
    "从化区": "河滨北路 街口路",
    "增城区": "荔城大道 增城大道 府佑路",
}
PLACE_WORDS = words(
    "青云 文德 德政 盐运 府前 仓边 大新 长堤 光复 龙溪 锦华 翠竹 丰乐 瑞和 安华 宝华 泰康 荣华 "
    "永福 金鹰 云台 松柏 桂香 榕荫 荔枝 木棉 紫荆 玉树 明月 朝阳 东湖 南岸 北帝 石溪 沙溪 龙口 "
    "岗顶 棠德 华景 骏景 天润 汇景 华港 广利 裕华 福安 同福 宝源 德兴 兴隆 昌乐 乐安 鹤边 萧岗 "
    "夏茅 石马 江夏 黄边 平沙 沙太 燕塘 犀牛 梅东 华侨 文昌 恩宁 宝庆 洪恩 荷溪 丛桂 彩虹 西湾 "
    "清平 杉木 泮塘 如意 吉祥 新安 和平 永安 长寿 人和 南田 宝业 革新 晓港 南洲 敦和 金碧 聚德 "
    "新滘 赤沙 官洲 龙潭 沥滘 东晓 怡乐 鸿福 锦绣 碧桂 雅居 富康 挂绿 凤岗 廖村 石滩 仙村 派潭 "
    "鳌头 良口 流溪 东成 龙岗 夏园 庙头 横沙 双沙 茅岗 沙步 笔村 长岭 九龙 新龙 镇龙 石碁 沙湾 "
    "化龙 石楼 南村 榄核 东涌 黄阁 横沥 万顷 大岗 狮岭 炭步 赤坭 花东 梯面 雅瑶 田美 松园 三华 "
    "迎宾 百花 龙珠 金沙 罗冲 棠涌 大源 太和 竹料 钟落 人和 蚌湖 鸦岗 江高 神山 大田 水沥 长安 "
    "东圃 珠村 吉山 前进 黄村 凌塘 柯木 渔沙 五山 华农 天源 龙洞 凤凰 旭景 新塘 宁西 朱村 派溪"
)
ROAD_SUFFIXES = ("路", "路", "路", "路", "街", "街", "大道", "巷", "大街", "直街", "横路")
ROAD_QUALIFIERS = ("", "", "", "东", "西", "南", "北", "中", "一", "二", "新")

# region codes outside Guangzhou, for people whose household registration is elsewhere
OTHER_REGIONS: tuple[tuple[str, str], ...] = (
    ("430521", "湖南省邵阳市邵东县"), ("430181", "湖南省长沙市浏阳市"),
    ("431102", "湖南省永州市零陵区"), ("450102", "广西壮族自治区南宁市兴宁区"),
    ("452501", "广西壮族自治区玉林市"), ("360121", "江西省南昌市南昌县"),
    ("362201", "江西省宜春市"), ("441481", "广东省梅州市兴宁市"), ("440882", "广东省湛江市雷州市"),
    ("441621", "广东省河源市紫金县"), ("445122", "广东省潮州市饶平县"),
    ("420116", "湖北省武汉市黄陂区"), ("421023", "湖北省荆州市监利县"),
    ("510722", "四川省绵阳市三台县"), ("511304", "四川省南充市嘉陵区"),
    ("350583", "福建省泉州市南安市"), ("410526", "河南省安阳市滑县"),
    ("341221", "安徽省阜阳市临泉县"), ("522121", "贵州省遵义市遵义县"),
    ("532101", "云南省昭通市"),
)  # fmt: skip
VILLAGE_WORDS = words("大坪 石桥 新屋 上村 下村 塘头 高岭 白沙 黄泥 竹山 杨柳 和平 东风 长塘")


class Road(NamedTuple):
    name: str
    district: str
    street: str
    community: str


class Address(NamedTuple):
    """A structured address; 0 means the part is absent (no 之N, no building, no room)."""

    road: int
    number: int
    sub: int = 0
    building: int = 0
    room: int = 0


class Geography:
    """The city's districts, streets, communities and roads, and an allocator of addresses."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.district_code = {name: code for name, code, _, _ in DISTRICTS}
        self.district_names = [name for name, _, _, _ in DISTRICTS]
        self._district_cum = list(accumulate(weight for _, _, weight, _ in DISTRICTS))
        self.roads: list[Road] = []
        self.roads_by_district: dict[str, list[int]] = {}
        self.communities: list[tuple[str, str, str]] = []  # (district, street, community)
        used_communities: set[str] = set()
        used_roads: set[str] = set()
        words = list(dict.fromkeys(PLACE_WORDS))
        for district, _, _, streets in DISTRICTS:
            real = REAL_ROADS[district].split()
            used_roads.update(real)
            indices = self.roads_by_district.setdefault(district, [])
            for street in streets.split():
                for _ in range(rng.randint(3, 4)):
                    community = _unique(
                        used_communities,
                        lambda: rng.choice(words) + rng.choice(("", "", "", "东", "西", "新")),
                    )
                    community += "社区"
                    self.communities.append((district, street, community))
                    for _ in range(rng.randint(3, 4)):
                        if real:
                            name = real.pop(0)
                        else:
                            name = _unique(
                                used_roads,
                                lambda: (
                                    rng.choice(words)
                                    + rng.choice(ROAD_QUALIFIERS)
                                    + rng.choice(ROAD_SUFFIXES)
                                ),
                            )
                        indices.append(len(self.roads))
                        self.roads.append(Road(name, district, street, community))
        self._road_length = [rng.randint(60, 400) for _ in self.roads]
        self._buildings: dict[int, list[tuple[int, int, int]]] = {}
        self._taken: set[Address] = set()

    def district(self) -> str:
        """A district, weighted by population."""
        point = self.rng.random() * self._district_cum[-1]
        for name, cum in zip(self.district_names, self._district_cum, strict=True):
            if point < cum:
                return name
        return self.district_names[-1]

    def dwelling(self, district: str | None = None) -> Address:
        """A flat nobody else has been given yet, in ``district`` or a population-weighted one."""
        rng = self.rng
        while True:
            road = rng.choice(self.roads_by_district[district or self.district()])
            buildings = self._buildings.setdefault(road, [])
            if buildings and rng.random() < 0.75:
                number, sub, building = rng.choice(buildings)
            else:
                number, sub, building = self._new_building(road)
                buildings.append((number, sub, building))
            floor = rng.randint(1, 9) if rng.random() < 0.6 else rng.randint(10, 32)
            address = Address(road, number, sub, building, floor * 100 + rng.randint(1, 8))
            if address not in self._taken:
                self._taken.add(address)
                return address

    def premises(self, district: str | None = None, with_room: bool = True) -> Address:
        """A business or public address: a building on a road, with or without a room."""
        road = self.rng.choice(self.roads_by_district[district or self.district()])
        number, sub, building = self._new_building(road)
        room = self.rng.randint(1, 25) * 100 + self.rng.randint(1, 20) if with_room else 0
        return Address(road, number, sub, building, room)

    def _new_building(self, road: int) -> tuple[int, int, int]:
        rng = self.rng
        number = rng.randint(1, self._road_length[road])
        sub = rng.randint(1, 6) if rng.random() < 0.15 else 0
        building = rng.randint(1, 12) if not sub and rng.random() < 0.6 else 0
        return number, sub, building

    def canonical(self, address: Address) -> str:
        """The full written form: 广州市天河区天河路385号2栋502房 (之N numbers have no 栋)."""
        road = self.roads[address.road]
        text = f"广州市{road.district}{road.name}{address.number}号"
        if address.sub:
            text += f"之{address.sub}"
        if address.building:
            text += f"{address.building}栋"
        if address.room:
            text += f"{' ' if address.sub else ''}{address.room}房"
        return text

    def district_of(self, address: Address) -> str:
        return self.roads[address.road].district

    def other_region(self) -> tuple[str, str]:
        """A region code and place outside Guangzhou, for a household registered elsewhere."""
        return self.rng.choice(OTHER_REGIONS)

    def village_address(self, place: str) -> str:
        rng = self.rng
        return (
            f"{place}{rng.choice(VILLAGE_WORDS)}镇{rng.choice(VILLAGE_WORDS)}村"
            f"{rng.randint(1, 300)}号"
        )


def _unique(used: set[str], draw) -> str:
    while True:
        value = draw()
        if value not in used:
            used.add(value)
            return value
