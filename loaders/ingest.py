"""Ingest: read every source, standardise, stage mentions, relations, events; quarantine the rest.

For each source the whole file is read and its staged rows are replaced in one DuckDB transaction,
so a crash leaves the previous state and a re-run gives the same result. A source whose file and
mapping are unchanged since the last ingest is skipped (nothing changes); otherwise each record is
compared by content hash with the previous ingest and recorded as new, changed or removed.

Counts always reconcile: ``rows_read == rows_staged + rows_quarantined`` per source.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from huitong.standardise import (
    parse_address,
    parse_date,
    standardise_enterprise_name,
    standardise_gender,
    standardise_person_name,
    standardise_phone,
    standardise_resident_id,
    standardise_uscc,
)
from huitong.standardise.names import homophone_key
from huitong.vocabulary import IDENTIFYING_FIELDS
from loaders import staging
from loaders.config import MentionSpec, SourcesConfig, SourceSpec
from loaders.readers import RawRow, iter_rows

REPORT_FILE = "ingest_report.json"
_CACHE = 1 << 18


@dataclass
class SourceReport:
    name: str
    department: str
    rows_read: int = 0
    rows_staged: int = 0
    rows_quarantined: int = 0
    mentions_staged: int = 0
    relations_staged: int = 0
    events_staged: int = 0
    rows_new: int = 0
    rows_changed: int = 0
    rows_unchanged: int = 0
    rows_removed: int = 0
    skipped_unchanged_file: bool = False
    seconds: float = 0.0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)


@dataclass
class IngestReport:
    batch_id: int | None
    sources: list[SourceReport]
    seconds: float

    def to_json(self) -> dict:
        return {
            "batch_id": self.batch_id,
            "seconds": round(self.seconds, 3),
            "sources": [asdict(source) for source in self.sources],
            "totals": {
                key: sum(getattr(s, key) for s in self.sources)
                for key in (
                    "rows_read",
                    "rows_staged",
                    "rows_quarantined",
                    "mentions_staged",
                    "relations_staged",
                    "events_staged",
                )
            },
        }


# -- standardisation, cached: department files repeat the same names and addresses a lot ------
_name = lru_cache(_CACHE)(standardise_person_name)
_enterprise = lru_cache(_CACHE)(standardise_enterprise_name)
_resident_id = lru_cache(_CACHE)(standardise_resident_id)
_uscc = lru_cache(_CACHE)(standardise_uscc)
_phone = lru_cache(_CACHE)(standardise_phone)
_address = lru_cache(_CACHE)(parse_address)
_homophone = lru_cache(_CACHE)(homophone_key)
_MENTION_COLUMNS = tuple(staging.MENTION_SCHEMA.names)


@lru_cache(_CACHE)
def _date(raw: str) -> tuple[date | None, str | None]:
    try:
        return parse_date(raw), None
    except ValueError as error:
        return None, str(error)


@lru_cache(1024)
def _gender(raw: str) -> tuple[str | None, str | None]:
    try:
        return standardise_gender(raw), None
    except ValueError as error:
        return None, str(error)


def _field_value(values: dict[str, str | None], columns: tuple[str, ...]) -> str | None:
    """One canonical field from its column(s): several are joined with one space."""
    if len(columns) == 1:
        return values.get(columns[0])
    parts = [values.get(column) for column in columns]
    joined = " ".join(part for part in parts if part)
    return joined or None


def _empty_mention() -> dict:
    return dict.fromkeys(_MENTION_COLUMNS)


def standardise_mention(
    spec: MentionSpec, values: dict[str, str | None]
) -> tuple[dict | None, str | None]:
    """A mention's standardised fields, or ``(None, None)`` when the row does not mention it.

    Returns ``(None, reason)`` when the mention is present but has no usable identifying field.
    Field-level problems (a bad check digit, an unreadable date) are kept in ``field_issues``;
    the raw value is always kept beside the standardised one.
    """
    raw = {name: _field_value(values, columns) for name, columns in spec.fields.items()}
    attributes = {name: values.get(column) for name, column in spec.attributes.items()}
    if not any(raw.values()):
        return None, None
    row = _empty_mention()
    issues: list[str] = []
    entity = spec.entity
    name_raw = raw.get("name")
    if name_raw:
        row["name_raw"] = name_raw
        if entity == "person":
            name = _name(name_raw)
            if name:
                row.update(
                    name=name.text,
                    name_script=name.script,
                    name_key=name.key,
                    name_homophone_key=_homophone(name),
                    surname=name.surname,
                    surname_key=name.surname_key,
                    given_name=name.given,
                )
        else:
            enterprise = _enterprise(name_raw)
            if enterprise:
                row.update(
                    name=enterprise.text,
                    name_key=enterprise.key,
                    ent_brand=enterprise.brand,
                    ent_legal_form=enterprise.legal_form,
                    ent_city=enterprise.city,
                    ent_is_branch=enterprise.is_branch,
                    ent_branch_name=enterprise.branch_name,
                )
    id_raw = raw.get("id_number")
    if id_raw:
        rid = _resident_id(id_raw)
        row["id_number_raw"] = id_raw
        if rid:
            row.update(
                id_number=rid.value,
                id_valid=rid.valid,
                id_problem=rid.problem,
                id_is_foreign=rid.is_foreign,
                id_converted_from_15=rid.converted_from_15,
                id_birth_date=rid.birth_date,
                id_gender=rid.gender,
            )
            if rid.problem and not rid.is_foreign:
                issues.append(f"id_number: {rid.problem}")
    birth_raw = raw.get("birth_date")
    if birth_raw:
        row["birth_date_raw"] = birth_raw
        row["birth_date"], problem = _date(birth_raw)
        if problem:
            issues.append(f"birth_date: {problem}")
    gender_raw = raw.get("gender")
    if gender_raw:
        row["gender_raw"] = gender_raw
        row["gender"], problem = _gender(gender_raw)
        if problem:
            issues.append(f"gender: {problem}")
    phone_raw = raw.get("phone")
    if phone_raw:
        phone = _phone(phone_raw)
        row["phone_raw"] = phone_raw
        if phone:
            row.update(phone=phone.value, phone_kind=phone.kind, phone_valid=phone.valid)
            if phone.problem:
                issues.append(f"phone: {phone.problem}")
    uscc_raw = raw.get("uscc")
    if uscc_raw:
        uscc = _uscc(uscc_raw)
        row["uscc_raw"] = uscc_raw
        if uscc:
            row.update(uscc=uscc.value, uscc_valid=uscc.valid, uscc_problem=uscc.problem)
            if uscc.problem:
                issues.append(f"uscc: {uscc.problem}")
    address_raw = raw.get("address")
    if address_raw:
        row["address_raw"] = address_raw
        address = _address(address_raw)
        if address:
            row.update(
                address=address.text,
                district=address.district,
                street=address.street,
                community=address.community,
                road=address.road,
                house_number=address.number,
                sub_number=address.sub_number,
                building=address.building,
                room=address.room,
                point_key=address.point_key,
                unit_key=address.unit_key,
                address_problem=address.problem,
            )
            if address.problem:
                issues.append(f"address: {address.problem}")
    identifying = {
        "name": row["name"],
        "id_number": row["id_number"],
        "uscc": row["uscc"],
        "address": row["address"],
    }
    if not any(identifying[f] for f in IDENTIFYING_FIELDS[entity]):
        wanted = " or ".join(IDENTIFYING_FIELDS[entity])
        return None, f"mention '{spec.role}' ({entity}) has no usable {wanted}"
    row["attributes"] = json.dumps(
        {k: v for k, v in attributes.items() if v is not None}, ensure_ascii=False
    )
    row["field_issues"] = json.dumps(issues, ensure_ascii=False) if issues else None
    return row, None


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
            event = _event_row(spec, record_id, row.values)
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


def _event_row(spec: SourceSpec, record_id: str, values: dict[str, str | None]) -> dict:
    assert spec.event is not None
    issues: list[str] = []
    event = {
        "event_id": f"{spec.name}/{record_id}",
        "source": spec.name,
        "record_id": record_id,
        "department": spec.department,
        "type": spec.event.type,
        "date_raw": None,
        "date": None,
        "place_raw": None,
        "place": None,
        "place_district": None,
        "place_street": None,
        "place_community": None,
        "place_point_key": None,
        "attributes": json.dumps(
            {k: values.get(c) for k, c in spec.event.attributes.items() if values.get(c)},
            ensure_ascii=False,
        ),
    }
    if spec.event.date and values.get(spec.event.date):
        event["date_raw"] = values[spec.event.date]
        event["date"], problem = _date(event["date_raw"])
        if problem:
            issues.append(f"date: {problem}")
    if spec.event.place and values.get(spec.event.place):
        event["place_raw"] = values[spec.event.place]
        place = _address(event["place_raw"])
        if place:
            event.update(
                place=place.text,
                place_district=place.district,
                place_street=place.street,
                place_community=place.community,
                place_point_key=place.point_key,
            )
            if place.problem:
                issues.append(f"place: {place.problem}")
    event["field_issues"] = json.dumps(issues, ensure_ascii=False) if issues else None
    return event


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _mapping_hash(spec: SourceSpec) -> str:
    payload = json.dumps(
        {
            "department": spec.department,
            "format": spec.format,
            "encoding": spec.encoding,
            "record_id": spec.record_id,
            "mentions": [asdict(m) for m in spec.mentions],
            "relations": [asdict(r) for r in spec.relations],
            "event": asdict(spec.event) if spec.event else None,
            "standardiser": STANDARDISER_VERSION,
        },
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


STANDARDISER_VERSION = "2"
"""Bump when standardisation changes, so the next ingest re-stages unchanged files."""


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


def _with_batch(table: pa.Table, batch_id: int) -> pa.Table:
    index = table.schema.get_field_index("batch_id")
    return table.set_column(index, "batch_id", pa.array([batch_id] * len(table), pa.int64()))


def _write_source(connection, spec: SourceSpec, staged: dict[str, pa.Table],
                  report: SourceReport, batch_id: int, file_hash: str,
                  mapping_hash: str) -> None:  # fmt: skip
    """Replace one source's staged rows atomically and record what changed."""
    staged = {
        **staged,
        "mentions": _with_batch(staged["mentions"], batch_id),
        "quarantine": _with_batch(staged["quarantine"], batch_id),
    }
    connection.execute("BEGIN TRANSACTION")
    try:
        for table in staging.PER_SOURCE_TABLES:
            connection.execute(f"DELETE FROM {table} WHERE source = ?", [spec.name])
        for table in staging.PER_SOURCE_TABLES:
            arrow = staged[table]  # read by DuckDB's replacement scan
            if len(arrow):
                connection.execute(f"INSERT INTO {table} SELECT * FROM arrow")
        current = staged["records"]  # noqa: F841 - read by DuckDB's replacement scan
        connection.execute(
            """
            CREATE OR REPLACE TEMP TABLE change_set AS
            SELECT coalesce(c.source, r.source) AS source,
                   coalesce(c.record_id, r.record_id) AS record_id,
                   CASE WHEN r.record_id IS NULL THEN 'new'
                        WHEN c.record_id IS NULL THEN 'removed'
                        WHEN r.content_hash <> c.content_hash THEN 'changed'
                        ELSE 'unchanged' END AS change,
                   c.row_number, c.content_hash
            FROM current c
            FULL OUTER JOIN (SELECT * FROM records WHERE source = ?) r
              ON c.record_id = r.record_id
            """,
            [spec.name],
        )
        counts = dict(
            connection.execute("SELECT change, count(*) FROM change_set GROUP BY change").fetchall()
        )
        report.rows_new = counts.get("new", 0)
        report.rows_changed = counts.get("changed", 0)
        report.rows_unchanged = counts.get("unchanged", 0)
        report.rows_removed = counts.get("removed", 0)
        connection.execute(
            """
            INSERT INTO record_changes
            SELECT ?, source, record_id, change FROM change_set WHERE change <> 'unchanged'
            """,
            [batch_id],
        )
        connection.execute(
            """
            CREATE OR REPLACE TEMP TABLE next_records AS
            SELECT s.source, s.record_id, s.row_number, s.content_hash,
                   coalesce(r.first_batch, ?) AS first_batch,
                   CASE WHEN s.change = 'unchanged' THEN r.changed_batch ELSE ? END
                       AS changed_batch
            FROM change_set s
            LEFT JOIN (SELECT * FROM records WHERE source = ?) r USING (record_id)
            WHERE s.change <> 'removed'
            """,
            [batch_id, batch_id, spec.name],
        )
        connection.execute("DELETE FROM records WHERE source = ?", [spec.name])
        connection.execute(
            "INSERT INTO records SELECT source, record_id, row_number, content_hash, "
            "first_batch, changed_batch FROM next_records"
        )
        connection.execute("DELETE FROM source_files WHERE source = ?", [spec.name])
        connection.execute(
            "INSERT INTO source_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                spec.name,
                spec.department,
                str(spec.path),
                file_hash,
                mapping_hash,
                batch_id,
                report.rows_read,
                report.rows_staged,
                report.rows_quarantined,
                report.mentions_staged,
            ],
        )
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _previous(connection, spec: SourceSpec) -> tuple | None:
    return connection.execute(
        "SELECT file_hash, mapping_hash, rows_read, rows_staged, rows_quarantined, "
        "mentions_staged FROM source_files WHERE source = ?",
        [spec.name],
    ).fetchone()


