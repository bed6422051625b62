import opencc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from huitong.standardise.addresses import Address, parse_address, road_core

FULL = "广州市越秀区北京街道某某社区中山五路12号之3 3栋502房"


def parts(address: Address) -> tuple:
    """Every parsed field, for comparing two parses."""
    return (
        address.city,
        address.district,
        address.street,
        address.community,
        address.road,
        address.number,
        address.sub_number,
        address.building,
        address.room,
        address.estate,
        address.point_key,
        address.unit_key,
        address.is_latin,
        address.problem,
    )


def test_full_address():
    assert parse_address(FULL) == Address(
        text="越秀区北京街道某某社区中山五路12号之3 3栋502房",
        city="广州市",
        district="越秀区",
        street="北京街道",
        community="某某社区",
        road="中山五路",
        number="12",
        sub_number="3",
        building="3",
        room="502",
        point_key="中山五路|12|3",
        unit_key="中山五路|12|3|3|502",
        is_latin=False,
        problem=None,
        road_core="中山五",
        unit_text="之33栋502房",
    )


@pytest.mark.parametrize(
    "raw",
    [
        FULL,
        "中山五路12号之3 3栋502房",
        "越秀区中山五路12号之3 3栋502房",
        "越秀中山五路12号之3 3栋502房",
        "广州市中山五路12号之3 3栋502房",
        "广东省广州市越秀区中山五路12号之3 3栋502房",
        "广州越秀区北京街道中山五路12号之3 3栋502房",
        "越秀区某某社区中山五路12号之3 3栋502房",
        "越秀区北京街道办事处某某社区居委会中山五路12号之3 3栋502房",
        "越秀区北京街道办某某居民委员会中山五路12号之3 3栋502房",
        "越秀区北京街某某社区中山五路12号之3 3栋502房",
        "中山五路12-3号3栋502房",
        "中山五路12号之三3栋502房",
        "中山五路12之3号3栋502房",
        "中山五路12号-3 3栋502房",
        "中山五路12号之3 3座502房",
        "中山五路12号之3 3幢502室",
        "中山五路12号之3 三栋502",
        "中山五路12号之3 3栋502号房",
        "中山五路12号之3　3栋　502房",
        "中山五路１２号之３ ３栋５０２房",
        "廣州市越秀區北京街道中山五路12號之3 3棟502房",
        "中山5路12号之3 3栋502房",
        "中山五路12号之3，3栋502房",
        "中山五路12-3-3栋502",
    ],
)
def test_written_forms_of_one_flat_share_the_keys(raw):
    address = parse_address(raw)
    assert address.point_key == "中山五路|12|3"
    assert address.unit_key == "中山五路|12|3|3|502"
    assert address.problem is None


@pytest.mark.parametrize(
    ("raw", "room"),
    [
        ("解放北路12号502房", "502"),
        ("解放北路12号502室", "502"),
        ("解放北路12号502", "502"),
        ("解放北路12号 502", "502"),
        ("解放北路12号502号房", "502"),
        ("解放北路12号1502房", "1502"),
        ("解放北路12 502", "502"),
    ],
)
def test_room_forms(raw, room):
    address = parse_address(raw)
    assert (address.road, address.number, address.building, address.room) == (
        "解放北路",
        "12",
        None,
        room,
    )
    assert address.unit_key == f"解放北路|12|||{room}"


@pytest.mark.parametrize(
    ("raw", "building"),
    [
        ("龙口西路8号3栋1201房", "3"),
        ("龙口西路8号3座1201房", "3"),
        ("龙口西路8号3幢1201房", "3"),
        ("龙口西路8号三栋1201房", "3"),
        ("龙口西路8号C栋1201房", "C"),
        ("龙口西路8号c座1201房", "C"),
        ("龙口西路8号3号楼1201房", "3"),
        ("龙口西路8号3#1201", "3"),
        ("龙口西路8号十二栋1201房", "12"),
    ],
)
def test_building_forms(raw, building):
    address = parse_address(raw)
    assert (address.number, address.building, address.room) == ("8", building, "1201")


