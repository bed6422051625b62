from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from api import services
from api.context import Context
from api.masking import Masker
from api.pagination import Window
from api.types.common import Provenance
from api.types.pagination import After, First, PageInfo, cursors

if TYPE_CHECKING:
    from api.types.address import AddressPoint
    from api.types.event import EventConnection
    from api.types.person import PersonConnection
    from api.types.source_record import SourceRecordConnection

Info = strawberry.Info[Context, None]


@strawberry.type(
    description="A golden rental unit (出租屋): a room or flat at a precise address, with its "
    "landlord and tenants."
)
class RentalUnit:
    id: strawberry.ID = strawberry.field(description="Stable golden ID (U-…).")
    address: str | None = strawberry.field(description="Standardised address of the unit.")
    road: str | None = strawberry.field(description="Road.")
    house_number: str | None = strawberry.field(description="House number (号).")
    sub_number: str | None = strawberry.field(description="Sub-number (之N).")
    building: str | None = strawberry.field(description="Building (栋/座).")
    room: str | None = strawberry.field(description="Room (房/室).")
    unit_key: str | None = strawberry.field(description="Flat key (point|building|room).")
    point_key: str | None = strawberry.field(description="Key of its address point.")
    district: str | None = strawberry.field(description="District (区).")
    street: str | None = strawberry.field(description="Street office (街道).")
    community: str | None = strawberry.field(description="Community (社区).")
    mention_count: int = strawberry.field(description="How many source records resolve here.")
    source_names: list[str] = strawberry.field(description="Sources that mention it.")
    redirected_from: str | None = strawberry.field(
        description="The retired ID that was asked for, when it redirected here."
    )
    provenance_json: strawberry.Private[str | None]
    masker: strawberry.Private[Masker]

    @classmethod
    def from_record(
        cls, row: dict[str, Any], ctx: Context, *, redirected_from: str | None = None
    ) -> "RentalUnit":
        return cls(
            id=strawberry.ID(row["id"]),
            address=row.get("address"),
            road=row.get("road"),
            house_number=row.get("house_number"),
            sub_number=row.get("sub_number"),
            building=row.get("building"),
            room=row.get("room"),
            unit_key=row.get("unit_key"),
            point_key=row.get("point_key"),
            district=row.get("district"),
            street=row.get("street"),
            community=row.get("community"),
            mention_count=int(row.get("mention_count") or 0),
            source_names=list(row.get("sources") or []),
            provenance_json=row.get("provenance"),
            masker=ctx.masker,
            redirected_from=redirected_from,
        )

    @strawberry.field(
        description="For each surviving attribute: the record it came from and the rule."
    )
    def provenance(self) -> list[Provenance]:
        return Provenance.list_from_json(self.provenance_json, self.masker)

    @strawberry.field(description="The address point the unit is at.")
    async def point(
        self, info: Info
    ) -> Annotated["AddressPoint", strawberry.lazy("api.types.address")] | None:
        from api.types.address import AddressPoint

        row = await services.unit_point(info.context, self.id)
        return AddressPoint.from_record(row, info.context) if row else None

    @strawberry.field(description="Landlords (出租人) in your jurisdiction.")
    async def landlords(
        self, info: Info, first: First = None, after: After = None
    ) -> Annotated["PersonConnection", strawberry.lazy("api.types.person")]:
        from api.types.person import PersonConnection

        rows = await services.related(info.context, "RentalUnit", "OWNS", "in", "Person", self.id)
        return PersonConnection.from_rows(rows, info.context, first, after, via="OWNS")

    @strawberry.field(description="Tenants (承租人), current and past, in your jurisdiction.")
    async def tenants(
        self, info: Info, first: First = None, after: After = None
    ) -> Annotated["PersonConnection", strawberry.lazy("api.types.person")]:
        from api.types.person import PersonConnection

        rows = await services.related(info.context, "RentalUnit", "RENTS", "in", "Person", self.id)
        return PersonConnection.from_rows(rows, info.context, first, after, via="RENTS")

    @strawberry.field(description="The rental-registry records resolved into this unit.")
    async def source_records(
        self, info: Info, first: First = None, after: After = None
    ) -> Annotated["SourceRecordConnection", strawberry.lazy("api.types.source_record")]:
        from api.types.source_record import SourceRecordConnection

        rows = await services.source_records(info.context, "RentalUnit", self.id)
        return SourceRecordConnection.from_rows(rows, info.context, first, after)

    @strawberry.field(description="Events involving this unit (newest first).")
    async def events(
        self, info: Info, first: First = None, after: After = None
    ) -> Annotated["EventConnection", strawberry.lazy("api.types.event")]:
        from api.types.event import EventConnection

        rows = await services.events(info.context, "RentalUnit", self.id)
        return EventConnection.from_rows(rows, info.context, first, after)


@strawberry.type(description="A rental unit in a list, with why it is in it.")
class RentalUnitEdge:
    node: RentalUnit = strawberry.field(description="The rental unit.")
    cursor: str = strawberry.field(description="Opaque cursor of this edge, for `after`.")
    via: list[str] = strawberry.field(description="How it is linked (RENTS, OWNS, AT).")
    sources: list[str] = strawberry.field(
        description="The rows stating the link (`source/record_id`); empty when computed."
    )


@strawberry.type(description="A page of rental units (Relay connection).")
class RentalUnitConnection:
    edges: list[RentalUnitEdge] = strawberry.field(description="The units of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
    total_count: int = strawberry.field(description="How many units the whole list holds.")

    @classmethod
    def from_rows(
        cls,
        rows: list[dict[str, Any]],
        ctx: Context,
        first: int | None,
        after: str | None,
        *,
        via: str | None = None,
    ) -> "RentalUnitConnection":
        window = Window.of(rows, ctx.page(first, after))
        ctx.returned(len(window.items))
        edges = [
            RentalUnitEdge(
                node=RentalUnit.from_record(row["node"], ctx),
                cursor=cursor,
                via=[via] if via else [],
                sources=list(row.get("sources") or []),
            )
            for cursor, row in cursors(window)
        ]
        return cls(edges=edges, page_info=PageInfo.of(window), total_count=window.total)
