"""The API's access to Neo4j: one async driver per app, every query of a request through it.

:class:`Graph` owns the driver (opened in the app's lifespan, closed with it). Each request
gets a :class:`ScopedGraph`, which adds the caller's jurisdiction as ``$scope`` to every read
(see :func:`graph_schema.api_queries.in_scope`), counts the queries it runs and can record them
(the benchmark replays them through the driver alone). Reads run in read transactions; the one
write the API makes (a steward's decision) goes through :meth:`ScopedGraph.write`. Driver
errors become :class:`~api.errors.GraphUnavailable` (and a timed-out read, when the caller set
a timeout, :class:`~api.errors.QueryTooExpensive`).

**Outages.** A query that cannot reach Neo4j is retried for :data:`RETRY_SECONDS` (a pooled
connection gone stale after a Neo4j restart is replaced at once), then answered
``SERVICE_UNAVAILABLE``, and the graph is marked down. While it is down, queries are answered
``SERVICE_UNAVAILABLE`` at once without being sent, except one probe at a time (at most every
:data:`PROBE_EVERY_SECONDS`, given :data:`PROBE_SECONDS` to answer): a Neo4j that is starting
and accepts connections but not yet queries cannot hold requests up either. The first probe
that answers marks the graph up again: huitong recovers by itself, without a restart. A server
that accepts queries but never answers is given up after the query's timeout plus
:data:`GRACE_SECONDS`.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any

from neo4j import READ_ACCESS, AsyncDriver, AsyncGraphDatabase, Query, RoutingControl
from neo4j.exceptions import (
    AuthError,
    ClientError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from api.auth import Jurisdiction
from api.errors import GraphUnavailable, QueryTooExpensive
from graph_schema import api_queries as q
from graph_schema.connection import Neo4jTarget

_AREA_CACHE_SECONDS = 300.0
AREA_CACHE_SIZE = 1_024
"""Areas remembered at most; the least recently used is forgotten first (callers name them)."""
CONNECT_SECONDS = 1.0
RETRY_SECONDS = 0.3
RETRY_DELAY_SECONDS = 0.05
GRACE_SECONDS = 2.0
PROBE_SECONDS = 1.0
PROBE_EVERY_SECONDS = 0.25
PROBE = "RETURN 1 AS up"
Area = dict[str, Any]


_UNREACHABLE = (ServiceUnavailable, SessionExpired, AuthError, TransientError, OSError)
"""What a query meets when Neo4j is stopped, starting, restarting or refusing us (OSError
includes TimeoutError: no answer before the deadline)."""


def _why(error: BaseException) -> str:
    return "no answer in time" if isinstance(error, TimeoutError) else type(error).__name__


def _too_slow(failure: str, limit: float, timeout: float | None) -> Exception:
    """A query that ran past its limit: an investigation's own limit (``timeout``) is the
    caller's to narrow, the server's limit a busy graph to retry later."""
    if timeout is not None:
        return QueryTooExpensive(
            f"the query ran longer than {limit:g}s: ask for less depth or fewer hops"
        )
    return GraphUnavailable(f"{failure} (no answer within {limit:g}s); retry later")


def _timed_out(error: ClientError) -> bool:
    """Whether Neo4j ended the transaction at its timeout
    (``Neo.ClientError.Transaction.TransactionTimedOut…``, older servers ``…Timeout…``)."""
    code = error.code or ""
    return "TimedOut" in code or "Timeout" in code or "timeout" in (error.message or "").lower()


def _is_down(error: BaseException) -> bool:
    """Whether an error says Neo4j is away (rather than, say, a deadlock retried too long)."""
    if isinstance(error, TransientError):
        return "Unavailable" in (error.code or "")
    return True


class Graph:
    """The app's connection to Neo4j."""

    def __init__(self, driver: AsyncDriver, database: str, timeout: float = 10.0) -> None:
        self.driver = driver
        self.database = database
        self.timeout = timeout
        self._areas: OrderedDict[tuple[str | None, ...], tuple[float, Area]] = OrderedDict()
        self.down_since: float | None = None
        """When Neo4j was last found unreachable (monotonic); None while it answers."""
        self._probed_at = 0.0
        self._probing = False

    @classmethod
    def connect(cls, target: Neo4jTarget, timeout: float = 10.0) -> Graph:
        """A driver for ``target``; it connects lazily, so the app starts while Neo4j is down."""
        driver = AsyncGraphDatabase.driver(
            target.uri,
            auth=(target.user, target.password),
            connection_timeout=CONNECT_SECONDS,
            max_transaction_retry_time=RETRY_SECONDS,  # a caller waits: fail fast, not hang
            initial_retry_delay=RETRY_DELAY_SECONDS,
            notifications_min_severity="OFF",
        )
        return cls(driver, target.database, timeout)

    async def close(self) -> None:
        await self.driver.close()

    async def read(
        self, query: str, params: dict[str, Any], timeout: float | None = None
    ) -> list[dict[str, Any]]:
        """Run one read query in a read transaction; rows as dicts. With ``timeout`` (at most
        the app's), a query running longer is aborted: :class:`QueryTooExpensive`."""
        return await self._run(
            query, params, RoutingControl.READ, timeout, "the graph database is unavailable"
        )

    async def write(self, query: str, params: dict[str, Any], what: str) -> list[dict[str, Any]]:
        """Run one write query in a write transaction; rows as dicts. ``what`` names the write
        in the error when Neo4j does not answer."""
        return await self._run(
            query, params, RoutingControl.WRITE, None, f"{what} could not be stored"
        )

    async def _run(
        self,
        query: str,
        params: dict[str, Any],
        routing: RoutingControl,
        timeout: float | None,
        failure: str,
    ) -> list[dict[str, Any]]:
        limit = self.timeout if timeout is None else min(timeout, self.timeout)
        if self.down_since is not None:
            await self._probe(failure)
        try:
            records = await self._execute(query, params, routing, limit, limit + GRACE_SECONDS)
        except _UNREACHABLE as error:
            if isinstance(error, TimeoutError) and await self._answers():
                # Neo4j is up but let the query run past its timeout (it ends transactions
                # at a check every few seconds): the query's fault, not an outage
                raise _too_slow(failure, limit, timeout) from error
            if _is_down(error):
                self._went_down()
            raise GraphUnavailable(f"{failure} ({_why(error)}); retry later") from error
        except ClientError as error:
            if not _timed_out(error):
                raise
            raise _too_slow(failure, limit, timeout) from error
        return [dict(record.items()) for record in records]

    async def _answers(self) -> bool:
        """Whether Neo4j answers a trivial query within a second."""
        try:
            await self._execute(PROBE, {}, RoutingControl.READ, PROBE_SECONDS, PROBE_SECONDS)
        except (*_UNREACHABLE, ClientError):
            return False
        return True

    async def stream(
        self, query: str, params: dict[str, Any], timeout: float = 120.0
    ) -> AsyncIterator[dict[str, Any]]:
        """Run one read query and yield its rows as Neo4j sends them (a register export: the
        rows are never all held here)."""
        if self.down_since is not None:
            await self._probe("the graph database is unavailable")
        try:
            async with self.driver.session(
                database=self.database, default_access_mode=READ_ACCESS, bookmark_manager=None
            ) as session:
                result = await session.run(Query(query, timeout=timeout), params)
                async for record in result:
                    yield dict(record.items())
        except (ServiceUnavailable, SessionExpired, AuthError, OSError) as error:
            raise GraphUnavailable(
                f"the graph database is unavailable ({type(error).__name__}); retry later"
            ) from error

    async def _execute(
        self,
        query: str,
        params: dict[str, Any],
        routing: RoutingControl,
        timeout: float,
        deadline: float,
    ) -> list:
        async with asyncio.timeout(deadline):
            records, _, _ = await self.driver.execute_query(
                Query(query, timeout=timeout),
                parameters_=params,
                routing_=routing,
                database_=self.database,
                bookmark_manager_=None,
            )
        return records

    def _went_down(self) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()
        self._probed_at = time.monotonic()

    async def _probe(self, failure: str) -> None:
        """While Neo4j is marked down: GraphUnavailable at once, unless it is time for a probe
        and the probe answers (then the graph is up again and the query goes on)."""
        now = time.monotonic()
        if self._probing or now - self._probed_at < PROBE_EVERY_SECONDS:
            down = now - (self.down_since or now)
            raise GraphUnavailable(f"{failure} (down for {down:.1f}s); retry later")
        self._probing = True
        try:
            await self._execute(PROBE, {}, RoutingControl.READ, PROBE_SECONDS, PROBE_SECONDS)
        except _UNREACHABLE as error:
            self._went_down()
            raise GraphUnavailable(f"{failure} ({_why(error)}); retry later") from error
        finally:
            self._probing = False
        self.down_since = None

    async def ready(self) -> dict[str, Any]:
        """``{"publish_run": …}`` when Neo4j answers; GraphUnavailable otherwise."""
        rows = await self.read(q.READINESS, {})
        return {"publish_run": rows[0]["publish_run"] if rows else None}

    async def area(
        self, district: str | None, street: str | None = None, community: str | None = None
    ) -> Area:
        """The ``$area`` / ``$scope`` map of a district, street and/or community (see
        :func:`graph_schema.api_queries.in_area`), cached for a few minutes."""
        key = (district, street, community)
        cached = self._areas.get(key)
        if cached and time.monotonic() - cached[0] < _AREA_CACHE_SECONDS:
            self._areas.move_to_end(key)
            return cached[1]
        area: Area = {
            "district": district,
            "street": street,
            "community": community,
            "street_communities": [],
            "street_roads": [],
            "community_roads": [],
        }
        if street or community:
            rows = await self.read(
                q.AREA_KEYS, {"district": district, "street": street, "community": community}
            )
            if rows:
                area.update(rows[0])
        self._areas[key] = (time.monotonic(), area)
        self._areas.move_to_end(key)
        while len(self._areas) > AREA_CACHE_SIZE:
            self._areas.popitem(last=False)
        return area


