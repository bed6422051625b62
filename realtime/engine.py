"""The real-time engine: one call's rows staged, matched, given golden IDs, survived, journalled
and written to the graph in one transaction.

State. The engine matches against the snapshot of a resolve run (:mod:`resolution.snapshot`,
read-only, shared by any number of processes) plus an *overlay*: what real-time calls changed
since that run, rebuilt from the workdir's journal (:mod:`huitong.journal`). Every call holds
the journal's exclusive lock from first read to last write, so several engines on one workdir
(API workers, ``huitong submit``) take turns: each first replays what the others journalled,
then decides, then journals and writes. Per process the state is guarded by a lock as well.

Durability. A call's outcome is journalled (``fsync``) before the graph is written; the graph
remembers how far it applied the journal (``(:RealtimeJournal)``, updated in the same
transaction), and the next call (or the next engine to start) applies whatever is missing. So a
process killed at any point loses nothing that was answered, and replaying a call answers
``UNCHANGED`` (same record ID, same content).

Matching (record to entity). Each mention's pairs are scored with the batch's model
(:mod:`realtime.matcher`); an entity's evidence is its best pair (single link, as batch
clustering joins on any pair above the threshold). The mention joins the strongest entity at
or above the model's ``cluster_threshold`` that no hard constraint or steward decision keeps
apart; every other entity at or above it is merged in as the batch would (the larger keeps its
ID), or, where a constraint forbids it, becomes a review candidate. Below the threshold but in
the review band, the mention gets a golden ID of its own and a review candidate; otherwise a
new golden ID (``golden_token`` of its mention, as the batch names a new cluster).
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import hashlib
import json
import operator
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from neo4j import Driver

from graph_schema import realtime as graph
from huitong.journal import Journal, JournalWriter
from huitong.standardise import standardise_person_name
from huitong.standardise.names import homophone_key
from huitong.vocabulary import ENTITY_TYPES, MENTION_FIELDS
from loaders.config import SourcesConfig, SourceSpec, load_config
from loaders.readers import LONE_SURROGATE, RawRow, as_text, lone_surrogate
from loaders.sources import record_id_problem, stage_row
from loaders.staging import EVENT_SCHEMA, MENTION_SCHEMA, PARTICIPANT_SCHEMA, RELATION_SCHEMA
from realtime.errors import NoSnapshot, NotApplied, TooManyRows, UnknownSource
from realtime.matcher import EntityMatcher, GoldenRows, snapshot_connection
from realtime.results import MentionResult, RetractResult, RowResult, SubmitResult
from resolution.cluster import CONSTRAINTS, IDENTIFIERS, torn
from resolution.golden import golden_token
from resolution.matcher_input import NEIGHBOURS, RELATED
from resolution.model_spec import load_model_spec
from resolution.pipeline import RESOLVE_ORDER
from resolution.snapshot import current_snapshot, snapshot_path
from resolution.survivorship import deployment_rules, golden_records_of

MAX_ROWS = 1000
"""Rows one call may carry."""
CALL = ("memory", "call")
_DATE_FIELDS = {f.name for f in MENTION_FIELDS if f.type == "date"}
_SOURCE_RECORD_FIELDS = [f.name for f in MENTION_FIELDS if f.on_source_record]
MAX_SOURCE_RECORDS = 20


def _jsonable(row: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()}


def _dated(row: dict, fields: set[str]) -> dict:
    out = dict(row)
    for name in fields:
        if isinstance(out.get(name), str):
            out[name] = date.fromisoformat(out[name])
    return out


@dataclass
class _Mention:
    """A mention of the call being decided."""

    mention_id: str
    entity: str
    role: str
    row: dict
    golden_id: str | None = None
    decision: str | None = None
    probability: float | None = None
    merged: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)
    previous: str | None = None
    """the golden record its record's earlier version belonged to (an update)."""


@dataclass
class _Call:
    spec: SourceSpec
    results: list[RowResult]
    staged: list[Any] = field(default_factory=list)
    mentions: list[_Mention] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    merges: list[tuple[str, str, str]] = field(default_factory=list)
    splits: list[tuple[str, str, str]] = field(default_factory=list)
    created: list[tuple[str, str]] = field(default_factory=list)
    retired: list[tuple[str, str]] = field(default_factory=list)
    reviews: list[dict] = field(default_factory=list)
    matcher_rows: dict[str, pa.Table] = field(default_factory=dict)
    statements: dict[str, list[str]] = field(default_factory=dict)
    """``source/record_id`` of each changed or retracted row → its earlier mentions."""
    after: dict[str, dict | None] = field(default_factory=dict)
    before: dict[str, dict | None] = field(default_factory=dict)
    members_after: dict[str, list[str]] = field(default_factory=dict)


SETTLE_EVERY = 200
"""Calls between two settlings of the heap (:meth:`Engine._settle`)."""


