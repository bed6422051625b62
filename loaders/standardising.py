"""One row of a department file, standardised: its mentions (names, IDs, phones, USCCs, dates,
addresses through :mod:`huitong.standardise`) and, for an event source, the event.

The standardisers are cached: department files repeat the same names and addresses a lot.
Field-level problems (a wrong check digit, an unreadable date) never drop a row: they are listed
in ``field_issues`` beside the raw value.
"""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache

from huitong.standardise import (
    contradiction,
    parse_address,
    parse_date,
    standardise_enterprise_name,
    standardise_gender,
    standardise_person_name,
    standardise_phone,
    standardise_resident_id,
    standardise_uscc,
)
from huitong.standardise._chinese import pinyin_syllables, split_pinyin
from huitong.standardise.names import homophone_key
from huitong.vocabulary import IDENTIFYING_FIELDS
from loaders import staging
from loaders.config import MentionSpec, SourceSpec

_CACHE = 1 << 16
"""Entries per standardiser cache. An entry costs about 740 bytes on the household register
(214 MB for 290,000 entries over the caches): at 1 << 18 entries each, the caches alone could
reach over 1 GB on a large file, more than ingest's whole memory target."""
STANDARDISER_VERSION = "6"
"""Bump when standardisation changes, so the next ingest re-stages unchanged files."""

_name = lru_cache(_CACHE)(standardise_person_name)
_enterprise = lru_cache(_CACHE)(standardise_enterprise_name)
_resident_id = lru_cache(_CACHE)(standardise_resident_id)
_uscc = lru_cache(_CACHE)(standardise_uscc)
_phone = lru_cache(_CACHE)(standardise_phone)
_address = lru_cache(_CACHE)(parse_address)
_homophone = lru_cache(_CACHE)(homophone_key)
_MENTION_COLUMNS = tuple(staging.MENTION_SCHEMA.names)


@lru_cache(_CACHE)
def _date(raw: str) -> tuple[date | None, str | None]:
    try:
        return parse_date(raw), None
    except ValueError as error:
        return None, str(error)


@lru_cache(1024)
def _gender(raw: str) -> tuple[str | None, str | None]:
    try:
        return standardise_gender(raw), None
    except ValueError as error:
        return None, str(error)


def clear_caches() -> None:
    """Empty the standardisers' caches, giving their memory back (see :data:`_CACHE`)."""
    for cached in (_name, _enterprise, _resident_id, _uscc, _phone, _address, _homophone, _date,
                   pinyin_syllables, split_pinyin):  # fmt: skip
        cached.cache_clear()


def _field_value(values: dict[str, str | None], columns: tuple[str, ...]) -> str | None:
    """One canonical field from its column(s): several are joined with one space."""
    if len(columns) == 1:
        return values.get(columns[0])
    parts = [values.get(column) for column in columns]
    joined = " ".join(part for part in parts if part)
    return joined or None


def _empty_mention() -> dict:
    return dict.fromkeys(_MENTION_COLUMNS)


