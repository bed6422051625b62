"""Where Neo4j is: the user's own (``NEO4J_URI`` set) or the project's local server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from neo4j import Driver, GraphDatabase
from neo4j.exceptions import AuthError, ServiceUnavailable

from graph_schema.errors import GraphUnavailable
from graph_schema.server import LocalNeo4j
from huitong.settings import Settings, get_settings


@dataclass(frozen=True)
class Neo4jTarget:
    uri: str
    user: str
    password: str
    database: str

    def __repr__(self) -> str:  # never print the password
        return f"Neo4jTarget(uri={self.uri!r}, user={self.user!r}, database={self.database!r})"


def local_server(settings: Settings | None = None) -> LocalNeo4j:
    """The local server configured by ``HUITONG_HOME`` and ``HUITONG_NEO4J_*``."""
    settings = settings or get_settings()
    return LocalNeo4j(
        settings.home_dir,
        settings.neo4j_port,
        heap=settings.neo4j_heap,
        pagecache=settings.neo4j_pagecache,
        java_home=settings.java_home,
        start_timeout=settings.neo4j_start_timeout,
        runtime_dir=settings.neo4j_runtime,
    )


def resolve_target(settings: Settings | None = None) -> Neo4jTarget:
    """``NEO4J_URI/USER/PASSWORD`` when set, else the local server's address and password."""
    settings = settings or get_settings()
    if settings.neo4j_uri:
        return Neo4jTarget(
            settings.neo4j_uri,
            settings.neo4j_user,
            settings.neo4j_password or "",
            settings.neo4j_database,
        )
    env = local_server(settings).connection_env()
    return Neo4jTarget(
        env["NEO4J_URI"], env["NEO4J_USER"], env["NEO4J_PASSWORD"], settings.neo4j_database
    )


def managed_server(target: Neo4jTarget, settings: Settings | None = None) -> LocalNeo4j | None:
    """The local server when ``target`` is it (also when ``NEO4J_URI`` names it), else None:
    what may be stopped for an offline import (:mod:`graph_schema.bulk_import`)."""
    server = local_server(settings)
    status = server.status()
    if status.running and target.uri == f"bolt://127.0.0.1:{status.port}":
        return server
    return None


@contextmanager
def open_driver(target: Neo4jTarget | None = None) -> Iterator[Driver]:
    """A connected driver; :class:`GraphUnavailable` with the address when Neo4j does not answer."""
    target = target or resolve_target()
    driver = GraphDatabase.driver(
        target.uri,
        auth=(target.user, target.password),
        connection_timeout=5.0,
        notifications_min_severity="OFF",
    )
    try:
        try:
            driver.verify_connectivity()
        except (ServiceUnavailable, AuthError, OSError, ValueError) as error:
            raise GraphUnavailable(
                f"Neo4j at {target.uri} is unreachable ({type(error).__name__}: {error}). "
                "Start the local server with `huitong neo4j start`, or set NEO4J_URI, "
                "NEO4J_USER and NEO4J_PASSWORD to your own Neo4j."
            ) from error
        yield driver
    finally:
        driver.close()
