"""Train an entity type's matching model on its staged mentions and score candidate pairs.

Input: the ``mentions`` table of a DuckDB workspace (one row per entity mention, see
:mod:`loaders.staging`), its ``relations`` (for the values a model reads across a mention's
relations: the child a parent is named with, the unit a tenant rents) and the entity type's model
(:mod:`resolution.model_spec`).
Output, in the same database, replaced on every run:

- ``pairs_<entity>``: scored pairs of mentions at or above the model's low ``predict``
  threshold, with the per-comparison gamma and match-weight columns (see :func:`pairs_columns`);
- ``mention_profiles_<entity>(mention_id, profile_id, profile_size)``: every mention, with the
  smallest mention id among the mentions identical to it on every matching column;

and the trained Splink model as ``<workdir>/models/<entity>.json``.

Mentions identical on every matching column (a landlord written the same way on 2,000 rental
rows, an employer on every insured person's row) form a *profile*. Splink trains on and compares
profiles, not mentions, so the work grows with the number of distinct ways things are written
rather than with the square of a big entity's mention count. The pairs table keeps that shape:
two profiles are linked by one pair between their representatives (their smallest mention ids),
and every other mention of a profile is paired with its representative, scored as the profile
against itself (``blocking_rule = 'identical'``). Connected components at any threshold are those
of the complete mention-pair graph; the complete pairs are each profile pair expanded over the
profiles' members (``mention_profiles_<entity>``).

Splink runs on a cursor of the caller's connection whose default catalog is a private in-memory
database attached for the run, so Splink's many intermediate tables never land in the workspace
file; the input is read from, and the outputs written to, the workspace catalog directly.

Training is unsupervised and deterministic for the same input: λ from deterministic rules (or from
the expected number of mentions per entity), u by hash-based random sampling with a fixed seed,
m by expectation maximisation on the model's training blocking rules (and, given enough steward
MATCH decisions, from them as pairwise labels). Each comparison starts from the priors in the
model file; a comparison whose trained weights are not sane (agreement not evidence for a match,
or disagreement not evidence against) falls back to its priors. Finally λ is refitted to the
scores (``training.refit_lambda``): a deterministic rule finds only the matches that agree on
its columns, and on data it fits badly (FEBRL's Latin names: a third of the true pairs) λ came
out a hundred times too low; the refit takes λ as the fixed point of λ = Σ p(λ) / N over every
blocked pair, then shifts every pair's weight to it.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from splink import DuckDBAPI, Linker
from splink.internals.exceptions import SplinkException

from resolution.model_spec import (
    EVENT,
    UNIQUE_ID,
    ModelSpec,
    load_model_spec,
    weights_are_sane,
)

logger = logging.getLogger(__name__)

PAIRS_TABLE = "pairs_{entity}"
PROFILES_TABLE = "mention_profiles_{entity}"
IDENTICAL = "identical"
"""``blocking_rule`` of a pair between a mention and its profile's representative."""
MODEL_FILE = "models/{entity}.json"
_SIGNIFICANT_DIGITS = 10
_SANITY_TOLERANCE_BITS = 1.0


@dataclass(frozen=True)
class PredictResult:
    """What :func:`train_and_predict` did for one entity type."""

    entity: str
    mentions: int
    profiles: int
    """distinct mentions on the matching columns: what Splink trained on and compared."""
    comparisons: int
    """candidate profile pairs produced by blocking and scored."""
    pairs: int
    """pairs written to ``pairs_table`` (match probability >= the predict threshold)."""
    pairs_table: str
    model_path: Path
    trained: bool
    labels_used: int
    """steward MATCH pairs m was also estimated from (0: not enough, or none)."""
    probability_two_random_records_match: float
    notes: tuple[str, ...] = ()
    """training steps skipped or reverted to priors, and why."""
    seconds: dict[str, float] = field(default_factory=dict)


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


