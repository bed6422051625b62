"""Private helpers about Han characters: recognising them, Chinese numerals, pinyin."""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

HAN_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
HAN = re.compile(f"[{HAN_CLASS}]")

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_DIGITS |= {"七": 7, "八": 8, "九": 9}
CN_NUMERAL = "零〇一二两三四五六七八九十"
_CN_TO_TEXT = "零一二三四五六七八九"


def is_han(char: str) -> bool:
    """True when ``char`` is a Han (CJK ideograph) character."""
    return HAN.fullmatch(char) is not None


def has_han(text: str) -> bool:
    """True when ``text`` holds at least one Han character."""
    return HAN.search(text) is not None


def chinese_numeral_value(text: str) -> int | None:
    """Value of a Chinese numeral from 零 to 九十九 (三, 十二, 二十, 九十九), else None.

    Two-digit digit-by-digit forms (一二 = 12) are accepted too; anything else gives None.
    """
    if not text or any(c not in CN_NUMERAL for c in text):
        return None
    if "十" not in text:
        if len(text) > 2:
            return None
        value = 0
        for char in text:
            value = value * 10 + _DIGITS[char]
        return value
    tens_text, _, units_text = text.partition("十")
    if "十" in units_text or len(tens_text) > 1 or len(units_text) > 1:
        return None
    tens = _DIGITS[tens_text] if tens_text else 1
    units = _DIGITS[units_text] if units_text else 0
    return tens * 10 + units


def number_value(text: str) -> str | None:
    """Arabic digits (kept as written, leading zeros dropped) or a Chinese numeral, as digits."""
    if text.isascii() and text.isdigit():
        return str(int(text))
    value = chinese_numeral_value(text)
    return None if value is None else str(value)


def to_chinese_numeral(value: int) -> str:
    """1..99 written in Chinese numerals: 5 → 五, 10 → 十, 12 → 十二, 35 → 三十五."""
    if value < 10:
        return _CN_TO_TEXT[value]
    tens, units = divmod(value, 10)
    head = "" if tens == 1 else _CN_TO_TEXT[tens]
    return head + "十" + (_CN_TO_TEXT[units] if units else "")


@lru_cache(maxsize=1 << 16)
def pinyin_syllables(text: str) -> tuple[str, ...]:
    """Toneless lowercase pinyin of each Han character of ``text`` (ü as ``v``).

    Uses pypinyin's phrase-aware default readings; characters that are not Han contribute
    their ASCII letters and digits, lower-cased, as one chunk per run. Cached: a city's given
    names and brands repeat (pypinyin took a sixth of a household row's standardising).
    """
    syllables = []
    for chunk in lazy_pinyin(text, style=Style.NORMAL, v_to_u=False, errors="default"):
        cleaned = _NOT_PINYIN.sub("", chunk.lower())
        if cleaned:
            syllables.append(cleaned)
    return tuple(syllables)


_NOT_PINYIN = re.compile(r"[^0-9a-z]")


@lru_cache(maxsize=1)
def pinyin_syllable_set() -> frozenset[str]:
    """Every toneless pinyin syllable pypinyin knows (ü written ``v``), for segmentation."""
    from pypinyin.contrib.tone_convert import to_normal
    from pypinyin.pinyin_dict import pinyin_dict

    syllables = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            normal = to_normal(reading, v_to_u=False)
            if normal.isascii() and normal.isalpha() and re.search("[aeiouv]", normal):
                syllables.add(normal)
    return frozenset(syllables)


@lru_cache(maxsize=1 << 16)
def split_pinyin(word: str) -> tuple[str, ...] | None:
    """Split run-together pinyin ("xiaoming") into syllables, fewest syllables first.

    Returns None when ``word`` cannot be read as a sequence of pinyin syllables. Cached, as
    :func:`pinyin_syllables`.
    """
    known = pinyin_syllable_set()
    best: list[list[str] | None] = [None] * (len(word) + 1)
    best[0] = []
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 6), end):
            head = best[start]
            piece = word[start:end]
            if head is not None and piece in known:
                candidate = [*head, piece]
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    found = best[len(word)]
    return None if found is None else tuple(found)
