from hypothesis import given
from hypothesis import strategies as st

from huitong.standardise.text import clean_text, to_simplified


def test_full_width_becomes_half_width():
    assert clean_text("ＡＢＣ　１２３（广州）") == "ABC 123(广州)"


def test_whitespace_of_every_kind_collapses_to_one_space():
    assert clean_text(" 欧阳\u3000\u3000娜\t\n陈 ") == "欧阳 娜 陈"


def test_zero_width_and_control_characters_are_dropped():
    assert clean_text("\ufeff陈\u200b伟\x00") == "陈伟"


def test_empty_and_blank_give_none():
    assert clean_text(None) is None
    assert clean_text("") is None
    assert clean_text(" \u3000\t") is None


def test_non_strings_are_read_as_text():
    assert clean_text(13812345678) == "13812345678"


def test_traditional_to_simplified():
    assert to_simplified("廣州市越秀區陳偉") == "广州市越秀区陈伟"


def test_variants_opencc_keeps_are_mapped():
    assert to_simplified("锺衞") == "钟卫"
    assert to_simplified("鍾") == "钟"


def test_simplified_text_is_unchanged():
    assert (
        to_simplified("广州市恒通贸易有限公司 Hengtong 123")
        == "广州市恒通贸易有限公司 Hengtong 123"
    )


@given(st.text())
def test_clean_text_is_idempotent(raw):
    once = clean_text(raw)
    assert clean_text(once) == once


@given(st.text())
def test_clean_text_has_no_outer_or_double_spaces(raw):
    text = clean_text(raw)
    if text is not None:
        assert text == text.strip()
        assert "  " not in text
        assert "\u3000" not in text
