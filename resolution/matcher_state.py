"""What the real-time matcher needs from a run's prediction, kept in the workspace.

A record submitted in real time is scored against the mentions already resolved with exactly
the batch's model, columns, blocking and term frequencies. Prediction therefore leaves, for
each entity type, beside ``pairs_<entity>`` (replaced on every run):

- ``matcher_profiles_<entity>``: every profile Splink compared (its representative
  ``mention_id``, ``mention_count`` and model columns) with the term frequency of each of its
  tf columns (``tf_<column>``), as the run's tf tables gave them;
- ``matcher_keys_<entity>(rule, block, mention_id)``: each profile's key in each blocking rule
  (``hash`` of the rule's columns, as :func:`resolution.matcher_input.prepare_input` computes
  it), for every profile where the columns are set — whatever the block's size;
- ``matcher_blocks_<entity>(rule, block, size, first)``: each block's size and first profile,
  so a new record is compared as the batch would (every profile of a block that stays within
  ``max_block_size``, else only the block's first: the star);
- ``matcher_tf_<entity>_<column>``: the run's term frequency table of each tf column;
- ``matcher_degrees_<entity>(mate, rows)``: how many rows name each neighbour (for models that
  read neighbours), so a submitted row leaves out a neighbour the city names too often.

:mod:`resolution.snapshot` copies them into the snapshot the real-time engine reads.
"""

from __future__ import annotations

import duckdb

from resolution.matcher_input import PROFILES, neighbour_degrees_sql
from resolution.model_spec import ModelSpec
from resolution.scratch import qualified

MATCHER_PROFILES = "matcher_profiles_{entity}"
MATCHER_KEYS = "matcher_keys_{entity}"
MATCHER_BLOCKS = "matcher_blocks_{entity}"
MATCHER_TF = "matcher_tf_{entity}_{column}"
MATCHER_DEGREES = "matcher_degrees_{entity}"


def tf_columns(spec: ModelSpec) -> list[str]:
    """The model's term-frequency columns, sorted."""
    return sorted(
        {
            level["tf_adjustment_column"]
            for comparison in spec.comparisons
            for level in comparison["comparison_levels"]
            if level.get("tf_adjustment_column")
        }
    )


def block_key_sql(columns: tuple[str, ...], alias: str = "g") -> str:
    """A blocking rule's key over its columns, as :func:`prepare_input` computes it."""
    return f"hash({', '.join(f'{alias}.{column}' for column in columns)})"


def block_present_sql(columns: tuple[str, ...], alias: str = "g") -> str:
    return " AND ".join(f"{alias}.{column} IS NOT NULL" for column in columns)


def save_matcher_state(
    cursor: duckdb.DuckDBPyConnection,
    spec: ModelSpec,
    workspace: tuple[str, str],
) -> None:
    """Write the ``matcher_*`` tables of ``spec.entity`` from a prediction's scratch
    (``huitong_profiles``) and the workspace. Term frequencies are computed here as Splink
    computes them (a value's share of the non-null values), in DuckDB whatever engine
    predicted."""
    entity = spec.entity
    tf_cols = tf_columns(spec)
    for column in tf_cols:
        if column in spec.term_frequencies:  # counted over entities by register_term_frequencies
            source = f"SELECT {column}, tf_{column} FROM huitong_tf_{column}"
        else:
            source = (
                f"SELECT {column}, CAST(count(*) AS DOUBLE) / "
                f"(SELECT count({column}) FROM {PROFILES}) AS tf_{column} "
                f"FROM {PROFILES} WHERE {column} IS NOT NULL GROUP BY {column}"
            )
        cursor.execute(
            f"CREATE OR REPLACE TABLE "
            f"{qualified(workspace, MATCHER_TF.format(entity=entity, column=column))} AS {source}"
        )
    names = ["mention_id", "mention_count", *spec.columns]
    tf_selects = "".join(f", t{i}.tf_{column}" for i, column in enumerate(tf_cols))
    tf_joins = "".join(
        f" LEFT JOIN {qualified(workspace, MATCHER_TF.format(entity=entity, column=column))}"
        f" t{i} ON t{i}.{column} = p.{column}"
        for i, column in enumerate(tf_cols)
    )
    cursor.execute(
        f"""
        CREATE OR REPLACE TABLE {qualified(workspace, MATCHER_PROFILES.format(entity=entity))} AS
        SELECT {", ".join(f"p.{name}" for name in names)}{tf_selects}
        FROM {PROFILES} p {tf_joins}
        ORDER BY p.mention_id
        """
    )
    keys = [
        f"""SELECT {i} AS rule, {block_key_sql(rule.on)} AS block, g.mention_id
            FROM {PROFILES} g WHERE {block_present_sql(rule.on)}"""
        for i, rule in enumerate(spec.blocking_rules)
    ]
    cursor.execute(
        f"""
        CREATE OR REPLACE TABLE {qualified(workspace, MATCHER_KEYS.format(entity=entity))} AS
        SELECT * FROM ({" UNION ALL ".join(keys)}) ORDER BY rule, block, mention_id
        """
    )
    cursor.execute(
        f"""
        CREATE OR REPLACE TABLE {qualified(workspace, MATCHER_BLOCKS.format(entity=entity))} AS
        SELECT rule, block, count(*) AS size, min(mention_id) AS first
        FROM {qualified(workspace, MATCHER_KEYS.format(entity=entity))}
        GROUP BY rule, block ORDER BY rule, block
        """
    )
    degrees = neighbour_degrees_sql(cursor, spec, workspace)
    table = qualified(workspace, MATCHER_DEGREES.format(entity=entity))
    if degrees:
        cursor.execute(f"CREATE OR REPLACE TABLE {table} AS {degrees}")
    else:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