def standardise_mention(
    spec: MentionSpec, values: dict[str, str | None]
) -> tuple[dict | None, str | None]:
    """A mention's standardised fields, or ``(None, None)`` when the row does not mention it.

    Returns ``(None, reason)`` when the mention is present but has no usable identifying field.
    Field-level problems (a bad check digit, an unreadable date) are kept in ``field_issues``;
    the raw value is always kept beside the standardised one.
    """
    raw = {name: _field_value(values, columns) for name, columns in spec.fields.items()}
    attributes = {name: values.get(column) for name, column in spec.attributes.items()}
    if not any(raw.values()):
        return None, None
    row = _empty_mention()
    issues: list[str] = []
    entity = spec.entity
    name_raw = raw.get("name")
    if name_raw:
        row["name_raw"] = name_raw
        if entity == "person":
            name = _name(name_raw)
            if name:
                row.update(
                    name=name.text,
                    name_script=name.script,
                    name_key=name.key,
                    name_homophone_key=_homophone(name),
                    surname=name.surname,
                    surname_key=name.surname_key,
                    given_name=name.given,
                )
        else:
            enterprise = _enterprise(name_raw)
            if enterprise:
                row.update(
                    name=enterprise.text,
                    name_key=enterprise.key,
                    ent_brand=enterprise.brand,
                    ent_legal_form=enterprise.legal_form,
                    ent_city=enterprise.city,
                    ent_is_branch=enterprise.is_branch,
                    ent_branch_name=enterprise.branch_name,
                    ent_trade_name=enterprise.trade_name,
                )
    id_raw = raw.get("id_number")
    rid = None
    if id_raw:
        rid = _resident_id(id_raw)
        row["id_number_raw"] = id_raw
        if rid:
            row.update(
                id_number=rid.value,
                id_valid=rid.valid,
                id_problem=rid.problem,
                id_is_foreign=rid.is_foreign,
                id_converted_from_15=rid.converted_from_15,
                id_birth_date=rid.birth_date,
                id_gender=rid.gender,
            )
            if rid.problem and not rid.is_foreign:
                issues.append(f"id_number: {rid.problem}")
    birth_raw = raw.get("birth_date")
    if birth_raw:
        row["birth_date_raw"] = birth_raw
        row["birth_date"], problem = _date(birth_raw)
        if problem:
            issues.append(f"birth_date: {problem}")
    gender_raw = raw.get("gender")
    if gender_raw:
        row["gender_raw"] = gender_raw
        row["gender"], problem = _gender(gender_raw)
        if problem:
            issues.append(f"gender: {problem}")
    if rid and rid.valid and (reason := contradiction(rid, row["birth_date"], row["gender"])):
        row["id_contradicted"] = True
        issues.append(f"id_number: {reason} (a relative's ID?)")
    phone_raw = raw.get("phone")
    if phone_raw:
        phone = _phone(phone_raw)
        row["phone_raw"] = phone_raw
        if phone:
            row.update(phone=phone.value, phone_kind=phone.kind, phone_valid=phone.valid)
            if phone.problem:
                issues.append(f"phone: {phone.problem}")
    uscc_raw = raw.get("uscc")
    if uscc_raw:
        uscc = _uscc(uscc_raw)
        row["uscc_raw"] = uscc_raw
        if uscc:
            row.update(uscc=uscc.value, uscc_valid=uscc.valid, uscc_problem=uscc.problem)
            if uscc.problem:
                issues.append(f"uscc: {uscc.problem}")
    address_raw = raw.get("address")
    if address_raw:
        row["address_raw"] = address_raw
        address = _address(address_raw)
        if address:
            row.update(
                address=address.text,
                district=address.district,
                street=address.street,
                community=address.community,
                road=address.road,
                house_number=address.number,
                sub_number=address.sub_number,
                building=address.building,
                room=address.room,
                point_key=address.point_key,
                unit_key=address.unit_key,
                locality=address.locality,
                postcode=address.postcode,
                road_core=address.road_core,
                unit_text=address.unit_text,
                address_problem=address.problem,
            )
            if address.problem:
                issues.append(f"address: {address.problem}")
    identifying = {
        "name": row["name"],
        "id_number": row["id_number"],
        "uscc": row["uscc"],
        "address": row["address"],
    }
    if not any(identifying[f] for f in IDENTIFYING_FIELDS[entity]):
        wanted = " or ".join(IDENTIFYING_FIELDS[entity])
        return None, f"mention '{spec.role}' ({entity}) has no usable {wanted}"
    row["attributes"] = json.dumps(
        {k: v for k, v in attributes.items() if v is not None}, ensure_ascii=False
    )
    row["field_issues"] = json.dumps(issues, ensure_ascii=False) if issues else None
    return row, None


def event_row(spec: SourceSpec, record_id: str, values: dict[str, str | None]) -> dict:
    """The event a row of an event source records: its type, date and place standardised."""
    assert spec.event is not None
    issues: list[str] = []
    event = {
        "event_id": f"{spec.name}/{record_id}",
        "source": spec.name,
        "record_id": record_id,
        "department": spec.department,
        "type": spec.event.type,
        "date_raw": None,
        "date": None,
        "place_raw": None,
        "place": None,
        "place_district": None,
        "place_street": None,
        "place_community": None,
        "place_point_key": None,
        "attributes": json.dumps(
            {k: values.get(c) for k, c in spec.event.attributes.items() if values.get(c)},
            ensure_ascii=False,
        ),
    }
    if spec.event.date and values.get(spec.event.date):
        event["date_raw"] = values[spec.event.date]
        event["date"], problem = _date(event["date_raw"])
        if problem:
            issues.append(f"date: {problem}")
    if spec.event.place and values.get(spec.event.place):
        event["place_raw"] = values[spec.event.place]
        place = _address(event["place_raw"])
        if place:
            event.update(
                place=place.text,
                place_district=place.district,
                place_street=place.street,
                place_community=place.community,
                place_point_key=place.point_key,
            )
            if place.problem:
                issues.append(f"place: {place.problem}")
    event["field_issues"] = json.dumps(issues, ensure_ascii=False) if issues else None
    return event
