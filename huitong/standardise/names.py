"""Person names: display form, surname split and pinyin keys that survive script and spelling."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from functools import cache
from itertools import product

from huitong.standardise._chinese import (
    HAN_CLASS,
    has_han,
    is_han,
    pinyin_syllable_set,
    pinyin_syllables,
    split_pinyin,
)
from huitong.standardise.text import clean_text, to_simplified

# Compound surnames recognised whenever a name of three or more characters starts with them.
COMPOUND_SURNAMES = frozenset((
    "欧阳", "司徒", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "夏侯",
    "长孙", "宇文", "司马", "令狐", "端木", "万俟", "司空", "澹台", "公冶", "濮阳",
    "太史", "申屠", "轩辕", "呼延", "南宫", "独孤", "西门", "东郭", "闻人", "赫连",
    "鲜于", "闾丘", "亓官", "司寇", "拓跋", "百里", "公羊", "左丘", "第五",
    "巫马", "谷梁", "夹谷", "漆雕", "壤驷", "颛孙", "公良", "宰父", "微生",
    "羊舌", "太叔", "仲孙", "段干", "即墨", "达奚",
))  # fmt: skip
# Not listed on purpose: 钟离, 宗政, 乐正 and the like, which read just as well as a common
# surname plus a given name (钟 + 离春); a space cannot decide it because display forms drop it.

# Readings of characters when they are the surname, where pypinyin's default reading differs.
SURNAME_PINYIN = {
    "曾": "zeng", "区": "ou", "单": "shan", "解": "xie", "朴": "piao", "仇": "qiu",
    "查": "zha", "缪": "miao", "乐": "yue", "翟": "zhai", "盖": "ge", "覃": "qin",
    "黑": "he", "种": "chong", "召": "shao", "秘": "bi", "繁": "po", "员": "yun",
    "重": "chong", "华": "hua", "任": "ren", "纪": "ji", "沈": "shen", "柏": "bai",
    "褚": "chu", "祭": "zhai", "宿": "su", "隗": "wei", "折": "she", "句": "gou",
    "阚": "kan", "能": "nai", "冼": "xian", "洗": "xian", "藏": "zang", "都": "du",
    "卜": "bu", "薄": "bo", "牟": "mou", "那": "na", "莘": "shen", "眭": "sui",
    "粘": "nian", "炅": "gui", "佴": "nai", "长": "chang", "尉": "wei", "万": "wan",
    "尉迟": "yuchi", "万俟": "moqi", "长孙": "zhangsun", "单于": "chanyu", "澹台": "tantai",
    "乐正": "yuezheng", "令狐": "linghu", "亓官": "qiguan", "闾丘": "lvqiu",
    "仲长": "zhongchang", "宰父": "zaifu",
}  # fmt: skip

_NOTES = re.compile(r"\([^)]*\)")
_DOTS = re.compile("[·•‧・･.．]")
_LATIN_TOKEN = re.compile(r"[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f'\-]*")
_LATIN_SEPARATORS = re.compile(r"[\s,;/_]+")


@dataclass(frozen=True)
class PersonName:
    """A person's name in one canonical form plus the keys used to compare names.

    ``key`` is "<surname pinyin> <given pinyin>" (lowercase, toneless, ü as ``v``) so that
    陈伟, 陳偉, "CHEN WEI" and "Chen Wei" share it. For names split by a middle dot
    (阿卜杜拉·艾买提) surname and given are None and the key holds one part per dotted part.
    """

    text: str
    script: str
    surname: str | None
    given: str | None
    key: str
    surname_key: str | None


def standardise_person_name(raw: str | None) -> PersonName | None:
    """Standardise one written name; None when ``raw`` is empty.

    CJK names (``script="cjk"``) are simplified and lose internal spaces, digits and notes in
    brackets (王芳（母）→ 王芳); their surname is found compound-aware and read with its
    surname reading (曾 zeng, 区 ou, 单 shan …). Latin names (``"latin"``, passport style)
    are title-cased with the first token as surname. Text mixing both scripts is kept with
    ``script="mixed"`` and no surname split. Never raises.
    """
    text = clean_text(raw)
    if text is None:
        return None
    text = to_simplified(text)
    without_notes = clean_text(_NOTES.sub(" ", text))
    text = without_notes or text
    has_latin = re.search("[A-Za-z\u00c0-\u024f]", text) is not None
    if has_han(text) and not has_latin:
        return _cjk_name(text)
    if has_latin and not has_han(text):
        return _latin_name(text)
    return _mixed_name(text)


def _cjk_name(text: str) -> PersonName | None:
    parts = [p for p in (_han_only(p) for p in _DOTS.split(text)) if p]
    if len(parts) > 1:
        key = " ".join("".join(pinyin_syllables(p)) for p in parts)
        return PersonName("·".join(parts), "cjk", None, None, key, None)
    tokens = [_han_only(t) for t in text.split(" ")]
    tokens = [t for t in tokens if t]
    joined = "".join(tokens)
    if not joined:
        return None
    surname = joined[:2] if len(joined) >= 3 and joined[:2] in COMPOUND_SURNAMES else joined[0]
    given = joined[len(surname) :] or None
    surname_key = surname_pinyin(surname)
    given_key = "".join(pinyin_syllables(given)) if given else ""
    key = f"{surname_key} {given_key}".strip()
    return PersonName(joined, "cjk", surname, given, key, surname_key)


def _han_only(text: str) -> str:
    """Han characters of ``text``: drops stray punctuation and digits."""
    return "".join(c for c in text if is_han(c))


def surname_pinyin(surname: str) -> str:
    """Pinyin of a CJK surname in its surname reading: 曾 → zeng, 欧阳 → ouyang, 吕 → lv."""
    if surname in SURNAME_PINYIN:
        return SURNAME_PINYIN[surname]
    return "".join(SURNAME_PINYIN.get(c) or "".join(pinyin_syllables(c)) for c in surname)


def _latin_name(text: str) -> PersonName | None:
    tokens = [_title(t) for t in _LATIN_TOKEN.findall(_LATIN_SEPARATORS.sub(" ", text))]
    if not tokens:
        return None
    surname = tokens[0]
    given = " ".join(tokens[1:]) or None
    surname_key = _latin_key(surname)
    given_key = "".join(_latin_key(t) for t in tokens[1:])
    key = f"{surname_key} {given_key}".strip()
    return PersonName(" ".join(tokens), "latin", surname, given, key, surname_key)


def _title(token: str) -> str:
    return "-".join(part[:1].title() + part[1:].lower() for part in token.split("-"))


def _latin_key(token: str) -> str:
    """Lowercase ASCII of a romanised token, spelt as the pinyin key spells it.

    ü → v; the passport spelling yu for ü after l and n (LYU = 吕 = lv) → v, where it cannot
    be two syllables ("lyu" anywhere, "nyu" at the start: JINYU stays jinyu); other accents,
    hyphens and apostrophes dropped.
    """
    token = token.casefold().replace("ü", "v")
    token = unicodedata.normalize("NFKD", token)
    token = "".join(c for c in token if c.isascii() and c.isalnum())
    token = token.replace("lyu", "lv")
    return "nv" + token[3:] if token.startswith("nyu") else token


def _mixed_name(text: str) -> PersonName | None:
    pieces = re.findall(rf"{_LATIN_TOKEN.pattern}|[{HAN_CLASS}]+", text)
    if not pieces:
        return None
    display = []
    keys = []
    for piece in pieces:
        if has_han(piece):
            display.append(piece)
            keys.append("".join(pinyin_syllables(piece)))
        else:
            display.append(_title(piece))
            keys.append(_latin_key(piece))
    return PersonName(" ".join(display), "mixed", None, None, " ".join(k for k in keys if k), None)


_HOMOPHONE_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"))
_HOMOPHONE_FINALS = (("ing", "in"), ("eng", "en"), ("ang", "an"))


def homophone_syllable(syllable: str) -> str:
    """One pinyin syllable with the merges Cantonese-speaking clerks blur.

    huang≡wang, then initials zh≡z, ch≡c, sh≡s, n≡l and finals ing≡in, eng≡en, ang≡an.
    """
    if syllable == "huang":
        syllable = "wang"
    for long, short in _HOMOPHONE_INITIALS:
        if syllable.startswith(long):
            syllable = short + syllable[len(long) :]
            break
    if syllable.startswith("n") and len(syllable) > 1 and syllable != "ng":
        syllable = "l" + syllable[1:]
    for long, short in _HOMOPHONE_FINALS:
        if syllable.endswith(long):
            syllable = syllable[: -len(long)] + short
            break
    return syllable


def homophone_key(name: PersonName) -> str:
    """``name.key`` with fuzzy-pinyin merges applied to every syllable, for blocking.

    黄伟 and 王伟, 陈明 and 岑敏 (chen ming / cen min) get the same key. Each space-separated
    part of the key is split into pinyin syllables; a part that is not pinyin (a Western name)
    is kept as it is.
    """
    parts = []
    for part in name.key.split(" "):
        syllables = split_pinyin(part)
        if syllables is None:
            parts.append(part)
        else:
            parts.append("".join(homophone_syllable(s) for s in syllables))
    return " ".join(parts)


def homophone_variants(name: PersonName, limit: int = 512) -> list[str]:
    """Every name key that sounds like ``name`` to a Cantonese-speaking clerk: the keys whose
    :func:`homophone_key` equals ``name``'s, its own key first, at most ``limit`` of them.

    For searching stored keys (陈明 also finds 岑敏, 黄伟 finds 王伟); a part of the key that is
    not pinyin (a Western name) is kept as it is.
    """
    target = homophone_key(name)
    keys = [name.key]
    for combination in product(*(_part_variants(part, limit) for part in name.key.split(" "))):
        key = " ".join(combination)
        if key != name.key and homophone_key(replace(name, key=key)) == target:
            keys.append(key)
        if len(keys) >= limit:
            break
    return keys


@cache
def _sounds_alike() -> dict[str, tuple[str, ...]]:
    """Fuzzy syllable → every pinyin syllable that merges into it."""
    groups: dict[str, list[str]] = {}
    for syllable in sorted(pinyin_syllable_set()):
        groups.setdefault(homophone_syllable(syllable), []).append(syllable)
    return {fuzzy: tuple(members) for fuzzy, members in groups.items()}


def _part_variants(part: str, limit: int) -> list[str]:
    syllables = split_pinyin(part)
    if not syllables:
        return [part]
    alike = _sounds_alike()
    choices = [alike.get(homophone_syllable(s), (s,)) for s in syllables]
    variants = []
    for combination in product(*choices):
        variants.append("".join(combination))
        if len(variants) >= limit:
            break
    return variants
