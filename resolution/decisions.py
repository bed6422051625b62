"""Steward decisions in the workspace: the copy every resolve honours.

The graph is the system of record (:mod:`graph_schema.decisions`); ``huitong resolve`` fetches the
decisions and :func:`store_decisions` replaces the workspace's copy with them, so a resolve
without Neo4j honours the decisions of the last run that had it. A decision is a dict with
``id, kind, entity, reason, decided_by, decided_at``, its mention ``pairs``
(``{decision, mention_id_l, mention_id_r}``), optionally its ``coverage`` (``{record, group,
together}``) and ``after`` (a merge or split names the golden ID to keep as ``after.entity_id``,
and one record of the part that keeps it as ``after.anchor``).

Tables, replaced together in one transaction:

- ``steward_decisions(decision_id, kind, entity, decision, mention_id_l, mention_id_r, reason,
  decided_by, decided_at, keep_id, keep_anchor)``: one row per constrained pair: must-links
  (``MATCH``) and cannot-links (``NOT_A_MATCH``) for clustering, MATCH pairs as labels for
  training, and the golden ID a merge or split keeps;
- ``steward_coverage(decision_id, entity, mention_id, grp, together)``: the records a decision
  looked at, in groups. Two records are *decided* by a decision covering both when they lie in
  different groups, or in one group marked ``together``; review candidates between decided
  records are not asked again (a split settles every pair across it, not only those listed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from resolution.cluster import Forest, table_exists

DECISIONS_DDL = """
CREATE TABLE IF NOT EXISTS steward_decisions (
    decision_id VARCHAR, kind VARCHAR, entity VARCHAR, decision VARCHAR,
    mention_id_l VARCHAR, mention_id_r VARCHAR, reason VARCHAR, decided_by VARCHAR,
    decided_at VARCHAR, keep_id VARCHAR, keep_anchor VARCHAR)
"""
COVERAGE_DDL = """
CREATE TABLE IF NOT EXISTS steward_coverage (
    decision_id VARCHAR, entity VARCHAR, mention_id VARCHAR, grp INTEGER, together BOOLEAN)
"""


def ensure_tables(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the decision tables, upgrading a copy kept by an older version."""
    connection.execute(DECISIONS_DDL)
    connection.execute("ALTER TABLE steward_decisions ADD COLUMN IF NOT EXISTS keep_id VARCHAR")
    connection.execute("ALTER TABLE steward_decisions ADD COLUMN IF NOT EXISTS keep_anchor VARCHAR")
    connection.execute(COVERAGE_DDL)


def pair_rows(decisions: list[dict[str, Any]]) -> list[list[Any]]:
    """One ``steward_decisions`` row per constrained pair of every decision."""
    rows = []
    for d in decisions:
        after = d.get("after") or {}
        keeps = d["kind"] in ("merge", "split") and after.get("entity_id")
        keep_id = after.get("entity_id") if keeps else None
        anchor = after.get("anchor") if keeps else None
        for pair in d["pairs"]:
            rows.append(
                [d["id"], d["kind"], d["entity"], pair["decision"], pair["mention_id_l"],
                 pair["mention_id_r"], d["reason"], d["decided_by"], str(d["decided_at"]),
                 keep_id, anchor]
            )  # fmt: skip
    return rows


def coverage_rows(decisions: list[dict[str, Any]]) -> list[list[Any]]:
    """``steward_coverage`` rows; a decision stored without coverage covers its pairs (each
    MATCH pair one group together, each NOT_A_MATCH pair two groups)."""
    rows = []
    for d in decisions:
        coverage = d.get("coverage")
        if coverage:
            rows.extend(
                [d["id"], d["entity"], c["record"], int(c["group"]), bool(c["together"])]
                for c in coverage
            )
            continue
        for i, pair in enumerate(d["pairs"]):
            together = pair["decision"] == "MATCH"
            key = f"{d['id']}#{i}"
            rows.append([key, d["entity"], pair["mention_id_l"], 0, together])
            rows.append([key, d["entity"], pair["mention_id_r"], 0 if together else 1, together])
    return rows


