"""Scoring submitted mentions against the resolved city with exactly the batch's model.

For each entity type, :class:`EntityMatcher` holds what the run's snapshot says
(:mod:`resolution.snapshot`): the trained model, the profiles with their term frequencies, the
block keys of every blocking rule. A call's mentions are

1. *prepared* by the batch's own code (:func:`resolution.matcher_input.prepare_input` over a
   workspace holding only the call's rows, their relations and events, and the clusters their
   enterprises and rental units joined; neighbours named too often in the city are left out
   as the batch leaves them out, ``degrees_elsewhere``), then given the run's term
   frequencies and block keys;
2. *blocked* as the batch blocks: for each rule, every profile of the block when the block,
   with the new mention, stays within ``max_block_size``, else the block's first profile (the
   star); profiles submitted since the snapshot and the call's other mentions likewise;
3. *scored* with the batch's model: a call of up to ``PYTHON_PAIRS_MAX`` pairs in Python by
   :class:`resolution.pair_scoring.PairScorer` (Splink's levels and weights, without the
   ~45 ms DuckDB spends planning Splink's scoring SQL each time), a larger one — or any call
   when the model uses SQL the scorer does not evaluate — by the SQL Splink generates for the
   model (``score_pairs``, captured once and run on each call's pairs). Either way a pair
   gets the weight the batch would give it, to the last bit.
"""

from __future__ import annotations

import bisect
import itertools
import json
import logging
import os
import re
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
from splink import DuckDBAPI, Linker

from resolution.matcher_input import prepare_input
from resolution.matcher_state import MATCHER_DEGREES, MATCHER_TF, block_key_sql, tf_columns
from resolution.model_spec import ModelSpec, load_model_spec
from resolution.pair_scoring import PairScorer, Unsupported, compile_condition, qualified_column
from resolution.scratch import quiet_splink
from resolution.snapshot import mapped_path

logger = logging.getLogger(__name__)

PYTHON_PAIRS_MAX = 2_000
"""Calls with more pairs than this are scored by Splink's SQL: DuckDB's ~45 ms of planning
is then repaid (~25 µs a pair there, ~45 µs in Python with reading the rows, at 100k
persons). Both give the same numbers."""

_SCRATCH = "rt_scratch"
_SIDE = re.compile(r"\b([lr])\.([a-z][a-z0-9_]*)\b")
_CROSS_JOIN = "cross join __splink__compare_two_records_right_with_tf_uid_fix as r"


@dataclass
class Scored:
    """A scored pair: the new mention, the other side (a snapshot profile's representative,
    a mention submitted earlier, or another mention of the call) and its scores."""

    new: str
    other: str
    match_probability: float
    match_weight: float
    comparisons: dict[str, float] = field(default_factory=dict)


