"""The change feed's writer, shared by publish and by real-time submission.

:func:`write_changes` writes change entries inside the caller's own transaction, so a change
entry commits with the graph write it describes (publish: the golden record's batch, the
redirect, the event; real-time: the one record submitted) or not at all. Entries are keyed
(``key``): writing the same entries again writes none. Each new entry gets the next ``seq`` of
the feed's counter; ``seq`` never goes back, across restarts and publishes.

:func:`prune_changes` applies the retention: entries written more than ``retention_days`` ago
are deleted and the feed remembers up to which ``seq`` (``pruned_through``), so a cursor older
than that is told it expired rather than silently skipping entries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from neo4j import Driver, ManagedTransaction

from graph_schema import change_queries as q
from huitong.vocabulary import CHANGE_KINDS, ENTITY_TYPES

_PROPERTIES = (
    "kind",
    "entity",
    "entity_id",
    "other_id",
    "at",
    "run_id",
    "event_type",
    "event_id",
    "point_key",
    "district",
    "street",
    "community",
)


@dataclass(frozen=True)
class FeedState:
    """The feed's counter: the newest ``seq``, up to which ``seq`` entries were pruned, and the
    newest resolve run whose entries are all written."""

    head: int
    pruned_through: int
    run: str | None


def graph_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A change entry (as :func:`resolution.changes.change_entries` gives it, or built by a
    real-time writer) as the writer's ``{key, props}``. ``fields`` (a list of ``{name, before,
    after, source, record_id}``) is stored as JSON text; nulls are left out."""
    kind = entry["kind"]
    if kind not in CHANGE_KINDS:
        raise ValueError(f"unknown change kind {kind!r}")
    if entry.get("entity") is not None and entry["entity"] not in ENTITY_TYPES:
        raise ValueError(f"unknown entity type {entry['entity']!r}")
    if not entry.get("key"):
        raise ValueError("a change entry needs a key")
    props = {name: entry.get(name) for name in _PROPERTIES if entry.get(name) is not None}
    fields = entry.get("fields") or []
    props["fields"] = json.dumps(list(fields), ensure_ascii=False, default=str)
    props["source_records"] = [str(r) for r in entry.get("source_records") or [] if r]
    return {"key": entry["key"], "props": props}


def write_changes(tx: ManagedTransaction, entries: Iterable[Mapping[str, Any]]) -> int:
    """Write change entries in the transaction ``tx``; returns how many were new.

    Entries already in the graph (by ``key``) are skipped; new ones are numbered after the
    feed's newest ``seq``. The feed's counter is locked until ``tx`` ends, so concurrent
    writers number their entries one transaction after the other.
    """
    rows = [graph_entry(entry) for entry in entries]
    if not rows:
        return 0
    record = tx.run(q.WRITE_CHANGES, entries=rows, feed=q.FEED_KEY).single()
    return record["written"] if record else 0


def feed_state(driver: Driver, database: str = "neo4j") -> FeedState:
    """The feed's counter as stored (zeros before anything was written)."""
    records, _, _ = driver.execute_query(q.FEED_STATE, feed=q.FEED_KEY, database_=database)
    row = records[0]
    return FeedState(row["head"], row["pruned_through"], row["run"])


def record_feed_run(driver: Driver, database: str, run_id: str) -> None:
    """Remember that every entry of ``run_id`` and older runs is written."""
    driver.execute_query(q.RECORD_FEED_RUN, run=run_id, feed=q.FEED_KEY, database_=database)


def prune_changes(
    driver: Driver,
    database: str = "neo4j",
    *,
    retention_days: float,
    now: datetime | None = None,
) -> int:
    """Delete entries written more than ``retention_days`` before ``now``; returns the
    ``seq`` pruned through (0 when nothing was)."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    records, _, _ = driver.execute_query(q.EXPIRED_THROUGH, cutoff=cutoff, database_=database)
    through = records[0]["through"] if records else None
    if not through:
        return 0
    driver.execute_query(q.MARK_PRUNED, through=through, feed=q.FEED_KEY, database_=database)
    with driver.session(database=database) as session:  # IN TRANSACTIONS needs auto-commit
        session.run(q.DELETE_PRUNED, through=through).consume()
    return through