def _count_rows(connection, table: str, source: str) -> int:
    return connection.execute(
        f"SELECT count(*) FROM {table} WHERE source = ?", [source]
    ).fetchone()[0]


def _stage_one(spec: SourceSpec) -> tuple[SourceReport, dict[str, pa.Table]]:
    """Read and standardise one source (in a worker process); nothing is written here."""
    started = time.monotonic()
    report = SourceReport(spec.name, spec.department)
    staged = stage_source(spec, iter_rows(spec.path, spec.format, spec.encoding), report)
    tables = _as_arrow(staged)
    report.seconds = round(time.monotonic() - started, 3)
    return report, tables


PARALLEL_MIN_BYTES = 8 << 20
"""Below this much input, starting worker processes costs more than it saves."""


def _stage_all(
    specs: list[SourceSpec], workers: int
) -> Iterator[tuple[SourceReport, dict[str, pa.Table]]]:
    """Stage sources, in parallel when ``workers > 1``, yielding results in ``specs`` order."""
    total_bytes = sum(spec.path.stat().st_size for spec in specs)
    if workers <= 1 or len(specs) == 1 or total_bytes < PARALLEL_MIN_BYTES:
        for spec in specs:
            yield _stage_one(spec)
        return
    # spawn, not fork: a forked child inherits the parent's DuckDB and Arrow threads mid-state
    # and occasionally crashed (BrokenProcessPool).
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        # Largest files first keeps both workers busy to the end.
        by_size = sorted(specs, key=lambda s: s.path.stat().st_size, reverse=True)
        futures = {spec.name: pool.submit(_stage_one, spec) for spec in by_size}
        for spec in specs:
            yield futures[spec.name].result()


