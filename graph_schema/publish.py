"""``huitong publish``: write a resolved workdir to Neo4j, idempotently and crash-safely.

The desired graph is computed from the workdir's DuckDB workspace (:mod:`graph_schema.publish_plan`)
and written in batched ``UNWIND`` transactions, every element stamped with the resolve run it
came from. Elements of an older run are then removed: new golden records appear, changed ones are
updated, retired ones leave a ``(:RetiredEntity)-[:REDIRECTS_TO]->`` redirect, and source records
are re-pointed on a merge or split. Publishing the same workdir twice changes nothing; a publish
killed midway and run again ends in the same graph as an uninterrupted one. A publish of exactly
what the last complete publish was made from (the same workspace, resolve report and publish
code, no real-time call applied since) skips the writes: the graph already holds them.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from neo4j import Driver

from graph_schema import bulk_import, publish_plan
from graph_schema import publish_queries as q
from graph_schema.changes import feed_state, prune_changes, record_feed_run, write_changes
from graph_schema.decisions import SETTLE_CANDIDATES
from graph_schema.migrations import migrate
from graph_schema.publish_plan import WRITERS, PublishError, Step, plan
from graph_schema.server import DATABASE, LocalNeo4j
from huitong.progress import Progress, report
from loaders import staging

__all__ = ["PublishError", "PublishReport", "graph_counts", "plan", "publish", "run_id_of"]


@dataclass
class PublishReport:
    run_id: str
    elements_written: int = 0
    changes_written: int = 0
    """Change entries new to the feed (a re-publish of the same run writes none)."""
    pruned_through: int = 0
    seconds: float = 0.0
    steps: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    method: str = "cypher"
    """How the graph was written: ``cypher`` (batched MERGEs), ``import`` (Neo4j's offline
    importer into the empty database) or ``unchanged`` (nothing to write)."""
    note: str = ""
    """Why the offline import was not used, when it was asked for and could not be."""

    @property
    def elements_per_second(self) -> float:
        return self.elements_written / max(self.seconds, 1e-9)


def run_id_of(workdir: Path) -> str:
    """The resolve run a workdir holds (from ``resolve_report.json``)."""
    report = Path(workdir) / "resolve_report.json"
    try:
        return json.loads(report.read_text())["run_id"]
    except FileNotFoundError:
        raise PublishError(
            f"{workdir} has not been resolved (no {report.name}): run `huitong resolve` first"
        ) from None


def publish_input_hash(workdir: Path) -> str:
    """SHA-256 of what a publish of ``workdir`` is computed from: the resolve report, the
    workspace and the code that maps it to Cypher. Equal hashes, equal writes."""
    digest = hashlib.sha256()
    for module in (publish_plan, q, bulk_import):
        digest.update(Path(inspect.getfile(module)).read_bytes())
    for name in ("resolve_report.json", staging.WORKSPACE_FILE, f"{staging.WORKSPACE_FILE}.wal"):
        path = Path(workdir) / name
        if path.exists():
            with path.open("rb") as file:
                digest.update(name.encode() + hashlib.file_digest(file, "sha256").digest())
    return digest.hexdigest()


def _journal_state(driver: Driver, database: str) -> str:
    records, _, _ = driver.execute_query(q.JOURNAL_STATE, database_=database)
    return json.dumps([[r["key"], r["applied"]] for r in records])


def _batches(rows: list[dict], size: int) -> Iterator[tuple[int, list[dict]]]:
    for start in range(0, len(rows), size):
        yield start, rows[start : start + size]


def _write_batch(
    driver: Driver, database: str, run_id: str, step: Step, batch: list[dict], entries: list[dict]
) -> int:
    """One batch of a step and the change entries its rows carry, in one transaction; returns
    how many entries were new."""
    if not entries:
        if step.query is not None:
            driver.execute_query(
                step.query, rows=batch, run=run_id, database_=database, **step.params
            )
        return 0

    def work(tx) -> int:
        if step.query is not None:
            tx.run(step.query, rows=batch, run=run_id, **step.params).consume()
        return write_changes(tx, entries)

    with driver.session(database=database) as session:
        return session.execute_write(work)


def _groups(steps: list[Step]) -> Iterator[list[Step]]:
    """Steps in order, consecutive steps of one (non-empty) group together."""
    group: list[Step] = []
    for step in steps:
        if group and (not step.group or step.group != group[0].group):
            yield group
            group = []
        group.append(step)
    if group:
        yield group


def publish(
    workdir: Path,
    driver: Driver,
    database: str = "neo4j",
    *,
    batch_size: int = 10_000,
    progress: Progress | None = None,
    fail_after_batches: int | None = None,
    retention_days: float | None = None,
    server: LocalNeo4j | None = None,
    bulk: str = "auto",
) -> PublishReport:
    """Publish a resolved workdir. ``progress`` hears ``("publish", rows written, rows)``;
    ``fail_after_batches`` simulates a crash (tests only). The change entries of runs not yet
    published are written with the writes they describe; then, with ``retention_days``, entries
    written longer ago than that are pruned from the feed.

    ``server`` is the local server ``driver`` talks to, when it is one: into its empty database
    a publish may use Neo4j's offline importer (:mod:`graph_schema.bulk_import`) — with
    ``bulk="auto"`` from :data:`~graph_schema.bulk_import.BULK_MIN_MENTIONS` mentions, with
    ``"always"`` at any size, never with ``"never"``."""
    if bulk not in ("auto", "always", "never"):
        raise ValueError(f"bulk must be auto, always or never, not {bulk!r}")
    run_id = run_id_of(workdir)
    migrate(driver, database)
    began = time.perf_counter()
    published_run = feed_state(driver, database).run
    result = PublishReport(run_id)
    input_hash = publish_input_hash(Path(workdir))
    journal = _journal_state(driver, database)
    result.timings["input hash"] = time.perf_counter() - began
    records, _, _ = driver.execute_query(q.PUBLISHED_INPUT, database_=database)
    last = records[0]
    unchanged = (
        last["run"] == run_id == published_run
        and last["input_hash"] == input_hash
        and last["journal"] == journal
    )
    if unchanged:
        result.method = "unchanged"
    else:
        driver.execute_query(q.FORGET_PUBLISHED_INPUT, database_=database)
        with tempfile.TemporaryDirectory(prefix=".publish-import-", dir=workdir) as folder:
            plan_began = time.perf_counter()
            connection = staging.connect(Path(workdir), read_only=True)
            stopping = None
            planned = False
            try:
                importing = _import_wanted(bulk, server, driver, database, connection, result)
                if importing:
                    # the server stops while the files are written (nothing writes meanwhile)
                    assert server is not None
                    stopping = threading.Thread(target=server.stop, name="neo4j-stop")
                    stopping.start()
                    report(progress, "publish by import", 0, 3)
                steps = plan(connection, changes_after=published_run, source_records=not importing)
                if importing:
                    try:
                        files = bulk_import.write_files(steps, connection, run_id, Path(folder))
                    except bulk_import.NotImportable as error:
                        result.note = f"the offline import could not be used: {error}"
                        importing = False
                        shutil.rmtree(folder, ignore_errors=True)
                        steps = plan(connection, changes_after=published_run)
                planned = True
            finally:
                connection.close()
                if stopping is not None:
                    stopping.join()
                    if not (importing and planned):  # no import follows: the server is back
                        server.start()
            result.timings["plan"] = time.perf_counter() - plan_began
            if importing:
                assert server is not None
                _import(steps, files, server, driver, database, batch_size, result, progress)
        if not importing:
            _write(
                steps, driver, database, run_id, batch_size, result, progress, fail_after_batches
            )
            stale_began = time.perf_counter()
            with driver.session(database=database) as session:
                for label in q.MANAGED_LABELS:
                    session.run(q.delete_stale_nodes(label), run=run_id).consume()
                for relationship_type in q.MANAGED_RELATIONSHIPS:
                    session.run(
                        q.delete_stale_relationships(relationship_type), run=run_id
                    ).consume()
            result.timings["stale removal"] = time.perf_counter() - stale_began
    driver.execute_query(SETTLE_CANDIDATES, database_=database)  # candidates decided before
    counts_began = time.perf_counter()
    result.counts = graph_counts(driver, database)
    result.timings["counts"] = time.perf_counter() - counts_began
    driver.execute_query(
        q.RECORD_PUBLISH,
        run=run_id,
        counts=json.dumps(result.counts),
        input_hash=input_hash,
        journal=journal,
        database_=database,
    )
    record_feed_run(driver, database, run_id)
    if retention_days is not None:
        result.pruned_through = prune_changes(driver, database, retention_days=retention_days)
    result.seconds = time.perf_counter() - began
    return result


def _import_wanted(
    bulk: str,
    server: LocalNeo4j | None,
    driver: Driver,
    database: str,
    connection,
    result: PublishReport,
) -> bool:
    """Whether to write through the offline importer (see :func:`publish`)."""
    if bulk == "never" or server is None:
        return False
    if database != DATABASE:
        result.note = f"the offline import writes the {DATABASE!r} database only"
        return False
    if bulk == "auto":
        (mentions,) = connection.execute("SELECT count(*) FROM golden_members").fetchone()
        if mentions < bulk_import.BULK_MIN_MENTIONS:
            return False
    return bulk_import.graph_is_empty(driver, database)


def _import(
    steps: list[Step],
    files: bulk_import.ImportFiles,
    server: LocalNeo4j,
    driver: Driver,
    database: str,
    batch_size: int,
    result: PublishReport,
    progress: Progress | None,
) -> None:
    """Load the files into the empty database, build its indexes, write the change entries.
    ``progress`` hears ``("publish by import", phases done, 3)``."""
    report(progress, "publish by import", 1, 3)  # the files are written
    began = time.perf_counter()
    nodes, relationships = bulk_import.load(server, files, driver)
    result.timings["import"] = time.perf_counter() - began
    report(progress, "publish by import", 2, 3)
    began = time.perf_counter()
    # the import replaced the database, its schema too: the migrations build the indexes and
    # set the imported change entries' place keys
    migrate(driver, database)
    result.timings["migrations"] = time.perf_counter() - began
    began = time.perf_counter()
    driver.execute_query(bulk_import.AWAIT_INDEXES, database_=database)
    result.timings["indexes"] = time.perf_counter() - began
    result.changes_written = files.changes
    began = time.perf_counter()
    entries = files.pending_changes
    for start in range(0, len(entries), batch_size):
        with driver.session(database=database) as session:
            result.changes_written += session.execute_write(
                write_changes, entries[start : start + batch_size]
            )
    if entries:
        result.timings["change entries"] = time.perf_counter() - began
    report(progress, "publish by import", 3, 3)
    result.steps = {step.name: len(step.rows) for step in steps}
    # as the Cypher path counts: the change entries and the feed's counter are not elements
    result.elements_written = nodes + relationships - files.changes - (1 if files.changes else 0)
    result.method = "import"


def _write(
    steps: list[Step],
    driver: Driver,
    database: str,
    run_id: str,
    batch_size: int,
    result: PublishReport,
    progress: Progress | None,
    fail_after_batches: int | None,
) -> None:
    """Run every step in batches, the steps of one group concurrently, in plan order."""
    total = sum(len(step.rows) for step in steps)
    written_rows = written_batches = 0
    lock = threading.Lock()
    report(progress, "publish", 0, total)

    def write(step: Step) -> None:
        nonlocal written_batches, written_rows
        step_began = time.perf_counter()
        for start, batch in _batches(step.rows, batch_size):
            with lock:
                if fail_after_batches is not None and written_batches >= fail_after_batches:
                    raise PublishError(f"simulated failure after {written_batches} batches")
                written_batches += 1
            entries = [e for row in step.changes[start : start + len(batch)] for e in row]
            changed = _write_batch(driver, database, run_id, step, batch, entries)
            with lock:
                written_rows += len(batch)
                result.changes_written += changed
                report(progress, "publish", written_rows, total)
        with lock:
            result.steps[step.name] = len(step.rows)
            result.timings[step.name] = time.perf_counter() - step_began
            result.elements_written += round(len(step.rows) * step.elements_per_row)

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        for group in _groups(steps):
            if len(group) == 1:
                write(group[0])
            else:
                for future in [pool.submit(write, step) for step in group]:
                    future.result()


def graph_counts(driver: Driver, database: str = "neo4j") -> dict[str, int]:
    """Nodes per managed label and relationships per managed type."""
    counts = {}
    for label in q.MANAGED_LABELS:
        records, _, _ = driver.execute_query(q.count_label(label), database_=database)
        counts[label] = records[0]["n"]
    for relationship_type in q.MANAGED_RELATIONSHIPS:
        records, _, _ = driver.execute_query(
            q.count_relationships(relationship_type), database_=database
        )
        counts[relationship_type] = records[0]["n"]
    return counts
