"""Search keys for names: what a typed name may have been written as in some department.

A person's name is matched on the pinyin key the ingest stores on every source record
(``SourceRecord.name_key``: 陈伟, 陳偉, 陈玮 and "CHEN WEI" all give ``chen wei``). With
homophones on, the key is widened to every key that sounds alike to a Cantonese-speaking clerk
(黄/王, zh/z, ch/c, sh/s, n/l, -ing/-in, -eng/-en, -ang/-an): the keys whose
:func:`huitong.standardise.homophone_key` equals the typed name's.
"""

from __future__ import annotations

from functools import cache
from itertools import product

from huitong.standardise import PersonName, homophone_key
from huitong.standardise._chinese import pinyin_syllable_set, split_pinyin
from huitong.standardise.names import homophone_syllable

MAX_VARIANTS = 512


@cache
def _sounds_alike() -> dict[str, tuple[str, ...]]:
    """Fuzzy syllable → every pinyin syllable that merges into it."""
    groups: dict[str, list[str]] = {}
    for syllable in sorted(pinyin_syllable_set()):
        groups.setdefault(homophone_syllable(syllable), []).append(syllable)
    return {fuzzy: tuple(members) for fuzzy, members in groups.items()}


def _part_variants(part: str) -> list[str]:
    syllables = split_pinyin(part)
    if not syllables:
        return [part]
    alike = _sounds_alike()
    choices = [alike.get(homophone_syllable(s), (s,)) for s in syllables]
    variants = []
    for combination in product(*choices):
        variants.append("".join(combination))
        if len(variants) >= MAX_VARIANTS:
            break
    return variants


def name_keys(name: PersonName, *, homophones: bool) -> list[str]:
    """The stored name keys a search for ``name`` matches (its own key first)."""
    if not homophones:
        return [name.key]
    target = homophone_key(name)
    keys = [name.key]
    for combination in product(*(_part_variants(part) for part in name.key.split(" "))):
        key = " ".join(combination)
        if key != name.key and homophone_key(_with_key(name, key)) == target:
            keys.append(key)
        if len(keys) >= MAX_VARIANTS:
            break
    return keys


def _with_key(name: PersonName, key: str) -> PersonName:
    return PersonName(name.text, name.script, name.surname, name.given, key, name.surname_key)