class ScopedGraph:
    """The graph as one caller may see it: every query gets ``$scope``."""

    def __init__(
        self,
        graph: Graph,
        jurisdiction: Jurisdiction,
        recorder: list[tuple[str, dict[str, Any]]] | None = None,
    ) -> None:
        self.graph = graph
        self.jurisdiction = jurisdiction
        self.recorder = recorder
        self.queries_run = 0
        self._scope: Area | None = None

    async def scope(self) -> Area:
        """The ``$scope`` parameter for this caller (looked up once per request)."""
        if self._scope is None:
            j = self.jurisdiction
            self._scope = await self.graph.area(j.district, j.street, j.community)
        return self._scope

    async def read(
        self, query: str, *, timeout: float | None = None, **params: Any
    ) -> list[dict[str, Any]]:
        """One read query with the caller's ``$scope``; ``timeout`` as in :meth:`Graph.read`."""
        params["scope"] = await self.scope()
        self.queries_run += 1
        if self.recorder is not None:
            self.recorder.append((query, dict(params)))
        return await self.graph.read(query, params, timeout)

    async def stream(self, query: str, **params: Any) -> AsyncIterator[dict[str, Any]]:
        """One streamed read with the caller's ``$scope`` (see :meth:`Graph.stream`)."""
        params["scope"] = await self.scope()
        self.queries_run += 1
        async for row in self.graph.stream(query, params):
            yield row

    async def write(self, query: str, what: str, **params: Any) -> list[dict[str, Any]]:
        """One write query (a steward's decision, named by ``what``), counted like a read."""
        self.queries_run += 1
        return await self.graph.write(query, params, what)

    async def area(
        self, district: str | None, street: str | None = None, community: str | None = None
    ) -> Area:
        return await self.graph.area(district, street, community)