class EntityMatcher:
    """One entity type's matcher over a snapshot attached as ``snap``."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, entity: str, model_json: str, snapshot: Path
    ) -> None:
        self.con = con
        self.entity = entity
        self.spec: ModelSpec = load_model_spec(entity)
        self.model = json.loads(model_json)
        profiles = f"snap.matcher_profiles_{entity}"
        described = con.execute(f"SELECT * FROM {profiles} LIMIT 0").description
        self.columns = [d[0] for d in described if d[0] != "idx"]
        self.profiles = mapped_table(
            con, f"matcher_profiles_{entity}", snapshot, dense=True
        ).select(self.columns)
        """the snapshot's profiles, row ``idx`` at position ``idx``, memory-mapped"""
        self.profile_members = mapped_table(con, f"profile_members_{entity}", snapshot)
        """each snapshot profile's mentions with their golden record (``idx``, ``mention_id``,
        ``golden_id``), in ``idx`` order"""
        self._member_idx = self.profile_members.column("idx").to_numpy()
        self.tf = tf_columns(self.spec)
        self.tf_lookups = {
            c: TermFrequencies(con, MATCHER_TF.format(entity=entity, column=c), c, snapshot)
            for c in self.tf
        }
        self.caps = [rule.max_block_size for rule in self.spec.blocking_rules]
        self._load_keys()
        con.execute(
            f"CREATE OR REPLACE TABLE ov_profiles_{entity} AS "
            f"SELECT * EXCLUDE (idx) FROM {profiles} LIMIT 0"
        )
        con.execute(
            f"CREATE OR REPLACE TABLE rt_rows_{entity} AS SELECT * FROM ov_profiles_{entity}"
        )
        con.execute(
            f"CREATE OR REPLACE TABLE rt_pairs_{entity} "
            "(mention_id_l VARCHAR, mention_id_r VARCHAR, rules INTEGER[])"
        )
        self.overlay_keys: dict[tuple[int, int], list[str]] = defaultdict(list)
        self.overlay_keys_of: dict[str, list[tuple[int, int]]] = {}
        """each submitted mention (a row of ``ov_profiles_<entity>``) → its keys in
        ``overlay_keys``, so forgetting it needs no scan"""
        self.overlay_rows: dict[str, dict] = {}
        """each submitted mention's matcher row (as ``ov_profiles_<entity>`` holds it)"""
        self.scored_columns: list[str] = []
        """the columns a pair's rows are read with for the Python scorer"""
        self.sql, settings = self._scoring_sql()
        self.scorer, self.rule_conditions = self._python_scorer(settings)
        degrees = MATCHER_DEGREES.format(entity=entity)
        present = con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_catalog = 'snap' AND table_name = ?",
            [degrees],
        ).fetchone()[0]
        self.degrees = f"snap.{degrees}" if present else None

    # -- the snapshot's block keys ---------------------------------------------------------
    def _load_keys(self) -> None:
        data = self.con.execute(
            f"SELECT rule, block, idx FROM snap.matcher_keys_{self.entity} "
            "ORDER BY rule, block, idx"
        ).fetchnumpy()
        rules = np.asarray(data["rule"], dtype=np.int64)
        blocks = np.asarray(data["block"], dtype=np.uint64)
        idx = np.asarray(data["idx"], dtype=np.int64)
        self.keys: list[tuple[np.ndarray, np.ndarray]] = []
        for rule in range(len(self.spec.blocking_rules)):
            lo, hi = np.searchsorted(rules, [rule, rule + 1])
            self.keys.append((blocks[lo:hi], idx[lo:hi]))

    def snapshot_candidates(self, rule: int, block: int) -> tuple[int, list[int]]:
        """The block's size in the snapshot, and the profiles a new mention with this key is
        compared with: all of them while the block (with it) stays within the rule's cap,
        else the first (the star)."""
        blocks, idx = self.keys[rule]
        key = np.uint64(block)
        lo = int(np.searchsorted(blocks, key, side="left"))
        hi = int(np.searchsorted(blocks, key, side="right"))
        size = hi - lo
        if size == 0:
            return 0, []
        cap = self.caps[rule]
        if cap is None or size + 1 <= cap:
            return size, idx[lo:hi].tolist()
        return size, [int(idx[lo])]

    # -- scoring SQL, generated by Splink once ----------------------------------------------
    def _scoring_sql(self) -> tuple[str, object]:
        """Splink's scoring SQL bound to the call's pairs, and the settings it was written
        from."""
        model = dict(self.model)
        model["blocking_rules_to_generate_predictions"] = []
        rows = f"rt_rows_{self.entity}"
        db_api = DuckDBAPI(connection=self.con)
        with quiet_splink():
            linker = Linker(db_api.register(rows), model, log_level=None)
            scored = linker.inference.score_pairs(db_api.register(rows), db_api.register(rows))
        sql = scored.sql_used_to_create
        if sql.count(_CROSS_JOIN) != 1:
            raise RuntimeError("Splink's scoring SQL changed shape: no single cross join to bind")
        sql = sql.replace(
            _CROSS_JOIN,
            f"join rt_pairs_{self.entity} huitong_pair on huitong_pair.mention_id_l = "
            "l.mention_id join __splink__compare_two_records_right_with_tf_uid_fix as r "
            "on r.mention_id = huitong_pair.mention_id_r",
        )
        conditions = []
        for i, rule in enumerate(self.spec.blocking_rules):
            if rule.sql:
                rewritten = _SIDE.sub(lambda m: f"{m[2]}_{m[1]}", rule.sql)
                conditions.append(f"(list_contains(x.rules, {i}) AND ({rewritten}))")
        free = [i for i, rule in enumerate(self.spec.blocking_rules) if not rule.sql]
        keep = " OR ".join([f"list_has_any(x.rules, {free})", *conditions]) if free else "true"
        weights = ", ".join(
            f"s.mw_{name}"
            + (f" + s.mw_tf_adj_{name}" if self.spec.has_tf_adjustments(name) else "")
            + f" AS mw_{name}"
            for name in self.spec.comparison_names
        )
        return (
            f"""
            SELECT s.mention_id_l, s.mention_id_r, s.match_probability, s.match_weight,
                   {weights}
            FROM ({sql}) s
            JOIN rt_pairs_{self.entity} x USING (mention_id_l, mention_id_r)
            WHERE {keep}
        """,
            linker._settings_obj,
        )

    def _python_scorer(self, settings: object) -> tuple[PairScorer | None, dict]:
        """The model and the blocking rules' extra conditions in Python; (None, {}) when they
        use SQL :mod:`resolution.pair_scoring` does not evaluate (Splink's SQL scores then)."""
        try:
            scorer = PairScorer(settings)
            read = set(scorer.columns)
            conditions = {
                i: compile_condition(rule.sql, qualified_column, read)
                for i, rule in enumerate(self.spec.blocking_rules)
                if rule.sql
            }
        except Unsupported as reason:
            logger.warning("%s pairs scored with Splink's SQL: %s", self.entity, reason)
            return None, {}
        if scorer.names != self.spec.comparison_names:
            raise RuntimeError(f"{self.entity}: the model's comparisons are not the spec's")
        self.scored_columns = ["mention_id", *(c for c in self.columns if c in read)]
        return scorer, conditions

    # -- a call's mentions -------------------------------------------------------------------
    def prepare(self, tiny: tuple[str, str], empty: Collection[str] = ()) -> pa.Table:
        """The call's mentions of this entity type (in the tiny workspace ``tiny``) as matcher
        rows: model columns, term frequencies, and one block key per rule (``key_<i>``).
        ``empty``: the preparation's parts the call has no rows for (see
        :func:`resolution.matcher_input.prepare_input`)."""
        con = self.con
        con.execute(f"USE {_SCRATCH}")
        try:
            con.execute("DROP TABLE IF EXISTS huitong_mentions")
            prepare_input(
                con, self.spec, tiny, degrees_elsewhere=self.degrees, profiles=False, empty=empty
            )
        finally:
            con.execute("USE memory")
        names = [c for c in self.columns if c not in ("mention_id", "mention_count")]
        names = [c for c in names if not c.startswith("tf_")]
        keys = "".join(
            f", CASE WHEN {' AND '.join(f'p.{c} IS NOT NULL' for c in rule.on)} "
            f"THEN {block_key_sql(rule.on, 'p')} END AS key_{i}"
            for i, rule in enumerate(self.spec.blocking_rules)
        )
        rows = con.sql(
            f"""
            SELECT p.mention_id, CAST(1 AS BIGINT) AS mention_count,
                   {", ".join(f"p.{c}" for c in names)}{keys}
            FROM {_SCRATCH}.huitong_mentions p
            ORDER BY p.mention_id
            """
        ).to_arrow_table()
        for column, lookup in self.tf_lookups.items():  # not joined in SQL: that scans the
            # whole term-frequency table (60k names at 100k persons) on every call
            values = [lookup.get(v) for v in rows.column(column).to_pylist()]
            rows = rows.append_column(f"tf_{column}", pa.array(values, pa.float64()))
        return rows

    def score(
        self,
        rows: pa.Table,
        pairs: dict[tuple[str, str], set[int]],
        snapshot_idx: set[int],
        overlay_ids: set[str],
        renamed: dict[str, str],
    ) -> list[tuple[str, str, float, float, dict[str, float]]]:
        """Score ``pairs`` (scoring id left < right → the rules that found them) among the
        call's ``rows``, the snapshot profiles ``snapshot_idx`` and the submitted mentions
        ``overlay_ids``; ``renamed`` maps a call mention to the scoring id it has here (a new
        version of a record keeps its mention id apart from the old one). A pair found only
        by rules whose extra ``sql`` it fails is not scored (the batch never compares it)."""
        if self.scorer is None or len(pairs) > PYTHON_PAIRS_MAX:
            return self.score_sql(rows, pairs, snapshot_idx, overlay_ids, renamed)
        return self.score_python(rows, pairs, snapshot_idx, overlay_ids, renamed)

    def score_python(
        self,
        rows: pa.Table,
        pairs: dict[tuple[str, str], set[int]],
        snapshot_idx: set[int],
        overlay_ids: set[str],
        renamed: dict[str, str],
    ) -> list[tuple[str, str, float, float, dict[str, float]]]:
        """:meth:`score` by :class:`resolution.pair_scoring.PairScorer`."""
        if self.scorer is None:
            raise RuntimeError(f"{self.entity}: the model is not scored in Python here")
        if not pairs:
            return []
        by_id: dict[str, dict] = {}
        columns = self.scored_columns
        for row in rows.select(columns).to_pylist():
            by_id[renamed.get(row["mention_id"], row["mention_id"])] = row
        if snapshot_idx:
            for row in take(self.profiles, sorted(snapshot_idx)).select(columns).to_pylist():
                by_id[row["mention_id"]] = row
        for mention_id in overlay_ids:
            by_id[mention_id] = self.overlay_rows[mention_id]
        names = self.scorer.names
        scored = []
        for (left_id, right_id), rules in pairs.items():
            left, right = by_id[left_id], by_id[right_id]
            if not any(
                (condition := self.rule_conditions.get(rule)) is None
                or condition(left, right) is True
                for rule in rules
            ):
                continue
            probability, weight, weights = self.scorer.score(left, right)
            scored.append(
                (left_id, right_id, probability, weight, dict(zip(names, weights, strict=True)))
            )
        return scored

    def score_sql(
        self,
        rows: pa.Table,
        pairs: dict[tuple[str, str], set[int]],
        snapshot_idx: set[int],
        overlay_ids: set[str],
        renamed: dict[str, str],
    ) -> list[tuple[str, str, float, float, dict[str, float]]]:
        """:meth:`score` by Splink's own SQL (the model's levels evaluated by DuckDB)."""
        if not pairs:
            return []
        con = self.con
        entity = self.entity
        columns = ", ".join(self.columns)
        con.execute(f"DELETE FROM rt_rows_{entity}")
        con.execute(f"DELETE FROM rt_pairs_{entity}")
        call_rows = rows.select(self.columns)
        if renamed:
            ids = [renamed.get(m, m) for m in call_rows.column("mention_id").to_pylist()]
            call_rows = call_rows.set_column(0, "mention_id", pa.array(ids, pa.string()))
        con.execute(f"INSERT INTO rt_rows_{entity} SELECT {columns} FROM call_rows")
        if snapshot_idx:  # taken from the mapped file: a scan of the snapshot's table would
            # read every profile (~70 ms a call at 100k persons)
            wanted = take(self.profiles, sorted(snapshot_idx))  # noqa: F841 - read by DuckDB
            con.execute(f"INSERT INTO rt_rows_{entity} SELECT {columns} FROM wanted")
        if overlay_ids:
            con.execute(
                f"INSERT INTO rt_rows_{entity} SELECT {columns} FROM ov_profiles_{entity} "
                "WHERE list_contains(?, mention_id)",
                [sorted(overlay_ids)],
            )
        pair_table = pa.table(  # noqa: F841 - read by DuckDB
            {
                "mention_id_l": [left for left, _ in pairs],
                "mention_id_r": [right for _, right in pairs],
                "rules": pa.array([sorted(r) for r in pairs.values()], pa.list_(pa.int32())),
            }
        )
        con.execute(f"INSERT INTO rt_pairs_{entity} SELECT * FROM pair_table")
        result = con.execute(self.sql).fetchall()
        names = self.spec.comparison_names
        return [
            (row[0], row[1], float(row[2]), float(row[3]), dict(zip(names, row[4:], strict=True)))
            for row in result
        ]

    # -- mentions submitted since the snapshot ----------------------------------------------
    def journalled(self, rows: pa.Table) -> dict:
        """Matcher rows of :meth:`prepare` as the journal keeps them: the rows (JSON-ready)
        and, apart, each row's block keys."""
        keys = [rows.column(f"key_{i}").to_pylist() for i in range(len(self.spec.blocking_rules))]
        plain = rows.select(self.columns).to_pylist()
        for row in plain:
            for name, value in row.items():
                if hasattr(value, "isoformat"):
                    row[name] = value.isoformat()
        return {"rows": plain, "keys": [list(k) for k in zip(*keys, strict=True)]}

    def remember(self, rows: pa.Table, keys: list[list[int | None]]) -> None:
        """Make submitted mentions candidates for later calls: their matcher rows (as
        :meth:`journalled` keeps them) and block keys."""
        if not len(rows):
            return
        ids = rows.column("mention_id").to_pylist()
        self.forget(ids)
        call_rows = rows  # noqa: F841 - read by DuckDB
        present = set(rows.column_names)
        selects = ", ".join(c if c in present else f"NULL AS {c}" for c in self.columns)
        self.con.execute(f"INSERT INTO ov_profiles_{self.entity} SELECT {selects} FROM call_rows")
        # typed as the profiles are (the journal keeps dates as text)
        schema = self.profiles.schema
        dates = [f.name for f in schema if pa.types.is_date(f.type) and f.name in present]
        plain = rows.to_pylist()
        for row in plain:
            for name in dates:
                if isinstance(row[name], str):
                    row[name] = date.fromisoformat(row[name])
        for row in pa.Table.from_pylist(plain, schema=schema).to_pylist():
            self.overlay_rows[row["mention_id"]] = row
        for mention_id, row_keys in zip(ids, keys, strict=True):
            mine = self.overlay_keys_of[mention_id] = []
            for i, key in enumerate(row_keys):
                if key is not None:
                    self.overlay_keys[(i, int(key))].append(mention_id)
                    mine.append((i, int(key)))

    def forget(self, mention_ids: list[str]) -> None:
        """Mentions submitted earlier that are gone (retracted, or replaced by a new version)."""
        if not mention_ids:
            return
        gone = {m for m in mention_ids if m in self.overlay_keys_of}
        if not gone:
            return
        self.con.execute(
            f"DELETE FROM ov_profiles_{self.entity} WHERE list_contains(?, mention_id)",
            [sorted(gone)],
        )
        for mention_id in gone:
            self.overlay_rows.pop(mention_id, None)
        for key in {k for m in gone for k in self.overlay_keys_of.pop(m)}:
            self.overlay_keys[key] = [m for m in self.overlay_keys[key] if m not in gone]

    def members_of(self, idx: list[int]) -> list[tuple[int, str, str]]:
        """``(idx, mention_id, golden_id)`` of every mention of the snapshot profiles ``idx``
        (the golden record each belonged to at the snapshot)."""
        wanted = np.asarray(sorted(set(idx)), dtype=self._member_idx.dtype)
        lo = np.searchsorted(self._member_idx, wanted, side="left")
        hi = np.searchsorted(self._member_idx, wanted, side="right")
        positions = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=True)] or [[]])
        rows = take(self.profile_members, positions.astype(np.int64))
        return list(
            zip(
                rows.column("idx").to_pylist(),
                rows.column("mention_id").to_pylist(),
                rows.column("golden_id").to_pylist(),
                strict=True,
            )
        )

    def overlay_candidates(self, rule: int, block: int) -> list[str]:
        return list(self.overlay_keys.get((rule, block), ()))


