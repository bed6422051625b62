import json
from typing import Any

import strawberry

from api.masking import Masker


@strawberry.type(description="One named value a source recorded beside the matched fields.")
class Attribute:
    name: str = strawberry.field(description="Attribute name from the sources contract.")
    value: str | None = strawberry.field(
        description="Value as recorded (identifiers masked unless the role may see them)."
    )

    @classmethod
    def list_from_json(cls, text: str | None, masker: Masker) -> list["Attribute"]:
        try:
            values = json.loads(text) if text else {}
        except ValueError:
            values = {}
        if not isinstance(values, dict):
            return []
        return [
            cls(name=str(key), value=masker.text(None if value is None else str(value)))
            for key, value in values.items()
        ]


@strawberry.type(
    description="Why a golden attribute has its value: the record it survived from and the rule."
)
class Provenance:
    attribute: str = strawberry.field(description="Golden attribute (name, id_number, …).")
    value: str | None = strawberry.field(description="Surviving value (masked if identifying).")
    source: str | None = strawberry.field(description="Source the value came from.")
    record_id: str | None = strawberry.field(description="Record ID within that source.")
    role: str | None = strawberry.field(description="Role of the mention within its row.")
    rule: str | None = strawberry.field(
        description="Survivorship rule that chose it (most_frequent, most_recent, …)."
    )

    @classmethod
    def list_from_json(cls, text: str | None, masker: Masker) -> list["Provenance"]:
        try:
            entries = json.loads(text) if text else {}
        except ValueError:
            entries = {}
        if not isinstance(entries, dict):
            return []
        result = []
        for attribute, entry in sorted(entries.items()):
            entry = entry if isinstance(entry, dict) else {"value": entry}
            value = entry.get("value")
            result.append(
                cls(
                    attribute=attribute,
                    value=masker.attribute(attribute, None if value is None else str(value)),
                    source=entry.get("source"),
                    record_id=entry.get("record_id"),
                    role=entry.get("role"),
                    rule=entry.get("rule"),
                )
            )
        return result


def _provenance(root: Any) -> list[Provenance]:
    return Provenance.list_from_json(root.provenance_json, root.masker)


def provenance_field() -> Any:
    """A golden record's ``provenance`` field, read from its ``provenance_json`` (masked by its
    ``masker``)."""
    return strawberry.field(
        resolver=_provenance,
        description="For each surviving attribute: the record it came from and the rule.",
    )
