"""A fingerprint of everything the graph holds: two graphs with the same fingerprint hold the
same nodes (labels and properties) and the same relationships between them.

Used to prove that a write killed midway and run again ends in the same graph as an
uninterrupted one (``benchmarks/kill_points.py``, the publish tests). Nodes are compared by
content, not by Neo4j's internal IDs; a few properties that record *when* something happened
(:data:`VOLATILE`) are left out, since two runs never happen at the same instant.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from neo4j import Driver, RoutingControl

from graph_schema import queries as q

VOLATILE: dict[str, frozenset[str]] = {
    "HuitongMigration": frozenset({"applied_at"}),
    # what a publish was made from, so that the same again may skip its writes
    "HuitongPublish": frozenset({"published_at", "input_hash", "journal"}),
    "StewardDecision": frozenset({"decided_at", "id"}),  # the id hashes decided_at
    # A change-feed entry's place in the feed and its write time record when it was written,
    # which a crash moves (the entries of an interrupted batch are numbered again); the feed's
    # own test checks that its numbers have no gaps. A real-time change happened at its call's
    # moment (``at``), which a call made again after a crash moves too.
    "Change": frozenset({"seq", "written", "at"}),
    "RealtimeJournal": frozenset({"updated"}),  # when a call last wrote the graph
}
"""Per label, the properties that record the time of a write (or are derived from it) and a
publish's own bookkeeping."""


@dataclass(frozen=True)
class GraphFingerprint:
    digest: str
    nodes: int
    relationships: int


def graph_fingerprint(driver: Driver, database: str = "neo4j") -> GraphFingerprint:
    """The SHA-256 over the sorted canonical lines of every node and relationship."""
    nodes, _, _ = driver.execute_query(
        q.FINGERPRINT_NODES, database_=database, routing_=RoutingControl.READ
    )
    relationships, _, _ = driver.execute_query(
        q.FINGERPRINT_RELATIONSHIPS, database_=database, routing_=RoutingControl.READ
    )
    canonical = {row["element"]: _node_line(row["labels"], row["props"]) for row in nodes}
    node_lines = sorted(canonical.values())
    relationship_lines = sorted(
        _line([canonical[row["a"]], row["type"], canonical[row["b"]], _plain(row["props"])])
        for row in relationships
    )
    digest = hashlib.sha256("\n".join([*node_lines, "--", *relationship_lines]).encode())
    return GraphFingerprint(digest.hexdigest(), len(node_lines), len(relationship_lines))


def _node_line(labels: list[str], props: dict[str, Any]) -> str:
    volatile = frozenset().union(*(VOLATILE.get(label, frozenset()) for label in labels))
    kept = {key: value for key, value in props.items() if key not in volatile}
    return _line([sorted(labels), _plain(kept)])


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(value[key]) for key in sorted(value)}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)  # temporal values


def _line(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
