"""Survivorship: one golden record per golden ID, each value with the mention it came from.

Input: ``golden_members`` and ``mentions``. Output, replaced on every run:

- ``golden_records_<entity>(golden_id, attribute, value, source, record_id, role, rule)``: the
  chosen value of each attribute as text, its provenance, and the rule that decided it (the
  first rule of the chain on which the winner beat the runner-up; ``only_value`` when there was
  no other value, ``tie_break`` when the chain could not separate them and the smallest won);
- ``golden_<entity>(golden_id, <attribute>…, mention_count, sources)``: the same, one row per
  golden ID, each attribute in the type of its mention column.

Rules are data: the package's defaults (``survivorship_rules.json``), which a deployment
replaces in its sources file (``[survivorship]``: a rules ``file``, a ``source_trust`` order; see
:func:`deployment_rules`). Per attribute: ``values``,
the mention columns that may supply it (each with an optional boolean ``valid`` column), and
``rules``, a chain of orderings applied in turn:

- ``valid_over_invalid``: valid before unknown before invalid;
- ``source_trust``: sources in the order of ``sources`` (default: the file's ``source_trust``),
  unlisted sources last;
- ``most_frequent``: the value given by the most mentions of the golden ID;
- ``most_recent``: the latest batch, then the latest row;
- ``same_mention_as`` (with ``attribute``): the mention that supplied that attribute, so a
  district always goes with its address.

Each attribute is one SQL statement with window functions, so the whole entity type is a handful
of scans, whatever its size.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from huitong.vocabulary import ENTITY_TYPES, MENTION_FIELDS
from resolution.cluster import check_entity, require_table
from resolution.errors import RulesError

DEFAULT_RULES_PATH = Path(__file__).with_name("survivorship_rules.json")
_MENTION_TYPES = {
    field.name: {"string": "VARCHAR", "int64": "BIGINT", "bool": "BOOLEAN", "date": "DATE"}[
        field.type
    ]
    for field in MENTION_FIELDS
}
"""The workspace type of every mention column, to check a rules document before ingest."""
RULES = ("valid_over_invalid", "source_trust", "most_frequent", "most_recent", "same_mention_as")
_ATTRIBUTE = re.compile(r"^[a-z][a-z0-9_]*$")
_RESERVED = {"golden_id", "mention_count", "sources"}


@dataclass(frozen=True)
class _Rule:
    name: str
    keys: tuple[str, ...]
    """SQL expressions over a candidate row: smaller is better."""
    follows: str | None = None
    sources: tuple[str, ...] = ()
    """``source_trust``: the sources in order of trust."""


@dataclass(frozen=True)
class _Attribute:
    name: str
    values: tuple[tuple[str, str | None], ...]
    """(mention column, validity column or None)."""
    rules: tuple[_Rule, ...]
    sql_type: str


def load_rules(path: Path | None = None) -> dict:
    """The survivorship rules document, JSON or TOML (the package's defaults when ``path`` is
    None)."""
    path = Path(path or DEFAULT_RULES_PATH)
    try:
        text = path.read_text(encoding="utf-8")
        return tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (OSError, json.JSONDecodeError, tomllib.TOMLDecodeError) as e:
        raise RulesError([f"cannot read the rules: {e}"], path) from e


def deployment_rules(file: Path | None = None, source_trust: Sequence[str] | None = None) -> dict:
    """The rules a deployment resolves with: its rules ``file`` (else the package's defaults),
    its ``source_trust`` order (else the document's); checked for every entity type at once, so
    a wrong file stops resolve before anything runs (:class:`RulesError` naming the place)."""
    document = load_rules(file)
    if source_trust is not None:
        document = {**document, "source_trust": list(source_trust)}
    problems: list[str] = []
    for entity in ENTITY_TYPES:
        try:
            _parse(document, entity, _MENTION_TYPES)
        except RulesError as error:
            problems.extend(p for p in error.problems if p not in problems)
    if problems:
        raise RulesError(problems, file)
    return document


def build_golden_records(
    connection: duckdb.DuckDBPyConnection, entity: str, rules: Mapping | None = None
) -> int:
    """Choose each golden ID's attribute values by the rules; write both golden tables.

    ``rules`` is a document shaped like ``survivorship_rules.json`` (the default file when
    None); every problem in the entity's part is reported at once as a :class:`RulesError`.
    Returns the number of golden records.
    """
    check_entity(entity)
    require_table(connection, "mentions", "ingest")
    require_table(connection, "golden_members", "golden IDs (resolution.golden)")
    document = load_rules() if rules is None else rules
    column_types = dict(
        connection.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'mentions'"
        ).fetchall()
    )
    attributes = _parse(document, entity, column_types)

    connection.execute(
        """
        CREATE OR REPLACE TEMP TABLE _survivors (
            golden_id VARCHAR, attribute VARCHAR, value VARCHAR, mention_id VARCHAR,
            source VARCHAR, record_id VARCHAR, role VARCHAR, rule VARCHAR)
        """
    )
    for attribute in attributes:
        connection.execute(_attribute_sql(attribute), [entity])
    connection.execute(
        f"""
        CREATE OR REPLACE TABLE golden_records_{entity} AS
        SELECT golden_id, attribute, value, source, record_id, role, rule FROM _survivors
        ORDER BY golden_id, attribute
        """
    )
    pivot = "".join(
        f", CAST(max(value) FILTER (WHERE attribute = {_literal(a.name)}) AS {a.sql_type}) "
        f'AS "{a.name}"'
        for a in attributes
    )
    names = "".join(f', v."{a.name}"' for a in attributes)
    connection.execute(
        f"""
        CREATE OR REPLACE TABLE golden_{entity} AS
        WITH base AS (
            SELECT g.golden_id, count(*) AS mention_count,
                   list_sort(list(DISTINCT m.source)) AS sources
            FROM golden_members g JOIN mentions m ON m.mention_id = g.mention_id
            WHERE g.entity = ?
            GROUP BY g.golden_id
        ),
        v AS (SELECT golden_id{pivot} FROM _survivors GROUP BY golden_id)
        SELECT base.golden_id{names}, base.mention_count, base.sources
        FROM base LEFT JOIN v ON v.golden_id = base.golden_id
        ORDER BY base.golden_id
        """,
        [entity],
    )
    connection.execute("DROP TABLE _survivors")
    return connection.execute(f"SELECT count(*) FROM golden_{entity}").fetchall()[0][0]


def golden_records_of(
    members: Sequence[Mapping], entity: str, rules: Mapping | None = None
) -> tuple[list[tuple], dict[str, dict]]:
    """Survivorship of a few golden records in Python, for the real-time engine: the same
    rules, orderings and ties as :func:`build_golden_records` without a statement per attribute.

    ``members`` are full mention rows (mentions columns) each with its ``golden_id``. Returns
    the rows ``golden_records_<entity>`` would hold (``golden_id, attribute, value, source,
    record_id, role, rule``, ordered by golden ID and attribute) and, per golden ID, the row
    of ``golden_<entity>`` (``golden_id``, each attribute in its type, ``mention_count``,
    ``sources``).
    """
    check_entity(entity)
    document = load_rules() if rules is None else rules
    attributes = _parse(document, entity, _MENTION_TYPES)
    by_golden: dict[str, list[Mapping]] = defaultdict(list)
    for row in members:
        by_golden[row["golden_id"]].append(row)
    survivors: dict[tuple[str, str], tuple] = {}
    for attribute in attributes:
        for golden_id, rows in by_golden.items():
            chosen = _survivor(attribute, golden_id, rows, survivors)
            if chosen is not None:
                survivors[(golden_id, attribute.name)] = chosen
    records = sorted(
        (golden_id, name, value, source, record_id, role, rule)
        for (golden_id, name), (value, _, source, record_id, role, rule) in survivors.items()
    )
    golden: dict[str, dict] = {}
    for golden_id in sorted(by_golden):
        rows = by_golden[golden_id]
        row: dict = {"golden_id": golden_id}
        for attribute in attributes:
            found = survivors.get((golden_id, attribute.name))
            row[attribute.name] = _typed(found[0], attribute.sql_type) if found else None
        row["mention_count"] = len(rows)
        row["sources"] = sorted({r["source"] for r in rows})
        golden[golden_id] = row
    return records, golden


def _text(value: object) -> str:
    """``CAST(value AS VARCHAR)`` as DuckDB writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _typed(text: str, sql_type: str) -> object:
    """``CAST(text AS sql_type)`` for the types a mention column has."""
    if sql_type == "DATE":
        return date.fromisoformat(text)
    if sql_type == "BOOLEAN":
        return text.strip().lower() in ("true", "t", "1", "yes", "y")
    if sql_type == "BIGINT":
        return int(text)
    return text


def _rule_keys(rule: _Rule, row: Mapping, valid: bool | None, frequency: int, lead) -> tuple:
    """The values of ``rule.keys`` for one candidate (see :func:`_parse_rules`)."""
    if rule.name == "valid_over_invalid":
        return (0 if valid else 1 if valid is None else 2,)
    if rule.name == "source_trust":
        order = rule.sources
        return (order.index(row["source"]) if row["source"] in order else len(order),)
    if rule.name == "most_frequent":
        return (-frequency,)
    if rule.name == "most_recent":
        batch, number = row.get("batch_id"), row.get("row_number")
        return (-(batch if batch is not None else -1), -(number if number is not None else -1))
    if rule.name == "same_mention_as":
        return (0 if lead is not None and row["mention_id"] == lead else 1,)
    raise ValueError(rule.name)


def _nulls_last(value: object) -> tuple:
    return (value is None, value if value is not None else "")


def _survivor(
    attribute: _Attribute, golden_id: str, rows: list[Mapping], survivors: Mapping
) -> tuple | None:
    """The winner of :func:`_attribute_sql` for one golden ID: ``(value, mention_id, source,
    record_id, role, rule)``, or None when no member gives a value."""
    candidates = []
    for row in rows:
        for column, valid_column in attribute.values:
            value = row.get(column)
            if value is None:
                continue
            text = _text(value)
            if text == "":
                continue
            valid = row.get(valid_column) if valid_column else None
            candidates.append((row, text, valid))
    if not candidates:
        return None
    mentions_of: dict[str, set[str]] = defaultdict(set)
    for row, text, _ in candidates:
        mentions_of[text].add(row["mention_id"])
    leads = {
        rule.follows: (survivors.get((golden_id, rule.follows)) or (None, None))[1]
        for rule in attribute.rules
        if rule.follows
    }
    best: dict[str, tuple] = {}
    for row, text, valid in candidates:
        keys = tuple(
            key
            for rule in attribute.rules
            for key in _rule_keys(rule, row, valid, len(mentions_of[text]), leads.get(rule.follows))
        )
        order = (
            keys,
            _nulls_last(row.get("source")),
            _nulls_last(row.get("record_id")),
            _nulls_last(row.get("role")),
        )
        if text not in best or order < best[text][0]:
            best[text] = (order, row)
    ranked = sorted((order[0], text, row) for text, (order, row) in best.items())
    keys, value, row = ranked[0]
    if len(ranked) == 1:
        rule = "only_value"
    else:
        names = [rule.name for rule in attribute.rules for _ in rule.keys]
        runner_up = ranked[1][0]
        rule = next(
            (name for name, k, n in zip(names, keys, runner_up, strict=True) if k != n),
            "tie_break",
        )
    return (value, row["mention_id"], row["source"], row["record_id"], row["role"], rule)


def _parse(document: Mapping, entity: str, column_types: dict[str, str]) -> list[_Attribute]:
    """The entity's attributes in dependency order; raises with every problem found."""
    problems: list[str] = []
    if not isinstance(document, Mapping):
        raise RulesError(["the rules document must be a JSON object"])
    trust = document.get("source_trust", [])
    if not isinstance(trust, list) or not all(isinstance(s, str) for s in trust):
        problems.append("source_trust must be a list of source names")
        trust = []
    specs = (document.get("entities") or {}).get(entity)
    if not isinstance(specs, Mapping) or not specs:
        raise RulesError([*problems, f"entities.{entity}: no attributes"])
    attributes: dict[str, _Attribute] = {}
    for name, spec in specs.items():
        where = f"entities.{entity}.{name}"
        if not _ATTRIBUTE.match(name) or name in _RESERVED:
            problems.append(f"{where}: invalid attribute name")
            continue
        if not isinstance(spec, Mapping):
            problems.append(f"{where}: must be an object with 'values' and 'rules'")
            continue
        values = _parse_values(spec.get("values"), where, column_types, problems)
        chain = _parse_rules(spec.get("rules"), where, trust, specs, problems)
        if values and chain is not None:
            types = {column_types[column] for column, _ in values}
            sql_type = types.pop() if len(types) == 1 else "VARCHAR"
            attributes[name] = _Attribute(name, tuple(values), tuple(chain), sql_type)
    ordered = _dependency_order(attributes, entity, problems)
    if problems:
        raise RulesError(problems)
    return ordered


def _parse_values(
    values: object, where: str, column_types: dict[str, str], problems: list[str]
) -> list[tuple[str, str | None]]:
    if not isinstance(values, list) or not values:
        problems.append(f"{where}.values: a non-empty list of {{column, valid?}} objects")
        return []
    parsed: list[tuple[str, str | None]] = []
    for i, value in enumerate(values):
        column = value.get("column") if isinstance(value, Mapping) else None
        valid = value.get("valid") if isinstance(value, Mapping) else None
        if column not in column_types:
            problems.append(f"{where}.values[{i}]: unknown mentions column {column!r}")
            continue
        if valid is not None and column_types.get(valid) != "BOOLEAN":
            problems.append(f"{where}.values[{i}]: 'valid' must name a boolean mentions column")
            continue
        parsed.append((column, valid))
    return parsed


def _parse_rules(
    rules: object, where: str, trust: list[str], specs: Mapping, problems: list[str]
) -> list[_Rule] | None:
    if not isinstance(rules, list) or not rules:
        problems.append(f"{where}.rules: a non-empty list of rule names or objects")
        return None
    chain: list[_Rule] = []
    for i, rule in enumerate(rules):
        spec = rule if isinstance(rule, Mapping) else {"rule": rule}
        name = spec.get("rule")
        if name == "valid_over_invalid":
            chain.append(
                _Rule(name, ("CASE WHEN valid THEN 0 WHEN valid IS NULL THEN 1 ELSE 2 END",))
            )
        elif name == "source_trust":
            sources = spec.get("sources", trust)
            if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
                problems.append(f"{where}.rules[{i}]: 'sources' must be a list of source names")
                continue
            cases = " ".join(f"WHEN {_literal(s)} THEN {k}" for k, s in enumerate(sources))
            order = f"CASE source {cases} ELSE {len(sources)} END" if sources else "0"
            chain.append(_Rule(name, (order,), sources=tuple(sources)))
        elif name == "most_frequent":
            chain.append(_Rule(name, ("-frequency",)))
        elif name == "most_recent":
            chain.append(_Rule(name, ("-coalesce(batch_id, -1)", "-coalesce(row_number, -1)")))
        elif name == "same_mention_as":
            other = spec.get("attribute")
            if other not in specs:
                problems.append(
                    f"{where}.rules[{i}]: same_mention_as needs a known 'attribute', not {other!r}"
                )
                continue
            key = f'CASE WHEN mention_id = "lead_{other}" THEN 0 ELSE 1 END'
            chain.append(_Rule(name, (key,), follows=other))
        else:
            problems.append(f"{where}.rules[{i}]: unknown rule {name!r}; known: {', '.join(RULES)}")
    return chain


def _dependency_order(
    attributes: dict[str, _Attribute], entity: str, problems: list[str]
) -> list[_Attribute]:
    ordered: list[_Attribute] = []
    placed: set[str] = set()
    pending = dict(attributes)
    while pending:
        ready = [
            a
            for a in pending.values()
            if all(r.follows in placed for r in a.rules if r.follows is not None)
        ]
        if not ready:
            if all(r.follows in attributes for a in pending.values() for r in a.rules if r.follows):
                cycle = ", ".join(sorted(pending))
                problems.append(f"entities.{entity}: same_mention_as forms a cycle among {cycle}")
            break
        for attribute in ready:
            ordered.append(attribute)
            placed.add(attribute.name)
            del pending[attribute.name]
    return ordered


def _attribute_sql(attribute: _Attribute) -> str:
    """INSERT INTO _survivors the winning value of ``attribute`` for every golden ID."""
    candidates = " UNION ALL ".join(
        f"""
        SELECT g.golden_id, m.mention_id, m.source, m.record_id, m.role, m.batch_id,
               m.row_number, CAST(m."{column}" AS VARCHAR) AS value,
               {f'm."{valid}"' if valid else "CAST(NULL AS BOOLEAN)"} AS valid
        FROM golden_members g JOIN mentions m ON m.mention_id = g.mention_id
        WHERE g.entity = $1 AND m."{column}" IS NOT NULL
          AND CAST(m."{column}" AS VARCHAR) <> ''
        """
        for column, valid in attribute.values
    )
    leads = sorted({r.follows for r in attribute.rules if r.follows})
    lead_columns = "".join(f', "s_{a}".mention_id AS "lead_{a}"' for a in leads)
    lead_joins = "".join(
        f' LEFT JOIN _survivors "s_{a}" ON "s_{a}".golden_id = c.golden_id '
        f'AND "s_{a}".attribute = {_literal(a)}'
        for a in leads
    )
    keys = [(rule.name, key) for rule in attribute.rules for key in rule.keys]
    key_columns = "".join(f", {key} AS k{i}" for i, (_, key) in enumerate(keys))
    key_order = ", ".join(f"k{i}" for i in range(len(keys)))
    next_keys = "".join(f", lead(k{i}) OVER w AS n{i}" for i in range(len(keys)))
    decided = " ".join(
        f"WHEN k{i} <> n{i} THEN {_literal(name)}" for i, (name, _) in enumerate(keys)
    )
    return f"""
        INSERT INTO _survivors
        WITH c AS ({candidates}),
        counted AS (
            SELECT c.*, count(DISTINCT c.mention_id) OVER (PARTITION BY c.golden_id, c.value)
                   AS frequency{lead_columns}
            FROM c{lead_joins}
        ),
        keyed AS (SELECT *{key_columns} FROM counted),
        per_value AS (
            SELECT * FROM keyed
            QUALIFY row_number() OVER (
                PARTITION BY golden_id, value ORDER BY {key_order}, source, record_id, role) = 1
        ),
        ranked AS (
            SELECT *, row_number() OVER w AS position, lead(value) OVER w AS next_value{next_keys}
            FROM per_value
            WINDOW w AS (PARTITION BY golden_id ORDER BY {key_order}, value)
        )
        SELECT golden_id, {_literal(attribute.name)}, value, mention_id, source, record_id, role,
               CASE WHEN next_value IS NULL THEN 'only_value' {decided} ELSE 'tie_break' END
        FROM ranked WHERE position = 1
    """


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
