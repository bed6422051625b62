"""The API's errors, all in one place: one root, a machine-readable ``code`` each, shown to
clients as they are (:func:`reported`).

Anything else raised while answering a query is masked ("Unexpected error.") and logged with
its traceback; expected errors (ours, validation, Neo4j unavailable) are logged as one line
without one (:class:`ErrorLog`). No message quotes more than an excerpt of the input
(:func:`excerpt`, :func:`shortened`).
"""

from __future__ import annotations

import re
import sys
from typing import IO, Any

import structlog
from graphql import GraphQLError

from graph_schema.errors import GraphUnavailable

EXCERPT_CHARS = 40
"""Characters of a client's input an error message may quote."""
MESSAGE_CHARS = 400
"""Longest error message shown or logged."""
SHORT_MESSAGE_CHARS = 200
"""A message this short is shown as it is."""

__all__ = [
    "ApiError",
    "BadRequest",
    "CursorExpired",
    "ErrorLog",
    "Forbidden",
    "GraphUnavailable",
    "InvalidBookmark",
    "InvalidToken",
    "NodeNotFound",
    "OutsideJurisdiction",
    "QueryTooExpensive",
    "excerpt",
    "reported",
    "shortened",
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


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """``value`` as an error may quote it: at most ``limit`` characters, and its length when
    cut (``陈伟… (1,048,576 characters)``)."""
    text = str(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


_QUOTED_RUN = r"((?:[^{q}\\]|\\.){{{n},}})"
_LONG_QUOTED = re.compile(
    '"' + _QUOTED_RUN.format(q='"', n=EXCERPT_CHARS + 1) + '"'
    "|'" + _QUOTED_RUN.format(q="'", n=EXCERPT_CHARS + 1) + "'"
)
"""A value in double or single quotes longer than an excerpt."""


def shortened(message: str) -> str:
    """A message with every long quoted value cut to an excerpt, at most MESSAGE_CHARS long.

    graphql-core quotes the offending value whole (``Expected value of type 'Date', found
    "…"``); this keeps an error from echoing a client's megabyte back to it, or into the log.
    """
    if len(message) <= SHORT_MESSAGE_CHARS:
        return message
    message = _LONG_QUOTED.sub(
        lambda m: f'"{excerpt(m.group(1) if m.group(1) is not None else m.group(2))}"', message
    )
    return message if len(message) <= MESSAGE_CHARS else message[: MESSAGE_CHARS - 1] + "…"


def expected(error: GraphQLError) -> bool:
    """Whether an error is the client's (validation, bad input, not found, forbidden, limits)
    or Neo4j being away, rather than a fault of ours."""
    return error.original_error is None or reported(error.original_error)


class ErrorLog:
    """GraphQL errors as JSON lines on a stream (stderr by default): an expected error is one
    line (code, message, path); an unexpected one carries its traceback in ``exception``."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self._logger = structlog.wrap_logger(
            structlog.WriteLogger(stream or sys.stderr),
            processors=[
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                # no frame variables: they hold the settings (the JWT secret), the caller's
                # arguments and the records read, none of which belongs in a log
                structlog.processors.ExceptionRenderer(
                    structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
                ),
                structlog.processors.JSONRenderer(ensure_ascii=False, sort_keys=True),
            ],
        )

    def stream_aborted(self, **fields: Any) -> None:
        """A download ended before its last byte (its status had been sent): one line."""
        self._logger.warning("stream_aborted", **fields)

    def errors(self, errors: list[GraphQLError]) -> None:
        for error in errors:
            fields: dict[str, Any] = {
                "message": shortened(error.message),
                "path": error.path,
                "code": (error.extensions or {}).get("code"),
            }
            if expected(error):
                self._logger.info("graphql_client_error", **fields)
            else:
                original = error.original_error
                fields["code"] = "INTERNAL"
                fields["exc_info"] = (type(original), original, original.__traceback__)
                self._logger.error("graphql_unexpected_error", **fields)
