import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from api import services
from api.context import Context
from api.masking import Masker
from api.types.common import Attribute
from api.types.pagination import Edge, connection_type

if TYPE_CHECKING:
    from api.types.address import AddressPoint
    from api.types.enterprise import Enterprise
    from api.types.person import Person
    from api.types.rental_unit import RentalUnit

Info = strawberry.Info[Context, None]

Entity = Annotated[
    Annotated["Person", strawberry.lazy("api.types.person")]
    | Annotated["Enterprise", strawberry.lazy("api.types.enterprise")]
    | Annotated["RentalUnit", strawberry.lazy("api.types.rental_unit")],
    strawberry.union("Entity", description="A golden record: person, enterprise or rental unit."),
]


@strawberry.type(description="A golden record taking part in an event, and its role in it.")
class EventParticipant:
    role: str = strawberry.field(description="Role in the event (vendor, wife, child, …).")
    entity: Entity = strawberry.field(description="The participant.")


@strawberry.interface(
    description="Something a department recorded as happening: dated, placed, linked to the "
    "golden records involved. Concrete types carry the fields of their kind."
)
class Event:
    id: strawberry.ID = strawberry.field(description="`source/record_id` of the event's row.")
    type: str = strawberry.field(description="Event type (Violation, Birth, Marriage, …).")
    date: dt.date | None = strawberry.field(description="When it happened (standardised).")
    date_raw: str | None = strawberry.field(description="The date as written.")
    department: str | None = strawberry.field(description="Department that recorded it.")
    source: str | None = strawberry.field(description="Source name.")
    record_id: str | None = strawberry.field(description="Record ID within the source.")
    place: str | None = strawberry.field(description="Where, as standardised address text.")
    place_raw: str | None = strawberry.field(description="Where, as written.")
    attributes_json: strawberry.Private[str | None]
    masker: strawberry.Private[Masker]

    @strawberry.field(
        description="Every attribute the row recorded (identifiers masked for department apps)."
    )
    def attributes(self) -> list[Attribute]:
        return Attribute.list_from_json(self.attributes_json, self.masker)

    @strawberry.field(description="The address point where it happened, if known.")
    async def address(
        self, info: Info
    ) -> Annotated["AddressPoint", strawberry.lazy("api.types.address")] | None:
        from api.types.address import AddressPoint

        row = await services.event_point(info.context, self.id)
        return AddressPoint.from_record(row, info.context) if row else None

    @strawberry.field(description="Golden records involved, in your jurisdiction, with roles.")
    async def participants(self, info: Info) -> list[EventParticipant]:
        from api.types.enterprise import Enterprise
        from api.types.person import Person
        from api.types.rental_unit import RentalUnit

        rows = await services.participants(info.context, self.id)
        info.context.returned(len(rows))
        kinds = {"Person": Person, "Enterprise": Enterprise, "RentalUnit": RentalUnit}
        return [
            EventParticipant(
                role=row["role"] or "",
                entity=kinds[row["label"]].from_record(row["node"], info.context),
            )
            for row in rows
        ]


def _text(row: dict[str, Any], key: str) -> str | None:
    value = row.get(key)
    return None if value in (None, "") else str(value)


def _int(row: dict[str, Any], key: str) -> int | None:
    try:
        return int(str(row.get(key)))
    except ValueError:
        return None


@strawberry.type(description="Urban-management violation (城管违法行为), e.g. by a street vendor.")
class Violation(Event):
    kind: str | None = strawberry.field(description="违法行为: 占道经营, 无证摊贩, …")
    outcome: str | None = strawberry.field(description="处理结果: 警告, 罚款, 暂扣物品, …")
    fine: int | None = strawberry.field(description="Fine in yuan, when fined.")
    squad: str | None = strawberry.field(description="Enforcement squad (执法中队).")


