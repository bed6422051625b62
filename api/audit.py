"""The audit trail: one JSON line per GraphQL request, chained by hash, on stdout and in a file.

The line says who asked (subject, role, department, jurisdiction), what (operation name, root
fields and their arguments: whom they looked up), what they decided (the steward decisions
stored), how it went (HTTP status, GraphQL errors), how much came back (records returned) and
how long it took. Unauthenticated and refused requests are logged too.

**The chain.** Every line carries ``seq`` (1, 2, …) and ``prev``, the SHA-256 of the line before
it (:data:`GENESIS` for the first), so removing or editing a line breaks the link after it;
:func:`verify` finds the first broken link. The chain runs across the file's rotations and
across restarts (the last line is read back when the log opens).

**The file** (:class:`AuditFile`) is written by one thread of its own, in request order; each
batch of lines is flushed and ``fsync``-ed before the next, so a line is on disk milliseconds
after its request ended, and the event loop never waits for the disk. When the file passes
``max_bytes`` it is renamed ``audit.jsonl.1``, ``.2``… (the oldest has the smallest number; none
is deleted) and a new one begun.

**One writer per file.** A chain lives in one process's memory, so each process writing audit
lines claims a file of its own: the configured ``audit.jsonl`` if no other process holds it, else
``audit.worker2.jsonl``, ``audit.worker3.jsonl``… (:func:`claim`, an exclusive ``flock`` held
while the file is open). Under ``huitong serve --workers N`` each worker keeps its own chain, and
a restarted worker takes up a free one where it ended; ``huitong audit verify`` checks them all.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import queue
import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import IO, Any

from graphql import FieldNode, OperationDefinitionNode, get_named_type
from graphql.execution.values import get_argument_values, get_variable_values
from strawberry.extensions import SchemaExtension
from strawberry.utils.str_converters import to_camel_case

from api.auth import Caller
from api.context import AuditEntry
from api.errors import excerpt

GENESIS = "0" * 64
"""The ``prev`` of the first line of a chain."""
ARGUMENT_CHARS = 200
"""Characters of a string argument kept in the audit line."""


def line_hash(line: str) -> str:
    """The SHA-256 (hex) of one audit line, as the next line's ``prev`` names it."""
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


class AuditLog:
    """Writes chained audit lines to a stream (stdout by default) and, when given, a file."""

    def __init__(self, stream: IO[str] | None = None, file: AuditFile | None = None) -> None:
        self.stream = stream or sys.stdout
        self.file = file
        self.seq, self.prev = file.head if file else (0, GENESIS)
        self._lock = threading.Lock()

    def request(
        self,
        *,
        caller: Caller | None,
        entry: AuditEntry,
        status: int,
        seconds: float,
        client: str | None,
        reason: str | None = None,
    ) -> None:
        fields: dict[str, Any] = {
            "event": "graphql_request",
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "who": caller.subject if caller else None,
            "role": caller.role if caller else None,
            "department": caller.department if caller else None,
            "jurisdiction": caller.jurisdiction.describe() if caller else None,
            "operation": entry.operation_name,
            "fields": list(entry.root_fields),
            "records_returned": entry.records_returned,
            "graph_queries": entry.queries,
            "errors": entry.errors,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "client": client,
        }
        if entry.arguments:
            fields["arguments"] = entry.arguments
        if entry.decisions:
            fields["decisions"] = list(entry.decisions)
        if reason:
            fields["reason"] = reason
        self.write(fields)

    def write(self, fields: dict[str, Any]) -> str:
        """Chain one record to the last and write it; returns the line."""
        with self._lock:
            self.seq += 1
            line = json.dumps(
                {**fields, "seq": self.seq, "prev": self.prev},
                ensure_ascii=False,
                sort_keys=True,
                default=str,
            )
            self.prev = line_hash(line)
            if self.file is not None:
                self.file.append(line)
            self.stream.write(line + "\n")
            self.stream.flush()
        return line

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


_STOP = object()


