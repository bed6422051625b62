from typing import TYPE_CHECKING, Any

import strawberry

from api import services
from api.context import Context
from api.types import relations
from api.types.pagination import Edge, connection_type
from huitong.standardise import Address

if TYPE_CHECKING:
    pass

Info = strawberry.Info[Context, None]


@strawberry.type(
    description="An address point: a road and house number (with 之N sub-number), the place "
    "every department's addresses are matched on, inside district → street → community."
)
class AddressPoint:
    key: strawberry.ID = strawberry.field(description="`road|number|sub_number`.")
    text: str | None = strawberry.field(description="Standard text, e.g. 荔枝巷29号之3.")
    road: str | None = strawberry.field(description="Road (路/街/巷…).")
    number: str | None = strawberry.field(description="House number (号).")
    sub_number: str | None = strawberry.field(description="Sub-number (之N), if any.")
    district: str | None = strawberry.field(description="District (区).")
    street: str | None = strawberry.field(description="Street office (街道).")
    community: str | None = strawberry.field(description="Community (社区/居委会).")
    in_jurisdiction: bool = strawberry.field(
        description="Whether the point lies in your jurisdiction. Outside it (reached through "
        "an in-scope person's own addresses) nothing living there is shown."
    )

    @classmethod
    def from_record(cls, row: dict[str, Any], ctx: Context) -> "AddressPoint":
        return cls(
            key=strawberry.ID(row["key"]),
            text=row.get("text"),
            road=row.get("road"),
            number=row.get("number"),
            sub_number=row.get("sub_number"),
            district=row.get("district"),
            street=row.get("street"),
            community=row.get("community"),
            in_jurisdiction=bool(row.get("in_scope")),
        )

    rental_units = relations.list_field(
        "RentalUnit",
        lambda ctx, root, page: services.point_units(ctx, root.key, page),
        description="Rental units at this point (in your jurisdiction).",
        via="AT",
    )
    registered_persons = relations.registered_here(
        "Person",
        description="Persons registered or recorded at this point, with the records saying so.",
    )
    registered_enterprises = relations.registered_here(
        "Enterprise", description="Enterprises registered at this point (住所)."
    )

    events = relations.typed_events(
        lambda ctx, root, page, event_type: services.point_events(ctx, root.key, page, event_type),
        description="Events that took place here (newest first).",
    )


@strawberry.type(description="An address point in a list, with the records placing it there.")
class AddressPointEdge(Edge[AddressPoint]):
    node: AddressPoint = strawberry.field(description="The address point.")
    sources: list[str] = strawberry.field(
        description="Keys of the source records that register the entity here (may be empty)."
    )

    @classmethod
    def from_row(cls, row: dict[str, Any], cursor: str, ctx: Context) -> "AddressPointEdge":
        return cls(
            node=AddressPoint.from_record(row["node"], ctx),
            cursor=cursor,
            sources=list(row.get("sources") or []),
        )


AddressPointConnection = connection_type(
    AddressPointEdge,
    name="AddressPointConnection",
    description="A page of address points (Relay connection).",
    edges="The points of this page.",
    total_count="How many points the whole list holds.",
)


@strawberry.type(description="Free text read by the ingest's address parser.")
class ParsedAddress:
    input: str = strawberry.field(description="The text as given.")
    text: str = strawberry.field(description="Standardised text.")
    district: str | None = strawberry.field(description="District read, if written.")
    street: str | None = strawberry.field(description="Street office read, if written.")
    community: str | None = strawberry.field(description="Community read, if written.")
    road: str | None = strawberry.field(description="Road read.")
    number: str | None = strawberry.field(description="House number read.")
    sub_number: str | None = strawberry.field(description="Sub-number (之N) read.")
    building: str | None = strawberry.field(description="Building (栋/座) read.")
    room: str | None = strawberry.field(description="Room (房/室) read.")
    point_key: str | None = strawberry.field(description="Address-point key, if a number was read.")
    unit_key: str | None = strawberry.field(description="Flat key, if a room was read.")
    problem: str | None = strawberry.field(description="What the parser could not read.")

    @classmethod
    def from_address(cls, given: str, address: Address) -> "ParsedAddress":
        return cls(
            input=given,
            text=address.text,
            district=address.district,
            street=address.street,
            community=address.community,
            road=address.road,
            number=address.number,
            sub_number=address.sub_number,
            building=address.building,
            room=address.room,
            point_key=address.point_key,
            unit_key=address.unit_key,
            problem=address.problem,
        )


@strawberry.type(description="An address looked up from free text: how it was read, its points.")
class AddressLookup:
    parsed: ParsedAddress = strawberry.field(description="How the text was read.")
    points: AddressPointConnection = strawberry.field(
        description="The address point named (or every point of the road when no number was "
        "given), in your jurisdiction."
    )
