"""Rows departments submitted in real time, read back as part of their source.

The real-time engine records every submission and retraction in the workdir's journal
(:mod:`huitong.journal`); ingest reads a source as its file *with the journal's word in force*:

- a submitted row (the latest version of its record ID) is a row of the source: it replaces
  the file's row with the same record ID, or comes after the file's rows when the file has
  none (numbered after the file's last row, in the order submitted, so it is the most recent);
- a retracted record is not a row of the source, even when the file has it;
- but a file delivered *after* a submission (its content differs from the file the server
  knew when the row was submitted) is the newer word on every record it carries: its row
  stands, and the submission or retraction only counts for records the file does not carry.

Rows a submission quarantined never become rows of the source (the record keeps its previous
version); they are answered with their reason and kept in the journal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from huitong.journal import Journal
from loaders.readers import RawRow


@dataclass(frozen=True)
class SubmittedRecord:
    """The journal's latest word on one record: its row (``values``), or retracted (None)."""

    record_id: str
    values: dict[str, str | None] | None
    raw: str
    file_hash: str | None
    """the source file's hash when the server took the submission."""
    seq: int


@dataclass
class Submitted:
    """The journal's word on one source's records, in the order last submitted."""

    source: str
    records: dict[str, SubmittedRecord] = field(default_factory=dict)

    def digest(self) -> str:
        """A hash of everything here, so a source whose submissions changed is re-staged."""
        payload = json.dumps(
            [[r.record_id, r.values, r.file_hash] for r in self.records.values()],
            ensure_ascii=False,
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:24]


def read_submitted(workdir: Path, through: int | None = None) -> tuple[dict[str, Submitted], int]:
    """Per source, the latest submission or retraction of every record in the journal up to
    entry ``through`` (all when None); and the last entry read."""
    by_source: dict[str, Submitted] = {}
    last = 0
    for entry in Journal(workdir).entries():
        if through is not None and entry["seq"] > through:
            break
        last = entry["seq"]
        source = by_source.setdefault(entry["source"], Submitted(entry["source"]))
        for row in entry.get("rows", []):
            record_id = row["record_id"]
            source.records.pop(record_id, None)  # keep the order of the latest word
            source.records[record_id] = SubmittedRecord(
                record_id,
                row.get("values") if entry["kind"] == "submit" else None,
                row.get("raw", ""),
                entry.get("file_hash"),
                entry["seq"],
            )
    return by_source, last


def combined_hash(file_hash: str, submitted: Submitted | None) -> str:
    """The hash a source is skipped by: its file's, with its submissions when there are any."""
    if submitted is None or not submitted.records:
        return file_hash
    return hashlib.sha256(f"{file_hash}+{submitted.digest()}".encode()).hexdigest()


def with_submitted(
    rows: Iterator[RawRow], submitted: Submitted | None, file_hash: str, record_id_column: str
) -> Iterator[RawRow]:
    """The file's rows with the journal's word in force (see the module docstring)."""
    if submitted is None or not submitted.records:
        yield from rows
        return
    records = submitted.records
    in_force = {rid for rid, record in records.items() if record.file_hash == file_hash}
    in_file: set[str] = set()  # only submitted records': a file's ids would grow with it
    last_row = 0
    for row in rows:
        last_row = max(last_row, row.row_number)
        record_id = row.values.get(record_id_column) if row.values else None
        if record_id is not None and record_id in records:
            in_file.add(record_id)
            if record_id in in_force:
                continue
        yield row
    for record in records.values():
        if record.values is None:
            continue
        if record.record_id in in_file and record.record_id not in in_force:
            continue  # a file delivered after the submission carries the record
        last_row += 1
        yield RawRow(last_row, dict(record.values), record.raw)
