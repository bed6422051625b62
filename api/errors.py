"""The API's errors, all in one place: one root, a machine-readable ``code`` each, shown to
clients as they are (:func:`reported`).

Anything else raised while answering a query is masked ("Unexpected error.") and logged.
"""

from __future__ import annotations

from graph_schema.errors import GraphUnavailable

__all__ = [
    "ApiError",
    "BadRequest",
    "CursorExpired",
    "Forbidden",
    "GraphUnavailable",
    "InvalidBookmark",
    "InvalidToken",
    "NodeNotFound",
    "OutsideJurisdiction",
    "QueryTooExpensive",
    "reported",
]


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


class CursorExpired(ApiError):
    """A change-feed cursor points before what the feed still keeps (its retention)."""

    code = "CURSOR_EXPIRED"


class Forbidden(ApiError):
    """The caller's role may not ask this (see :mod:`api.permissions`)."""

    code = "FORBIDDEN"


class InvalidBookmark(BadRequest):
    """The ``Huitong-Bookmark`` header holds a bookmark Neo4j does not accept."""


class QueryTooExpensive(ApiError):
    """The query ran into the investigation timeout."""

    code = "QUERY_TOO_EXPENSIVE"


class NodeNotFound(ApiError):
    """No node has the ID asked for (or it lies outside the caller's jurisdiction)."""

    code = "NOT_FOUND"


class OutsideJurisdiction(Exception):
    """A decision touches ``what`` (``subject``), outside the caller's jurisdiction: answered as
    the ``OutOfJurisdiction`` result, not as an error."""

    def __init__(self, subject: str, what: str) -> None:
        super().__init__(f"{what} lies outside the caller's jurisdiction")
        self.subject = subject
        self.what = what


class InvalidToken(Exception):
    """A bearer token is missing, malformed, wrongly signed, expired or has bad claims."""


def reported(error: BaseException | None) -> bool:
    """Whether an error is shown to the client as it is (ours, or Neo4j being unavailable)."""
    return isinstance(error, ApiError | GraphUnavailable)
