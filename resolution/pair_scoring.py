"""A trained Splink model's scores of a few pairs, computed in Python.

Splink scores pairs with SQL it generates from the model; DuckDB plans that statement afresh
each time it runs, which is most of the cost when a real-time call has a row or two to score
(about 45 ms at 100k persons, for microseconds of work). :class:`PairScorer` gives the same
numbers without SQL:

- every comparison level's SQL condition (and a blocking rule's extra ``sql``) is parsed by
  sqlglot, as Splink parses them, and compiled into a Python function with DuckDB's meaning:
  three-valued logic (a condition that is NULL does not hold), NULL in → NULL out, 1-based
  list indexes, strings compared and measured in characters, ``x / 0`` infinite and NaN the
  largest value, ``least``/``greatest`` skipping NULLs, the edit distances of DuckDB's
  (unrestricted Damerau-Levenshtein, Jaro-Winkler 0 for an empty string) from rapidfuzz;
- a pair's level in each comparison is the first level whose condition holds (Splink's
  ``CASE``), and its weights are Splink's own numbers, read from the linker's settings: each
  level's match weight, the term-frequency adjustment
  ``weight × (log2 u_exact − log2 max(tf_l, tf_r, tf_min))``, the prior's weight, summed in
  Splink's order, and the probability by Splink's formula.

Anything the compiler does not know (a function, an operator) raises :class:`Unsupported`
when the scorer is built, never a wrong number later: the caller scores with Splink's SQL
instead. Equality with Splink's SQL is checked on every blocked pair of a generated city
(``tests/resolution/test_pair_scoring.py``) and can be checked on any workdir
(``benchmarks/pair_scoring.py``).
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlglot
from rapidfuzz.distance import DamerauLevenshtein, Hamming, JaroWinkler
from splink.internals.misc import prob_to_match_weight
from sqlglot import exp

Row = Mapping[str, Any]
Fn = Callable[[Row, Row], Any]
ColumnOf = Callable[[exp.Column], tuple[int, str]]
"""Where a column of a condition is read: (0 for the pair's left row, 1 for its right, name)."""

_MASK_64 = (1 << 64) - 1


class Unsupported(ValueError):
    """A condition uses SQL this module does not evaluate."""


# -- columns ---------------------------------------------------------------------------------
def suffixed_column(column: exp.Column) -> tuple[int, str]:
    """Splink's comparison levels: ``name_l`` is the left row's ``name``, ``name_r`` the
    right's."""
    name = column.name
    if column.table or not (name.endswith("_l") or name.endswith("_r")):
        raise Unsupported(f"column {column.sql()} is neither <name>_l nor <name>_r")
    return (0 if name.endswith("_l") else 1), name[:-2]


def qualified_column(column: exp.Column) -> tuple[int, str]:
    """Blocking rules: ``l.name`` is the left row's ``name``, ``r.name`` the right's."""
    if column.table not in ("l", "r"):
        raise Unsupported(f"column {column.sql()} is neither l.<name> nor r.<name>")
    return (0 if column.table == "l" else 1), column.name


# -- DuckDB's values -------------------------------------------------------------------------
def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _ordered(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    """A comparison as DuckDB makes it: NaN equals NaN and is above every other number."""

    def compare(a: Any, b: Any) -> bool:
        nan_a, nan_b = _is_nan(a), _is_nan(b)
        if nan_a or nan_b:
            return op(int(nan_a), int(nan_b))  # NaN ranks as 1, any number as 0
        return op(a, b)

    return compare


_COMPARISONS: dict[type, Callable[[Any, Any], bool]] = {
    exp.EQ: _ordered(operator.eq),
    exp.NEQ: _ordered(operator.ne),
    exp.GT: _ordered(operator.gt),
    exp.GTE: _ordered(operator.ge),
    exp.LT: _ordered(operator.lt),
    exp.LTE: _ordered(operator.le),
}


_PLAIN: dict[type, Callable[[Any, Any], bool]] = {
    exp.EQ: operator.eq,
    exp.NEQ: operator.ne,
    exp.GT: operator.gt,
    exp.GTE: operator.ge,
    exp.LT: operator.lt,
    exp.LTE: operator.le,
}
"""the same comparisons where neither side is a float (no NaN to place)"""


def _swapped(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    return lambda a, b: op(b, a)


def _divide(a: Any, b: Any) -> float:
    if b == 0:  # IEEE division, as DuckDB's DOUBLE gives it: ±inf, or NaN for 0 / 0
        if a == 0 or _is_nan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _int64(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """Integer arithmetic that fails where DuckDB's BIGINT overflows."""

    def checked(a: Any, b: Any) -> Any:
        value = op(a, b)
        if value.__class__ is int and not -(2**63) <= value < 2**63:
            raise OverflowError(f"BIGINT overflow: {a!r}, {b!r}")
        return value

    return checked


_ARITHMETIC: dict[type, Callable[[Any, Any], Any]] = {
    exp.Add: _int64(operator.add),
    exp.Sub: _int64(operator.sub),
    exp.Mul: _int64(operator.mul),
    exp.Div: _divide,
    exp.BitwiseAnd: operator.and_,
    exp.BitwiseOr: operator.or_,
}


def _jaro_winkler(a: str, b: str) -> float:
    return JaroWinkler.similarity(a, b) if a and b else 0.0


def _hamming(a: str, b: str) -> int:
    if len(a) != len(b) or not a:  # DuckDB fails the statement on these
        raise ValueError("hamming: strings of different lengths, or empty")
    return Hamming.distance(a, b)


def _distinct(values: list) -> list:
    return list(dict.fromkeys(v for v in values if v is not None))


def _intersect(a: list, b: list | None) -> list:
    right = set(v for v in b or () if v is not None)  # list_intersect(x, NULL) is []
    return [v for v in _distinct(a) if v in right]


def _bit_count(value: int) -> int:
    return (value & _MASK_64).bit_count()  # BIGINT's 64 bits, two's complement


_DATE_UNITS = ("year", "month", "day")


def _truncate(unit: str, value: dt.date) -> dt.date:
    if isinstance(value, dt.datetime):  # a DATE column arrives as a date
        raise TypeError(f"date_trunc of a timestamp: {value!r}")
    if unit == "year":
        return value.replace(month=1, day=1)
    if unit == "month":
        return value.replace(day=1)
    return value


_NULL_IN_NULL_OUT: dict[str, Callable[..., Any]] = {
    "jaro_winkler_similarity": _jaro_winkler,
    "damerau_levenshtein": DamerauLevenshtein.distance,
    "hamming": _hamming,
    "bit_count": _bit_count,
    "starts_with": str.startswith,
    "length": len,
    "year": lambda d: d.year,
    "month": lambda d: d.month,
    "day": lambda d: d.day,
    "strftime": lambda d, fmt: d.strftime(fmt),
    "list_distinct": _distinct,
}
"""Functions whose answer is NULL when an argument is NULL, by name."""

_NAMED: dict[type, str] = {
    exp.JarowinklerSimilarity: "jaro_winkler_similarity",
    exp.Length: "length",
    exp.StartsWith: "starts_with",
    exp.Year: "year",
    exp.Month: "month",
    exp.Day: "day",
    exp.ArrayDistinct: "list_distinct",
}


# -- the compiler ----------------------------------------------------------------------------
def compile_condition(
    sql: str, column_of: ColumnOf = suffixed_column, read: set[str] | None = None
) -> Fn:
    """The SQL expression ``sql`` as a function of a pair's two rows, with DuckDB's meaning
    (None for NULL). The names of the columns it reads are added to ``read``."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as error:
        raise Unsupported(f"cannot parse {sql!r}: {error}") from error
    compiler = _Compiler(column_of)
    condition = compiler.compile(tree)
    if read is not None:
        read.update(compiler.read)
    return condition


class _Compiler:
    def __init__(self, column_of: ColumnOf) -> None:
        self.column_of = column_of
        self.read: set[str] = set()
        self.variables: dict[str, list] = {}
        """a lambda's parameters in scope → the cell holding the current element"""

    def compile(self, node: exp.Expression) -> Fn:
        kind = type(node)
        if kind is exp.Paren:
            return self.compile(node.this)
        if kind is exp.Column:
            if not node.table and node.name in self.variables:
                return self._variable(node.name)
            side, name = self.column_of(node)
            self.read.add(name)
            return (
                (lambda left, right: left[name]) if side == 0 else (lambda left, right: right[name])
            )
        if kind is exp.Identifier and node.name in self.variables:
            return self._variable(node.name)
        if kind is exp.Literal:
            value = node.this if node.is_string else _number(node.this)
            return lambda left, right: value
        if kind is exp.Boolean:
            value = bool(node.this)
            return lambda left, right: value
        if kind is exp.Null:
            return lambda left, right: None
        if kind is exp.Neg:
            inner = self.compile(node.this)
            negate = _int64(lambda a, _: -a)
            return lambda left, right: (
                None if (v := inner(left, right)) is None else negate(v, None)
            )
        if kind in (exp.And, exp.Or):
            sides = self.compile(node.this), self.compile(node.expression)
            return self._connective(*sides, decisive=kind is exp.Or)
        if kind is exp.Not:
            inner = self.compile(node.this)
            return lambda left, right: None if (v := inner(left, right)) is None else not v
        if kind is exp.Is:
            if not isinstance(node.expression, exp.Null):
                raise Unsupported(f"IS {node.expression.sql()}")
            if (column := self._column(node.this)) is not None:
                side, name = column
                if side == 0:
                    return lambda left, right: left[name] is None
                return lambda left, right: right[name] is None
            inner = self.compile(node.this)
            return lambda left, right: inner(left, right) is None
        if kind in _COMPARISONS:
            return self._comparison(kind, node.this, node.expression)
        if kind in _ARITHMETIC:
            return self._strict(_ARITHMETIC[kind], [node.this, node.expression])
        if kind is exp.In:
            return self._in(self.compile(node.this), [self.compile(e) for e in node.expressions])
        if kind is exp.Coalesce:
            return self._coalesce([self.compile(e) for e in [node.this, *node.expressions]])
        if kind in (exp.Least, exp.Greatest):
            pick = min if kind is exp.Least else max
            return self._extreme(pick, [self.compile(e) for e in [node.this, *node.expressions]])
        if kind is exp.Case:
            return self._case(node)
        if kind is exp.Bracket:
            return self._index(node)
        if kind is exp.TimeToStr:
            return self._strict(_NULL_IN_NULL_OUT["strftime"], [node.this, node.args["format"]])
        if kind in (exp.TimestampTrunc, exp.DateTrunc):
            unit = node.args["unit"].name.lower()
            if unit not in _DATE_UNITS:
                raise Unsupported(f"date_trunc({unit!r})")
            inner = self.compile(node.this)
            return lambda left, right: (
                None if (v := inner(left, right)) is None else _truncate(unit, v)
            )
        if kind is exp.ArrayConcat:
            parts = [self.compile(e) for e in [node.this, *node.expressions]]
            return lambda left, right: [v for part in parts for v in (part(left, right) or [])]
        if kind is exp.ArrayFilter:
            return self._filter(node)
        if kind is exp.ArrayIntersect or (
            kind is exp.Anonymous and node.name.lower() in ("list_intersect", "array_intersect")
        ):
            return self._intersect(node)
        if kind in _NAMED:
            return self._strict(_NULL_IN_NULL_OUT[_NAMED[kind]], _arguments(node))
        if kind is exp.Anonymous and node.name.lower() in _NULL_IN_NULL_OUT:
            return self._strict(_NULL_IN_NULL_OUT[node.name.lower()], list(node.expressions))
        raise Unsupported(f"{kind.__name__}: {node.sql(dialect='duckdb')}")

    # -- shapes ------------------------------------------------------------------------------
    def _column(self, node: exp.Expression) -> tuple[int, str] | None:
        """Where a plain column is read (None for anything else, or a lambda's parameter)."""
        while isinstance(node, exp.Paren):
            node = node.this
        if not isinstance(node, exp.Column) or (not node.table and node.name in self.variables):
            return None
        side, name = self.column_of(node)
        self.read.add(name)
        return side, name

    def _comparison(self, kind: type, this: exp.Expression, other: exp.Expression) -> Fn:
        """``=``, ``<>``, ``<``… NULL when a side is NULL; numbers compared as DuckDB orders
        them (NaN above all). The commonest shape, a column of each row, reads both
        directly."""
        ordered = _COMPARISONS[kind]
        plain = _PLAIN[kind]
        left, right = self._column(this), self._column(other)
        if left is not None and right is not None and left[0] != right[0]:
            (_, a), (_, b) = sorted([left, right])
            if left[0] == 1:  # r.x <op> l.y: the operator's sides as written
                ordered = _swapped(ordered)
                plain = _swapped(plain)

            def columns(left: Row, right: Row) -> bool | None:
                x = left[a]
                if x is None:
                    return None
                y = right[b]
                if y is None:
                    return None
                if x.__class__ is float or y.__class__ is float:
                    return ordered(x, y)
                return plain(x, y)

            return columns
        f, g = self.compile(this), self.compile(other)

        def compare(left: Row, right: Row) -> bool | None:
            x = f(left, right)
            if x is None:
                return None
            y = g(left, right)
            if y is None:
                return None
            if x.__class__ is float or y.__class__ is float:
                return ordered(x, y)
            return plain(x, y)

        return compare

    def _variable(self, name: str) -> Fn:
        cell = self.variables[name]
        return lambda left, right: cell[0]

    def _strict(self, op: Callable[..., Any], nodes: list[exp.Expression]) -> Fn:
        """``op`` of the arguments; NULL when one is NULL."""
        args = [self.compile(n) for n in nodes]
        if len(args) == 1:
            (a,) = args
            return lambda left, right: None if (x := a(left, right)) is None else op(x)
        if len(args) == 2:
            a, b = args

            def two(left: Row, right: Row) -> Any:
                x = a(left, right)
                if x is None:
                    return None
                y = b(left, right)
                return None if y is None else op(x, y)

            return two

        def many(left: Row, right: Row) -> Any:
            values = [f(left, right) for f in args]
            return None if any(v is None for v in values) else op(*values)

        return many

    @staticmethod
    def _connective(a: Fn, b: Fn, decisive: bool) -> Fn:
        """AND (``decisive`` False) or OR (True) in three-valued logic: the decisive value if
        either side has it, else NULL if either side is NULL."""

        def connective(left: Row, right: Row) -> bool | None:
            x = a(left, right)
            if x is decisive:
                return decisive
            y = b(left, right)
            if y is decisive:
                return decisive
            return None if x is None or y is None else not decisive

        return connective

    @staticmethod
    def _in(needle: Fn, items: list[Fn]) -> Fn:
        equal = _COMPARISONS[exp.EQ]

        def within(left: Row, right: Row) -> bool | None:
            value = needle(left, right)
            if value is None:
                return None
            unknown = False
            for item in items:
                other = item(left, right)
                if other is None:
                    unknown = True
                elif equal(value, other):
                    return True
            return None if unknown else False

        return within

    @staticmethod
    def _coalesce(items: list[Fn]) -> Fn:
        def first(left: Row, right: Row) -> Any:
            for item in items:
                value = item(left, right)
                if value is not None:
                    return value
            return None

        return first

    @staticmethod
    def _extreme(pick: Callable, items: list[Fn]) -> Fn:
        def extreme(left: Row, right: Row) -> Any:
            values = [v for item in items if (v := item(left, right)) is not None]
            if not values:
                return None
            numbers = [v for v in values if not _is_nan(v)]
            if len(numbers) < len(values):  # NaN is the largest
                return math.nan if pick is max or not numbers else pick(numbers)
            return pick(values)

        return extreme

    def _case(self, node: exp.Case) -> Fn:
        if node.this is not None:
            raise Unsupported("CASE <value> WHEN …")
        branches = [(self.compile(i.this), self.compile(i.args["true"])) for i in node.args["ifs"]]
        default = self.compile(node.args["default"]) if node.args.get("default") else None

        def case(left: Row, right: Row) -> Any:
            for condition, value in branches:
                if condition(left, right) is True:
                    return value(left, right)
            return default(left, right) if default else None

        return case

    def _index(self, node: exp.Bracket) -> Fn:
        (index,) = node.expressions
        if not (isinstance(index, exp.Literal) and not index.is_string):
            raise Unsupported(f"list index {index.sql()}")
        position = int(index.this)  # sqlglot made DuckDB's 1-based index 0-based
        if position < 0:
            raise Unsupported(f"list index {node.sql(dialect='duckdb')}")
        inner = self.compile(node.this)

        def element(left: Row, right: Row) -> Any:
            values = inner(left, right)
            return values[position] if values is not None and position < len(values) else None

        return element

    def _intersect(self, node: exp.Expression) -> Fn:
        """``list_intersect(a, b)``: NULL when ``a`` is, ``[]`` when only ``b`` is."""
        args = node.expressions if isinstance(node, exp.Anonymous) else _arguments(node)
        if len(args) != 2:
            raise Unsupported(node.sql(dialect="duckdb"))
        a, b = (self.compile(arg) for arg in args)
        return lambda left, right: (
            None if (x := a(left, right)) is None else _intersect(x, b(left, right))
        )

    def _filter(self, node: exp.ArrayFilter) -> Fn:
        function = node.expression
        if not isinstance(function, exp.Lambda) or len(function.expressions) != 1:
            raise Unsupported(f"list_filter with {function.sql()}")
        name = function.expressions[0].name
        cell: list = [None]
        outer = self.variables
        self.variables = {**outer, name: cell}
        try:
            keep = self.compile(function.this)
        finally:
            self.variables = outer
        values = self.compile(node.this)

        def filtered(left: Row, right: Row) -> list | None:
            items = values(left, right)
            if items is None:
                return None
            kept = []
            for item in items:
                cell[0] = item
                if keep(left, right) is True:
                    kept.append(item)
            return kept

        return filtered


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def _arguments(node: exp.Expression) -> list[exp.Expression]:
    args = [node.this]
    if node.args.get("expression") is not None:
        args.append(node.expression)
    return args


# -- the model -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Level:
    condition: Fn | None
    """None: the ELSE level"""
    weight: float
    tf: tuple[str, float, float, float] | None
    """(term-frequency column, adjustment weight, log2 of the exact match's u, minimum u)"""


@dataclass(frozen=True)
class _Comparison:
    name: str
    levels: tuple[_Level, ...]
    adjusted: bool
    """Splink adds a term-frequency adjustment column for this comparison"""


class PairScorer:
    """A trained model's match probability, match weight and per-comparison weights (the
    level's weight plus its term-frequency adjustment) for a pair of rows keyed by the
    model's input columns (and ``tf_<column>``)."""

    def __init__(self, settings: Any) -> None:
        """``settings``: a Splink linker's settings (``linker._settings_obj``): the levels'
        weights are read from the objects Splink writes its SQL from."""
        core = settings.core_model_settings
        self.prior_weight = prob_to_match_weight(core.probability_two_random_records_match)
        read: set[str] = set()
        comparisons = []
        for comparison in core.comparisons:
            levels = comparison.comparison_levels
            if not levels or not levels[-1]._is_else_level:  # SQL's CASE would give NULL
                raise Unsupported(f"comparison {comparison.output_column_name!r} has no ELSE")
            comparisons.append(
                _Comparison(
                    comparison.output_column_name,
                    tuple(_level(level, levels, read) for level in levels),
                    bool(comparison._has_tf_adjustments),
                )
            )
        self.comparisons = tuple(comparisons)
        self.names = [c.name for c in self.comparisons]
        self.columns = read | {lv.tf[0] for c in comparisons for lv in c.levels if lv.tf}
        """the row columns the scores read"""

    def score(self, left: Row, right: Row) -> tuple[float, float, list[float]]:
        """``(match_probability, match_weight, [weight of each comparison])``."""
        weights = []
        total = self.prior_weight
        for comparison in self.comparisons:
            level = _level_of(comparison.levels, left, right)
            weight = level.weight
            total += weight
            if comparison.adjusted:
                adjustment = _tf_adjustment(level, left, right)
                total += adjustment
                weight += adjustment
            weights.append(weight)
        return _probability(total), total, weights


def _level(level: Any, levels: list, read: set[str]) -> _Level:
    condition = None if level._is_else_level else compile_condition(level.sql_condition, read=read)
    weight = 0.0 if level.is_null_level else level._match_weight
    if weight is None:
        raise Unsupported(f"level {level.sql_condition!r} has no trained m and u")
    tf = None
    if (
        not level.is_null_level
        and not level._is_else_level
        and level._has_tf_adjustments
        and level._tf_adjustment_weight != 0
    ):
        u_exact = level._u_probability_corresponding_to_exact_match(levels)
        tf = (
            f"tf_{level._tf_adjustment_input_column_name}",
            float(level._tf_adjustment_weight),
            math.log2(u_exact),
            float(level._tf_minimum_u_value),
        )
    return _Level(condition, float(weight), tf)


def _level_of(levels: tuple[_Level, ...], left: Row, right: Row) -> _Level:
    for level in levels:
        if level.condition is None or level.condition(left, right) is True:
            return level
    raise AssertionError("unreachable: every comparison ends with its ELSE level")


def _tf_adjustment(level: _Level, left: Row, right: Row) -> float:
    if level.tf is None:
        return 0.0
    column, weight, log2_u, minimum = level.tf
    a, b = left[column], right[column]
    if a is None and b is None:
        return 0.0
    a = b if a is None else a
    b = a if b is None else b
    return weight * (log2_u - math.log2(max(a, b, minimum)))


def _probability(weight: float) -> float:
    if weight >= 0:
        return 1.0 / (1.0 + 2.0 ** (-weight))
    return 2.0**weight / (1.0 + 2.0**weight)