class AuditFile:
    """An append-only file of audit lines, written and fsync-ed by a thread of its own, rotated
    past ``max_bytes`` into numbered siblings."""

    def __init__(self, path: Path, *, max_bytes: int = 64 << 20, fsync: bool = True) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path, self._claim = claim(Path(path))
        """the file this process writes: ``path`` or a worker's sibling of it."""
        self.max_bytes = max_bytes
        self.fsync = fsync
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.head = _head(self.path)
        """``(seq, hash)`` of the last line written before this process."""
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._handle = self.path.open("ab")
        self._thread = threading.Thread(target=self._run, name="huitong-audit", daemon=True)
        self._thread.start()

    def append(self, line: str) -> None:
        self._queue.put(line.encode("utf-8") + b"\n")

    def sync(self, timeout: float = 10.0) -> None:
        """Wait until every line appended so far is on disk."""
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout)

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(10.0)

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            for item in batch:
                if isinstance(item, bytes):
                    self._write(item)
            self._handle.flush()
            if self.fsync:
                os.fsync(self._handle.fileno())
            for item in batch:
                if isinstance(item, threading.Event):
                    item.set()
            if any(item is _STOP for item in batch):
                self._handle.close()
                self._claim.close()  # releases the flock: another process may take the file
                return

    def _write(self, line: bytes) -> None:
        size = self._handle.tell()
        if size and size + len(line) > self.max_bytes:
            self._handle.flush()
            if self.fsync:
                os.fsync(self._handle.fileno())
            self._handle.close()
            numbers = [n for n, _ in rotated(self.path)]
            self.path.rename(self.path.with_name(f"{self.path.name}.{max(numbers, default=0) + 1}"))
            self._handle = self.path.open("ab")
        self._handle.write(line)


def claim(path: Path) -> tuple[Path, IO[bytes]]:
    """The first of ``path``, its ``.worker2``, ``.worker3``… siblings that no other writer
    holds, and the open lock file that holds it for this one (closing it releases the claim)."""
    for number in range(1, 1_000):
        candidate = path if number == 1 else worker_file(path, number)
        lock = candidate.with_name(f".{candidate.name}.lock").open("ab")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        return candidate, lock
    raise RuntimeError(f"every audit file beside {path} is held by another process")


def worker_file(path: Path, number: int) -> Path:
    """The audit file of the ``number``-th writer beside ``path`` (``audit.worker2.jsonl``)."""
    return path.with_name(f"{path.stem}.worker{number}{path.suffix}")


def worker_files(path: Path) -> list[Path]:
    """``path`` and the workers' files beside it that exist, in worker order."""
    pattern = re.compile(re.escape(path.stem) + r"\.worker(\d+)" + re.escape(path.suffix) + "$")
    found = []
    if path.parent.is_dir():
        for sibling in path.parent.iterdir():
            match = pattern.match(sibling.name)
            if match:
                found.append((int(match.group(1)), sibling))
    return [path, *(sibling for _, sibling in sorted(found))]


def rotated(path: Path) -> list[tuple[int, Path]]:
    """The rotated siblings of ``path`` (``audit.jsonl.1``…), oldest first."""
    pattern = re.compile(re.escape(path.name) + r"\.(\d+)$")
    found = []
    if path.parent.is_dir():
        for sibling in path.parent.iterdir():
            match = pattern.match(sibling.name)
            if match:
                found.append((int(match.group(1)), sibling))
    return sorted(found)


def chain_files(path: Path) -> list[Path]:
    """Every file of the chain whose current file is ``path``, oldest first."""
    files = [sibling for _, sibling in rotated(path)]
    return [*files, path] if path.exists() else files


def _last_line(path: Path) -> bytes | None:
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        block = b""
        position = end
        while position > 0:
            step = min(65_536, position)
            position -= step
            handle.seek(position)
            block = handle.read(step) + block
            lines = block.rstrip(b"\n").split(b"\n")
            if len(lines) > 1 or position == 0:
                last = lines[-1]
                return last or None
    return None


def _head(path: Path) -> tuple[int, str]:
    """``(seq, hash)`` of the chain's last line, or ``(0, GENESIS)`` for a new chain."""
    for file in reversed(chain_files(path)):
        last = _last_line(file)
        if last:
            try:
                seq = int(json.loads(last)["seq"])
            except (ValueError, KeyError, TypeError):
                seq = 0  # verify will name the damaged line; the chain goes on after it
            return seq, hashlib.sha256(last).hexdigest()
    return 0, GENESIS


@dataclass(frozen=True)
class Verification:
    """What :func:`verify` found: lines and files read, the head, and the first broken line."""

    lines: int
    files: list[Path]
    head: str
    first_seq: int | None
    broken: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None and bool(self.files)


