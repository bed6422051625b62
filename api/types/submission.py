"""Real-time submission in GraphQL: the mutations ``submitRecords`` and ``retractRecords`` and
what they answer, row by row."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from api import submission
from api.context import Context
from api.permissions import SubmittersOnly
from realtime.results import MentionResult, RetractResult, RowResult, SubmitResult

Info = strawberry.Info[Context, None]


@strawberry.enum(description="What a submitted row did to its source.")
class RowStatus(Enum):
    CREATED = strawberry.enum_value("CREATED", description="A record new to its source.")
    UPDATED = strawberry.enum_value(
        "UPDATED", description="A new version of a record of its source (other content)."
    )
    UNCHANGED = strawberry.enum_value(
        "UNCHANGED", description="The record as the source already holds it: nothing written."
    )
    QUARANTINED = strawberry.enum_value(
        "QUARANTINED",
        description="Not staged, for `reason` (the batch's quarantine rules); the record keeps "
        "its previous version.",
    )


@strawberry.enum(description="How a mentioned entity was resolved.")
class MatchDecision(Enum):
    MATCHED = strawberry.enum_value(
        "MATCHED", description="Joined an existing golden record (the best above the threshold)."
    )
    NEW = strawberry.enum_value("NEW", description="A new golden record.")
    REVIEW = strawberry.enum_value(
        "REVIEW",
        description="A new golden record of its own, and a review candidate for the existing "
        "one it may be (the match probability lies in the review band).",
    )


@strawberry.type(description="One entity a submitted row mentions, and where it went.")
class MentionOutcome:
    role: str = strawberry.field(description="The mention's role in the source (tenant, unit…).")
    entity: str = strawberry.field(description="person, enterprise or rental_unit.")
    entity_id: str = strawberry.field(description="Its golden ID now.")
    decision: MatchDecision = strawberry.field(description="How it was resolved.")
    match_probability: float | None = strawberry.field(
        description="The best pair's match probability with the golden record it joined (for "
        "NEW and REVIEW: with the closest existing one); null when nothing came close."
    )
    merged_ids: list[str] = strawberry.field(
        description="Golden records this mention linked to `entityId` and that were merged "
        "into it (they now redirect to it)."
    )
    review_with: list[str] = strawberry.field(
        description="Golden records a review candidate now asks about instead of merging "
        "(a hard constraint or a steward's decision kept them apart)."
    )

    @classmethod
    def from_result(cls, m: MentionResult) -> MentionOutcome:
        return cls(
            role=m.role,
            entity=m.entity,
            entity_id=m.entity_id,
            decision=MatchDecision(m.decision),
            match_probability=m.match_probability,
            merged_ids=list(m.merged_ids),
            review_with=list(m.review_with),
        )


@strawberry.type(description="One submitted row's outcome.")
class SubmittedRow:
    record_id: str | None = strawberry.field(
        description="The row's record ID (null when it had none)."
    )
    status: RowStatus = strawberry.field(description="What the row did to its source.")
    reason: str | None = strawberry.field(description="Why a QUARANTINED row was not staged.")
    mentions: list[MentionOutcome] = strawberry.field(
        description="The entities the row mentions, by role, with their golden IDs."
    )

    @classmethod
    def from_result(cls, row: RowResult) -> SubmittedRow:
        return cls(
            record_id=row.record_id,
            status=RowStatus(row.status),
            reason=row.reason,
            mentions=[MentionOutcome.from_result(m) for m in row.mentions],
        )


@strawberry.type(
    name="SubmitResult",
    description="What a real-time submission did, row by row, in the order sent.",
)
class SubmitResultType:
    source: str = strawberry.field(description="The source the rows belong to.")
    rows: list[SubmittedRow] = strawberry.field(description="Each row's outcome, in order.")
    sequence: int | None = strawberry.field(
        description="The call's entry in the workdir's journal (null when nothing changed)."
    )

    @classmethod
    def from_result(cls, result: SubmitResult) -> SubmitResultType:
        return cls(
            source=result.source,
            rows=[SubmittedRow.from_result(r) for r in result.rows],
            sequence=result.sequence,
        )


@strawberry.type(name="RetractResult", description="What a retraction did.")
class RetractResultType:
    source: str = strawberry.field(description="The source the records belonged to.")
    retracted: list[str] = strawberry.field(description="Record IDs removed from the source.")
    not_found: list[str] = strawberry.field(
        description="Record IDs the source does not hold (nothing done for them)."
    )
    sequence: int | None = strawberry.field(
        description="The call's entry in the workdir's journal (null when nothing changed)."
    )

    @classmethod
    def from_result(cls, result: RetractResult) -> RetractResultType:
        return cls(
            source=result.source,
            retracted=list(result.retracted),
            not_found=list(result.not_found),
            sequence=result.sequence,
        )


# named apart in Python: strawberry's permission extension takes ``source`` (the parent object)
SourceArg = Annotated[
    str,
    strawberry.argument(
        name="source", description="The source's name in sources.toml (hukou, rental…)."
    ),
]


@strawberry.type(description="Root fields of real-time submission.")
class SubmissionMutation:
    @strawberry.mutation(
        permission_classes=[SubmittersOnly],
        name="submitRecords",
        description="Submit rows of a source in real time (at most 1,000): keyed by the source "
        "file's own column names, standardised, quarantined and matched exactly as the batch "
        "would, written to the graph (one transaction) and to the workdir before the answer, "
        "so the next resolve keeps their golden IDs. A department app submits to its own "
        "department's sources, an admin to any. Resending a row is answered UNCHANGED.",
        graphql_type=SubmitResultType,
    )
    async def submit_records(
        self,
        info: Info,
        source_name: SourceArg,
        rows: Annotated[
            list[JSON],
            strawberry.argument(description="The rows: objects of column → value."),
        ],
    ) -> SubmitResultType:
        result = await submission.submit(info.context, source_name, list(rows))
        return SubmitResultType.from_result(result)

    @strawberry.mutation(
        permission_classes=[SubmittersOnly],
        name="retractRecords",
        description="Remove records from their source in real time: their mentions leave "
        "their golden records (a golden record left with none is retired), their source "
        "records, relations and events leave the graph. Same permissions as submitRecords.",
        graphql_type=RetractResultType,
    )
    async def retract_records(
        self,
        info: Info,
        source_name: SourceArg,
        record_ids: Annotated[
            list[str], strawberry.argument(description="Record IDs of the source (at most 1,000).")
        ],
    ) -> RetractResultType:
        result = await submission.retract(info.context, source_name, list(record_ids))
        return RetractResultType.from_result(result)
