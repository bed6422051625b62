"""Training a model on the profiles, and making the trained model safe to predict with.

Training is unsupervised and deterministic for the same input: λ from deterministic rules (or from
the expected number of mentions per entity), u by hash-based random sampling with a fixed seed,
m by expectation maximisation on the model's training blocking rules (and, given enough steward
MATCH decisions, from them as pairwise labels). Each comparison starts from the priors in the
model file; :func:`regularise` corrects and bounds what training gave (see there).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa
from splink import Linker

from resolution.engines import Engine
from resolution.matcher_input import MENTIONS, PROFILES
from resolution.model_spec import UNIQUE_ID, ModelSpec, weights_are_sane
from resolution.scratch import lap, scalar

_SIGNIFICANT_DIGITS = 10


_SANITY_TOLERANCE_BITS = 1.0


def train(
    linker: Linker,
    cursor: duckdb.DuckDBPyConnection,
    spec: ModelSpec,
    seed: int,
    prior: float,
    notes: list[str],
    seconds: dict[str, float],
    engine: Engine,
) -> None:
    training = spec.training
    timer = time.perf_counter()
    if training.deterministic_rules:
        try:
            linker.training.estimate_probability_two_random_records_match(
                [engine.sql(rule) for rule in training.deterministic_rules],
                recall=training.deterministic_recall,
            )
        except Exception as e:
            if not _raised_by_splink(e):
                raise
            notes.append(f"λ not estimated ({e}); using {prior:.3g}")
    seconds["train_lambda"] = lap(timer)

    timer = time.perf_counter()
    linker.training.estimate_u_using_random_sampling(
        max_pairs=training.u_max_pairs,
        seed=seed,
        min_count_per_level=training.u_min_count_per_level,
    )
    seconds["train_u"] = lap(timer)

    timer = time.perf_counter()
    for rule in training.em_blocking_rules:
        pairs = scalar(
            cursor,
            f"SELECT count(*) FROM {PROFILES} l JOIN {PROFILES} r ON ({rule}) "
            "WHERE l.mention_id < r.mention_id",
        )
        if pairs < training.em_min_pairs:
            notes.append(f"EM on {rule!r} skipped: {pairs} pairs < {training.em_min_pairs}")
            continue
        # Splink's EM session drops the comparisons its blocking rule uses from the linker's
        # own settings and puts them back only when it succeeds: a failed session would leave
        # the model without them (the next steps, and the saved model, one comparison short).
        before = linker._settings_obj.core_model_settings.copy()
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                engine.sql(rule),
                estimate_without_term_frequencies=True,
                max_pairs=training.em_max_pairs if pairs > training.em_max_pairs else None,
            )
        except Exception as e:
            linker._settings_obj.core_model_settings = before
            if not _raised_by_splink(e):
                raise
            notes.append(f"EM on {rule!r} failed: {e}")
    seconds["train_em"] = lap(timer)


def _raised_by_splink(error: Exception) -> bool:
    """Whether Splink gave up on a training step (its own exception, or its ValueError on
    data it cannot estimate from). Splink exports no exception class, so the module tells."""
    return type(error).__module__.startswith("splink.") or isinstance(error, ValueError)


_LABELS = "huitong_labels"


def train_from_labels(
    linker: Linker,
    cursor: duckdb.DuckDBPyConnection,
    spec: ModelSpec,
    labels: Sequence[tuple[str, str]],
    notes: list[str],
    seconds: dict[str, float],
    engine: Engine,
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
            JOIN {MENTIONS} l ON l.mention_id = g.a
            JOIN {MENTIONS} r ON r.mention_id = g.b
            WHERE l.profile_id <> r.profile_id
            ORDER BY ALL
            """
        )
    finally:
        cursor.unregister("huitong_given_labels")
    used = int(scalar(cursor, f"SELECT count(*) FROM {_LABELS}"))
    minimum = spec.training.label_min_matches
    if used < minimum:
        notes.append(f"{used} steward MATCH label(s) < {minimum}: m not estimated from labels")
        return 0
    engine.publish(_LABELS)
    linker.training.estimate_m_from_pairwise_labels(_LABELS)
    notes.append(f"m also estimated from {used} steward MATCH label(s)")
    seconds["train_labels"] = lap(timer)
    return used


def regularise(
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
    - with ``training.fixed_u_follow_lambda``, the fixed u (and the priors) are first multiplied
      by ``min(1, λ / λ_file)``: what the file fixed for a city of its λ, for a city of this one's
      (see :class:`resolution.model_spec.TrainingSpec`);
    - every probability is rounded to 10 significant digits, so float summation order cannot
      change the saved model or the scores.
    """
    lam = model["probability_two_random_records_match"]
    if not isinstance(lam, (int, float)) or not 0 < lam < 1:
        notes.append(f"λ estimate {lam} unusable; using {prior:.3g}")
        lam = model["probability_two_random_records_match"] = prior
    priors = {c["output_column_name"]: c["comparison_levels"] for c in spec.comparisons}
    scale = _fixed_u_scale(spec, lam)
    if scale < 1:
        notes.append(
            f"fixed u × {scale:.3g}: λ {lam:.3g} is below the model file's "
            f"{spec.probability_two_random_records_match:.3g}"
        )
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        prior_levels = [
            _scaled_fixed_u(lv, scale) for lv in priors[name] if not lv.get("is_null_level")
        ]
        for level, prior_level in zip(levels, prior_levels, strict=True):
            if prior_level.get("fix_u_probability"):
                level["u_probability"] = prior_level["u_probability"]
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
                level[key] = round_probability(level[key])
    model["probability_two_random_records_match"] = round_probability(lam)
    return model


def _fixed_u_scale(spec: ModelSpec, lam: float) -> float:
    if not spec.training.fixed_u_follow_lambda:
        return 1.0
    return min(1.0, lam / spec.probability_two_random_records_match)


def _scaled_fixed_u(level: dict[str, Any], scale: float) -> dict[str, Any]:
    if scale >= 1 or not level.get("fix_u_probability"):
        return level
    return {**level, "u_probability": level["u_probability"] * scale}


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


def round_probability(value: float) -> float:
    return float(f"{value:.{_SIGNIFICANT_DIGITS}g}")
