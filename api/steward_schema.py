"""The stewards' root fields: ``reviewQueue`` and ``decisions`` (queries), and the mutations
``decideCandidate``, ``splitEntity``, ``mergeEntities``. Registered in :mod:`api.schema`."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated

import strawberry

from api import steward
from api.context import Context
from api.permissions import StewardsOnly
from api.types.lookups import NotFound, OutOfJurisdiction
from api.types.pagination import After, First
from api.types.review import (
    Decision,
    DecisionResult,
    EntityType,
    ReviewCandidateConnection,
    StewardDecisionConnection,
    StewardDecisionType,
)
from graph_schema.decisions import StewardDecision as DecisionRecord

Info = strawberry.Info[Context, None]

Reason = Annotated[
    str, strawberry.argument(description="Why, in your words; kept with the decision.")
]


@strawberry.type(description="Root fields of the stewards' review workflow.")
class ReviewQueries:
    @strawberry.field(
        permission_classes=[StewardsOnly],
        description="Stewards and admins: undecided review candidates of one entity type, the "
        "ones a decision would change most first.",
    )
    async def review_queue(
        self,
        info: Info,
        entity: Annotated[EntityType, strawberry.argument(description="Which entity type.")],
        first: First = None,
        after: After = None,
    ) -> ReviewCandidateConnection:
        ctx = info.context
        window = await steward.review_queue(ctx, entity.value, ctx.page(first, after))
        return ReviewCandidateConnection.from_window(window, ctx)

    @strawberry.field(
        permission_classes=[StewardsOnly],
        description="Stewards and admins: steward decisions, newest first.",
    )
    async def decisions(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        mine: Annotated[
            bool, strawberry.argument(description="Only the decisions you made.")
        ] = False,
    ) -> StewardDecisionConnection:
        ctx = info.context
        window = await steward.decisions(ctx, ctx.page(first, after), mine)
        return StewardDecisionConnection.from_window(window, ctx)


async def _result(
    ctx: Context, deciding: Awaitable[DecisionRecord | None], subject: str, what: str
) -> DecisionResult:
    try:
        decision = await deciding
    except steward.OutsideJurisdiction as outside:
        return OutOfJurisdiction.of(outside.subject, outside.what, ctx)
    if decision is None:
        return NotFound(id=strawberry.ID(subject), message=f"no {what} has ID {subject}")
    return StewardDecisionType.from_decision(decision)


@strawberry.type(
    name="Mutation", description="Changes: the stewards' decisions (steward or admin role)."
)
class StewardMutation:
    @strawberry.mutation(
        permission_classes=[StewardsOnly],
        description="Decide a review candidate: MATCH joins its two records' entities, "
        "NOT_A_MATCH keeps them apart, in every later resolve.",
    )
    async def decide_candidate(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Review candidate ID.")],
        decision: Annotated[Decision, strawberry.argument(description="Your answer.")],
        reason: Reason,
    ) -> DecisionResult:
        deciding = steward.decide_candidate(info.context, id, decision.value, reason)
        return await _result(info.context, deciding, id, "review candidate")

    @strawberry.mutation(
        permission_classes=[StewardsOnly],
        description="Split source records off a golden entity: they stay apart from its other "
        "records (and together among themselves) in every later resolve.",
    )
    async def split_entity(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Golden ID to split.")],
        record_ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(
                description="Keys (source/record_id/role) of the records to split."
            ),
        ],
        reason: Reason,
    ) -> DecisionResult:
        deciding = steward.split_entity(info.context, id, [str(r) for r in record_ids], reason)
        return await _result(info.context, deciding, id, "golden record")

    @strawberry.mutation(
        permission_classes=[StewardsOnly],
        description="Merge two golden entities into one; after the next resolve and publish "
        "the merged entity has the ID `keepId` and `mergeId` redirects to it.",
    )
    async def merge_entities(
        self,
        info: Info,
        keep_id: Annotated[strawberry.ID, strawberry.argument(description="Golden ID to keep.")],
        merge_id: Annotated[
            strawberry.ID, strawberry.argument(description="Golden ID to merge into it.")
        ],
        reason: Reason,
    ) -> DecisionResult:
        deciding = steward.merge_entities(info.context, keep_id, merge_id, reason)
        return await _result(info.context, deciding, merge_id, "golden record")
