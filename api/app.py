"""The ASGI application: ``POST /graphql``, ``/healthz``, ``/readyz``, ``/metrics``.

``create_app()`` wires strawberry's GraphQL app into starlette. One Neo4j driver per app is
opened in the lifespan and closed with it. Every ``/graphql`` request must carry
``Authorization: Bearer <JWT>``; without a valid token it gets HTTP 401 before any GraphQL runs.
Each request then sees the graph through its caller's jurisdiction, gets its own DataLoaders,
and leaves one audit line and its metrics.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET

from api.audit import AuditLog
from api.auth import Caller, bearer_token, load_secret, verify_token
from api.config import ApiSettings
from api.context import AuditEntry, Context
from api.errors import GraphUnavailable, InvalidToken
from api.explore import routes as explore_routes
from api.exports import export_routes
from api.graph import BOOKMARK_HEADER, Graph, ScopedGraph, parse_bookmarks
from api.graphiql import page_html as graphiql_page
from api.graphiql import routes as graphiql_routes
from api.metrics import Metrics
from api.name_keys import name_keys
from api.schema import build_schema
from graph_schema.connection import Neo4jTarget, resolve_target
from huitong.settings import get_settings
from huitong.standardise import standardise_person_name

GRAPHQL_PATH = "/graphql"
REVIEW_PAGE = Path(__file__).with_name("review")  # the stewards' page, static files
STATIC = Path(__file__).with_name("static")  # what the pages share (i18n.js)


class HuitongGraphQL(GraphQL):
    """Strawberry's ASGI app with huitong's typed context."""

    def __init__(
        self, schema, settings: ApiSettings, *, secret: str, audit: AuditLog, **kwargs: Any
    ) -> None:
        super().__init__(schema, **kwargs)
        self.settings = settings
        self.secret = secret
        self.audit = audit

    @property
    def graphql_ide_html(self) -> str:  # GraphiQL served offline, token from #token=
        return graphiql_page()

    async def get_context(self, request, response) -> Context | None:
        state = request.scope["state"]
        if request.scope["type"] == "websocket":  # authenticated by connection_init
            context = Context(caller=None, graph=None, settings=self.settings)  # type: ignore[arg-type]
            context.audit_log = self.audit
            context.socket_graph = state["graph"]
            return context
        caller: Caller | None = state.get("caller")
        if caller is None:  # the GraphiQL page (GET); queries only run by POST, with a caller
            return None
        graph = ScopedGraph(
            state["graph"],
            caller.jurisdiction,
            state.get("query_recorder"),
            bookmarks=parse_bookmarks(request.headers.get(BOOKMARK_HEADER)),
            response_headers=response.headers,
        )
        return Context(caller=caller, graph=graph, settings=self.settings, audit=state["audit"])

    async def on_ws_connect(self, context: Context):  # type: ignore[override]
        """A subscription's socket authenticates in ``connection_init``: its payload carries
        ``Authorization: Bearer <JWT>``. A bad token closes the socket (4403), audited."""
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        authorization = params.get("Authorization") or params.get("authorization")
        try:
            caller = verify_token(self.secret, bearer_token(authorization))
        except InvalidToken as error:
            self.audit.request(
                caller=None, entry=AuditEntry(root_fields=("subscription",)), status=401,
                seconds=0.0, client=None, reason=str(error),
            )  # fmt: skip
            raise ConnectionRejectionError({"message": str(error)}) from None
        context.authenticate(caller, ScopedGraph(context.socket_graph, caller.jurisdiction))
        return UNSET


class GraphQLGate:
    """ASGI middleware for ``/graphql``: authenticate, then audit and measure the request."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        secret: str,
        graphiql: bool,
        audit: AuditLog,
        metrics: Metrics,
        operations: frozenset[str],
    ) -> None:
        self.app = app
        self.secret = secret
        self.graphiql = graphiql
        self.audit = audit
        self.metrics = metrics
        self.operations = operations

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") != GRAPHQL_PATH:
            await self.app(scope, receive, send)
            return
        if self.graphiql and scope["method"] == "GET":
            await self.app(scope, receive, send)  # the IDE page; it sends queries by POST
            return
        began = time.perf_counter()
        request = Request(scope)
        client = request.client.host if request.client else None
        entry = AuditEntry()
        try:
            caller = verify_token(self.secret, bearer_token(request.headers.get("authorization")))
        except InvalidToken as error:
            response = _unauthorized(str(error))
            await response(scope, receive, send)
            seconds = time.perf_counter() - began
            self.audit.request(
                caller=None, entry=entry, status=401, seconds=seconds, client=client,
                reason=str(error),
            )  # fmt: skip
            self.metrics.observe("unauthenticated", "unauthorized", seconds, 0)
            return
        state = scope.setdefault("state", {})
        state["caller"] = caller
        state["audit"] = entry
        status = {"code": 500}

        async def send_with_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            seconds = time.perf_counter() - began
            self.audit.request(
                caller=caller, entry=entry, status=status["code"], seconds=seconds, client=client
            )
            known = [name for name in entry.root_fields if name in self.operations]
            operation = "+".join(known) or "none"
            outcome = "ok" if status["code"] < 400 and not entry.errors else "error"
            self.metrics.observe(operation, outcome, seconds, entry.records_returned)


def _unauthorized(reason: str) -> Response:
    body = {"errors": [{"message": reason, "extensions": {"code": "UNAUTHENTICATED"}}]}
    error = "invalid_token" if "missing" not in reason else "invalid_request"
    return Response(
        json.dumps(body, ensure_ascii=False),
        status_code=401,
        media_type="application/json",
        headers={"WWW-Authenticate": f'Bearer realm="huitong", error="{error}"'},
    )


def create_app(
    settings: ApiSettings | None = None,
    *,
    target: Neo4jTarget | None = None,
    audit_stream: IO[str] | None = None,
) -> Starlette:
    """The API as an ASGI app. ``target`` defaults to ``resolve_target()`` (NEO4J_* or the
    local server); audit lines go to ``audit_stream`` (stdout by default)."""
    settings = settings or ApiSettings()
    secret = load_secret(settings.jwt_secret, get_settings().home_dir)
    schema = build_schema(settings)
    metrics = Metrics()
    audit = AuditLog(audit_stream)
    graphql = HuitongGraphQL(
        schema,
        settings,
        secret=secret,
        audit=audit,
        graphql_ide="graphiql" if settings.graphiql else None,
        allow_queries_via_get=False,
    )
    operations = frozenset(schema._schema.query_type.fields)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        name_keys(standardise_person_name("黄伟"), homophones=True)  # warm the pinyin tables
        graph = Graph.connect(target or resolve_target(), settings.neo4j_timeout_seconds)
        try:
            yield {"graph": graph}
        finally:
            await graph.close()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        try:
            ready = await request.state.graph.ready()
        except GraphUnavailable as error:
            return JSONResponse({"status": "unavailable", "reason": error.message}, 503)
        return JSONResponse({"status": "ready", **ready})

    async def metrics_endpoint(request: Request) -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)

    app = Starlette(
        routes=[
            Route(GRAPHQL_PATH, graphql, methods=["GET", "POST"]),
            WebSocketRoute(GRAPHQL_PATH, graphql),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            *explore_routes(),
            *graphiql_routes(),
            *export_routes(secret, audit),
            Mount("/review", StaticFiles(directory=REVIEW_PAGE, html=True), name="review"),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(
        GraphQLGate,
        secret=secret,
        graphiql=settings.graphiql,
        audit=audit,
        metrics=metrics,
        operations=operations,
    )
    app.state.settings = settings
    app.state.schema = schema
    return app
