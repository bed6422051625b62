"""Resident ID numbers (公民身份号码) and unified social credit codes (USCC), with check chars.

The check characters are python-stdnum's (ISO 7064 MOD 11-2; GB 32100 MOD 31); the wrappers
here stay lenient — stdnum's ``cn.ric.validate`` rejects real district codes missing from its
table — and say what is wrong (``problem``) instead of raising. The organisation-code check
(GB 11714, characters 9-17 of a USCC) has no stdnum function and is computed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from stdnum.cn import uscc as cn_uscc
from stdnum.iso7064 import mod_11_2

from huitong.standardise.text import clean_text

_ID_SEPARATORS = re.compile(r"[\s\-_./'\"`]")
_EARLIEST_BIRTH = date(1900, 1, 1)


@dataclass(frozen=True)
class ResidentId:
    """A resident ID as written by a department, normalised and judged.

    ``value`` is the 18-character form when the input was a readable 15-digit ID, otherwise
    the cleaned input. ``birth_date``, ``gender`` and ``region`` are read from any ID whose
    shape and birth date are right, even when its check character is wrong (one mistyped
    digit elsewhere still leaves them useful).
    """

    value: str
    valid: bool
    problem: str | None
    converted_from_15: bool
    birth_date: date | None
    gender: str | None
    region: str | None
    is_foreign: bool


def resident_id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character ("0"-"9" or "X") of the first 17 digits of an ID."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError(f"expected 17 digits, got {first17!r}")
    return mod_11_2.calc_check_digit(first17)


def standardise_resident_id(raw: str | None) -> ResidentId | None:
    """Normalise and check one resident ID number; None when ``raw`` is empty.

    Spaces, dashes and quotes are removed and ``x`` upper-cased. A 15-digit ID with a real
    birth date becomes its 18-digit form ("19" inserted, check character computed). Anything
    else is kept as cleaned and flagged with ``valid=False`` and a ``problem``; passport-like
    numbers (letters and digits) are marked ``is_foreign``. Never raises.
    """
    text = clean_text(raw)
    if text is None:
        return None
    value = _ID_SEPARATORS.sub("", text).upper()
    if not value:
        return None
    if re.fullmatch(r"[0-9]{17}[0-9X]|[0-9]{15}", value) is None:
        return _wrong_shape(value)
    if len(value) == 15:
        return _from_15(value)
    birth_text = value[6:14]
    birth, date_problem = _birth_date(birth_text)
    expected = resident_id_check_char(value[:17])
    problem = date_problem
    if problem is None and value[17] != expected:
        problem = f"check character is {value[17]}, expected {expected}"
    return ResidentId(
        value=value,
        valid=problem is None,
        problem=problem,
        converted_from_15=False,
        birth_date=birth,
        gender=_gender(value[16]) if birth else None,
        region=value[:6],
        is_foreign=False,
    )


def _from_15(value: str) -> ResidentId:
    birth, problem = _birth_date("19" + value[6:12])
    if problem is not None:
        return ResidentId(value, False, problem, False, None, None, value[:6], False)
    first17 = value[:6] + "19" + value[6:]
    converted = first17 + resident_id_check_char(first17)
    return ResidentId(converted, True, None, True, birth, _gender(value[14]), value[:6], False)


def _wrong_shape(value: str) -> ResidentId:
    if value.isascii() and value.isdigit():
        problem = f"length {len(value)}, expected 18 (or 15)"
        return ResidentId(value, False, problem, False, None, None, None, False)
    if re.fullmatch(r"[0-9]{17}[A-Z]", value):
        problem = f"check character {value[17]} is not a digit or X"
        return ResidentId(value, False, problem, False, None, None, value[:6], False)
    # Passports (E12345678, EA1234567), Hong Kong IDs (G123456(7)), travel permits (H01234567).
    looks_foreign = re.fullmatch(r"[A-Z]{1,3}[0-9]{5,10}[A-Z]?(\([A-Z0-9]\))?", value)
    problem = "not a resident ID (non-digit characters)"
    if looks_foreign:
        problem += "; looks like a passport or foreign ID"
    return ResidentId(value, False, problem, False, None, None, None, looks_foreign is not None)


def _birth_date(text: str) -> tuple[date | None, str | None]:
    try:
        birth = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None, f"birth date {text} is not a date"
    if birth < _EARLIEST_BIRTH:
        return None, f"birth date {text} is before 1900-01-01"
    if birth > date.today():
        return None, f"birth date {text} is in the future"
    return birth, None


def _gender(sequence_digit: str) -> str:
    return "M" if int(sequence_digit) % 2 else "F"


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_USCC_SEPARATORS = re.compile(r"[\s\-_./'\"`]")


def contradiction(rid: ResidentId, birth_date: date | None, gender: str | None) -> str | None:
    """Why a resident ID cannot be the person's own, given the birth date and gender written
    beside it, or None. A birth year two or more years off, or the other gender, is a
    relative's ID written in (a typo moves a date by days, not generations); the ID is then
    kept but must neither prove nor forbid a match."""
    if rid.birth_date and birth_date and abs(rid.birth_date.year - birth_date.year) >= 2:
        return f"the ID's birth date {rid.birth_date} contradicts the stated {birth_date}"
    if rid.gender and gender and rid.gender != gender:
        return f"the ID's gender {rid.gender} contradicts the stated {gender}"
    return None


@dataclass(frozen=True)
class Uscc:
    """A unified social credit code, upper-cased and without separators, and whether it checks."""

    value: str
    valid: bool
    problem: str | None


def uscc_check_char(first17: str) -> str:
    """GB 32100 MOD 31 check character (the 18th) of the first 17 characters of a USCC."""
    if len(first17) != 17 or any(c not in _USCC_ALPHABET for c in first17):
        raise ValueError(f"expected 17 USCC characters, got {first17!r}")
    return cn_uscc.calc_check_digit(first17)


def organisation_code_check_char(first8: str) -> str:
    """GB 11714 MOD 11 check character of an 8-character organisation code body."""
    if len(first8) != 8 or not first8.isascii() or not first8.isalnum():
        raise ValueError(f"expected 8 organisation-code characters, got {first8!r}")
    total = sum(_org_value(c) * w for c, w in zip(first8.upper(), _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _org_value(char: str) -> int:
    return int(char) if char.isdigit() else ord(char) - ord("A") + 10


def standardise_uscc(raw: str | None) -> Uscc | None:
    """Normalise and check one USCC; None when ``raw`` is empty. Never raises.

    Valid means 18 characters from 0-9A-Z without I, O, Z, S, V, a 6-digit region code
    (characters 3-8), a right organisation-code check character (character 17, GB 11714)
    and a right final check character (GB 32100 MOD 31).
    """
    text = clean_text(raw)
    if text is None:
        return None
    value = _USCC_SEPARATORS.sub("", text).upper()
    if not value:
        return None
    return Uscc(value, *_uscc_verdict(value))


def _uscc_verdict(value: str) -> tuple[bool, str | None]:
    if len(value) != 18:
        if len(value) == 15 and value.isdigit():
            return False, "length 15: an old business registration number, not a USCC"
        if len(value) == 9 and value.isalnum():
            return False, "length 9: an organisation code, not a USCC"
        return False, f"length {len(value)}, expected 18"
    bad = sorted({c for c in value if c not in _USCC_ALPHABET})
    if bad:
        return False, f"characters not allowed in a USCC: {''.join(bad)}"
    if not value[2:8].isdigit():
        return False, f"region code {value[2:8]} is not 6 digits"
    org_expected = organisation_code_check_char(value[8:16])
    if value[16] != org_expected:
        return False, f"organisation code check character is {value[16]}, expected {org_expected}"
    expected = uscc_check_char(value[:17])
    if value[17] != expected:
        return False, f"check character is {value[17]}, expected {expected}"
    return True, None