def mapped_table(
    con: duckdb.DuckDBPyConnection, table: str, snapshot: Path, *, dense: bool = False
) -> pa.Table:
    """The snapshot's table ``table`` in ``idx`` order, memory-mapped from an Arrow file beside
    the snapshot (:func:`_mapped`). ``dense``: ``idx`` runs 0, 1, 2… so profile ``idx`` is row
    ``idx``. Taking a call's few rows from it costs microseconds and only the pages read, where
    a query of the snapshot's table reads all of it; the operating system shares the pages
    between API workers."""
    path = mapped_path(snapshot, table)
    rows = _mapped(con, path, f"SELECT * FROM snap.{table} ORDER BY idx", chunk_rows=65_536)
    idx = rows.column("idx").to_numpy()
    ordered = (
        np.array_equal(idx, np.arange(len(idx))) if dense else bool(np.all(idx[1:] >= idx[:-1]))
    )
    if not ordered:
        raise RuntimeError(f"{path} does not hold the snapshot's {table} in idx order")
    return rows


def _mapped(
    con: duckdb.DuckDBPyConnection, path: Path, sql: str, *, chunk_rows: int | None
) -> pa.Table:
    """The rows of ``sql`` from an Arrow file at ``path``, memory-mapped; the file is written
    on first use (to a temporary name, then renamed: a reader never sees half of one), in
    chunks of ``chunk_rows`` (None: one chunk)."""
    if not path.exists():
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        if chunk_rows is None:
            rows = con.sql(sql).to_arrow_table().combine_chunks()
            with pa.OSFile(str(partial), "wb") as sink, pa.ipc.new_file(sink, rows.schema) as out:
                out.write_table(rows)
        else:  # batch by batch: the file may be bigger than the memory one should hold for it
            reader = con.sql(sql).to_arrow_reader(chunk_rows)
            with pa.OSFile(str(partial), "wb") as sink, pa.ipc.new_file(sink, reader.schema) as out:
                for batch in reader:
                    out.write_batch(batch)
        os.replace(partial, path)
    return pa.ipc.open_file(pa.memory_map(str(path))).read_all()


