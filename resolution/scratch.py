"""The private scratch database a Splink run works in, and small helpers shared by the stages.

Splink runs on a cursor of the caller's connection whose default catalog is a private in-memory
database attached for the run, so Splink's many intermediate tables never land in the workspace
file; the input is read from, and the outputs written to, the workspace catalog directly.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb


@contextmanager
def scratch(
    connection: duckdb.DuckDBPyConnection,
) -> Iterator[tuple[duckdb.DuckDBPyConnection, tuple[str, str]]]:
    """A cursor whose default catalog is a fresh in-memory database, and the caller's
    (catalog, schema), where ``mentions`` is read and ``pairs_*`` written."""
    workspace = connection.execute("SELECT current_database(), current_schema()").fetchall()[0]
    name = f"huitong_scratch_{uuid.uuid4().hex[:12]}"
    cursor = connection.cursor()
    cursor.execute(f"ATTACH ':memory:' AS {name}")
    try:
        cursor.execute(f"USE {name}")
        yield cursor, (workspace[0], workspace[1])
    finally:
        cursor.execute(f'USE "{workspace[0]}"."{workspace[1]}"')
        cursor.execute(f"DETACH {name}")
        cursor.close()


@contextmanager
def quiet_splink() -> Iterator[None]:
    """Keep Splink's expected training warnings (a level never observed in a sample …) out of
    the caller's output; what matters is reported in :attr:`PredictResult.notes`."""
    splink_logger = logging.getLogger("splink")
    level = splink_logger.level
    splink_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        splink_logger.setLevel(level)


def qualified(workspace: tuple[str, str], table: str) -> str:
    return f'"{workspace[0]}"."{workspace[1]}"."{table}"'


def limit_threads(connection: duckdb.DuckDBPyConnection) -> None:
    """Use no more DuckDB threads than the CPUs this process may run on (containers often
    report the host's core count, and oversubscription slows the joins down)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    threads = scalar(connection, "SELECT current_setting('threads')")
    if int(threads) > cpus:
        connection.execute(f"SET threads = {cpus}")


def scalar(connection: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> Any:
    """The single value of a one-row query, with the result fully consumed."""
    return connection.execute(sql, params or []).fetchall()[0][0]


def lap(started: float) -> float:
    return round(time.perf_counter() - started, 3)
