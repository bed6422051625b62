"""The models' SQL, written in DuckDB's dialect, as Spark SQL that gives the same answers.

The model files (``resolution/models/*.json``) are written once, in DuckDB's dialect: list
functions with ``lambda x: …``, ``len`` on lists, ``jaro_winkler_similarity``, ``hamming``,
``damerau_levenshtein``, ``strftime``, 1-based list indexes, and DuckDB 2's IEEE division
(``0 / 0`` is NaN, which compares greater than every number). Only the comparison and blocking
SQL runs on Spark (the column SQL is evaluated in DuckDB before the profiles are handed over,
see :mod:`resolution.engines`), and :func:`to_spark` translates it: sqlglot does the dialect
(lambdas, ``strftime`` formats, index base, ``date_trunc``), and this module the functions
whose meaning sqlglot does not carry across:

- ``len``/``length`` of a list → ``size`` (the session sets ``spark.sql.legacy.sizeOfNull``
  off, so the size of NULL is NULL as in DuckDB);
- ``list_intersect`` → ``array_intersect`` (both distinct; DuckDB's is NULL for a NULL first
  list but empty for a NULL second one, Spark's NULL for either);
- ``jaro_winkler_similarity`` → ``jaro_winkler`` and ``damerau_levenshtein`` → the same name,
  the Scala UDFs Splink ships in its jar (both count characters, as DuckDB does); an empty
  string's Jaro-Winkler similarity is 0 as in DuckDB (Splink's UDF gives two empty strings 1),
  and either with a NULL is NULL (Splink's Damerau-Levenshtein gives 100);
- ``hamming`` → a count of differing positions over ``sequence``;
- ``list_concat`` → ``concat`` of the non-NULL sides (DuckDB skips a NULL list);
- ``list_has_any`` → ``arrays_overlap`` (sqlglot writes ``&&``, which Spark reads as AND);
- ``a / b`` → IEEE division (Spark gives NULL for a zero divisor).

The session also turns ANSI mode off, so an index past a list's end is NULL, as in DuckDB.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

_SIDE = re.compile(r"^(?:[lr]\.)?([a-z][a-z0-9_]*?)(?:_[lr])?$")
_LIST_FUNCTIONS = {"LIST_INTERSECT", "ARRAY_INTERSECT", "LIST_FILTER", "LIST_DISTINCT"}


def to_spark(sql: str, list_columns: frozenset[str] | set[str]) -> str:
    """``sql`` (DuckDB dialect, over ``x_l``/``x_r`` or ``l.x``/``r.x`` columns) as Spark SQL.

    ``list_columns``: the names of the profile columns that hold lists, so ``len`` of one
    becomes ``size``. ``ELSE`` (a comparison's last level) is returned as it is.
    """
    if sql.strip().upper() == "ELSE":
        return sql
    tree = _bottom_up(sqlglot.parse_one(sql, read="duckdb"), frozenset(list_columns))
    return tree.sql(dialect="spark")


def _bottom_up(node: exp.Expression, list_columns: frozenset[str]) -> exp.Expression:
    """Rewrite the children first, so a rewritten node's arguments are Spark already."""
    for key, value in list(node.args.items()):
        if isinstance(value, exp.Expression):
            node.set(key, _bottom_up(value, list_columns))
        elif isinstance(value, list):
            node.set(
                key,
                [
                    _bottom_up(v, list_columns) if isinstance(v, exp.Expression) else v
                    for v in value
                ],
            )
    return _rewrite(node, list_columns)


def _rewrite(node: exp.Expression, list_columns: frozenset[str]) -> exp.Expression:
    if isinstance(node, exp.Length) and _is_list(node.this, list_columns):
        return exp.Anonymous(this="size", expressions=[node.this])
    if isinstance(node, exp.JarowinklerSimilarity):
        a, b = node.this, node.expression
        empty = exp.or_(
            exp.EQ(this=a.copy(), expression=exp.Literal.string("")),
            exp.EQ(this=b.copy(), expression=exp.Literal.string("")),
        )
        return (
            exp.case()
            .when(_either_null(a, b), exp.Null())
            .when(empty, exp.Literal.number("0.0"))
            .else_(exp.Anonymous(this="jaro_winkler", expressions=[a, b]))
        )
    if isinstance(node, exp.ArrayConcat):
        sides = [node.this, *node.expressions]
        present = [exp.func("coalesce", side.copy(), exp.Array()) for side in sides]
        all_null = exp.and_(*(exp.Is(this=side.copy(), expression=exp.Null()) for side in sides))
        concatenated = (
            exp.case()
            .when(all_null, exp.Null())
            .else_(exp.Anonymous(this="concat", expressions=present))
        )
        concatenated.meta["huitong_list"] = True
        return concatenated
    if isinstance(node, exp.ArrayOverlaps):
        return exp.Anonymous(this="arrays_overlap", expressions=[node.this, node.expression])
    if isinstance(node, exp.Div):
        dividend, divisor = node.this, node.expression
        infinite = exp.Mul(this=dividend.copy(), expression=_spark("double('Infinity')"))
        quotient = exp.Div(this=dividend.copy(), expression=divisor.copy())
        return (
            exp.case()
            .when(exp.EQ(this=divisor.copy(), expression=exp.Literal.number(0)), infinite)
            .else_(quotient)
        )
    if isinstance(node, exp.Anonymous):
        name = str(node.this).upper()
        args = node.expressions
        if name == "LIST_INTERSECT":
            first, second = args
            second = exp.func("coalesce", second, exp.Array())
            intersection = exp.Anonymous(this="array_intersect", expressions=[first, second])
            intersection.meta["huitong_list"] = True
            return intersection
        if name == "DAMERAU_LEVENSHTEIN":
            return (
                exp.case()
                .when(_either_null(*args), exp.Null())
                .else_(exp.Anonymous(this="damerau_levenshtein", expressions=args))
            )
        if name == "HAMMING" and len(args) == 2:
            a, b = (arg.sql(dialect="spark") for arg in args)
            return _spark(
                f"aggregate(sequence(1, length({a})), 0, (huitong_n, huitong_i) -> huitong_n"
                f" + IF(substr({a}, huitong_i, 1) <> substr({b}, huitong_i, 1), 1, 0))"
            )
    return node


def _either_null(*args: exp.Expression) -> exp.Expression:
    return exp.or_(*(exp.Is(this=arg.copy(), expression=exp.Null()) for arg in args))


def _is_list(node: exp.Expression, list_columns: frozenset[str]) -> bool:
    if node.meta.get("huitong_list"):
        return True
    if isinstance(node, exp.Column):
        match = _SIDE.match(node.sql(dialect="duckdb"))
        return bool(match) and match.group(1) in list_columns
    if isinstance(node, (exp.ArrayDistinct, exp.ArrayConcat, exp.ArrayFilter, exp.Array)):
        return True
    if isinstance(node, exp.Anonymous):
        return str(node.this).upper() in _LIST_FUNCTIONS
    return type(node).__name__ in {"ArrayIntersect", "ArrayUniqueAgg"}


def _spark(sql: str) -> exp.Expression:
    return sqlglot.parse_one(sql, read="spark")
