"""Staging one source: its rows, standardised, become mentions, relations, events and
participants, or quarantined rows with their reason; nothing is written here. Runs in worker
processes (:mod:`loaders.workers`), so its result is Arrow tables, cheap to send back.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa

from loaders import staging
from loaders.config import SourceSpec
from loaders.readers import RawRow, iter_rows
from loaders.report import SourceReport
from loaders.standardising import event_row, standardise_mention


@dataclass
class _Staged:
    mentions: list[dict] = field(default_factory=list)
    relations: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    participants: list[dict] = field(default_factory=list)
    quarantine: list[dict] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)


def _content_hash(values: dict[str, str | None], columns: list[str]) -> str:
    payload = json.dumps([values.get(c) for c in columns], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def stage_source(spec: SourceSpec, rows: Iterator[RawRow], report: SourceReport) -> _Staged:
    """Turn a source's rows into staged mentions, relations and events, or quarantined rows."""
    staged = _Staged()
    seen_ids: dict[str, int] = {}
    columns = spec.columns_used()

    def quarantine(row: RawRow, reason: str, record_id: str | None = None) -> None:
        staged.quarantine.append(
            {
                "source": spec.name,
                "row_number": row.row_number,
                "record_id": record_id,
                "reason": reason,
                "raw": row.raw,
            }
        )
        key = reason.split(":", 1)[0]
        report.quarantine_reasons[key] = report.quarantine_reasons.get(key, 0) + 1

    for row in rows:
        report.rows_read += 1
        if row.values is None:
            quarantine(row, row.error or "unreadable row")
            continue
        record_id = row.values.get(spec.record_id)
        if not record_id:
            quarantine(row, f"missing record id: column '{spec.record_id}' is empty")
            continue
        if record_id in seen_ids:
            quarantine(
                row,
                f"duplicate record id: '{record_id}' already at row {seen_ids[record_id]}",
                record_id,
            )
            continue
        seen_ids[record_id] = row.row_number
        mentions: dict[str, dict] = {}
        problem = None
        for mention_spec in spec.mentions:
            mention, problem = standardise_mention(mention_spec, row.values)
            if problem:
                problem = f"no identifying field: {problem}"
                break
            if mention is not None:
                mentions[mention_spec.role] = mention
        if problem:
            quarantine(row, problem, record_id)
            continue
        if not mentions:
            quarantine(row, "no mention: every mapped field is empty", record_id)
            continue
        content_hash = _content_hash(row.values, columns)
        for role, mention in mentions.items():
            mention.update(
                mention_id=f"{spec.name}/{record_id}/{role}",
                source=spec.name,
                record_id=record_id,
                role=role,
                entity=next(m.entity for m in spec.mentions if m.role == role),
                department=spec.department,
                row_number=row.row_number,
                content_hash=content_hash,
            )
            staged.mentions.append(mention)
        for relation in spec.relations:
            if relation.from_role in mentions and relation.to_role in mentions:
                staged.relations.append(
                    {
                        "source": spec.name,
                        "record_id": record_id,
                        "type": relation.type,
                        "from_mention": mentions[relation.from_role]["mention_id"],
                        "to_mention": mentions[relation.to_role]["mention_id"],
                    }
                )
        if spec.event:
            event = event_row(spec, record_id, row.values)
            staged.events.append(event)
            for role, mention in mentions.items():
                staged.participants.append(
                    {
                        "source": spec.name,
                        "event_id": event["event_id"],
                        "mention_id": mention["mention_id"],
                        "role": role,
                    }
                )
        staged.records.append(
            {
                "source": spec.name,
                "record_id": record_id,
                "row_number": row.row_number,
                "content_hash": content_hash,
            }
        )
        report.rows_staged += 1
    report.rows_quarantined = len(staged.quarantine)
    report.mentions_staged = len(staged.mentions)
    report.relations_staged = len(staged.relations)
    report.events_staged = len(staged.events)
    return staged


def _table(rows: list[dict], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


_STAGED_TABLES = (
    ("mentions", staging.MENTION_SCHEMA),
    ("relations", staging.RELATION_SCHEMA),
    ("events", staging.EVENT_SCHEMA),
    ("event_participants", staging.PARTICIPANT_SCHEMA),
    ("quarantine", staging.QUARANTINE_SCHEMA),
    ("records", staging.RECORD_SCHEMA),
)


def _as_arrow(staged: _Staged) -> dict[str, pa.Table]:
    """The staged rows as Arrow tables (cheap to send between processes, read by DuckDB)."""
    lists = {
        "mentions": staged.mentions,
        "relations": staged.relations,
        "events": staged.events,
        "event_participants": staged.participants,
        "quarantine": staged.quarantine,
        "records": staged.records,
    }
    return {name: _table(lists[name], schema) for name, schema in _STAGED_TABLES}


def stage_one(spec: SourceSpec) -> tuple[SourceReport, dict[str, pa.Table]]:
    """Read and standardise one source (in a worker process); nothing is written here."""
    started = time.monotonic()
    report = SourceReport(spec.name, spec.department)
    staged = stage_source(spec, iter_rows(spec.path, spec.format, spec.encoding), report)
    tables = _as_arrow(staged)
    report.seconds = round(time.monotonic() - started, 3)
    return report, tables
