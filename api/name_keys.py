"""Search keys for names: what a typed name may have been written as in some department.

A person's name is matched on the pinyin key the ingest stores on every source record
(``SourceRecord.name_key``: 陈伟, 陳偉, 陈玮 and "CHEN WEI" all give ``chen wei``). With
homophones on, the key is widened to every key that sounds alike to a Cantonese-speaking clerk
(黄/王, zh/z, ch/c, sh/s, n/l, -ing/-in, -eng/-en, -ang/-an): see
:func:`huitong.standardise.homophone_variants`.
"""

from __future__ import annotations

from huitong.standardise import PersonName, homophone_variants

MAX_VARIANTS = 512


def name_keys(name: PersonName, *, homophones: bool) -> list[str]:
    """The stored name keys a search for ``name`` matches (its own key first)."""
    if not homophones:
        return [name.key]
    return homophone_variants(name, MAX_VARIANTS)