@pytest.mark.parametrize(
    "raw",
    [
        "天河路12号之3",
        "天河路12-3号",
        "天河路12号之三",
        "天河路12之3号",
        "天河路12号-3",
        "天河路12-3",
    ],
)
def test_sub_number_forms(raw):
    address = parse_address(raw)
    assert (address.road, address.number, address.sub_number) == ("天河路", "12", "3")
    assert address.point_key == "天河路|12|3"
    assert address.unit_key is None


def test_sub_number_run_into_the_room_number():
    # The citygen canonical form: 之N followed directly by the room.
    address = parse_address("广州市越秀区中山五路12号之3502房")
    assert (address.sub_number, address.room) == ("3", "502")


@pytest.mark.parametrize(
    "raw",
    [
        "中山五路88号之12栋405",
        "中山五路88号之12栋405房",
        "中山五路88号之1 2栋405",
        "中山五路88号之1 2座405室",
    ],
)
def test_sub_number_glued_to_the_building_is_read_so_nothing_is_left(raw):
    # 之12栋 cannot be a reading: 栋 needs a number, so the run is 之1 followed by 2栋.
    address = parse_address(raw)
    assert (address.sub_number, address.building, address.room) == ("1", "2", "405")
    assert address.unit_key == "中山五路|88|1|2|405"
    assert address.problem is None


def test_two_complete_readings_are_flagged_ambiguous():
    address = parse_address("中山五路88号之123栋405")
    assert (address.sub_number, address.building) == ("1", "23")  # the shorter sub-number
    assert address.problem == "ambiguous: 之1 read, 之12 also possible"


@pytest.mark.parametrize(
    "raw", ["中山五路88号之12", "中山五路88号之12 3栋405", "中山五路88号之12号3栋"]
)
def test_a_sub_number_set_apart_is_read_whole(raw):
    address = parse_address(raw)
    assert address.sub_number == "12"
    assert address.problem is None


@pytest.mark.parametrize(
    ("road", "core"),
    [("环市东路", "环市"), ("环市路", "环市"), ("白云大道北", "白云"), ("九龙南大街", "九龙"),
     ("神山北道", "神山"), ("员村二横路", "员村二"), ("中山五路", "中山五"), ("大道", "大道")],
)  # fmt: skip
def test_road_core_drops_type_and_direction(road, core):
    assert road_core(road) == core


@pytest.mark.parametrize(
    ("raw", "street", "community", "road"),
    [
        ("白云区桃花街宁涌街12号305房", "桃花街道", None, "宁涌街"),
        ("北京街中山五路12号", "北京街道", None, "中山五路"),
        ("龙新村永湴路8号", None, "龙新村", "永湴路"),
        ("越秀区解放北街12号", None, None, "解放北街"),
        ("三元里村大街5号", None, None, "三元里村大街"),
    ],
)
def test_a_street_office_or_village_written_before_the_road(raw, street, community, road):
    address = parse_address(raw)
    assert (address.street, address.community, address.road) == (street, community, road)


def test_unit_text_keeps_what_follows_the_number_even_when_unread():
    assert parse_address("天河路385号首层铺位").unit_text == "1楼铺位"
    assert parse_address("中山五路88号之1 2座405室").unit_text == "之12栋405房"
    assert parse_address("中山五路88号").unit_text is None


def test_chinese_numeral_sub_numbers_up_to_ninety_nine():
    assert parse_address("天河路12号之十二").sub_number == "12"
    assert parse_address("天河路12号之二十").sub_number == "20"
    assert parse_address("天河路12号之九十九").sub_number == "99"


@pytest.mark.parametrize(
    ("raw", "district"),
    [
        ("越秀区中山五路12号", "越秀区"),
        ("越秀中山五路12号", "越秀区"),
        ("海珠区江南大道中12号", "海珠区"),
        ("荔湾区多宝路12号", "荔湾区"),
        ("天河区天河路385号", "天河区"),
        ("白云区同和路12号", "白云区"),
        ("黄埔区黄埔东路12号", "黄埔区"),
        ("番禺区市桥路12号", "番禺区"),
        ("番禺市桥街道市桥路12号", "番禺区"),
        ("花都区新华路12号", "花都区"),
        ("南沙区进港大道12号", "南沙区"),
        ("从化区街口路12号", "从化区"),
        ("增城区荔城大道12号", "增城区"),
        ("东山区中山五路12号", "越秀区"),
        ("芳村区花地大道12号", "荔湾区"),
        ("萝岗区开创大道12号", "黄埔区"),
        ("增城市荔城大道12号", "增城区"),
    ],
)
def test_districts(raw, district):
    address = parse_address(raw)
    assert address.district == district
    assert address.city == "广州市"
    assert address.number == "12" or address.number == "385"


