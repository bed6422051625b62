import json
from collections.abc import Callable
from datetime import date
from typing import Any

import strawberry
from strawberry.utils.str_converters import to_camel_case

from api import services
from api.context import Context
from api.masking import Masker
from api.types.common import Attribute
from api.types.pagination import connection_type, edge_type


@strawberry.type(
    description="One mention in one department's row, as ingested: the lineage of every answer."
)
class SourceRecord:
    key: strawberry.ID = strawberry.field(description="`source/record_id/role`, unique.")
    source: str = strawberry.field(description="Source name from the sources contract.")
    record_id: str = strawberry.field(description="Record ID within the source.")
    role: str = strawberry.field(description="Role of the mention in its row (tenant, wife, …).")
    entity: str = strawberry.field(description="person, enterprise or rental_unit.")
    department: str | None = strawberry.field(description="Department that keeps the source.")
    row_number: int | None = strawberry.field(description="Row number in the source file.")
    batch_id: int | None = strawberry.field(description="Ingest batch that staged the row.")
    name: str | None = strawberry.field(description="Standardised name.")
    name_raw: str | None = strawberry.field(description="Name as written.")
    name_key: str | None = strawberry.field(description="Pinyin key the name is matched on.")
    id_number: str | None = strawberry.field(
        description="Standardised resident ID (18 chars), masked for department apps."
    )
    id_number_raw: str | None = strawberry.field(
        description="Resident ID as written, masked for department apps."
    )
    id_valid: bool | None = strawberry.field(description="Whether the ID's check digit is right.")
    birth_date: date | None = strawberry.field(description="Standardised birth date.")
    gender: str | None = strawberry.field(description="M or F.")
    phone: str | None = strawberry.field(
        description="Standardised phone, masked for department apps."
    )
    phone_raw: str | None = strawberry.field(
        description="Phone as written, masked for department apps."
    )
    uscc: str | None = strawberry.field(description="Standardised unified social credit code.")
    uscc_raw: str | None = strawberry.field(description="USCC as written.")
    address: str | None = strawberry.field(description="Standardised address text.")
    address_raw: str | None = strawberry.field(description="Address as written.")
    district: str | None = strawberry.field(description="District read from the address.")
    street: str | None = strawberry.field(description="Street office read from the address.")
    community: str | None = strawberry.field(description="Community read from the address.")
    point_key: str | None = strawberry.field(description="Address-point key (road|number|sub).")
    unit_key: str | None = strawberry.field(description="Flat key (point|building|room).")
    field_issues: list[str] = strawberry.field(
        description="Field-level problems found at ingest (wrong check digit, bad date, …)."
    )

    attributes_json: strawberry.Private[str | None]
    masker: strawberry.Private[Masker]

    @classmethod
    def from_record(cls, row: dict[str, Any], ctx: Context) -> "SourceRecord":
        """The record of a graph row. Its fields are read from the row (and masked) when first
        asked for: a review page holds hundreds of records of which a client shows two
        fields, and building every field of each took longer than the query."""
        record = cls.__new__(cls)
        record._row = row
        record.masker = ctx.masker
        return record

    def __getattr__(self, name: str) -> Any:  # only for fields not read yet
        read = _READ.get(name)
        if read is None or name == "_row":
            raise AttributeError(name)
        value = read(self._row, self.masker)
        setattr(self, name, value)
        return value

    @strawberry.field(
        description="Other values the row recorded (identifiers masked for department apps)."
    )
    def attributes(self) -> list[Attribute]:
        return Attribute.list_from_json(self.attributes_json, self.masker)


_PLAIN = (
    "department", "row_number", "batch_id", "name", "name_raw", "name_key", "id_valid",
    "gender", "uscc", "uscc_raw", "address", "address_raw", "district", "street", "community",
    "point_key", "unit_key",
)  # fmt: skip
_READ: dict[str, Callable[[dict[str, Any], Masker], Any]] = {
    **{name: (lambda row, masker, name=name: row.get(name)) for name in _PLAIN},
    "key": lambda row, masker: strawberry.ID(row["key"]),
    "source": lambda row, masker: row.get("source") or "",
    "record_id": lambda row, masker: row.get("record_id") or "",
    "role": lambda row, masker: row.get("role") or "",
    "entity": lambda row, masker: row.get("entity") or "",
    "id_number": lambda row, masker: masker.resident_id(row.get("id_number")),
    "id_number_raw": lambda row, masker: masker.resident_id(row.get("id_number_raw")),
    "birth_date": lambda row, masker: services.as_date(row.get("birth_date")),
    "phone": lambda row, masker: masker.phone(row.get("phone")),
    "phone_raw": lambda row, masker: masker.phone(row.get("phone_raw")),
    "attributes_json": lambda row, masker: row.get("attributes"),
    "field_issues": lambda row, masker: [
        masker.text(str(issue)) or "" for issue in _issues(row.get("field_issues"))
    ],
}
"""How :meth:`SourceRecord.from_record` reads each field from a graph row, masked for the
caller."""


def graph_properties(graphql_names: set[str]) -> list[str] | None:
    """The graph properties a :class:`SourceRecord` needs to answer the fields named (GraphQL
    names; ``__typename`` needs none), ``key`` always among them; None when a name is not one
    of its fields (then read them all)."""
    wanted = {"key"}
    for name in graphql_names - {"__typename"}:
        if name not in _FIELDS:
            return None
        wanted.add(_FIELDS[name])  # each field is read from the property of its own name
    return sorted(wanted)


_FIELDS = {
    field.graphql_name or to_camel_case(field.python_name): field.python_name
    for field in SourceRecord.__strawberry_definition__.fields
}
"""A :class:`SourceRecord` field's GraphQL name → its Python name (the graph property)."""


def _issues(value: object) -> list[str]:
    """Field issues as stored: a JSON list (or already a list)."""
    if not value:
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    return [str(issue) for issue in value] if isinstance(value, list) else [str(value)]


SourceRecordEdge = edge_type(
    SourceRecord,
    name="SourceRecordEdge",
    description="A source record in a list.",
    node_description="The source record.",
)
SourceRecordConnection = connection_type(
    SourceRecordEdge,
    name="SourceRecordConnection",
    description="A page of source records (Relay connection).",
    edges="The records of this page.",
    total_count="How many records the whole list holds.",
)
