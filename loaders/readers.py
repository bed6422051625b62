"""Read department files row by row, never losing one.

Every physical row comes out as a :class:`RawRow`: either its values (column → string or None)
or the reason it could not be read (bad bytes, malformed JSON, wrong number of fields), with its
row number and raw content, so the caller can stage it or quarantine it. Row numbers count data
rows from 1 (the CSV header is not a row).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO

import pyarrow.parquet as pq

from loaders.errors import SourceUnreadable

_PARQUET_BATCH = 20_000
_MAX_RECORD_BYTES = 1 << 20
"""A quoted field spanning more than this many bytes of lines is taken as never closed."""


@dataclass(frozen=True)
class RawRow:
    row_number: int
    values: dict[str, str | None] | None
    """column → value as text (None for empty), or None when the row could not be read."""
    raw: str
    """the row as it stood in the file (undecodable bytes shown as \\xNN)."""
    error: str | None = None


def read_columns(path: Path, fmt: str, encoding: str) -> list[str]:
    """The column names of a file: CSV header, keys of JSON lines, Parquet schema."""
    if fmt == "parquet":
        return list(pq.read_schema(path).names)
    if fmt == "csv":
        with path.open("rb") as handle:
            first = handle.readline()
        codec = "utf-8" if encoding == "utf-8-sig" else encoding
        if codec == "utf-8" and first.startswith(b"\xef\xbb\xbf"):
            first = first[3:]
        header = next(csv.reader([first.decode(codec)]), None)
        if not header:
            raise SourceUnreadable(f"{path}: empty file, no CSV header")
        return [column.strip() for column in header]
    columns: dict[str, None] = {}
    with path.open("rb") as handle:
        for line in handle:
            try:
                item = json.loads(line.decode(encoding))
            except (UnicodeDecodeError, json.JSONDecodeError):
                continue
            if isinstance(item, dict):
                columns.update(dict.fromkeys(item))
    return list(columns)


def iter_rows(path: Path, fmt: str, encoding: str) -> Iterator[RawRow]:
    """Every row of a file, read or with the reason it could not be."""
    if not path.is_file():
        raise SourceUnreadable(f"{path}: file not found")
    if fmt == "csv":
        yield from _csv_rows(path, encoding)
    elif fmt == "jsonl":
        yield from _jsonl_rows(path, encoding)
    elif fmt == "parquet":
        yield from _parquet_rows(path)
    else:
        raise SourceUnreadable(f"{path}: unknown format {fmt!r}")


def as_text(value: object) -> str | None:
    """A cell as text: None for empty; integers without '.0'; dates in ISO form."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal | int):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return json.dumps(value, ensure_ascii=False, default=str)


def _escape(raw: bytes, encoding: str) -> str:
    return raw.decode(encoding, errors="backslashreplace")


def _undecodable(
    row_number: int, raw: bytes, codec: str, encoding: str, line: int, error: UnicodeDecodeError
) -> RawRow:
    """A row whose bytes do not decode: quarantined with the line it starts on."""
    return RawRow(
        row_number,
        None,
        _escape(raw, codec).rstrip("\r\n"),
        f"undecodable bytes for encoding {encoding} at line {line}: {error.reason}",
    )


class _Lines:
    """The physical lines of a file, read as they are needed, with a look-ahead window (a quoted
    field may span lines): a file is never held whole, only the lines of the record at hand.

    Lines end at ``\n``, ``\r\n`` or a lone ``\r``, as :meth:`bytes.splitlines` splits them.
    """

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self._ahead: deque[bytes] = deque()
        self.taken = 0
        """lines consumed so far (the next line's 0-based index)."""

    def peek(self, offset: int = 0) -> bytes | None:
        """The line ``offset`` lines after the next one, or None past the end of the file."""
        while len(self._ahead) <= offset:
            block = self._handle.readline()
            if not block:
                return None
            self._ahead.extend(block.splitlines(keepends=True))
        return self._ahead[offset]

    def replace_first(self, line: bytes) -> None:
        self._ahead[0] = line

    def take(self, count: int) -> None:
        for _ in range(count):
            self._ahead.popleft()
        self.taken += count


def _csv_rows(path: Path, encoding: str) -> Iterator[RawRow]:
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    with path.open("rb") as handle:
        lines = _Lines(handle)
        first = lines.peek()
        if first is None:
            raise SourceUnreadable(f"{path}: empty file, no CSV header")
        if codec == "utf-8" and first.startswith(b"\xef\xbb\xbf"):
            first = first[3:]  # a BOM is not part of the first column's name
            lines.replace_first(first)
        try:
            header_text = first.decode(codec)
        except UnicodeDecodeError as error:
            raise SourceUnreadable(
                f"{path}: the header is not valid {encoding} ({error}); check 'encoding'"
            ) from None
        header = [column.strip() for column in next(csv.reader([header_text]))]
        lines.take(1)
        row_number = 0
        while lines.peek() is not None:
            start = lines.taken
            chunk, used, unterminated = _csv_record(lines, codec, len(header))
            lines.take(used)
            if not chunk.strip():
                continue
            row_number += 1
            yield _csv_row(chunk, row_number, start, unterminated, header, codec, encoding)


