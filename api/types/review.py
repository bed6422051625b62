"""Types of the stewards' workflow: review candidates, decisions and their history."""

import json
from enum import Enum
from typing import Annotated, Any

import strawberry

from api.context import Context
from api.pagination import Window
from api.steward import Candidate
from api.types.lookups import NotFound, OutOfJurisdiction
from api.types.pagination import PageInfo, cursors
from api.types.source_record import SourceRecord
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
    def from_candidate(cls, found: Candidate, ctx: Context) -> "ReviewCandidate":
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


@strawberry.type(description="A review candidate in the queue.")
class ReviewCandidateEdge:
    node: ReviewCandidate = strawberry.field(description="The candidate.")
    cursor: str = strawberry.field(description="Opaque cursor of this edge, for `after`.")


@strawberry.type(description="A page of the review queue (Relay connection).")
class ReviewCandidateConnection:
    edges: list[ReviewCandidateEdge] = strawberry.field(description="The candidates of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the queue.")
    total_count: int = strawberry.field(description="How many undecided candidates wait.")

    @classmethod
    def from_window(cls, window: Window[Candidate], ctx: Context) -> "ReviewCandidateConnection":
        ctx.returned(len(window.items))
        edges = [
            ReviewCandidateEdge(node=ReviewCandidate.from_candidate(item, ctx), cursor=cursor)
            for cursor, item in cursors(window)
        ]
        return cls(edges=edges, page_info=PageInfo.of(window), total_count=window.total)


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
    def from_row(cls, row: dict[str, Any]) -> "StewardDecisionType":
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
        return cls.from_row(
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


@strawberry.type(description="A decision in the history.")
class StewardDecisionEdge:
    node: StewardDecisionType = strawberry.field(description="The decision.")
    cursor: str = strawberry.field(description="Opaque cursor of this edge, for `after`.")


@strawberry.type(description="A page of decisions, newest first (Relay connection).")
class StewardDecisionConnection:
    edges: list[StewardDecisionEdge] = strawberry.field(description="The decisions of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the history.")
    total_count: int = strawberry.field(description="How many decisions the history holds.")

    @classmethod
    def from_window(
        cls, window: Window[dict[str, Any]], ctx: Context
    ) -> "StewardDecisionConnection":
        ctx.returned(len(window.items))
        edges = [
            StewardDecisionEdge(node=StewardDecisionType.from_row(row), cursor=cursor)
            for cursor, row in cursors(window)
        ]
        return cls(edges=edges, page_info=PageInfo.of(window), total_count=window.total)


DecisionResult = Annotated[
    StewardDecisionType | NotFound | OutOfJurisdiction,
    strawberry.union(
        "DecisionResult",
        description="The decision recorded; NotFound when its subject is not; "
        "OutOfJurisdiction when it touches an entity outside yours (nothing is recorded).",
    ),
]