@pytest.mark.parametrize(
    ("raw", "road"),
    [
        ("天河路385号", "天河路"),
        ("天河北路233号", "天河北路"),
        ("越秀南路12号", "越秀南路"),
        ("海珠中路12号", "海珠中路"),
        ("白云大道北12号", "白云大道北"),
        ("黄埔大道西12号", "黄埔大道西"),
        ("广州大道中123号", "广州大道中"),
    ],
)
def test_road_named_after_a_district_or_the_city_is_not_a_prefix(raw, road):
    address = parse_address(raw)
    assert (address.district, address.road) == (None, road)


@pytest.mark.parametrize(
    ("raw", "street"),
    [
        ("天河南街道天河南一路3号", "天河南街道"),
        ("南沙街道进港大道3号", "南沙街道"),
        ("天河区石牌街道石牌东路3号", "石牌街道"),
        ("越秀区北京街中山五路3号", "北京街道"),
        ("番禺区市桥街道市桥路3号", "市桥街道"),
        ("增城区新塘镇某某村3号", "新塘镇"),
    ],
)
def test_street_offices(raw, street):
    assert parse_address(raw).street == street


@pytest.mark.parametrize(
    ("raw", "road"),
    [
        ("北京路12号", "北京路"),
        ("江南大道中12号", "江南大道中"),
        ("沙湾直街12号", "沙湾直街"),
        ("新龙大街12号", "新龙大街"),
        ("龙溪巷12号", "龙溪巷"),
        ("恩宁坊12号", "恩宁坊"),
        ("三元里12号", "三元里"),
        ("员村二横路12号", "员村二横路"),
        ("东风东路3巷12号", "东风东路三巷"),
        ("镇龙东路12号", "镇龙东路"),
        ("某某新村12号", "某某新村"),
    ],
)
def test_any_road_name_works(raw, road):
    address = parse_address(raw)
    assert (address.road, address.number) == (road, "12")


def test_estate_between_house_number_and_building():
    address = parse_address("天河路385号太古汇一座3501室")
    assert (address.road, address.number, address.estate, address.building, address.room) == (
        "天河路",
        "385",
        "太古汇",
        "1",
        "3501",
    )
    assert address.unit_key == "天河路|385||1|3501"


def test_floor_without_room_names_the_floor():
    assert parse_address("东风东路3巷5号首层").room == "1楼"
    assert parse_address("东风东路3巷5号3楼").room == "3楼"
    assert parse_address("东风东路3巷5号3楼302").room == "302"


def test_unit_entrance_goes_with_the_room():
    address = parse_address("中山五路12号3栋2单元502")
    assert (address.building, address.room) == ("3", "2-502")
    assert parse_address(address.text) == address


def test_no_house_number():
    address = parse_address("越秀区某某花园3栋502房")
    assert address.problem == "no house number"
    assert (address.estate, address.building, address.room) == ("某某花园", "3", "502")
    assert address.point_key is None and address.unit_key is None


def test_road_without_number():
    address = parse_address("中山五路")
    assert (address.road, address.point_key, address.problem) == (
        "中山五路",
        None,
        "no house number",
    )


def test_number_without_road():
    address = parse_address("12号502房")
    assert (address.road, address.number, address.room) == (None, "12", "502")
    assert address.point_key is None
    assert address.problem == "no road"


def test_unparsed_remainder_is_reported_and_kept_in_text():
    address = parse_address("中山五路12号502房后座")
    assert address.unit_key == "中山五路|12|||502"
    assert address.problem == "unparsed remainder '后座'"
    assert "后座" in address.text


def test_note_in_brackets_is_reported():
    address = parse_address("中山五路12号（自编3号）")
    assert address.point_key == "中山五路|12|"
    assert address.problem == "unparsed remainder '自编3号'"


