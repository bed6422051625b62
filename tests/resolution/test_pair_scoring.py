"""The Python evaluation of Splink's SQL conditions gives what DuckDB gives.

Every construct the compiler knows is evaluated both ways on the same rows: seeded random
values with NULLs, empty strings and lists, CJK text, NaN, infinities, dates near month ends
and negative 64-bit masks. The whole scorer against Splink's SQL on every blocked pair of a
city is in ``tests/realtime/test_pair_scoring.py`` (it needs a resolved snapshot).
"""

from __future__ import annotations

import datetime as dt
import math
import random

import duckdb
import pyarrow as pa
import pytest

from resolution.pair_scoring import Unsupported, compile_condition, qualified_column

SCHEMA = pa.schema(
    [
        ("s", pa.string()),
        ("n", pa.int64()),
        ("f", pa.float64()),
        ("d", pa.date32()),
        ("b", pa.bool_()),
        ("xs", pa.list_(pa.string())),
        ("k", pa.list_(pa.int64())),
    ]
)

EXPRESSIONS = [
    "s_l = s_r",
    "s_l <> s_r",
    "s_l < s_r",
    "s_l >= s_r",
    "s_l IS NULL OR s_r IS NULL",
    "NOT (s_l IS NOT NULL)",
    "s_l IN (s_r, 'ab')",
    "coalesce(s_l, s_r, 'z')",
    "length(s_l)",
    "jaro_winkler_similarity(s_l, s_r)",
    "jaro_winkler_similarity(s_l, s_r) >= 0.88",
    "damerau_levenshtein(s_l, s_r)",
    "CASE WHEN length(s_l) = length(s_r) THEN hamming(s_l, s_r) END <= 1",
    "starts_with(s_l, 'a')",
    "least(n_l, n_r)",
    "greatest(f_l, f_r)",
    "least(f_l, f_r)",
    "bit_count(n_l & n_r)",
    "9 * (bit_count(n_l & n_r) + least(n_l, n_r)) >= 4 * (len(xs_l) + len(xs_r))",
    "-n_l < n_r",
    "n_l - n_r",
    "f_l = f_r",
    "f_l >= f_r",
    "f_l < 0.6",
    "f_l / f_r",
    "n_l / n_r >= 0.6",
    "b_l AND b_r",
    "b_l OR b_r",
    "NOT b_l",
    "coalesce(s_l <> s_r OR n_l <> n_r, false)",
    "NOT coalesce(s_l <> s_r OR b_r, false)",
    "len(xs_l)",
    "len(list_intersect(xs_l, xs_r))",
    "len(list_distinct(list_concat(xs_l, xs_r)))",
    "len(list_intersect(xs_l, xs_r)) / len(list_distinct(list_concat(xs_l, xs_r))) >= 0.6",
    "len(list_intersect(list_filter(xs_l, lambda m: starts_with(m, 'a')), xs_r)) > 0",
    "len(list_filter(xs_l, lambda m: starts_with(m, 'a') OR starts_with(m, 'b')))",
    "xs_l[1] IS NULL",
    "xs_l[2]",
    "k_l[1] = k_r[1]",
    "len(list_intersect(k_l, k_r))",
    "strftime(d_l, '%Y%m%d')",
    "damerau_levenshtein(strftime(d_l, '%Y%m%d'), strftime(d_r, '%Y%m%d')) <= 1",
    "year(d_l) = year(d_r) AND month(d_l) = day(d_r) AND day(d_l) = month(d_r)",
    "date_trunc('month', d_l) = date_trunc('month', d_r)",
    "date_trunc('year', d_l) = date_trunc('year', d_r)",
    "d_l = d_r",
]

WORDS = ["", "a", "ab", "ba", "abc", "acb", "b", "张伟", "张玮", "张伟伟", "martha", "marhta", "é"]


