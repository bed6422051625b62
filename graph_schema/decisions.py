"""Steward decisions, kept in the graph: the system of record that every later resolve honours.

A decision (accept or reject a candidate, split an entity, merge two) is stored as one
``(:StewardDecision)`` node with who, when, why and the state before and after, and expands into
mention-level constraints (``pairs``: must-link ``MATCH`` or cannot-link ``NOT_A_MATCH``). The
``huitong resolve`` command fetches them before resolving, so they survive any batch run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime

from neo4j import Driver, RoutingControl

DECISIONS = ("MATCH", "NOT_A_MATCH")
KINDS = ("candidate", "split", "merge")

_SETTLE = """
CALL (d) {
  MATCH (c:ReviewCandidate {id: d.subject}) WHERE c.settled IS NULL
  SET c.settled = true
}
CALL (d) {
  MATCH (d)-[x:COVERS]->(:SourceRecord)<-[:LEFT]-(c:ReviewCandidate)
        -[:RIGHT]->(:SourceRecord)<-[y:COVERS]-(d)
  WHERE (x.group <> y.group OR (x.together AND y.together)) AND c.settled IS NULL
  SET c.settled = true
}
"""

SETTLE_CANDIDATES = "MATCH (d:StewardDecision)" + _SETTLE
"""Mark ``settled`` every review candidate a stored decision settles: decided directly (its ID is
the decision's subject), or covered by a split or merge (see :class:`Covered`). The review
queue then skips a settled candidate by its flag, without looking at decisions. Run by
:func:`graph_schema.publish.publish` (candidates a publish creates may be settled already) and
by the migration that introduced the flag; :data:`RECORD_DECISION` does the same for its own
decision in its transaction. Only ever sets the flag: a decision is never undone
(:data:`CLEAR_DECISIONS`, for development, clears the flags too)."""

RECORD_DECISION = (
    """
OPTIONAL MATCH (last:StewardDecision {subject: $subject})
WITH last ORDER BY last.decided_at DESC, last.id DESC LIMIT 1
WITH last, coalesce(last.decided_by = $decided_by AND last.kind = $kind
                    AND last.pairs = $pairs, false) AS repeated
CALL (repeated) {
  WITH repeated WHERE NOT repeated
  CREATE (d:StewardDecision {
    id: $id, kind: $kind, entity: $entity, subject: $subject, reason: $reason,
    decided_by: $decided_by, role: $role, decided_at: datetime($decided_at),
    pairs: $pairs, coverage: $coverage, before: $before, after: $after
  })
  WITH d
  CALL (d) {
    UNWIND $covers AS covered
    MATCH (s:SourceRecord {key: covered.record})
    CREATE (d)-[:COVERS {group: covered.group, together: covered.together}]->(s)
  }"""
    + _SETTLE
    + """}
RETURN repeated, CASE WHEN repeated THEN last.id ELSE $id END AS id,
       CASE WHEN repeated THEN toString(last.decided_at) ELSE $decided_at END AS decided_at,
       CASE WHEN repeated THEN last.reason ELSE $reason END AS reason
"""
)
"""Store a decision, linked by ``COVERS`` to the source records it looked at (those published):
the review queue skips candidates the decision settles (see :class:`Covered`), marked
``settled`` here (see :data:`SETTLE_CANDIDATES`). All in one transaction, so a decision is
stored whole or not at all.

A decision repeating the latest one on its subject (same steward, kind and pairs) is not
stored again: the stored one is returned (``repeated``). So a client that lost the answer to
a decision (a dropped connection, a server killed mid-request) may simply send it again."""

FETCH_DECISIONS = """
MATCH (d:StewardDecision)
RETURN d.id AS id, d.kind AS kind, d.entity AS entity, d.subject AS subject,
       d.reason AS reason, d.decided_by AS decided_by, d.role AS role,
       toString(d.decided_at) AS decided_at, d.pairs AS pairs, d.before AS before,
       d.after AS after, d.coverage AS coverage
ORDER BY d.decided_at, d.id
"""


@dataclass(frozen=True)
class PairConstraint:
    decision: str
    mention_id_l: str
    mention_id_r: str

    def __post_init__(self) -> None:
        if self.decision not in DECISIONS:
            raise ValueError(f"decision must be one of {DECISIONS}, got {self.decision!r}")


@dataclass(frozen=True)
class Covered:
    """A source record a decision looked at, in one of its groups.

    Two records covered by one decision are settled by it when they lie in different groups
    (a split's two sides, a merge's two entities, a NOT_A_MATCH's two records) or both in a
    group marked ``together`` (a MATCH's two records, the records split off together).
    """

    record: str
    group: int
    together: bool


@dataclass(frozen=True)
class StewardDecision:
    """One decision of a steward, with the mention pairs it constrains."""

    kind: str
    entity: str
    subject: str
    """what was decided on: a candidate id, or the golden id(s) split or merged."""
    reason: str
    decided_by: str
    role: str
    pairs: tuple[PairConstraint, ...]
    coverage: tuple[Covered, ...] = ()
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    decided_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    stored_id: str | None = None
    """the ID it was stored under, when it repeated a stored decision (see RECORD_DECISION)."""

    @property
    def id(self) -> str:
        if self.stored_id:
            return self.stored_id
        payload = f"{self.kind}|{self.subject}|{self.decided_by}|{self.decided_at}"
        return "D-" + hashlib.sha256(payload.encode()).hexdigest()[:16]


def record_decision(driver: Driver, decision: StewardDecision, database: str = "neo4j") -> str:
    """Store a decision durably; returns its id (that of the stored one when it repeats it)."""
    records, _, _ = driver.execute_query(
        RECORD_DECISION, decision_params(decision), database_=database
    )
    return records[0]["id"]


def as_stored(decision: StewardDecision, row: dict) -> StewardDecision:
    """The decision as ``RECORD_DECISION`` answered it: itself, or the one it repeats."""
    if not row.get("repeated"):
        return decision
    return replace(
        decision, stored_id=row["id"], decided_at=row["decided_at"], reason=row["reason"]
    )


def decision_params(decision: StewardDecision) -> dict:
    """The ``RECORD_DECISION`` parameters of a decision, checked (for async drivers too)."""
    if decision.kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {decision.kind!r}")
    if not decision.reason.strip():
        raise ValueError("a steward decision needs a reason")
    return {
        "id": decision.id,
        "kind": decision.kind,
        "entity": decision.entity,
        "subject": decision.subject,
        "reason": decision.reason,
        "decided_by": decision.decided_by,
        "role": decision.role,
        "decided_at": decision.decided_at,
        "pairs": json.dumps([asdict(p) for p in decision.pairs], ensure_ascii=False),
        "coverage": json.dumps([asdict(c) for c in decision.coverage], ensure_ascii=False),
        "covers": [asdict(c) for c in decision.coverage],
        "before": json.dumps(decision.before, ensure_ascii=False),
        "after": json.dumps(decision.after, ensure_ascii=False),
    }


def fetch_decisions(driver: Driver, database: str = "neo4j") -> list[dict]:
    """Every stored decision, oldest first, with its pairs, coverage, before and after parsed:
    the input :func:`resolution.decisions.store_decisions` expects."""
    records, _, _ = driver.execute_query(
        FETCH_DECISIONS, database_=database, routing_=RoutingControl.READ
    )
    decisions = []
    for record in records:
        row = dict(record)
        row["pairs"] = json.loads(row["pairs"] or "[]")
        row["before"] = json.loads(row["before"] or "{}")
        row["after"] = json.loads(row["after"] or "{}")
        row["coverage"] = json.loads(row["coverage"] or "[]")
        decisions.append(row)
    return decisions


CLEAR_DECISIONS = """
CALL () { MATCH (c:ReviewCandidate) WHERE c.settled IS NOT NULL REMOVE c.settled }
MATCH (d:StewardDecision) DETACH DELETE d
"""


def clear_decisions(driver: Driver, database: str = "neo4j") -> None:
    """Delete every stored decision and the ``settled`` flags they set (development and
    benchmarks only)."""
    driver.execute_query(CLEAR_DECISIONS, database_=database)
