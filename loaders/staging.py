"""The staging workspace: one DuckDB file under the workdir holding what ingest produced.

Tables (all keyed by source and record id, so lineage is never lost):

- ``mentions``: one row per entity mentioned by a staged row, with its standardised fields;
- ``relations``: edges between two mentions of one row (RENTS, OWNS, …);
- ``events`` and ``event_participants``: a row that is an event, and its mentions with roles;
- ``quarantine``: rows that could not be staged, with row number, raw content and reason;
- ``records``: content hash per staged record, to tell new, changed and removed rows apart;
- ``record_changes``: what each ingest batch changed;
- ``source_files``: the last ingested state of each source (file and mapping hashes, counts);
- ``batches``: one row per ingest run that changed something.

The per-source tables carry no primary key. Their keys are unique by construction: a source's
record ids are de-duplicated while it is staged (a repeated id is quarantined), a mention's id is
``<source>/<record id>/<role>`` and an event's ``<source>/<record id>`` (source names and roles
are ``[a-z0-9_]+``, so the parts cannot run into each other). An index would only cost: DuckDB
builds a primary key's index in memory at commit, and a 5M-row source (9M mentions) did not commit
within 1 GB with one and did within 512 MB without.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from huitong.vocabulary import MENTION_FIELDS

WORKSPACE_FILE = "workspace.duckdb"

_ARROW_TYPES = {"string": pa.string(), "int64": pa.int64(), "bool": pa.bool_(), "date": pa.date32()}

MENTION_SCHEMA = pa.schema([(f.name, _ARROW_TYPES[f.type]) for f in MENTION_FIELDS])
"""The ``mentions`` table, column for column as :data:`huitong.vocabulary.MENTION_FIELDS`."""

RELATION_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("record_id", pa.string()),
        ("type", pa.string()),
        ("from_mention", pa.string()),
        ("to_mention", pa.string()),
    ]
)

EVENT_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("source", pa.string()),
        ("record_id", pa.string()),
        ("department", pa.string()),
        ("type", pa.string()),
        ("date_raw", pa.string()),
        ("date", pa.date32()),
        ("place_raw", pa.string()),
        ("place", pa.string()),
        ("place_district", pa.string()),
        ("place_street", pa.string()),
        ("place_community", pa.string()),
        ("place_point_key", pa.string()),
        ("attributes", pa.string()),
        ("field_issues", pa.string()),
    ]
)

PARTICIPANT_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("event_id", pa.string()),
        ("mention_id", pa.string()),
        ("role", pa.string()),
    ]
)

QUARANTINE_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("row_number", pa.int64()),
        ("record_id", pa.string()),
        ("reason", pa.string()),
        ("raw", pa.string()),
        ("batch_id", pa.int64()),
    ]
)

RECORD_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("record_id", pa.string()),
        ("row_number", pa.int64()),
        ("content_hash", pa.string()),
    ]
)

_DUCK_TYPES = {
    pa.string(): "VARCHAR",
    pa.int64(): "BIGINT",
    pa.bool_(): "BOOLEAN",
    pa.date32(): "DATE",
}


def _ddl(table: str, schema: pa.Schema) -> str:
    columns = [f'"{f.name}" {_DUCK_TYPES[f.type]}' for f in schema]
    return f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(columns)})"


SCHEMA_SQL = [
    _ddl("mentions", MENTION_SCHEMA),
    _ddl("relations", RELATION_SCHEMA),
    _ddl("events", EVENT_SCHEMA),
    _ddl("event_participants", PARTICIPANT_SCHEMA),
    _ddl("quarantine", QUARANTINE_SCHEMA),
    """CREATE TABLE IF NOT EXISTS records (
        source VARCHAR, record_id VARCHAR, row_number BIGINT, content_hash VARCHAR,
        first_batch BIGINT, changed_batch BIGINT)""",
    """CREATE TABLE IF NOT EXISTS record_changes (
        batch_id BIGINT, source VARCHAR, record_id VARCHAR, change VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS source_files (
        source VARCHAR PRIMARY KEY, department VARCHAR, path VARCHAR, file_hash VARCHAR,
        mapping_hash VARCHAR, batch_id BIGINT, rows_read BIGINT, rows_staged BIGINT,
        rows_quarantined BIGINT, mentions_staged BIGINT)""",
    """CREATE TABLE IF NOT EXISTS batches (
        batch_id BIGINT PRIMARY KEY, started_at TIMESTAMP, config_path VARCHAR,
        finished_at TIMESTAMP)""",
]

PER_SOURCE_TABLES = ("mentions", "relations", "events", "event_participants", "quarantine")


def workspace_path(workdir: Path) -> Path:
    return Path(workdir) / WORKSPACE_FILE


def connect(workdir: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (and create, unless read-only) the workspace of a workdir."""
    path = workspace_path(workdir)
    if read_only:
        return duckdb.connect(str(path), read_only=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(path))
    for statement in SCHEMA_SQL:
        connection.execute(statement)
    _drop_primary_keys(connection)
    _add_missing_columns(connection)
    return connection


UNKEYED_TABLES = ("mentions", "events", "records")
"""Tables an older huitong made with a primary key (see the module's docstring)."""


def _drop_primary_keys(connection: duckdb.DuckDBPyConnection) -> None:
    """Rebuild, without it, a table an older huitong gave a primary key (DuckDB cannot drop a
    constraint): its rows copied as they are, in one transaction per table."""
    keyed = {
        row[0]
        for row in connection.execute(
            "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' "
            "AND database_name = current_database() AND table_name IN "
            f"({', '.join('?' for _ in UNKEYED_TABLES)})",
            list(UNKEYED_TABLES),
        ).fetchall()
    }
    for table in sorted(keyed):
        connection.execute("BEGIN TRANSACTION")
        try:
            connection.execute(f"CREATE TABLE {table}__unkeyed AS SELECT * FROM {table}")
            connection.execute(f"DROP TABLE {table}")
            connection.execute(f"ALTER TABLE {table}__unkeyed RENAME TO {table}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise


_SCHEMAS = {
    "mentions": MENTION_SCHEMA,
    "relations": RELATION_SCHEMA,
    "events": EVENT_SCHEMA,
    "event_participants": PARTICIPANT_SCHEMA,
    "quarantine": QUARANTINE_SCHEMA,
}


def _add_missing_columns(connection: duckdb.DuckDBPyConnection) -> None:
    """Bring a workspace made by an older huitong up to today's schemas: columns added since
    are appended, empty (the bumped standardiser version re-stages every source, filling them;
    staged rows are inserted by column name)."""
    for table, schema in _SCHEMAS.items():
        present = {
            row[0]
            for row in connection.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
            ).fetchall()
        }
        for field in schema:
            if field.name not in present:
                connection.execute(
                    f'ALTER TABLE {table} ADD COLUMN "{field.name}" {_DUCK_TYPES[field.type]}'
                )