class TermFrequencies:
    """A snapshot's term-frequency table (``<column>``, ``tf_<column>``) sorted by value in an
    Arrow file beside it (:func:`_mapped`), memory-mapped and searched by bisection: a value's
    frequency in microseconds, without holding the table in each API worker's memory."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, table: str, column: str, snapshot: Path
    ) -> None:
        rows = _mapped(
            con,
            mapped_path(snapshot, table),
            f"SELECT {column} AS value, tf_{column} AS tf FROM snap.{table} "
            f"WHERE {column} IS NOT NULL ORDER BY value",
            chunk_rows=None,  # one chunk: indexed without joining chunks
        )
        self._values = rows.column("value").combine_chunks()
        self._tf = rows.column("tf").combine_chunks()

    def get(self, value: object) -> float | None:
        if value is None:
            return None
        # DuckDB sorted by bytes; Python's str order is the same (code points)
        at = bisect.bisect_left(self._values, value, key=_as_py)
        if at < len(self._values) and self._values[at].as_py() == value:
            return self._tf[at].as_py()
        return None


class GoldenRows:
    """A snapshot table's rows in golden-record order (``golden_id``, then ``order``) in an
    Arrow file beside it (:func:`_mapped`), memory-mapped: a golden record's rows are found by
    binary search and read from the pages they are on. DuckDB's index lookup of the same rows
    costs a call milliseconds a statement (the members of one golden record: ~10 ms at 100k
    persons), most of it planning.

    Golden IDs are written in one width (``P-`` and twelve hex digits): the file's IDs are then
    searched as fixed-width bytes by numpy, in place (~1 µs an ID); IDs of several widths are
    searched by bisection (~20 µs an ID)."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, table: str, snapshot: Path, *, order: str
    ) -> None:
        self.rows = _mapped(
            con,
            mapped_path(snapshot, f"{table}_by_golden"),
            f"SELECT * FROM snap.{table} WHERE golden_id IS NOT NULL ORDER BY golden_id, {order}",
            chunk_rows=65_536,
        )
        self._golden = self.rows.column("golden_id")
        chunks, self._starts, start = [], [], 0
        for chunk in self._golden.chunks:
            if len(chunk):
                chunks.append(chunk)
                self._starts.append(start)
            start += len(chunk)
        self._fixed = _fixed_width(chunks)

    def rows_of(self, goldens: Collection[str]) -> list[dict]:
        """The rows of the golden records ``goldens``, in the file's order."""
        wanted = sorted(set(goldens))
        if self._fixed is None:
            ranges = self._bisected(wanted)
        else:
            width, views = self._fixed
            keys = [g.encode() for g in wanted]
            keys = np.array([k for k in keys if len(k) == width], dtype=f"S{width}")
            ranges = []
            for start, view in zip(self._starts, views, strict=True):
                lo = np.searchsorted(view, keys, side="left")
                hi = np.searchsorted(view, keys, side="right")
                ranges += [
                    (start + a, start + b)
                    for a, b in zip(lo.tolist(), hi.tolist(), strict=True)
                    if b > a
                ]
        positions = [p for lo, hi in sorted(ranges) for p in range(lo, hi)]
        return take(self.rows, positions).to_pylist() if positions else []

    def _bisected(self, wanted: list[str]) -> list[tuple[int, int]]:
        found, ranges = self._golden, []
        for golden in wanted:
            # DuckDB sorted by bytes; Python's str order is the same (code points)
            lo = bisect.bisect_left(found, golden, key=_as_py)
            hi = bisect.bisect_right(found, golden, lo=lo, key=_as_py)
            if hi > lo:
                ranges.append((lo, hi))
        return ranges


