"""Matching models kept as data: one JSON file per entity type under ``resolution/models/``.

A model file says, for one entity type, which columns the matcher sees (SQL over the staged
``mentions`` table and over values read across the mention's relations: the child a parent is
named with, the unit a tenant rents), how candidate pairs are found (blocking rules, each
optionally capped so a huge block — a shared office phone, a 2,000-flat estate — cannot explode
the pair count), how a pair is compared (Splink comparison levels written as SQL, with prior m
and u probabilities so an untrained or badly trained model still gives sensible weights), how
the model is trained and which match probabilities mean "merge" and "ask a steward".

:func:`load_model_spec` reads and checks a file, reporting every problem at once;
:meth:`ModelSpec.settings_creator` turns it into Splink 5 settings.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from splink import SettingsCreator

from huitong.vocabulary import ENTITY_TYPES as ENTITIES
from huitong.vocabulary import RELATION_TYPES
from loaders.staging import MENTION_SCHEMA
from resolution.errors import ModelSpecError

DIRECTIONS = ("out", "in", "both")
EVENT = "EVENT"
"""The pseudo-relation of a related value read from the mention's event."""
CO_PARENT = "CO_PARENT"
"""The derived relation between two mentions a row names as parents of one child."""
MODELS_DIR = Path(__file__).resolve().parent / "models"
UNIQUE_ID = "mention_id"

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_SIDE_COLUMN = re.compile(r"\b([a-z][a-z0-9_]*)_[lr]\b")
_TABLE_COLUMN = re.compile(r"\b[lr]\.([a-z][a-z0-9_]*)\b")
_LEVEL_KEYS = {
    "sql_condition",
    "label_for_charts",
    "is_null_level",
    "m_probability",
    "u_probability",
    "tf_adjustment_column",
    "tf_adjustment_weight",
    "tf_minimum_u_value",
    "disable_tf_exact_match_detection",
    "fix_m_probability",
    "fix_u_probability",
}


@dataclass(frozen=True)
class BlockingRuleSpec:
    """Pairs agreeing on every column of ``on`` (and on ``sql``, if given) are compared.

    With ``max_block_size``, a group of more than that many profiles is not compared pair by
    pair (a landlord written 1,000 ways, an office phone): each of its profiles is compared
    with the group's first instead (a star, ``<name>_star``), so the work stays linear and a
    group that is one entity still comes together.
    """

    name: str
    on: tuple[str, ...]
    sql: str | None = None
    max_block_size: int | None = None

    @property
    def capped_key(self) -> str | None:
        """Column holding the rule's block key where the block is small enough, else NULL."""
        return f"blk_{self.name}" if self.max_block_size is not None else None

    @property
    def star_key(self) -> str | None:
        """Column holding, in a group too big to compare pair by pair, its first profile's id
        (NULL in small groups and on the first profile itself)."""
        return f"blk_star_{self.name}" if self.max_block_size is not None else None

    def splink_sql(self) -> str:
        """The rule as Splink blocking SQL over the prepared input (``l.`` / ``r.``)."""
        if self.capped_key is not None:
            parts = [f"l.{self.capped_key} = r.{self.capped_key}"]
        else:
            parts = [f"l.{column} = r.{column}" for column in self.on]
        return self._with_sql(parts)

    def star_sql(self) -> str | None:
        """The star of a too-big group: its first profile (the smaller id) with each other."""
        if self.star_key is None:
            return None
        return self._with_sql([f"l.{UNIQUE_ID} = r.{self.star_key}"])

    def _with_sql(self, parts: list[str]) -> str:
        if self.sql:
            parts.append(f"({self.sql})")
        return " AND ".join(parts)


