"""Identifiers with check characters: resident IDs, USCCs, phones, passports.

The check functions are the generator's own, so that clean identifiers are valid by construction
and the tests can prove it; ``stdnum`` is used only by the tests as a second opinion.

- Resident ID (GB 11643): region(6) + birth date(8) + sequence(3, odd = male) + check, ISO 7064
  MOD 11-2, ``X`` standing for 10. The old 15-digit form is region + YYMMDD + sequence.
- USCC (GB 32100): authority(1) + type(1) + region(6) + organisation code(9, its last char a
  GB 11714 check) + check (MOD 31 over the alphabet ``0-9A-Z`` minus I, O, Z, S, V).
"""

from __future__ import annotations

import datetime as dt
import random

RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK = "10X98765432"

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

MOBILE_PREFIXES = tuple(
    str(prefix)
    for prefix in (*range(130, 140), 150, 151, 152, 153, 155, 156, 157, 158, 159, 166, 170, 176,
                   177, 178, *range(180, 190), 191, 198, 199)
)  # fmt: skip


def resident_id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID."""
    total = sum(int(c) * w for c, w in zip(first17, RESIDENT_ID_WEIGHTS, strict=True))
    return RESIDENT_ID_CHECK[total % 11]


def is_valid_resident_id(number: str) -> bool:
    """True for an 18-char resident ID with a real birth date and the right check char."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    try:
        dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return number[17] == resident_id_check_char(number[:17])


def make_resident_id(region: str, birth: dt.date, sequence: int) -> str:
    """An 18-char resident ID; ``sequence`` (0-999) must be odd for men, even for women."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_char(first17)


def to_old_resident_id(number: str) -> str:
    """The pre-1999 15-digit form of an 18-char ID (drops the century and the check char)."""
    return number[:6] + number[8:17]


def from_old_resident_id(number: str) -> str:
    """The 18-char form of a 15-digit ID (19xx century, check char recomputed)."""
    first17 = number[:6] + "19" + number[6:15]
    return first17 + resident_id_check_char(first17)


def org_code_check_char(body8: str) -> str:
    """The GB 11714 check character of an 8-char organisation code body."""
    total = sum(int(c, 36) * w for c, w in zip(body8, ORG_CODE_WEIGHTS, strict=True))
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def uscc_check_char(first17: str) -> str:
    """The GB 32100 MOD 31 check character of the first 17 chars of a USCC."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    """True for an 18-char USCC whose organisation-code and final check chars are right."""
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        return False
    return code[16] == org_code_check_char(code[8:16]) and code[17] == uscc_check_char(code[:17])


def make_uscc(rng: random.Random, region: str, entity_type: str = "1") -> str:
    """A valid USCC registered by market regulation (``9``) in ``region``.

    Newer organisation codes start ``MA`` followed by letters and digits; older ones are digits.
    """
    if rng.random() < 0.65:
        body = "MA" + "".join(rng.choice(USCC_ALPHABET[:-1]) for _ in range(6))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    first17 = "9" + entity_type + region + body + org_code_check_char(body)
    return first17 + uscc_check_char(first17)


def make_mobile(rng: random.Random) -> str:
    """An 11-digit mainland mobile number."""
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"


def make_landline(rng: random.Random) -> str:
    """A Guangzhou landline, ``020-`` and eight digits."""
    return f"020-{rng.choice('3689')}{rng.randrange(10_000_000):07d}"


def make_passport(rng: random.Random, nationality: str) -> str:
    """A plausible passport number for a nationality code (CHN, USA, KOR…)."""
    digits = "0123456789"
    if nationality == "CHN":
        return "E" + rng.choice("ABCDEFGHJK") + "".join(rng.choice(digits) for _ in range(7))
    if nationality == "KOR":
        return "M" + "".join(rng.choice(digits) for _ in range(8))
    if nationality == "JPN":
        return "T" + rng.choice("KRZ") + "".join(rng.choice(digits) for _ in range(7))
    if nationality in ("GBR", "USA", "CAN", "AUS"):
        return "".join(rng.choice(digits) for _ in range(9))
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return rng.choice(letters) + rng.choice(letters) + "".join(rng.choice(digits) for _ in range(7))
