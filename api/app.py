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
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UNSET

from api.admission import Admission
from api.audit import AuditFile, AuditLog
from api.auth import Caller, bearer_token, load_secret, verify_token
from api.config import ApiSettings
from api.context import AuditEntry, Context
from api.errors import GraphUnavailable, InvalidToken, shortened
from api.explore import routes as explore_routes
from api.exports import export_routes
from api.graph import BOOKMARK_HEADER, Graph, ScopedGraph, parse_bookmarks
from api.graphiql import page_html as graphiql_page
from api.graphiql import routes as graphiql_routes
from api.metrics import Metrics
from api.name_keys import name_keys
from api.ratelimit import RateLimiter
from api.schema import build_schema
from graph_schema.connection import Neo4jTarget, resolve_target
from huitong.settings import get_settings
from huitong.standardise import standardise_person_name
from realtime.engine import open_engine

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
        return Context(
            caller=caller,
            graph=graph,
            settings=self.settings,
            audit=state["audit"],
            realtime=state.get("realtime"),
        )

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

    async def process_result(self, request, result):
        """The response body, no error message quoting more than an excerpt of the input."""
        body = await super().process_result(request, result)
        for error in body.get("errors") or ():
            error["message"] = shortened(error["message"])
        return body


class BodyTooLarge(Exception):
    """A request body grew past the limit while it was being read."""


class GraphQLGate:
    """ASGI middleware for ``/graphql``: authenticate, hold the caller to the rate limit and
    the body to its size limit (HTTP 429 / 413, the body never read whole), let the request in
    when there is room (:class:`~api.admission.Admission`; HTTP 503 when it waited too long),
    then audit and measure the request."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        secret: str,
        graphiql: bool,
        audit: AuditLog,
        metrics: Metrics,
        operations: frozenset[str],
        max_body_bytes: int,
        rate_limiter: RateLimiter | None = None,
        admission: Admission | None = None,
    ) -> None:
        self.app = app
        self.secret = secret
        self.graphiql = graphiql
        self.audit = audit
        self.metrics = metrics
        self.operations = operations
        self.max_body_bytes = max_body_bytes
        self.rate_limiter = rate_limiter
        self.admission = admission

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
        refusal = self._refusal(scope, caller.subject)
        if refusal is None and self.admission is not None and not await self.admission.enter():
            refusal = _error_response(
                503,
                "OVERLOADED",
                f"the server is overloaded: no room for this request within "
                f"{self.admission.queue_seconds:g}s; retry later",
                {"Retry-After": self.admission.retry_after()},
            )
        if refusal is not None:
            await refusal(scope, receive, send)
            seconds = time.perf_counter() - began
            self.audit.request(
                caller=caller, entry=entry, status=refusal.status_code, seconds=seconds,
                client=client, reason=_REFUSED[refusal.status_code],
            )  # fmt: skip
            self.metrics.observe("none", _REFUSED[refusal.status_code], seconds, 0)
            return
        state = scope.setdefault("state", {})
        state["caller"] = caller
        state["audit"] = entry
        status = {"code": 500}

        async def send_with_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        read = 0

        async def bounded_receive() -> Message:
            nonlocal read
            message = await receive()
            read += len(message.get("body", b""))
            if read > self.max_body_bytes:
                raise BodyTooLarge
            return message

        try:
            await self.app(scope, bounded_receive, send_with_status)
        except BodyTooLarge:
            if status["code"] != 500:
                raise  # the answer had begun: nothing sensible left to send
            await _too_large(self.max_body_bytes)(scope, receive, send_with_status)
        finally:
            if self.admission is not None:
                self.admission.leave()
            seconds = time.perf_counter() - began
            self.audit.request(
                caller=caller, entry=entry, status=status["code"], seconds=seconds, client=client
            )
            known = [name for name in entry.root_fields if name in self.operations]
            operation = "+".join(known) or "none"
            outcome = "ok" if status["code"] < 400 and not entry.errors else "error"
            self.metrics.observe(operation, outcome, seconds, entry.records_returned)

    def _refusal(self, scope: Scope, subject: str) -> Response | None:
        """429 when ``subject`` is over the rate limit, 413 when the declared body is too large;
        None to go on (a body without a declared length is counted as it is read)."""
        if self.rate_limiter is not None:
            wait = self.rate_limiter.acquire(subject)
            if wait > 0:
                return _error_response(
                    429,
                    "RATE_LIMITED",
                    f"too many requests for this token; retry in {wait:.1f}s",
                    {"Retry-After": RateLimiter.retry_after(wait)},
                )
        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            return _too_large(self.max_body_bytes)
        return None


_REFUSED = {413: "body_too_large", 429: "rate_limited", 503: "overloaded"}


def _too_large(limit: int) -> Response:
    return _error_response(
        413, "PAYLOAD_TOO_LARGE", f"the request body is over the limit of {limit:,} bytes"
    )


def _error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(
        json.dumps(body, ensure_ascii=False),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


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
    error_stream: IO[str] | None = None,
    workdir: Path | None = None,
) -> Starlette:
    """The API as an ASGI app. ``target`` defaults to ``resolve_target()`` (NEO4J_* or the
    local server); audit lines go to ``audit_stream`` (stdout by default), error lines to
    ``error_stream`` (stderr by default). With a resolved ``workdir``, real-time submission
    is on (:mod:`realtime.engine`, opened in the lifespan)."""
    settings = settings or ApiSettings()
    secret = load_secret(settings.jwt_secret, get_settings().home_dir)
    schema = build_schema(settings, error_stream=error_stream)
    metrics = Metrics()
    audit_path = settings.audit_path(get_settings().home_dir)
    audit = AuditLog(
        audit_stream,
        AuditFile(audit_path, max_bytes=settings.audit_max_bytes, fsync=settings.audit_fsync)
        if audit_path
        else None,
    )
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
        where = target or resolve_target()
        graph = Graph.connect(
            where,
            settings.neo4j_timeout_seconds,
            concurrency=settings.neo4j_concurrency,
            queue_seconds=settings.queue_seconds,
        )
        engine = open_engine(workdir, where) if workdir is not None else None
        try:
            yield {"graph": graph, "realtime": engine}
        finally:
            await graph.close()
            if engine is not None:
                engine.shutdown()
            audit.close()

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
            *export_routes(secret, audit, schema.error_log),
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
        max_body_bytes=settings.max_body_bytes,
        rate_limiter=(
            RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
            if settings.rate_limit_per_minute > 0
            else None
        ),
        admission=Admission(settings.max_in_flight, settings.queue_seconds),
    )
    app.state.settings = settings
    app.state.schema = schema
    app.state.audit = audit
    return app
