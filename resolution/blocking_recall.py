"""How many candidate pairs a model's blocking rules produce, and how many true pairs they find."""

from __future__ import annotations

from typing import Any

import duckdb
from splink import DuckDBAPI, Linker

from resolution.matcher_input import MENTIONS, PROFILES, prepare_input
from resolution.model_spec import load_model_spec
from resolution.scoring import IDENTICAL, rule_case
from resolution.scratch import limit_threads, qualified, quiet_splink, scalar, scratch


def blocking_recall(
    connection: duckdb.DuckDBPyConnection, entity: str, truth_table: str = "truth"
) -> dict[str, Any]:
    """Count the candidate pairs the blocking rules of ``entity`` produce, and their recall.

    ``truth_table`` (``source, record_id, role, entity, true_id``) says which mentions are the
    same entity; a mention's id is ``source/record_id/role``. A true pair of mentions is found
    when the two are identical on the matching columns (same profile) or their profiles are a
    blocked pair. Returns the counts of mentions and profiles; ``comparisons`` (profile pairs
    Splink scores, total and per rule, each rule counting only pairs no earlier rule found) and
    ``mention_pairs`` (the mention pairs they stand for, identical mentions included); true
    pairs, those found (total, per rule and ``identical``) and the recall.
    """
    spec = load_model_spec(entity)
    limit_threads(connection)
    with scratch(connection) as (cursor, workspace), quiet_splink():
        mentions, profiles = prepare_input(cursor, spec, workspace)
        db_api = DuckDBAPI(connection=cursor)
        linker = Linker(db_api.register(PROFILES), spec.settings_creator(), log_level=None)
        blocked = linker.inference.compute_blocked_pairs_for_predict().physical_name
        cursor.execute(
            f"""
            CREATE TABLE huitong_truth_counts AS
            WITH truth AS (
                SELECT t.source || '/' || t.record_id || '/' || t.role AS mention_id,
                       any_value(t.true_id) AS true_id
                FROM {qualified(workspace, truth_table)} t
                WHERE t.entity = ?
                GROUP BY ALL)
            SELECT m.profile_id, t.true_id, count(*) AS n
            FROM {MENTIONS} m JOIN truth t USING (mention_id)
            GROUP BY ALL
            """,
            [entity],
        )
        rows = cursor.execute(
            f"""
            WITH sizes AS (SELECT profile_id, sum(n) AS size FROM huitong_truth_counts GROUP BY 1),
            blocked AS (
                SELECT {rule_case(spec, "b.match_key")} AS rule,
                       b.join_key_l AS l, b.join_key_r AS r
                FROM {blocked} b),
            found AS (
                SELECT b.rule, sum(cl.n * cr.n) AS found
                FROM blocked b
                JOIN huitong_truth_counts cl ON cl.profile_id = b.l
                JOIN huitong_truth_counts cr ON cr.profile_id = b.r AND cr.true_id = cl.true_id
                GROUP BY 1),
            counted AS (
                SELECT b.rule, count(*) AS comparisons, sum(sl.size * sr.size) AS mention_pairs
                FROM blocked b
                JOIN sizes sl ON sl.profile_id = b.l
                JOIN sizes sr ON sr.profile_id = b.r
                GROUP BY 1)
            SELECT rule, comparisons, mention_pairs, coalesce(found, 0)
            FROM counted LEFT JOIN found USING (rule)
            UNION ALL
            SELECT '{IDENTICAL}', 0,
                   (SELECT coalesce(sum(size * (size - 1) // 2), 0) FROM sizes),
                   (SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM huitong_truth_counts)
            """
        ).fetchall()
        true_pairs = scalar(
            cursor,
            """
            SELECT coalesce(sum(n * (n - 1) // 2), 0)
            FROM (SELECT true_id, sum(n) AS n FROM huitong_truth_counts GROUP BY 1)
            """,
        )
    order = {name: i for i, (name, _) in enumerate(spec.prediction_rules())}
    rows.sort(key=lambda row: order.get(row[0], len(order)))
    found = int(sum(row[3] for row in rows))
    return {
        "entity": entity,
        "mentions": mentions,
        "profiles": profiles,
        "comparisons": int(sum(row[1] for row in rows)),
        "comparisons_by_rule": {row[0]: int(row[1]) for row in rows if row[0] != IDENTICAL},
        "mention_pairs": int(sum(row[2] for row in rows)),
        "true_pairs": int(true_pairs),
        "true_pairs_found": found,
        "true_pairs_found_by_rule": {row[0]: int(row[3]) for row in rows},
        "recall": found / true_pairs if true_pairs else 1.0,
    }
