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

The stages live in their own modules: :mod:`resolution.scratch` (the run's private database),
:mod:`resolution.matcher_input` (columns, related values, neighbours, profiles),
:mod:`resolution.training`, :mod:`resolution.scoring`; :mod:`resolution.blocking_recall`
counts what the blocking rules find.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from splink import Linker

from resolution.engines import Engine, open_engine
from resolution.matcher_input import PROFILES, prepare_input
from resolution.matcher_state import save_matcher_state
from resolution.model_spec import load_model_spec
from resolution.scoring import (
    pairs_columns,
    refit_lambda,
    register_term_frequencies,
    scores_every_pair,
    self_scores,
    write_pairs,
    write_profiles,
)
from resolution.scratch import lap, limit_threads, quiet_splink, scratch
from resolution.training import regularise, round_probability, train, train_from_labels

__all__ = [
    "MODEL_FILE",
    "PAIRS_TABLE",
    "PROFILES_TABLE",
    "PredictResult",
    "pairs_columns",
    "train_and_predict",
]

logger = logging.getLogger(__name__)

PAIRS_TABLE = "pairs_{entity}"


PROFILES_TABLE = "mention_profiles_{entity}"


MODEL_FILE = "models/{entity}.json"


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


PREDICT_SLICE_PAIRS = 1_000_000
"""Blocked pairs scored at a time on DuckDB. Splink writes each scored pair with the matching
columns of both sides (about 400 for persons), so a million-person city's tens of millions of
blocked pairs once filled 60 GB of temporary files before any were kept. Only the pair columns
(:func:`pairs_columns`) are made now (:meth:`~resolution.engines.Engine.predicting`), and the
slices still bound what one statement holds."""

_NARROW = "huitong_scored_pairs"
_SLICE = "huitong_blocked_slice"


def _score(
    linker: Linker,
    runner: Engine,
    cursor: duckdb.DuckDBPyConnection,
    blocked: str,
    comparisons: int,
    threshold: float | None,
    wanted: list[str],
) -> str:
    """Score the blocked pairs; the name of a table in the cursor with the ``wanted`` columns
    Splink gives (and maybe more). Above :data:`PREDICT_SLICE_PAIRS` on DuckDB, slice by slice of
    the blocked pairs (a pair's score does not depend on which other pairs are scored with it);
    Spark's :meth:`~resolution.engines.SparkEngine.fetch` keeps only the wanted columns itself.
    Slicing leaves the linker with its last slice registered as the pairs to predict (a table
    then dropped): the linker is not for ``predict`` after this."""
    slices = math.ceil(comparisons / PREDICT_SLICE_PAIRS)
    if runner.name != "duckdb" or slices <= 1:
        with runner.predicting(wanted):
            predictions = linker.inference.predict(
                threshold_match_probability=threshold, warning_mode="never"
            )
        return runner.fetch(predictions.physical_name, wanted)
    for number in range(slices):
        cursor.execute(
            f"CREATE OR REPLACE TABLE {_SLICE} AS SELECT * FROM {blocked} "
            f"WHERE hash(join_key_l, join_key_r) % {slices} = {number}"
        )
        registered = linker.table_management.register_blocked_pairs_for_predict(
            runner.db_api.register(_SLICE, table_name=f"{_SLICE}_{number}")
        )
        # Registered pairs make Splink copy the profiles they name, both sides, before scoring
        # ("source pruning"). A slice names most profiles: the copies were 16 s of 56 at 100k
        # persons. Unflagged, the slice is scored against the input as it is: the same pairs.
        registered.metadata["registered_for_predict"] = False
        with runner.predicting(wanted):
            predictions = linker.inference.predict(
                threshold_match_probability=threshold, warning_mode="never"
            )
        present = {
            c[0]
            for c in cursor.execute(
                f"SELECT * FROM {predictions.physical_name} LIMIT 0"
            ).description
        }
        columns = ", ".join(c for c in wanted if c in present)
        select = f"SELECT {columns} FROM {predictions.physical_name}"
        cursor.execute(
            f"INSERT INTO {_NARROW} {select}"
            if number
            else f"CREATE OR REPLACE TABLE {_NARROW} AS {select}"
        )
        predictions.drop_table_from_database_and_remove_from_cache()
    cursor.execute(f"DROP TABLE {_SLICE}")
    return _NARROW


def train_and_predict(
    connection: duckdb.DuckDBPyConnection,
    entity: str,
    workdir: Path,
    *,
    seed: int | None = None,
    labels: Sequence[tuple[str, str]] = (),
    settle: bool = False,
    engine: str = "duckdb",
) -> PredictResult:
    """Train the model of ``entity`` on its mentions and write ``pairs_<entity>``.

    ``seed`` (default: the model file's) fixes u sampling; the same mentions and seed give the
    same model JSON and the same pairs. ``labels``: mention pairs a steward said are one entity;
    with enough of them (``training.label_min_matches`` between distinct profiles) m is also
    estimated from them. Works for 0 or 1 mentions (an empty pairs table).

    ``settle``: a second pass of collective resolution. The model trained by the first pass
    (``<workdir>/models/<entity>.json``) scores again, now with the entity's own clusters
    (``clusters_<entity>``) standing for the neighbours its rows name: a child known only by
    name and birth date on a birth registration has become the child of the register, and the
    father named beside it meets the father named there.

    ``engine``: where Splink trains and predicts, ``duckdb`` (the scratch catalog) or
    ``spark`` (see :mod:`resolution.engines`); the model and the pairs do not depend on it.
    """
    spec = load_model_spec(entity)
    seed = spec.training.seed if seed is None else seed
    seconds: dict[str, float] = {}
    notes: list[str] = []
    started = time.perf_counter()
    limit_threads(connection)
    model_file = Path(workdir) / MODEL_FILE.format(entity=entity)
    with (
        scratch(connection) as (cursor, workspace),
        quiet_splink(),
        open_engine(engine, cursor, spec, seed, workdir) as runner,
    ):
        mentions, profiles = prepare_input(cursor, spec, workspace, settle=settle)
        seconds["prepare"] = lap(started)

        timer = time.perf_counter()
        runner.publish(PROFILES)
        db_api = runner.db_api
        frame = db_api.register(PROFILES, dataset_display_name=f"{entity}_profiles")
        prior = spec.prior_probability_two_random_records_match(profiles)
        trained, labels_used = False, 0
        if settle:
            model = json.loads(model_file.read_text(encoding="utf-8"))
            notes.append("settled: scored again with the first pass's clusters and model")
        else:
            linker = Linker(
                frame,
                runner.settings(spec.settings_creator(probability_two_random_records_match=prior)),
                log_level=None,
            )
            trained = profiles >= spec.training.min_mentions
            if trained:
                train(linker, cursor, spec, seed, prior, notes, seconds, runner)
                labels_used = train_from_labels(
                    linker, cursor, spec, labels, notes, seconds, runner
                )
            else:
                notes.append(
                    f"{profiles} distinct mention(s) < {spec.training.min_mentions}: priors used"
                )
            trained_model = runner.neutral(linker.misc.save_model_to_json())
            model = regularise(trained_model, spec, prior, trained, notes)
        seconds["train"] = lap(timer)

        timer = time.perf_counter()
        linker = Linker(frame, runner.model(model), log_level=None)
        register_term_frequencies(linker, runner, cursor, spec)
        save_matcher_state(cursor, spec, workspace)
        blocked = linker.inference.compute_blocked_pairs_for_predict()
        comparisons = runner.count(blocked.physical_name)
        seconds["block"] = lap(timer)
        timer = time.perf_counter()
        refit = trained and spec.training.refit_lambda
        every = scores_every_pair(spec, refit)
        wanted = [name for name, _ in pairs_columns(spec)] + ["match_key"]
        predicted = _score(  # readable in the cursor
            linker,
            runner,
            cursor,
            blocked.physical_name,
            comparisons,
            None if every else spec.predict_threshold,
            wanted,
        )
        shift = 0.0
        if refit:
            shift, lam = refit_lambda(
                cursor,
                predicted,
                profiles,
                model["probability_two_random_records_match"],
            )
            notes.append(f"λ {model['probability_two_random_records_match']:.3g} → {lam:.3g}")
            model["probability_two_random_records_match"] = round_probability(lam)
        identical = self_scores(linker, db_api, spec, None if every else spec.predict_threshold)
        if identical is not None:
            identical = runner.fetch(identical, wanted)
        seconds["predict"] = lap(timer)
        timer = time.perf_counter()
        table = PAIRS_TABLE.format(entity=entity)
        pairs = write_pairs(cursor, spec, predicted, identical, workspace, table, shift)
        write_profiles(cursor, workspace, PROFILES_TABLE.format(entity=entity))
        seconds["write"] = lap(timer)

    model_file.parent.mkdir(parents=True, exist_ok=True)
    model_file.write_text(json.dumps(model, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    seconds["total"] = lap(started)
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
