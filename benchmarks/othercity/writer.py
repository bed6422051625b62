"""Writing the other city to disk: department files in their formats and encodings, a few
broken rows, ``sources.toml`` (the README's sources contract), ``truth.csv`` and ``noise.json``.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .departments import Source

BAD = "BADBYTES"  # ASCII marker replaced by undecodable bytes after encoding


def _present(row: dict, columns) -> bool:
    if isinstance(columns, str):
        columns = [columns]
    return any(row.get(c) not in (None, "") for c in columns)


def mention_columns(mention) -> list[str]:
    out: list[str] = []
    for value in mention.fields.values():
        out.extend([value] if isinstance(value, str) else value)
    return out


def break_rows(src: Source, rng: random.Random, counts: Counter) -> list[tuple[int, str]]:
    """Choose a few rows to damage the way real exports are damaged: (row index, kind)."""
    n = len(src.rows)
    if n < 50:
        return []
    kinds = {
        "csv": [
            "row_wrong_field_count",
            "row_bad_bytes",
            "row_missing_record_id",
            "row_duplicated",
        ],
        "jsonl": ["row_malformed_json", "row_missing_record_id", "row_duplicated"],
        "parquet": ["row_missing_record_id"],
    }[src.format]
    chosen = rng.sample(range(n), max(1, n // 900))
    out = []
    for i in sorted(chosen):
        kind = rng.choice(kinds)
        counts[(src.name, kind)] += 1
        out.append((i, kind))
    return out


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_source(src: Source, out: Path, rng: random.Random, counts: Counter) -> list[dict]:
    """Write one source; returns truth rows (dicts) for every mention present in a kept row."""
    damage = dict(break_rows(src, rng, counts))
    truth: list[dict] = []
    keyed_rows = []
    for i, (row, ids) in enumerate(zip(src.rows, src.truth, strict=True)):
        kind = damage.get(i)
        if kind == "row_missing_record_id":
            row = dict(row)
            row[src.record_id] = None if src.format != "csv" else ""
        else:
            for m in src.mentions:
                if _present(row, mention_columns(m)):
                    truth.append(
                        {
                            "source": src.name,
                            "record_id": row[src.record_id],
                            "role": m.role,
                            "entity": m.entity,
                            "true_id": ids[m.role],
                        }
                    )
        keyed_rows.append((row, kind))
    path = out / src.path
    if src.format == "csv":
        _write_csv(src, path, keyed_rows, rng)
    elif src.format == "jsonl":
        _write_jsonl(src, path, keyed_rows, rng)
    else:
        _write_parquet(src, path, keyed_rows)
    return truth


def _csv_line(values: list[str], newline: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=newline).writerow(values)
    return buffer.getvalue()


def _write_csv(src: Source, path: Path, rows, rng: random.Random) -> None:
    encoding = "utf-8" if src.encoding == "utf-8-sig" else src.encoding
    chunks = [b"\xef\xbb\xbf"] if src.encoding == "utf-8-sig" else []
    chunks.append(_csv_line(src.columns, src.newline).encode(encoding))
    duplicates = []
    for row, kind in rows:
        values = [_text(row.get(c)) for c in src.columns]
        if kind == "row_wrong_field_count":
            values = values[:-2] if rng.random() < 0.5 else [*values, "备注见附件"]
        elif kind == "row_bad_bytes":
            j = next((k for k, c in enumerate(src.columns) if values[k] and c != src.record_id), 1)
            values[j] = values[j][:1] + BAD + values[j][1:]
        line = _csv_line(values, src.newline).encode(encoding)
        line = line.replace(BAD.encode(), b"\xff\xfe\x80")
        chunks.append(line)
        if kind == "row_duplicated":
            duplicates.append((rng.randrange(len(chunks) + 1), line))
    for position, line in sorted(duplicates, reverse=True):
        chunks.insert(max(position, 1 + (src.encoding == "utf-8-sig")), line)
    path.write_bytes(b"".join(chunks))


def _write_jsonl(src: Source, path: Path, rows, rng: random.Random) -> None:
    lines = []
    duplicates = []
    for row, kind in rows:
        record = {c: (row.get(c) if row.get(c) not in ("",) else None) for c in src.columns}
        if kind == "row_missing_record_id":
            record.pop(src.record_id)
        line = json.dumps(record, ensure_ascii=False, default=_text)
        if kind == "row_malformed_json":
            line = line[: len(line) * 2 // 3]
        lines.append(line)
        if kind == "row_duplicated":
            duplicates.append((rng.randrange(len(lines) + 1), line))
    for position, line in sorted(duplicates, reverse=True):
        lines.insert(position, line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _write_parquet(src: Source, path: Path, rows) -> None:
    arrays = []
    for c in src.columns:
        values = [row.get(c) for row, _ in rows]
        kind = src.typed.get(c)
        if kind == "date":
            arrays.append(pa.array(values, type=pa.date32()))
        elif kind == "int":
            arrays.append(pa.array(values, type=pa.int64()))
        else:
            arrays.append(
                pa.array([None if v in (None, "") else _text(v) for v in values], type=pa.string())
            )
    table = pa.Table.from_arrays(arrays, names=src.columns)
    pq.write_table(table, path, compression="snappy", row_group_size=50_000)


# --- sources.toml -------------------------------------------------------------------------------
def _toml_value(value) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def sources_toml(sources: list[Source], persons: int, seed: int) -> str:
    lines = [
        f"# The other city: {persons} persons, seed {seed}. Written by benchmarks/othercity, an",
        "# independent generator used to judge resolution; see truth.csv and noise.json.",
        "",
    ]
    for s in sources:
        lines += [
            "[[sources]]",
            f"name = {_toml_value(s.name)}",
            f"department = {_toml_value(s.department)}",
            f"path = {_toml_value(s.path)}",
            f"format = {_toml_value(s.format)}",
        ]
        if s.format == "csv":
            lines.append(f"encoding = {_toml_value(s.encoding)}")
        lines.append(f"record_id = {_toml_value(s.record_id)}")
        for m in s.mentions:
            lines += [
                "",
                "[[sources.mentions]]",
                f"role = {_toml_value(m.role)}",
                f"entity = {_toml_value(m.entity)}",
                f"fields = {_toml_value(m.fields)}",
            ]
            if m.attributes:
                lines.append(f"attributes = {_toml_value(m.attributes)}")
        for start, kind, end in s.relations:
            lines += [
                "",
                "[[sources.relations]]",
                f"from = {_toml_value(start)}",
                f"type = {_toml_value(kind)}",
                f"to = {_toml_value(end)}",
            ]
        if s.event:
            lines += ["", "[sources.event]"]
            for key, value in s.event.items():
                lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)


def write_all(sources: list[Source], out: Path, seed: int, persons: int, counts: Counter) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    truth: list[dict] = []
    for s in sources:
        truth += write_source(s, out, random.Random(f"othercity:{seed}:write:{s.name}"), counts)
    (out / "sources.toml").write_text(sources_toml(sources, persons, seed), encoding="utf-8")
    with (out / "truth.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(
            handle, ["source", "record_id", "role", "entity", "true_id"], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(truth)
    noise: dict[str, dict[str, int]] = {}
    for (source, kind), n in sorted(counts.items()):
        noise.setdefault(source, {})[kind] = n
    (out / "noise.json").write_text(
        json.dumps(noise, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    mentions = Counter(t["entity"] for t in truth)
    return {
        "sources": {s.name: len(s.rows) for s in sources},
        "mentions": dict(sorted(mentions.items())),
        "true_entities": {
            entity: len({t["true_id"] for t in truth if t["entity"] == entity})
            for entity in sorted(mentions)
        },
    }
