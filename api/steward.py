"""The stewards' workflow: the review queue and decisions that every later resolve honours.

Only ``steward`` and ``admin`` callers get here (the fields' permission class
:class:`api.permissions.StewardsOnly`; anyone else gets a ``FORBIDDEN`` error and no data). A
decision on a candidate, a split or a merge becomes one
:class:`graph_schema.decisions.StewardDecision` with mention-level MATCH / NOT_A_MATCH pairs,
who decided, when, why and the state before and after; ``huitong resolve`` turns the pairs into
must-link / cannot-link constraints. Stewards decide within their jurisdiction: the queue shows,
and a decision may touch, only entities inside it (:class:`OutsideJurisdiction` otherwise).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from api.context import Context
from api.errors import BadRequest, OutsideJurisdiction
from api.pagination import Page, Window
from graph_schema import steward_queries as q
from graph_schema.decisions import (
    DECISIONS,
    RECORD_DECISION,
    Covered,
    PairConstraint,
    StewardDecision,
    as_stored,
    decision_params,
)

CLUSTER_RECORDS = 50
"""Records shown per entity of a candidate (the first by key)."""


@dataclass(frozen=True)
class Candidate:
    """A review candidate as read from the graph, with both records and their entities now."""

    candidate: dict[str, Any]
    left: dict[str, Any]
    right: dict[str, Any]
    left_entity_id: str | None
    right_entity_id: str | None
    visible: bool = True
    """both entities lie in the caller's jurisdiction."""
    clusters: dict[str, dict[str, Any]] = field(default_factory=dict)
    """the entities of both sides now: ``{id: {size, records}}``."""

    @property
    def comparisons(self) -> list[tuple[str, float]]:
        """``(comparison, match weight)`` in the order the model lists them."""
        raw = self.candidate.get("comparisons") or "{}"
        weights = json.loads(raw) if isinstance(raw, str) else dict(raw)
        return [
            (name.removeprefix("mw_"), float(weight))
            for name, weight in weights.items()
            if weight is not None
        ]


async def review_queue(
    ctx: Context, entity: str, page: Page, record_properties: list[str] | None = None
) -> Window[Candidate]:
    """Undecided candidates of one entity type, highest priority first. ``record_properties``:
    read only these properties of the clusters' records (None: all of them)."""
    projected = record_properties is not None
    query = q.review_queue(citywide=ctx.caller.jurisdiction.citywide, projected=projected)
    found = await ctx.graph.read(
        query,
        entity=entity,
        cluster_records=CLUSTER_RECORDS,
        record_properties=record_properties,
        **page.params,
    )
    if not found:
        return Window([], page.offset, 0)
    clusters = {row["id"]: row for row in found[0]["clusters"]}
    if projected:
        for cluster in clusters.values():
            cluster["records"] = [
                dict(zip(record_properties, values, strict=True)) for values in cluster["records"]
            ]
    items = [Candidate(**row, clusters=clusters) for row in found[0]["rows"]]
    return Window(items, page.offset, found[0]["total"])


async def candidate(ctx: Context, candidate_id: str) -> Candidate | None:
    rows = await ctx.graph.read(q.CANDIDATE, id=candidate_id)
    return Candidate(**rows[0]) if rows else None


@dataclass(frozen=True)
class Entity:
    id: str
    """the current ID (a retired ID asked for redirects to it)."""
    entity: str
    record_keys: list[str]
    visible: bool


async def entity_records(ctx: Context, golden_id: str) -> Entity | None:
    """A golden entity by ID (retired IDs redirect) with its records' keys."""
    rows = await ctx.graph.read(q.ENTITY_RECORDS, id=golden_id)
    if not rows:
        return None
    row = rows[0]
    return Entity(row["id"], row["entity"], list(row["record_keys"]), bool(row["visible"]))


def _within(visible: bool, subject: str, what: str) -> None:
    if not visible:
        raise OutsideJurisdiction(subject, what)


async def decide_candidate(
    ctx: Context, candidate_id: str, decision: str, reason: str
) -> StewardDecision | None:
    """Accept (MATCH) or reject (NOT_A_MATCH) a candidate; None when there is no such one."""
    if decision not in DECISIONS:
        raise BadRequest(f"decision must be one of {', '.join(DECISIONS)}")
    found = await candidate(ctx, candidate_id)
    if found is None:
        return None
    _within(found.visible, candidate_id, f"an entity of candidate {candidate_id}")
    left, right = found.left["key"], found.right["key"]
    before = {
        "left": {"record": left, "entity_id": found.left_entity_id},
        "right": {"record": right, "entity_id": found.right_entity_id},
        "match_probability": found.candidate.get("match_probability"),
    }
    after = {"records": [left, right], "together": decision == "MATCH"}
    return await _record(
        ctx,
        kind="candidate",
        entity=found.candidate["entity"],
        subject=candidate_id,
        reason=reason,
        pairs=(PairConstraint(decision, left, right),),
        coverage=(
            Covered(left, 0, decision == "MATCH"),
            Covered(right, 0 if decision == "MATCH" else 1, decision == "MATCH"),
        ),
        before=before,
        after=after,
    )