@dataclass(frozen=True)
class RelatedColumnSpec:
    """A value read across a relation of the mention's own row, for the matcher's columns.

    ``value`` is SQL over the ``mentions`` columns of the mention at the other end of a
    ``relation`` edge that leaves (``out``) or enters (``in``) the mention, or either
    (``both``, for a symmetric relation such as ``SPOUSE_OF``); with several such
    mentions in one row, the smallest value is taken. Mentions without one get NULL.
    ``relation = "CO_PARENT"`` reads the other parent of a child the row names; with
    ``relation = "EVENT"`` the value is SQL over the ``events`` columns of the event the
    mention takes part in (where a vendor was cited: ``place_point_key``).
    """

    name: str
    relation: str
    direction: str
    value: str


@dataclass(frozen=True)
class NeighbourSpec:
    """The entities a mention's own row names beside it, for collective resolution.

    Each other mention of the row related to it stands for an entity, with the role the row
    gives it: a person by a valid resident ID and by its name, an enterprise or rental unit by
    its cluster (those entity types are resolved first); see
    :func:`resolution.matcher_input._neighbours_sql`. The matcher's input gets ``mates_person`` and
    ``mates_other`` (sorted lists such as ``partner:P:<id>``, ``partner:N:<name>``,
    ``OWNS:U:<cluster>``) and, for blocking, ``mate_partner_id``, ``mate_partner_name`` and
    ``mate_other_key`` (the smallest of each kind). A neighbour named in the same role in more
    than ``max_degree`` rows (a big employer's employees, a very common name) says little about
    who someone is and is left out.
    """

    max_degree: int
    settle: bool = False
    """Score and cluster a second time once the first pass's clusters stand for the persons
    named in rows (see :func:`resolution.predict.train_and_predict`)."""

    columns = (
        "mates_person",
        "mates_other",
        "mate_partner_id",
        "mate_partner_name",
        "mate_other_key",
    )


@dataclass(frozen=True)
class TrainingSpec:
    seed: int
    min_mentions: int
    """Below this many distinct mentions (profiles) the priors are used untrained."""
    u_max_pairs: float
    u_min_count_per_level: int
    deterministic_rules: tuple[str, ...]
    deterministic_recall: float
    em_blocking_rules: tuple[str, ...]
    em_max_pairs: float
    em_min_pairs: int
    max_iterations: int
    em_convergence: float
    refit_lambda: bool = True
    """After training, refit λ to the scores: the expected share of matches among all pairs
    (see :func:`resolution.predict.train_and_predict`)."""
    label_min_matches: int = 100
    """With at least this many steward MATCH decisions between distinct profiles, m is also
    estimated from them (Splink's m from pairwise labels) after EM."""
    fixed_u_follow_lambda: bool = False
    """The fixed u of the model file (``fix_u_probability``: levels so rare that random sampling
    cannot see them) are for a city whose λ is the file's. Where the estimated λ is smaller, they
    fall in proportion (never rise): for a model whose identity levels are coincidences of
    *place* — two units at one address — a city with k times the units has k times the addresses
    for coincidences to spread over, and λ is k times smaller. Without it a unit's exact address
    clears the threshold on a 20k city and not on a 1M one (:func:`resolution.training.regularise`).
    """


@dataclass(frozen=True)
class AttachSpec:
    """Clustering's last step: a cluster of *bare* mentions (a name and nothing that could
    contradict it: a father on a birth registration, a party on a ticket, a landlord on a rental
    row) joins the one cluster in the city that holds an identified mention with the same
    ``key``, when no other cluster does and the model scored a pair between them at least
    ``min_probability``.

    Splink scores mention against mention; it cannot see that a rare name belongs to one
    person only, so such a pair ends in the review band however rare the name. Where a second
    identified cluster carries the key (a common name), nothing joins. A join below the
    clustering threshold is reported as a weak link, for a steward to review.
    """

    key: str
    """SQL over ``mentions``: the value that must be unique among identified clusters."""
    bare: str
    """SQL over ``mentions``: true for a mention that carries nothing but the key."""
    min_probability: float
    witness: str | None = None
    """SQL over the ``mentions`` columns of the mentions related to a mention in its own row
    (either direction): who the row names beside it (an employee's valid resident ID). Where
    several identified clusters carry the key, the bare cluster joins the one, and only one,
    whose rows name a witness its own rows name: 广州展银 written alone on a social-insurance
    row belongs to whichever of the city's three 展银 firms the insured person's employment
    record names. ``None``: several clusters with the key mean nothing joins."""
    short: str | None = None
    """SQL over ``mentions``: true for a bare mention that is nothing but the key (a trade name
    written alone). Where it joined one of several clusters with the key at once, its witnesses
    may move it to another; a mention saying more (a full name with the trade) stays where the
    model put it. ``None``: none is moved."""


