"""Identifiers of the other city: resident ID numbers, USCCs and phone numbers.

Written from the public definitions, not from any other code in this repository:

* 公民身份号码 (GB 11643-1999): 6-digit region, 8-digit birth date, 3-digit sequence (odd for
  men, even for women), check character by ISO 7064 MOD 11-2 over the first 17 digits
  (weights 2^(17-i) mod 11, value 10 written ``X``). The old 15-digit number is region,
  YYMMDD and the same sequence, without a check character.
* 统一社会信用代码 (GB 32100-2015): registration authority, entity type, 6-digit region, the
  9-character organisation code of GB 11714 (8 body characters and its own check character,
  weights 3 7 9 10 5 8 4 2, ``11 - sum mod 11`` with 10 written ``X`` and 11 written ``0``), then
  a final check character: ``31 - sum mod 31`` over the first 17 characters with weights
  3^(i-1) mod 31, in the alphabet ``0-9A-Z`` without I, O, S, V, Z.
"""

from __future__ import annotations

import random

RIC_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
RIC_CHECK = "10X98765432"

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def ric_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID."""
    total = sum(int(c) * w for c, w in zip(first17, RIC_WEIGHTS, strict=True))
    return RIC_CHECK[total % 11]


def ric18(region: str, birth: str, sequence: int) -> str:
    """An 18-character resident ID from region (6 digits), birth ``YYYYMMDD`` and sequence."""
    body = f"{region}{birth}{sequence:03d}"
    return body + ric_check_char(body)


def ric15(id18: str) -> str:
    """The old 15-digit form of an 18-character ID (only meaningful for births in 19xx)."""
    return id18[:6] + id18[8:14] + id18[14:17]


def ric_is_valid(number: str) -> bool:
    """True when ``number`` is 18 characters with a correct check character (upper-case X)."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    return number[17] == ric_check_char(number[:17])


def _char_value(c: str) -> int:
    """GB 11714 value of an organisation-code character: digits as such, A=10 … Z=35."""
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10


def org_check_char(body8: str) -> str:
    """GB 11714 check character of an 8-character organisation-code body."""
    total = sum(_char_value(c) * w for c, w in zip(body8, ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    if value == 10:
        return "X"
    if value == 11:
        return "0"
    return str(value)


def uscc_check_char(first17: str) -> str:
    """GB 32100 final check character of the first 17 USCC characters."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc(authority: str, kind: str, region: str, org_body: str) -> str:
    """A USCC from its parts; ``org_body`` is the 8-character organisation-code body."""
    first17 = authority + kind + region + org_body + org_check_char(org_body)
    return first17 + uscc_check_char(first17)


def uscc_is_valid(code: str) -> bool:
    """True when both the organisation-code and the final check characters are right."""
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        return False
    if code[16] != org_check_char(code[8:16]):
        return False
    return code[17] == uscc_check_char(code[:17])


# Organisation-code bodies: digits mostly, since 2015 often an ``MA`` prefix (市场监管 issued).
_ORG_BODY_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def random_org_body(rng: random.Random, modern: bool) -> str:
    """A plausible 8-character organisation-code body (``MA…`` style when ``modern``)."""
    if modern:
        return "MA" + "".join(rng.choice(_ORG_BODY_ALPHABET) for _ in range(6))
    return "".join(rng.choice("0123456789") for _ in range(8))


MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "170",
    "176",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
]


def random_mobile(rng: random.Random) -> str:
    """An 11-digit mainland mobile number."""
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"


def random_landline(rng: random.Random) -> str:
    """A Guangzhou landline, 8 digits after the 020 area code (stored as ``020xxxxxxxx``)."""
    return "020" + rng.choice("23883") + f"{rng.randrange(10_000_000):07d}"
