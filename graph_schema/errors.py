"""One root error for the graph layer, with subclasses for what callers handle differently."""


class GraphError(Exception):
    """Root of every error raised by :mod:`graph_schema`."""


class Neo4jServerError(GraphError):
    """The local Neo4j server could not be provisioned, started or stopped."""


class GraphUnavailable(GraphError):
    """Neo4j did not answer (not started, wrong address, wrong credentials); a request may be
    retried. The API reports it to clients as it is, with ``extensions.code``."""

    code = "SERVICE_UNAVAILABLE"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = {"code": self.code}


class MigrationError(GraphError):
    """A schema migration failed or the recorded history disagrees with the code."""
