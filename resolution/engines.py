"""Where Splink trains and predicts: DuckDB in the run's scratch catalog, or Spark.

The matcher's input is always prepared in DuckDB (:mod:`resolution.matcher_input`: the model
columns, related values, neighbours and profiles, read from the workspace), and the scored pairs
always come back to DuckDB (:mod:`resolution.scoring` writes ``pairs_<entity>``); clustering,
steward constraints, golden IDs and survivorship work on the workspace tables. Only the part of
the run whose work grows with the number of candidate pairs — Splink's training (λ, u, EM) and
prediction — moves to the engine:

- :class:`DuckDBEngine` runs Splink on the scratch cursor itself (the embedded default);
- :class:`SparkEngine` hands the tables Splink reads (profiles, term frequencies, steward
  labels) to Spark as Parquet in an exchange directory, runs Splink's Spark backend on them with
  the model's SQL translated (:mod:`resolution.spark_sql`), and writes the predictions back as
  Parquet that DuckDB reads.

The same model, input and seed give the same trained model and the same pairs on both engines.
Splink samples pairs (u estimation, its chunks and early exit, EM's ``max_pairs``) by a hash of
each record's id; DuckDB's ``hash`` and Spark's differ, so the profiles handed to Spark carry
DuckDB's hashes of their ids, and the Spark dialect reads those instead of hashing (see
:class:`_DuckDBHashes`). The model file saved by a run keeps the model's own (DuckDB) SQL
whichever engine trained it (:meth:`Engine.neutral`).
"""

from __future__ import annotations

import copy
import dataclasses
import os
import re
import shutil
import uuid
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, Protocol

import duckdb
from splink import DuckDBAPI, SettingsCreator

from resolution.errors import ResolutionError
from resolution.model_spec import UNIQUE_ID, ModelSpec
from resolution.scratch import scalar
from resolution.spark_sql import to_spark

ENGINES = ("duckdb", "spark")

UID_HASH = "huitong_uid_hash"
"""DuckDB's ``hash`` of a profile's id, handed to Spark with the profiles."""


def seeded_uid_hash(seed: int) -> str:
    """The column with DuckDB's ``hash((id) || '_<seed>')`` of a profile's id."""
    return f"huitong_uid_hash_seed_{str(seed).replace('-', 'm')}"


class Engine(Protocol):
    """What :func:`resolution.predict.train_and_predict` needs from the engine Splink runs on."""

    name: str
    db_api: Any
    """the Splink database API: input tables are registered by name (see :meth:`publish`)."""

    def publish(self, table: str) -> None:
        """Make a table of the DuckDB scratch catalog readable by Splink under the same name."""

    def settings(self, creator: SettingsCreator) -> SettingsCreator:
        """The model's Splink settings with its SQL in the engine's dialect."""

    def model(self, model: dict[str, Any]) -> dict[str, Any]:
        """A saved (DuckDB-dialect) model with its SQL in the engine's dialect."""

    def neutral(self, model: dict[str, Any]) -> dict[str, Any]:
        """A model trained on the engine, with the model file's own SQL back in it."""

    def sql(self, condition: str) -> str:
        """A training blocking rule (``l.x = r.x``) in the engine's dialect."""

    def count(self, table: str) -> int:
        """Rows of a table Splink made."""

    def fetch(self, table: str, columns: Iterable[str]) -> str:
        """A table Splink made, readable in the DuckDB scratch catalog; returns its name there."""

    def predicting(self, columns: Iterable[str]) -> AbstractContextManager[None]:
        """While open, Splink's predictions may be made with only ``columns`` (those of them
        it writes) instead of every column it computes; :meth:`fetch` still names the table."""

    def close(self) -> None: ...


PREDICTIONS = "__splink__df_predict"
"""The name Splink gives the table of scored pairs it makes."""