def verify(path: Path) -> Verification:
    """Check the chain whose current file is ``path`` (with its rotated siblings): every line
    must be whole JSON, follow the one before it by ``prev``, and number one more by ``seq``.
    Stops at the first broken line, naming its file and line number."""
    files = chain_files(Path(path))
    prev: str | None = None
    seq: int | None = None
    first_seq: int | None = None
    count = 0
    for file in files:
        for number, raw in _numbered_lines(file):
            where = f"{file.name}:{number}"
            problem = None
            if not raw.endswith(b"\n"):
                problem = "the line is cut short (a torn write)"
            else:
                try:
                    record = json.loads(raw)
                    line_prev, line_seq = record["prev"], int(record["seq"])
                except (ValueError, KeyError, TypeError):
                    problem = "not an audit line (unreadable JSON, or no seq and prev)"
            if problem is None and prev is None:
                first_seq = line_seq
                if line_prev != GENESIS and line_seq == 1:
                    problem = "the first line does not start a chain"
            elif problem is None and line_prev != prev:
                problem = (
                    "prev does not match the line before it: that line was edited, or lines "
                    "between them were removed"
                )
            elif problem is None and line_seq != seq + 1:
                problem = f"seq {line_seq} follows seq {seq}: lines were removed"
            if problem:
                return Verification(count, files, prev or GENESIS, first_seq, f"{where}: {problem}")
            prev = hashlib.sha256(raw.rstrip(b"\n")).hexdigest()
            seq = line_seq
            count += 1
    return Verification(count, files, prev or GENESIS, first_seq)


def _numbered_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as handle:
        yield from enumerate(handle, start=1)


def root_fields(document, operation_name: str | None) -> tuple[str, ...]:
    """Names of the root fields the executed operation selects (sorted, de-duplicated)."""
    operation = _operation(document, operation_name)
    if operation is None:
        return ()
    names = {
        selection.name.value
        for selection in operation.selection_set.selections
        if hasattr(selection, "name") and selection.name is not None
    }
    return tuple(sorted(names))


def _operation(document, operation_name: str | None) -> OperationDefinitionNode | None:
    if document is None:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [d for d in operations if d.name and d.name.value == operation_name]
    return operations[0] if operations else None


def _is_json(argument: Any) -> bool:
    return get_named_type(argument.type).name == "JSON"


def _records(value: Any) -> Any:
    """Submitted rows (JSON objects) as the audit line counts them: the rows themselves, with
    the caller, are in the workdir's real-time journal; a 1,000-row call stays a short line."""
    count = len(value) if isinstance(value, list) else 1
    return f"{count} row" if count == 1 else f"{count} rows"


def audited(value: Any) -> Any:
    """An argument as the audit line shows it: enums by value, dates as ISO text, long text as
    an excerpt."""
    if isinstance(value, list | tuple):
        return [audited(item) for item in value]
    if isinstance(value, dict):
        return {key: audited(item) for key, item in value.items()}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, str):
        return excerpt(value, ARGUMENT_CHARS)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class AuditExtension(SchemaExtension):
    """Copies the operation's name, root fields and their arguments, and the error count into
    the request's audit entry."""

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        entry: AuditEntry | None = getattr(context, "audit", None)
        if entry is None:
            return
        document = self.execution_context.graphql_document
        entry.operation_name = self.execution_context.operation_name
        entry.root_fields = root_fields(document, entry.operation_name)
        result = self.execution_context.result
        errors = getattr(result, "errors", None) or self.execution_context.pre_execution_errors
        entry.errors = len(errors or [])
        graph = getattr(context, "graph", None)
        entry.queries = getattr(graph, "queries_run", 0)
        self._arguments(entry, _operation(document, entry.operation_name))

    def _arguments(self, entry: AuditEntry, operation: OperationDefinitionNode | None) -> None:
        """Each root field's arguments (whom it asked about), as the resolver received them."""
        if operation is None:
            return
        schema = self.execution_context.schema._schema
        root = schema.get_root_type(operation.operation)
        variables = get_variable_values(
            schema, operation.variable_definitions or (), self.execution_context.variables or {}
        )
        if isinstance(variables, list):
            return  # variables that do not fit: the request's errors say so
        for selection in operation.selection_set.selections:
            if not isinstance(selection, FieldNode) or root is None:
                continue
            definition = root.fields.get(selection.name.value)
            if definition is None or not selection.arguments:
                continue
            try:
                values = get_argument_values(definition, selection, variables)
            except Exception:  # invalid arguments: the request's errors say so
                continue
            key = selection.alias.value if selection.alias else selection.name.value
            rows = {name for name, argument in definition.args.items() if _is_json(argument)}
            named = {
                to_camel_case(name): _records(value) if to_camel_case(name) in rows else value
                for name, value in values.items()
                if value is not None
            }
            entry.arguments.setdefault(key, audited(named))