def _copy_counts(source: SourceReport, target: SourceReport) -> None:
    for name in ("rows_read", "rows_staged", "rows_quarantined", "mentions_staged",
                 "relations_staged", "events_staged", "seconds"):  # fmt: skip
        setattr(target, name, getattr(source, name))
    target.quarantine_reasons = dict(source.quarantine_reasons)


def default_workers() -> int:
    """Worker processes for staging: ``HUITONG_INGEST_WORKERS``, else one per core."""
    configured = os.environ.get("HUITONG_INGEST_WORKERS")
    return max(1, int(configured)) if configured else max(1, os.cpu_count() or 1)


def ingest(
    config: SourcesConfig,
    workdir: Path,
    *,
    progress: bool = True,
    workers: int | None = None,
) -> IngestReport:
    """Ingest every source of ``config`` into ``workdir``; writes ``ingest_report.json``.

    Sources are read and standardised in ``workers`` processes (default: one per core) and
    written one by one, each in its own transaction, in config order.
    """
    workers = workers or default_workers()
    began = time.monotonic()
    workdir = Path(workdir)
    connection = staging.connect(workdir)
    reports: list[SourceReport] = []
    batch_id: int | None = None
    try:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            disable=not progress,
            transient=False,
        ) as bar:
            pending: list[tuple[SourceSpec, SourceReport, str, str]] = []
            for spec in config.sources:
                report = SourceReport(spec.name, spec.department)
                reports.append(report)
                file_hash = _file_hash(spec.path)
                mapping_hash = _mapping_hash(spec)
                previous = _previous(connection, spec)
                if previous and previous[:2] == (file_hash, mapping_hash):
                    (report.rows_read, report.rows_staged, report.rows_quarantined,
                     report.mentions_staged) = previous[2:]  # fmt: skip
                    report.relations_staged = _count_rows(connection, "relations", spec.name)
                    report.events_staged = _count_rows(connection, "events", spec.name)
                    report.rows_unchanged = report.rows_staged
                    report.skipped_unchanged_file = True
                    continue
                pending.append((spec, report, file_hash, mapping_hash))
            if pending:
                batch_id = _new_batch(connection, config.path)
                task = bar.add_task(
                    f"{len(pending)} source(s), {workers} worker(s)",
                    total=sum(spec.path.stat().st_size for spec, *_ in pending),
                )
                staged_sources = _stage_all([spec for spec, *_ in pending], workers)
                for spec, report, file_hash, mapping_hash in pending:
                    staged_report, staged = next(staged_sources)
                    _copy_counts(staged_report, report)
                    _write_source(
                        connection, spec, staged, report, batch_id, file_hash, mapping_hash
                    )
                    bar.advance(task, spec.path.stat().st_size)
        removed = _remove_dropped_sources(connection, config)
        if removed and batch_id is None:
            batch_id = _new_batch(connection, config.path)
        if batch_id is not None:
            _finish_batch(connection, batch_id)
    finally:
        connection.close()
    result = IngestReport(batch_id, reports, time.monotonic() - began)
    write_json_atomic(workdir / REPORT_FILE, result.to_json())
    return result