class _NarrowingDuckDBAPI(DuckDBAPI):
    """Splink's DuckDB API, able to make its predictions with only the columns wanted.

    Splink writes each scored pair with both sides' value of every compared column and each
    comparison's intermediate values (about 400 columns for persons); huitong keeps about 25.
    Wrapped in a ``SELECT`` of those, DuckDB never computes or writes the rest: the same pairs
    and scores, person scoring 92 → 62 s at 100k persons (1.8M pairs, same load). Splink's SQL
    is not changed; only the statement that materialises it selects from it."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        super().__init__(connection=connection)
        self.keep: tuple[str, ...] | None = None

    def _execute_sql(self, sql: str, output_tablename_templated: str):  # type: ignore[override]
        if self.keep is not None and output_tablename_templated == PREDICTIONS:
            names = ", ".join("'" + name.replace("'", "''") + "'" for name in self.keep)
            sql = f"SELECT COLUMNS(lambda c: list_contains([{names}], c)) FROM ({sql})"
        return super()._execute_sql(sql, output_tablename_templated)


class DuckDBEngine:
    """Splink on the scratch cursor itself: nothing to hand over, nothing to translate."""

    name = "duckdb"

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self.cursor = cursor
        self.db_api = _NarrowingDuckDBAPI(cursor)

    def publish(self, table: str) -> None:
        pass

    def settings(self, creator: SettingsCreator) -> SettingsCreator:
        return creator

    def model(self, model: dict[str, Any]) -> dict[str, Any]:
        return model

    def neutral(self, model: dict[str, Any]) -> dict[str, Any]:
        return model

    def sql(self, condition: str) -> str:
        return condition

    def count(self, table: str) -> int:
        return int(scalar(self.cursor, f"SELECT count(*) FROM {table}"))

    def fetch(self, table: str, columns: Iterable[str]) -> str:
        return table

    @contextmanager
    def predicting(self, columns: Iterable[str]) -> Iterator[None]:
        self.db_api.keep = tuple(columns)
        try:
            yield
        finally:
            self.db_api.keep = None

    def close(self) -> None:
        pass


class SparkEngine:
    """Splink's Spark backend, fed and read through Parquet in ``exchange``.

    ``exchange`` must be readable and writable at the same path by this process and by every
    Spark executor (on a cluster: a shared mount); each run works in a fresh sub-directory of it
    and removes it on :meth:`close`.
    """

    name = "spark"

    def __init__(
        self,
        cursor: duckdb.DuckDBPyConnection,
        spec: ModelSpec,
        seed: int,
        exchange: Path,
        session: Any | None = None,
    ) -> None:
        from resolution.spark_session import huitong_spark_api, spark_session

        self.cursor = cursor
        self.spec = spec
        self.seed = seed
        self.session = session or spark_session()
        self.directory = Path(exchange) / f"{spec.entity}-{uuid.uuid4().hex[:12]}"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.db_api = huitong_spark_api(self.session, self.directory / "checkpoints")
        self._list_columns: frozenset[str] | None = None
        self._views: list[str] = []

    def publish(self, table: str) -> None:
        path = self.directory / f"{table}.parquet"
        described = self.cursor.execute(f"DESCRIBE {table}").fetchall()
        columns = [_portable(name, duck_type) for name, duck_type, *_ in described]
        if table == _profiles_table():
            # DuckDB's hashes of the ids, which the Spark dialect reads instead of hashing
            ids = f"CAST({UNIQUE_ID} AS VARCHAR)"
            columns += [
                f"CAST(hash({ids}) AS DECIMAL(20, 0)) AS {UID_HASH}",
                f"CAST(hash(({ids}) || '_{self.seed}') AS DECIMAL(20, 0))"
                f" AS {seeded_uid_hash(self.seed)}",
            ]
            self._list_columns = frozenset(
                name for name, duck_type, *_ in described if duck_type.endswith("[]")
            )
        self.cursor.execute(
            f"COPY (SELECT {', '.join(columns)} FROM {table}) TO '{_sql_path(path)}' "
            "(FORMAT parquet)"
        )
        self.session.read.parquet(path.as_uri()).createOrReplaceTempView(table)
        self._views.append(table)

    def settings(self, creator: SettingsCreator) -> SettingsCreator:
        return dataclasses.replace(
            creator,
            comparisons=[self._comparison(c) for c in creator.comparisons],
            blocking_rules_to_generate_predictions=[
                {"blocking_rule": self.sql(sql)} for _, sql in self.spec.prediction_rules()
            ],
        )

    def model(self, model: dict[str, Any]) -> dict[str, Any]:
        translated = copy.deepcopy(model)
        translated["comparisons"] = [self._comparison(c) for c in model["comparisons"]]
        translated["blocking_rules_to_generate_predictions"] = [
            {**rule, "blocking_rule": self.sql(rule["blocking_rule"]), "sql_dialect": "spark"}
            for rule in model["blocking_rules_to_generate_predictions"]
        ]
        translated["sql_dialect"] = "spark"
        return translated

    def neutral(self, model: dict[str, Any]) -> dict[str, Any]:
        own = copy.deepcopy(model)
        for trained, spec_comparison in zip(own["comparisons"], self.spec.comparisons, strict=True):
            if trained["output_column_name"] != spec_comparison["output_column_name"]:
                raise ResolutionError(
                    f"{self.spec.entity}: Spark returned comparison "
                    f"{trained['output_column_name']!r} where the model has "
                    f"{spec_comparison['output_column_name']!r}"
                )
            for level, spec_level in zip(
                trained["comparison_levels"], spec_comparison["comparison_levels"], strict=True
            ):
                level["sql_condition"] = spec_level["sql_condition"]
        for rule, (_, sql) in zip(
            own["blocking_rules_to_generate_predictions"],
            self.spec.prediction_rules(),
            strict=True,
        ):
            rule["blocking_rule"] = sql
            rule["sql_dialect"] = "duckdb"
        own["sql_dialect"] = "duckdb"
        return own

    def sql(self, condition: str) -> str:
        return to_spark(condition, self._lists())

    def count(self, table: str) -> int:
        return int(self.session.table(table).count())

    def predicting(self, columns: Iterable[str]) -> AbstractContextManager[None]:
        return nullcontext()  # Spark's fetch keeps only the columns asked for

    def fetch(self, table: str, columns: Iterable[str]) -> str:
        path = self.directory / f"{table}.out"
        frame = self.session.table(table)
        wanted = [c for c in columns if c in frame.columns]
        frame.select(*wanted).write.mode("overwrite").parquet(path.as_uri())
        name = f"huitong_from_spark_{table.lower()}"
        self.cursor.execute(
            f"CREATE OR REPLACE VIEW {name} AS "
            f"SELECT * FROM read_parquet('{_sql_path(path)}/*.parquet')"
        )
        return name

    def close(self) -> None:
        for view in self._views:
            self.session.catalog.dropTempView(view)
        self.session.catalog.clearCache()
        shutil.rmtree(self.directory, ignore_errors=True)

    def _lists(self) -> frozenset[str]:
        if self._list_columns is None:
            raise ResolutionError("the profiles must be published to Spark before any SQL")
        return self._list_columns

    def _comparison(self, comparison: dict[str, Any]) -> dict[str, Any]:
        translated = copy.deepcopy(comparison)
        for level in translated["comparison_levels"]:
            level["sql_condition"] = self.sql(level["sql_condition"])
        return translated


def _profiles_table() -> str:
    from resolution.matcher_input import PROFILES

    return PROFILES


def _portable(name: str, duck_type: str) -> str:
    """A column as Spark reads it back from Parquet: unsigned and 128-bit integers (the capped
    block keys are ``hash`` values) become text, which compares equal exactly when they do."""
    if re.fullmatch(r"U(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|HUGEINT", duck_type):
        return f"CAST({name} AS VARCHAR) AS {name}"
    return name


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def exchange_directory(workdir: Path) -> Path:
    """Where the Spark engine exchanges Parquet: ``HUITONG_SPARK_EXCHANGE``, else
    ``<workdir>/spark``."""
    configured = os.environ.get("HUITONG_SPARK_EXCHANGE")
    return Path(configured) if configured else Path(workdir) / "spark"


@contextmanager
def open_engine(
    name: str,
    cursor: duckdb.DuckDBPyConnection,
    spec: ModelSpec,
    seed: int,
    workdir: Path,
) -> Iterator[Engine]:
    """The engine called ``name`` (one of :data:`ENGINES`) for one entity type's run, closed
    (its exchanged files removed) when the run ends."""
    engine: Engine
    if name == "duckdb":
        engine = DuckDBEngine(cursor)
    elif name == "spark":
        engine = SparkEngine(cursor, spec, seed, exchange_directory(workdir))
    else:
        raise ResolutionError(f"unknown engine {name!r}: one of {', '.join(ENGINES)}")
    try:
        yield engine
    finally:
        engine.close()
