"""Dates as departments write them, and gender codes."""

from __future__ import annotations

import re
from datetime import date, datetime

from huitong.standardise.text import clean_text

_SEPARATED = re.compile(
    r"(?P<y>[0-9]{4})\s*(?:[-/.年])\s*(?P<m>[0-9]{1,2})\s*(?:[-/.月])\s*(?P<d>[0-9]{1,2})\s*[日号]?"
    r"(?:(?:T|\s+)[0-9]{1,2}(?::[0-9]{1,2}){1,2}(?:\.[0-9]+)?)?\s*(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
)
_COMPACT = re.compile(r"(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})(?:\s*[0-9]{6}|T[0-9]{6})?")


def parse_date(raw: str | date | datetime | None) -> date | None:
    """Read one date: 1985-03-07, 19850307, 1985/3/7, 1985.3.7, 1985年3月7日, with or
    without a time part ("1985-03-07 00:00:00", "1985-03-07T08:00:00+08:00").

    A datetime gives its own (local) date. Empty input gives None. Anything else that is not
    a real calendar date, including 2023-02-30, raises ``ValueError("unreadable date …")``:
    callers quarantine the record rather than guess.
    """
    if raw is None:
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = clean_text(raw)
    if text is None:
        return None
    match = _SEPARATED.fullmatch(text) or _COMPACT.fullmatch(text)
    if match is None:
        raise ValueError(f"unreadable date {raw!r}")
    try:
        return date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        raise ValueError(f"unreadable date {raw!r}") from None


_GENDERS = {
    "M": ("男", "男性", "男士", "m", "male", "man", "1", "先生"),
    "F": ("女", "女性", "女士", "f", "female", "woman", "2"),
}
_GENDER_CODES = {word: code for code, words in _GENDERS.items() for word in words}
# GB/T 2261.1: 0 = not known, 9 = not stated. Readable, just empty of information.
_UNKNOWN_GENDERS = frozenset(("0", "9", "未知", "未说明", "不详", "u", "unknown", "x"))


def standardise_gender(raw: object) -> str | None:
    """Return "M" or "F" for 男/女, M/F, male/female, 1/2 (GB/T 2261.1), 男性/女性, any case.

    Empty input and the explicit unknown codes (0, 9, 未知, 未说明, 不详, U) give None; any
    other text raises ``ValueError("unknown gender …")``.
    """
    text = clean_text(raw)
    if text is None:
        return None
    word = text.lower()
    if word in _GENDER_CODES:
        return _GENDER_CODES[word]
    if word in _UNKNOWN_GENDERS:
        return None
    raise ValueError(f"unknown gender {raw!r}")
