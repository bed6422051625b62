"""The journal of real-time submissions: the workdir's durable record of what departments
submitted between batch runs.

One append-only file, ``<workdir>/submissions/journal.jsonl``, one JSON object a line. The
first line names the journal (``{"journal": <uuid>}``), so the graph can remember how far it
has applied it; every other line is one submission or retraction call, numbered by ``seq``
from 1. A writer holds an exclusive lock (``flock`` on ``journal.lock``) for the whole call,
so callers in several processes (API workers, ``huitong submit``) take turns and each sees what
the others wrote before it decides anything; a line is written with one ``write`` and
``fsync``-ed before the call answers. A line cut short by a crash is never read and is cut
off by the next writer.

Ingest reads the journal as part of each source (:mod:`loaders.submitted`), resolution folds
the golden IDs it gave into the next run (:mod:`resolution.submitted`), and the real-time
engine (:mod:`realtime`) writes it. What an entry holds is the engine's business; the journal
only numbers, stores and reads entries.
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

JOURNAL_DIR = "submissions"
JOURNAL_FILE = "journal.jsonl"
LOCK_FILE = "journal.lock"


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(entry: dict[str, Any]) -> str:
    """An entry as one line of JSON (dates as ISO text)."""
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":"), default=_default)


class Journal:
    """The submissions journal of one workdir (the file need not exist yet)."""

    def __init__(self, workdir: Path | str) -> None:
        self.directory = Path(workdir) / JOURNAL_DIR
        self.path = self.directory / JOURNAL_FILE
        self.lock_path = self.directory / LOCK_FILE

    def exists(self) -> bool:
        return self.path.is_file()

    def entries(self, after: int = 0) -> Iterator[dict[str, Any]]:
        """Every complete entry with ``seq > after``, oldest first (a shared lock is held
        while reading, so no entry is read half-written)."""
        if not self.exists():
            return
        with self._lock(fcntl.LOCK_SH):
            lines = self.path.read_bytes().split(b"\n")
        for line in lines[1:-1]:  # the header; a last part without newline is unfinished
            if not line.strip():
                continue
            entry = json.loads(line)
            if entry["seq"] > after:
                yield entry

    def journal_id(self) -> str | None:
        """The journal's name (None before anything was written)."""
        if not self.exists():
            return None
        with self.path.open("rb") as handle:
            first = handle.readline()
        return json.loads(first)["journal"] if first.endswith(b"\n") else None

    def last_seq(self) -> int:
        """The newest entry's ``seq`` (0 when there is none)."""
        last = 0
        for entry in self.entries():
            last = entry["seq"]
        return last

    @contextmanager
    def writer(self) -> Iterator[JournalWriter]:
        """Hold the journal exclusively (blocking until other writers are done) and get a
        writer that reads what was appended since and appends new entries."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._lock(fcntl.LOCK_EX):
            yield JournalWriter(self)

    @contextmanager
    def _lock(self, mode: int) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, mode)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


class JournalWriter:
    """The journal while this process holds it exclusively."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.path = journal.path
        if not self.path.exists():
            self._create()
        self._repair()

    def _create(self) -> None:
        header = dumps({"journal": uuid.uuid4().hex, "version": 1}) + "\n"
        temporary = self.path.with_suffix(".tmp")
        with temporary.open("wb") as handle:
            handle.write(header.encode())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def _repair(self) -> None:
        """Cut off a last line a crash left unfinished (it was never answered)."""
        size = self.path.stat().st_size
        with self.path.open("rb+") as handle:
            if size == 0:
                return
            handle.seek(max(0, size - 1))
            if handle.read(1) == b"\n":
                return
            handle.seek(0)
            content = handle.read()
            keep = content.rfind(b"\n") + 1
            handle.truncate(keep)
            handle.flush()
            os.fsync(handle.fileno())

    @property
    def journal_id(self) -> str:
        journal_id = self.journal.journal_id()
        assert journal_id is not None
        return journal_id

    def read_from(self, offset: int) -> tuple[list[dict[str, Any]], int]:
        """Entries that start at byte ``offset`` or later (0: from the beginning, header
        skipped), and the offset after the last of them."""
        with self.path.open("rb") as handle:
            if offset == 0:
                handle.readline()
            else:
                handle.seek(offset)
            data = handle.read()
            start = handle.tell() - len(data)
        entries = []
        consumed = 0
        for line in data.split(b"\n")[:-1]:
            consumed += len(line) + 1
            if line.strip():
                entries.append(json.loads(line))
        return entries, start + consumed

    def end(self) -> int:
        return self.path.stat().st_size

    def append(self, entry: dict[str, Any]) -> int:
        """Append one entry (its ``seq`` must be the next one) durably; returns the offset
        after it."""
        line = (dumps(entry) + "\n").encode()
        with self.path.open("ab") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
            return handle.tell()
