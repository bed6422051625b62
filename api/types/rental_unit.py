from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import strawberry

from api import services
from api.context import Context
from api.masking import Masker
from api.types import relations
from api.types.common import provenance_field
from api.types.pagination import Edge, connection_type

if TYPE_CHECKING:
    from api.types.address import AddressPoint

Info = strawberry.Info[Context, None]


@strawberry.type(
    description="A golden rental unit (出租屋): a room or flat at a precise address, with its "
    "landlord and tenants."
)
class RentalUnit:
    LABEL: ClassVar[str] = "RentalUnit"
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

    provenance = provenance_field()

    @strawberry.field(description="The address point the unit is at.")
    async def point(
        self, info: Info
    ) -> Annotated["AddressPoint", strawberry.lazy("api.types.address")] | None:
        from api.types.address import AddressPoint

        row = await services.unit_point(info.context, self.id)
        return AddressPoint.from_record(row, info.context) if row else None

    landlords = relations.related(
        "OWNS", "in", "Person", description="Landlords (出租人) in your jurisdiction."
    )
    tenants = relations.related(
        "RENTS",
        "in",
        "Person",
        description="Tenants (承租人), current and past, in your jurisdiction.",
    )
    source_records = relations.lineage(
        description="The rental-registry records resolved into this unit."
    )
    events = relations.events(description="Events involving this unit (newest first).")


@strawberry.type(description="A rental unit in a list, with why it is in it.")
class RentalUnitEdge(Edge[RentalUnit]):
    node: RentalUnit = strawberry.field(description="The rental unit.")
    via: list[str] = strawberry.field(description="How it is linked (RENTS, OWNS, AT).")
    sources: list[str] = strawberry.field(
        description="The rows stating the link (`source/record_id`); empty when computed."
    )

    @classmethod
    def from_row(
        cls, row: dict[str, Any], cursor: str, ctx: Context, *, via: str | None = None
    ) -> "RentalUnitEdge":
        return cls(
            node=RentalUnit.from_record(row["node"], ctx),
            cursor=cursor,
            via=[via] if via else [],
            sources=list(row.get("sources") or []),
        )


RentalUnitConnection = connection_type(
    RentalUnitEdge,
    name="RentalUnitConnection",
    description="A page of rental units (Relay connection).",
    edges="The units of this page.",
    total_count="How many units the whole list holds.",
)
