"""Scoring: term frequencies, the refit of λ, every blocked pair scored, and the pairs and
profile tables written to the workspace.

The pairs table keeps the profiles' shape: two profiles are linked by one pair between their
representatives (their smallest mention ids), and every other mention of a profile is paired with
its representative, scored as the profile against itself (``blocking_rule = 'identical'``).
Connected components at any threshold are those of the complete mention-pair graph.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
from splink import Linker

from resolution.engines import Engine
from resolution.matcher_input import MENTIONS, PROFILES
from resolution.model_spec import ModelSpec
from resolution.scratch import qualified, scalar

IDENTICAL = "identical"
"""``blocking_rule`` of a pair between a mention and its profile's representative."""


def pairs_columns(spec: ModelSpec) -> list[tuple[str, str]]:
    """Columns (name, DuckDB type) of ``pairs_<entity>``, in order."""
    columns = [
        ("mention_id_l", "VARCHAR"),
        ("mention_id_r", "VARCHAR"),
        ("match_probability", "DOUBLE"),
        ("match_weight", "DOUBLE"),
        ("blocking_rule", "VARCHAR"),
    ]
    for name in spec.comparison_names:
        columns.append((f"gamma_{name}", "INTEGER"))
        columns.append((f"mw_{name}", "DOUBLE"))
        if spec.has_tf_adjustments(name):
            columns.append((f"mw_tf_adj_{name}", "DOUBLE"))
    return columns


def rule_case(spec: ModelSpec, match_key: str) -> str:
    whens = " ".join(
        f"WHEN '{i}' THEN '{name}'" for i, (name, _) in enumerate(spec.prediction_rules())
    )
    return f"CASE CAST({match_key} AS VARCHAR) {whens} END"


def register_term_frequencies(
    linker: Linker, engine: Engine, cursor: duckdb.DuckDBPyConnection, spec: ModelSpec
) -> None:
    """Term frequency tables for the model's tf columns, counting distinct entities as the
    model's ``term_frequencies`` says (else distinct profiles)."""
    for column in _tf_columns(spec):
        keys = spec.term_frequencies.get(column)
        if keys is None:
            linker.table_management.compute_tf_table(column)
            continue
        table = f"huitong_tf_{column}"
        cursor.execute(
            f"""
            CREATE OR REPLACE TABLE {table} AS
            WITH entities AS (
                SELECT DISTINCT {", ".join((column, *keys))}
                FROM {MENTIONS}
                WHERE {column} IS NOT NULL)
            SELECT {column},
                   CAST(count(*) AS DOUBLE) / (SELECT count(*) FROM entities) AS tf_{column}
            FROM entities
            GROUP BY 1
            """
        )
        engine.publish(table)
        linker.table_management.register_term_frequency_lookup(
            engine.db_api.register(table), column
        )


def refit_lambda(
    cursor: duckdb.DuckDBPyConnection, predictions: str, profiles: int, lam: float
) -> tuple[float, float]:
    """λ as the expected share of matches among all profile pairs, given m and u: the fixed
    point of λ = Σ p(λ) / N over every blocked pair (unblocked pairs taken as non-matches).
    Returns the match-weight shift to the new λ, and the new λ."""
    weights = np.sort(  # sorted: the sums do not depend on the order DuckDB returns rows in
        np.asarray(
            cursor.execute(f"SELECT match_weight FROM {predictions}").fetchnumpy()["match_weight"],
            dtype=np.float64,
        )
    )
    total = profiles * (profiles - 1) / 2
    if not len(weights) or total <= 0:
        return 0.0, lam
    base = math.log2(lam / (1 - lam))
    current = lam
    for _ in range(200):
        shift = math.log2(current / (1 - current)) - base
        expected = float(np.sum(1.0 / (1.0 + np.exp2(-(weights + shift)))))
        new = min(max(expected / total, 1e-12), 0.5)
        if abs(new - current) <= 1e-6 * current:
            current = new
            break
        current = new
    return math.log2(current / (1 - current)) - base, current


def self_scores(linker: Linker, db_api, spec: ModelSpec, threshold: float | None) -> str | None:
    """Score every profile of two or more mentions against itself; the table's name, or None."""
    left = db_api.register(PROFILES, table_name="huitong_profiles_left")
    right = db_api.register(PROFILES, table_name="huitong_profiles_right")
    scores = linker.inference.predict_between(
        left,
        right,
        blocking_rules_to_generate_predictions=[
            "l.mention_id = r.mention_id AND l.mention_count > 1"
        ],
        threshold_match_probability=threshold,
        warning_mode="never",
    )
    return scores.physical_name


