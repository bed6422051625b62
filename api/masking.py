"""Masking of resident ID numbers and phone numbers for roles that may not see them.

Policy (see the README): ``admin``, ``investigator`` and ``steward`` see identifiers as stored;
``department_app`` sees them masked wherever they appear — golden records, source records (the
standardised and the raw value), provenance and free-text attributes.

- resident ID: first 4 and last 4 characters kept: ``4401**********123X``
- mobile: first 3 and last 4 digits kept: ``138****5678``
- landline: area code and last 4 digits kept: ``020-****5678``
- anything else in an identifier field: all but the last 4 characters masked
"""

from __future__ import annotations

import re

_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])([0-9]{6})([0-9]{8})([0-9]{3}[0-9Xx])|[0-9]{15}")
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[\s-]?)?(1[3-9][0-9])[\s-]?([0-9]{4})[\s-]?([0-9]{4})")
_LANDLINE = re.compile(r"(?<![0-9])(0[0-9]{2,3})-?([0-9]{3,4})([0-9]{4})(?![0-9])")
_PASSPORT = re.compile(r"(?<![0-9A-Za-z])([A-Z]{1,2})([0-9]{7,8})(?![0-9])")
_LONG_DIGITS = re.compile(r"[0-9]{11,}")


def mask_resident_id(value: str | None) -> str | None:
    """``440106196602254570`` → ``4401**********4570``; short values keep their last 2."""
    if not value:
        return value
    if len(value) >= 12:
        return value[:4] + "*" * (len(value) - 8) + value[-4:]
    return "*" * max(len(value) - 2, 0) + value[-2:]


def mask_phone(value: str | None) -> str | None:
    """``13812345678`` → ``138****5678``; ``020-87654321`` → ``020-****4321``."""
    if not value:
        return value
    digits = re.sub(r"[^0-9]", "", value)
    if re.fullmatch(r"1[3-9][0-9]{9}", digits):
        return f"{digits[:3]}****{digits[-4:]}"
    if "-" in value:
        area, _, number = value.partition("-")
        return f"{area}-" + "*" * max(len(number) - 4, 0) + number[-4:]
    return "*" * max(len(value) - 4, 0) + value[-4:]


def mask_text(text: str | None) -> str | None:
    """Free text with every resident ID, phone, passport number and long digit run masked."""
    if not text:
        return text
    text = _RESIDENT_ID.sub(lambda m: mask_resident_id(m[0]) or "", text)
    text = _MOBILE.sub(lambda m: f"{m[1]}****{m[3]}", text)
    text = _LANDLINE.sub(lambda m: f"{m[1]}-****{m[3]}", text)
    text = _PASSPORT.sub(lambda m: m[1] + "*" * (len(m[2]) - 3) + m[2][-3:], text)
    return _LONG_DIGITS.sub(lambda m: "*" * (len(m[0]) - 4) + m[0][-4:], text)


class Masker:
    """Applies the policy for one caller: the identity when the caller may see identifiers."""

    def __init__(self, sees_identifiers: bool) -> None:
        self.sees_identifiers = sees_identifiers

    def resident_id(self, value: str | None) -> str | None:
        return value if self.sees_identifiers else mask_resident_id(value)

    def phone(self, value: str | None) -> str | None:
        return value if self.sees_identifiers else mask_phone(value)

    def text(self, value: str | None) -> str | None:
        return value if self.sees_identifiers else mask_text(value)

    def attribute(self, name: str, value: str | None) -> str | None:
        """A value of a named attribute (provenance, survived fields)."""
        if self.sees_identifiers or value is None:
            return value
        if name in ("id_number", "id_number_raw"):
            return mask_resident_id(value)
        if name in ("phone", "phone_raw"):
            return mask_phone(value)
        return mask_text(value)
