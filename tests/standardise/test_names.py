from dataclasses import replace

import opencc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from huitong.standardise.names import (
    COMPOUND_SURNAMES,
    PersonName,
    homophone_key,
    homophone_variants,
    standardise_person_name,
)


def test_simple_cjk_name():
    assert standardise_person_name("陈伟") == PersonName(
        text="陈伟", script="cjk", surname="陈", given="伟", key="chen wei", surname_key="chen"
    )


@pytest.mark.parametrize(
    ("raw", "text", "surname", "given", "key"),
    [
        ("陳 偉", "陈伟", "陈", "伟", "chen wei"),
        ("黃小明", "黄小明", "黄", "小明", "huang xiaoming"),
        ("張小明", "张小明", "张", "小明", "zhang xiaoming"),
        ("欧阳 娜", "欧阳娜", "欧阳", "娜", "ouyang na"),
        ("欧阳\u3000娜", "欧阳娜", "欧阳", "娜", "ouyang na"),
        ("歐陽娜", "欧阳娜", "欧阳", "娜", "ouyang na"),
        ("司徒 建国", "司徒建国", "司徒", "建国", "situ jianguo"),
        ("诸葛亮", "诸葛亮", "诸葛", "亮", "zhuge liang"),
        ("上官婉儿", "上官婉儿", "上官", "婉儿", "shangguan waner"),
        ("锺伟", "钟伟", "钟", "伟", "zhong wei"),
        ("吕明", "吕明", "吕", "明", "lv ming"),
        (" 王芳（母） ", "王芳", "王", "芳", "wang fang"),
    ],
)
def test_cjk_forms(raw, text, surname, given, key):
    name = standardise_person_name(raw)
    assert (name.text, name.script, name.surname, name.given, name.key) == (
        text,
        "cjk",
        surname,
        given,
        key,
    )
    assert name.surname_key == key.split(" ")[0]


def test_two_character_name_starting_like_a_compound_surname_is_single_surname():
    name = standardise_person_name("欧阳")
    assert (name.surname, name.given) == ("欧", "阳")


def test_single_character_is_a_surname_without_given_name():
    name = standardise_person_name("张")
    assert (name.surname, name.given, name.key) == ("张", None, "zhang")


@pytest.mark.parametrize(
    ("surname", "reading"),
    [
        ("曾", "zeng"), ("区", "ou"), ("单", "shan"), ("解", "xie"), ("朴", "piao"),
        ("仇", "qiu"), ("查", "zha"), ("缪", "miao"), ("乐", "yue"), ("翟", "zhai"),
        ("盖", "ge"), ("尉迟", "yuchi"), ("万俟", "moqi"), ("覃", "qin"), ("黑", "he"),
        ("种", "chong"), ("召", "shao"), ("秘", "bi"), ("繁", "po"), ("员", "yun"),
        ("长孙", "zhangsun"), ("重", "chong"), ("华", "hua"), ("任", "ren"), ("纪", "ji"),
        ("沈", "shen"), ("柏", "bai"), ("褚", "chu"), ("祭", "zhai"), ("宿", "su"),
        ("隗", "wei"), ("冼", "xian"), ("吕", "lv"),
    ],
)  # fmt: skip
def test_heteronym_surnames_read_as_surnames(surname, reading):
    name = standardise_person_name(surname + "志明")
    assert name.surname == surname
    assert name.surname_key == reading
    assert name.key == f"{reading} zhiming"


def test_heteronym_character_in_given_name_keeps_its_ordinary_reading():
    assert standardise_person_name("陈曾").key == "chen ceng"


@pytest.mark.parametrize(
    ("raw", "text", "surname", "given", "key"),
    [
        ("CHEN WEI", "Chen Wei", "Chen", "Wei", "chen wei"),
        ("Chen Wei", "Chen Wei", "Chen", "Wei", "chen wei"),
        ("chen  wei", "Chen Wei", "Chen", "Wei", "chen wei"),
        ("Ouyang Na", "Ouyang Na", "Ouyang", "Na", "ouyang na"),
        ("ZHANG Xiao Ming", "Zhang Xiao Ming", "Zhang", "Xiao Ming", "zhang xiaoming"),
        ("ZHANG XIAOMING", "Zhang Xiaoming", "Zhang", "Xiaoming", "zhang xiaoming"),
        ("CHEN, Wei-Ming", "Chen Wei-Ming", "Chen", "Wei-Ming", "chen weiming"),
        ("Lü Ming", "Lü Ming", "Lü", "Ming", "lv ming"),
        ("LYU MING", "Lyu Ming", "Lyu", "Ming", "lv ming"),
        ("LU MING", "Lu Ming", "Lu", "Ming", "lu ming"),
        ("ＣＨＥＮ　ＷＥＩ", "Chen Wei", "Chen", "Wei", "chen wei"),
        ("SMITH JOHN", "Smith John", "Smith", "John", "smith john"),
    ],
)
def test_latin_forms(raw, text, surname, given, key):
    name = standardise_person_name(raw)
    assert (name.text, name.script, name.surname, name.given, name.key) == (
        text,
        "latin",
        surname,
        given,
        key,
    )


