import json
from datetime import date
from typing import Any

import strawberry

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
        masker = ctx.masker
        issues = _issues(row.get("field_issues"))
        return cls(
            key=strawberry.ID(row["key"]),
            source=row.get("source") or "",
            record_id=row.get("record_id") or "",
            role=row.get("role") or "",
            entity=row.get("entity") or "",
            department=row.get("department"),
            row_number=row.get("row_number"),
            batch_id=row.get("batch_id"),
            name=row.get("name"),
            name_raw=row.get("name_raw"),
            name_key=row.get("name_key"),
            id_number=masker.resident_id(row.get("id_number")),
            id_number_raw=masker.resident_id(row.get("id_number_raw")),
            id_valid=row.get("id_valid"),
            birth_date=services.as_date(row.get("birth_date")),
            gender=row.get("gender"),
            phone=masker.phone(row.get("phone")),
            phone_raw=masker.phone(row.get("phone_raw")),
            uscc=row.get("uscc"),
            uscc_raw=row.get("uscc_raw"),
            address=row.get("address"),
            address_raw=row.get("address_raw"),
            district=row.get("district"),
            street=row.get("street"),
            community=row.get("community"),
            point_key=row.get("point_key"),
            unit_key=row.get("unit_key"),
            attributes_json=row.get("attributes"),
            masker=masker,
            field_issues=[masker.text(str(issue)) or "" for issue in issues],
        )

    @strawberry.field(
        description="Other values the row recorded (identifiers masked for department apps)."
    )
    def attributes(self) -> list[Attribute]:
        return Attribute.list_from_json(self.attributes_json, self.masker)


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