def _fixed_width(chunks: list[pa.Array]) -> tuple[int, list[np.ndarray]] | None:
    """(width, each chunk's values as a numpy array of that many bytes, sharing the chunk's
    memory) when every value of every chunk is that many bytes long and none is null; else
    None."""
    widths, views = set(), []
    for chunk in chunks:
        if chunk.null_count or not pa.types.is_string(chunk.type):
            return None
        _, offsets, data = chunk.buffers()
        ends = np.frombuffer(offsets, dtype=np.int32)[chunk.offset : chunk.offset + len(chunk) + 1]
        steps = np.unique(np.diff(ends))
        if len(steps) != 1 or steps[0] == 0:
            return None
        width = int(steps[0])
        widths.add(width)
        views.append(np.frombuffer(data, dtype=f"S{width}", count=len(chunk), offset=int(ends[0])))
    if len(widths) != 1:
        return None
    return widths.pop(), views


def _as_py(value: pa.Scalar) -> object:
    return value.as_py()


def take(table: pa.Table, positions: list[int] | np.ndarray) -> pa.Table:
    """The rows of ``table`` at ``positions`` (ascending), taken chunk by chunk: pyarrow's
    ``take`` of a table of several chunks first joins them (7–14 ms for a few hundred person
    profiles at 100k persons, against ~1.5 ms this way)."""
    positions = np.asarray(positions, dtype=np.int64)
    batches = table.to_batches()
    starts = np.cumsum([0] + [len(b) for b in batches])
    chunk = np.searchsorted(starts, positions, side="right") - 1
    bounds = np.searchsorted(chunk, np.arange(len(batches) + 1))
    taken = [
        batches[i].take(pa.array(positions[lo:hi] - starts[i]))
        for i, (lo, hi) in enumerate(itertools.pairwise(bounds))
        if hi > lo
    ]
    return pa.Table.from_batches(taken, schema=table.schema)


def snapshot_connection(snapshot: Path) -> duckdb.DuckDBPyConnection:
    """A connection for real-time work over ``snapshot``: one thread (a call is a few small
    queries: no pool to wake), the snapshot attached read-only as ``snap``, and the in-memory
    catalog :meth:`EntityMatcher.prepare` runs the batch's preparation in."""
    con = duckdb.connect(config={"threads": 1})
    con.execute(f"ATTACH '{str(snapshot).replace(chr(39), chr(39) * 2)}' AS snap (READ_ONLY)")
    con.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {_SCRATCH}")
    return con