def store_decisions(connection: duckdb.DuckDBPyConnection, decisions: list[dict[str, Any]]) -> None:
    """Replace the workspace's copy of the steward decisions (the graph is the record)."""
    ensure_tables(connection)
    pairs, coverage = pair_rows(decisions), coverage_rows(decisions)
    connection.execute("BEGIN TRANSACTION")
    try:
        connection.execute("DELETE FROM steward_decisions")
        connection.execute("DELETE FROM steward_coverage")
        if pairs:
            connection.executemany(
                "INSERT INTO steward_decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", pairs
            )
        if coverage:
            connection.executemany("INSERT INTO steward_coverage VALUES (?, ?, ?, ?, ?)", coverage)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


@dataclass(frozen=True)
class Constraints:
    """The steward constraints of one entity type that clustering must honour."""

    must_link: list[tuple[str, str]]
    cannot_link: list[tuple[str, str]]
    superseded: list[tuple[str, str, str]]
    """``(decision, mention_id_l, mention_id_r)`` dropped because a later decision contradicts
    them (a merge undone by a split, a MATCH rejected later)."""


def constraints_for(connection: duckdb.DuckDBPyConnection, entity: str) -> Constraints:
    """Steward decisions as must-link and cannot-link mention pairs for one entity type.

    Decisions may contradict each other (a steward merges two entities, another later splits a
    record off the result): the later decision wins. Pairs are taken newest first; a pair that
    contradicts the newer ones already taken (a must-link joining two groups a cannot-link keeps
    apart, or a cannot-link inside a group must-links hold together) is superseded. Lists keep
    the decisions' order, oldest first.
    """
    if not table_exists(connection, "steward_decisions"):
        return Constraints([], [], [])
    rows = connection.execute(
        "SELECT decision, mention_id_l, mention_id_r FROM steward_decisions WHERE entity = ? "
        "ORDER BY decided_at DESC, decision_id DESC, mention_id_l DESC, mention_id_r DESC",
        [entity],
    ).fetchall()
    index: dict[str, int] = {}
    for _, left, right in rows:
        index.setdefault(left, len(index))
        index.setdefault(right, len(index))
    forest = Forest(len(index), {})
    taken: list[tuple[str, str, str]] = []
    superseded: list[tuple[str, str, str]] = []
    for k, (decision, left, right) in enumerate(rows):
        a, b = index[left], index[right]
        ra, rb = forest.find(a), forest.find(b)
        if decision == "MATCH":
            accepted = ra == rb or forest.conflict(ra, rb) is None
            if accepted:
                forest.union(a, b)
        else:
            accepted = ra != rb
            if accepted:
                forest.forbid(k, a, b)
        (taken if accepted else superseded).append((decision, left, right))
    taken.reverse()
    superseded.reverse()
    must = [(left, right) for decision, left, right in taken if decision == "MATCH"]
    cannot = [(left, right) for decision, left, right in taken if decision == "NOT_A_MATCH"]
    return Constraints(must, cannot, superseded)


def keep_ids(connection: duckdb.DuckDBPyConnection, entity: str) -> list[tuple[str, str | None]]:
    """``(golden ID, anchor mention)`` stewards chose to keep, newest decision first: a merge
    keeps its ``keepId`` on the merged entity, a split keeps the entity's ID on the records it
    did not split off; the anchor is one record of the part that keeps the ID (None: any part,
    for decisions stored before anchors)."""
    if not table_exists(connection, "steward_decisions"):
        return []
    ensure_tables(connection)
    rows = connection.execute(
        "SELECT keep_id, keep_anchor, max(decided_at) AS last_at FROM steward_decisions "
        "WHERE entity = ? AND keep_id IS NOT NULL GROUP BY ALL "
        "ORDER BY last_at DESC, keep_id, keep_anchor",
        [entity],
    ).fetchall()
    return [(keep_id, anchor) for keep_id, anchor, _ in rows]