@dataclass(frozen=True)
class ModelSpec:
    """One entity type's matching model, as read from its JSON file."""

    entity: str
    description: str
    columns: dict[str, str]
    """column of the matcher's input → SQL expression over ``mentions`` and ``related``."""
    related: tuple[RelatedColumnSpec, ...]
    """values read across the mention's relations, usable in ``columns`` by name."""
    neighbours: NeighbourSpec | None
    """entities named in the mention's row, usable in ``columns`` by name (see the class)."""
    blocking_rules: tuple[BlockingRuleSpec, ...]
    comparisons: tuple[dict[str, Any], ...]
    """Splink comparison dicts (``output_column_name``, ``comparison_levels`` …)."""
    term_frequencies: dict[str, tuple[str, ...]]
    """tf column → the columns that, with it, tell distinct entities apart: a value's term
    frequency counts distinct (value, *those columns) rows, so a landlord written 2,000 times
    does not make his name or phone look common."""
    probability_two_random_records_match: float
    expected_mentions_per_entity: float
    training: TrainingSpec
    predict_threshold: float
    cluster_threshold: float
    review_band: tuple[float, float]
    path: Path
    attach: AttachSpec | None = None
    """Bare clusters joined to the one identified cluster sharing their key (see the class)."""

    def prediction_rules(self) -> list[tuple[str, str]]:
        """(name, Splink SQL) of every blocking rule predictions use, in order: the rules, then
        the stars of the capped ones. Splink numbers them (``match_key``) in this order."""
        rules = [(rule.name, rule.splink_sql()) for rule in self.blocking_rules]
        rules += [
            (f"{rule.name}_star", sql)
            for rule in self.blocking_rules
            if (sql := rule.star_sql()) is not None
        ]
        return rules

    @property
    def comparison_names(self) -> list[str]:
        return [c["output_column_name"] for c in self.comparisons]

    def has_tf_adjustments(self, comparison_name: str) -> bool:
        comparison = next(c for c in self.comparisons if c["output_column_name"] == comparison_name)
        return any(level.get("tf_adjustment_column") for level in comparison["comparison_levels"])

    def prior_probability_two_random_records_match(self, mentions: int) -> float:
        """λ when it cannot be estimated from the data: the model's value, or less where the
        mentions are so many that ``expected_mentions_per_entity`` implies a smaller one."""
        if mentions < 2:
            return self.probability_two_random_records_match
        implied = (self.expected_mentions_per_entity - 1) / (mentions - 1)
        return min(self.probability_two_random_records_match, max(implied, 1e-9))

    def settings_creator(
        self, *, probability_two_random_records_match: float | None = None
    ) -> SettingsCreator:
        """Splink 5 settings for a dedupe of this entity's mentions, keyed by ``mention_id``.

        Per-comparison gamma and match-weight columns are kept in the predictions (they feed the
        steward review screen); matching columns are kept so gamma columns are output too.
        """
        return SettingsCreator(
            link_type="dedupe_only",
            unique_id_column_name=UNIQUE_ID,
            comparisons=[_splink_comparison(c) for c in self.comparisons],
            blocking_rules_to_generate_predictions=[
                {"blocking_rule": sql} for _, sql in self.prediction_rules()
            ],
            probability_two_random_records_match=(
                probability_two_random_records_match or self.probability_two_random_records_match
            ),
            em_convergence=self.training.em_convergence,
            max_iterations=self.training.max_iterations,
            retain_matching_columns=True,
            retain_intermediate_calculation_columns=True,
            linker_uid=f"huitong_{self.entity}",
        )


