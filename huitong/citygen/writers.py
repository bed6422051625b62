"""Write a source's rows as its department does: CSV, JSON lines or Parquet, in its encoding.

Also where rows are deliberately broken, so the ingest's quarantine has something to catch
(≈0.2% of a source's rows, split over the kinds its format allows, at least one per kind in a
source of 40 rows or more):

- ``wrong_field_count`` (CSV): a row with one field too many, or one too few;
- ``malformed_json`` (JSON lines): a line cut off two thirds of the way;
- ``undecodable_bytes`` (GBK / GB18030 text): a raw ``0xFF`` byte inside a value;
- ``no_identifying_field`` (any format): one mention keeps only non-identifying fields (phone,
  gender, birth date), none of name, ID number, USCC or address.

Broken rows stay in ``truth.csv`` like any other and are listed in ``broken_rows.csv``.
"""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from huitong.citygen.layouts import Layout
from huitong.citygen.names import NameParts
from huitong.citygen.sources import IDENTIFYING_FIELDS, TRUTH, MentionSpec, Row, SourceSpec

BROKEN_RATE = 0.002
MIN_ROWS_FOR_BROKEN = 40
BAD_BYTE_MARKER = "@@BADBYTE@@"

TruthLine = tuple[str, str, str, str, str]  # source, record_id, role, entity, true_id
BrokenLine = tuple[str, str, int, str, str]  # source, record_id, row_number, kind, detail


class LayoutError(ValueError):
    """A layout does not fit its source spec (a bug in the generator's data, not in input)."""


@dataclass
class WrittenSource:
    layout: Layout
    rows: int
    truth: list[TruthLine]
    broken: list[BrokenLine]


def check_layout(spec: SourceSpec, layout: Layout) -> None:
    """Every logical key the spec uses has a column; column names are unique."""
    used = {key for m in spec.mentions for key in (*m.fields.values(), *m.attributes.values())}
    if spec.event:
        used |= {spec.event.date, *spec.event.attributes.values()}
        used |= {spec.event.place} if spec.event.place else set()
    missing = sorted(used - layout.columns.keys())
    if missing:
        raise LayoutError(f"{layout.name}: no column for {missing}")
    header = header_of(layout)
    if len(set(header)) != len(header):
        raise LayoutError(f"{layout.name}: duplicate column names in {header}")


def header_of(layout: Layout) -> list[str]:
    header = [layout.record_id]
    for column in layout.columns.values():
        header.extend(column if isinstance(column, tuple) else (column,))
    return header


def cells_of(row: Row, layout: Layout) -> list[object]:
    """The row's values in header order: str, int or None (never the empty string)."""
    cells: list[object] = [row["record_id"]]
    for key, column in layout.columns.items():
        value = row[key]
        if isinstance(column, tuple):
            parts = value if isinstance(value, NameParts) else NameParts("", "")
            cells += [parts.surname or None, parts.given or None]
        else:
            if isinstance(value, NameParts):
                value = value.full()
            cells.append(None if value == "" else value)
    return cells


def _filled(value: object) -> bool:
    if isinstance(value, NameParts):
        return bool(value.surname or value.given)
    return value is not None and value != ""


def mention_present(row: Row, mention: MentionSpec) -> bool:
    return any(_filled(row[key]) for key in mention.fields.values())


def write_source(
    out: Path, layout: Layout, spec: SourceSpec, rows: list[Row], rng: random.Random
) -> WrittenSource:
    """Shuffle, number, break a few and write the rows; return truth and broken-row lines."""
    check_layout(spec, layout)
    rng.shuffle(rows)
    for number, row in enumerate(rows, 1):
        row["record_id"] = layout.record_id_pattern.format(number)
    broken = _break_rows(layout, spec, rows, rng)
    truth: list[TruthLine] = []
    for row in rows:
        for mention in spec.mentions:
            if mention_present(row, mention):
                truth_id = row[TRUTH][mention.role]
                role = layout.role(mention.role)
                truth.append((layout.name, str(row["record_id"]), role, mention.entity, truth_id))
    path = out / layout.path
    if layout.format == "parquet":
        _write_parquet(path, layout, rows)
    else:
        _write_text(path, layout, rows, {index: kind for index, kind, _ in broken})
    broken_lines = [
        (layout.name, str(rows[index]["record_id"]), index + 1, kind, detail)
        for index, kind, detail in sorted(broken)
    ]
    return WrittenSource(layout, len(rows), truth, broken_lines)


def broken_kinds(layout: Layout) -> tuple[str, ...]:
    kinds = ["no_identifying_field"]
    if layout.format == "csv":
        kinds.append("wrong_field_count")
    if layout.format == "jsonl":
        kinds.append("malformed_json")
    if layout.format != "parquet" and layout.encoding in ("gbk", "gb18030"):
        kinds.append("undecodable_bytes")
    return tuple(kinds)