def _csv_row(
    chunk: bytes,
    row_number: int,
    start: int,
    unterminated: bool,
    header: list[str],
    codec: str,
    encoding: str,
) -> RawRow:
    """One record's row: its values, or why it cannot be read (``start``: its first line's
    0-based index in the file, the header being line 0)."""
    try:
        text = chunk.decode(codec)
    except UnicodeDecodeError as error:
        return _undecodable(row_number, chunk, codec, encoding, start + 1, error)
    if unterminated:
        return RawRow(
            row_number,
            None,
            text.rstrip("\r\n"),
            f"unterminated quote: the quoted field opened on line {start + 1} is not closed "
            "by a well-formed row",
        )
    try:
        fields = next(csv.reader(io.StringIO(text), strict=True))
    except (csv.Error, StopIteration) as error:
        return RawRow(row_number, None, text.rstrip("\r\n"), f"malformed CSV: {error}")
    if len(fields) != len(header):
        return RawRow(
            row_number,
            None,
            text.rstrip("\r\n"),
            f"wrong number of fields: {len(fields)}, header has {len(header)}",
        )
    values = {column: as_text(value) for column, value in zip(header, fields, strict=True)}
    return RawRow(row_number, values, text.rstrip("\r\n"))


def _open_quote(text: str) -> bool:
    """Whether a line ends inside a quoted field (a stray quote in an unquoted field is text)."""
    try:
        next(csv.reader(io.StringIO(text), strict=True), None)
    except csv.Error as error:
        return "unexpected end of data" in str(error)
    return False


def _csv_record(lines: _Lines, codec: str, width: int) -> tuple[bytes, int, bool]:
    """The record starting at the next line, how many lines it takes, and whether it is a line
    whose quoted field is never closed.

    A quoted field may span lines: continuation lines are taken while the quotes stay open, up
    to :data:`_MAX_RECORD_BYTES`. The lines are one record only if their quotes close and they
    read as one well-formed row with the header's width; otherwise (an unterminated quote) the
    first line alone is the record, to be quarantined, and reading resumes on the next line, so
    one stray quote never swallows the rows after it.
    """
    first = lines.peek()
    assert first is not None
    if first.count(b'"') % 2 == 0:
        return first, 1, False
    try:
        if not _open_quote(first.decode(codec)):
            return first, 1, False  # a stray quote in an unquoted field: plain text
    except UnicodeDecodeError:
        return first, 1, False
    parts = [first]
    quotes = first.count(b'"')
    size = len(first)
    while quotes % 2 == 1 and size <= _MAX_RECORD_BYTES:
        line = lines.peek(len(parts))
        if line is None:
            break
        parts.append(line)
        quotes += line.count(b'"')
        size += len(line)
    if quotes % 2 == 0:
        chunk = b"".join(parts)
        try:
            fields = next(csv.reader(io.StringIO(chunk.decode(codec)), strict=True))
        except (UnicodeDecodeError, csv.Error, StopIteration):
            fields = None
        if fields is not None and len(fields) == width:
            return chunk, len(parts), False
    return first, 1, True


def _jsonl_rows(path: Path, encoding: str) -> Iterator[RawRow]:
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    row_number = 0
    with path.open("rb") as handle:
        for line_number, line in enumerate(handle, start=1):
            if line_number == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            if not line.strip():
                continue
            row_number += 1
            try:
                text = line.decode(codec)
            except UnicodeDecodeError as error:
                yield _undecodable(row_number, line, codec, encoding, line_number, error)
                continue
            try:
                item = json.loads(text)
            except json.JSONDecodeError as error:
                yield RawRow(row_number, None, text.rstrip("\r\n"), f"malformed JSON: {error.msg}")
                continue
            if not isinstance(item, dict):
                yield RawRow(
                    row_number,
                    None,
                    text.rstrip("\r\n"),
                    f"a JSON line must be an object, got {type(item).__name__}",
                )
                continue
            values = {str(key): as_text(value) for key, value in item.items()}
            if "\\u" in text and lone_surrogate(values):
                yield RawRow(
                    row_number, None, text.rstrip("\r\n"), f"malformed JSON: {LONE_SURROGATE}"
                )
                continue
            yield RawRow(row_number, values, text.rstrip("\r\n"))


_SURROGATE = re.compile("[\ud800-\udfff]")
LONE_SURROGATE = "a \\u escape leaves a lone surrogate, which is not text"


def lone_surrogate(values: dict[str, str | None]) -> bool:
    """Whether a JSON line's keys or values hold a surrogate code point (``"\\ud800"`` is valid
    JSON but no UTF-8 can carry it: hashing, Parquet and DuckDB would all refuse the row)."""
    return any(
        _SURROGATE.search(text) for pair in values.items() for text in pair if text is not None
    )


def _parquet_rows(path: Path) -> Iterator[RawRow]:
    try:
        parquet = pq.ParquetFile(path)
    except Exception as error:
        raise SourceUnreadable(f"{path}: not a readable Parquet file ({error})") from None
    row_number = 0
    for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH):
        for item in batch.to_pylist():
            row_number += 1
            values = {str(key): as_text(value) for key, value in item.items()}
            raw = json.dumps(item, ensure_ascii=False, default=str)
            yield RawRow(row_number, values, raw)
