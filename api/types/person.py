from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import strawberry

from api import services
from api.context import Context
from api.masking import Masker
from api.pagination import Page
from api.types import relations
from api.types.common import provenance_field
from api.types.offender_class import OffenderClass
from api.types.pagination import After, Edge, First, connection_type

if TYPE_CHECKING:
    from api.types.event import EventConnection

Info = strawberry.Info[Context, None]
Since = Annotated[
    date | None,
    strawberry.argument(
        description="Count only violations on or after this date. Defaults to the window of "
        "the query that found this person (repeatOffenders' `since`), else all time."
    ),
]


@strawberry.type(
    description="A golden person (自然人): one real person resolved across every department's "
    "records — the 360° view. Resident ID and phone are masked unless the role may see them."
)
class Person:
    LABEL: ClassVar[str] = "Person"
    id: strawberry.ID = strawberry.field(
        description="Stable golden ID (P-…). A retired ID asked for resolves to its successor."
    )
    name: str | None = strawberry.field(description="Surviving name (simplified characters).")
    id_number: str | None = strawberry.field(
        description="Resident ID number (公民身份号码), masked for department apps."
    )
    gender: str | None = strawberry.field(description="M or F.")
    birth_date: date | None = strawberry.field(description="Date of birth.")
    phone: str | None = strawberry.field(description="Phone number, masked for department apps.")
    address: str | None = strawberry.field(description="Surviving address, standardised text.")
    district: str | None = strawberry.field(description="District (区) of the surviving address.")
    street: str | None = strawberry.field(description="Street office (街道) of that address.")
    community: str | None = strawberry.field(
        description="Community / residents' committee (社区) of that address."
    )
    mention_count: int = strawberry.field(
        description="How many source records resolve to this person."
    )
    source_names: list[str] = strawberry.field(
        description="Names of the sources that mention this person."
    )
    redirected_from: str | None = strawberry.field(
        description="The retired ID that was asked for, when it redirected here."
    )
    provenance_json: strawberry.Private[str | None]
    masker: strawberry.Private[Masker]
    violation_window: strawberry.Private[date | None]
    known_violations: strawberry.Private[int | None]

    @classmethod
    def from_record(
        cls,
        row: dict[str, Any],
        ctx: Context,
        *,
        redirected_from: str | None = None,
        violation_window: date | None = None,
        known_violations: int | None = None,
    ) -> "Person":
        masker = ctx.masker
        return cls(
            id=strawberry.ID(row["id"]),
            name=row.get("name"),
            id_number=masker.resident_id(row.get("id_number")),
            gender=row.get("gender"),
            birth_date=services.as_date(row.get("birth_date")),
            phone=masker.phone(row.get("phone")),
            address=row.get("address"),
            district=row.get("district"),
            street=row.get("street"),
            community=row.get("community"),
            mention_count=int(row.get("mention_count") or 0),
            source_names=list(row.get("sources") or []),
            provenance_json=row.get("provenance"),
            masker=masker,
            redirected_from=redirected_from,
            violation_window=violation_window,
            known_violations=known_violations,
        )

    provenance = provenance_field()

    @strawberry.field(description="Age in whole years today, from the birth date.")
    def age(self) -> int | None:
        if self.birth_date is None:
            return None
        today = date.today()
        born = self.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    source_records = relations.lineage(
        description="The department records resolved into this person: lineage."
    )
    registered_at = relations.registered_at(
        description="Address points this person is registered or recorded at, by source."
    )
    rents = relations.related(
        "RENTS",
        "out",
        "RentalUnit",
        description="Rental units this person rents (承租), per the rental registry.",
    )
    owns = relations.related(
        "OWNS",
        "out",
        "RentalUnit",
        description="Rental units this person lets as landlord (出租人).",
    )
    spouses = relations.related(
        "SPOUSE_OF",
        "both",
        "Person",
        description="Spouses, from marriage registrations (in your jurisdiction).",
    )
    parents = relations.related(
        "PARENT_OF",
        "in",
        "Person",
        description="Parents and guardians (PARENT_OF towards this person).",
    )
    children = relations.related(
        "PARENT_OF", "out", "Person", description="Children and wards (PARENT_OF from this person)."
    )
    legal_representative_of = relations.related(
        "LEGAL_REPRESENTATIVE_OF",
        "out",
        "Enterprise",
        description="Enterprises this person is legal representative of.",
    )
    employed_by = relations.related(
        "EMPLOYED_BY",
        "out",
        "Enterprise",
        description="Employers, from social insurance and migrant registration.",
    )

    events = relations.typed_events(
        lambda ctx, root, page, event_type: services.events(
            ctx, root.LABEL, root.id, page, event_type
        ),
        description="Events involving this person (newest first), of any type.",
    )

    @strawberry.field(description="Urban-management violations of this person, newest first.")
    async def violations(
        self, info: Info, since: Since = None, first: First = None, after: After = None
    ) -> Annotated["EventConnection", strawberry.lazy("api.types.event")]:
        ctx = info.context
        window = await services.violations(
            ctx, self.id, ctx.page(first, after), since or self.violation_window
        )
        return relations.connection_of("Event").returned(window, ctx)

    @strawberry.field(description="How many violations this person has (since the window).")
    async def violation_count(self, info: Info, since: Since = None) -> int:
        return await self._violations_since(info, since)

    @strawberry.field(
        description="初犯/偶犯/惯犯 by violation count: FIRST 1, OCCASIONAL 2–5, HABITUAL 6 or "
        "more; null without violations."
    )
    async def offender_class(self, info: Info, since: Since = None) -> OffenderClass | None:
        found = services.offender_class(await self._violations_since(info, since))
        return OffenderClass[found] if found else None

    async def _violations_since(self, info: Info, since: date | None) -> int:
        if since is None and self.known_violations is not None:
            return self.known_violations  # counted by the query that found this person
        counted = await services.violations(
            info.context, self.id, Page(0, 0), since or self.violation_window
        )
        return counted.total


@strawberry.type(description="A person in a list, with why they are in it.")
class PersonEdge(Edge[Person]):
    node: Person = strawberry.field(description="The person.")
    via: list[str] = strawberry.field(
        description="How the person is linked to what was asked: a relation type (SPOUSE_OF, "
        "PARENT_OF, LEGAL_REPRESENTATIVE_OF…), REGISTERED_AT / RENTS / CITED_AT for addresses, "
        "NAME / NAME_PINYIN / NAME_HOMOPHONE / ID_NUMBER / PHONE for searches."
    )
    sources: list[str] = strawberry.field(
        description="The records stating the link (`source/record_id` rows, or source-record "
        "keys for registrations); empty when the link is computed."
    )
    score: int | None = strawberry.field(
        description="Search relevance (higher is better); null outside searches."
    )

    @classmethod
    def from_row(
        cls,
        row: dict[str, Any],
        cursor: str,
        ctx: Context,
        *,
        via: str | None = None,
        violation_window: date | None = None,
    ) -> "PersonEdge":
        return cls(
            node=Person.from_record(
                row["node"],
                ctx,
                violation_window=violation_window,
                known_violations=row.get("violations"),
            ),
            cursor=cursor,
            via=list(row.get("via") or ([via] if via else [])),
            sources=list(row.get("sources") or []),
            score=row.get("score"),
        )


PersonConnection = connection_type(
    PersonEdge,
    name="PersonConnection",
    description="A page of persons (Relay connection).",
    edges="The persons of this page.",
    total_count="How many persons the whole list holds.",
)