def _break_rows(
    layout: Layout, spec: SourceSpec, rows: list[Row], rng: random.Random
) -> list[tuple[int, str, str]]:
    if len(rows) < MIN_ROWS_FOR_BROKEN:
        return []
    kinds = broken_kinds(layout)
    per_kind = max(1, round(len(rows) * BROKEN_RATE / len(kinds)))
    victims = rng.sample(range(len(rows)), per_kind * len(kinds))
    taken = set(victims)
    result: list[tuple[int, str, str]] = []
    for number, index in enumerate(victims):
        kind = kinds[number // per_kind]
        if kind == "no_identifying_field":
            found = _strip_identity(spec, rows, index, taken)
            if found is None:
                continue
            index, role = found
            result.append((index, kind, f"{layout.role(role)} has no identifying field"))
        elif kind == "wrong_field_count":
            detail = "one field too many" if number % 2 == 0 else "one field missing"
            result.append((index, kind, detail))
        elif kind == "malformed_json":
            result.append((index, kind, "line cut short"))
        else:
            result.append((index, kind, "raw byte 0xFF in a value"))
    return result


def _strip_identity(
    spec: SourceSpec, rows: list[Row], start: int, taken: set[int]
) -> tuple[int, str] | None:
    """Empty a mention's identifying fields in the first suitable row from ``start`` on."""
    for offset in range(len(rows)):
        index = (start + offset) % len(rows)
        if offset and index in taken:
            continue
        row = rows[index]
        for mention in spec.mentions:
            identifying = [k for f, k in mention.fields.items() if f in IDENTIFYING_FIELDS]
            other = [k for f, k in mention.fields.items() if f not in IDENTIFYING_FIELDS]
            if any(_filled(row[key]) for key in other):
                for key in identifying:
                    row[key] = None
                taken.add(index)
                return index, mention.role
    return None


def _write_text(path: Path, layout: Layout, rows: list[Row], broken: dict[int, str]) -> None:
    header = header_of(layout)
    encoding = layout.encoding or "utf-8"
    if layout.format == "csv":
        buffer = io.StringIO()
        line_end = "\n" if encoding == "utf-8" else "\r\n"
        writer = csv.writer(buffer, lineterminator=line_end)
        writer.writerow(header)
        for index, row in enumerate(rows):
            cells = ["" if value is None else str(value) for value in cells_of(row, layout)]
            kind = broken.get(index)
            if kind == "wrong_field_count":
                cells = [*cells, "备注"] if index % 2 == 0 else cells[:-1]
            elif kind == "undecodable_bytes":
                _mark_bad_byte(cells)
            writer.writerow(cells)
        text = buffer.getvalue()
    else:
        lines = []
        for index, row in enumerate(rows):
            cells = cells_of(row, layout)
            kind = broken.get(index)
            if kind == "undecodable_bytes":
                _mark_bad_byte(cells)
            line = json.dumps(dict(zip(header, cells, strict=True)), ensure_ascii=False)
            if kind == "malformed_json":
                line = line[: len(line) * 2 // 3]
            lines.append(line)
        text = "\n".join(lines) + "\n"
    data = text.encode(encoding).replace(BAD_BYTE_MARKER.encode("ascii"), b"\xff")
    path.write_bytes(data)


def _mark_bad_byte(cells: list) -> None:
    for at in range(1, len(cells)):
        value = cells[at]
        if isinstance(value, str) and value:
            cells[at] = value[:1] + BAD_BYTE_MARKER + value[1:]
            return


def _write_parquet(path: Path, layout: Layout, rows: list[Row]) -> None:
    header = header_of(layout)
    columns = list(zip(*(cells_of(row, layout) for row in rows), strict=True)) or [
        () for _ in header
    ]
    arrays = {}
    for name, values in zip(header, columns, strict=True):
        is_int = any(isinstance(v, int) for v in values)
        arrays[name] = pa.array(list(values), type=pa.int64() if is_int else pa.string())
    pq.write_table(pa.table(arrays), path)


def toml_block(layout: Layout, spec: SourceSpec) -> str:
    """The source's ``[[sources]]`` block in the sources contract."""
    lines = [
        "[[sources]]",
        f"name = {_q(layout.name)}",
        f"department = {_q(layout.department)}",
        f"path = {_q(layout.path)}",
        f"format = {_q(layout.format)}",
    ]
    if layout.encoding:
        lines.append(f"encoding = {_q(layout.encoding)}")
    lines.append(f"record_id = {_q(layout.record_id)}")
    for mention in spec.mentions:
        fields = {f: layout.columns[key] for f, key in mention.fields.items()}
        lines += [
            "",
            "[[sources.mentions]]",
            f"role = {_q(layout.role(mention.role))}",
            f"entity = {_q(mention.entity)}",
            f"fields = {_inline(fields)}",
        ]
        if mention.attributes:
            attributes = {a: layout.columns[key] for a, key in mention.attributes.items()}
            lines.append(f"attributes = {_inline(attributes)}")
    for source_role, relation, target_role in spec.relations:
        lines += [
            "",
            "[[sources.relations]]",
            f"from = {_q(layout.role(source_role))}",
            f"type = {_q(relation)}",
            f"to = {_q(layout.role(target_role))}",
        ]
    if spec.event:
        event = spec.event
        lines += ["", "[sources.event]", f"type = {_q(event.type)}"]
        lines.append(f"date = {_q(layout.columns[event.date])}")
        if event.place:
            lines.append(f"place = {_q(layout.columns[event.place])}")
        if event.attributes:
            attributes = {a: layout.columns[key] for a, key in event.attributes.items()}
            lines.append(f"attributes = {_inline(attributes)}")
    return "\n".join(lines) + "\n"


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _inline(mapping: dict[str, str | tuple[str, str]]) -> str:
    parts = []
    for key, value in mapping.items():
        rendered = f"[{', '.join(map(_q, value))}]" if isinstance(value, tuple) else _q(value)
        parts.append(f"{key} = {rendered}")
    return "{ " + ", ".join(parts) + " }"
