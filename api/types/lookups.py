from typing import Annotated

import strawberry

from api.context import Context
from api.types.enterprise import Enterprise
from api.types.person import Person
from api.types.rental_unit import RentalUnit


@strawberry.type(description="No golden record (or retired ID) has this ID.")
class NotFound:
    id: strawberry.ID = strawberry.field(description="The ID asked for.")
    message: str = strawberry.field(description="What happened, for people.")


@strawberry.type(
    description="The record exists but lies outside your jurisdiction; nothing of it is shown."
)
class OutOfJurisdiction:
    id: strawberry.ID = strawberry.field(description="The ID asked for.")
    jurisdiction: str = strawberry.field(description="Your jurisdiction, as the token states it.")
    message: str = strawberry.field(description="What happened, for people.")

    @classmethod
    def of(cls, subject: str, what: str, ctx: Context) -> "OutOfJurisdiction":
        """``what`` (e.g. "person P-…") lies outside the caller's jurisdiction."""
        jurisdiction = ctx.caller.jurisdiction.describe()
        return cls(
            id=strawberry.ID(subject),
            jurisdiction=jurisdiction,
            message=f"{what} lies outside your jurisdiction ({jurisdiction})",
        )


PersonLookup = Annotated[
    Person | NotFound | OutOfJurisdiction,
    strawberry.union("PersonLookup", description="A person, or why none is shown."),
]
EnterpriseLookup = Annotated[
    Enterprise | NotFound | OutOfJurisdiction,
    strawberry.union("EnterpriseLookup", description="An enterprise, or why none is shown."),
]
RentalUnitLookup = Annotated[
    RentalUnit | NotFound | OutOfJurisdiction,
    strawberry.union("RentalUnitLookup", description="A rental unit, or why none is shown."),
]
