"""The ``huitong`` command: every job, one entry point."""

from __future__ import annotations

import shlex
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from api.cli import api_cli
from graph_schema.errors import GraphError
from huitong.progress import Progress
from loaders.errors import LoaderError
from realtime.errors import RealtimeError
from resolution.errors import ResolutionError

app = typer.Typer(
    name="huitong",
    help="Huitong (汇通): master data and entity resolution for the city's departments.",
    no_args_is_help=True,
    add_completion=False,
)
neo4j_app = typer.Typer(help="The project's own Neo4j server (used when NEO4J_URI is unset).")
graph_app = typer.Typer(help="Schema migrations and maintenance of the graph.")
app.add_typer(neo4j_app, name="neo4j")
app.add_typer(graph_app, name="graph")
app.add_typer(api_cli)  # serve, token create

console = Console(stderr=True, soft_wrap=True, width=None if sys.stderr.isatty() else 140)


def clean_errors(function: Callable[..., Any]) -> Callable[..., Any]:
    """Turn huitong's own errors into one red message and exit code 1 (no traceback)."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except (GraphError, LoaderError, RealtimeError, ResolutionError) as error:
            console.print(f"[bold red]error:[/] {error}", markup=True, highlight=False)
            raise typer.Exit(1) from error

    return wrapper


@contextmanager
def progress_bars() -> Iterator[Progress]:
    """A ``progress(stage, done, total)`` callback drawing one bar per stage; the library
    layers report, the CLI draws."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bars

    with Bars(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bars:
        tasks: dict[str, Any] = {}

        def advance(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(stage, total=total)
            bars.update(tasks[stage], completed=done, total=total)

        yield advance


# -- data -------------------------------------------------------------------------------------
@app.command("generate")
@clean_errors
def generate(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the city into.")],
    persons: Annotated[int, typer.Option("--persons", min=10, help="Number of persons.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same files).")] = 1,
    variant: Annotated[
        str, typer.Option("--variant", help="standard | other_team (other columns and noise).")
    ] = "standard",
) -> None:
    """Generate a synthetic city: department files, sources.toml and truth.csv."""
    from huitong.citygen import generate_city

    summary = generate_city(persons=persons, seed=seed, out=out, variant=variant)
    console.print(
        f"generated a {summary.variant} city of {summary.persons:,} persons (seed {summary.seed})"
        f" in {summary.elapsed_seconds:.1f}s: {summary.rows:,} rows in "
        f"{len(summary.rows_per_source)} sources, {summary.mentions:,} mentions, "
        f"{summary.broken_rows:,} deliberately broken rows; entities {summary.entities}"
    )
    console.print(f"config: {out / 'sources.toml'}   truth: {out / 'truth.csv'}")


@app.command("ingest")
@clean_errors
def ingest_command(
    config: Annotated[Path, typer.Option("--config", help="The sources TOML file.")],
    workdir: Annotated[Path, typer.Option("--workdir", help="Where the workspace is kept.")],
) -> None:
    """Read, standardise and stage every source; quarantine bad rows with their reason."""
    from loaders.config import load_config
    from loaders.ingest import REPORT_FILE, ingest

    with progress_bars() as progress:
        report = ingest(load_config(config), workdir, progress=progress)
    print_ingest_report(report)
    console.print(f"report: {workdir / REPORT_FILE}")


def print_ingest_report(report) -> None:
    from rich.table import Table

    table = Table(title=f"ingest (batch {report.batch_id or 'unchanged'})")
    for column in ("source", "read", "staged", "quarantined", "mentions", "new", "changed",
                   "removed", "rows/s"):  # fmt: skip
        table.add_column(column, justify="left" if column == "source" else "right")
    for s in report.sources:
        rate = (
            "skipped" if s.skipped_unchanged_file else f"{s.rows_read / max(s.seconds, 1e-9):,.0f}"
        )
        table.add_row(
            s.name, f"{s.rows_read:,}", f"{s.rows_staged:,}", f"{s.rows_quarantined:,}",
            f"{s.mentions_staged:,}", f"{s.rows_new:,}", f"{s.rows_changed:,}",
            f"{s.rows_removed:,}", rate,
        )  # fmt: skip
    console.print(table)


@app.command("resolve")
@clean_errors
def resolve_command(
    config: Annotated[Path, typer.Option("--config", help="The sources TOML file.")],
    workdir: Annotated[Path, typer.Option("--workdir", help="Where the workspace is kept.")],
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="Where Splink trains and predicts: duckdb (embedded) or spark "
            "(HUITONG_SPARK_MASTER, default local[*]; needs huitong[spark] and Java 17).",
        ),
    ] = "duckdb",
) -> None:
    """Ingest, then resolve people, enterprises and rental units into golden records.

    Steward decisions are fetched from Neo4j when it is reachable (NEO4J_URI or the local
    server); otherwise the copy kept in the workdir from the last run is honoured.
    """
    from loaders.config import load_config
    from resolution.pipeline import REPORT_FILE, resolve

    sources = load_config(config)
    decisions = fetch_steward_decisions()
    with progress_bars() as progress:
        report = resolve(sources, workdir, decisions=decisions, progress=progress, engine=engine)
    print_ingest_report(report.ingest)
    from rich.table import Table

    table = Table(title=f"resolve (run {report.run_id})")
    for column in ("entity", "mentions", "pairs", "clusters", "review", "labels", "new IDs",
                   "retired", "seconds"):  # fmt: skip
        table.add_column(column, justify="left" if column == "entity" else "right")
    for e in report.entities:
        table.add_row(
            e.entity, f"{e.mentions:,}", f"{e.pairs_scored:,}", f"{e.clusters:,}",
            f"{e.review_candidates:,}", f"{e.labels_used:,}", f"{e.golden_created:,}",
            f"{e.golden_retired:,}",
            f"{sum(e.seconds.values()):.1f}",
        )  # fmt: skip
    console.print(table)
    mentions = sum(e.mentions for e in report.entities)
    console.print(
        f"{mentions:,} mentions resolved in {report.seconds:.1f}s "
        f"({mentions / max(report.seconds, 1e-9):,.0f} mentions/s); "
        f"report: {workdir / REPORT_FILE}"
    )


