"""The stewards' workflow in GraphQL: review candidates, decisions and their history, and the
root fields ``reviewQueue``, ``decisions`` (queries) and the mutations ``decideCandidate``,
``splitEntity``, ``mergeEntities``, all for stewards and admins only (:class:`StewardsOnly`)."""

import json
from collections.abc import Awaitable
from enum import Enum
from typing import Annotated, Any

import strawberry

from api import steward
from api.context import Context
from api.errors import OutsideJurisdiction
from api.permissions import StewardsOnly
from api.selection import selected
from api.steward import Candidate
from api.types.lookups import NotFound, OutOfJurisdiction
from api.types.pagination import After, First, connection_type, edge_type
from api.types.source_record import SourceRecord, graph_properties
from graph_schema.decisions import StewardDecision as DecisionRecord


@strawberry.enum(description="The kinds of golden entity huitong resolves.")
class EntityType(Enum):
    PERSON = strawberry.enum_value("person", description="People.")
    ENTERPRISE = strawberry.enum_value("enterprise", description="Enterprises, legal persons.")
    RENTAL_UNIT = strawberry.enum_value("rental_unit", description="Rental units (flats).")


@strawberry.enum(description="A steward's answer about two records.")
class Decision(Enum):
    MATCH = strawberry.enum_value("MATCH", description="Same real-world entity (must-link).")
    NOT_A_MATCH = strawberry.enum_value(
        "NOT_A_MATCH", description="Different entities (cannot-link)."
    )


@strawberry.type(description="One comparison's contribution to a pair's match weight.")
class ComparisonWeight:
    name: str = strawberry.field(description="The comparison (name, id_number, address, …).")
    match_weight: float = strawberry.field(
        description="Its match weight (log2 Bayes factor); negative counts against a match."
    )


@strawberry.type(description="A golden entity a review candidate's record belongs to now.")
class ReviewCluster:
    id: str = strawberry.field(description="Its golden ID.")
    size: int = strawberry.field(description="How many source records resolve to it.")
    records: list[SourceRecord] = strawberry.field(
        description="Its source records, the first 50 by key."
    )

    @classmethod
    def of(cls, entity_id: str | None, found: Candidate, ctx: Context) -> "ReviewCluster | None":
        row = found.clusters.get(entity_id) if entity_id else None
        if row is None:
            return None
        records = [SourceRecord.from_record(r, ctx) for r in row["records"]]
        return cls(id=row["id"], size=row["size"], records=records)


@strawberry.type(
    description="A pair of records the resolver was unsure about, or the weak link holding a "
    "cluster together: a steward's decision on it holds in every later resolve."
)
class ReviewCandidate:
    id: strawberry.ID = strawberry.field(description="Candidate ID (stable across runs).")
    entity: EntityType = strawberry.field(description="Entity type of both records.")
    match_probability: float | None = strawberry.field(
        description="The model's probability that both records are one entity."
    )
    match_weight: float | None = strawberry.field(
        description="Total match weight (prior plus every comparison's weight)."
    )
    priority: float | None = strawberry.field(
        description="How much a decision would change; the queue is ordered by it."
    )
    weak_link: bool | None = strawberry.field(
        description="Whether this pair alone holds a cluster together."
    )
    left: SourceRecord = strawberry.field(description="The first record.")
    right: SourceRecord = strawberry.field(description="The second record.")
    left_entity_id: str | None = strawberry.field(
        description="Golden ID the first record resolves to now."
    )
    right_entity_id: str | None = strawberry.field(
        description="Golden ID the second record resolves to now."
    )
    left_cluster: ReviewCluster | None = strawberry.field(
        description="The entity the first record belongs to now, with its records."
    )
    right_cluster: ReviewCluster | None = strawberry.field(
        description="The entity the second record belongs to now, with its records."
    )
    comparisons: list[ComparisonWeight] = strawberry.field(
        description="Per-comparison match weights: the data of the waterfall chart."
    )

    @classmethod
    def from_record(cls, found: Candidate, ctx: Context) -> "ReviewCandidate":
        c = found.candidate
        return cls(
            id=strawberry.ID(c["id"]),
            entity=EntityType(c["entity"]),
            match_probability=c.get("match_probability"),
            match_weight=c.get("match_weight"),
            priority=c.get("priority"),
            weak_link=c.get("weak_link"),
            left=SourceRecord.from_record(found.left, ctx),
            right=SourceRecord.from_record(found.right, ctx),
            left_entity_id=found.left_entity_id,
            right_entity_id=found.right_entity_id,
            left_cluster=ReviewCluster.of(found.left_entity_id, found, ctx),
            right_cluster=ReviewCluster.of(found.right_entity_id, found, ctx),
            comparisons=[ComparisonWeight(name=n, match_weight=w) for n, w in found.comparisons],
        )


