"""The words every layer shares, declared once: entity types, relation types and their ends,
graph labels, canonical and identifying fields, and the fields of a staged mention.

Ingest checks a sources file against these, resolution models and clusters by them, publishing
turns them into labels and relationship types, and the API reads them back. A new relation type
is one edit here.
"""

from __future__ import annotations

from dataclasses import dataclass

ENTITY_TYPES: tuple[str, ...] = ("person", "enterprise", "rental_unit")
"""The entity types huitong resolves into golden records."""

ENTITY_LABELS: dict[str, str] = {
    "person": "Person",
    "enterprise": "Enterprise",
    "rental_unit": "RentalUnit",
}
"""Graph label of each entity type's golden records."""

GOLDEN_LABELS: tuple[str, ...] = tuple(ENTITY_LABELS.values())
"""The labels of golden records, a closed set (Cypher labels are never taken from data)."""

ENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "person": ("name", "id_number", "gender", "birth_date", "phone", "address"),
    "enterprise": ("name", "uscc", "address", "phone"),
    "rental_unit": ("address",),
}
"""Canonical fields a source may map, per entity type."""

IDENTIFYING_FIELDS: dict[str, tuple[str, ...]] = {
    "person": ("name", "id_number"),
    "enterprise": ("name", "uscc"),
    "rental_unit": ("address",),
}
"""A mention needs one of these, usable after standardisation, or its row is quarantined."""

CHANGE_KINDS: tuple[str, ...] = (
    "CREATED",
    "UPDATED",
    "MERGED",
    "SPLIT",
    "RETIRED",
    "MOVED_IN",
    "MOVED_OUT",
    "EVENT",
)
"""What a change entry of the data-return feed says happened to a golden record (or that an
event was recorded): resolution computes them, publish writes them, the API serves them."""

RELATION_TYPES: dict[str, tuple[str, str]] = {
    "RENTS": ("person", "rental_unit"),
    "OWNS": ("person", "rental_unit"),
    "LEGAL_REPRESENTATIVE_OF": ("person", "enterprise"),
    "EMPLOYED_BY": ("person", "enterprise"),
    "SPOUSE_OF": ("person", "person"),
    "PARENT_OF": ("person", "person"),
}
"""The closed set of relation types between golden records, with the entity types they join
(from → to). Also the graph's relationship types between golden nodes."""


@dataclass(frozen=True)
class MentionField:
    """One column of a staged mention: its name, its type (``string``, ``int64``, ``bool``,
    ``date``) and whether publishing puts it on the ``(:SourceRecord)`` node."""

    name: str
    type: str = "string"
    on_source_record: bool = False


def _fields(*specs: tuple) -> tuple[MentionField, ...]:
    return tuple(MentionField(*spec) for spec in specs)


MENTION_FIELDS: tuple[MentionField, ...] = _fields(
    # lineage
    ("mention_id", "string"),
    ("source", "string", True),
    ("record_id", "string", True),
    ("role", "string", True),
    ("entity", "string", True),
    ("department", "string", True),
    ("row_number", "int64", True),
    ("batch_id", "int64", True),
    ("content_hash", "string"),
    # names (person and enterprise)
    ("name_raw", "string", True),
    ("name", "string", True),
    ("name_script", "string"),
    ("name_key", "string", True),
    ("name_homophone_key", "string"),
    ("surname", "string"),
    ("surname_key", "string"),
    ("given_name", "string"),
    ("ent_brand", "string"),
    ("ent_legal_form", "string"),
    ("ent_city", "string"),
    ("ent_is_branch", "bool"),
    ("ent_branch_name", "string"),
    ("ent_trade_name", "string"),
    # resident ID
    ("id_number_raw", "string", True),
    ("id_number", "string", True),
    ("id_valid", "bool", True),
    ("id_problem", "string"),
    ("id_is_foreign", "bool"),
    ("id_converted_from_15", "bool"),
    ("id_birth_date", "date"),
    ("id_gender", "string"),
    ("id_contradicted", "bool"),
    # stated birth date and gender
    ("birth_date_raw", "string"),
    ("birth_date", "date", True),
    ("gender_raw", "string"),
    ("gender", "string", True),
    # phone
    ("phone_raw", "string", True),
    ("phone", "string", True),
    ("phone_kind", "string"),
    ("phone_valid", "bool"),
    # USCC
    ("uscc_raw", "string", True),
    ("uscc", "string", True),
    ("uscc_valid", "bool"),
    ("uscc_problem", "string"),
    # address
    ("address_raw", "string", True),
    ("address", "string", True),
    ("district", "string", True),
    ("street", "string", True),
    ("community", "string", True),
    ("road", "string"),
    ("house_number", "string"),
    ("sub_number", "string"),
    ("building", "string"),
    ("room", "string"),
    ("point_key", "string", True),
    ("unit_key", "string", True),
    ("locality", "string"),
    ("postcode", "string"),
    ("road_core", "string"),
    ("unit_text", "string"),
    ("address_problem", "string"),
    # kept, not matched on
    ("attributes", "string", True),
    ("field_issues", "string", True),
)
"""Every column of the workspace's ``mentions`` table, in order."""

SOURCE_RECORD_FIELDS: tuple[str, ...] = tuple(f.name for f in MENTION_FIELDS if f.on_source_record)
"""The mention fields a published ``(:SourceRecord)`` carries (lineage, standardised and raw)."""


def entity_label(entity: str) -> str:
    """The graph label of an entity type; KeyError for anything outside the closed set."""
    return ENTITY_LABELS[entity]