def _tf_columns(spec: ModelSpec) -> list[str]:
    columns = {
        level["tf_adjustment_column"]
        for comparison in spec.comparisons
        for level in comparison["comparison_levels"]
        if level.get("tf_adjustment_column")
    }
    return sorted(columns)


def write_pairs(
    cursor: duckdb.DuckDBPyConnection,
    spec: ModelSpec,
    predictions: str,
    self_scores: str | None,
    workspace: tuple[str, str],
    table: str,
    shift: float = 0.0,
) -> int:
    """Write the pairs table; ``shift`` (bits) moves every match weight to a refitted λ. Pairs
    below the predict threshold are left out here (Splink scored them all, see
    :func:`scores_every_pair`) except those :func:`witness_pairs` keeps."""
    between, identical = [], []
    weight = f"(p.match_weight + {shift!r})"
    for name, duck_type in pairs_columns(spec):
        if shift and name == "match_weight":
            between.append(f"CAST({weight} AS {duck_type}) AS {name}")
            identical.append(f"CAST({weight} AS {duck_type}) AS {name}")
        elif shift and name == "match_probability":
            value = f"1.0 / (1.0 + pow(2.0, -{weight}))"
            between.append(f"CAST({value} AS {duck_type}) AS {name}")
            identical.append(f"CAST({value} AS {duck_type}) AS {name}")
        elif name == "blocking_rule":
            between.append(f"CAST({rule_case(spec, 'p.match_key')} AS {duck_type}) AS {name}")
            identical.append(f"'{IDENTICAL}' AS {name}")
        elif name == "mention_id_r":
            between.append(f"CAST(p.{name} AS {duck_type}) AS {name}")
            identical.append(f"m.mention_id AS {name}")
        else:
            between.append(f"CAST(p.{name} AS {duck_type}) AS {name}")
            identical.append(f"CAST(p.{name} AS {duck_type}) AS {name}")
    union = ""
    if self_scores is not None:
        union = f"""
            UNION ALL
            SELECT {", ".join(identical)}
            FROM {self_scores} p
            JOIN {MENTIONS} m ON m.profile_id = p.mention_id_l AND m.mention_id <> m.profile_id
        """
    kept, joins = witness_pairs(spec, workspace)
    cursor.execute(
        f"""
        CREATE OR REPLACE TABLE {qualified(workspace, table)} AS
        SELECT x.* FROM (
            SELECT {", ".join(between)}
            FROM {predictions} p
            {union}
        ) x {joins}
        WHERE x.match_probability >= {spec.predict_threshold!r}{kept}
        ORDER BY x.mention_id_l, x.mention_id_r
        """
    )
    return int(scalar(cursor, f"SELECT count(*) FROM {qualified(workspace, table)}"))


def scores_every_pair(spec: ModelSpec, refit: bool) -> bool:
    """Whether Splink must give every blocked pair's score, not only those above the predict
    threshold: to refit λ on them all, or to keep the pairs :func:`witness_pairs` keeps."""
    return refit or (spec.attach is not None and spec.attach.witness is not None)


def witness_pairs(spec: ModelSpec, workspace: tuple[str, str]) -> tuple[str, str]:
    """The ``OR`` clause and joins keeping, whatever their probability, the pairs between a
    mention that is nothing but the attach key (``AttachSpec.short``, or ``bare`` without it)
    and another with the same key, where the model has witnesses (see
    :class:`resolution.model_spec.AttachSpec`): 广州泰拓 written alone scores low with each of
    the dozen firms called 泰拓…, and the one its witnesses name joins it through that pair.
    Empty strings otherwise."""
    attach = spec.attach
    if attach is None or attach.witness is None:
        return "", ""
    short = f"({attach.bare}) AND ({attach.short})" if attach.short else f"({attach.bare})"
    keys = (
        f"(SELECT mention_id, ({attach.key})::VARCHAR AS k, coalesce({short}, false) AS s "
        f"FROM {qualified(workspace, 'mentions')} WHERE entity = '{spec.entity}')"
    )
    joins = (
        f"LEFT JOIN {keys} kl ON kl.mention_id = x.mention_id_l "
        f"LEFT JOIN {keys} kr ON kr.mention_id = x.mention_id_r"
    )
    return " OR (kl.k = kr.k AND (kl.s OR kr.s))", joins


def write_profiles(
    cursor: duckdb.DuckDBPyConnection, workspace: tuple[str, str], table: str
) -> None:
    cursor.execute(
        f"""
        CREATE OR REPLACE TABLE {qualified(workspace, table)} AS
        SELECT mention_id, profile_id, count(*) OVER (PARTITION BY profile_id) AS profile_size
        FROM {MENTIONS}
        ORDER BY mention_id
        """
    )
