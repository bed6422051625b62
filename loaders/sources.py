"""Staging one source: its rows, standardised, become mentions, relations, events and
participants, or quarantined rows with their reason; nothing is written to the workspace here.
Runs in worker processes (:mod:`loaders.workers`).

The staged rows are written as they come, :data:`SPILL_ROWS` at a time, to one Parquet file per
table in a spill directory (:class:`StagedFiles`), which the ingest then loads into DuckDB: a
source's memory is bounded by a chunk of rows, not its size. The record ids seen so far (to
quarantine a repeated one with the row that had it first) are kept on disk too, in a SQLite
table in the spill directory (:class:`_SeenIds`): in a dict they took 577 MiB at 5M rows.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from loaders import staging
from loaders.config import SourceSpec
from loaders.readers import RawRow, iter_rows
from loaders.report import SourceReport
from loaders.standardising import event_row, standardise_mention
from loaders.submitted import Submitted, with_submitted

SPILL_ROWS = 20_000
"""Staged rows of one table held in memory before they are written to its Parquet file."""

_STAGED_TABLES = (
    ("mentions", staging.MENTION_SCHEMA),
    ("relations", staging.RELATION_SCHEMA),
    ("events", staging.EVENT_SCHEMA),
    ("event_participants", staging.PARTICIPANT_SCHEMA),
    ("quarantine", staging.QUARANTINE_SCHEMA),
    ("records", staging.RECORD_SCHEMA),
)

StagedFiles = dict[str, Path]
"""A staged table's name → its Parquet file (every table has one, empty or not)."""


