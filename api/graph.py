"""The API's access to Neo4j: one async driver per app, every query of a request through it.

:class:`Graph` owns the driver (opened in the app's lifespan, closed with it). Each request
gets a :class:`ScopedGraph`, which adds the caller's jurisdiction as ``$scope`` to every read
(see :func:`graph_schema.api_queries.in_scope`), counts the queries it runs and can record them
(the benchmark replays them through the driver alone). Reads run in read transactions; the one
write the API makes (a steward's decision) goes through :meth:`ScopedGraph.write`. Driver
errors become :class:`~api.errors.GraphUnavailable`; a read Neo4j ends at its timeout becomes
:class:`~api.errors.QueryTooExpensive` when the caller set that timeout (an investigation), else
:class:`~api.errors.GraphUnavailable` (the graph too busy now), never an unexpected error.

On a Neo4j cluster (a ``neo4j://`` routing URI: a cluster, Aura) the driver sends reads to the
readers and writes to the leader, and a reader may lag behind the leader. So a caller reads its
own writes through *bookmarks*: each request's queries share one bookmark manager, started from
the bookmarks the caller sent in the ``Huitong-Bookmark`` header (:data:`BOOKMARK_HEADER`),
and a request that wrote answers with the bookmarks after its write in the same header. A
caller that sends them back has its reads wait until the server that answers has that write,
whichever API worker and whichever reader serve it. Without the header, a request reads what
the server it is routed to has.

**Liveness** is decided by one background task per app (:meth:`Graph._watch`), never inside
a request: it reads the current publish (:data:`PROBE`) every :data:`PROBE_UP_EVERY_SECONDS` while
Neo4j answers and every :data:`PROBE_DOWN_EVERY_SECONDS` while it does not, at once when a
request could not reach Neo4j. A probe refused a connection marks the graph down; a probe
without an answer within :data:`PROBE_SECONDS` does so only the :data:`PROBE_MISSES`-th time
in a row (a Neo4j busy with the city's load is slow, not away). While the graph is down,
queries are answered ``SERVICE_UNAVAILABLE`` at once without being sent; the first probe that
answers marks it up again: huitong recovers by itself, without a restart. A query that runs
past its time is its caller's ``SERVICE_UNAVAILABLE`` (or ``QUERY_TOO_EXPENSIVE``) and says
nothing about the graph.

**Back-pressure.** At most ``concurrency`` queries of an app run on Neo4j at once (the driver's
pool holds that many connections, and one for the probe); the others wait for a slot, in the
order they came, at most ``queue_seconds``, and only then are answered ``SERVICE_UNAVAILABLE``
(the graph too busy). A query's own timeout starts when it has its slot, so a query queued
behind others is not cut short for their sake. Neo4j on a few cores gets no more done with
sixty-four queries at once than with eight; it only finishes each of them later.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

from neo4j import READ_ACCESS, AsyncDriver, AsyncGraphDatabase, Bookmarks, Query, RoutingControl
from neo4j.api import AsyncBookmarkManager
from neo4j.exceptions import (
    AuthError,
    ClientError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

from api.auth import Jurisdiction
from api.errors import GraphUnavailable, InvalidBookmark, QueryTooExpensive
from graph_schema import api_queries as q
from graph_schema.connection import Neo4jTarget

AREA_CACHE_SIZE = 1_024
"""Areas remembered at most; the least recently used is forgotten first (callers name them)."""
CONNECT_SECONDS = 3.0
"""Time to open a connection: a refused one fails at once whatever this is; a busy Neo4j may
take a second or two to accept one."""
RETRY_SECONDS = 0.3
RETRY_DELAY_SECONDS = 0.05
GRACE_SECONDS = 2.0
PROBE_SECONDS = 1.0
PROBE_DOWN_EVERY_SECONDS = 0.25
PROBE_UP_EVERY_SECONDS = 1.0
PROBE_MISSES = 3
"""Probes in a row without an answer (Neo4j reachable but silent) that mark the graph down."""
PROBE = q.READINESS
"""What the liveness probe asks: a read of the store (an index look-up) rather than
``RETURN 1``, so that "up" means that reads are answered."""
CONCURRENCY = 8
QUEUE_SECONDS = 10.0
Area = dict[str, Any]

BOOKMARK_HEADER = "Huitong-Bookmark"
"""HTTP header carrying Neo4j bookmarks: sent back by a request that wrote, and accepted on
any request whose reads must see those writes (comma-separated, opaque)."""


def parse_bookmarks(header: str | None) -> tuple[str, ...]:
    """The bookmarks of a :data:`BOOKMARK_HEADER` value (none for a missing or empty one)."""
    return tuple(value.strip() for value in (header or "").split(",") if value.strip())


def bookmark_manager(bookmarks: tuple[str, ...] = ()) -> AsyncBookmarkManager:
    """A bookmark manager for one request, starting from the caller's bookmarks."""
    return AsyncGraphDatabase.bookmark_manager(
        initial_bookmarks=Bookmarks.from_raw_values(bookmarks)
    )


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

    def __init__(
        self,
        driver: AsyncDriver,
        database: str,
        timeout: float = 10.0,
        *,
        concurrency: int = CONCURRENCY,
        queue_seconds: float = QUEUE_SECONDS,
    ) -> None:
        self.driver = driver
        self.database = database
        self.timeout = timeout
        self.concurrency = concurrency
        self.queue_seconds = queue_seconds
        self._areas: OrderedDict[tuple[str | None, ...], tuple[str | None, Area]] = OrderedDict()
        self.down_since: float | None = None
        """When Neo4j was last found unreachable (monotonic); None while it answers."""
        self.probe_misses = 0
        self._slots = asyncio.Semaphore(concurrency)
        self._nudge: asyncio.Event | None = None
        self._watcher: asyncio.Task | None = None

    @classmethod
    def connect(
        cls,
        target: Neo4jTarget,
        timeout: float = 10.0,
        *,
        concurrency: int = CONCURRENCY,
        queue_seconds: float = QUEUE_SECONDS,
    ) -> Graph:
        """A driver for ``target``; it connects lazily, so the app starts while Neo4j is down.
        A ``neo4j://`` (or ``neo4j+s://``) URI routes, ``bolt://`` talks to one server. Its pool
        holds ``concurrency`` connections for queries and one for the liveness probe."""
        driver = AsyncGraphDatabase.driver(
            target.uri,
            auth=(target.user, target.password),
            connection_timeout=CONNECT_SECONDS,
            max_connection_pool_size=concurrency + 1,
            max_transaction_retry_time=RETRY_SECONDS,  # a caller waits: fail fast, not hang
            initial_retry_delay=RETRY_DELAY_SECONDS,
            notifications_min_severity="OFF",
        )
        return cls(
            driver, target.database, timeout, concurrency=concurrency, queue_seconds=queue_seconds
        )

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        await self.driver.close()

    def _watch_liveness(self) -> None:
        """Start the liveness task in the running loop (once; the first query starts it)."""
        if self._watcher is None or self._watcher.done():
            self._nudge = asyncio.Event()
            self._watcher = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        """Probe Neo4j forever: every second while it answers, four times a second while it
        does not, and at once when a request could not reach it."""
        assert self._nudge is not None
        while True:
            try:
                await self.probe()
            except Exception:  # whatever it was, the task must go on probing
                self._went_down()
            every = PROBE_UP_EVERY_SECONDS if self.down_since is None else PROBE_DOWN_EVERY_SECONDS
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(every):
                    await self._nudge.wait()
            self._nudge.clear()

    async def probe(self) -> bool:
        """One liveness probe: marks the graph up when Neo4j answers a read in time, down
        when it refuses us or stays silent :data:`PROBE_MISSES` times in a row. Whether it
        answered."""
        try:
            await self._execute(PROBE, {}, RoutingControl.READ, PROBE_SECONDS, PROBE_SECONDS)
        except TimeoutError:
            self.probe_misses += 1
            if self.probe_misses >= PROBE_MISSES:
                self._went_down()
            return False
        except (*_UNREACHABLE, ClientError) as error:
            if _is_down(error):
                self._went_down()
            return False
        self.probe_misses = 0
        self.down_since = None
        return True

    @contextlib.asynccontextmanager
    async def _slot(self, failure: str) -> AsyncIterator[None]:
        """One of the :attr:`concurrency` slots for a query, waited for at most
        :attr:`queue_seconds`; GraphUnavailable (the graph too busy) past that."""
        try:
            async with asyncio.timeout(self.queue_seconds):
                await self._slots.acquire()
        except TimeoutError:
            raise GraphUnavailable(
                f"{failure}: too busy (no free slot within {self.queue_seconds:g}s); retry later"
            ) from None
        try:
            yield
        finally:
            self._slots.release()

    def _refuse_if_down(self, failure: str) -> None:
        self._watch_liveness()
        if self.down_since is not None:
            down = time.monotonic() - self.down_since
            raise GraphUnavailable(f"{failure} (down for {down:.1f}s); retry later")

    async def read(
        self,
        query: str,
        params: dict[str, Any],
        timeout: float | None = None,
        bookmarks: AsyncBookmarkManager | None = None,
    ) -> list[dict[str, Any]]:
        """Run one read query in a read transaction (on a reader, in a cluster); rows as dicts.
        With ``timeout`` (at most the app's), a query running longer is aborted:
        :class:`QueryTooExpensive`. ``bookmarks``: the request's bookmark manager (the read
        waits for the writes it holds)."""
        return await self._run(
            query,
            params,
            RoutingControl.READ,
            timeout,
            "the graph database is unavailable",
            bookmarks,
        )

    async def write(
        self,
        query: str,
        params: dict[str, Any],
        what: str,
        bookmarks: AsyncBookmarkManager | None = None,
    ) -> list[dict[str, Any]]:
        """Run one write query in a write transaction (on the leader); rows as dicts. ``what``
        names the write in the error when Neo4j does not answer; ``bookmarks`` gets the
        write's bookmark."""
        return await self._run(
            query, params, RoutingControl.WRITE, None, f"{what} could not be stored", bookmarks
        )

    async def _run(
        self,
        query: str,
        params: dict[str, Any],
        routing: RoutingControl,
        timeout: float | None,
        failure: str,
        bookmarks: AsyncBookmarkManager | None = None,
    ) -> list[dict[str, Any]]:
        limit = self.timeout if timeout is None else min(timeout, self.timeout)
        self._refuse_if_down(failure)
        try:
            async with self._slot(failure):
                records = await self._execute(
                    query, params, routing, limit, limit + GRACE_SECONDS, bookmarks
                )
        except TimeoutError as error:
            # no answer before the deadline: Neo4j ends transactions at a check every few
            # seconds, later under load; the query's fault, not an outage (the probe decides)
            raise _too_slow(failure, limit, timeout) from error
        except _UNREACHABLE as error:
            if _is_down(error) and self._nudge is not None:
                self._nudge.set()  # let the probe look now
            raise GraphUnavailable(f"{failure} ({_why(error)}); retry later") from error
        except ClientError as error:
            if "Bookmark" in (error.code or ""):
                raise InvalidBookmark(
                    f"the {BOOKMARK_HEADER} header holds no bookmark this database knows"
                    f" ({error.code})"
                ) from error
            if not _timed_out(error):
                raise
            raise _too_slow(failure, limit, timeout) from error
        return [dict(record.items()) for record in records]

    async def stream(
        self,
        query: str,
        params: dict[str, Any],
        timeout: float = 120.0,
        bookmarks: AsyncBookmarkManager | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Run one read query and yield its rows as Neo4j sends them (a register export: the
        rows are never all held here); ``bookmarks`` as in :meth:`read`. The query holds a slot
        until its last row. It has ``timeout`` seconds from its start to its last row, however
        slowly its rows are taken (GraphUnavailable after that: Neo4j ends the query, or this
        stream stops), so a stream never holds its slot longer."""
        failure = "the graph database is unavailable"
        self._refuse_if_down(failure)
        deadline = time.monotonic() + timeout
        try:
            async with (
                self._slot(failure),
                self.driver.session(
                    database=self.database,
                    default_access_mode=READ_ACCESS,
                    bookmark_manager=bookmarks,
                ) as session,
            ):
                result = await session.run(Query(query, timeout=timeout), params)
                async for record in result:
                    if time.monotonic() > deadline:
                        raise _too_slow("the graph database is too busy", timeout, None)
                    yield dict(record.items())
        except (ServiceUnavailable, SessionExpired, AuthError, OSError) as error:
            if self._nudge is not None:
                self._nudge.set()
            raise GraphUnavailable(
                f"the graph database is unavailable ({type(error).__name__}); retry later"
            ) from error
        except ClientError as error:
            if not _timed_out(error):
                raise
            raise _too_slow("the graph database is too busy", timeout, None) from error

    async def _execute(
        self,
        query: str,
        params: dict[str, Any],
        routing: RoutingControl,
        timeout: float,
        deadline: float,
        bookmarks: AsyncBookmarkManager | None = None,
    ) -> list:
        async with asyncio.timeout(deadline):
            records, _, _ = await self.driver.execute_query(
                Query(query, timeout=timeout),
                parameters_=params,
                routing_=routing,
                database_=self.database,
                bookmark_manager_=bookmarks,
            )
        return records

    def _went_down(self) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()

    async def ready(self) -> dict[str, Any]:
        """``{"publish_run": …}`` when Neo4j answers; GraphUnavailable otherwise."""
        rows = await self.read(q.READINESS, {})
        return {"publish_run": rows[0]["publish_run"] if rows else None}

    async def area(
        self, district: str | None, street: str | None = None, community: str | None = None
    ) -> Area:
        """The ``$area`` / ``$scope`` map of a district, street and/or community (see
        :func:`graph_schema.api_queries.in_area`). A street's or community's map is read from
        the graph and cached per published run: a cached map is used only while the graph still
        holds the run it was read from, so every API worker answers alike after a publish. At
        most :data:`AREA_CACHE_SIZE` maps are kept; the least recently used goes first."""
        key = (district, street, community)
        run = (await self.ready())["publish_run"] if (street or community) else None
        cached = self._areas.get(key)
        if cached is not None and cached[0] == run:
            self._areas.move_to_end(key)
            return cached[1]
        keys = None
        if street or community:
            rows = await self.read(
                q.AREA_KEYS, {"district": district, "street": street, "community": community}
            )
            keys = rows[0] if rows else None
        area: Area = q.area_map(district, street, community, keys)
        self._areas[key] = (run, area)
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
        *,
        bookmarks: tuple[str, ...] = (),
        response_headers: MutableMapping[str, str] | None = None,
    ) -> None:
        self.graph = graph
        self.jurisdiction = jurisdiction
        self.recorder = recorder
        self.queries_run = 0
        self._scope: Area | None = None
        self._bookmarks = bookmark_manager(bookmarks)
        self._response_headers = response_headers

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
        return await self.graph.read(query, params, timeout, self._bookmarks)

    async def stream(
        self, query: str, *, timeout: float = 120.0, **params: Any
    ) -> AsyncIterator[dict[str, Any]]:
        """One streamed read with the caller's ``$scope`` (see :meth:`Graph.stream`)."""
        params["scope"] = await self.scope()
        self.queries_run += 1
        rows = self.graph.stream(query, params, timeout, bookmarks=self._bookmarks)
        async with contextlib.aclosing(rows):  # a download given up frees its slot at once
            async for row in rows:
                yield row

    async def write(self, query: str, what: str, **params: Any) -> list[dict[str, Any]]:
        """One write query (a steward's decision, named by ``what``), counted like a read; the
        response carries the bookmarks after it (:data:`BOOKMARK_HEADER`)."""
        self.queries_run += 1
        rows = await self.graph.write(query, params, what, self._bookmarks)
        if self._response_headers is not None:
            held = await self._bookmarks.get_bookmarks()
            self._response_headers[BOOKMARK_HEADER] = ",".join(sorted(held))
        return rows

    async def area(
        self, district: str | None, street: str | None = None, community: str | None = None
    ) -> Area:
        return await self.graph.area(district, street, community)