def fetch_steward_decisions() -> list[dict] | None:
    """The steward decisions in the graph, or None (with a note) when Neo4j cannot be reached."""
    from graph_schema.connection import open_driver, resolve_target
    from graph_schema.decisions import fetch_decisions
    from graph_schema.errors import GraphUnavailable

    target = resolve_target()
    try:
        with open_driver(target) as driver:
            decisions = fetch_decisions(driver, target.database)
    except GraphUnavailable:
        console.print(
            f"note: Neo4j at {target.uri} is not reachable; using the steward decisions kept "
            "in the workdir from the last run"
        )
        return None
    console.print(f"{len(decisions)} steward decision(s) fetched from {target.uri}")
    return decisions


@app.command("submit")
@clean_errors
def submit_command(
    config: Annotated[Path, typer.Option("--config", help="The sources TOML file.")],
    workdir: Annotated[Path, typer.Option("--workdir", help="A resolved workdir.")],
    source: Annotated[str, typer.Option("--source", help="The source the file's rows belong to.")],
    file: Annotated[Path, typer.Argument(help="A delta file in the source's format.")],
) -> None:
    """Submit a delta file's rows in real time (the API's submitRecords path); one JSON line
    per row: recordId, status, reason, mentions (role, entity, entityId, decision,
    matchProbability)."""
    import json

    from graph_schema.connection import resolve_target
    from loaders.config import load_config
    from loaders.readers import iter_rows
    from realtime.engine import MAX_ROWS, open_engine
    from realtime.errors import RealtimeError

    sources = load_config(config, check_columns=False)
    try:
        engine = open_engine(workdir, resolve_target(), config=sources)
    except RealtimeError as error:
        console.print(f"[bold red]error:[/] {error}", markup=True, highlight=False)
        raise typer.Exit(1) from error
    try:
        spec = engine.source(source)
        rows = list(iter_rows(file, spec.format, spec.encoding))
        counts: dict[str, int] = {}
        for start in range(0, len(rows), MAX_ROWS):
            result = engine.submit(source, rows[start : start + MAX_ROWS], by="cli")
            for row in result.rows:
                counts[row.status] = counts.get(row.status, 0) + 1
                typer.echo(json.dumps(_camel(row.to_json()), ensure_ascii=False))
    except RealtimeError as error:
        console.print(f"[bold red]error:[/] {error}", markup=True, highlight=False)
        raise typer.Exit(1) from error
    finally:
        engine.shutdown()
    console.print(", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())) or "no rows")


def _camel(value):
    """A result's keys as the API spells them (recordId, entityId…)."""
    if isinstance(value, dict):
        return {
            k.split("_")[0] + "".join(w.title() for w in k.split("_")[1:]): _camel(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


export_app = typer.Typer(help="Export resolution results.")
app.add_typer(export_app, name="export")


@export_app.command("clusters")
@clean_errors
def export_clusters_command(
    workdir: Annotated[Path, typer.Option("--workdir", help="A resolved workdir.")],
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
) -> None:
    """Write source,record_id,role,entity,entity_id for every staged mention."""
    from resolution.pipeline import export_clusters

    rows = export_clusters(workdir, out)
    console.print(f"{rows:,} mentions written to {out}")


@app.command("evaluate")
@clean_errors
def evaluate_command(
    truth: Annotated[Path, typer.Option("--truth", help="truth.csv of a generated city.")],
    workdir: Annotated[Path, typer.Option("--workdir", help="A resolved workdir.")],
) -> None:
    """Print pairwise precision, recall, F1 and cluster counts per entity type."""
    from resolution.pipeline import evaluate_workdir

    metrics = evaluate_workdir(workdir, truth)
    typer.echo(f"{'entity':<12}{'precision':>10}{'recall':>10}{'f1':>10}{'clusters':>10}"
               f"{'true':>10}{'mentions':>10}")  # fmt: skip
    for entity, m in metrics.items():
        typer.echo(
            f"{entity:<12}{m['precision']:>10.4f}{m['recall']:>10.4f}{m['f1']:>10.4f}"
            f"{m['clusters']:>10,}{m['true_clusters']:>10,}{m['mentions']:>10,}"
        )


@app.command("publish")
@clean_errors
def publish_command(
    workdir: Annotated[Path, typer.Option("--workdir", help="A resolved workdir.")],
    batch_size: Annotated[int, typer.Option("--batch-size", min=100)] = 10_000,
    bulk: Annotated[
        str,
        typer.Option(
            "--bulk",
            help="Into the local server's empty graph, write with Neo4j's offline importer: "
            "auto (from 200,000 mentions), always, never (batched Cypher).",
        ),
    ] = "auto",
) -> None:
    """Write a resolved workdir to Neo4j (idempotent; applies the difference)."""
    from graph_schema.connection import managed_server, open_driver, resolve_target

    if bulk not in ("auto", "always", "never"):
        raise typer.BadParameter(f"{bulk!r}: choose auto, always or never", param_hint="--bulk")
    from graph_schema.publish import publish
    from huitong.settings import get_settings

    target = resolve_target()
    retention = get_settings().change_retention_days
    with open_driver(target) as driver, progress_bars() as progress:
        report = publish(
            workdir,
            driver,
            target.database,
            batch_size=batch_size,
            progress=progress,
            retention_days=retention,
            server=managed_server(target),
            bulk=bulk,
        )
    how = {"import": " by offline import", "unchanged": " (already published)"}
    console.print(
        f"published run {report.run_id} to {target.uri}{how.get(report.method, '')}: "
        f"{report.elements_written:,} elements in {report.seconds:.1f}s "
        f"({report.elements_per_second:,.0f}/s), {report.changes_written:,} change entries"
    )
    if report.note:
        console.print(report.note)
    console.print(", ".join(f"{k} {v:,}" for k, v in report.counts.items() if v))


# -- neo4j ------------------------------------------------------------------------------------
@neo4j_app.command("start")
@clean_errors
def neo4j_start() -> None:
    """Provision Neo4j from Maven Central on first use, start it, wait until Bolt answers."""
    from graph_schema.connection import local_server

    server = local_server()
    began = time.monotonic()
    if not server.is_provisioned():
        console.print(f"provisioning Neo4j into {server.runtime_dir} (first start only)…")
    status = server.start()
    console.print(
        f"Neo4j {status.version} running (pid {status.pid}) on bolt://127.0.0.1:{status.port} "
        f"in {time.monotonic() - began:.1f}s; home {status.home}"
    )


@neo4j_app.command("stop")
@clean_errors
def neo4j_stop() -> None:
    """Stop the local Neo4j server (clean shutdown)."""
    from graph_schema.connection import local_server

    was_running = local_server().stop()
    console.print("Neo4j stopped" if was_running else "Neo4j was not running")


@neo4j_app.command("status")
@clean_errors
def neo4j_status() -> None:
    """Say whether the local server runs; exit code 0 if it does, 3 if not."""
    from graph_schema.connection import local_server

    status = local_server().status()
    if status.running:
        typer.echo(
            f"running: Neo4j {status.version}, pid {status.pid}, "
            f"bolt://127.0.0.1:{status.port}, home {status.home}"
        )
    else:
        typer.echo(f"stopped (home {status.home})")
        raise typer.Exit(3)


@neo4j_app.command("env")
@clean_errors
def neo4j_env() -> None:
    """Print NEO4J_URI/USER/PASSWORD lines for `eval "$(huitong neo4j env)"`."""
    from graph_schema.connection import resolve_target

    target = resolve_target()
    typer.echo(f"NEO4J_URI={shlex.quote(target.uri)}")
    typer.echo(f"NEO4J_USER={shlex.quote(target.user)}")
    typer.echo(f"NEO4J_PASSWORD={shlex.quote(target.password)}")


# -- graph ------------------------------------------------------------------------------------
@graph_app.command("migrate")
@clean_errors
def graph_migrate() -> None:
    """Apply pending schema migrations (constraints and indexes); idempotent."""
    from graph_schema.connection import open_driver, resolve_target
    from graph_schema.migrations import migrate

    target = resolve_target()
    with open_driver(target) as driver:
        report = migrate(driver, target.database)
    console.print(
        f"migrations applied: {list(report.applied) or 'none'}; "
        f"already present: {list(report.already) or 'none'}"
    )


@graph_app.command("reset")
@clean_errors
def graph_reset(
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: delete everything.")] = False,
) -> None:
    """Empty the database: all nodes, relationships, constraints and indexes."""
    from graph_schema.connection import open_driver, resolve_target
    from graph_schema.migrations import reset

    if not yes:
        console.print("[bold red]refusing:[/] `huitong graph reset` deletes everything; add --yes")
        raise typer.Exit(2)
    target = resolve_target()
    with open_driver(target) as driver:
        reset(driver, target.database)
    console.print(f"graph at {target.uri} emptied")


if __name__ == "__main__":
    app()
