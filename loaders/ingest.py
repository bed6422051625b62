"""Ingest: read every source, standardise, stage mentions, relations, events; quarantine the rest.

Each source's file is streamed, its staged rows spilled to Parquet as they come (see
:mod:`loaders.sources`), then they replace the source's previous rows in one DuckDB transaction,
so a crash leaves the previous state and a re-run gives the same result. A source whose file and
mapping are unchanged since the last ingest is skipped (nothing changes); otherwise each record is
compared by content hash with the previous ingest and recorded as new, changed or removed.

Counts always reconcile: ``rows_read == rows_staged + rows_quarantined`` per source.

The work is split by concept: :mod:`loaders.standardising` (a row's mentions and event),
:mod:`loaders.sources` (a source's rows → staged tables), :mod:`loaders.workers` (the process
pool), :mod:`loaders.changes` (what changed, written per source in one transaction) and
:mod:`loaders.report`; this module runs them in order.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import duckdb

from huitong.files import write_json_atomic
from huitong.progress import Progress, report
from loaders import staging
from loaders.changes import (
    count_rows,
    file_hash,
    finish_batch,
    mapping_hash,
    new_batch,
    previous,
    quarantine_reasons,
    remove_dropped_sources,
)
from loaders.changes import write_source as _write_source
from loaders.config import SourcesConfig, SourceSpec
from loaders.errors import LoaderError
from loaders.report import IngestReport, SourceReport
from loaders.submitted import combined_hash, read_submitted
from loaders.workers import default_workers, stage_all

__all__ = ["REPORT_FILE", "IngestReport", "SourceReport", "ingest", "write_json_atomic"]

REPORT_FILE = "ingest_report.json"
SPILL_DIR = "ingest-spill"
"""The workdir's directory of staged rows between staging and writing (removed after)."""
PARALLEL_MIN_BYTES = 8 << 20
"""Below this much input, starting worker processes costs more than it saves."""
DEFAULT_MEMORY = "1GB"
"""DuckDB's memory while ingest writes (``HUITONG_INGEST_MEMORY``). Loading a source's staged
rows in one transaction spills to the workspace's temporary directory past it instead of growing
with the source (without a limit DuckDB held about 180 MB more per 100,000 household rows). The
staged tables have no primary key, so nothing must fit in memory at commit: a 5M-row household
source (9.0M mentions) is written within 512 MB (63 s), 1 GB (56 s) or 2 GB (31 s)."""
_MEMORY = re.compile(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


def memory_limit() -> str:
    """DuckDB's memory limit for ingest: ``HUITONG_INGEST_MEMORY`` (e.g. ``1GB``) or
    :data:`DEFAULT_MEMORY`."""
    value = os.environ.get("HUITONG_INGEST_MEMORY", "").strip() or DEFAULT_MEMORY
    if not _MEMORY.fullmatch(value):
        raise LoaderError(
            f"HUITONG_INGEST_MEMORY must be a size such as 512MB or 2GB, got {value!r}"
        )
    return value


def ingest(
    config: SourcesConfig,
    workdir: Path,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
) -> IngestReport:
    """Ingest every source of ``config`` into ``workdir``; writes ``ingest_report.json``.

    Each source is its file with the rows submitted in real time in force (the workdir's
    journal, :mod:`loaders.submitted`); the report says up to which journal entry
    (``submitted_through``). Sources are read and standardised in ``workers`` processes
    (default: one per core) and written one by one, each in its own transaction, in config
    order. ``progress`` hears ``("ingest", bytes done, bytes to do)`` as each source is written.
    """
    workers = workers or default_workers()
    began = time.monotonic()
    workdir = Path(workdir)
    submitted, submitted_through = read_submitted(workdir)
    limit = memory_limit()
    connection = staging.connect(workdir)
    connection.execute(f"SET memory_limit = '{limit}'")
    reports: list[SourceReport] = []
    batch_id: int | None = None
    spill = workdir / SPILL_DIR
    shutil.rmtree(spill, ignore_errors=True)  # a killed run's
    try:
        pending: list[tuple[SourceSpec, SourceReport, str, str]] = []
        file_hashes: dict[str, str] = {}
        for spec in config.sources:
            source_report = SourceReport(spec.name, spec.department)
            reports.append(source_report)
            file_hashes[spec.name] = file_hash(spec.path)
            source_hash = combined_hash(file_hashes[spec.name], submitted.get(spec.name))
            hashes = source_hash, mapping_hash(spec)
            last = previous(connection, spec)
            if last and last[:2] == hashes:
                _unchanged(connection, spec, source_report, last)
                continue
            pending.append((spec, source_report, *hashes))
        if pending:
            batch_id = new_batch(connection, config.path)
            total = sum(spec.path.stat().st_size for spec, *_ in pending)
            done = 0
            report(progress, "ingest", done, total)
            staged_sources = stage_all(
                [spec for spec, *_ in pending],
                workers,
                PARALLEL_MIN_BYTES,
                spill,
                submitted=submitted,
                file_hashes=file_hashes,
            )
            for spec, source_report, file_digest, mapping_digest in pending:
                staged_report, staged = next(staged_sources)
                _copy_counts(staged_report, source_report)
                try:
                    _write_source(
                        connection, spec, staged, source_report, batch_id, file_digest,
                        mapping_digest,
                    )  # fmt: skip
                except duckdb.Error as error:
                    message = str(error).lower()
                    if "out of memory" not in message and "could not allocate" not in message:
                        raise
                    raise LoaderError(
                        f"{spec.name}: writing its {source_report.rows_staged:,} staged rows ran "
                        f"out of DuckDB's ingest memory ({limit}); nothing of it was written. "
                        "Raise HUITONG_INGEST_MEMORY (e.g. 4GB) and run again."
                    ) from error
                shutil.rmtree(staged["records"].parent, ignore_errors=True)
                done += spec.path.stat().st_size
                report(progress, "ingest", done, total)
        removed = remove_dropped_sources(connection, config)
        if removed and batch_id is None:
            batch_id = new_batch(connection, config.path)
        if batch_id is not None:
            finish_batch(connection, batch_id)
    finally:
        connection.execute("RESET memory_limit")  # in case the database is shared in-process
        connection.close()
        shutil.rmtree(spill, ignore_errors=True)
    result = IngestReport(batch_id, reports, time.monotonic() - began, submitted_through)
    write_json_atomic(workdir / REPORT_FILE, result.to_json())
    return result


def _unchanged(connection, spec: SourceSpec, source_report: SourceReport, last: tuple) -> None:
    """A source whose file and mapping are as last ingested: its counts, nothing staged."""
    (source_report.rows_read, source_report.rows_staged, source_report.rows_quarantined,
     source_report.mentions_staged) = last[2:]  # fmt: skip
    source_report.relations_staged = count_rows(connection, "relations", spec.name)
    source_report.events_staged = count_rows(connection, "events", spec.name)
    source_report.quarantine_reasons = quarantine_reasons(connection, spec.name)
    source_report.rows_unchanged = source_report.rows_staged
    source_report.skipped_unchanged_file = True


def _copy_counts(source: SourceReport, target: SourceReport) -> None:
    for name in ("rows_read", "rows_staged", "rows_quarantined", "mentions_staged",
                 "relations_staged", "events_staged", "seconds"):  # fmt: skip
        setattr(target, name, getattr(source, name))
    target.quarantine_reasons = dict(source.quarantine_reasons)