def _splink_comparison(comparison: dict[str, Any]) -> dict[str, Any]:
    return {
        "output_column_name": comparison["output_column_name"],
        "comparison_description": comparison.get("comparison_description"),
        "comparison_levels": [dict(level) for level in comparison["comparison_levels"]],
    }


def model_path(entity: str) -> Path:
    return MODELS_DIR / f"{entity}.json"


def load_model_spec(entity_or_path: str | Path) -> ModelSpec:
    """Read and check the model of an entity type (``"person"``) or a model file path.

    Raises :class:`ModelSpecError` listing every problem found in the file.
    """
    path = (
        model_path(entity_or_path)
        if isinstance(entity_or_path, str) and entity_or_path in ENTITIES
        else Path(entity_or_path)
    )
    return _load(path.resolve())


@cache
def _load(path: Path) -> ModelSpec:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ModelSpecError(path, ["the model file does not exist"]) from e
    except json.JSONDecodeError as e:
        raise ModelSpecError(path, [f"not valid JSON: {e}"]) from e
    return parse_model_spec(raw, path)


def parse_model_spec(raw: Any, path: Path | str = "<model>") -> ModelSpec:
    """Check a model given as parsed JSON and build its :class:`ModelSpec`."""
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise ModelSpecError(path, ["the model must be a JSON object"])
    entity = raw.get("entity")
    if entity not in ENTITIES:
        problems.append(f"entity: {entity!r} is not one of {', '.join(ENTITIES)}")
    columns = _columns(raw.get("columns"), problems)
    related = _related(raw.get("related", {}), problems)
    neighbours = _neighbours(raw.get("neighbours"), problems)
    known = set(columns) | {UNIQUE_ID}
    rules = _blocking_rules(raw.get("blocking_rules"), known, problems)
    comparisons = _comparisons(raw.get("comparisons"), known, problems)
    training = _training(raw.get("training"), known, problems)
    thresholds = raw.get("thresholds") or {}
    predict, cluster, band = _thresholds(thresholds, problems)
    prior = _probability(raw, "probability_two_random_records_match", problems)
    term_frequencies = _term_frequencies(raw.get("term_frequencies", {}), known, problems)
    per_entity = raw.get("expected_mentions_per_entity", 2.0)
    if not isinstance(per_entity, (int, float)) or per_entity < 1:
        problems.append("expected_mentions_per_entity: must be a number >= 1")
    attach = _attach(raw.get("attach"), problems)
    if problems:
        raise ModelSpecError(path, problems)
    return ModelSpec(
        entity=entity,
        description=str(raw.get("description", "")),
        columns=columns,
        related=related,
        neighbours=neighbours,
        blocking_rules=rules,
        comparisons=comparisons,
        term_frequencies=term_frequencies,
        probability_two_random_records_match=prior,
        expected_mentions_per_entity=float(per_entity),
        training=training,
        predict_threshold=predict,
        cluster_threshold=cluster,
        review_band=band,
        path=Path(path),
        attach=attach,
    )


def _attach(raw: Any, problems: list[str]) -> AttachSpec | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append("attach: must be an object {key, bare, min_probability[, witness, short]}")
        return None
    for name in sorted(set(raw) - {"key", "bare", "min_probability", "witness", "short"}):
        problems.append(f"attach: unknown key {name!r}")
    found = len(problems)
    for name in ("key", "bare", "witness", "short"):
        if name in ("witness", "short") and name not in raw:
            continue
        if not isinstance(raw.get(name), str) or not raw[name].strip():
            problems.append(f"attach.{name}: the SQL expression must be a non-empty string")
    minimum = raw.get("min_probability")
    if not isinstance(minimum, (int, float)) or not 0 < minimum < 1:
        problems.append("attach.min_probability: must be a number between 0 and 1")
    if len(problems) > found:
        return None
    return AttachSpec(
        str(raw["key"]), str(raw["bare"]), float(minimum), raw.get("witness"), raw.get("short")
    )