def test_passport_name_and_chinese_name_share_the_key():
    assert standardise_person_name("CHEN WEIMING").key == standardise_person_name("陈伟明").key
    assert standardise_person_name("ZENG ZHIWEI").key == standardise_person_name("曾志伟").key
    assert standardise_person_name("OU JIAMING").key == standardise_person_name("區家明").key


def test_mixed_script():
    name = standardise_person_name("陈 David")
    assert (name.script, name.text, name.surname, name.key) == (
        "mixed",
        "陈 David",
        None,
        "chen david",
    )


def test_name_with_middle_dot():
    name = standardise_person_name("阿卜杜拉・艾买提")
    assert (name.text, name.surname, name.given) == ("阿卜杜拉·艾买提", None, None)
    assert len(name.key.split(" ")) == 2


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000", "123", "（）"])
def test_empty_or_nameless_gives_none(raw):
    assert standardise_person_name(raw) is None


def test_names_are_frozen():
    name = standardise_person_name("陈伟")
    with pytest.raises(AttributeError):
        name.text = "x"


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("黄伟", "王伟"),
        ("陈明", "岑敏"),
        ("张山", "臧三"),
        ("李宁", "李林"),
        ("刘能", "刘冷"),
        ("HUANG WEI", "王伟"),
        ("施成", "司岑"),
    ],
)
def test_homophone_key_merges_what_clerks_confuse(left, right):
    a, b = standardise_person_name(left), standardise_person_name(right)
    assert a.key != b.key
    assert homophone_key(a) == homophone_key(b)


@pytest.mark.parametrize(("left", "right"), [("陈伟", "陈明"), ("黄伟", "何伟"), ("李娜", "李丽")])
def test_homophone_key_still_separates_different_names(left, right):
    a, b = standardise_person_name(left), standardise_person_name(right)
    assert homophone_key(a) != homophone_key(b)


def test_homophone_key_keeps_non_pinyin_parts():
    assert homophone_key(standardise_person_name("SMITH JOHN")) == "smith john"


SURNAMES = ["陈", "李", "黄", "张", "王", "曾", "区", "单", "欧阳", "司徒", "诸葛", "吕", "锺"]
GIVEN_CHARS = "伟玮炜丽莉俐明铭芳娜小建国华强军秀英志嘉颖诗婷"
_to_traditional = opencc.OpenCC("s2t")


@st.composite
def written_names(draw):
    surname = draw(st.sampled_from(SURNAMES))
    given = draw(st.text(alphabet=GIVEN_CHARS, min_size=1, max_size=2))
    separator = draw(st.sampled_from(["", " ", "\u3000", "  "]))
    name = f"{surname}{separator}{given}"
    if draw(st.booleans()):
        name = _to_traditional.convert(name)
    return surname, given, name


@given(written_names())
def test_written_variants_give_the_same_name(case):
    surname, given, written = case
    name = standardise_person_name(written)
    plain = standardise_person_name(surname.replace("锺", "钟") + given)
    assert name == plain
    assert name.surname == surname.replace("锺", "钟")
    assert name.given == given


@given(written_names())
def test_standardising_the_text_again_changes_nothing(case):
    name = standardise_person_name(case[2])
    assert standardise_person_name(name.text) == name


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=12))
def test_any_text_never_raises_and_is_idempotent(raw):
    name = standardise_person_name(raw)
    if name is not None:
        assert standardise_person_name(name.text) == name
        assert name.key == name.key.lower()
        assert name.key.isascii()


def test_compound_surnames_include_the_listed_ones():
    listed = {"欧阳", "司徒", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "夏侯"}
    listed |= {"长孙", "宇文", "司马", "令狐", "端木"}
    assert listed <= COMPOUND_SURNAMES


def test_homophone_variants_are_the_keys_that_sound_alike():
    chen_ming = standardise_person_name("陈明")
    variants = homophone_variants(chen_ming)
    assert variants[0] == "chen ming" and len(variants) == len(set(variants))
    assert {"cen min", "chen min", "cen ming"} <= set(variants)
    assert all(homophone_key(replace(chen_ming, key=key)) == homophone_key(chen_ming)
               for key in variants)  # fmt: skip
    assert "wang wei" in homophone_variants(standardise_person_name("黄伟"))
    assert "chen mong" not in variants  # not a pinyin syllable
    assert len(homophone_variants(chen_ming, limit=2)) == 2
    western = standardise_person_name("John Smith")
    assert homophone_variants(western)[0] == western.key