def train_and_predict(
    connection: duckdb.DuckDBPyConnection,
    entity: str,
    workdir: Path,
    *,
    seed: int | None = None,
    labels: Sequence[tuple[str, str]] = (),
) -> PredictResult:
    """Train the model of ``entity`` on its mentions and write ``pairs_<entity>``.

    ``seed`` (default: the model file's) fixes u sampling; the same mentions and seed give the
    same model JSON and the same pairs. ``labels``: mention pairs a steward said are one entity;
    with enough of them (``training.label_min_matches`` between distinct profiles) m is also
    estimated from them. Works for 0 or 1 mentions (an empty pairs table).
    """
    spec = load_model_spec(entity)
    seed = spec.training.seed if seed is None else seed
    seconds: dict[str, float] = {}
    notes: list[str] = []
    started = time.perf_counter()
    _limit_threads(connection)
    with _scratch(connection) as (cursor, workspace), _quiet_splink():
        mentions, profiles = _prepare_input(cursor, spec, workspace)
        seconds["prepare"] = _lap(started)

        timer = time.perf_counter()
        db_api = DuckDBAPI(connection=cursor)
        frame = db_api.register(_PROFILES, dataset_display_name=f"{entity}_profiles")
        prior = spec.prior_probability_two_random_records_match(profiles)
        linker = Linker(
            frame,
            spec.settings_creator(probability_two_random_records_match=prior),
            log_level=None,
        )
        trained = profiles >= spec.training.min_mentions
        labels_used = 0
        if trained:
            _train(linker, cursor, spec, seed, prior, notes, seconds)
            labels_used = _train_from_labels(linker, cursor, spec, labels, notes, seconds)
        else:
            notes.append(
                f"{profiles} distinct mention(s) < {spec.training.min_mentions}: priors used"
            )
        model = _regularise(linker.misc.save_model_to_json(), spec, prior, trained, notes)
        seconds["train"] = _lap(timer)

        timer = time.perf_counter()
        linker = Linker(frame, model, log_level=None)
        _register_term_frequencies(linker, db_api, cursor, spec)
        blocked = linker.inference.compute_blocked_pairs_for_predict()
        comparisons = int(_scalar(cursor, f"SELECT count(*) FROM {blocked.physical_name}"))
        seconds["block"] = _lap(timer)
        timer = time.perf_counter()
        refit = trained and spec.training.refit_lambda
        predictions = linker.inference.predict(
            threshold_match_probability=None if refit else spec.predict_threshold,
            warning_mode="never",
        )
        shift = 0.0
        if refit:
            shift, lam = _refit_lambda(
                cursor,
                predictions.physical_name,
                profiles,
                model["probability_two_random_records_match"],
            )
            notes.append(f"λ {model['probability_two_random_records_match']:.3g} → {lam:.3g}")
            model["probability_two_random_records_match"] = _round(lam)
        self_scores = _self_scores(linker, db_api, spec, None if refit else spec.predict_threshold)
        seconds["predict"] = _lap(timer)
        timer = time.perf_counter()
        table = PAIRS_TABLE.format(entity=entity)
        pairs = _write_pairs(
            cursor, spec, predictions.physical_name, self_scores, workspace, table, shift
        )
        _write_profiles(cursor, workspace, PROFILES_TABLE.format(entity=entity))
        seconds["write"] = _lap(timer)

    model_file = Path(workdir) / MODEL_FILE.format(entity=entity)
    model_file.parent.mkdir(parents=True, exist_ok=True)
    model_file.write_text(json.dumps(model, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    seconds["total"] = _lap(started)
    for note in notes:
        logger.info("%s: %s", entity, note)
    return PredictResult(
        entity=entity,
        mentions=mentions,
        profiles=profiles,
        comparisons=comparisons,
        pairs=pairs,
        pairs_table=table,
        model_path=model_file,
        trained=trained,
        labels_used=labels_used,
        probability_two_random_records_match=model["probability_two_random_records_match"],
        notes=tuple(notes),
        seconds=seconds,
    )


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
    _limit_threads(connection)
    with _scratch(connection) as (cursor, workspace), _quiet_splink():
        mentions, profiles = _prepare_input(cursor, spec, workspace)
        db_api = DuckDBAPI(connection=cursor)
        linker = Linker(db_api.register(_PROFILES), spec.settings_creator(), log_level=None)
        blocked = linker.inference.compute_blocked_pairs_for_predict().physical_name
        cursor.execute(
            f"""
            CREATE TABLE huitong_truth_counts AS
            WITH truth AS (
                SELECT t.source || '/' || t.record_id || '/' || t.role AS mention_id,
                       any_value(t.true_id) AS true_id
                FROM {_qualified(workspace, truth_table)} t
                WHERE t.entity = ?
                GROUP BY ALL)
            SELECT m.profile_id, t.true_id, count(*) AS n
            FROM {_MENTIONS} m JOIN truth t USING (mention_id)
            GROUP BY ALL
            """,
            [entity],
        )
        rows = cursor.execute(
            f"""
            WITH sizes AS (SELECT profile_id, sum(n) AS size FROM huitong_truth_counts GROUP BY 1),
            blocked AS (
                SELECT {_rule_case(spec, "b.match_key")} AS rule,
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
        true_pairs = _scalar(
            cursor,
            """
            SELECT coalesce(sum(n * (n - 1) // 2), 0)
            FROM (SELECT true_id, sum(n) AS n FROM huitong_truth_counts GROUP BY 1)
            """,
        )
    order = {rule.name: i for i, rule in enumerate(spec.blocking_rules)}
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


# -- the run's private scratch database --------------------------------------------------------


@contextmanager
def _scratch(
    connection: duckdb.DuckDBPyConnection,
) -> Iterator[tuple[duckdb.DuckDBPyConnection, tuple[str, str]]]:
    """A cursor whose default catalog is a fresh in-memory database, and the caller's
    (catalog, schema), where ``mentions`` is read and ``pairs_*`` written."""
    workspace = connection.execute("SELECT current_database(), current_schema()").fetchall()[0]
    name = f"huitong_scratch_{uuid.uuid4().hex[:12]}"
    cursor = connection.cursor()
    cursor.execute(f"ATTACH ':memory:' AS {name}")
    try:
        cursor.execute(f"USE {name}")
        yield cursor, (workspace[0], workspace[1])
    finally:
        cursor.execute(f'USE "{workspace[0]}"."{workspace[1]}"')
        cursor.execute(f"DETACH {name}")
        cursor.close()


@contextmanager
def _quiet_splink() -> Iterator[None]:
    """Keep Splink's expected training warnings (a level never observed in a sample …) out of
    the caller's output; what matters is reported in :attr:`PredictResult.notes`."""
    splink_logger = logging.getLogger("splink")
    level = splink_logger.level
    splink_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        splink_logger.setLevel(level)


def _qualified(workspace: tuple[str, str], table: str) -> str:
    return f'"{workspace[0]}"."{workspace[1]}"."{table}"'


def _limit_threads(connection: duckdb.DuckDBPyConnection) -> None:
    """Use no more DuckDB threads than the CPUs this process may run on (containers often
    report the host's core count, and oversubscription slows the joins down)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    threads = _scalar(connection, "SELECT current_setting('threads')")
    if int(threads) > cpus:
        connection.execute(f"SET threads = {cpus}")


def _scalar(connection: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> Any:
    """The single value of a one-row query, with the result fully consumed."""
    return connection.execute(sql, params or []).fetchall()[0][0]


def _lap(started: float) -> float:
    return round(time.perf_counter() - started, 3)


# -- input ----------------------------------------------------------------------------------------


_MENTIONS = "huitong_mentions"
_PROFILES = "huitong_profiles"


def _prepare_input(
    cursor: duckdb.DuckDBPyConnection, spec: ModelSpec, workspace: tuple[str, str]
) -> tuple[int, int]:
    """Materialise the matcher's input; returns (mentions, profiles).

    ``huitong_mentions``: each mention's model columns and its ``profile_id`` (the smallest
    mention id with the same values on every model column). ``huitong_profiles``: one row per
    profile, keyed ``mention_id`` = its representative, with its ``mention_count`` and one
    capped block key per capped blocking rule (NULL where the block holds more than
    ``max_block_size`` profiles).
    """
    names = list(spec.columns)
    selected = ",\n".join(f"({sql}) AS {name}" for name, sql in spec.columns.items())
    ctes, joined = [], ""
    for cte, sql in (
        ("huitong_related", _related_sql(spec, workspace)),
        ("huitong_neighbours", _neighbours_sql(cursor, spec, workspace)),
    ):
        if sql:
            ctes.append(f"{cte} AS ({sql}),")
            joined += f" LEFT JOIN {cte} USING (mention_id)"
    cursor.execute(
        f"""
        CREATE TABLE {_MENTIONS} AS
        WITH {" ".join(ctes)} base AS (
            SELECT mention_id,
            {selected}
            FROM {_qualified(workspace, "mentions")} {joined}
            WHERE entity = ?
        )
        SELECT mention_id, min(mention_id) OVER (PARTITION BY {", ".join(names)}) AS profile_id,
               {", ".join(names)}
        FROM base
        """,
        [spec.entity],
    )
    # A capped rule's key: the hash of its columns where at most max_block_size profiles share
    # it (a semi-join on the small blocks; cheaper than one window per rule over wide rows).
    blocks, keys = [], []
    for i, rule in enumerate(spec.blocking_rules):
        if rule.capped_key is None:
            continue
        key = f"hash({', '.join(rule.on)})"
        present = " AND ".join(f"{column} IS NOT NULL" for column in rule.on)
        blocks.append(
            f"huitong_block_{i} AS (SELECT {key} AS block FROM huitong_grouped WHERE {present}"
            f" GROUP BY 1 HAVING count(*) <= {rule.max_block_size})"
        )
        keys.append(
            f", CASE WHEN {present} AND {key} IN (SELECT block FROM huitong_block_{i})"
            f" THEN {key} END AS {rule.capped_key}"
        )
    cursor.execute(
        f"""
        CREATE TABLE huitong_grouped AS
        SELECT profile_id AS mention_id, count(*) AS mention_count, {", ".join(names)}
        FROM {_MENTIONS}
        GROUP BY ALL
        """
    )
    cursor.execute(
        f"""
        CREATE TABLE {_PROFILES} AS
        {"WITH " + ", ".join(blocks) if blocks else ""}
        SELECT *{"".join(keys)}
        FROM huitong_grouped
        ORDER BY mention_id
        """
    )
    cursor.execute("DROP TABLE huitong_grouped")
    mentions = _scalar(cursor, f"SELECT count(*) FROM {_MENTIONS}")
    profiles = _scalar(cursor, f"SELECT count(*) FROM {_PROFILES}")
    return int(mentions), int(profiles)


def _related_sql(spec: ModelSpec, workspace: tuple[str, str]) -> str:
    """SQL giving, per mention with any, the model's related values (``mention_id`` and one
    column per :attr:`ModelSpec.related`, the smallest over the mention's relations); empty
    when the model reads none."""
    if not spec.related:
        return ""
    mentions_table = _qualified(workspace, "mentions")
    relations_table = _qualified(workspace, "relations")
    selects = []
    across = [r for r in spec.related if r.relation != EVENT]
    ends = {"out": ("from_mention", "to_mention"), "in": ("to_mention", "from_mention")}
    for direction, (here, there) in ends.items():
        if not any(r.direction == direction for r in across):
            continue
        values = ", ".join(
            f"CASE WHEN r.huitong_type = '{r.relation}' THEN ({r.value}) END AS {r.name}"
            if r.direction == direction and r.relation != EVENT
            else f"NULL AS {r.name}"
            for r in spec.related
        )
        types = ", ".join(sorted({f"'{r.relation}'" for r in across}))
        selects.append(
            f"""
            SELECT r.huitong_here AS mention_id, {values}
            FROM (SELECT {here} AS huitong_here, {there} AS huitong_there, type AS huitong_type
                  FROM {relations_table} WHERE type IN ({types})) r
            JOIN {mentions_table} ON mention_id = r.huitong_there
            """
        )
    if any(r.relation == EVENT for r in spec.related):
        values = ", ".join(
            f"({r.value}) AS {r.name}" if r.relation == EVENT else f"NULL AS {r.name}"
            for r in spec.related
        )
        selects.append(
            f"""
            SELECT p.mention_id, {values}
            FROM {_qualified(workspace, "event_participants")} p
            JOIN {_qualified(workspace, "events")} USING (event_id)
            """
        )
    aggregated = ", ".join(f"min({r.name}) AS {r.name}" for r in spec.related)
    return (
        f"SELECT mention_id, {aggregated} FROM ({' UNION ALL '.join(selects)}) GROUP BY mention_id"
    )


def _neighbours_sql(
    cursor: duckdb.DuckDBPyConnection, spec: ModelSpec, workspace: tuple[str, str]
) -> str:
    """SQL giving, per mention of ``spec.entity`` related to other entities in its own row,
    the :class:`~resolution.model_spec.NeighbourSpec` columns; empty when the model reads none.

    Each neighbour is written ``<role>:<identity>``, the role being how the row relates it to
    the mention (``SPOUSE_OF`` and a co-parent of the same child are both ``partner``; a
    parent's child is ``child``, a child's parent ``parent``; ``RENTS``, ``OWNS``,
    ``EMPLOYED_BY``, ``LEGAL_REPRESENTATIVE_OF`` keep their names), so a father on a birth
    registration meets his marriage record through the mother (``partner``), not his children
    through theirs. A person stands for its valid resident ID (``P:…``) and for its name's
    fuzzy pinyin (``N:…``: the wife named on a household register and on a marriage record);
    enterprises and rental units for their clusters where ``clusters_<entity>`` exists (the
    pipeline resolves them before persons). An identity named in more rows than
    ``max_degree`` (a big employer, a name as common as 王芳) is left out, and so is one the
    mention has itself (a wife written with her husband's ID).
    """
    if spec.neighbours is None:
        return ""
    mentions = _qualified(workspace, "mentions")
    relations = _qualified(workspace, "relations")
    selects = [
        f"""SELECT mention_id, source, record_id, 'P:' || id_number AS identity
            FROM {mentions} WHERE entity = 'person' AND id_valid
              AND NOT coalesce(id_contradicted, false)""",
        f"""SELECT mention_id, source, record_id, 'N:' || name_homophone_key
            FROM {mentions} WHERE entity = 'person' AND name_homophone_key IS NOT NULL""",
    ]
    for entity, tag in (("enterprise", "E"), ("rental_unit", "U")):
        table = f"clusters_{entity}"
        present = _scalar(
            cursor,
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_catalog = ? AND table_schema = ? AND table_name = ?",
            [workspace[0], workspace[1], table],
        )
        if present:
            selects.append(
                f"""SELECT m.mention_id, m.source, m.record_id, '{tag}:' || c.cluster_key
                    FROM {mentions} m JOIN {_qualified(workspace, table)} c USING (mention_id)
                    WHERE m.entity = '{entity}'"""
            )
    return f"""
        WITH identities AS ({" UNION ALL ".join(selects)}),
        degrees AS (
            SELECT identity, count(DISTINCT (source, record_id)) AS rows
            FROM identities GROUP BY 1),
        roles AS (
            SELECT from_mention AS here, to_mention AS there,
                   CASE type WHEN 'SPOUSE_OF' THEN 'partner' WHEN 'PARENT_OF' THEN 'child'
                        ELSE type END AS role
            FROM {relations}
            UNION ALL
            SELECT to_mention, from_mention,
                   CASE type WHEN 'SPOUSE_OF' THEN 'partner' WHEN 'PARENT_OF' THEN 'parent'
                        ELSE type || '_OF_ME' END
            FROM {relations}
            UNION ALL
            SELECT a.from_mention, b.from_mention, 'partner'
            FROM {relations} a
            JOIN {relations} b
              ON a.to_mention = b.to_mention AND a.from_mention <> b.from_mention
             AND a.source = b.source AND a.record_id = b.record_id
            WHERE a.type = 'PARENT_OF' AND b.type = 'PARENT_OF'),
        mates AS (
            SELECT DISTINCT r.here AS mention_id, r.role || ':' || i.identity AS mate,
                   i.identity[1] IN ('P', 'N') AS is_person
            FROM roles r
            JOIN {mentions} a ON a.mention_id = r.here AND a.entity = '{spec.entity}'
            JOIN identities i ON i.mention_id = r.there
            JOIN degrees d ON d.identity = i.identity
            WHERE d.rows <= {spec.neighbours.max_degree}
              AND NOT EXISTS (
                  SELECT 1 FROM identities own
                  WHERE own.mention_id = r.here AND own.identity = i.identity))
        SELECT mention_id,
               list_sort(list(mate) FILTER (is_person)) AS mates_person,
               list_sort(list(mate) FILTER (NOT is_person)) AS mates_other,
               min(mate) FILTER (starts_with(mate, 'partner:P:')) AS mate_partner_id,
               min(mate) FILTER (starts_with(mate, 'partner:N:')) AS mate_partner_name,
               min(mate) FILTER (NOT is_person) AS mate_other_key
        FROM mates
        GROUP BY mention_id
    """


# -- training -------------------------------------------------------------------------------------


def _train(
    linker: Linker,
    cursor: duckdb.DuckDBPyConnection,
    spec: ModelSpec,
    seed: int,
    prior: float,
    notes: list[str],
    seconds: dict[str, float],
) -> None:
    training = spec.training
    timer = time.perf_counter()
    if training.deterministic_rules:
        try:
            linker.training.estimate_probability_two_random_records_match(
                list(training.deterministic_rules), recall=training.deterministic_recall
            )
        except (ValueError, SplinkException) as e:
            notes.append(f"λ not estimated ({e}); using {prior:.3g}")
    seconds["train_lambda"] = _lap(timer)

    timer = time.perf_counter()
    linker.training.estimate_u_using_random_sampling(
        max_pairs=training.u_max_pairs,
        seed=seed,
        min_count_per_level=training.u_min_count_per_level,
    )
    seconds["train_u"] = _lap(timer)

    timer = time.perf_counter()
    for rule in training.em_blocking_rules:
        pairs = _scalar(
            cursor,
            f"SELECT count(*) FROM {_PROFILES} l JOIN {_PROFILES} r ON ({rule}) "
            "WHERE l.mention_id < r.mention_id",
        )
        if pairs < training.em_min_pairs:
            notes.append(f"EM on {rule!r} skipped: {pairs} pairs < {training.em_min_pairs}")
            continue
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule,
                estimate_without_term_frequencies=True,
                max_pairs=training.em_max_pairs if pairs > training.em_max_pairs else None,
            )
        except SplinkException as e:
            notes.append(f"EM on {rule!r} failed: {e}")
    seconds["train_em"] = _lap(timer)


_LABELS = "huitong_labels"


def _train_from_labels(
    linker: Linker,
    cursor: duckdb.DuckDBPyConnection,
    spec: ModelSpec,
    labels: Sequence[tuple[str, str]],
    notes: list[str],
    seconds: dict[str, float],
) -> int:
    """Estimate m from the steward's MATCH pairs too, when there are enough; returns how many
    were used (distinct profile pairs: identical mentions say nothing about m)."""
    if not labels:
        return 0
    timer = time.perf_counter()
    given = pa.table(
        {"a": [a for a, _ in labels], "b": [b for _, b in labels]},
        schema=pa.schema([("a", pa.string()), ("b", pa.string())]),
    )
    cursor.register("huitong_given_labels", given)
    try:
        cursor.execute(
            f"""
            CREATE OR REPLACE TABLE {_LABELS} AS
            SELECT DISTINCT least(l.profile_id, r.profile_id) AS {UNIQUE_ID}_l,
                   greatest(l.profile_id, r.profile_id) AS {UNIQUE_ID}_r
            FROM huitong_given_labels g
            JOIN {_MENTIONS} l ON l.mention_id = g.a
            JOIN {_MENTIONS} r ON r.mention_id = g.b
            WHERE l.profile_id <> r.profile_id
            ORDER BY ALL
            """
        )
    finally:
        cursor.unregister("huitong_given_labels")
    used = int(_scalar(cursor, f"SELECT count(*) FROM {_LABELS}"))
    minimum = spec.training.label_min_matches
    if used < minimum:
        notes.append(f"{used} steward MATCH label(s) < {minimum}: m not estimated from labels")
        return 0
    linker.training.estimate_m_from_pairwise_labels(_LABELS)
    notes.append(f"m also estimated from {used} steward MATCH label(s)")
    seconds["train_labels"] = _lap(timer)
    return used


def _regularise(
    model: dict[str, Any], spec: ModelSpec, prior: float, trained: bool, notes: list[str]
) -> dict[str, Any]:
    """The trained model made safe to predict with, and reproducible.

    - an unusable λ is replaced by ``prior``;
    - u from random sampling counts true matches among the sampled pairs as non-matches, which
      matters for the strongest levels (two random mentions share an ID mostly because they are
      the same person): each u is corrected to ``(u - λ·m) / (1 - λ)``, but never below the
      smaller of its estimate and its prior;
    - no m falls below a tenth of its prior (a gender written wrongly must not cost 13 bits
      because the training pairs never showed it);
    - a level trained to be stronger evidence than the comparison's first level (one seldom
      seen in training, whose m was floored) is capped at the first level's weight: the level
      order of a model says which agreement is strongest;
    - a comparison whose weights still point the wrong way (see :func:`weights_are_sane`) is
      reset to its priors;
    - every probability is rounded to 10 significant digits, so float summation order cannot
      change the saved model or the scores.
    """
    lam = model["probability_two_random_records_match"]
    if not isinstance(lam, (int, float)) or not 0 < lam < 1:
        notes.append(f"λ estimate {lam} unusable; using {prior:.3g}")
        lam = model["probability_two_random_records_match"] = prior
    priors = {c["output_column_name"]: c["comparison_levels"] for c in spec.comparisons}
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        prior_levels = [lv for lv in priors[name] if not lv.get("is_null_level")]
        if trained:
            _correct_u(levels, prior_levels, lam)
            _floor_m(levels, prior_levels)
            capped = _cap_weights(levels)
            if capped:
                notes.append(f"{name}: {capped} level(s) capped at the first level's weight")
        if not weights_are_sane(levels, tolerance=_SANITY_TOLERANCE_BITS):
            notes.append(f"{name}: trained weights not sane, priors used")
            for level, prior_level in zip(levels, prior_levels, strict=True):
                level["m_probability"] = prior_level["m_probability"]
                level["u_probability"] = prior_level["u_probability"]
        for level in levels:
            for key in ("m_probability", "u_probability"):
                level[key] = _round(level[key])
    model["probability_two_random_records_match"] = _round(lam)
    return model


def _probability(value: Any, fallback: float) -> float:
    return float(value) if isinstance(value, (int, float)) and value > 0 else fallback


def _correct_u(levels: list[dict], prior_levels: list[dict], lam: float) -> None:
    corrected = []
    for level, prior_level in zip(levels, prior_levels, strict=True):
        u = _probability(level.get("u_probability"), prior_level["u_probability"])
        m = _probability(level.get("m_probability"), prior_level["m_probability"])
        floor = min(u, prior_level["u_probability"])
        corrected.append(max((u - lam * m) / (1 - lam), floor))
    total = sum(corrected)
    for level, u in zip(levels, corrected, strict=True):
        level["u_probability"] = u / total


def _floor_m(levels: list[dict], prior_levels: list[dict]) -> None:
    floored = [
        max(
            _probability(level.get("m_probability"), prior["m_probability"]),
            prior["m_probability"] / 10,
        )
        for level, prior in zip(levels, prior_levels, strict=True)
    ]
    total = sum(floored)
    for level, m in zip(levels, floored, strict=True):
        level["m_probability"] = m / total


def _cap_weights(levels: list[dict]) -> int:
    """Raise the u of every level after the first whose weight exceeds the first's, so that
    its weight equals it; returns how many were capped. u is not renormalised: the capped levels
    are rare, and their change is far below the rounding of the others."""
    first = levels[0]
    if not (_usable(first) and first["m_probability"] > first["u_probability"]):
        return 0
    ratio = first["m_probability"] / first["u_probability"]
    capped = 0
    for level in levels[1:]:
        if _usable(level) and level["m_probability"] / level["u_probability"] > ratio:
            level["u_probability"] = level["m_probability"] / ratio
            capped += 1
    return capped


def _usable(level: dict) -> bool:
    m, u = level.get("m_probability"), level.get("u_probability")
    return isinstance(m, (int, float)) and isinstance(u, (int, float)) and m > 0 and u > 0


def _round(value: float) -> float:
    return float(f"{value:.{_SIGNIFICANT_DIGITS}g}")


# -- output ---------------------------------------------------------------------------------------


def _rule_case(spec: ModelSpec, match_key: str) -> str:
    whens = " ".join(f"WHEN '{i}' THEN '{rule.name}'" for i, rule in enumerate(spec.blocking_rules))
    return f"CASE CAST({match_key} AS VARCHAR) {whens} END"


def _register_term_frequencies(
    linker: Linker, db_api: DuckDBAPI, cursor: duckdb.DuckDBPyConnection, spec: ModelSpec
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
                FROM {_MENTIONS}
                WHERE {column} IS NOT NULL)
            SELECT {column},
                   CAST(count(*) AS DOUBLE) / (SELECT count(*) FROM entities) AS tf_{column}
            FROM entities
            GROUP BY 1
            """
        )
        linker.table_management.register_term_frequency_lookup(db_api.register(table), column)


def _refit_lambda(
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


def _self_scores(
    linker: Linker, db_api: DuckDBAPI, spec: ModelSpec, threshold: float | None
) -> str | None:
    """Score every profile of two or more mentions against itself; the table's name, or None."""
    left = db_api.register(_PROFILES, table_name="huitong_profiles_left")
    right = db_api.register(_PROFILES, table_name="huitong_profiles_right")
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


def _write_pairs(
    cursor: duckdb.DuckDBPyConnection,
    spec: ModelSpec,
    predictions: str,
    self_scores: str | None,
    workspace: tuple[str, str],
    table: str,
    shift: float = 0.0,
) -> int:
    """Write the pairs table; ``shift`` (bits) moves every match weight to a refitted λ, and
    then pairs below the predict threshold are left out here rather than by Splink."""
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
            between.append(f"CAST({_rule_case(spec, 'p.match_key')} AS {duck_type}) AS {name}")
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
            JOIN {_MENTIONS} m ON m.profile_id = p.mention_id_l AND m.mention_id <> m.profile_id
        """
    cursor.execute(
        f"""
        CREATE OR REPLACE TABLE {_qualified(workspace, table)} AS
        SELECT * FROM (
            SELECT {", ".join(between)}
            FROM {predictions} p
            {union}
        )
        {f"WHERE match_probability >= {spec.predict_threshold!r}" if shift else ""}
        ORDER BY mention_id_l, mention_id_r
        """
    )
    return int(_scalar(cursor, f"SELECT count(*) FROM {_qualified(workspace, table)}"))


def _write_profiles(
    cursor: duckdb.DuckDBPyConnection, workspace: tuple[str, str], table: str
) -> None:
    cursor.execute(
        f"""
        CREATE OR REPLACE TABLE {_qualified(workspace, table)} AS
        SELECT mention_id, profile_id, count(*) OVER (PARTITION BY profile_id) AS profile_size
        FROM {_MENTIONS}
        ORDER BY mention_id
        """
    )