def _columns(raw: Any, problems: list[str]) -> dict[str, str]:
    if not isinstance(raw, dict) or not raw:
        problems.append("columns: must be a non-empty object of column → SQL expression")
        return {}
    columns: dict[str, str] = {}
    for name, expression in raw.items():
        if not _NAME.match(name) or name == UNIQUE_ID:
            problems.append(f"columns.{name}: not a valid column name")
        elif not isinstance(expression, str) or not expression.strip():
            problems.append(f"columns.{name}: the SQL expression must be a non-empty string")
        else:
            columns[name] = expression
    return columns


def _related(raw: Any, problems: list[str]) -> tuple[RelatedColumnSpec, ...]:
    if not isinstance(raw, dict):
        problems.append("related: must be an object of name → {relation, direction, value}")
        return ()
    related: list[RelatedColumnSpec] = []
    for name, item in raw.items():
        place = f"related.{name}"
        if not _NAME.match(name) or name in MENTION_SCHEMA.names:
            problems.append(f"{place}: not a valid name, or the name of a column of mentions")
            continue
        if not isinstance(item, dict):
            problems.append(f"{place}: must be an object")
            continue
        relation = item.get("relation")
        direction = item.get("direction", "out")
        value = item.get("value")
        for key in sorted(set(item) - {"relation", "direction", "value"}):
            problems.append(f"{place}: unknown key {key!r}")
        if relation not in (*RELATION_TYPES, CO_PARENT, EVENT):
            problems.append(
                f"{place}.relation: {relation!r} is not one of {', '.join(RELATION_TYPES)},"
                f" {CO_PARENT} or {EVENT}"
            )
        if direction not in DIRECTIONS:
            problems.append(f"{place}.direction: must be one of {', '.join(DIRECTIONS)}")
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{place}.value: the SQL expression must be a non-empty string")
            continue
        related.append(RelatedColumnSpec(name, str(relation), str(direction), value))
    return tuple(related)


def _neighbours(raw: Any, problems: list[str]) -> NeighbourSpec | None:
    if raw is None:
        return None
    degree = raw.get("max_degree") if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or not set(raw) <= {"max_degree", "settle"}:
        problems.append("neighbours: must be an object with max_degree and settle only")
        return None
    settle = raw.get("settle", False)
    if not isinstance(settle, bool):
        problems.append("neighbours.settle: must be true or false")
    if not isinstance(degree, int) or degree < 1:
        problems.append("neighbours.max_degree: must be an integer >= 1")
        return None
    return NeighbourSpec(degree, settle is True)


def _blocking_rules(raw: Any, known: set[str], problems: list[str]) -> tuple[BlockingRuleSpec, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append("blocking_rules: must be a non-empty list")
        return ()
    rules: list[BlockingRuleSpec] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        place = f"blocking_rules[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{place}: must be an object")
            continue
        name = item.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            problems.append(f"{place}.name: must be a lowercase identifier")
            continue
        place = f"blocking_rules.{name}"
        if name in seen:
            problems.append(f"{place}: the name is used twice")
        seen.add(name)
        on = item.get("on")
        if not isinstance(on, list) or not on or not all(isinstance(c, str) for c in on):
            problems.append(f"{place}.on: must be a non-empty list of column names")
            continue
        for column in on:
            if column not in known:
                problems.append(f"{place}.on: unknown column {column!r}")
        sql = item.get("sql")
        if sql is not None:
            if not isinstance(sql, str):
                problems.append(f"{place}.sql: must be a string")
            else:
                for column in _TABLE_COLUMN.findall(sql):
                    if column not in known:
                        problems.append(f"{place}.sql: unknown column {column!r}")
        cap = item.get("max_block_size")
        if cap is not None and (not isinstance(cap, int) or cap < 2):
            problems.append(f"{place}.max_block_size: must be an integer >= 2")
        rules.append(BlockingRuleSpec(name, tuple(on), sql, cap))
    return tuple(rules)


