"""The resolve job: ingest, then for each entity type predict → cluster → review → IDs → golden,
then place every address point and golden record in its district, street and community.

Every stage reads and writes tables of the workdir's DuckDB workspace, so each is testable on
its own and the whole run leaves an inspectable trail. No Neo4j is needed.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from huitong.files import write_json_atomic
from huitong.progress import Progress, report
from huitong.vocabulary import ENTITY_TYPES
from loaders import staging
from loaders.config import SourcesConfig
from loaders.ingest import IngestReport, ingest
from resolution.changes import record_changes
from resolution.cluster import cluster_entity
from resolution.decisions import constraints_for, keep_ids, store_decisions
from resolution.engines import ENGINES
from resolution.errors import ResolutionError
from resolution.evaluate import load_truth, pairwise_metrics
from resolution.golden import assign_golden_ids, retired_redirects
from resolution.model_spec import load_model_spec
from resolution.placement import place
from resolution.predict import train_and_predict
from resolution.quality import score_sources
from resolution.review import build_review_candidates
from resolution.snapshot import write_snapshot
from resolution.submitted import fold_submissions, folded_through, submitted_members
from resolution.survivorship import build_golden_records, deployment_rules

RESOLVE_ORDER = ("enterprise", "rental_unit", "person")
"""Persons last: their model reads the clusters of the enterprises and rental units named in
their rows (see :class:`resolution.model_spec.NeighbourSpec`). Reports keep ENTITY_TYPES order."""
REPORT_FILE = "resolve_report.json"


@dataclass
class EntityReport:
    entity: str
    mentions: int = 0
    pairs_scored: int = 0
    labels_used: int = 0
    decisions_superseded: int = 0
    """steward pairs a later decision contradicts (the later one is honoured)."""
    clusters: int = 0
    review_candidates: int = 0
    golden_created: int = 0
    golden_retired: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class ResolveReport:
    run_id: str
    ingest: IngestReport
    entities: list[EntityReport]
    seconds: float
    changes: dict[str, int] = field(default_factory=dict)
    """Change entries the run recorded for the data-return feed, per kind."""

    def to_json(self) -> dict:
        return {
            "run_id": self.run_id,
            "seconds": round(self.seconds, 3),
            "mentions": sum(e.mentions for e in self.entities),
            "ingest": self.ingest.to_json(),
            "entities": [asdict(e) for e in self.entities],
            "changes": self.changes,
        }


def resolve(
    config: SourcesConfig,
    workdir: Path,
    *,
    progress: Progress | None = None,
    now: datetime | None = None,
    thresholds: dict[str, float] | None = None,
    decisions: list[dict] | None = None,
    train_from_decisions: bool = True,
    engine: str = "duckdb",
) -> ResolveReport:
    """Ingest ``config`` into ``workdir`` and resolve every entity type; writes a report JSON
    and the snapshot the real-time engine matches against (:mod:`resolution.snapshot`).

    Rows submitted in real time are part of their sources (:mod:`loaders.submitted`) and the
    golden IDs they were given are kept (:func:`resolution.submitted.fold_submissions`).

    ``decisions`` are steward decisions (see :mod:`resolution.decisions`); when given they
    replace the workspace's copy, otherwise the copy kept from the last run is honoured. Their
    MATCH pairs are also training labels (see :func:`resolution.predict.train_and_predict`)
    unless ``train_from_decisions`` is false. ``progress`` hears the ingest's bytes, then
    ``("resolve", entity types done, entity types + placement)``. ``engine``: where Splink
    trains and predicts, ``duckdb`` or ``spark`` (:mod:`resolution.engines`); every other stage
    works on the workspace in DuckDB, and the result is the same on both.
    """
    if engine not in ENGINES:
        raise ResolutionError(f"unknown engine {engine!r}: one of {', '.join(ENGINES)}")
    began = time.perf_counter()
    rules = deployment_rules(config.survivorship.file, config.survivorship.source_trust)
    now = now or datetime.now(UTC)
    run_id = now.strftime("%Y%m%dT%H%M%S%fZ")
    ingest_report = ingest(config, workdir, progress=progress)
    connection = staging.connect(workdir)
    reports: list[EntityReport] = []
    try:
        if decisions is not None:
            store_decisions(connection, decisions)
        fold_submissions(connection, workdir, ingest_report.submitted_through, now)
        steps = len(ENTITY_TYPES) + 1
        report(progress, "resolve", 0, steps)
        for done, entity in enumerate(RESOLVE_ORDER, start=1):
            threshold = (thresholds or {}).get(entity)
            reports.append(
                _resolve_entity(
                    connection,
                    entity,
                    workdir,
                    run_id,
                    now,
                    rules,
                    train_from_decisions,
                    threshold,
                    engine,
                )
            )
            report(progress, "resolve", done, steps)
        reports.sort(key=lambda r: ENTITY_TYPES.index(r.entity))
        retired_redirects(connection)
        place(connection)
        changes = record_changes(connection, run_id, now).counts
        score_sources(connection)
        write_snapshot(
            connection,
            workdir,
            run_id,
            config_path=config.path,
            submitted_through=ingest_report.submitted_through,
        )
        report(progress, "resolve", steps, steps)
    finally:
        connection.close()
    result = ResolveReport(run_id, ingest_report, reports, time.perf_counter() - began, changes)
    write_json_atomic(Path(workdir) / REPORT_FILE, result.to_json())
    return result


def _resolve_entity(
    connection,
    entity: str,
    workdir: Path,
    run_id: str,
    now: datetime,
    rules: dict,
    train_from_decisions: bool,
    threshold: float | None,
    engine: str = "duckdb",
) -> EntityReport:
    """One entity type: predict → cluster (→ predict and cluster again once settled, where
    the model reads neighbours) → review candidates → golden IDs → golden records."""
    spec = load_model_spec(entity)
    threshold = spec.cluster_threshold if threshold is None else threshold
    entity_report = EntityReport(entity)
    entity_report.mentions = connection.execute(
        "SELECT count(*) FROM mentions WHERE entity = ?", [entity]
    ).fetchone()[0]
    timer = time.perf_counter()
    constraints = constraints_for(connection, entity)
    entity_report.decisions_superseded = len(constraints.superseded)
    labels = constraints.must_link if train_from_decisions else ()
    predicted = train_and_predict(connection, entity, workdir, labels=labels, engine=engine)
    entity_report.pairs_scored = predicted.pairs
    entity_report.labels_used = predicted.labels_used
    entity_report.seconds["predict"] = _lap(timer)
    timer = time.perf_counter()

    def cluster() -> int:
        return cluster_entity(
            connection,
            entity,
            threshold,
            must_link=constraints.must_link,
            cannot_link=constraints.cannot_link,
            weak_link_below=spec.review_band[1],
        ).clusters

    entity_report.clusters = cluster()
    entity_report.seconds["cluster"] = _lap(timer)
    if spec.neighbours is not None and spec.neighbours.settle:
        timer = time.perf_counter()
        entity_report.pairs_scored = train_and_predict(
            connection, entity, workdir, settle=True, engine=engine
        ).pairs
        entity_report.clusters = cluster()
        entity_report.seconds["settle"] = _lap(timer)
    timer = time.perf_counter()
    entity_report.review_candidates = build_review_candidates(
        connection, entity, tuple(spec.review_band)
    )
    entity_report.seconds["review"] = _lap(timer)
    timer = time.perf_counter()
    golden = assign_golden_ids(connection, entity, run_id, now, keep=keep_ids(connection, entity))
    entity_report.golden_created = golden.created
    entity_report.golden_retired = golden.retired
    entity_report.seconds["golden_ids"] = _lap(timer)
    timer = time.perf_counter()
    build_golden_records(connection, entity, rules)
    entity_report.seconds["survivorship"] = _lap(timer)
    return entity_report


def _lap(started: float) -> float:
    return round(time.perf_counter() - started, 3)


def _resolved(workdir: Path) -> None:
    """Refuse, with a clear message, a workdir that was never resolved."""
    if not (Path(workdir) / REPORT_FILE).exists():
        raise ResolutionError(
            f"{workdir} holds no resolved run (no {REPORT_FILE}): run `huitong resolve` first"
        )


def export_clusters(workdir: Path, out: Path) -> int:
    """Write ``source,record_id,role,entity,entity_id`` for every staged mention, and every
    mention submitted in real time since (with the golden ID it has now); returns rows."""
    _resolved(workdir)
    connection = staging.connect(workdir, read_only=True)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        current = submitted_members(workdir, folded_through(connection))  # noqa: F841
        query = """
            WITH staged AS (
                SELECT m.source, m.record_id, m.role, m.entity, m.mention_id,
                       g.golden_id AS entity_id
                FROM mentions m JOIN golden_members g USING (mention_id)
                WHERE m.mention_id NOT IN (SELECT mention_id FROM current)
            )
            SELECT source, record_id, role, entity, entity_id FROM staged
            UNION ALL
            SELECT source, record_id, role, entity, golden_id FROM current
            WHERE golden_id IS NOT NULL
            ORDER BY source, record_id, role
        """
        connection.execute(f"COPY ({query}) TO '{_sql_path(out)}' (HEADER, DELIMITER ',')")
        return connection.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]
    finally:
        connection.close()


def evaluate_workdir(workdir: Path, truth: Path) -> dict[str, dict]:
    """Pairwise metrics per entity type of a resolved workdir against a truth CSV."""
    _resolved(workdir)
    if not Path(truth).is_file():
        raise ResolutionError(f"truth file not found: {truth}")
    connection = staging.connect(workdir)
    try:
        load_truth(connection, truth)
        return {entity: pairwise_metrics(connection, entity) for entity in ENTITY_TYPES}
    finally:
        connection.close()


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def dump(report: ResolveReport) -> str:
    return json.dumps(report.to_json(), ensure_ascii=False, indent=2)
