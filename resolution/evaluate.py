"""Evaluation against a known truth: pairwise precision, recall and F1 of the clustering.

The truth is a table ``truth(source, record_id, role, entity, true_id)`` (see :func:`load_truth`
for ``truth.csv``). A pair of mentions is predicted when both share a golden ID (or, before golden
IDs exist, a cluster), and true when both share a ``true_id``. Only mentions present in both
sides count. Pairs are counted from group sizes (n·(n−1)/2 per group, and per intersection of a
predicted and a true group for the true positives), never materialised, so a cluster of 10,000
mentions costs what a cluster of two does.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from resolution.cluster import check_entity, require_table, table_exists
from resolution.errors import MissingTable


def load_truth(connection: duckdb.DuckDBPyConnection, path: Path, table: str = "truth") -> int:
    """Load ``truth.csv`` (source, record_id, role, entity, true_id) into ``table``; row count."""
    if not table.isidentifier():
        raise ValueError(f"not a table name: {table!r}")
    quoted = str(path).replace("'", "''")
    connection.execute(
        f"""
        CREATE OR REPLACE TABLE {table} AS
        SELECT source, record_id, role, entity, true_id
        FROM read_csv('{quoted}', header = true, all_varchar = true)
        """
    )
    return connection.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def pairwise_metrics(
    connection: duckdb.DuckDBPyConnection, entity: str, truth_table: str = "truth"
) -> dict:
    """Pairwise precision, recall and F1 of ``entity`` against ``truth_table``.

    Predicted groups come from ``golden_members`` when it holds the entity type, else from
    ``clusters_<entity>``. Returns ``precision, recall, f1, true_pairs, predicted_pairs, tp,
    clusters, true_clusters, mentions``; precision (recall) is 1.0 when nothing is predicted
    (nothing is true) to pair.
    """
    check_entity(entity)
    if not truth_table.isidentifier():
        raise ValueError(f"not a table name: {truth_table!r}")
    require_table(connection, truth_table, "load_truth")
    predicted = _predicted_groups(connection, entity)
    tp, predicted_pairs, true_pairs, clusters, true_clusters, mentions = connection.execute(
        f"""
        WITH truth AS (
            SELECT source || '/' || record_id || '/' || role AS mention_id, true_id
            FROM {truth_table} WHERE entity = $1
        ),
        both_sides AS (
            SELECT p.mention_id, p.group_id, t.true_id
            FROM ({predicted}) p JOIN truth t ON t.mention_id = p.mention_id
        ),
        cells AS (SELECT count(*) AS n FROM both_sides GROUP BY group_id, true_id),
        predicted AS (SELECT count(*) AS n FROM both_sides GROUP BY group_id),
        actual AS (SELECT count(*) AS n FROM both_sides GROUP BY true_id)
        SELECT
            (SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM cells),
            (SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM predicted),
            (SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM actual),
            (SELECT count(*) FROM predicted),
            (SELECT count(*) FROM actual),
            (SELECT count(*) FROM both_sides)
        """,
        [entity],
    ).fetchall()[0]
    tp, predicted_pairs, true_pairs = int(tp), int(predicted_pairs), int(true_pairs)
    precision = tp / predicted_pairs if predicted_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "true_pairs": true_pairs,
        "predicted_pairs": predicted_pairs,
        "tp": tp,
        "clusters": int(clusters),
        "true_clusters": int(true_clusters),
        "mentions": int(mentions),
    }


def _predicted_groups(connection: duckdb.DuckDBPyConnection, entity: str) -> str:
    """SQL yielding (mention_id, group_id) for the entity's current prediction."""
    if table_exists(connection, "golden_members"):
        has_rows = connection.execute(
            "SELECT count(*) FROM golden_members WHERE entity = ?", [entity]
        ).fetchall()[0][0]
        if has_rows:
            return (
                "SELECT mention_id, golden_id AS group_id FROM golden_members "
                f"WHERE entity = '{entity}'"
            )
    if table_exists(connection, f"clusters_{entity}"):
        return f"SELECT mention_id, cluster_key AS group_id FROM clusters_{entity}"
    raise MissingTable(f"clusters_{entity}", "clustering (resolution.cluster)")
