"""A query Neo4j ends at its timeout is answered for what it is, never "Unexpected error.":
an investigation over its own limit is QUERY_TOO_EXPENSIVE, any other read over the server's
limit SERVICE_UNAVAILABLE (the graph is too busy to answer now; retry), and neither marks the
graph down. Queries beyond the concurrency wait their turn, then are refused as too busy; a
Neo4j that refuses connections is marked down by the liveness probe."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from api.errors import QueryTooExpensive
from api.graph import Graph
from graph_schema.connection import Neo4jTarget
from graph_schema.errors import GraphUnavailable

SLOW = "UNWIND range(1, 2000000000) AS x WITH x WHERE x % 7 = 3 RETURN count(x) AS n"


def run(target, query: str, graph_timeout: float, timeout: float | None):
    async def go():
        graph = Graph.connect(target, timeout=graph_timeout)
        try:
            return await graph.read(query, {}, timeout=timeout)
        finally:
            await graph.close()

    return asyncio.run(go())


def test_an_investigation_over_its_limit_is_too_expensive(neo4j_target):
    with pytest.raises(QueryTooExpensive, match=r"longer than 0\.5s"):
        run(neo4j_target, SLOW, graph_timeout=10.0, timeout=0.5)


def test_a_read_over_the_server_limit_is_unavailable_not_unexpected(neo4j_target):
    with pytest.raises(GraphUnavailable, match=r"no answer within 0\.5s"):
        run(neo4j_target, SLOW, graph_timeout=0.5, timeout=None)


def test_a_quick_read_is_answered(neo4j_target):
    assert run(neo4j_target, "RETURN 1 AS one", graph_timeout=0.5, timeout=None) == [{"one": 1}]


def test_a_stream_over_its_limit_is_unavailable_not_unexpected(neo4j_target):
    async def go():
        graph = Graph.connect(neo4j_target)
        try:
            return [row async for row in graph.stream(SLOW, {}, timeout=0.5)]
        finally:
            await graph.close()

    with pytest.raises(GraphUnavailable, match=r"too busy \(no answer within 0\.5s\)"):
        asyncio.run(go())


def test_a_read_past_its_deadline_leaves_the_graph_up(neo4j_target):
    """A busy Neo4j is not a Neo4j that is down: the caller whose query ran out of time is
    told so, everyone else goes on."""

    async def go():
        graph = Graph.connect(neo4j_target, timeout=0.5)
        try:
            with pytest.raises(GraphUnavailable, match="no answer within"):
                await graph.read(SLOW, {})
            assert graph.down_since is None
            return await graph.read("RETURN 1 AS one", {})
        finally:
            await graph.close()

    assert asyncio.run(go()) == [{"one": 1}]


def test_queries_beyond_the_concurrency_queue_then_are_refused_as_too_busy(neo4j_target):
    async def go(queue_seconds: float):
        graph = Graph.connect(neo4j_target, concurrency=1, queue_seconds=queue_seconds)
        try:
            slow = asyncio.create_task(graph.read(SLOW, {}, timeout=1.0))
            await asyncio.sleep(0.2)  # the slow query holds the only slot
            began = time.monotonic()
            quick = await asyncio.gather(graph.read("RETURN 1 AS one", {}), return_exceptions=True)
            waited = time.monotonic() - began
            with pytest.raises(QueryTooExpensive):
                await slow
            after = await graph.read("RETURN 2 AS two", {})
            return quick[0], waited, after, graph.down_since
        finally:
            await graph.close()

    refused, waited, after, down = asyncio.run(go(queue_seconds=0.3))
    assert isinstance(refused, GraphUnavailable) and "no free slot within 0.3s" in str(refused)
    assert 0.3 <= waited < 1.0 and after == [{"two": 2}] and down is None

    answered, waited, after, down = asyncio.run(go(queue_seconds=30))
    assert answered == [{"one": 1}] and waited >= 0.5  # it waited its turn, then ran
    assert after == [{"two": 2}] and down is None


def test_a_neo4j_that_refuses_connections_is_marked_down_and_refused_at_once():
    """Nothing listens on the port: the first query fails, the liveness probe it wakes marks
    the graph down, and the next queries are refused without being sent."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    target = Neo4jTarget(f"bolt://127.0.0.1:{port}", "neo4j", "nobody", "neo4j")

    async def go():
        graph = Graph.connect(target)
        try:
            with pytest.raises(GraphUnavailable):
                await graph.read("RETURN 1 AS one", {})
            for _ in range(100):
                if graph.down_since is not None:
                    break
                await asyncio.sleep(0.01)
            began = time.monotonic()
            with pytest.raises(GraphUnavailable, match=r"down for"):
                await graph.read("RETURN 1 AS one", {})
            return time.monotonic() - began
        finally:
            await graph.close()

    assert asyncio.run(go()) < 0.05