def _term_frequencies(raw: Any, known: set[str], problems: list[str]) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        problems.append("term_frequencies: must be an object of column → [entity key columns]")
        return {}
    result: dict[str, tuple[str, ...]] = {}
    for column, keys in raw.items():
        if column not in known:
            problems.append(f"term_frequencies: unknown column {column!r}")
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            problems.append(f"term_frequencies.{column}: must be a list of column names")
            continue
        for key in keys:
            if key not in known:
                problems.append(f"term_frequencies.{column}: unknown column {key!r}")
        result[column] = tuple(keys)
    return result


def _comparisons(raw: Any, known: set[str], problems: list[str]) -> tuple[dict[str, Any], ...]:
    if not isinstance(raw, list) or not raw:
        problems.append("comparisons: must be a non-empty list")
        return ()
    names: set[str] = set()
    for i, comparison in enumerate(raw):
        place = f"comparisons[{i}]"
        if not isinstance(comparison, dict):
            problems.append(f"{place}: must be an object")
            continue
        name = comparison.get("output_column_name")
        if not isinstance(name, str) or not _NAME.match(name):
            problems.append(f"{place}.output_column_name: must be a lowercase identifier")
        else:
            place = f"comparisons.{name}"
            if name in names:
                problems.append(f"{place}: the name is used twice")
            names.add(name)
        levels = comparison.get("comparison_levels")
        if not isinstance(levels, list) or len(levels) < 2:
            problems.append(f"{place}.comparison_levels: needs at least two levels")
            continue
        _check_levels(place, levels, known, problems)
    return tuple(raw)


def _check_levels(place: str, levels: list[Any], known: set[str], problems: list[str]) -> None:
    m_total = u_total = 0.0
    for j, level in enumerate(levels):
        where = f"{place}.comparison_levels[{j}]"
        if not isinstance(level, dict):
            problems.append(f"{where}: must be an object")
            continue
        for key in sorted(set(level) - _LEVEL_KEYS):
            problems.append(f"{where}: unknown key {key!r}")
        sql = level.get("sql_condition")
        if not isinstance(sql, str) or not sql.strip():
            problems.append(f"{where}.sql_condition: must be a non-empty string")
            continue
        is_else = sql.strip().upper() == "ELSE"
        if is_else and j != len(levels) - 1:
            problems.append(f"{where}: the ELSE level must be the last")
        if level.get("is_null_level"):
            if j != 0:
                problems.append(f"{where}: the null level must be the first")
            continue
        for column in _SIDE_COLUMN.findall(sql):
            if column not in known:
                problems.append(f"{where}.sql_condition: unknown column {column!r}")
        tf_column = level.get("tf_adjustment_column")
        if tf_column is not None and tf_column not in known:
            problems.append(f"{where}.tf_adjustment_column: unknown column {tf_column!r}")
        for key in ("m_probability", "u_probability"):
            value = level.get(key)
            if not isinstance(value, (int, float)) or not 0 < value <= 1:
                problems.append(f"{where}.{key}: a prior in (0, 1] is required")
        m_total += level.get("m_probability") or 0.0
        u_total += level.get("u_probability") or 0.0
    last = levels[-1]
    if not (isinstance(last, dict) and str(last.get("sql_condition", "")).upper() == "ELSE"):
        problems.append(f"{place}: the last level must be ELSE")
    if not weights_are_sane([lv for lv in levels if isinstance(lv, dict)]):
        problems.append(
            f"{place}: the priors must give the first level the highest, positive match weight"
            " and the ELSE level a negative one"
        )
    for key, total in (("m_probability", m_total), ("u_probability", u_total)):
        if not math.isclose(total, 1.0, abs_tol=0.01):
            problems.append(f"{place}: the {key} priors sum to {total:.4f}, not 1")


