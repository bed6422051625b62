"""The golden IDs given in real time, folded into the next resolve so it keeps them.

Between batch runs the real-time engine assigns submitted records to golden records (an
existing one, a new one, or one it merged) and tells the change feed; each call's outcome is a
``state`` in the workdir's journal (:mod:`huitong.journal`). Before the next resolve clusters
anything, :func:`fold_submissions` makes those outcomes part of the *previous* state:

- ``golden_members`` gets each submitted mention's golden ID (a merged-away ID's mentions move
  to the survivor; retracted mentions leave), so :func:`resolution.golden.assign_golden_ids`,
  which keeps each cluster's ID by largest overlap, keeps the IDs given in real time: a
  submitted mention is simply a member;
- ``golden_ids`` knows every ID issued in real time (never issued twice) and which retired;
  ``golden_lineage`` gets the real-time creations and merges, labelled with the run the engine
  worked from, so redirects follow them and the feed does not announce them a second time;
- the change feed's baseline (``change_baseline_*``, :mod:`resolution.changes`) becomes what
  the feed was told in real time: the members, survived values and places of the records a
  call touched, and its events. The next run then records only what it changes beyond that.

Entries are folded once: ``submissions_folded`` remembers the last one, in the same
transaction, so a resolve run again after a crash folds nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from huitong.journal import Journal
from resolution.changes import SCHEMA_SQL as CHANGES_SCHEMA_SQL
from resolution.cluster import table_exists
from resolution.golden import SCHEMA_SQL as GOLDEN_SCHEMA_SQL

FOLDED = "submissions_folded"


def folded_through(connection: duckdb.DuckDBPyConnection) -> int:
    """The last journal entry folded into this workspace (0: none)."""
    if not table_exists(connection, FOLDED):
        return 0
    value = connection.execute(f"SELECT max(through) FROM {FOLDED}").fetchone()[0]
    return int(value or 0)


def fold_submissions(
    connection: duckdb.DuckDBPyConnection, workdir: Path, through: int, now: datetime
) -> int:
    """Fold the journal's entries after the last folded one, up to ``through`` (the entry
    ingest read the sources up to), into the previous state; returns how many were folded."""
    for statement in (*GOLDEN_SCHEMA_SQL, *CHANGES_SCHEMA_SQL):
        connection.execute(statement)
    connection.execute(f"CREATE TABLE IF NOT EXISTS {FOLDED} (through BIGINT)")
    start = folded_through(connection)
    entries = [e for e in Journal(workdir).entries(after=start) if e["seq"] <= through]
    if not entries:
        return 0
    connection.execute("BEGIN TRANSACTION")
    try:
        for entry in entries:
            _fold(connection, entry, now)
        connection.execute(f"DELETE FROM {FOLDED}")
        connection.execute(f"INSERT INTO {FOLDED} VALUES (?)", [entries[-1]["seq"]])
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return len(entries)


def _fold(connection: duckdb.DuckDBPyConnection, entry: dict, now: datetime) -> None:
    state = entry.get("state") or {}
    run = entry.get("snapshot") or ""
    at = entry.get("at") or now
    for table in ("golden_members", "change_baseline_members"):
        for entity, old_id, new_id in state.get("merges", []):
            connection.execute(
                f"UPDATE {table} SET golden_id = ? WHERE entity = ? AND golden_id = ?",
                [new_id, entity, old_id],
            )
        gone = [m for m in state.get("removed", [])] + [m for m, _, _ in state.get("members", [])]
        if gone:
            connection.execute(f"DELETE FROM {table} WHERE list_contains(?, mention_id)", [gone])
        if state.get("members"):
            connection.executemany(
                f"INSERT INTO {table} (mention_id, entity, golden_id) VALUES (?, ?, ?)",
                state["members"],
            )
    for entity, golden_id in state.get("created", []):
        connection.execute(
            "INSERT INTO golden_ids SELECT ?, ?, 'active', ?, NULL "
            "WHERE NOT EXISTS (SELECT 1 FROM golden_ids WHERE golden_id = ?)",
            [golden_id, entity, run, golden_id],
        )
        _lineage(connection, run, at, entity, None, golden_id, "create", "submitted in real time")
    for kind, rows in (("merge", state.get("merges", [])), ("split", state.get("splits", []))):
        for entity, old_id, new_id in rows:
            _lineage(connection, run, at, entity, old_id, new_id, kind, "real-time submission")
    retired = [(e, old) for e, old, _ in state.get("merges", [])] + [
        (e, old) for e, old in state.get("retired", [])
    ]
    for entity, golden_id in state.get("retired", []):
        _lineage(connection, run, at, entity, golden_id, None, "retire", "retracted in real time")
    for entity, golden_id in retired:
        connection.execute(
            "UPDATE golden_ids SET status = 'retired', retired_run = ? WHERE golden_id = ?",
            [run, golden_id],
        )
        connection.execute(
            "INSERT INTO golden_ids SELECT ?, ?, 'retired', NULL, ? "
            "WHERE NOT EXISTS (SELECT 1 FROM golden_ids WHERE golden_id = ?)",
            [golden_id, entity, run, golden_id],
        )
        for table in ("change_baseline_records", "change_baseline_places"):
            connection.execute(
                f"DELETE FROM {table} WHERE entity = ? AND golden_id = ?", [entity, golden_id]
            )
    for record in state.get("records", []):
        entity, golden_id = record["entity"], record["golden_id"]
        for table in ("change_baseline_records", "change_baseline_places"):
            connection.execute(
                f"DELETE FROM {table} WHERE entity = ? AND golden_id = ?", [entity, golden_id]
            )
        if record.get("values"):
            connection.executemany(
                "INSERT INTO change_baseline_records VALUES (?, ?, ?, ?, ?, ?, ?)",
                [[entity, golden_id, *value] for value in record["values"]],
            )
        place = record.get("place")
        if place:
            connection.execute(
                "INSERT INTO change_baseline_places VALUES (?, ?, ?, ?, ?, ?)",
                [entity, golden_id, place.get("point_key"), place.get("district"),
                 place.get("street"), place.get("community")],
            )  # fmt: skip
    if state.get("events"):
        connection.executemany(
            "INSERT INTO change_baseline_events VALUES (?)", [[e] for e in state["events"]]
        )


def _lineage(
    connection: duckdb.DuckDBPyConnection,
    run: str,
    at,
    entity: str,
    old_id: str | None,
    new_id: str | None,
    kind: str,
    reason: str,
) -> None:
    connection.execute(
        "INSERT INTO golden_lineage VALUES (?, ?, ?, ?, ?, ?, ?)",
        [run, at, entity, old_id, new_id, kind, reason],
    )


def submitted_members(workdir: Path, after: int):
    """Mentions the journal's entries after ``after`` submitted or retracted, each with the
    golden ID it has now (merges followed; None once retracted), as an Arrow table
    ``source, record_id, role, entity, mention_id, golden_id``: what the workspace does not
    know yet."""
    import pyarrow as pa

    members: dict[str, tuple[str, str | None]] = {}
    redirects: dict[str, str] = {}
    for entry in Journal(workdir).entries(after=after):
        state = entry.get("state") or {}
        for _, old_id, new_id in state.get("merges", []):
            redirects[old_id] = new_id
        for mention_id in state.get("removed", []):
            members[mention_id] = ("", None)
        for mention_id, entity, golden_id in state.get("members", []):
            members[mention_id] = (entity, golden_id)

    def follow(golden_id: str | None) -> str | None:
        seen: set[str] = set()
        while golden_id in redirects and golden_id not in seen:
            seen.add(golden_id)
            golden_id = redirects[golden_id]
        return golden_id

    rows = []
    for mention_id, (entity, golden_id) in sorted(members.items()):
        source, rest = mention_id.split("/", 1)
        record_id, role = rest.rsplit("/", 1)
        rows.append(
            {"source": source, "record_id": record_id, "role": role, "entity": entity,
             "mention_id": mention_id, "golden_id": follow(golden_id)}
        )  # fmt: skip
    names = ("source", "record_id", "role", "entity", "mention_id", "golden_id")
    return pa.Table.from_pylist(rows, schema=pa.schema([(n, pa.string()) for n in names]))
