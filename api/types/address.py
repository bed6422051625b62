from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from api import services
from api.context import Context
from api.pagination import Window
from api.types.pagination import After, First, PageInfo, cursors
from huitong.standardise import Address

if TYPE_CHECKING:
    from api.types.enterprise import EnterpriseConnection
    from api.types.event import EventConnection
    from api.types.person import PersonConnection
    from api.types.rental_unit import RentalUnitConnection

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

    @strawberry.field(description="Rental units at this point (in your jurisdiction).")
    async def rental_units(
        self, info: Info, first: First = None, after: After = None
    ) -> Annotated["RentalUnitConnection", strawberry.lazy("api.types.rental_unit")]:
        from api.types.rental_unit import RentalUnitConnection

        rows = await services.point_units(info.context, self.key)
        return RentalUnitConnection.from_rows(rows, info.context, first, after, via="AT")

    @strawberry.field(
        description="Persons registered or recorded at this point, with the records saying so."
    )
    async def registered_persons(
        self, info: Info, first: First = None, after: After = None
    ) -> Annotated["PersonConnection", strawberry.lazy("api.types.person")]:
        from api.types.person import PersonConnection

        rows = await services.point_registered(info.context, "Person", self.key)
        return PersonConnection.from_rows(rows, info.context, first, after, via="REGISTERED_AT")

    @strawberry.field(description="Enterprises registered at this point (住所).")
    async def registered_enterprises(
        self, info: Info, first: First = None, after: After = None
    ) -> Annotated["EnterpriseConnection", strawberry.lazy("api.types.enterprise")]:
        from api.types.enterprise import EnterpriseConnection

        rows = await services.point_registered(info.context, "Enterprise", self.key)
        return EnterpriseConnection.from_rows(rows, info.context, first, after, via="REGISTERED_AT")

    @strawberry.field(description="Events that took place here (newest first).")
    async def events(
        self,
        info: Info,
        type: Annotated[
            str | None,
            strawberry.argument(description="Only events of this type (Violation, Birth, …)."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Annotated["EventConnection", strawberry.lazy("api.types.event")]:
        from api.types.event import EventConnection

        rows = await services.point_events(info.context, self.key, type)
        return EventConnection.from_rows(rows, info.context, first, after)


@strawberry.type(description="An address point in a list, with the records placing it there.")
class AddressPointEdge:
    node: AddressPoint = strawberry.field(description="The address point.")
    cursor: str = strawberry.field(description="Opaque cursor of this edge, for `after`.")
    sources: list[str] = strawberry.field(
        description="Keys of the source records that register the entity here (may be empty)."
    )


@strawberry.type(description="A page of address points (Relay connection).")
class AddressPointConnection:
    edges: list[AddressPointEdge] = strawberry.field(description="The points of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
    total_count: int = strawberry.field(description="How many points the whole list holds.")

    @classmethod
    def from_window(cls, window: Window, ctx: Context) -> "AddressPointConnection":
        edges = [
            AddressPointEdge(
                node=AddressPoint.from_record(row["node"], ctx),
                cursor=cursor,
                sources=list(row.get("sources") or []),
            )
            for cursor, row in cursors(window)
        ]
        return cls(edges=edges, page_info=PageInfo.of(window), total_count=window.total)

    @classmethod
    def from_rows(
        cls, rows: list[dict[str, Any]], ctx: Context, first: int | None, after: str | None
    ) -> "AddressPointConnection":
        window = Window.of(rows, ctx.page(first, after))
        ctx.returned(len(window.items))
        return cls.from_window(window, ctx)


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
