"""Small text helpers shared by the generator's modules."""

from __future__ import annotations

import datetime as dt

FULLWIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
CHINESE_DIGITS = "〇一二三四五六七八九十"


def words(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of a literal, as a tuple."""
    return tuple(text.split())


def chinese_number(value: int) -> str:
    """1-99 in Chinese numerals (3 → 三, 12 → 十二, 25 → 二十五)."""
    tens, ones = divmod(value, 10)
    if tens == 0:
        return CHINESE_DIGITS[ones]
    head = "" if tens == 1 else CHINESE_DIGITS[tens]
    return head + "十" + (CHINESE_DIGITS[ones] if ones else "")


DATE_FORMATS = ("iso", "compact", "slash", "chinese")


def format_date(day: dt.date, style: str) -> str:
    """A date in one of the four written forms: 1985-03-07, 19850307, 1985/3/7, 1985年3月7日."""
    if style == "iso":
        return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
    if style == "compact":
        return f"{day.year:04d}{day.month:02d}{day.day:02d}"
    if style == "slash":
        return f"{day.year}/{day.month}/{day.day}"
    return f"{day.year}年{day.month}月{day.day}日"