def weights_are_sane(levels: list[dict[str, Any]], tolerance: float = 0.0) -> bool:
    """Whether the m and u of a comparison's levels point the right way: the first non-null
    level is evidence for a match, no level is stronger evidence than it by more than
    ``tolerance`` bits, and the ELSE level is evidence against."""
    weights = []
    for level in levels:
        if level.get("is_null_level"):
            continue
        m, u = level.get("m_probability"), level.get("u_probability")
        if not isinstance(m, (int, float)) or not isinstance(u, (int, float)) or m <= 0 or u <= 0:
            return False
        weights.append(math.log2(m / u))
    return (
        bool(weights)
        and weights[0] > 0
        and weights[-1] < 0
        and max(weights) <= weights[0] + tolerance
    )


def _training(raw: Any, known: set[str], problems: list[str]) -> TrainingSpec:
    raw = raw if isinstance(raw, dict) else {}
    if not raw:
        problems.append("training: must be an object")

    def number(key: str, default: float, minimum: float = 0.0) -> float:
        value = raw.get(key, default)
        if not isinstance(value, (int, float)) or value < minimum:
            problems.append(f"training.{key}: must be a number >= {minimum:g}")
            return default
        return value

    def flag(key: str, default: bool) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            problems.append(f"training.{key}: must be true or false")
            return default
        return value

    def rules(key: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(f"training.{key}: must be a list of SQL blocking rules")
            return ()
        for rule in value:
            for column in _TABLE_COLUMN.findall(rule):
                if column not in known:
                    problems.append(f"training.{key}: unknown column {column!r} in {rule!r}")
        return tuple(value)

    recall = number("deterministic_recall", 0.5)
    if not 0 < recall <= 1:
        problems.append("training.deterministic_recall: must be in (0, 1]")
    return TrainingSpec(
        seed=int(number("seed", 42)),
        min_mentions=int(number("min_mentions", 200)),
        u_max_pairs=number("u_max_pairs", 1e6, 1),
        u_min_count_per_level=int(number("u_min_count_per_level", 100)),
        deterministic_rules=rules("deterministic_rules"),
        deterministic_recall=recall,
        em_blocking_rules=rules("em_blocking_rules"),
        em_max_pairs=number("em_max_pairs", 1e6, 1),
        em_min_pairs=int(number("em_min_pairs", 100)),
        max_iterations=int(number("max_iterations", 25, 1)),
        em_convergence=number("em_convergence", 1e-4),
        label_min_matches=int(number("label_min_matches", 100, 1)),
        refit_lambda=flag("refit_lambda", True),
        fixed_u_follow_lambda=flag("fixed_u_follow_lambda", False),
    )


def _thresholds(
    raw: dict[str, Any], problems: list[str]
) -> tuple[float, float, tuple[float, float]]:
    predict = _probability(raw, "predict", problems, "thresholds.")
    cluster = _probability(raw, "cluster_threshold", problems, "thresholds.")
    band = raw.get("review_band")
    if (
        not isinstance(band, list)
        or len(band) != 2
        or not all(isinstance(b, (int, float)) for b in band)
    ):
        problems.append("thresholds.review_band: must be [low, high]")
        return predict, cluster, (0.0, 1.0)
    low, high = float(band[0]), float(band[1])
    if not predict <= low < high <= 1:
        problems.append("thresholds: need predict <= review_band low < review_band high <= 1")
    if not low <= cluster <= 1:
        problems.append("thresholds.cluster_threshold: must lie at or above review_band low")
    return predict, cluster, (low, high)


def _probability(raw: dict[str, Any], key: str, problems: list[str], prefix: str = "") -> float:
    value = raw.get(key)
    if not isinstance(value, (int, float)) or not 0 < value < 1:
        problems.append(f"{prefix}{key}: must be a probability in (0, 1)")
        return 0.5
    return float(value)
