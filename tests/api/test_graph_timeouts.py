"""A query Neo4j ends at its timeout is answered for what it is, never "Unexpected error.":
an investigation over its own limit is QUERY_TOO_EXPENSIVE, any other read over the server's
limit SERVICE_UNAVAILABLE (the graph is too busy to answer now; retry)."""

from __future__ import annotations

import asyncio

import pytest

from api.errors import QueryTooExpensive
from api.graph import Graph
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