def test_other_city_keeps_its_city_in_the_point_key():
    address = parse_address("湖南省长沙市岳麓区麓山南路12号")
    assert (address.city, address.district, address.road) == ("长沙市", "岳麓区", "麓山南路")
    assert address.point_key == "长沙市麓山南路|12|"
    assert address.point_key != parse_address("麓山南路12号").point_key


def test_village_address_elsewhere():
    address = parse_address("湖南省邵阳市邵东县石桥镇上村12号")
    assert (address.city, address.district, address.street, address.road, address.number) == (
        "邵阳市",
        "邵东县",
        "石桥镇",
        "上村",
        "12",
    )


def test_latin_address_is_read_the_western_way():
    address = parse_address("Flat 502,  Block 3, 12 Zhongshan 5th Road")
    assert address.is_latin
    assert address.text == "Flat 502, Block 3, 12 Zhongshan 5th Road"
    assert (address.road, address.number, address.building, address.room) == (
        "zhongshan 5th road",
        "12",
        "3",
        "502",
    )
    assert address.point_key == "zhongshan 5th road|12|"
    assert address.unit_key == "zhongshan 5th road|12||3|502"
    assert address.problem is None


@pytest.mark.parametrize(
    ("raw", "road", "number", "room", "locality", "postcode"),
    [
        ("147 Allott Place, Wyoming Park, Aldgate NSW 2325", "allott place", "147", None,
         "wyoming park aldgate nsw", "2325"),
        ("5/12 Smith St, Kingston ACT 2604", "smith street", "12", "5", "kingston act", "2604"),
        ("12 smith street kingston act 2604", "smith street", "12", None, "kingston act", "2604"),
        ("10 Downing Street, London SW1A 2AA", "downing street", "10", None, "london",
         "SW1A 2AA"),
        ("1600 Pennsylvania Ave NW, Washington, DC 20500", "pennsylvania avenue", "1600", None,
         "nw washington dc", "20500"),
        ("Apt 4, 221b Baker St", "baker street", "221b", "4", None, None),
    ],
)  # fmt: skip
def test_western_address_parts(raw, road, number, room, locality, postcode):
    address = parse_address(raw)
    assert (address.road, address.number, address.room) == (road, number, room)
    assert (address.locality, address.postcode) == (locality, postcode)
    assert address.point_key == f"{road}|{number}|"


def test_abbreviated_street_types_give_the_same_point():
    assert (
        parse_address("12 Smith St Kingston").point_key
        == parse_address("12 smith street, Kingston").point_key
    )


@pytest.mark.parametrize(
    ("raw", "problem", "locality", "postcode"),
    [
        ("nambucca street sandy bay vic 2768", "no house number", "sandy bay vic", "2768"),
        ("28 moolooboola kinglake west nsw 4560", "no street name", None, "4560"),
    ],
)  # fmt: skip
def test_western_address_without_a_point_keeps_locality_and_postcode(
    raw, problem, locality, postcode
):
    address = parse_address(raw)
    assert address.point_key is None
    assert address.problem == problem
    assert (address.locality, address.postcode) == (locality, postcode)


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000"])
def test_empty_gives_none(raw):
    assert parse_address(raw) is None


def test_digits_only_is_unparsed():
    address = parse_address("12345")
    assert address.text == "12345"
    assert address.problem is not None


# Property tests. Road names come from characters that cannot start an administrative part.
ROAD_CHARS = "青云文德政盐运府仓边新长堤光复龙溪锦翠竹丰乐瑞和安宝泰康荣永福"
ROAD_CHARS += "金鹰松柏桂香榕荫枝木棉紫荆玉树明月朝阳湖岸帝石"
ROAD_SUFFIXES = [
    "路",
    "东路",
    "西路",
    "北路",
    "中路",
    "大道",
    "大道中",
    "街",
    "直街",
    "大街",
    "巷",
    "坊",
    "里",
    "一横路",
]
CN = "零一二三四五六七八九"
_traditional = opencc.OpenCC("s2t")


