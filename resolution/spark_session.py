"""The Spark session huitong resolves on, and Splink's Spark API hashing ids as DuckDB does.

Configured from the environment (pyspark is the optional ``[spark]`` extra, imported here only):

- ``HUITONG_SPARK_MASTER``: the master URL (default ``local[*]``; ``spark://host:7077``,
  ``yarn``, ``k8s://…`` for a cluster, this process being the driver);
- ``HUITONG_SPARK_REMOTE``: a Spark Connect URL (``sc://host:15002``) instead of a master;
- ``HUITONG_SPARK_DRIVER_MEMORY`` (default ``2g``) and ``HUITONG_SPARK_PARTITIONS`` (shuffle
  partitions; default twice the local cores in local mode, the cluster's setting otherwise);
- ``HUITONG_SPARK_JAVA_OPTIONS``: the driver JVM's options (the tests, whose Spark runs for a
  minute, pass ``-XX:TieredStopAtLevel=1``: the JIT's second tier costs more than it saves).

The session runs Spark SQL the way the models' DuckDB SQL expects (see
:mod:`resolution.spark_sql`): ANSI mode off (an index past a list's end is NULL, not an
error), ``size(NULL)`` NULL, dates in UTC; and it loads the jar of similarity functions Splink
ships (``jaro_winkler``, ``damerau_levenshtein``).
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from typing import Any

from resolution.errors import ResolutionError


def spark_session() -> Any:
    """The process's Spark session, created on first use from the environment."""
    try:
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location
    except ImportError as e:  # pragma: no cover - depends on the install
        raise ResolutionError(
            "the Spark engine needs pyspark: pip install 'huitong[spark]' (and Java 17+)"
        ) from e
    builder = SparkSession.builder.appName("huitong")
    remote = os.environ.get("HUITONG_SPARK_REMOTE")
    master = os.environ.get("HUITONG_SPARK_MASTER", "local[*]")
    if remote:
        builder = builder.remote(remote)
    else:
        builder = builder.master(master).config(
            "spark.driver.memory", os.environ.get("HUITONG_SPARK_DRIVER_MEMORY", "2g")
        )
        java_options = os.environ.get("HUITONG_SPARK_JAVA_OPTIONS")
        if java_options:
            builder = builder.config("spark.driver.extraJavaOptions", java_options)
        builder = builder.config("spark.jars", similarity_jar_location())
    partitions = os.environ.get("HUITONG_SPARK_PARTITIONS")
    if partitions is None and not remote and master.startswith("local"):
        partitions = str(2 * _local_cores(master))
    if partitions:
        builder = builder.config("spark.sql.shuffle.partitions", partitions)
    builder = (
        builder.config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.legacy.sizeOfNull", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if master.startswith("local") and not remote:
        # one machine: the driver listens on loopback only, and serves no web UI
        builder = (
            builder.config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
        )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR") if not remote else None
    return session


def _local_cores(master: str) -> int:
    match = re.fullmatch(r"local\[(\d+)\]", master)
    if match:
        return int(match.group(1))
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def huitong_spark_api(session: Any, checkpoints: Path) -> Any:
    """Splink's ``SparkAPI`` on ``session``, sampling as Splink's DuckDB backend does.

    Splink breaks the lineage of its intermediate tables: on a cluster by writing them as
    Parquet under ``checkpoints`` (its default), in local mode and through Spark Connect by
    persisting them (``HUITONG_SPARK_BREAK_LINEAGE``: ``parquet`` or ``persist`` to choose).
    """
    remote = bool(os.environ.get("HUITONG_SPARK_REMOTE"))
    local = session.conf.get("spark.master", "").startswith("local") if not remote else False
    method = os.environ.get(
        "HUITONG_SPARK_BREAK_LINEAGE", "persist" if remote or local else "parquet"
    )
    if method == "parquet":
        session.sparkContext.setCheckpointDir(checkpoints.as_uri())
    return _api_class()(spark_session=session, break_lineage_method=method)


@cache
def _api_class() -> type:
    """``SparkAPI`` whose dialect reads the DuckDB hashes of the profiles' ids.

    Splink picks the pairs it samples for u, the chunks it counts them in (and when it stops
    early), and EM's record sample by a hash of each record's composite id: ``hash(uid)`` or
    ``hash((uid) || '_<seed>')``. DuckDB's ``hash`` and Spark's differ, so on Spark the same
    model would be trained on other pairs. The profiles handed to Spark carry DuckDB's two
    hashes (:class:`resolution.engines.SparkEngine`), and this dialect uses them: the trained
    model, and so every score, is the one DuckDB gives. Any other hashed expression is an
    error rather than a silent difference.
    """
    from splink.backends.spark import SparkAPI

    from resolution.engines import UID_HASH, seeded_uid_hash
    from resolution.model_spec import UNIQUE_ID

    spark_dialect = type(SparkAPI.sql_dialect)
    uid = rf"(?:(?P<table>[lr])\.)?[`\"]?{UNIQUE_ID}[`\"]?"
    plain = re.compile(rf"^\s*{uid}\s*$")
    seeded = re.compile(rf"^\s*\(\s*{uid}\s*\)\s*\|\|\s*'_(?P<seed>-?\d+)'\s*$")

    class DuckDBHashes(spark_dialect):  # type: ignore[misc, valid-type]
        def hash_function_expression(self, col_expression: str) -> str:
            for pattern in (plain, seeded):
                match = pattern.match(col_expression)
                if match:
                    groups = match.groupdict()
                    column = seeded_uid_hash(int(groups["seed"])) if "seed" in groups else UID_HASH
                    table = groups["table"]
                    return f"{table}.{column}" if table else column
            raise ResolutionError(
                f"Splink hashed {col_expression!r}, which huitong cannot hash as DuckDB does"
            )

        def hash_bucket_expression(self, col_expression: str, modulus: int) -> str:
            # DuckDB's: an unsigned 64-bit hash modulo the modulus (its own dialect's formula)
            return f"({self.hash_function_expression(col_expression)} % {modulus})"

    class HuitongSparkAPI(SparkAPI):
        sql_dialect = DuckDBHashes()

    return HuitongSparkAPI
