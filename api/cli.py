"""``huitong serve``, ``huitong token create`` and ``huitong audit verify``: run the API, mint
development tokens, check the audit trail.

Registered into the main CLI with ``app.add_typer(api_cli)`` (no name: the commands join the
top level). ``token create`` prints the token on its last line, so scripts can take
``tail -n 1``.
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from api.auth import ROLES, issue_token, load_secret, parse_ttl
from api.metrics import MULTIPROCESS_ENV

KEEP_ALIVE_SECONDS = 75
"""How long the server keeps an idle connection open. Longer than clients keep theirs (httpx 5 s,
browsers and proxies 60 s): a client sending on a connection at the moment the server closes
it gets it reset (13 of 14,311 requests of a sustained-load run at uvicorn's 5 s, 0 of 12,330
in the same run at 75 s)."""

api_cli = typer.Typer(add_completion=False, no_args_is_help=True)
token_app = typer.Typer(help="Bearer tokens for the GraphQL API.", no_args_is_help=True)
api_cli.add_typer(token_app, name="token")
audit_app = typer.Typer(help="The API's audit trail.", no_args_is_help=True)
api_cli.add_typer(audit_app, name="audit")


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(1)


@api_cli.command("serve")
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    workdir: Annotated[
        Path | None,
        typer.Option(
            "--workdir",
            help="A resolved workdir: real-time submission into it (submitRecords), and a "
            "warning when the graph does not hold its published run.",
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", min=1, help="Worker processes sharing the port (each with its driver)."
        ),
    ] = 1,
) -> None:
    """Serve the GraphQL API (POST /graphql, /healthz, /readyz, /metrics) with uvicorn.

    With ``--workers N`` uvicorn runs N processes on one port. Nothing a worker keeps in
    memory changes an answer: the area cache is checked against the published run, bookmarks
    travel with the caller (``Huitong-Bookmark``), the development JWT secret is one file, and
    ``/metrics`` adds up every worker's counts (Prometheus multiprocess mode).
    """
    import logging

    import uvicorn

    from api.app import create_app
    from api.config import ApiSettings
    from huitong.settings import get_settings

    # The driver's own lines (retries, dropped connections) would repeat, per attempt, what each
    # request's error line says once (SERVICE_UNAVAILABLE).
    logging.getLogger("neo4j").setLevel(logging.CRITICAL)
    settings = ApiSettings()
    if workdir is not None:
        _check_published(workdir)
    if workdir is not None and workers > 1:
        # one journal, one writer: the real-time engine keeps its state in one process
        raise _fail("real-time submission (--workdir) runs in one process: use --workers 1")
    base = f"http://{host}:{port}"
    typer.echo(f"GraphQL API at {base}/graphql (health {base}/healthz, ready {base}/readyz)")
    if settings.graphiql:
        typer.echo(f"GraphiQL: open {base}/graphql in a browser; set the Authorization header")
    if workers == 1:
        app = create_app(settings, workdir=workdir)
        uvicorn.run(
            app, host=host, port=port, log_level="warning", timeout_keep_alive=KEEP_ALIVE_SECONDS
        )
        return
    load_secret(settings.jwt_secret, get_settings().home_dir)  # one secret, made before forking
    metrics_dir = os.environ.get(MULTIPROCESS_ENV)
    owned = metrics_dir is None
    if owned:
        metrics_dir = tempfile.mkdtemp(prefix="huitong-metrics-")
        os.environ[MULTIPROCESS_ENV] = metrics_dir
    typer.echo(f"{workers} workers")
    try:
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )
    finally:
        if owned:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _check_published(workdir: Path) -> None:
    """Warn (not fail) when the workdir's resolve run is not what the graph holds."""
    from graph_schema import api_queries as q
    from graph_schema.connection import open_driver
    from graph_schema.errors import GraphError

    report = workdir / "resolve_report.json"
    try:
        run_id = json.loads(report.read_text())["run_id"]
    except (OSError, ValueError, KeyError):
        raise _fail(f"{workdir} is not a resolved workdir (no {report.name})") from None
    try:
        with open_driver() as driver:
            records, _, _ = driver.execute_query(q.READINESS)
    except GraphError as error:
        raise _fail(str(error)) from error
    published = records[0]["publish_run"] if records else None
    if published != run_id:
        typer.secho(
            f"warning: the graph holds run {published or 'none'}, the workdir run {run_id}: "
            f"run `huitong publish --workdir {workdir}`",
            fg=typer.colors.YELLOW,
            err=True,
        )


@token_app.command("create")
def create_token(
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}.")],
    department: Annotated[
        str | None, typer.Option("--department", help="Department (required for apps).")
    ] = None,
    district: Annotated[
        str | None, typer.Option("--district", help="Jurisdiction: district (区).")
    ] = None,
    street: Annotated[
        str | None, typer.Option("--street", help="Jurisdiction: street office (街道).")
    ] = None,
    community: Annotated[
        str | None, typer.Option("--community", help="Jurisdiction: community (社区).")
    ] = None,
    ttl: Annotated[str, typer.Option("--ttl", help="Lifetime: 30m, 8h, 7d.")] = "8h",
    subject: Annotated[
        str | None, typer.Option("--subject", help="Who the token is for (default: you).")
    ] = None,
) -> None:
    """Create a signed token (HUITONG_JWT_SECRET, else the development secret)."""
    from api.config import ApiSettings
    from huitong.settings import get_settings

    try:
        lifetime = parse_ttl(ttl)
        secret = load_secret(ApiSettings().jwt_secret, get_settings().home_dir)
        token = issue_token(
            secret,
            role=role,
            subject=subject or f"cli:{getpass.getuser()}",
            department=department,
            district=district,
            street=street,
            community=community,
            ttl=lifetime,
        )
    except ValueError as error:
        raise _fail(str(error)) from error
    scope = "/".join(p for p in (district, street, community) if p) or "city-wide"
    typer.echo(f"role {role}, department {department or '-'}, {scope}, valid {ttl}", err=True)
    sys.stdout.write(token + "\n")


@audit_app.command("verify")
def verify_audit(
    path: Annotated[
        Path | None,
        typer.Option(
            "--path", help="The current audit file (default: HUITONG_AUDIT_FILE in HUITONG_HOME)."
        ),
    ] = None,
) -> None:
    """Check the audit trail's hash chain, rotated files included, and the chains of other
    server processes beside it (``audit.worker2.jsonl``…, under ``serve --workers N``); exit 1
    at the first broken line (removed, edited, cut short), naming it."""
    from api.audit import verify, worker_files
    from api.config import ApiSettings
    from huitong.settings import get_settings

    path = path or ApiSettings().audit_path(get_settings().home_dir)
    if path is None:
        raise _fail("no audit file is configured (HUITONG_AUDIT_FILE is empty); give --path")
    broken = False
    found = False
    for chain in worker_files(path):
        result = verify(chain)
        if not result.files:
            continue
        found = True
        names = ", ".join(file.name for file in result.files)
        if result.broken:
            typer.secho(
                f"broken at {result.broken} ({result.lines:,} lines before it are intact)",
                fg=typer.colors.RED,
                err=True,
            )
            broken = True
            continue
        first = result.first_seq or 0
        typer.echo(
            f"intact: {result.lines:,} lines (seq {first:,} to {first + result.lines - 1:,}) in "
            f"{names}; head {result.head}"
        )
        if first > 1:
            typer.echo(f"note: the chain starts at seq {first:,}; earlier lines are not here")
    if not found:
        raise _fail(f"no audit file at {path}")
    if broken:
        raise typer.Exit(1)