def chinese(value: int) -> str:
    tens, units = divmod(value, 10)
    if not tens:
        return CN[units]
    return ("" if tens == 1 else CN[tens]) + "十" + (CN[units] if units else "")


roads = st.builds(
    lambda name, suffix: name + suffix,
    st.text(alphabet=ROAD_CHARS, min_size=2, max_size=3),
    st.sampled_from(ROAD_SUFFIXES),
)


@st.composite
def flats(draw):
    road = draw(roads)
    number = draw(st.integers(1, 999))
    sub = draw(st.none() | st.integers(1, 99))
    building = draw(st.none() | st.integers(1, 30).map(str) | st.sampled_from("ABCD"))
    room = draw(st.none() | st.integers(101, 3208).map(str))
    return road, number, sub, building, room


@st.composite
def written(draw, flat):
    road, number, sub, building, room = flat
    prefix = draw(
        st.sampled_from(
            [
                "",
                "广州市",
                "广东省广州市",
                "广州市越秀区",
                "越秀区",
                "越秀",
                "广州越秀",
                "廣州市越秀區",
            ]
        )
    )
    street = draw(st.sampled_from(["", "北京街道", "北京街道办事处", "北京街道办"]))
    community = draw(st.sampled_from(["", "仓边社区", "仓边社区居委会", "仓边居委会"]))
    if sub is None:
        point = draw(st.sampled_from([f"{number}号", f"{number}號"]))
    else:
        forms = [
            f"{number}号之{sub}",
            f"{number}-{sub}号",
            f"{number}之{sub}号",
            f"{number}号-{sub}",
        ]
        point = draw(st.sampled_from([*forms, f"{number}号之{chinese(sub)}"]))
    unit = ""
    if building is not None:
        digits = building.isdigit()
        shown = draw(st.sampled_from([building, chinese(int(building))])) if digits else building
        unit += shown + draw(st.sampled_from(["栋", "座", "幢", "棟"]))
    if room is not None:
        unit += room + draw(st.sampled_from(["房", "室", "", "号房"]))
    separator = draw(st.sampled_from([" ", "\u3000", ", "])) if unit else ""
    if unit and point[-1] in "号號" and not unit[0].isdigit():
        separator = draw(st.sampled_from(["", " "]))
    text = prefix + street + community + road + point + separator + unit
    if draw(st.booleans()):
        text = text.translate(str.maketrans("0123456789 ", "０１２３４５６７８９\u3000"))
    return text


def expected_keys(flat):
    road, number, sub, building, room = flat
    point_key = f"{road}|{number}|{sub or ''}"
    unit_key = None if room is None else f"{point_key}|{building or ''}|{room}"
    return point_key, unit_key


@given(st.data())
def test_every_written_form_gives_the_same_keys(data):
    flat = data.draw(flats())
    address = parse_address(data.draw(written(flat)))
    assert (address.point_key, address.unit_key) == expected_keys(flat)
    assert address.problem is None


@given(st.data())
def test_parsing_the_canonical_text_again_changes_nothing(data):
    flat = data.draw(flats())
    address = parse_address(data.draw(written(flat)))
    assert parts(parse_address(address.text)) == parts(address)
    assert parse_address(address.text).text == address.text


@given(st.text(max_size=40))
def test_any_text_never_raises_and_reparses_stably(raw):
    address = parse_address(raw)
    if address is not None:
        again = parse_address(address.text)
        assert (again.point_key, again.unit_key) == (address.point_key, address.unit_key)


ADDRESS_ALPHABET = "广东省州市越秀天河区北京街道办社区居委会中山五路大道巷"
ADDRESS_ALPHABET += "号之栋座幢房室楼层单元首-0123456789 （）三十Ac#"


@given(st.text(alphabet=ADDRESS_ALPHABET, max_size=30))
def test_address_like_noise_never_raises_and_is_idempotent(raw):
    address = parse_address(raw)
    if address is not None:
        assert parts(parse_address(address.text)) == parts(address)


def test_traditional_characters():
    address = parse_address(_traditional.convert("广州市越秀区北京街道中山五路12号之3 3栋502房"))
    assert (address.district, address.street, address.point_key) == (
        "越秀区",
        "北京街道",
        "中山五路|12|3",
    )