ReviewCandidateEdge = edge_type(
    ReviewCandidate,
    name="ReviewCandidateEdge",
    description="A review candidate in the queue.",
    node_description="The candidate.",
)
ReviewCandidateConnection = connection_type(
    ReviewCandidateEdge,
    name="ReviewCandidateConnection",
    description="A page of the review queue (Relay connection).",
    edges="The candidates of this page.",
    total_count="How many undecided candidates wait.",
    page_info="Where this page sits in the queue.",
)


@strawberry.type(description="One mention-level constraint a decision imposes on resolution.")
class DecisionPair:
    decision: Decision = strawberry.field(description="MATCH (must-link) or NOT_A_MATCH.")
    left: str = strawberry.field(description="Key of one source record (source/record_id/role).")
    right: str = strawberry.field(description="Key of the other source record.")


@strawberry.type(
    name="StewardDecision",
    description="A steward's decision, kept in the graph and honoured by every later resolve.",
)
class StewardDecisionType:
    id: strawberry.ID = strawberry.field(description="Decision ID.")
    kind: str = strawberry.field(description="candidate, split or merge.")
    entity: EntityType = strawberry.field(description="Entity type decided on.")
    subject: str = strawberry.field(
        description="What was decided on: a candidate ID, the split golden ID, or keep+merge IDs."
    )
    reason: str = strawberry.field(description="Why, in the steward's words.")
    decided_by: str = strawberry.field(description="Who decided (the token's subject).")
    role: str = strawberry.field(description="The decider's role.")
    decided_at: str = strawberry.field(description="When (ISO 8601, UTC).")
    pairs: list[DecisionPair] = strawberry.field(description="The constraints it imposes.")
    before: str = strawberry.field(description="State before the decision (JSON).")
    after: str = strawberry.field(description="State the decision asks for (JSON).")

    @classmethod
    def from_record(cls, row: dict[str, Any], ctx: Context | None = None) -> "StewardDecisionType":
        pairs = row["pairs"]
        pairs = json.loads(pairs) if isinstance(pairs, str) else pairs
        return cls(
            id=strawberry.ID(row["id"]),
            kind=row["kind"],
            entity=EntityType(row["entity"]),
            subject=row["subject"],
            reason=row["reason"],
            decided_by=row["decided_by"],
            role=row["role"],
            decided_at=str(row["decided_at"]),
            pairs=[
                DecisionPair(
                    decision=Decision(p["decision"]),
                    left=p["mention_id_l"],
                    right=p["mention_id_r"],
                )
                for p in pairs or []
            ],
            before=_as_json(row.get("before")),
            after=_as_json(row.get("after")),
        )

    @classmethod
    def from_decision(cls, decision: DecisionRecord) -> "StewardDecisionType":
        return cls.from_record(
            {
                "id": decision.id,
                "kind": decision.kind,
                "entity": decision.entity,
                "subject": decision.subject,
                "reason": decision.reason,
                "decided_by": decision.decided_by,
                "role": decision.role,
                "decided_at": decision.decided_at,
                "pairs": [p.__dict__ for p in decision.pairs],
                "before": decision.before,
                "after": decision.after,
            }
        )


def _as_json(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value or {}, ensure_ascii=False)


StewardDecisionEdge = edge_type(
    StewardDecisionType,
    name="StewardDecisionEdge",
    description="A decision in the history.",
    node_description="The decision.",
)
StewardDecisionConnection = connection_type(
    StewardDecisionEdge,
    name="StewardDecisionConnection",
    description="A page of decisions, newest first (Relay connection).",
    edges="The decisions of this page.",
    total_count="How many decisions the history holds.",
    page_info="Where this page sits in the history.",
)


DecisionResult = Annotated[
    StewardDecisionType | NotFound | OutOfJurisdiction,
    strawberry.union(
        "DecisionResult",
        description="The decision recorded; NotFound when its subject is not; "
        "OutOfJurisdiction when it touches an entity outside yours (nothing is recorded).",
    ),
]


# -- the stewards' root fields (assembled into Query and Mutation by api.schema) ------------------
Info = strawberry.Info[Context, None]

Reason = Annotated[
    str, strawberry.argument(description="Why, in your words; kept with the decision.")
]


CLUSTERS = ("leftCluster", "rightCluster")


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
        records = selected(info.selected_fields, "edges", "node", CLUSTERS, "records")
        window = await steward.review_queue(
            ctx, entity.value, ctx.page(first, after), graph_properties(records)
        )
        return ReviewCandidateConnection.returned(window, ctx)

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
        return StewardDecisionConnection.returned(window, ctx)


async def _result(
    ctx: Context, deciding: Awaitable[DecisionRecord | None], subject: str, what: str
) -> DecisionResult:
    try:
        decision = await deciding
    except OutsideJurisdiction as outside:
        return OutOfJurisdiction.of(outside.subject, outside.what, ctx)
    if decision is None:
        return NotFound(id=strawberry.ID(subject), message=f"no {what} has ID {subject}")
    return StewardDecisionType.from_decision(decision)


@strawberry.type(description="Root fields of the stewards' decisions (steward or admin role).")
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
