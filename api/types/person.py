from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from api import services
from api.context import Context
from api.masking import Masker
from api.pagination import Window
from api.types.common import Provenance
from api.types.offender_class import OffenderClass
from api.types.pagination import After, First, PageInfo, cursors

if TYPE_CHECKING:
    from api.types.address import AddressPointConnection
    from api.types.enterprise import EnterpriseConnection
    from api.types.event import EventConnection
    from api.types.rental_unit import RentalUnitConnection
    from api.types.source_record import SourceRecordConnection

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

    @strawberry.field(
        description="For each surviving attribute: the record it came from and the rule."
    )
    def provenance(self) -> list[Provenance]:
        return Provenance.list_from_json(self.provenance_json, self.masker)

    @strawberry.field(description="Age in whole years today, from the birth date.")
    def age(self) -> int | None:
        if self.birth_date is None:
            return None
        today = date.today()
        born = self.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    @strawberry.field(description="The department records resolved into this person: lineage.")
    async def source_records(
        self, info: Info, first: First = None, after: After = None
    ) -> Annotated["SourceRecordConnection", strawberry.lazy("api.types.source_record")]:
        from api.types.source_record import SourceRecordConnection

        rows = await services.source_records(info.context, "Person", self.id)
        return SourceRecordConnection.from_rows(rows, info.context, first, after)

    @strawberry.field(
        description="Address points this person is registered or recorded at, by source."
    )
    async def registered_at(
        self, info: Info, first: First = None, after: After = None
    ) -> Annotated["AddressPointConnection", strawberry.lazy("api.types.address")]:
        from api.types.address import AddressPointConnection

        rows = await services.registered_points(info.context, "Person", self.id)
        return AddressPointConnection.from_rows(rows, info.context, first, after)

    @strawberry.field(description="Rental units this person rents (承租), per the rental registry.")
    async def rents(
        self, info: Info, first: First = None, after: After = None
    ) -> Annotated["RentalUnitConnection", strawberry.lazy("api.types.rental_unit")]:
        from api.types.rental_unit import RentalUnitConnection

        rows = await services.related(info.context, "Person", "RENTS", "out", "RentalUnit", self.id)
        return RentalUnitConnection.from_rows(rows, info.context, first, after, via="RENTS")

    @strawberry.field(description="Rental units this person lets as landlord (出租人).")
    async def owns(
        self, info: Info, first: First = None, after: After = None
    ) -> Annotated["RentalUnitConnection", strawberry.lazy("api.types.rental_unit")]:
        from api.types.rental_unit import RentalUnitConnection

        rows = await services.related(info.context, "Person", "OWNS", "out", "RentalUnit", self.id)
        return RentalUnitConnection.from_rows(rows, info.context, first, after, via="OWNS")

    @strawberry.field(description="Spouses, from marriage registrations (in your jurisdiction).")
    async def spouses(
        self, info: Info, first: First = None, after: After = None
    ) -> "PersonConnection":
        rows = await services.related(
            info.context, "Person", "SPOUSE_OF", "both", "Person", self.id
        )
        return PersonConnection.from_rows(rows, info.context, first, after, via="SPOUSE_OF")

    @strawberry.field(description="Parents and guardians (PARENT_OF towards this person).")
    async def parents(
        self, info: Info, first: First = None, after: After = None
    ) -> "PersonConnection":
        rows = await services.related(info.context, "Person", "PARENT_OF", "in", "Person", self.id)
        return PersonConnection.from_rows(rows, info.context, first, after, via="PARENT_OF")

    @strawberry.field(description="Children and wards (PARENT_OF from this person).")
    async def children(
        self, info: Info, first: First = None, after: After = None
    ) -> "PersonConnection":
        rows = await services.related(info.context, "Person", "PARENT_OF", "out", "Person", self.id)
        return PersonConnection.from_rows(rows, info.context, first, after, via="PARENT_OF")

    @strawberry.field(description="Enterprises this person is legal representative of.")
    async def legal_representative_of(
        self, info: Info, first: First = None, after: After = None
    ) -> Annotated["EnterpriseConnection", strawberry.lazy("api.types.enterprise")]:
        from api.types.enterprise import EnterpriseConnection

        rows = await services.related(
            info.context, "Person", "LEGAL_REPRESENTATIVE_OF", "out", "Enterprise", self.id
        )
        return EnterpriseConnection.from_rows(
            rows, info.context, first, after, via="LEGAL_REPRESENTATIVE_OF"
        )

    @strawberry.field(description="Employers, from social insurance and migrant registration.")
    async def employed_by(
        self, info: Info, first: First = None, after: After = None
    ) -> Annotated["EnterpriseConnection", strawberry.lazy("api.types.enterprise")]:
        from api.types.enterprise import EnterpriseConnection

        rows = await services.related(
            info.context, "Person", "EMPLOYED_BY", "out", "Enterprise", self.id
        )
        return EnterpriseConnection.from_rows(rows, info.context, first, after, via="EMPLOYED_BY")

    @strawberry.field(description="Events involving this person (newest first), of any type.")
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

        rows = await services.events(info.context, "Person", self.id, type)
        return EventConnection.from_rows(rows, info.context, first, after)

    @strawberry.field(description="Urban-management violations of this person, newest first.")
    async def violations(
        self, info: Info, since: Since = None, first: First = None, after: After = None
    ) -> Annotated["EventConnection", strawberry.lazy("api.types.event")]:
        from api.types.event import EventConnection

        rows = await services.violations(info.context, self.id, since or self.violation_window)
        return EventConnection.from_rows(rows, info.context, first, after)

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
        rows = await services.violations(info.context, self.id, since or self.violation_window)
        return len(rows)


@strawberry.type(description="A person in a list, with why they are in it.")
class PersonEdge:
    node: Person = strawberry.field(description="The person.")
    cursor: str = strawberry.field(description="Opaque cursor of this edge, for `after`.")
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


@strawberry.type(description="A page of persons (Relay connection).")
class PersonConnection:
    edges: list[PersonEdge] = strawberry.field(description="The persons of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
    total_count: int = strawberry.field(description="How many persons the whole list holds.")

    @classmethod
    def from_window(
        cls,
        window: Window,
        ctx: Context,
        *,
        via: str | None = None,
        violation_window: date | None = None,
    ) -> "PersonConnection":
        edges = [
            PersonEdge(
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
            for cursor, row in cursors(window)
        ]
        return cls(edges=edges, page_info=PageInfo.of(window), total_count=window.total)

    @classmethod
    def from_rows(
        cls,
        rows: list[dict[str, Any]],
        ctx: Context,
        first: int | None,
        after: str | None,
        *,
        via: str | None = None,
    ) -> "PersonConnection":
        window = Window.of(rows, ctx.page(first, after))
        ctx.returned(len(window.items))
        return cls.from_window(window, ctx, via=via)