async def split_entity(
    ctx: Context, golden_id: str, record_ids: list[str], reason: str
) -> StewardDecision | None:
    """Split records off a golden entity: NOT_A_MATCH between each split record and each
    remaining one, MATCH among the split records. None when there is no such entity."""
    found = await entity_records(ctx, golden_id)
    if found is None:
        return None
    _within(found.visible, golden_id, f"entity {golden_id}")
    current_id, entity, keys = found.id, found.entity, found.record_keys
    split = sorted(dict.fromkeys(record_ids))
    unknown = [key for key in split if key not in keys]
    if unknown:
        raise BadRequest(f"not records of {current_id}: {', '.join(unknown)}")
    remaining = [key for key in keys if key not in split]
    if not split or not remaining:
        raise BadRequest("a split needs at least one record to split off and one to keep")
    pairs = [PairConstraint("NOT_A_MATCH", s, r) for s in split for r in remaining]
    pairs += [PairConstraint("MATCH", split[0], s) for s in split[1:]]
    return await _record(
        ctx,
        kind="split",
        entity=entity,
        subject=current_id,
        reason=reason,
        pairs=tuple(pairs),
        coverage=tuple(Covered(key, 0, True) for key in split)
        + tuple(Covered(key, 1, False) for key in remaining),
        before={"entity_id": current_id, "records": keys},
        after={
            "entity_id": current_id,
            "anchor": remaining[0],
            "split_off": split,
            "kept": remaining,
        },
    )


async def merge_entities(
    ctx: Context, keep_id: str, merge_id: str, reason: str
) -> StewardDecision | None:
    """Merge ``merge_id`` into ``keep_id``: a MATCH between the kept entity's first record and
    every other record of both, so the next resolve holds all of them together whatever the
    model says of the links that joined them before, and keeps ``keep_id`` for the merged
    entity. None when either does not exist."""
    keep = await entity_records(ctx, keep_id)
    merge = await entity_records(ctx, merge_id)
    if keep is None or merge is None:
        return None
    _within(keep.visible, keep_id, f"entity {keep_id}")
    _within(merge.visible, merge_id, f"entity {merge_id}")
    if keep.entity != merge.entity:
        raise BadRequest(f"cannot merge a {keep.entity} with a {merge.entity}")
    if keep.id == merge.id:
        raise BadRequest(f"{keep_id} and {merge_id} are already one entity ({keep.id})")
    return await _record(
        ctx,
        kind="merge",
        entity=keep.entity,
        subject=f"{keep.id}+{merge.id}",
        reason=reason,
        pairs=tuple(
            PairConstraint("MATCH", keep.record_keys[0], key)
            for key in keep.record_keys[1:] + merge.record_keys
        ),
        coverage=tuple(Covered(key, 0, False) for key in keep.record_keys)
        + tuple(Covered(key, 1, False) for key in merge.record_keys),
        before={
            "keep": {"entity_id": keep.id, "records": keep.record_keys},
            "merge": {"entity_id": merge.id, "records": merge.record_keys},
        },
        after={
            "entity_id": keep.id,
            "anchor": keep.record_keys[0],
            "retired": merge.id,
            "records": keep.record_keys + merge.record_keys,
        },
    )


async def decisions(ctx: Context, page: Page, mine: bool) -> Window[dict[str, Any]]:
    """Decision history, newest first; ``mine``: only the caller's. Others' decisions show when
    they touched an entity in the caller's jurisdiction."""
    decided_by = ctx.caller.subject if mine else None
    caller = ctx.caller.subject
    total = await ctx.graph.read(q.DECISION_COUNT, decided_by=decided_by, caller=caller)
    rows = await ctx.graph.read(q.DECISIONS, decided_by=decided_by, caller=caller, **page.params)
    return Window(rows, page.offset, total[0]["total"] if total else 0)


async def _record(ctx: Context, *, reason: str, **fields: Any) -> StewardDecision:
    if not reason.strip():
        raise BadRequest("a decision needs a reason")
    caller = ctx.caller
    fields["before"] = {**fields["before"], "department": caller.department}
    decision = StewardDecision(
        reason=reason.strip(), decided_by=caller.subject, role=caller.role, **fields
    )
    rows = await ctx.graph.write(RECORD_DECISION, "the decision", **decision_params(decision))
    decision = as_stored(decision, rows[0])
    ctx.audit.decisions.append(decision.id)
    return decision
