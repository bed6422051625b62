"""Review candidates: the pairs a data steward should decide, most consequential first.

Input: ``pairs_<entity>``, ``clusters_<entity>``, ``weak_links_<entity>``,
``ambiguous_<entity>`` and, when present, the steward decisions (``steward_decisions`` and
``steward_coverage``, see :mod:`resolution.decisions`). Output, replaced on every run:
``review_candidates_<entity>(candidate_id, mention_id_l, mention_id_r, match_probability,
match_weight, comparisons, cluster_key_l, cluster_key_r, weak_link, priority)``, ordered by
priority, highest first.

A candidate is a pair whose answer would change something: a weak link (a bridge inside an
entity: "not a match" splits it), a scored pair inside the review band ``[low, high)`` that
lies between two entities ("a match" joins them), or a pair of a mention clustering left apart
as ambiguous (``ambiguous_<entity>``: above the band with entities held apart). A band pair
inside one entity that other evidence already holds together is not asked, and of the band
pairs between the same two entities only the most uncertain is: one answer settles them all (a
merge covers every pair between the two). Nor is a pair a steward already decided: directly, or
by a decision covering both records (``steward_coverage``: a split settles every pair across
it, a merge every pair between the two entities). ``candidate_id`` is a hash of the two mention
ids, so it survives re-runs; ``comparisons`` is a JSON object of every ``mw_*`` column (the
per-comparison match weights). ``priority``, the expected value of asking, is the number of
mentions a decision would move (both clusters when the pair lies between two clusters, the
cluster itself when it lies inside one) times the uncertainty ``1 - |2p - 1|`` (at least 0.05,
so a weak link at high probability still counts).
"""

from __future__ import annotations

import duckdb

from resolution.cluster import check_entity, require_table, table_exists

MIN_UNCERTAINTY = 0.05


def build_review_candidates(
    connection: duckdb.DuckDBPyConnection, entity: str, band: tuple[float, float]
) -> int:
    """Write ``review_candidates_<entity>`` for the pairs in ``band`` and the weak links.

    Returns the number of candidates.
    """
    check_entity(entity)
    low, high = band
    pairs_table = f"pairs_{entity}"
    require_table(connection, pairs_table, "prediction (resolution.predict)")
    require_table(connection, f"clusters_{entity}", "clustering (resolution.cluster)")
    weights = [
        name
        for (name,) in connection.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = ? AND column_name LIKE 'mw\\_%' ESCAPE '\\' "
            "ORDER BY ordinal_position",
            [pairs_table],
        ).fetchall()
    ]
    if weights:
        fields = ", ".join(f"'{name}', p.\"{name}\"" for name in weights)
        comparisons = f"json_object({fields})"
    else:
        comparisons = "CAST('{}' AS JSON)"
    weak = _pairs_of(connection, f"weak_links_{entity}")
    ambiguous = _pairs_of(connection, f"ambiguous_{entity}")
    decided = (
        "SELECT least(mention_id_l, mention_id_r) AS a, "
        "greatest(mention_id_l, mention_id_r) AS b FROM steward_decisions WHERE entity = $1"
        if table_exists(connection, "steward_decisions")
        else "SELECT NULL::VARCHAR AS a, NULL::VARCHAR AS b WHERE CAST($1 AS VARCHAR) IS NULL"
    )
    covered = (
        "SELECT decision_id, mention_id, grp, together FROM steward_coverage WHERE entity = $1"
        if table_exists(connection, "steward_coverage")
        else "SELECT NULL::VARCHAR AS decision_id, NULL::VARCHAR AS mention_id, "
        "NULL::INTEGER AS grp, NULL::BOOLEAN AS together WHERE CAST($1 AS VARCHAR) IS NULL"
    )
    connection.execute(
        f"""
        CREATE OR REPLACE TABLE review_candidates_{entity} AS
        WITH weak AS ({weak}),
        ambiguous AS ({ambiguous}),
        decided AS ({decided}),
        covered AS ({covered}),
        scored AS (
            SELECT least(p.mention_id_l, p.mention_id_r) AS a,
                   greatest(p.mention_id_l, p.mention_id_r) AS b,
                   p.match_probability, p.match_weight, {comparisons} AS comparisons
            FROM {pairs_table} p
            WHERE p.mention_id_l <> p.mention_id_r
        ),
        best AS (
            SELECT * FROM scored
            QUALIFY row_number() OVER (
                PARTITION BY a, b ORDER BY match_probability DESC, match_weight DESC) = 1
        ),
        chosen AS (
            SELECT best.*, weak.a IS NOT NULL AS weak_link FROM best
            LEFT JOIN weak ON weak.a = best.a AND weak.b = best.b
            WHERE (best.match_probability >= $2 AND best.match_probability < $3)
               OR weak.a IS NOT NULL
               OR EXISTS (SELECT 1 FROM ambiguous x WHERE x.a = best.a AND x.b = best.b)
        ),
        sizes AS (
            SELECT cluster_key, count(*) AS size FROM clusters_{entity} GROUP BY cluster_key
        ),
        open AS (
            SELECT substr(sha256(c.a || chr(31) || c.b), 1, 16) AS candidate_id,
                   c.a AS mention_id_l, c.b AS mention_id_r, c.match_probability,
                   c.match_weight, c.comparisons, kl.cluster_key AS cluster_key_l,
                   kr.cluster_key AS cluster_key_r, c.weak_link,
                   round(
                       CASE WHEN kl.cluster_key = kr.cluster_key THEN sl.size
                            ELSE coalesce(sl.size, 1) + coalesce(sr.size, 1) END
                       * greatest(1 - abs(2 * c.match_probability - 1), {MIN_UNCERTAINTY}),
                       6) AS priority
            FROM chosen c
            LEFT JOIN clusters_{entity} kl ON kl.mention_id = c.a
            LEFT JOIN clusters_{entity} kr ON kr.mention_id = c.b
            LEFT JOIN sizes sl ON sl.cluster_key = kl.cluster_key
            LEFT JOIN sizes sr ON sr.cluster_key = kr.cluster_key
            WHERE (c.weak_link OR kl.cluster_key IS DISTINCT FROM kr.cluster_key)
              AND NOT EXISTS (SELECT 1 FROM decided d WHERE d.a = c.a AND d.b = c.b)
              AND NOT EXISTS (
                  SELECT 1 FROM covered x JOIN covered y USING (decision_id)
                  WHERE x.mention_id = c.a AND y.mention_id = c.b
                    AND (x.grp <> y.grp OR (x.together AND y.together)))
        )
        SELECT * FROM open
        QUALIFY weak_link OR row_number() OVER (
            PARTITION BY least(cluster_key_l, cluster_key_r),
                         greatest(cluster_key_l, cluster_key_r)
            ORDER BY priority DESC, candidate_id) = 1
        ORDER BY priority DESC, candidate_id
        """,
        [entity, low, high],
    )
    return connection.execute(f"SELECT count(*) FROM review_candidates_{entity}").fetchall()[0][0]


def _pairs_of(connection: duckdb.DuckDBPyConnection, table: str) -> str:
    """SQL of the mention pairs in ``table`` as ``(a, b)``, smaller id first; none when the
    clustering that writes it has not run."""
    if not table_exists(connection, table):
        return "SELECT NULL::VARCHAR AS a, NULL::VARCHAR AS b WHERE false"
    return (
        "SELECT least(mention_id_l, mention_id_r) AS a, "
        f"greatest(mention_id_l, mention_id_r) AS b FROM {table}"
    )