def _remove_dropped_sources(connection, config: SourcesConfig) -> list[str]:
    """Sources staged earlier but no longer in the config are unstaged (their rows removed)."""
    known = {spec.name for spec in config.sources}
    staged = [r[0] for r in connection.execute("SELECT source FROM source_files").fetchall()]
    dropped = sorted(set(staged) - known)
    for name in dropped:
        connection.execute("BEGIN TRANSACTION")
        for table in (*staging.PER_SOURCE_TABLES, "records", "source_files"):
            connection.execute(f"DELETE FROM {table} WHERE source = ?", [name])
        connection.execute("COMMIT")
    return dropped


def _new_batch(connection, config_path: Path) -> int:
    """A new batch id; an unfinished batch (a crashed run) is taken up again, so a re-run after a
    crash stages exactly what an uninterrupted run would have, batch ids included."""
    unfinished = connection.execute(
        "SELECT max(batch_id) FROM batches WHERE finished_at IS NULL"
    ).fetchone()[0]
    if unfinished is not None:
        return unfinished
    batch_id = connection.execute("SELECT coalesce(max(batch_id), 0) + 1 FROM batches").fetchone()
    connection.execute(
        "INSERT INTO batches VALUES (?, current_timestamp, ?, NULL)",
        [batch_id[0], str(config_path)],
    )
    return batch_id[0]


def _finish_batch(connection, batch_id: int) -> None:
    connection.execute(
        "UPDATE batches SET finished_at = current_timestamp WHERE batch_id = ?", [batch_id]
    )


def write_json_atomic(path: Path, payload: dict) -> None:
    """Write JSON through a temporary file and a rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    os.replace(temporary, path)