class Engine:
    """Real-time resolution for one workdir (see the module docstring)."""

    def __init__(
        self,
        workdir: Path | str,
        driver: Driver,
        *,
        database: str = "neo4j",
        config: SourcesConfig | Path | str | None = None,
    ) -> None:
        self.workdir = Path(workdir)
        self.driver = driver
        self.database = database
        self.journal = Journal(self.workdir)
        manifest = current_snapshot(self.workdir)
        if manifest is None:
            raise NoSnapshot(
                f"{self.workdir} holds no resolved run to match against: run `huitong resolve`"
            )
        if config is None:
            config = manifest["config"]
        if not isinstance(config, SourcesConfig):
            config = load_config(config, check_columns=False)
        self.config = config
        self.rules = deployment_rules(
            self.config.survivorship.file, self.config.survivorship.source_trust
        )
        self.lock = threading.Lock()
        homophone_key(standardise_person_name("黄伟"))  # warm the pinyin tables once
        self._file_hashes: dict[str, tuple[tuple[int, int], str]] = {}
        self._open(manifest["run_id"])

    # -- state ---------------------------------------------------------------------------------
    def _open(self, run_id: str) -> None:
        """Read the run's snapshot into this engine's state (with the collector paused, then
        settled: all of it is kept)."""
        with _collector_paused():
            self._load(run_id)
            self._settle()

    def _load(self, run_id: str) -> None:
        path = snapshot_path(self.workdir, run_id)
        con = snapshot_connection(path)
        con.execute("CREATE SCHEMA IF NOT EXISTS memory.call")
        self.con = con
        manifest = dict(con.execute("SELECT key, value FROM snap.manifest").fetchall())
        self.run_id = manifest["run_id"]
        self.snapshot_through = int(manifest["submitted_through"])
        models = dict(con.execute("SELECT entity, model FROM snap.models").fetchall())
        self.matchers = {e: EntityMatcher(con, e, models[e], path) for e in ENTITY_TYPES}
        self.specs = {e: load_model_spec(e) for e in ENTITY_TYPES}
        self.profile_ids = {
            e: self.matchers[e].profiles.column("mention_id").to_pylist() for e in ENTITY_TYPES
        }
        """each entity's snapshot profiles' mention ids by ``idx``: sorted (``idx`` numbers them
        in ``mention_id`` order), so :meth:`_profile_idx` finds one by bisection"""
        for e, ids in self.profile_ids.items():
            if any(map(operator.ge, ids, ids[1:])):
                raise RuntimeError(f"{path}: matcher_profiles_{e} is not in mention_id order")
        records = con.execute("SELECT * FROM snap.records LIMIT 0").description
        self.records_hold_mentions = "mention_ids" in {d[0] for d in records}
        self.steward: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for _, decision, left, right in con.execute("SELECT * FROM snap.steward_pairs").fetchall():
            self.steward[left].append((decision, right))
            self.steward[right].append((decision, left))
        con.execute("CREATE OR REPLACE TABLE ov_mentions AS SELECT * FROM snap.mentions LIMIT 0")
        # the golden records' rows a call reads: before (values, place, members) and after
        self.mentions_by_golden = GoldenRows(con, "mentions", path, order="mention_id")
        self.golden_values = {
            e: GoldenRows(con, f"golden_records_{e}", path, order="attribute") for e in ENTITY_TYPES
        }
        self.golden_places = GoldenRows(con, "golden_places", path, order="entity")
        self.constraint_rows = GoldenRows(con, "constraint_values", path, order="name, value")
        # what every call asks of the read-only snapshot, held once: golden records' sizes,
        # the IDs ever issued, each source's last row and the last batch
        self.snapshot_sizes: dict[str, int] = {}
        for entity in ENTITY_TYPES:
            self.snapshot_sizes.update(
                con.execute(f"SELECT golden_id, mention_count FROM snap.golden_{entity}").fetchall()
            )
        self.snapshot_ids = {
            r[0] for r in con.execute("SELECT golden_id FROM snap.golden_ids").fetchall()
        }
        self.last_rows: dict[str, int] = {
            source: int(last or 0)
            for source, last in con.execute(
                "SELECT source, max(row_number) FROM snap.mentions GROUP BY source"
            ).fetchall()
        }
        self.snapshot_points: dict[str, tuple | None] = {}
        self.snapshot_constraints: dict[str, list[tuple[str, str]]] = {}
        self.last_batch = int(
            con.execute("SELECT max(batch_id) FROM snap.mentions").fetchone()[0] or 0
        )
        self.members: dict[str, str] = {}
        """each submitted mention → the golden ID the overlay gives it (unresolved)"""
        self.member_ids: dict[str, set[str]] = defaultdict(set)
        """the same, by golden ID: a call's golden records find their submitted mentions
        without a pass over every mention submitted since the snapshot"""
        self.removed: set[str] = set()
        self.redirects: dict[str, str] = {}
        self.records: dict[tuple[str, str], str | None] = {}
        self.record_mentions: dict[tuple[str, str], list[str]] = {}
        self.golden_state: dict[str, dict] = {}
        self.issued: set[str] = set()
        self.counts: dict[str, int] = defaultdict(int)
        self.cluster_keys: dict[str, str] = {}
        self.constraint_values: dict[str, dict[str, str]] = {}
        self.pending_counts: dict[str, int] = defaultdict(int)
        self.offset = 0
        self.seq = 0
        self.applied: int | None = None

    def close(self) -> None:
        self.con.close()

    def shutdown(self) -> None:
        """Close the engine (and its driver, when it opened one)."""
        self.close()
        if getattr(self, "owns_driver", False):
            self.driver.close()

    # -- the collector -----------------------------------------------------------------------
    def _settle(self) -> None:
        """Keep Python's cyclic collector off the engine's long-lived state. The engine holds
        the snapshot's IDs and everything journalled since it opened: at 100k persons, with a
        few thousand rows submitted, ~600k tracked containers, which every full collection
        walked (150–500 ms pauses every ten or so calls: the one-row p95). A full collection
        first (so no garbage is kept), then everything alive is frozen: never walked again,
        still freed by reference counting when dropped."""
        gc.collect()
        gc.freeze()
        self._calls_since_settled = 0

    def _settle_now_and_then(self) -> None:
        """After a call: settle every :data:`SETTLE_EVERY` calls, so the collector's walks
        cover at most that many calls' state (a few milliseconds) between settlings."""
        self._calls_since_settled += 1
        if self._calls_since_settled >= SETTLE_EVERY:
            self._settle()

    def _catch_up(self, writer: JournalWriter) -> None:
        """Replay entries journalled since this engine last looked (other processes' calls)."""
        with _collector_paused():  # what is replayed stays: nothing to collect
            entries, self.offset = writer.read_from(self.offset)
            for entry in entries:
                self.seq = entry["seq"]
                if entry["seq"] > self.snapshot_through:
                    self._remember(entry)
            if entries:  # the overlay just built: kept, and not walked again
                self._settle()

    def _resolve(self, golden_id: str) -> str:
        seen = set()
        while golden_id in self.redirects and golden_id not in seen:
            seen.add(golden_id)
            golden_id = self.redirects[golden_id]
        return golden_id

    def _unmember(self, mention_id: str) -> None:
        golden_id = self.members.pop(mention_id, None)
        if golden_id is not None:
            self.member_ids[golden_id].discard(mention_id)

    def _remember(self, entry: dict) -> None:
        """Apply a journalled call to the overlay."""
        state = entry["state"]
        for _, old, new in state.get("merges", []):
            self.redirects[old] = new
        gone = list(state.get("removed", []))
        by_entity: dict[str, list[str]] = defaultdict(list)
        for mention_id in gone:
            self.removed.add(mention_id)
            self._unmember(mention_id)
        mentions = [_dated(m, _DATE_FIELDS) for m in state.get("mentions", [])]
        for m in mentions:
            by_entity[m["entity"]].append(m["mention_id"])
            if m.get("row_number") is not None:
                self.last_rows[m["source"]] = max(
                    self.last_rows.get(m["source"], 0), m["row_number"]
                )
            if m.get("batch_id") is not None:
                self.last_batch = max(self.last_batch, m["batch_id"])
        replaced = gone + [m["mention_id"] for m in mentions]
        if replaced:
            self.con.execute(
                "DELETE FROM ov_mentions WHERE list_contains(?, mention_id)", [replaced]
            )
            for matcher in self.matchers.values():
                matcher.forget(replaced)
        members = {m: g for m, _, g in state.get("members", [])}
        if mentions:
            rows = [{**m, "golden_id": members.get(m["mention_id"])} for m in mentions]
            overlay = pa.Table.from_pylist(  # noqa: F841 - read by DuckDB
                rows, schema=pa.schema([*MENTION_SCHEMA, pa.field("golden_id", pa.string())])
            )
            self.con.execute("INSERT INTO ov_mentions BY NAME SELECT * FROM overlay")
        for mention_id, _, golden_id in state.get("members", []):
            self._unmember(mention_id)
            self.members[mention_id] = golden_id
            self.member_ids[golden_id].add(mention_id)
            self.removed.add(mention_id)  # its snapshot version (if any) is no longer current
        for entity, profiles in state.get("profiles", {}).items():
            if profiles["rows"]:
                self.matchers[entity].remember(
                    pa.Table.from_pylist(profiles["rows"]), profiles["keys"]
                )
        for source_record, content_hash in state.get("records_in_force", []):
            source, record_id = source_record.split("/", 1)
            self.records[(source, record_id)] = content_hash
        for key, ids in state.get("record_mentions", {}).items():
            source, record_id = key.split("/", 1)
            self.record_mentions[(source, record_id)] = ids
        for _, golden_id in state.get("created", []):
            self.issued.add(golden_id)
        for record in state.get("records", []):
            self.golden_state[record["golden_id"]] = record
        for golden_id, delta in state.get("counts", {}).items():
            self.counts[golden_id] += delta
        self.cluster_keys.update(state.get("cluster_keys", {}))
        self.constraint_values.update(state.get("constraint_values", {}))

    # -- the public surface ----------------------------------------------------------------
    def source(self, name: str) -> SourceSpec:
        try:
            return self.config.source(name)
        except StopIteration:
            raise UnknownSource(f"no source named {name!r} in {self.config.path}") from None

    def submit(self, source: str, rows: list[RawRow], by: str = "unknown") -> SubmitResult:
        """Stage, match and write one call's rows (see the module docstring)."""
        spec = self.source(source)
        if len(rows) > MAX_ROWS:
            raise TooManyRows(f"{len(rows)} rows in one call; at most {MAX_ROWS}")
        with self.lock, self.journal.writer() as writer:
            self._catch_up(writer)
            self._recover_if_up(writer)
            try:
                call = self._stage(spec, rows)
                if not call.staged:
                    return SubmitResult(source, call.results, None)
                self._match(call)
                entry = self._entry(call, writer, by)
                self._commit(writer, entry)
            except BaseException:
                self._reset()
                raise
            self._apply_latest(writer, entry)
            self._settle_now_and_then()
            return SubmitResult(source, call.results, entry["seq"])

    def retract(self, source: str, record_ids: list[str], by: str = "unknown") -> RetractResult:
        """Remove records from their source: their mentions leave their golden records (a
        record left with none is retired), their source records, events and relation
        statements leave the graph."""
        spec = self.source(source)
        if len(record_ids) > MAX_ROWS:
            raise TooManyRows(f"{len(record_ids)} records in one call; at most {MAX_ROWS}")
        with self.lock, self.journal.writer() as writer:
            self._catch_up(writer)
            self._recover_if_up(writer)
            current = self._current_hashes(spec.name, record_ids)
            found = [r for r in dict.fromkeys(record_ids) if current.get(r) is not None]
            missing = [r for r in dict.fromkeys(record_ids) if current.get(r) is None]
            if not found:
                return RetractResult(source, [], missing, None)
            try:
                call = _Call(spec, [])
                old = self._record_mentions(spec.name, found)
                for record_id in found:
                    call.removed.extend(old.get(record_id, []))
                    call.statements[f"{spec.name}/{record_id}"] = list(old.get(record_id, []))
                self._consolidate(call)
                entry = self._entry(call, writer, by, retracted=found)
                self._commit(writer, entry)
            except BaseException:
                self._reset()
                raise
            self._apply_latest(writer, entry)
            self._settle_now_and_then()
            return RetractResult(source, found, missing, entry["seq"])

    def _commit(self, writer: JournalWriter, entry: dict) -> None:
        """Journal the call durably, then make it part of this engine's state."""
        writer.append(entry)
        self.offset = writer.end()
        self.seq = entry["seq"]
        self.pending_counts.clear()
        self._remember(entry)

    def _reset(self) -> None:
        """A call failed before it was journalled: rebuild the state from the snapshot and
        the journal (the failed call may have left half its decisions here)."""
        self.close()
        self._open(self.run_id)

    # -- staging -------------------------------------------------------------------------------
    def _current_hashes(self, source: str, record_ids: list[str]) -> dict[str, str | None]:
        known: dict[str, str | None] = {}
        rows = self.con.execute(
            "SELECT record_id, content_hash FROM snap.records "
            "WHERE source = ? AND record_id = ANY(?::VARCHAR[])",
            [source, list(record_ids)],
        ).fetchall()
        known.update(dict(rows))
        for record_id in record_ids:
            if (source, record_id) in self.records:
                known[record_id] = self.records[(source, record_id)]
        return known

    def _record_mentions(self, source: str, record_ids: list[str]) -> dict[str, list[str]]:
        """The current mention ids of records (their latest version)."""
        found: dict[str, list[str]] = defaultdict(list)
        if self.records_hold_mentions:  # snapshots since 12-04: no scan of every mention
            for record_id, mention_ids in self.con.execute(
                "SELECT record_id, mention_ids FROM snap.records "
                "WHERE source = ? AND record_id = ANY(?::VARCHAR[])",
                [source, list(record_ids)],
            ).fetchall():
                if mention_ids:
                    found[record_id].extend(mention_ids)
        else:
            for record_id, mention_id in self.con.execute(
                "SELECT record_id, mention_id FROM snap.mentions "
                "WHERE source = ? AND list_contains(?, record_id)",
                [source, list(record_ids)],
            ).fetchall():
                found[record_id].append(mention_id)
        for record_id in record_ids:
            if (source, record_id) in self.record_mentions:
                found[record_id] = list(self.record_mentions[(source, record_id)])
        return found

    def _golden_of(self, mention_id: str, snapshot_golden: str | None) -> str | None:
        golden = self.members.get(mention_id)
        if golden is None:
            if mention_id in self.removed:
                return None
            golden = snapshot_golden
        return self._resolve(golden) if golden else None

    def _stage(self, spec: SourceSpec, rows: list[RawRow]) -> _Call:
        columns = spec.columns_used()
        call = _Call(spec, [])
        seen: dict[str, int] = {}
        candidates = []
        for position, row in enumerate(rows, start=1):
            if row.values is None:
                call.results.append(RowResult(None, "QUARANTINED", row.error or "unreadable row"))
                continue
            problem = record_id_problem(spec, row.values)
            if problem:
                call.results.append(RowResult(None, "QUARANTINED", problem))
                continue
            record_id = row.values[spec.record_id]
            if record_id in seen:
                call.results.append(
                    RowResult(
                        record_id,
                        "QUARANTINED",
                        f"duplicate record id: '{record_id}' already at row {seen[record_id]}",
                    )
                )
                continue
            seen[record_id] = position
            staged, problem = stage_row(spec, row.values, 0, columns)
            if staged is None:
                call.results.append(RowResult(record_id, "QUARANTINED", problem))
                continue
            result = RowResult(record_id, "CREATED")
            call.results.append(result)
            candidates.append((result, staged, row))
        ids = [staged.record_id for _, staged, _ in candidates]
        current = self._current_hashes(spec.name, ids)
        old_mentions = self._record_mentions(spec.name, ids)
        last_row = self._last_row(spec.name)
        for result, staged, row in candidates:
            before = current.get(staged.record_id)
            if before is not None and before == staged.content_hash:
                result.status = "UNCHANGED"
                result.mentions = self._unchanged_mentions(old_mentions[staged.record_id])
                continue
            result.status = "UPDATED" if before is not None else "CREATED"
            last_row += 1
            for mention in staged.mentions:
                mention["row_number"] = last_row
            staged.raw = row.raw
            staged.values = row.values
            call.staged.append((result, staged))
            call.statements[f"{spec.name}/{staged.record_id}"] = list(
                old_mentions.get(staged.record_id, [])
            )
            previous = {m: None for m in old_mentions.get(staged.record_id, [])}
            previous.update(self._goldens_of(list(previous)))
            kept = {m["mention_id"] for m in staged.mentions}
            call.removed.extend(m for m in previous if m not in kept)
            for mention in staged.mentions:
                call.mentions.append(
                    _Mention(
                        mention["mention_id"],
                        mention["entity"],
                        mention["role"],
                        mention,
                        previous=previous.get(mention["mention_id"]),
                    )
                )
        return call

    def _last_row(self, source: str) -> int:
        """The highest row number the source's mentions have (snapshot and submitted)."""
        return self.last_rows.get(source, 0)

    def _goldens_of(self, mention_ids: list[str]) -> dict[str, str | None]:
        if not mention_ids:
            return {}
        snapshot = dict(
            self.con.execute(
                "SELECT mention_id, golden_id FROM snap.mentions "
                "WHERE list_contains(?, mention_id)",
                [mention_ids],
            ).fetchall()
        )
        return {m: self._golden_of(m, snapshot.get(m)) for m in mention_ids}

    def _unchanged_mentions(self, mention_ids: list[str]) -> list[MentionResult]:
        goldens = self._goldens_of(mention_ids)
        out = []
        for mention_id in sorted(mention_ids):
            golden = goldens.get(mention_id)
            if golden is None:
                continue
            _, _, role = mention_id.rsplit("/", 2)
            entity = self._entity_of_golden(golden)
            out.append(MentionResult(role, entity, golden, "MATCHED", None))
        return out

    @staticmethod
    def _entity_of_golden(golden_id: str) -> str:
        return {"P": "person", "E": "enterprise", "U": "rental_unit"}[golden_id[0]]

    # -- matching ------------------------------------------------------------------------------
    def _match(self, call: _Call) -> None:
        self._write_call_tables(call)
        self._call_constraints(call)
        for entity in RESOLVE_ORDER:
            mentions = [m for m in call.mentions if m.entity == entity]
            if mentions:
                self._match_entity(call, entity, mentions)
            if entity in ("enterprise", "rental_unit"):
                self._write_clusters(call, entity)
        self._consolidate(call)

    def _write_call_tables(self, call: _Call) -> None:
        con = self.con
        staged = [s for _, s in call.staged]
        tables = {
            "mentions": (MENTION_SCHEMA, [m for s in staged for m in s.mentions]),
            "relations": (RELATION_SCHEMA, [r for s in staged for r in s.relations]),
            "events": (EVENT_SCHEMA, [s.event for s in staged if s.event is not None]),
            "event_participants": (PARTICIPANT_SCHEMA, [p for s in staged for p in s.participants]),
        }
        for name, (schema, rows) in tables.items():
            arrow = pa.Table.from_pylist(rows, schema=schema)  # noqa: F841 - read by DuckDB
            con.execute(f"CREATE OR REPLACE TABLE memory.call.{name} AS SELECT * FROM arrow")
        for entity in ("enterprise", "rental_unit"):
            con.execute(
                f"CREATE OR REPLACE TABLE memory.call.clusters_{entity} "
                "(mention_id VARCHAR, cluster_key VARCHAR)"
            )

    def _write_clusters(self, call: _Call, entity: str) -> None:
        """The cluster key each of the call's enterprises or rental units stands for when a
        person's row names it: the snapshot cluster of the golden record it joined."""
        rows = []
        mentions = [m for m in call.mentions if m.entity == entity and m.golden_id]
        goldens = sorted({m.golden_id for m in mentions if m.golden_id not in self.cluster_keys})
        snapshot = dict(
            self.con.execute(
                "SELECT golden_id, cluster_key FROM snap.golden_clusters "
                "WHERE entity = ? AND golden_id = ANY(?::VARCHAR[])",  # 12 → 6 ms at 100k
                [entity, goldens],
            ).fetchall()
        ) if goldens else {}  # fmt: skip
        for m in mentions:
            key = self.cluster_keys.get(m.golden_id) or snapshot.get(m.golden_id)
            if key is None:
                key = m.mention_id
                self.cluster_keys[m.golden_id] = key
            rows.append((m.mention_id, key))
        if rows:
            self.con.executemany(f"INSERT INTO memory.call.clusters_{entity} VALUES (?, ?)", rows)

    def _match_entity(self, call: _Call, entity: str, mentions: list[_Mention]) -> None:
        matcher = self.matchers[entity]
        spec = self.specs[entity]
        rows = matcher.prepare(CALL, empty=self._empty_parts(call))
        call.matcher_rows[entity] = rows
        call_ids = set(rows.column("mention_id").to_pylist())
        updated = {m.mention_id for m in mentions if m.previous is not None}
        # a record's new version is scored apart from its old one
        renamed = {m: f"{m}\x01" for m in updated}
        pairs: dict[tuple[str, str], set[int]] = defaultdict(set)
        snapshot_idx: set[int] = set()
        overlay_ids: set[str] = set()
        by_key: dict[tuple[int, int], list[str]] = defaultdict(list)
        ids = rows.column("mention_id").to_pylist()
        profile_ids = self.profile_ids[entity]
        for i in range(len(spec.blocking_rules)):
            keys = rows.column(f"key_{i}").to_pylist()
            for mention_id, key in zip(ids, keys, strict=True):
                if key is None:
                    continue
                me = renamed.get(mention_id, mention_id)
                by_key[(i, key)].append(me)
                _, found = matcher.snapshot_candidates(i, key)
                for idx in found:
                    other = profile_ids[idx]
                    if other in call_ids:
                        continue
                    snapshot_idx.add(idx)
                    pairs[(min(me, other), max(me, other))].add(i)
                for other in matcher.overlay_candidates(i, key):
                    if other in call_ids:
                        continue
                    overlay_ids.add(other)
                    pairs[(min(me, other), max(me, other))].add(i)
        for (rule, _), group in by_key.items():
            for a in range(len(group)):
                for b in range(a + 1, len(group)):
                    left, right = sorted((group[a], group[b]))
                    if left != right:
                        pairs[(left, right)].add(rule)
        scored = matcher.score(rows, pairs, snapshot_idx, overlay_ids, renamed)
        back = {v: k for k, v in renamed.items()}
        evidence: dict[str, list[tuple[str, float, float, dict]]] = defaultdict(list)
        for left, right, p, w, comparisons in scored:
            left, right = back.get(left, left), back.get(right, right)
            if left in call_ids:
                evidence[left].append((right, p, w, comparisons))
            if right in call_ids:
                evidence[right].append((left, p, w, comparisons))
        others = {o for items in evidence.values() for o, *_ in items if o not in call_ids}
        owners = self._owners(entity, others)
        # every golden record the call's mentions may join: their values read at once
        self._load_snapshot_constraints(
            self._sources({self._resolve(g) for found in owners.values() for g in found})
        )
        decided: dict[str, _Mention] = {}
        for mention in mentions:
            self._decide(call, spec, mention, evidence.get(mention.mention_id, []), owners, decided)
            decided[mention.mention_id] = mention

    @staticmethod
    def _empty_parts(call: _Call) -> set[str]:
        """The preparation's parts with no rows for this call: neighbours come only from the
        rows' relations, related values from relations and events."""
        staged = [s for _, s in call.staged]
        if any(s.relations for s in staged):
            return set()
        if any(s.participants for s in staged):
            return {NEIGHBOURS}
        return {NEIGHBOURS, RELATED}

    def _profile_idx(self, entity: str, mention_id: str) -> int | None:
        """The ``idx`` of the snapshot profile whose representative is ``mention_id``."""
        ids = self.profile_ids[entity]
        i = bisect.bisect_left(ids, mention_id)
        return i if i < len(ids) and ids[i] == mention_id else None

    def _owners(self, entity: str, others: set[str]) -> dict[str, set[str]]:
        """The golden records each compared profile or submitted mention now belongs to."""
        owners: dict[str, set[str]] = defaultdict(set)
        if not others:
            return owners
        profiles = [i for o in others if (i := self._profile_idx(entity, o)) is not None]
        ids = self.profile_ids[entity]
        for idx, mention_id, golden in self.matchers[entity].members_of(profiles):
            current = self._golden_of(mention_id, golden)
            if current:
                owners[ids[idx]].add(current)
        for other in others:
            if other in self.members:
                owners[other].add(self._resolve(self.members[other]))
        return owners

    def _sources(self, golden_ids: set[str]) -> dict[str, set[str]]:
        """Each golden ID with the IDs merged into it (one pass over the redirects)."""
        merged_into: dict[str, set[str]] = defaultdict(set)
        for old in self.redirects:
            merged_into[self._resolve(old)].add(old)
        return {g: {g} | merged_into.get(g, set()) for g in golden_ids}

    def _load_snapshot_constraints(self, sources: dict[str, set[str]]) -> set[str]:
        """Read the snapshot's hard-constraint values of these golden IDs (and of those merged
        into them) not read before; returns all of the IDs."""
        everything = set().union(*sources.values()) if sources else set()
        # not `everything - keys()`: that walks every key read so far
        missing = [g for g in everything if g not in self.snapshot_constraints]
        if missing:  # the snapshot's values of a golden ID never change: read once
            for golden in missing:
                self.snapshot_constraints[golden] = []
            for row in self.constraint_rows.rows_of(missing):
                self.snapshot_constraints[row["golden_id"]].append((row["name"], row["value"]))
        return everything

    def _entity_values(self, golden_ids: set[str], call: _Call) -> dict[str, dict[str, set]]:
        values: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
        sources = self._sources(golden_ids)
        everything = self._load_snapshot_constraints(sources)
        for golden in everything:
            for name, value in self.snapshot_constraints[golden]:
                values[self._resolve(golden)][name].add(value)
        # only the stored IDs that resolve to these golden records, not every submitted
        # mention's (which grow with every call since the snapshot)
        for golden in golden_ids:
            for stored in sources[golden]:
                if self._resolve(stored) != golden:
                    continue
                for mention_id in self.member_ids.get(stored, ()):
                    for name, value in self.constraint_values.get(mention_id, {}).items():
                        values[golden][name].add(value)
        for m in call.mentions:
            if m.golden_id in golden_ids:
                for name, value in self._mention_constraints(m).items():
                    values[m.golden_id][name].add(value)
        return values

    def _call_constraints(self, call: _Call) -> None:
        """The hard-constraint values of every mention of the call, one statement a type."""
        for entity in sorted({m.entity for m in call.mentions}):
            exprs = CONSTRAINTS[entity]
            casts = ", ".join(f"CAST({sql} AS VARCHAR)" for sql in exprs.values())
            found = {
                row[0]: {name: value for name, value in zip(exprs, row[1:], strict=True) if value}
                for row in self.con.execute(
                    f"SELECT mention_id, {casts} FROM memory.call.mentions WHERE entity = ?",
                    [entity],
                ).fetchall()
            }
            for m in call.mentions:
                if m.entity == entity:
                    m._constraints = found.get(m.mention_id, {})  # type: ignore[attr-defined]

    def _mention_constraints(self, mention: _Mention) -> dict[str, str]:
        cached = getattr(mention, "_constraints", None)
        if cached is not None:
            return cached
        exprs = CONSTRAINTS[mention.entity]
        row = self.con.execute(
            f"SELECT {', '.join(f'CAST({sql} AS VARCHAR)' for sql in exprs.values())} "
            "FROM memory.call.mentions WHERE mention_id = ?",
            [mention.mention_id],
        ).fetchone()
        found = {name: value for name, value in zip(exprs, row or (), strict=False) if value}
        mention._constraints = found  # type: ignore[attr-defined]
        return found

    @staticmethod
    def _conflict(a: dict[str, set], b: dict[str, set]) -> str | None:
        for name in set(a) & set(b):
            va, vb = a[name], b[name]
            if va and vb and not (va <= vb or vb <= va):
                return name
        return None

    def _size(self, golden_id: str, entity: str) -> int:
        return (
            self.snapshot_sizes.get(golden_id, 0)
            + self.counts.get(golden_id, 0)
            + self.pending_counts.get(golden_id, 0)
        )

    def _decide(
        self,
        call: _Call,
        spec,
        mention: _Mention,
        evidence: list[tuple[str, float, float, dict]],
        owners: dict[str, set[str]],
        decided: dict[str, _Mention],
    ) -> None:
        best: dict[str, tuple[float, str, dict]] = {}
        for other, p, _, comparisons in evidence:
            targets = owners.get(other, set())
            if other in decided and decided[other].golden_id:
                targets = {decided[other].golden_id}
            for golden in targets:
                golden = self._resolve(golden)
                if golden not in best or p > best[golden][0]:
                    best[golden] = (p, other, comparisons)
        forced = set()
        forbidden = set()
        for decision, other in self.steward.get(mention.mention_id, []):
            golden = self._goldens_of([other]).get(other)
            if golden:
                (forced if decision == "MATCH" else forbidden).add(golden)
        threshold = spec.cluster_threshold
        low = spec.review_band[0]
        strong = sorted(
            (g for g, (p, _, _) in best.items() if p >= threshold or g in forced),
            key=lambda g: (-(1.0 if g in forced else best[g][0]), g),
        )
        values = self._entity_values(set(best) | forced, call)
        mine = {n: {v} for n, v in self._mention_constraints(mention).items()}
        torn_between = (
            [] if forced else self._torn(mention, mine, strong, forbidden, best, values, threshold)
        )
        if torn_between:
            strong = []
        joined: str | None = None
        merged_values: dict[str, set] = {n: set(v) for n, v in mine.items()}
        for golden in strong:
            if golden in forbidden and golden not in forced:
                continue
            conflict = None if golden in forced else self._conflict(merged_values, values[golden])
            if conflict:
                if joined is not None:
                    mention.review.append(golden)
                    self._review(call, mention, best[golden], golden)
                continue
            if joined is None:
                joined = golden
            else:
                keep = self._merge(call, mention.entity, joined, golden)
                mention.merged.append(golden if keep == joined else joined)
                joined = keep
            for name, vals in values[golden].items():
                merged_values.setdefault(name, set()).update(vals)
        if joined is not None:
            mention.golden_id = joined
            mention.decision = "MATCHED"
            mention.probability = max(best[g][0] for g in strong if g in best) if best else None
        else:
            top = max(best.items(), key=lambda item: (item[1][0], item[0]), default=None)
            mention.probability = top[1][0] if top and top[1][0] >= spec.predict_threshold else None
            mention.golden_id = self._new_id(call, mention)
            if torn_between:
                mention.decision = "REVIEW"
                for golden in torn_between:
                    mention.review.append(golden)
                    self._review(call, mention, best[golden], golden)
            elif top is not None and top[1][0] >= low and top[0] not in forbidden:
                mention.decision = "REVIEW"
                mention.review.append(top[0])
                self._review(call, mention, top[1], top[0])
            else:
                mention.decision = "NEW"
        self.pending_counts[mention.golden_id] += 1
        if mention.previous is not None:
            self.pending_counts[mention.previous] -= 1

    def _torn(
        self,
        mention: _Mention,
        mine: dict[str, set],
        strong: list[str],
        forbidden: set[str],
        best: dict[str, tuple[float, str, dict]],
        values: dict[str, dict[str, set]],
        threshold: float,
    ) -> list[str]:
        """The identified entities a mention is torn between, as batch clustering decides
        (:func:`resolution.cluster.torn`): a mention without an identifier of its own, above
        the threshold with entities a constraint keeps apart, none decisively, joins none of
        them and goes to review with each. Empty when it is not torn."""
        identifiers = IDENTIFIERS.get(mention.entity, ())
        if not identifiers or any(name in mine for name in identifiers):
            return []
        held = [
            g
            for g in strong
            if g not in forbidden and any(values[g].get(name) for name in identifiers)
        ]
        apart = any(self._conflict(values[a], values[b]) for a in held for b in held if a < b)
        return held if apart and torn([best[g][0] for g in held], threshold) else []

    def _new_id(self, call: _Call, mention: _Mention) -> str:
        previous = mention.previous
        if previous is not None and self._size(previous, mention.entity) <= 1:
            return previous  # its only mention, changed: the record keeps its ID
        issued = self.issued
        attempt = 0
        golden = golden_token(mention.entity, mention.mention_id)
        while golden in issued or self._issued_in_snapshot(golden):
            attempt += 1
            golden = golden_token(mention.entity, mention.mention_id, attempt)
        issued.add(golden)
        call.created.append((mention.entity, golden))
        return golden

    def _issued_in_snapshot(self, golden_id: str) -> bool:
        return golden_id in self.snapshot_ids

    def _merge(self, call: _Call, entity: str, a: str, b: str) -> str:
        """Merge golden records ``a`` and ``b``; the one with more mentions keeps its ID
        (ties: the smaller), as the batch keeps the largest overlap."""
        size_a, size_b = self._size(a, entity), self._size(b, entity)
        keep, gone = (a, b) if (size_a, b) >= (size_b, a) else (b, a)
        if size_a == size_b:
            keep, gone = (min(a, b), max(a, b))
        self.pending_counts[keep] += self._size(gone, entity)
        self.redirects[gone] = keep
        call.merges.append((entity, gone, keep))
        return keep

    def _review(self, call: _Call, mention: _Mention, best: tuple, golden: str) -> None:
        p, other, comparisons = best
        left, right = sorted((mention.mention_id, other))
        call.reviews.append(
            {
                "id": hashlib.sha256(f"{left}\x1f{right}".encode()).hexdigest()[:16],
                "left": left,
                "right": right,
                "props": {
                    "entity": mention.entity,
                    "match_probability": p,
                    "comparisons": json.dumps(
                        {f"mw_{k}": v for k, v in comparisons.items()}, ensure_ascii=False
                    ),
                    "weak_link": False,
                    "priority": round(2 * max(1 - abs(2 * p - 1), 0.05), 6),
                },
            }
        )

    # -- golden records of what the call touched --------------------------------------------
    def _consolidate(self, call: _Call, retracted: list[tuple[str, str]] = ()) -> None:
        """Survivorship and placement of every golden record the call touched; the change
        entries and the graph plan are built from the before and after (see :meth:`_entry`)."""
        self._load_points(
            [m.row.get("point_key") for m in call.mentions]
            + [s.event.get("place_point_key") for _, s in call.staged if s.event]
        )
        touched: dict[str, set[str]] = defaultdict(set)
        for m in call.mentions:
            touched[m.entity].add(m.golden_id)
            if m.previous:
                touched[m.entity].add(self._resolve(m.previous))
        removed_goldens = self._goldens_of(call.removed)
        for _mention_id, golden in removed_goldens.items():
            if golden:
                touched[self._entity_of_golden(golden)].add(golden)
                self.pending_counts[golden] -= 1
        for entity, _, keep in call.merges:
            touched[entity].add(keep)
        gone_mentions = set(call.removed) | {m.mention_id for m in call.mentions}
        batch = self.last_batch + 1
        for m in call.mentions:
            m.row["batch_id"] = batch
        for entity, goldens in touched.items():
            goldens = {self._resolve(g) for g in goldens if g}
            merged_away = {old for e, old, _ in call.merges if e == entity}
            call.before.update(self._before_all(entity, goldens | merged_away))
            members = self._members(entity, goldens, gone_mentions, call)
            after = self._survive(entity, members)
            for golden in goldens:
                rows = [r for r in members if r["golden_id"] == golden]
                call.members_after[golden] = sorted(r["mention_id"] for r in rows)
                if not rows:
                    call.after[golden] = None
                    if golden not in merged_away:
                        call.retired.append((entity, golden))
                    continue
                call.after[golden] = after[golden]

    def _before_all(self, entity: str, goldens: set[str]) -> dict[str, dict | None]:
        """Each golden record as it stands before the call: as a call left it, else as the
        snapshot has it (its rows in the mapped files of :class:`GoldenRows`), else None (not
        issued yet)."""
        out: dict[str, dict | None] = {
            g: self.golden_state[g] for g in goldens if g in self.golden_state
        }
        wanted = sorted(g for g in goldens if g not in self.golden_state)
        if not wanted:
            return out
        values: dict[str, list] = defaultdict(list)
        for row in self.golden_values[entity].rows_of(wanted):  # by golden ID, attribute
            values[row["golden_id"]].append(
                [row["attribute"], row["value"], row["source"], row["record_id"], row["role"]]
            )
        places = {
            row["golden_id"]: {k: row[k] for k in ("point_key", "district", "street", "community")}
            for row in self.golden_places.rows_of(wanted)
            if row["entity"] == entity
        }
        members: dict[str, list[str]] = defaultdict(list)
        for row in self.mentions_by_golden.rows_of(wanted):  # by golden ID, mention ID
            if len(members[row["golden_id"]]) < MAX_SOURCE_RECORDS:
                members[row["golden_id"]].append(row["mention_id"])
        for golden in wanted:
            if not values.get(golden) and not self._issued_in_snapshot(golden):
                out[golden] = None
                continue
            out[golden] = {
                "entity": entity,
                "golden_id": golden,
                "values": values.get(golden, []),
                "place": places.get(golden),
                "members": members.get(golden, []),
            }
        return out

    def _members(self, entity: str, goldens: set[str], gone: set[str], call: _Call) -> list[dict]:
        """Every current mention of the golden records ``goldens`` (full mention rows, with
        ``golden_id``)."""
        sources = sorted(set().union(goldens, *self._sources(goldens).values()))
        rows = []
        for row in self.mentions_by_golden.rows_of(sources):
            if row["mention_id"] in gone or row["mention_id"] in self.removed:
                continue
            row["golden_id"] = self._resolve(row["golden_id"])
            rows.append(row)
        # submitted mentions stored under these IDs or one merged into them
        overlay = sorted({m for s in sources for m in self.member_ids.get(s, ())})
        if overlay:
            result = self.con.execute(
                "SELECT * FROM ov_mentions WHERE list_contains(?, mention_id)", [overlay]
            )
            names = [d[0] for d in result.description]
            for values in result.fetchall():
                row = dict(zip(names, values, strict=True))
                if row["mention_id"] in gone:
                    continue
                row["golden_id"] = self._resolve(self.members[row["mention_id"]])
                rows.append(row)
        for m in call.mentions:
            if m.golden_id in goldens:
                rows.append({**m.row, "golden_id": m.golden_id})
        return rows

    def _survive(self, entity: str, members: list[dict]) -> dict[str, dict]:
        """Survivorship by the deployment's rules (the batch's rules and orderings, in Python
        for these few members: :func:`resolution.survivorship.golden_records_of`)."""
        records, golden_rows = golden_records_of(members, entity, self.rules)
        out: dict[str, dict] = {}
        by_mention = {r["mention_id"]: r for r in members}
        records_of: dict[str, list[tuple]] = defaultdict(list)
        for r in records:
            records_of[r[0]].append(r)
        members_of: dict[str, list[str]] = defaultdict(list)
        for mention_id, r in by_mention.items():
            members_of[r["golden_id"]].append(mention_id)
        for golden, row in golden_rows.items():
            values = [list(r[1:6]) for r in records_of[golden]]
            provenance = {
                r[1]: {"value": r[2], "source": r[3], "record_id": r[4], "role": r[5],
                       "rule": r[6]}
                for r in records_of[golden]
            }  # fmt: skip
            point = row.get("point_key") if entity == "rental_unit" else None
            if entity != "rental_unit":
                address = provenance.get("address")
                if address:
                    key = f"{address['source']}/{address['record_id']}/{address['role']}"
                    point = (by_mention.get(key) or {}).get("point_key")
            out[golden] = {
                "entity": entity,
                "golden_id": golden,
                "values": values,
                "props": {k: v for k, v in row.items() if k != "golden_id"},
                "provenance": provenance,
                "place": self._place(point, by_mention),
                "members": sorted(members_of[golden]),
            }
        return out

    def _load_points(self, point_keys: list[str | None]) -> None:
        """Read the snapshot's address points of ``point_keys`` in one statement (see
        :meth:`_place`)."""
        wanted = sorted({k for k in point_keys if k and k not in self.snapshot_points})
        if not wanted:
            return
        self.snapshot_points.update(dict.fromkeys(wanted))
        for row in self.con.execute(
            "SELECT point_key, district, street, community FROM snap.address_points "
            "WHERE list_contains(?, point_key)",
            [wanted],
        ).fetchall():
            self.snapshot_points[row[0]] = row

    def _place(self, point_key: str | None, mentions: dict[str, dict]) -> dict | None:
        if not point_key:
            return None
        if point_key not in self.snapshot_points:  # the snapshot never changes: ask once
            self.snapshot_points[point_key] = self.con.execute(
                "SELECT point_key, district, street, community FROM snap.address_points "
                "WHERE point_key = ?",
                [point_key],
            ).fetchone()
        row = self.snapshot_points[point_key]
        if row:
            return dict(zip(("point_key", "district", "street", "community"), row, strict=True))
        for m in mentions.values():
            if m.get("point_key") == point_key and m.get("district"):
                return {"point_key": point_key, "district": m["district"],
                        "street": m.get("street"), "community": m.get("community")}  # fmt: skip
        return {"point_key": point_key, "district": None, "street": None, "community": None}

    # -- the journal entry: state for the overlay and the next resolve, plan for the graph ----
    def _entry(
        self, call: _Call, writer: JournalWriter, by: str, retracted: list[str] | None = None
    ) -> dict:
        seq = self.seq + 1
        now = datetime.now(UTC)
        spec = call.spec
        journal_id = writer.journal_id
        if retracted is None:
            rows = [
                {"record_id": s.record_id, "values": s.values, "raw": s.raw,
                 "content_hash": s.content_hash}
                for _, s in call.staged
            ]  # fmt: skip
            in_force = [[f"{spec.name}/{s.record_id}", s.content_hash] for _, s in call.staged]
            record_mentions = {
                f"{spec.name}/{s.record_id}": [m["mention_id"] for m in s.mentions]
                for _, s in call.staged
            }
        else:
            rows = [{"record_id": r} for r in retracted]
            in_force = [[f"{spec.name}/{r}", None] for r in retracted]
            record_mentions = {f"{spec.name}/{r}": [] for r in retracted}
        records = [
            {"entity": a["entity"], "golden_id": g, "values": a["values"], "place": a["place"],
             "members": a["members"][:MAX_SOURCE_RECORDS]}
            for g, a in call.after.items() if a is not None
        ]  # fmt: skip
        events = [s.event["event_id"] for _, s in call.staged if s.event is not None]
        constraint_values = {m.mention_id: self._mention_constraints(m) for m in call.mentions}
        counts = {g: d for g, d in self.pending_counts.items() if d}
        changes = self._changes(call, journal_id, seq, now)
        state = {
            "mentions": [_jsonable(m.row) for m in call.mentions],
            "profiles": {
                e: self.matchers[e].journalled(rows_) for e, rows_ in call.matcher_rows.items()
            },
            "members": [[m.mention_id, m.entity, m.golden_id] for m in call.mentions],
            "removed": list(call.removed),
            "merges": [list(x) for x in call.merges],
            "splits": [list(x) for x in call.splits],
            "created": [list(x) for x in call.created],
            "retired": [list(x) for x in call.retired],
            "records": records,
            "records_in_force": in_force,
            "record_mentions": record_mentions,
            "events": events,
            "counts": counts,
            "cluster_keys": {
                m.golden_id: self.cluster_keys[m.golden_id]
                for m in call.mentions
                if m.golden_id in self.cluster_keys
            },
            "constraint_values": constraint_values,
        }
        for result, staged in call.staged:
            result.mentions = [
                MentionResult(m.role, m.entity, m.golden_id, m.decision, m.probability,
                              list(m.merged), list(m.review))
                for m in call.mentions
                if m.row["record_id"] == staged.record_id
            ]  # fmt: skip
        return {
            "seq": seq,
            "kind": "retract" if retracted is not None else "submit",
            "at": now.isoformat(),
            "by": by,
            "snapshot": self.run_id,
            "source": spec.name,
            "file_hash": self._file_hash(spec),
            "rows": rows,
            "quarantined": [
                {"record_id": r.record_id, "reason": r.reason}
                for r in call.results
                if r.status == "QUARANTINED"
            ],
            "state": state,
            "plan": self._plan(call, changes),
        }

    def _file_hash(self, spec: SourceSpec) -> str | None:
        """The source file's hash (cached by size and modification time): a file delivered
        after a submission is the newer word on the records it carries."""
        from loaders.changes import file_hash

        try:
            stat = spec.path.stat()
        except FileNotFoundError:
            return None
        stamp = (stat.st_size, stat.st_mtime_ns)
        cached = self._file_hashes.get(spec.name)
        if cached is None or cached[0] != stamp:
            cached = (stamp, file_hash(spec.path))
            self._file_hashes[spec.name] = cached
        return cached[1]

    def _changes(self, call: _Call, journal_id: str, seq: int, now: datetime) -> list[dict]:
        """The call's change entries (the kinds and placing of :mod:`resolution.changes`)."""
        entries: list[dict] = []

        def add(kind: str, entity, entity_id, place, *, other=None, fields=None, records=None,
                event_type=None, event_id=None) -> None:  # fmt: skip
            place = place or {}
            entries.append(
                {"key": f"rt:{journal_id[:12]}:{seq}:{len(entries) + 1:05d}", "kind": kind,
                 "entity": entity, "entity_id": entity_id, "other_id": other, "at": now,
                 "run_id": f"realtime:{seq}", "event_type": event_type, "event_id": event_id,
                 "fields": fields or [], "source_records": (records or [])[:MAX_SOURCE_RECORDS],
                 "point_key": place.get("point_key"), "district": place.get("district"),
                 "street": place.get("street"), "community": place.get("community")}
            )  # fmt: skip

        for entity, gone, keep in call.merges:
            before = call.before.get(gone) or {}
            add("MERGED", entity, gone, before.get("place"), other=keep,
                records=before.get("members"))  # fmt: skip
        for entity, golden in call.retired:
            before = call.before.get(golden) or {}
            add("RETIRED", entity, golden, before.get("place"), records=before.get("members"))
        for golden, after in sorted(call.after.items()):
            if after is None:
                continue
            entity = after["entity"]
            before = call.before.get(golden)
            if before is None:
                add("CREATED", entity, golden, after["place"],
                    fields=[{"name": v[0], "before": None, "after": v[1], "source": v[2],
                             "record_id": v[3]} for v in after["values"]],
                    records=after["members"])  # fmt: skip
                continue
            old_place = before.get("place") or {}
            new_place = after.get("place") or {}
            where = ("district", "street", "community")
            if tuple(old_place.get(k) for k in where) != tuple(new_place.get(k) for k in where):
                if old_place.get("district"):
                    add("MOVED_OUT", entity, golden, old_place)
                if new_place.get("district"):
                    add("MOVED_IN", entity, golden, new_place)
            old_values = {v[0]: v for v in before.get("values", [])}
            new_values = {v[0]: v for v in after["values"]}
            fields = []
            for name in sorted(set(old_values) | set(new_values)):
                old, new = old_values.get(name), new_values.get(name)
                if (old[1] if old else None) != (new[1] if new else None):
                    source = new or old
                    fields.append({"name": name, "before": old[1] if old else None,
                                   "after": new[1] if new else None, "source": source[2],
                                   "record_id": source[3]})  # fmt: skip
            if fields:
                keys = sorted({f"{v[2]}/{v[3]}/{v[4]}" for v in new_values.values()
                               if v[0] in {f["name"] for f in fields}})  # fmt: skip
                add("UPDATED", entity, golden, after["place"], fields=fields, records=keys)
        goldens = {m.mention_id: m.golden_id for m in call.mentions}
        for _, staged in call.staged:
            event = staged.event
            if event is None:
                continue
            place = {"point_key": event.get("place_point_key"),
                     "district": event.get("place_district"),
                     "street": event.get("place_street"),
                     "community": event.get("place_community")}  # fmt: skip
            for p in staged.participants:
                golden = goldens.get(p["mention_id"])
                after = call.after.get(golden) or {}
                add("EVENT", self._entity_of_golden(golden), golden,
                    after.get("place") or place, event_type=event["type"],
                    event_id=event["event_id"], records=[p["mention_id"]],
                    fields=[{"name": "role", "before": None, "after": p["role"],
                             "source": staged.mentions[0]["source"],
                             "record_id": staged.record_id}])  # fmt: skip
        return entries

    def _plan(self, call: _Call, changes: list[dict]) -> dict:
        """What the graph gets, as rows for :func:`graph_schema.realtime.apply_plan`."""
        golden = []
        for golden_id, after in sorted(call.after.items()):
            if after is None:
                continue
            props = dict(after["props"])
            for name, value in list(props.items()):
                if isinstance(value, date):
                    props[name] = value
                if name == "sources" and value is not None:
                    props[name] = list(value)
            props.update(
                {k: v for k, v in (after["place"] or {
                    "point_key": None, "district": None, "street": None, "community": None
                }).items()}
            )  # fmt: skip
            props["provenance"] = json.dumps(after["provenance"], ensure_ascii=False)
            golden.append({"entity": after["entity"], "id": golden_id, "props": props})
        goldens = {m.mention_id: m.golden_id for m in call.mentions}
        spec = call.spec
        records = [
            {"entity": m.entity, "key": m.mention_id, "golden_id": m.golden_id,
             "props": {k: m.row.get(k) for k in _SOURCE_RECORD_FIELDS if m.row.get(k) is not None}}
            for m in call.mentions
        ]  # fmt: skip
        statements = [
            {"statement": statement, "records": records}
            for statement, records in call.statements.items()
            if records
        ]
        points, areas = [], set()
        for m in call.mentions:
            key = m.row.get("point_key")
            if key:
                place = self._place(key, {m.mention_id: m.row}) or {}
                points.append({"key": key, "place": place})
                if place.get("district"):
                    areas.add((place["district"], place.get("street"), place.get("community")))
        for _, s in call.staged:
            if s.event and s.event.get("place_point_key"):
                key = s.event["place_point_key"]
                place = self._place(key, {}) or {
                    "point_key": key, "district": s.event.get("place_district"),
                    "street": s.event.get("place_street"),
                    "community": s.event.get("place_community")}  # fmt: skip
                points.append({"key": key, "place": place})
                if place.get("district"):
                    areas.add((place["district"], place.get("street"), place.get("community")))
        relations = [
            {"type": r["type"], "from_id": goldens[r["from_mention"]],
             "to_id": goldens[r["to_mention"]], "source": f"{spec.name}/{r['record_id']}"}
            for _, s in call.staged for r in s.relations
            if goldens.get(r["from_mention"]) != goldens.get(r["to_mention"])
        ]  # fmt: skip
        registered = [
            {"entity": m.entity, "golden_id": m.golden_id, "point_key": m.row["point_key"],
             "source": m.mention_id}
            for m in call.mentions if m.row.get("point_key") and m.entity != "rental_unit"
        ]  # fmt: skip
        units_at = [
            {"golden_id": m.golden_id, "point_key": m.row["point_key"]}
            for m in call.mentions if m.entity == "rental_unit" and m.row.get("point_key")
        ]  # fmt: skip
        events, participants = [], []
        for _, s in call.staged:
            if s.event is None:
                continue
            e = s.event
            props = {k: e[k] for k in ("type", "date", "date_raw", "department", "source",
                                       "record_id", "place", "place_raw", "attributes",
                                       "field_issues") if e.get(k) is not None}  # fmt: skip
            for key, value in json.loads(e["attributes"] or "{}").items():
                if key not in props and key not in ("id", "publish_run") and value is not None:
                    props[key] = value
            events.append(
                {
                    "type": e["type"],
                    "id": e["event_id"],
                    "props": props,
                    "department": e["department"],
                    "point_key": e["place_point_key"],
                }
            )
            for p in s.participants:
                participants.append(
                    {"entity": self._entity_of_golden(goldens[p["mention_id"]]),
                     "event_id": p["event_id"], "golden_id": goldens[p["mention_id"]],
                     "role": p["role"], "mention_id": p["mention_id"]}
                )  # fmt: skip
        return {
            "run": self.run_id,
            "golden": golden,
            "merges": [{"entity": e, "old_id": o, "new_id": n} for e, o, n in call.merges],
            "retire": [{"entity": e, "id": g} for e, g in call.retired],
            "source_records": records,
            "removed_records": list(call.removed),
            "statements": statements,
            "departments": sorted({spec.department}),
            "areas": [list(a) for a in sorted(areas, key=lambda a: tuple(x or "" for x in a))],
            "points": points,
            "registered": registered,
            "units_at": units_at,
            "relations": relations,
            "events": events,
            "participants": participants,
            "reviews": call.reviews,
            "changes": changes,
        }

    # -- the graph -----------------------------------------------------------------------------
    def _apply(self, journal_id: str, entry: dict) -> None:
        try:
            graph.apply_plan(self.driver, self.database, journal_id, entry["seq"], entry["plan"])
        except graph.GraphUnavailable as error:
            raise NotApplied(
                f"call {entry['seq']} is recorded in the workdir but the graph did not take it "
                f"({error}); it is applied when the graph answers, and resubmitting is safe"
            ) from error
        self.applied = entry["seq"]

    def _apply_latest(self, writer: JournalWriter, entry: dict) -> None:
        """Write a call just journalled to the graph, after any earlier call the graph has
        not taken (in journal order: the graph's mark of how far it applied only grows)."""
        if self.applied == entry["seq"] - 1:
            self._apply(writer.journal_id, entry)
        else:
            self._recover(writer)

    def _recover_if_up(self, writer: JournalWriter) -> None:
        """Catch the graph up before a call; with the graph down the call is still decided
        and journalled (the journal, not the graph, is the record), then answered
        :class:`NotApplied`."""
        with contextlib.suppress(NotApplied):
            self._recover(writer)

    def _recover(self, writer: JournalWriter) -> None:
        """Apply to the graph every journalled call it has not taken yet (a process killed
        between journal and graph, or the graph down). Calls the snapshot's run already read
        as part of their sources are left to ``publish`` of that run: replaying their plans
        over a graph published since would set records back."""
        if self.seq == 0:
            return
        journal_id = writer.journal_id
        if self.applied is None or self.applied < self.seq:
            try:
                self.applied = graph.applied_through(self.driver, self.database, journal_id)
            except graph.GraphUnavailable as error:
                raise NotApplied(
                    f"calls up to {self.seq} are recorded in the workdir but the graph cannot "
                    f"say which it took ({error}); they are applied when it answers"
                ) from error
        floor = max(self.applied, self.snapshot_through)
        if floor >= self.seq:
            return
        entries, _ = writer.read_from(0)
        for entry in entries:
            if entry["seq"] > floor:
                self._apply(journal_id, entry)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic collection while the engine builds state it keeps (replaying a journal:
    each full collection would walk all of it again, as it grows)."""
    enabled = gc.isenabled()
    if enabled:
        gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def rows_from_objects(objects: list[Any]) -> list[RawRow]:
    """Rows given as JSON objects (column → value, as in the source's file) as raw rows; one
    that is not an object is a row that cannot be read (quarantined with its reason)."""
    rows = []
    for position, item in enumerate(objects, start=1):
        raw = json.dumps(item, ensure_ascii=False, default=str)
        if not isinstance(item, dict):
            rows.append(RawRow(position, None, raw, f"a row must be an object, got {raw[:40]}"))
            continue
        values = {str(k): as_text(v) for k, v in item.items()}
        if lone_surrogate(values):
            raw = json.dumps(item, default=str)  # escaped: the surrogate cannot be written
            rows.append(RawRow(position, None, raw, f"malformed row: {LONE_SURROGATE}"))
            continue
        rows.append(RawRow(position, values, raw))
    return rows


def open_engine(workdir: Path | str, target: Any, **options: Any) -> Engine:
    """An engine for ``workdir`` writing to the Neo4j of ``target`` (a
    :class:`graph_schema.connection.Neo4jTarget`) through a driver of its own, which connects
    lazily (the engine opens while Neo4j is down; calls then answer :class:`NotApplied`)."""
    from neo4j import GraphDatabase

    driver = GraphDatabase.driver(
        target.uri,
        auth=(target.user, target.password),
        connection_timeout=3.0,
        max_transaction_retry_time=2.0,
        notifications_min_severity="OFF",
    )
    try:
        engine = Engine(workdir, driver, database=target.database, **options)
    except BaseException:
        driver.close()
        raise
    engine.owns_driver = True
    return engine
