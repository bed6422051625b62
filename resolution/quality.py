"""Each department's data-quality scorecard: what its source gave, and how well.

:func:`score_sources` writes ``source_quality(source, department, report)`` after a resolve,
``report`` a JSON document per source:

- ``rows_read``, ``rows_staged``, ``rows_quarantined`` and ``quarantined`` by reason (the
  reason's key, e.g. ``no usable identifying field``);
- ``fields``: per canonical field the source maps, how many mentions fill it (completeness)
  and how many of those are unusable (validity): resident IDs and USCCs with a bad check
  character, phones that are no phone, dates and addresses that could not be read;
- ``contradictions``: mentions whose stated birth date or gender contradicts their golden
  record's (which the resident ID decides), or that give another name;
- ``duplicate_records``: records that resolve to a golden record another record of the same
  source (and role) already resolves to — duplicates inside the source.
"""

from __future__ import annotations

import json

import duckdb

from resolution.cluster import table_exists

SOURCE_QUALITY = "source_quality"

_FIELDS = {
    # field: (filled, invalid among the filled)
    "name": ("name_raw IS NOT NULL", "name IS NULL"),
    "id_number": ("id_number_raw IS NOT NULL", "NOT coalesce(id_valid, false)"),
    "birth_date": ("birth_date_raw IS NOT NULL", "birth_date IS NULL"),
    "gender": ("gender_raw IS NOT NULL", "gender IS NULL"),
    "phone": ("phone_raw IS NOT NULL", "NOT coalesce(phone_valid, false)"),
    "uscc": ("uscc_raw IS NOT NULL", "NOT coalesce(uscc_valid, false)"),
    "address": ("address_raw IS NOT NULL", "point_key IS NULL"),
}


def score_sources(connection: duckdb.DuckDBPyConnection) -> int:
    """(Re)build ``source_quality`` from the workspace; returns how many sources."""
    sources = connection.execute(
        "SELECT source, department, rows_read, rows_staged, rows_quarantined FROM source_files "
        "ORDER BY source"
    ).fetchall()
    reports = []
    for source, department, read, staged, quarantined in sources:
        report = {
            "rows_read": read or 0,
            "rows_staged": staged or 0,
            "rows_quarantined": quarantined or 0,
            "quarantined": _counts(
                connection,
                "SELECT split_part(reason, ':', 1), count(*) FROM quarantine WHERE source = ? "
                "GROUP BY 1 ORDER BY 2 DESC, 1",
                source,
            ),
            "fields": _fields(connection, source),
            "contradictions": _contradictions(connection, source),
            "duplicate_records": _duplicates(connection, source),
        }
        reports.append((source, department, json.dumps(report, ensure_ascii=False)))
    connection.execute(
        f"CREATE OR REPLACE TABLE {SOURCE_QUALITY} "
        "(source VARCHAR PRIMARY KEY, department VARCHAR, report VARCHAR)"
    )
    if reports:
        connection.executemany(f"INSERT INTO {SOURCE_QUALITY} VALUES (?, ?, ?)", reports)
    return len(reports)


def _counts(connection, sql: str, *params) -> dict[str, int]:
    return {str(k): int(n) for k, n in connection.execute(sql, list(params)).fetchall()}


def _fields(connection, source: str) -> list[dict]:
    mentions = connection.execute(
        "SELECT count(*) FROM mentions WHERE source = ?", [source]
    ).fetchone()[0]
    selects = ", ".join(
        f"count(*) FILTER ({filled}), count(*) FILTER (({filled}) AND ({invalid}))"
        for filled, invalid in _FIELDS.values()
    )
    counts = connection.execute(
        f"SELECT {selects} FROM mentions WHERE source = ?", [source]
    ).fetchone()
    out = []
    for i, name in enumerate(_FIELDS):
        filled, invalid = counts[2 * i], counts[2 * i + 1]
        if filled:
            out.append({"field": name, "mentions": mentions, "filled": filled,
                        "invalid": invalid})  # fmt: skip
    return out


def _contradictions(connection, source: str) -> dict[str, int]:
    if not table_exists(connection, "golden_person"):
        return {}
    row = connection.execute(
        """SELECT count(*) FILTER (m.birth_date IS NOT NULL AND g.birth_date IS NOT NULL
                                   AND m.birth_date <> g.birth_date),
                  count(*) FILTER (m.gender IS NOT NULL AND g.gender IS NOT NULL
                                   AND m.gender <> g.gender),
                  count(*) FILTER (m.name IS NOT NULL AND g.name IS NOT NULL
                                   AND m.name <> g.name)
           FROM mentions m JOIN golden_members gm USING (mention_id)
           JOIN golden_person g ON g.golden_id = gm.golden_id
           WHERE m.source = ? AND m.entity = 'person'""",
        [source],
    ).fetchone()
    return {"birth_date": row[0], "gender": row[1], "name": row[2]}


def _duplicates(connection, source: str) -> int:
    return connection.execute(
        """SELECT coalesce(sum(n - 1), 0) FROM (
               SELECT gm.golden_id, m.role, count(DISTINCT m.record_id) AS n
               FROM mentions m JOIN golden_members gm USING (mention_id)
               WHERE m.source = ? GROUP BY ALL)""",
        [source],
    ).fetchone()[0]
