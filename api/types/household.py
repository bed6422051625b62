from typing import Any

import strawberry

from api.context import Context
from api.services import HouseholdRegister
from api.types.address import AddressPoint, ParsedAddress
from api.types.pagination import connection_type, edge_type
from api.types.person import Person
from api.types.source_record import SourceRecord


@strawberry.type(description="A person of an electronic household register, and on what basis.")
class HouseholdMember:
    person: Person = strawberry.field(description="The person.")
    basis: list[str] = strawberry.field(
        description="REGISTERED (a department records them at this address: household "
        "registration, residence, migrant registration…) and/or TENANT (rental registry)."
    )
    source_records: list[SourceRecord] = strawberry.field(
        description="The records placing them here, each naming its source and department."
    )

    @classmethod
    def from_record(cls, row: dict[str, Any], ctx: Context) -> "HouseholdMember":
        records = sorted(row.get("records") or [], key=lambda r: (r["source"], r["record_id"]))
        return cls(
            person=Person.from_record(row["node"], ctx),
            basis=sorted(row.get("basis") or []),
            source_records=[SourceRecord.from_record(r, ctx) for r in records],
        )


HouseholdMemberEdge = edge_type(
    HouseholdMember,
    name="HouseholdMemberEdge",
    description="A household member in a list.",
    node_description="The member.",
)
HouseholdMemberConnection = connection_type(
    HouseholdMemberEdge,
    name="HouseholdMemberConnection",
    description="A page of household members (Relay connection).",
    edges="The members of this page.",
    total_count="How many members the register holds.",
)


@strawberry.type(description="How many members of the register one source places here.")
class SourceCount:
    source: str = strawberry.field(description="Source name.")
    department: str | None = strawberry.field(description="Department keeping the source.")
    members: int = strawberry.field(description="Members this source places at the address.")


@strawberry.type(
    description="The electronic household register (电子户籍) of an address: who is registered "
    "or lives there, by source. A room in the address narrows it to that flat."
)
class Household:
    parsed: ParsedAddress = strawberry.field(description="How the address was read.")
    point: AddressPoint | None = strawberry.field(
        description="The address point, when it exists in your jurisdiction."
    )
    members: HouseholdMemberConnection = strawberry.field(description="The members.")
    by_source: list[SourceCount] = strawberry.field(
        description="Members per source: which departments know of people here."
    )

    @classmethod
    def from_register(cls, given: str, register: HouseholdRegister, ctx: Context) -> "Household":
        return cls(
            parsed=ParsedAddress.from_address(given, register.address),
            point=AddressPoint.from_record(register.point, ctx) if register.point else None,
            members=HouseholdMemberConnection.of(register.members, ctx),
            by_source=[
                SourceCount(source=s, department=d, members=n)
                for s, d, n in register.members_by_source
            ],
        )
