"""Text clean-up shared by every standardiser: character width, whitespace, simplified script."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_WHITESPACE = re.compile(r"\s+")

# Variant characters that opencc's t2s leaves alone but that departments use for the same
# character (Japanese shinjitai, old printing forms, the 锺 of the 2013 standard list).
_VARIANTS = str.maketrans(
    {
        "锺": "钟",
        "衞": "卫",
        "邨": "村",
        "凃": "涂",
        "栢": "柏",
        "冨": "富",
        "姫": "姬",
        "皐": "皋",
        "淸": "清",
        "靑": "青",
        "黒": "黑",
        "愼": "慎",
        "戸": "户",
        "緖": "绪",
        "値": "值",
        "兪": "俞",
        "呉": "吴",
        "徳": "德",
        "敍": "叙",
        "蔴": "麻",
        "菓": "果",
        "枱": "台",
    }
)


def clean_text(raw: object) -> str | None:
    """Return ``raw`` as tidy text, or None when there is nothing in it.

    Applies NFKC (full-width letters, digits and punctuation become their ASCII forms,
    U+3000 becomes a space), drops zero-width and control characters, collapses every run of
    whitespace to one space and strips the ends. Non-string values are turned into text with
    ``str`` so a number read from a spreadsheet is not lost.
    """
    if raw is None:
        return None
    text = raw if isinstance(raw, str) else str(raw)
    text = _CONTROL.sub(" ", _INVISIBLE.sub("", text))
    text = _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()
    return text or None


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Return ``text`` in simplified characters (opencc t2s, then a small variant table).

    The variant table maps forms opencc keeps, such as 锺→钟 and 衞→卫. Characters other than
    Han characters pass through unchanged.
    """
    if not text:
        return text
    return _converter().convert(text).translate(_VARIANTS)