class _Spill:
    """Staged rows, table by table, written to Parquet :data:`SPILL_ROWS` at a time."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.schemas = dict(_STAGED_TABLES)
        self.pending: dict[str, list[dict]] = {name: [] for name in self.schemas}
        self.counts = dict.fromkeys(self.schemas, 0)
        self._writers: dict[str, pq.ParquetWriter] = {}

    def add(self, table: str, row: dict) -> None:
        self.pending[table].append(row)
        self.counts[table] += 1
        if len(self.pending[table]) >= SPILL_ROWS:
            self._flush(table)

    def extend(self, table: str, rows: list[dict]) -> None:
        for row in rows:
            self.add(table, row)

    def _flush(self, table: str) -> None:
        writer = self._writers.get(table)
        if writer is None:
            path = self.directory / f"{table}.parquet"
            writer = self._writers[table] = pq.ParquetWriter(path, self.schemas[table])
        rows, self.pending[table] = self.pending[table], []
        writer.write_table(pa.Table.from_pylist(rows, schema=self.schemas[table]))

    def close(self) -> StagedFiles:
        """Write what is pending and close the files; every table gets one."""
        for table in self.schemas:
            self._flush(table)
            self._writers[table].close()
        return {table: self.directory / f"{table}.parquet" for table in self.schemas}

    def abandon(self) -> None:
        for writer in self._writers.values():
            writer.close()


class _SeenIds:
    """The record ids of a source seen so far, each with the row that had it first, in a
    SQLite table on disk: memory stays at SQLite's page cache whatever the source's size
    (about 2.3 µs a row, against 300–800 µs to standardise one)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.unlink(missing_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode = OFF")  # scratch: a crashed run's spill is removed
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute(
            "CREATE TABLE seen (record_id TEXT PRIMARY KEY, row_number INTEGER) WITHOUT ROWID"
        )
        self._db.execute("BEGIN")

    def first_row(self, record_id: str, row_number: int) -> int | None:
        """None if ``record_id`` is new (it is remembered at ``row_number``), else the row that
        had it first."""
        inserted = self._db.execute(
            "INSERT OR IGNORE INTO seen VALUES (?, ?)", (record_id, row_number)
        ).rowcount
        if inserted:
            return None
        return self._db.execute(
            "SELECT row_number FROM seen WHERE record_id = ?", (record_id,)
        ).fetchone()[0]

    def close(self) -> None:
        self._db.close()
        self.path.unlink(missing_ok=True)


def _content_hash(values: dict[str, str | None], columns: list[str]) -> str:
    payload = json.dumps([values.get(c) for c in columns], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


@dataclass
class StagedRow:
    """One row of a source, standardised: its mentions (by role), the relations between them,
    and the event it records (with its participants), ready to stage."""

    record_id: str
    row_number: int
    content_hash: str
    mentions: list[dict]
    relations: list[dict]
    event: dict | None
    participants: list[dict]


def record_id_problem(spec: SourceSpec, values: dict[str, str | None]) -> str | None:
    """Why a readable row has no usable record id, or None."""
    if not values.get(spec.record_id):
        return f"missing record id: column '{spec.record_id}' is empty"
    return None


def stage_row(
    spec: SourceSpec, values: dict[str, str | None], row_number: int, columns: list[str]
) -> tuple[StagedRow | None, str | None]:
    """A readable row with a record id, standardised: ``(staged, None)``, or ``(None,
    reason)`` when it must be quarantined (a mention without a usable identifying field, or
    no mention at all). ``columns`` are the mapping's (:meth:`SourceSpec.columns_used`), the
    content hash is over them. Batch ingest and real-time submission stage rows here alike."""
    record_id = values[spec.record_id]
    mentions: dict[str, dict] = {}
    for mention_spec in spec.mentions:
        mention, problem = standardise_mention(mention_spec, values)
        if problem:
            return None, f"no identifying field: {problem}"
        if mention is not None:
            mentions[mention_spec.role] = mention
    if not mentions:
        return None, "no mention: every mapped field is empty"
    content_hash = _content_hash(values, columns)
    entities = {m.role: m.entity for m in spec.mentions}
    for role, mention in mentions.items():
        mention.update(
            mention_id=f"{spec.name}/{record_id}/{role}",
            source=spec.name,
            record_id=record_id,
            role=role,
            entity=entities[role],
            department=spec.department,
            row_number=row_number,
            content_hash=content_hash,
        )
    relations = [
        {
            "source": spec.name,
            "record_id": record_id,
            "type": relation.type,
            "from_mention": mentions[relation.from_role]["mention_id"],
            "to_mention": mentions[relation.to_role]["mention_id"],
        }
        for relation in spec.relations
        if relation.from_role in mentions and relation.to_role in mentions
    ]
    event, participants = None, []
    if spec.event:
        event = event_row(spec, record_id, values)
        participants = [
            {
                "source": spec.name,
                "event_id": event["event_id"],
                "mention_id": mention["mention_id"],
                "role": role,
            }
            for role, mention in mentions.items()
        ]
    staged = StagedRow(
        record_id, row_number, content_hash, list(mentions.values()), relations, event,
        participants,
    )  # fmt: skip
    return staged, None


def stage_source(
    spec: SourceSpec, rows: Iterator[RawRow], report: SourceReport, staged: _Spill
) -> None:
    """Turn a source's rows into staged mentions, relations and events, or quarantined rows,
    added to ``staged``."""
    seen_ids = _SeenIds(staged.directory / "seen_ids.sqlite")
    try:
        _stage_rows(spec, rows, report, staged, seen_ids)
    finally:
        seen_ids.close()
    report.rows_quarantined = staged.counts["quarantine"]
    report.mentions_staged = staged.counts["mentions"]
    report.relations_staged = staged.counts["relations"]
    report.events_staged = staged.counts["events"]


def _stage_rows(
    spec: SourceSpec, rows: Iterator[RawRow], report: SourceReport, staged: _Spill,
    seen_ids: _SeenIds,
) -> None:  # fmt: skip
    columns = spec.columns_used()

    def quarantine(row: RawRow, reason: str, record_id: str | None = None) -> None:
        staged.add(
            "quarantine",
            {
                "source": spec.name,
                "row_number": row.row_number,
                "record_id": record_id,
                "reason": reason,
                "raw": row.raw,
                "batch_id": None,  # set when written
            },
        )
        key = reason.split(":", 1)[0]
        report.quarantine_reasons[key] = report.quarantine_reasons.get(key, 0) + 1

    for row in rows:
        report.rows_read += 1
        if row.values is None:
            quarantine(row, row.error or "unreadable row")
            continue
        problem = record_id_problem(spec, row.values)
        if problem:
            quarantine(row, problem)
            continue
        record_id = row.values[spec.record_id]
        first = seen_ids.first_row(record_id, row.row_number)
        if first is not None:
            quarantine(row, f"duplicate record id: '{record_id}' already at row {first}", record_id)
            continue
        result, problem = stage_row(spec, row.values, row.row_number, columns)
        if result is None:
            quarantine(row, problem or "unreadable row", record_id)
            continue
        staged.extend("mentions", result.mentions)
        staged.extend("relations", result.relations)
        if result.event is not None:
            staged.add("events", result.event)
        staged.extend("event_participants", result.participants)
        staged.add(
            "records",
            {
                "source": spec.name,
                "record_id": record_id,
                "row_number": row.row_number,
                "content_hash": result.content_hash,
            },
        )
        report.rows_staged += 1


def stage_one(
    spec: SourceSpec, spill: Path, submitted: Submitted | None = None, file_hash: str = ""
) -> tuple[SourceReport, StagedFiles]:
    """Read and standardise one source (in a worker process) into Parquet files under
    ``spill`` (made afresh), its file with the rows submitted in real time in force
    (:func:`loaders.submitted.with_submitted`; ``file_hash`` is the file's); nothing is
    written to the workspace here."""
    started = time.monotonic()
    report = SourceReport(spec.name, spec.department)
    shutil.rmtree(spill, ignore_errors=True)
    spill.mkdir(parents=True)
    staged = _Spill(spill)
    rows = with_submitted(
        iter_rows(spec.path, spec.format, spec.encoding), submitted, file_hash, spec.record_id
    )
    try:
        stage_source(spec, rows, report, staged)
    except BaseException:
        staged.abandon()
        raise
    files = staged.close()
    report.seconds = round(time.monotonic() - started, 3)
    return report, files