def _value(rng: random.Random, column: str):
    if rng.random() < 0.15:
        return None
    if column == "s":
        return rng.choice(WORDS)
    if column == "n":
        return rng.choice([0, 1, 2, 3, 7, 255, -1, -(2**63), 2**62, rng.randrange(-50, 50)])
    if column == "f":
        return rng.choice([0.0, -0.0, 0.6, 0.88, 1.5, -2.0, math.nan, math.inf, -math.inf])
    if column == "d":
        return dt.date(rng.choice([1900, 1985, 2000]), rng.randint(1, 12), rng.randint(1, 28))
    if column == "b":
        return rng.random() < 0.5
    if column == "xs":
        return [rng.choice(["a1", "a2", "b1", "c", None, ""]) for _ in range(rng.randint(0, 4))]
    return [rng.choice([1, 2, 3, None]) for _ in range(rng.randint(0, 3))]


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, dt.datetime) or isinstance(b, dt.datetime):
        return a == b
    return (a == b and type(a) is type(b)) or (a is None and b is None)


@pytest.fixture(scope="module")
def pairs() -> tuple[duckdb.DuckDBPyConnection, list[tuple[dict, dict]]]:
    rng = random.Random(20261204)
    rows = [
        ({c: _value(rng, c) for c in SCHEMA.names}, {c: _value(rng, c) for c in SCHEMA.names})
        for _ in range(400)
    ]
    rows += [  # the edges, written out
        ({**rows[0][0], "s": "", "xs": [], "f": 0.0}, {**rows[0][1], "s": "", "xs": [], "f": 0.0}),
        ({**rows[1][0], "n": -1, "f": math.nan}, {**rows[1][1], "n": -1, "f": math.nan}),
        ({**rows[2][0], "xs": None}, {**rows[2][1], "xs": None}),
    ]
    values = pa.table(  # noqa: F841 - read by DuckDB
        {
            **{
                f"{c}_l": pa.array([left[c] for left, _ in rows], SCHEMA.field(c).type)
                for c in SCHEMA.names
            },
            **{
                f"{c}_r": pa.array([right[c] for _, right in rows], SCHEMA.field(c).type)
                for c in SCHEMA.names
            },
            "i": list(range(len(rows))),
        }
    )
    con = duckdb.connect()
    con.execute("CREATE TABLE pairs AS SELECT * FROM values")
    return con, rows


_FAILED = object()


def _duckdb_values(con: duckdb.DuckDBPyConnection, sql: str, count: int) -> list:
    """``sql`` for each pair by DuckDB; where DuckDB fails the statement (an overflow, hamming
    of unequal strings), pair by pair, ``_FAILED`` for those it fails on."""
    try:
        return [r[0] for r in con.execute(f"SELECT {sql} FROM pairs ORDER BY i").fetchall()]
    except duckdb.Error:
        values = []
        for i in range(count):
            try:
                row = con.execute(f"SELECT {sql} FROM pairs WHERE i = ?", [i]).fetchone()
                values.append(row[0])
            except duckdb.Error:
                values.append(_FAILED)
        return values


@pytest.mark.parametrize("sql", EXPRESSIONS)
def test_a_condition_means_in_python_what_it_means_in_duckdb(pairs, sql: str) -> None:
    con, rows = pairs
    compiled = compile_condition(sql)
    expected = _duckdb_values(con, sql, len(rows))
    for (left, right), want in zip(rows, expected, strict=True):
        if want is _FAILED:
            with pytest.raises((ValueError, OverflowError)):
                compiled(left, right)
            continue
        got = compiled(left, right)
        assert _same(got, want), (sql, left, right, got, want)


def test_a_blocking_rules_sides_are_read_as_written(pairs) -> None:
    con, rows = pairs
    sql = "l.s = r.s OR r.n < l.n"
    compiled = compile_condition(sql, qualified_column)
    expected = con.execute("SELECT s_l = s_r OR n_r < n_l FROM pairs ORDER BY i").fetchall()
    for (left, right), (want,) in zip(rows, expected, strict=True):
        assert _same(compiled(left, right), want), (left, right)


@pytest.mark.parametrize(
    "sql",
    [
        "regexp_matches(s_l, 'a')",  # a function it does not know
        "s_l LIKE 'a%'",  # an operator it does not know
        "xs_l[n_l]",  # a computed index
        "s IS NULL",  # a column of neither side
        "s_l IS TRUE",
        "date_trunc('quarter', d_l) = date_trunc('quarter', d_r)",  # a unit it does not know
    ],
)
def test_what_the_compiler_does_not_know_is_refused_when_compiled(sql: str) -> None:
    with pytest.raises(Unsupported):
        compile_condition(sql)
