"""What changed since the last ingest, and writing it: each source's staged rows replace the
previous ones in one transaction, records compared by content hash (new, changed, unchanged,
removed) and logged in ``record_changes``; batches number the runs that changed something, a
crashed run's batch taken up again by the next."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

from loaders import staging
from loaders.config import SourcesConfig, SourceSpec
from loaders.report import SourceReport
from loaders.sources import StagedFiles
from loaders.standardising import STANDARDISER_VERSION


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def mapping_hash(spec: SourceSpec) -> str:
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


_BATCHED = frozenset({"mentions", "quarantine"})
"""Staged tables whose rows carry the batch that wrote them."""


def _parquet(path: Path) -> str:
    return "read_parquet('" + str(path).replace("'", "''") + "')"


def write_source(connection, spec: SourceSpec, staged: StagedFiles,
                  report: SourceReport, batch_id: int, file_hash: str,
                  mapping_hash: str) -> None:  # fmt: skip
    """Replace one source's staged rows (the Parquet files of
    :func:`loaders.sources.stage_one`) atomically and record what changed."""
    connection.execute("BEGIN TRANSACTION")
    try:
        for table in staging.PER_SOURCE_TABLES:
            connection.execute(f"DELETE FROM {table} WHERE source = ?", [spec.name])
        for table in staging.PER_SOURCE_TABLES:
            columns = "* REPLACE (CAST(? AS BIGINT) AS batch_id)" if table in _BATCHED else "*"
            connection.execute(
                f"INSERT INTO {table} BY NAME SELECT {columns} FROM {_parquet(staged[table])}",
                [batch_id] if table in _BATCHED else [],
            )
        connection.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE change_set AS
            SELECT coalesce(c.source, r.source) AS source,
                   coalesce(c.record_id, r.record_id) AS record_id,
                   CASE WHEN r.record_id IS NULL THEN 'new'
                        WHEN c.record_id IS NULL THEN 'removed'
                        WHEN r.content_hash <> c.content_hash THEN 'changed'
                        ELSE 'unchanged' END AS change,
                   c.row_number, c.content_hash
            FROM {_parquet(staged["records"])} c
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


def previous(connection, spec: SourceSpec) -> tuple | None:
    return connection.execute(
        "SELECT file_hash, mapping_hash, rows_read, rows_staged, rows_quarantined, "
        "mentions_staged FROM source_files WHERE source = ?",
        [spec.name],
    ).fetchone()


def count_rows(connection, table: str, source: str) -> int:
    return connection.execute(
        f"SELECT count(*) FROM {table} WHERE source = ?", [source]
    ).fetchone()[0]


def quarantine_reasons(connection, source: str) -> dict[str, int]:
    """Quarantined rows of a source per reason (the text before the first colon), as the
    report counts them when the source is staged."""
    rows = connection.execute(
        "SELECT split_part(reason, ':', 1) AS kind, count(*) FROM quarantine WHERE source = ? "
        "GROUP BY kind ORDER BY kind",
        [source],
    ).fetchall()
    return dict(rows)


def remove_dropped_sources(connection, config: SourcesConfig) -> list[str]:
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


def new_batch(connection, config_path: Path) -> int:
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


def finish_batch(connection, batch_id: int) -> None:
    connection.execute(
        "UPDATE batches SET finished_at = current_timestamp WHERE batch_id = ?", [batch_id]
    )
