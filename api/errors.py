"""The API's errors: one root, a machine-readable ``code`` each, shown to clients as-is.

Anything else raised while answering a query is masked ("Unexpected error.") and logged.
"""

from __future__ import annotations


class ApiError(Exception):
    """Root of the errors the API reports to clients, with ``extensions.code``."""

    code = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = {"code": self.code}


class BadRequest(ApiError):
    """The request cannot be answered as asked (an unreadable address, a bad cursor)."""

    code = "BAD_USER_INPUT"


class GraphUnavailable(ApiError):
    """Neo4j did not answer; the request may be retried."""

    code = "SERVICE_UNAVAILABLE"


class InvalidToken(Exception):
    """A bearer token is missing, malformed, wrongly signed, expired or has bad claims."""
