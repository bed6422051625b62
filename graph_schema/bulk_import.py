"""The first publish into an empty local graph, through Neo4j's offline importer.

Writing a city through ``UNWIND … MERGE`` costs an index seek per node and relationship and an
update of every index (about 12k elements/s at 100k persons here). ``neo4j-admin database
import`` writes the store files directly and builds the indexes afterwards. It needs the
database offline and replaces it whole, so it is used only where nothing is lost: the graph is
the project's own server (never a ``NEO4J_URI``) and holds nothing but migration records.

The plan's steps (:mod:`graph_schema.publish_plan`) are turned into the importer's CSV files by
their :attr:`~graph_schema.publish_plan.Step.shape`, each mirroring its Cypher: the same nodes,
labels, properties (nulls left out, as ``SET +=`` leaves them out) and relationships, ``MERGE``'s
de-duplication kept (a node's rows are merged, a relationship's last row wins). Source records,
the bulk of a city, go from DuckDB to CSV without passing through Python. What a CSV cannot say
the same way (a property whose values mix types, an empty list, a non-finite number, a
date-time without a zone) raises :class:`NotImportable` before anything is imported, and the
publish writes through Cypher instead. The change entries are nodes too, numbered from 1 in
plan order with the feed's counter, as the feed's own Cypher numbers them in an empty graph
(entries a CSV cannot carry are written through that Cypher after the import). After the import
the migrations run again: the indexes and constraints, and the entries' place keys.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
from neo4j import Driver

from graph_schema.change_queries import FEED_KEY
from graph_schema.changes import graph_entry
from graph_schema.publish_plan import Step, source_records_sql
from graph_schema.server import DATABASE, LocalNeo4j
from huitong.vocabulary import ENTITY_TYPES, entity_label

ARRAY_DELIMITER = "\x1f"
"""Between a list's items in a CSV cell (unit separator: never in the city's text)."""

GRAPH_HOLDS_DATA = """
MATCH (n) WHERE NOT n:HuitongMigration
RETURN true AS holds LIMIT 1
"""

BULK_MIN_MENTIONS = 200_000
"""With ``bulk="auto"``, the offline import is used from this many mentions. Its fixed costs (a
server restart, the importer's start, index builds: ~20 s here) make it no faster than Cypher at
20k persons (136k mentions: 37–46 s against 42 s); at 100k (678k) it takes half the time."""

AWAIT_INDEXES = "CALL db.awaitIndexes(600)"

_IMPORTED = re.compile(r"Imported:\s+(\d+) nodes\s+(\d+) relationships", re.MULTILINE)

_DUCKDB_TYPES = {
    "VARCHAR": "string",
    "BIGINT": "long",
    "INTEGER": "long",
    "SMALLINT": "long",
    "BOOLEAN": "boolean",
    "DATE": "date",
}
"""Source record columns DuckDB writes as the importer reads them (a list would need its items
checked for the delimiter, a double for non-finite values: no column is either)."""


class NotImportable(Exception):
    """The plan holds something the offline importer would not store as Cypher does."""


def graph_is_empty(driver: Driver, database: str) -> bool:
    """Nothing but migration records (a fresh or reset database)."""
    records, _, _ = driver.execute_query(GRAPH_HOLDS_DATA, database_=database)
    return not records


@dataclass
class ImportFiles:
    """The importer's arguments: ``Label=header,data`` specs for nodes and relationships."""

    nodes: list[str] = field(default_factory=list)
    relationships: list[str] = field(default_factory=list)
    multiline: list[str] = field(default_factory=list)
    """The data files with a line break inside a field (the importer parses these slower)."""
    changes: int = 0
    """Change entries among the nodes (numbered 1.. in plan order, the feed's counter with
    them); 0 and :attr:`pending_changes` when they could not be imported."""
    pending_changes: list[dict] = field(default_factory=list)


@dataclass
class _Graph:
    """Nodes and relationships gathered from the plan's steps, de-duplicated as MERGE does."""

    # (labels, id space, key property) -> key -> properties
    nodes: dict[tuple[str, str, str], dict[str, dict]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    # (type, start space, end space) -> (start, end, merge-key values) -> properties
    relationships: dict[tuple[str, str, str], dict[tuple, dict]] = field(
        default_factory=lambda: defaultdict(dict)
    )

    def node(self, labels: str, space: str, key_name: str, key: str, props: dict) -> None:
        held = self.nodes[(labels, space, key_name)].setdefault(key, {})
        held.update(props)

    def relationship(
        self,
        rel_type: str,
        start: tuple[str, str],
        end: tuple[str, str],
        props: dict,
        merge_on: tuple[str, ...] = (),
    ) -> None:
        group = self.relationships[(rel_type, start[0], end[0])]
        group[(start[1], end[1], *(props.get(name) for name in merge_on))] = props


def _present(props: dict) -> dict:
    return {key: value for key, value in props.items() if value is not None}


def _gather(steps: list[Step], run_id: str, existing_records: set[str]) -> _Graph:
    """Every step's rows as the nodes and relationships its Cypher would write."""
    graph = _Graph()
    run = {"publish_run": run_id}
    golden_space = {entity: entity_label(entity) for entity in ENTITY_TYPES}
    for step in steps:
        kind, *args = step.shape or ("",)
        rows = step.rows
        if kind == "golden":
            label = golden_space[args[0]]
            for row in rows:
                graph.node(label, label, "id", row["id"], {**row["props"], **run})
        elif kind == "source records":
            if rows:  # the plan was made with its source records: not this writer's input
                raise NotImportable("the plan carries source records as rows")
        elif kind == "districts":
            for row in rows:
                graph.node("District", "District", "key", row["key"], _present({**row, **run}))
        elif kind == "streets":
            for row in rows:
                props = _present({"name": row["name"], "district": row["district"], **run})
                graph.node("Street", "Street", "key", row["key"], props)
                graph.relationship(
                    "LOCATED_IN", ("Street", row["key"]), ("District", row["district"]), dict(run)
                )
        elif kind == "communities":
            for row in rows:
                props = _present(
                    {"name": row["name"], "district": row["district"], "street": row["street"]}
                )
                graph.node("Community", "Community", "key", row["key"], {**props, **run})
                parent = "Street" if row["parent_kind"] == "street" else "District"
                if row["parent_kind"] in ("street", "district"):
                    graph.relationship(
                        "LOCATED_IN", ("Community", row["key"]), (parent, row["parent"]), dict(run)
                    )
        elif kind == "address points":
            parents = {"community": "Community", "street": "Street", "district": "District"}
            for row in rows:
                graph.node(
                    "AddressPoint", "AddressPoint", "key", row["key"], {**row["props"], **run}
                )
                if row["parent_kind"] in parents:
                    graph.relationship(
                        "LOCATED_IN",
                        ("AddressPoint", row["key"]),
                        (parents[row["parent_kind"]], row["parent"]),
                        dict(run),
                    )
        elif kind == "units at":
            for row in rows:
                graph.relationship(
                    "AT",
                    ("RentalUnit", row["golden_id"]),
                    ("AddressPoint", row["point_key"]),
                    dict(run),
                )
        elif kind == "registered at":
            label = golden_space[args[0]]
            for row in rows:
                graph.relationship(
                    "REGISTERED_AT",
                    (label, row["golden_id"]),
                    ("AddressPoint", row["point_key"]),
                    _present({"sources": row["sources"], **run}),
                )
        elif kind == "relation":
            rel_type, from_entity, to_entity = args
            for row in rows:
                graph.relationship(
                    rel_type,
                    (golden_space[from_entity], row["from_id"]),
                    (golden_space[to_entity], row["to_id"]),
                    _present({"sources": row["sources"], **run}),
                )
        elif kind == "departments":
            for row in rows:
                graph.node("Department", "Department", "name", row["name"], dict(run))
        elif kind == "events":
            (event_type,) = args
            for row in rows:
                graph.node(f"Event:{event_type}", "Event", "id", row["id"], {**row["props"], **run})
                if row["department"] is not None:
                    graph.relationship(
                        "REPORTED_BY",
                        ("Event", row["id"]),
                        ("Department", row["department"]),
                        dict(run),
                    )
                if row["point_key"] is not None:
                    graph.relationship(
                        "AT", ("Event", row["id"]), ("AddressPoint", row["point_key"]), dict(run)
                    )
        elif kind == "participants":
            label = golden_space[args[0]]
            for row in rows:
                props = _present({"role": row["role"], "mention": row["mention_id"], **run})
                graph.relationship(
                    "INVOLVES",
                    ("Event", row["event_id"]),
                    (label, row["golden_id"]),
                    props,
                    merge_on=("role",),
                )
        elif kind == "review candidates":
            for row in rows:
                # MATCH of both records first: a candidate without them is not written
                if row["left"] not in existing_records or row["right"] not in existing_records:
                    continue
                graph.node(
                    "ReviewCandidate", "ReviewCandidate", "id", row["id"], {**row["props"], **run}
                )
                graph.relationship(
                    "LEFT", ("ReviewCandidate", row["id"]), ("SourceRecord", row["left"]), dict(run)
                )
                graph.relationship(
                    "RIGHT",
                    ("ReviewCandidate", row["id"]),
                    ("SourceRecord", row["right"]),
                    dict(run),
                )
        elif kind == "source quality":
            for row in rows:
                props = _present({"department": row["department"], "report": row["report"]})
                graph.node(
                    "SourceQuality", "SourceQuality", "source", row["source"], {**props, **run}
                )
        elif kind == "redirects":
            (entity,) = args
            for row in rows:
                graph.node(
                    "RetiredEntity", "RetiredEntity", "id", row["old_id"], {"entity": entity, **run}
                )
                graph.relationship(
                    "REDIRECTS_TO",
                    ("RetiredEntity", row["old_id"]),
                    (golden_space[entity], row["new_id"]),
                    dict(run),
                )
        elif kind in ("retirements", "change entries"):
            continue  # nothing to delete in an empty graph; entries are written after
        else:
            raise NotImportable(f"step {step.name!r} has no import shape")
    return graph


def _kind(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NotImportable(f"{where} holds {value!r}")
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime):  # before date: a datetime is a date too
        if value.tzinfo is None or (
            not isinstance(value.tzinfo, ZoneInfo) and value.utcoffset() is None
        ):
            raise NotImportable(f"{where} holds a date-time without a time zone")
        return "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, list):
        if not value or not all(isinstance(item, str) for item in value):
            raise NotImportable(f"{where} holds a list that is empty or not of text")
        return "string[]"
    raise NotImportable(f"{where} holds a {type(value).__name__}")


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _cell(value: Any, kind: str, where: str) -> str:
    if value is None:
        return ""
    if kind == "string":
        return _quoted(value)
    if kind == "string[]":
        if any(ARRAY_DELIMITER in item for item in value):
            raise NotImportable(f"{where} holds the array delimiter")
        return _quoted(ARRAY_DELIMITER.join(value))
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "date":
        return value.isoformat()
    if kind == "datetime":  # a named zone stays named, as the driver sends it
        zone = f"[{value.tzinfo.key}]" if isinstance(value.tzinfo, ZoneInfo) else ""
        return value.isoformat() + zone
    return repr(value)


def _columns(rows: list[dict], where: str) -> dict[str, str]:
    """Each property's import type, from its values: one type a property, or NotImportable."""
    seen: dict[str, set[type]] = defaultdict(set)
    for props in rows:
        for name, value in props.items():
            seen[name].add(type(value))
    kinds: dict[str, str] = {}
    for name, types in seen.items():
        types.discard(type(None))
        if not types:
            continue
        # a type whose values need a look each (lists, floats, date-times) is checked by value
        checked = types & {list, float, datetime}
        values = [props[name] for props in rows if type(props.get(name)) in checked]
        found = {_kind(value, f"{where}.{name}") for value in values}
        found |= {_kind(_SAMPLE[t], f"{where}.{name}") for t in types - checked if t in _SAMPLE}
        if len(found) != len(types) or len(found) != 1:
            unknown = [t for t in types - checked if t not in _SAMPLE]
            if unknown:
                raise NotImportable(f"{where}.{name} holds a {unknown[0].__name__}")
            raise NotImportable(f"{where}.{name} holds both {' and '.join(sorted(found))} values")
        kinds[name] = found.pop()
    return kinds


_SAMPLE: dict[type, Any] = {str: "", bool: True, int: 0, date: date(2000, 1, 1)}
"""A value of each type whose import type does not depend on the value."""


def _write_csv(path: Path, header: list[str], lines: list[str], files: ImportFiles) -> str:
    with path.open("w", encoding="utf-8") as out:
        out.writelines(lines)
    if any(line.count("\n") > 1 or "\r" in line for line in lines):
        files.multiline.append(str(path))
    return _write_csv_header(path, header)


def _write_graph(graph: _Graph, folder: Path, files: ImportFiles) -> None:
    keys: dict[str, set[str]] = defaultdict(set)
    for (_, space, _), nodes in graph.nodes.items():
        keys[space].update(nodes)
    for index, ((labels, space, key_name), nodes) in enumerate(sorted(graph.nodes.items())):
        where = labels.split(":")[-1]
        columns = _columns(list(nodes.values()), where)
        names = sorted(name for name in columns if name != key_name)
        header = [f"{key_name}:ID({space})"] + [f"{name}:{columns[name]}" for name in names]
        lines = [
            ",".join([_quoted(key)] + [_cell(props.get(n), columns[n], where) for n in names])
            + "\n"
            for key, props in nodes.items()
        ]
        spec = _write_csv(folder / f"nodes-{index}.csv", header, lines, files)
        files.nodes.append(f"{labels}={spec}")
    for index, ((rel_type, start, end), found) in enumerate(sorted(graph.relationships.items())):
        # MATCH of both ends first: a relationship to a node not written is not written
        rels = {
            ends: props
            for ends, props in found.items()
            if (start not in keys or ends[0] in keys[start])
            and (end not in keys or ends[1] in keys[end])
        }
        if not rels:
            continue
        columns = _columns(list(rels.values()), rel_type)
        names = sorted(columns)
        header = [f":START_ID({start})", f":END_ID({end})"] + [
            f"{name}:{columns[name]}" for name in names
        ]
        lines = [
            ",".join(
                [_quoted(ends[0]), _quoted(ends[1])]
                + [_cell(props.get(n), columns[n], rel_type) for n in names]
            )
            + "\n"
            for ends, props in rels.items()
        ]
        spec = _write_csv(folder / f"relationships-{index}.csv", header, lines, files)
        files.relationships.append(f"{rel_type}={spec}")


def _line_breaks(path: Path) -> int:
    """Line ends in a file (a carriage return counts double: it always marks a break inside
    a field here, since the writers end lines with a bare line feed)."""
    count = 0
    with path.open("rb") as data:
        while chunk := data.read(1 << 24):
            count += chunk.count(b"\n") + 2 * chunk.count(b"\r")
    return count


def _write_changes(steps: list[Step], folder: Path, files: ImportFiles) -> None:
    """The change entries the steps carry as ``(:Change)`` nodes numbered from 1 in plan order
    (the feed was empty), and the feed's counter; kept for Cypher when a CSV cannot hold them.
    Their place keys are set by the migration that adds them (it runs after the import)."""
    entries = [entry for step in steps for row in step.changes for entry in row]
    if not entries:
        return
    nodes: dict[str, dict] = {}
    written = datetime.now(UTC)
    for entry in entries:
        change = graph_entry(entry)
        if change["key"] not in nodes:
            nodes[change["key"]] = {**change["props"], "seq": len(nodes) + 1, "written": written}
    try:
        columns = _columns(list(nodes.values()), "Change")
        names = sorted(columns)
        lines = [
            ",".join([_quoted(key)] + [_cell(props.get(n), columns[n], "Change") for n in names])
            + "\n"
            for key, props in nodes.items()
        ]
    except NotImportable:
        files.pending_changes = entries
        return
    header = ["key:ID(Change)"] + [f"{name}:{columns[name]}" for name in names]
    files.nodes.append(f"Change={_write_csv(folder / 'changes.csv', header, lines, files)}")
    feed = f'"{FEED_KEY}",{len(nodes)},0\n'
    header = ["key:ID(ChangeFeed)", "seq:long", "pruned_through:long"]
    files.nodes.append(f"ChangeFeed={_write_csv(folder / 'feed.csv', header, [feed], files)}")
    files.changes = len(nodes)


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _write_source_records(
    connection: duckdb.DuckDBPyConnection, run_id: str, folder: Path, files: ImportFiles
) -> None:
    """Source records and their ``RESOLVES_TO`` straight from DuckDB into CSV."""
    records = source_records_sql()
    described = connection.execute(f"DESCRIBE {records}").fetchall()
    header, select, quoted = ["key:ID(SourceRecord)"], ["key"], ["key"]
    for name, duck_type, *_ in described:
        if name in ("key", "golden_id"):
            continue
        kind = _DUCKDB_TYPES.get(duck_type)
        if kind is None:
            raise NotImportable(f"source record field {name} is a {duck_type}")
        header.append(f"{name}:{kind}")
        select.append(name)
        if kind == "string":
            quoted.append(name)
    header.append("publish_run:string")
    select.append(f"{_sql_text(run_id)} AS publish_run")
    quoted.append("publish_run")
    path = folder / "source-records.csv"
    (rows,) = connection.execute(  # COPY answers with the rows it wrote
        f"""COPY (SELECT {", ".join(select)} FROM ({records})) TO {_sql_text(str(path))}
            (HEADER false, QUOTE '"', ESCAPE '"', FORCE_QUOTE ({", ".join(quoted)}))"""
    ).fetchone()
    files.nodes.append(f"SourceRecord={_write_csv_header(path, header)}")
    if _line_breaks(path) != rows:
        files.multiline.append(str(path))
    for entity in ENTITY_TYPES:
        label = entity_label(entity)
        path = folder / f"resolves-to-{entity}.csv"
        connection.execute(
            f"""COPY (SELECT key, golden_id, {_sql_text(run_id)} FROM ({records})
                      WHERE entity = {_sql_text(entity)}
                        AND golden_id IN (SELECT golden_id FROM golden_{entity}))
                TO {_sql_text(str(path))} (HEADER false, QUOTE '"', ESCAPE '"', FORCE_QUOTE *)"""
        )
        spec = _write_csv_header(
            path, [":START_ID(SourceRecord)", f":END_ID({label})", "publish_run:string"]
        )
        files.relationships.append(f"RESOLVES_TO={spec}")


def _write_csv_header(path: Path, header: list[str]) -> str:
    header_path = path.with_name(path.stem + ".header.csv")
    header_path.write_text(",".join(header) + "\n", encoding="utf-8")
    return f"{header_path},{path}"


def write_files(
    steps: list[Step], connection: duckdb.DuckDBPyConnection, run_id: str, folder: Path
) -> ImportFiles:
    """The importer's CSV files for a plan made without its source records."""
    folder.mkdir(parents=True, exist_ok=True)
    files = ImportFiles()
    mentions = [
        mention
        for step in steps
        if step.shape == ("review candidates",)
        for row in step.rows
        for mention in (row["left"], row["right"])
    ]
    existing = {
        mention
        for (mention,) in connection.execute(
            "SELECT mention_id FROM golden_members WHERE mention_id IN (SELECT unnest(?))",
            [sorted(set(mentions))],
        ).fetchall()
    }
    _write_graph(_gather(steps, run_id, existing), folder, files)
    _write_source_records(connection, run_id, folder, files)
    _write_changes(steps, folder, files)
    return files


def load(server: LocalNeo4j, files: ImportFiles, driver: Driver) -> tuple[int, int]:
    """Replace the server's database by the files; the nodes and relationships imported.

    The new database numbers its transactions from the start again, so the bookmarks
    ``driver`` holds from the old one (its ``execute_query`` waits for them) are dropped.
    Other clients of the server holding bookmarks (an API started before) must reconnect."""
    output = server.import_database(
        files.nodes,
        files.relationships,
        array_delimiter=ARRAY_DELIMITER,
        multiline=files.multiline,
    )
    with driver.session(database=DATABASE) as session:  # a session starts without bookmarks
        session.run("RETURN 1").consume()
        current = session.last_bookmarks().raw_values
    bookmarks = driver.execute_query_bookmark_manager
    bookmarks.update_bookmarks(bookmarks.get_bookmarks(), current)
    found = _IMPORTED.search(output)
    if not found:
        return 0, 0
    return int(found.group(1)), int(found.group(2))
