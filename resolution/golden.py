"""Golden IDs: a stable, opaque identifier per cluster that survives re-runs.

Input: ``clusters_<entity>`` (this run) and ``golden_members`` (the previous run's assignment,
kept in the workspace). Output, in one transaction:

- ``golden_members(mention_id, entity, golden_id)``: the entity type's rows replaced;
- ``golden_lineage(run_id, at, entity, old_id, new_id, kind, reason)``: appended, one row per
  change — ``create`` (a new ID), ``merge`` (an old ID retired into the cluster that took most
  of its mentions), ``split`` (an old ID's mentions moved to another cluster), ``retire`` (an old
  ID whose mentions are all gone);
- ``golden_ids(golden_id, entity, status, created_run, retired_run)``: every ID ever issued, so
  a retired ID is never issued again.

Each cluster inherits the old ID it shares the most mentions with; pairs are taken greedily by
overlap (largest first, then smaller old ID, then smaller cluster key), so each old ID goes to at
most one cluster. IDs a steward chose to keep go first, for the cluster holding the decision's
anchor record: a merged cluster keeps the steward's choice even when the other side was larger,
and after a split the part not split off keeps the ID. A cluster with no old ID gets
``P-``/``E-``/``U-`` and the first 12 hex digits of ``sha256("<entity>:<smallest mention
id>")``: the same input gives the same IDs in any fresh workspace. Re-running on unchanged
clusters changes nothing and writes no lineage.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from resolution.cluster import check_entity, require_table, table_exists

PREFIXES = {"person": "P-", "enterprise": "E-", "rental_unit": "U-"}
TOKEN_LENGTH = 12

SCHEMA_SQL = [
    """CREATE TABLE IF NOT EXISTS golden_members (
        mention_id VARCHAR, entity VARCHAR, golden_id VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS golden_lineage (
        run_id VARCHAR, "at" TIMESTAMPTZ, entity VARCHAR, old_id VARCHAR, new_id VARCHAR,
        kind VARCHAR, reason VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS golden_ids (
        golden_id VARCHAR PRIMARY KEY, entity VARCHAR, status VARCHAR, created_run VARCHAR,
        retired_run VARCHAR)""",
]


@dataclass(frozen=True)
class GoldenResult:
    """Counts of what :func:`assign_golden_ids` changed."""

    entity: str
    run_id: str
    clusters: int
    kept: int
    """Clusters that inherited an old ID."""
    created: int
    retired: int
    """Old IDs no longer in use (merged into another or vanished)."""
    merges: int
    splits: int
    lineage_rows: int


def golden_token(entity: str, smallest_mention_id: str, attempt: int = 0) -> str:
    """The golden ID a cluster gets when it inherits none (``attempt`` > 0 after a collision)."""
    seed = f"{entity}:{smallest_mention_id}" + (f":{attempt}" if attempt else "")
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()[:TOKEN_LENGTH]
    return PREFIXES[entity] + digest


def assign_golden_ids(
    connection: duckdb.DuckDBPyConnection,
    entity: str,
    run_id: str,
    now: datetime,
    keep: Sequence[tuple[str, str | None]] = (),
) -> GoldenResult:
    """Give every cluster of ``clusters_<entity>`` a golden ID, reusing the previous ones.

    ``keep``: ``(old ID, anchor mention)`` a steward chose to keep (in a merge, or for the part of
    a split that was not split off), most important first: the cluster holding the anchor takes
    that ID before any other old ID, whatever the overlaps (anchor None: any cluster holding
    mentions of the ID).
    ``run_id`` and ``now`` label the lineage rows. Replaces the entity's ``golden_members``,
    appends to ``golden_lineage`` and updates ``golden_ids``, all or nothing.
    """
    check_entity(entity)
    require_table(connection, f"clusters_{entity}", "clustering (resolution.cluster)")
    for statement in SCHEMA_SQL:
        connection.execute(statement)

    cluster_sizes = dict(
        connection.execute(
            f"SELECT cluster_key, count(*) FROM clusters_{entity} GROUP BY 1 ORDER BY 1"
        ).fetchall()
    )
    old_sizes = dict(
        connection.execute(
            "SELECT golden_id, count(*) FROM golden_members WHERE entity = ? GROUP BY 1",
            [entity],
        ).fetchall()
    )
    overlaps = connection.execute(
        f"""
        SELECT c.cluster_key, g.golden_id, count(*) AS shared
        FROM clusters_{entity} c JOIN golden_members g
          ON g.mention_id = c.mention_id AND g.entity = ?
        GROUP BY 1, 2
        """,
        [entity],
    ).fetchall()
    issued = {row[0] for row in connection.execute("SELECT golden_id FROM golden_ids").fetchall()}
    issued.update(old_sizes)

    golden_of: dict[str, str] = {}
    taken: set[str] = set()
    anchors = sorted({anchor for _, anchor in keep if anchor is not None})
    cluster_of: dict[str, str] = {}
    if anchors:
        cluster_of = dict(
            connection.execute(
                f"SELECT mention_id, cluster_key FROM clusters_{entity} "
                "WHERE list_contains(?, mention_id)",
                [anchors],
            ).fetchall()
        )
    rank: dict[tuple[str | None, str], int] = {}
    for i, (old_id, anchor) in enumerate(keep):
        cluster = None if anchor is None else cluster_of.get(anchor)
        if anchor is None or cluster is not None:
            rank.setdefault((cluster, old_id), i)
    unranked = len(keep)

    def preference(row: tuple[str, str, int]) -> tuple:
        cluster_key, old_id, shared = row
        best = min(rank.get((cluster_key, old_id), unranked), rank.get((None, old_id), unranked))
        return (best, -shared, old_id, cluster_key)

    for cluster_key, old_id, _ in sorted(overlaps, key=preference):
        if cluster_key not in golden_of and old_id not in taken:
            golden_of[cluster_key] = old_id
            taken.add(old_id)
    kept = len(golden_of)
    created: list[str] = []
    for cluster_key in cluster_sizes:
        if cluster_key in golden_of:
            continue
        attempt = 0
        golden_id = golden_token(entity, cluster_key)
        while golden_id in issued:
            attempt += 1
            golden_id = golden_token(entity, cluster_key, attempt)
        issued.add(golden_id)
        golden_of[cluster_key] = golden_id
        created.append(cluster_key)

    lineage = _lineage(entity, overlaps, old_sizes, cluster_sizes, golden_of, taken, created)
    retired = [old for old, _, kind, _ in lineage if kind in ("merge", "retire")]
    _write(connection, entity, run_id, now, golden_of, created, retired, lineage)
    kinds = [kind for _, _, kind, _ in lineage]
    return GoldenResult(
        entity=entity,
        run_id=run_id,
        clusters=len(cluster_sizes),
        kept=kept,
        created=len(created),
        retired=len(retired),
        merges=kinds.count("merge"),
        splits=kinds.count("split"),
        lineage_rows=len(lineage),
    )


def _lineage(
    entity: str,
    overlaps: list[tuple[str, str, int]],
    old_sizes: dict[str, int],
    cluster_sizes: dict[str, int],
    golden_of: dict[str, str],
    taken: set[str],
    created: list[str],
) -> list[tuple[str | None, str | None, str, str]]:
    """(old_id, new_id, kind, reason) rows, in a deterministic order."""
    targets: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for cluster_key, old_id, shared in overlaps:
        targets[old_id].append((shared, golden_of[cluster_key]))
    rows: list[tuple[str | None, str | None, str, str]] = []
    for cluster_key in created:
        rows.append(
            (None, golden_of[cluster_key], "create", f"new cluster of {cluster_sizes[cluster_key]}")
        )
    for old_id in sorted(old_sizes):
        total = old_sizes[old_id]
        moved = sorted(targets.get(old_id, []), key=lambda target: (-target[0], target[1]))
        if not moved:
            rows.append((old_id, None, "retire", f"all {total} mention(s) gone"))
            continue
        if old_id not in taken:
            shared, new_id = moved.pop(0)
            rows.append((old_id, new_id, "merge", f"{shared} of {total} mention(s) merged"))
        for shared, new_id in moved:
            if new_id != old_id:
                rows.append((old_id, new_id, "split", f"{shared} of {total} mention(s) moved"))
    return rows


def _write(
    connection: duckdb.DuckDBPyConnection,
    entity: str,
    run_id: str,
    now: datetime,
    golden_of: dict[str, str],
    created: list[str],
    retired: list[str],
    lineage: list[tuple[str | None, str | None, str, str]],
) -> None:
    mapping = pa.table(
        {"cluster_key": list(golden_of), "golden_id": list(golden_of.values())},
        schema=pa.schema([("cluster_key", pa.string()), ("golden_id", pa.string())]),
    )
    changes = pa.table(
        {
            "old_id": [row[0] for row in lineage],
            "new_id": [row[1] for row in lineage],
            "kind": [row[2] for row in lineage],
            "reason": [row[3] for row in lineage],
        },
        schema=pa.schema([(name, pa.string()) for name in ("old_id", "new_id", "kind", "reason")]),
    )
    new_ids = pa.table(
        {"golden_id": [golden_of[key] for key in created]},
        schema=pa.schema([("golden_id", pa.string())]),
    )
    retired_ids = pa.table({"golden_id": retired}, schema=pa.schema([("golden_id", pa.string())]))
    connection.register("_golden_mapping", mapping)
    connection.register("_golden_changes", changes)
    connection.register("_golden_new", new_ids)
    connection.register("_golden_retired", retired_ids)
    connection.execute("BEGIN TRANSACTION")
    try:
        # Rebuilt rather than deleted and re-inserted: much faster for a whole entity type.
        connection.execute(
            f"""
            CREATE OR REPLACE TABLE golden_members AS
            SELECT mention_id, entity, golden_id FROM golden_members WHERE entity <> $1
            UNION ALL
            (SELECT c.mention_id, $1 AS entity, m.golden_id
             FROM clusters_{entity} c JOIN _golden_mapping m USING (cluster_key)
             ORDER BY m.golden_id, c.mention_id)
            """,
            [entity],
        )
        connection.execute(
            """
            INSERT INTO golden_lineage
            SELECT ?, ?, ?, old_id, new_id, kind, reason FROM _golden_changes
            """,
            [run_id, now, entity],
        )
        connection.execute(
            "INSERT INTO golden_ids SELECT golden_id, ?, 'active', ?, NULL FROM _golden_new",
            [entity, run_id],
        )
        connection.execute(
            """
            UPDATE golden_ids SET status = 'retired', retired_run = ?
            WHERE golden_id IN (SELECT golden_id FROM _golden_retired)
            """,
            [run_id],
        )
        connection.execute(
            """
            INSERT INTO golden_ids
            SELECT golden_id, ?, 'retired', NULL, ? FROM _golden_retired
            WHERE golden_id NOT IN (SELECT golden_id FROM golden_ids)
            """,
            [entity, run_id],
        )
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    finally:
        for name in ("_golden_mapping", "_golden_changes", "_golden_new", "_golden_retired"):
            connection.unregister(name)


def retired_redirects(connection: duckdb.DuckDBPyConnection) -> int:
    """Write ``golden_redirects(old_id, new_id)``: where each retired ID now points.

    Follows chains (A merged into B, later B into C: A → C); ``new_id`` is NULL when the chain
    ends in an ID whose mentions vanished. Returns the number of retired IDs.
    """
    pointer: dict[str, str | None] = {}
    if table_exists(connection, "golden_lineage"):
        rows = connection.execute(
            """
            SELECT old_id, new_id FROM golden_lineage
            WHERE kind IN ('merge', 'retire') ORDER BY "at", run_id
            """
        ).fetchall()
        pointer = dict(rows)
    redirects: dict[str, str | None] = {}
    for old_id in sorted(pointer):
        target = pointer[old_id]
        seen = {old_id}
        while target is not None and target in pointer and target not in seen:
            seen.add(target)
            target = pointer[target]
        redirects[old_id] = target
    table = pa.table(
        {"old_id": list(redirects), "new_id": list(redirects.values())},
        schema=pa.schema([("old_id", pa.string()), ("new_id", pa.string())]),
    )
    connection.register("_golden_redirects", table)
    try:
        connection.execute(
            "CREATE OR REPLACE TABLE golden_redirects AS SELECT * FROM _golden_redirects"
        )
    finally:
        connection.unregister("_golden_redirects")
    return len(redirects)