@strawberry.type(description="A birth (出生), from birth certificates or household registration.")
class Birth(Event):
    hospital: str | None = strawberry.field(description="Where the child was delivered.")
    weight_grams: int | None = strawberry.field(description="Birth weight in grams.")
    declarant_relation: str | None = strawberry.field(
        description="Declarant's relation to the child, for household birth registrations."
    )


@strawberry.type(description="A marriage registration (婚姻登记).")
class Marriage(Event):
    office: str | None = strawberry.field(description="Registering office (登记机关).")


@strawberry.type(description="A death, cancelling a household registration (死亡注销).")
class Death(Event):
    note: str | None = strawberry.field(description="变动说明.")


@strawberry.type(description="A household registration moved in (迁入).")
class MoveIn(Event):
    note: str | None = strawberry.field(description="变动说明 (where from).")


@strawberry.type(description="A household registration moved out (迁出).")
class MoveOut(Event):
    note: str | None = strawberry.field(description="变动说明 (where to).")


@strawberry.type(description="A vaccination (预防接种).")
class Vaccination(Event):
    vaccine: str | None = strawberry.field(description="Vaccine (疫苗名称).")
    dose: str | None = strawberry.field(description="Dose (剂次).")
    clinic: str | None = strawberry.field(description="Vaccinating clinic (接种单位).")


@strawberry.type(description="An event of a type without its own GraphQL type (see attributes).")
class OtherEvent(Event):
    pass


EVENT_TYPES = (Violation, Birth, Marriage, Death, MoveIn, MoveOut, Vaccination, OtherEvent)


def event_from_record(row: dict[str, Any], ctx: Context) -> Event:
    """The concrete event type for a graph event's properties."""
    common = {
        "id": strawberry.ID(row["id"]),
        "type": row.get("type") or "",
        "date": services.as_date(row.get("date")),
        "date_raw": _text(row, "date_raw"),
        "department": row.get("department"),
        "source": row.get("source"),
        "record_id": row.get("record_id"),
        "place": row.get("place"),
        "place_raw": row.get("place_raw"),
        "attributes_json": row.get("attributes"),
        "masker": ctx.masker,
    }
    kind = common["type"]
    if kind == "Violation":
        return Violation(
            **common,
            kind=_text(row, "kind"),
            outcome=_text(row, "outcome"),
            fine=_int(row, "fine"),
            squad=_text(row, "squad"),
        )
    if kind == "Birth":
        return Birth(
            **common,
            hospital=_text(row, "hospital"),
            weight_grams=_int(row, "weight_g"),
            declarant_relation=_text(row, "declarant_relation"),
        )
    if kind == "Marriage":
        return Marriage(**common, office=_text(row, "office"))
    if kind in ("Death", "MoveIn", "MoveOut"):
        return {"Death": Death, "MoveIn": MoveIn, "MoveOut": MoveOut}[kind](
            **common, note=ctx.masker.text(_text(row, "note"))
        )
    if kind == "Vaccination":
        return Vaccination(
            **common,
            vaccine=_text(row, "vaccine"),
            dose=_text(row, "dose"),
            clinic=_text(row, "clinic"),
        )
    return OtherEvent(**common)


@strawberry.type(description="An event in a list, with the asking record's roles in it.")
class EventEdge(Edge[Event]):
    node: Event = strawberry.field(description="The event.")
    roles: list[str] = strawberry.field(
        description="Roles of the record whose events these are (vendor, wife, …); empty for "
        "events listed by place."
    )

    @classmethod
    def from_row(cls, row: dict[str, Any], cursor: str, ctx: Context) -> "EventEdge":
        return cls(
            node=event_from_record(row["node"], ctx),
            cursor=cursor,
            roles=list(row.get("roles") or []),
        )


EventConnection = connection_type(
    EventEdge,
    name="EventConnection",
    description="A page of events (Relay connection).",
    edges="The events of this page.",
    total_count="How many events the whole list holds.",
)
