"""Phone numbers: Chinese mobiles, landlines with area code (Guangzhou 020 by default), others."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import shortnumberinfo

from huitong.standardise.text import clean_text

GUANGZHOU_AREA_CODE = "020"
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_EXTENSION = re.compile(r"(?:转|分机|ext\.?|x|#)\s*[0-9]{1,6}\s*$", re.IGNORECASE)
_LIST_SEPARATORS = re.compile(r"[,;/|、，；]|或|\s{2,}")
_DASHED_EXTENSION = re.compile(r"(\(?0[0-9]{2,3}\)?[\s-]?[0-9]{7,8})\s*-\s*[0-9]{1,5}")
_ALLOWED = re.compile(r"[0-9\s()+\-.]*")


@dataclass(frozen=True)
class Phone:
    """One phone number in a comparable form.

    ``value``: mobiles as 11 digits ("13812345678"); Chinese landlines as
    "<area code>-<number>" ("020-87654321"); other numbers in E.164 ("+85291234567") or as
    the cleaned digits. ``kind`` is "mobile", "landline" or "other".
    """

    value: str
    kind: str
    valid: bool
    problem: str | None


def standardise_phone(raw: str | None) -> Phone | None:
    """Standardise one written phone number; None when ``raw`` is empty. Never raises.

    Accepts +86 / 86- / 0086 prefixes, spaces, dashes, dots, brackets round the area code,
    full-width digits and an extension (转123, ext 12), which is dropped. An 8-digit number
    without area code is taken as a Guangzhou landline (020). Several numbers in one field
    give an invalid Phone with the text kept; use :func:`standardise_phones` to split them.
    """
    text = clean_text(raw)
    if text is None:
        return None
    parts = [p for p in _LIST_SEPARATORS.split(text) if re.search(r"[0-9]{5}", p.replace(" ", ""))]
    if len(parts) > 1:
        return Phone(text, "other", False, f"several numbers in one field: {text!r}")
    number = _EXTENSION.sub("", text).strip()
    if dashed := _DASHED_EXTENSION.fullmatch(number):
        number = dashed[1]
    if not _ALLOWED.fullmatch(number):
        return Phone(text, "other", False, "not a phone number (letters or other characters)")
    digits = re.sub(r"[^0-9]", "", number)
    if not digits:
        return Phone(text, "other", False, "no digits")
    international = number.startswith("+") or digits.startswith("00")
    digits = digits[2:] if digits.startswith("00") else digits
    if international and not digits.startswith("86"):
        return _foreign(digits)
    if international or (digits.startswith("86") and len(digits) in (12, 13)):
        digits = digits[2:]
    return _national(digits)


def standardise_phones(raw: str | None) -> tuple[Phone, ...]:
    """Every phone number in a field that may hold several ("138…/020-…", "138…，139…")."""
    text = clean_text(raw)
    if text is None:
        return ()
    phones = (standardise_phone(part) for part in _LIST_SEPARATORS.split(text))
    return tuple(phone for phone in phones if phone is not None)


def _national(digits: str) -> Phone:
    if digits.startswith("0") and _MOBILE.fullmatch(digits[1:]):
        digits = digits[1:]
    if len(digits) == 11 and digits.startswith("1"):
        if _MOBILE.fullmatch(digits):
            return Phone(digits, "mobile", True, None)
        return Phone(digits, "mobile", False, f"mobile prefix {digits[:3]} does not exist")
    if digits.startswith(("400", "800")) and len(digits) == 10:
        return Phone(digits, "other", True, None)
    if digits.startswith("0") and 10 <= len(digits) <= 12:
        return _landline(digits)
    if len(digits) == 8 and digits[0] not in "01":
        return _landline(GUANGZHOU_AREA_CODE + digits)
    if len(digits) in (10, 11) and digits[0] in "23456789":
        with_trunk = _landline("0" + digits)
        if with_trunk.valid:
            return with_trunk
    if len(digits) == 7 and digits[0] not in "01":
        return Phone(digits, "landline", False, "7-digit number without area code")
    if 3 <= len(digits) <= 6 and _is_short_number(digits):
        return Phone(digits, "other", True, None)
    return Phone(digits, "other", False, f"unrecognised number ({len(digits)} digits)")


def _landline(digits: str) -> Phone:
    parsed = _parse("+86" + digits[1:])
    if parsed is not None and phonenumbers.is_valid_number(parsed):
        area_length = phonenumbers.length_of_geographical_area_code(parsed)
        if area_length:
            national = phonenumbers.national_significant_number(parsed)
            value = f"0{national[:area_length]}-{national[area_length:]}"
            return Phone(value, "landline", True, None)
    area_length = 3 if digits[1] in "12" else 4
    value = f"{digits[:area_length]}-{digits[area_length:]}"
    return Phone(value, "landline", False, "not a valid landline number for its area code")


def _foreign(digits: str) -> Phone:
    parsed = _parse("+" + digits)
    if parsed is None:
        return Phone("+" + digits, "other", False, "not a valid international number")
    value = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if phonenumbers.is_valid_number(parsed):
        return Phone(value, "other", True, None)
    return Phone(value, "other", False, "not a valid number for its country")


def _parse(number: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(number, "CN")
    except phonenumbers.NumberParseException:
        return None


def _is_short_number(digits: str) -> bool:
    parsed = _parse(digits)
    return parsed is not None and shortnumberinfo.is_valid_short_number_for_region(parsed, "CN")
