"""One root error for the graph layer, with subclasses for what callers handle differently."""


class GraphError(Exception):
    """Root of every error raised by :mod:`graph_schema`."""


class Neo4jServerError(GraphError):
    """The local Neo4j server could not be provisioned, started or stopped."""


class GraphUnavailable(GraphError):
    """Neo4j did not answer (not started, wrong address, wrong credentials)."""


class MigrationError(GraphError):
    """A schema migration failed or the recorded history disagrees with the code."""
