"""Errors of the real-time engine: one root, each saying what the caller can do about it."""

from __future__ import annotations


class RealtimeError(Exception):
    """Root of the real-time engine's errors."""


class NoSnapshot(RealtimeError):
    """The workdir holds no resolved run to match against (run ``huitong resolve``)."""


class UnknownSource(RealtimeError):
    """The call names a source the sources file does not list."""


class TooManyRows(RealtimeError):
    """A call carries more rows than one call may."""


class NotApplied(RealtimeError):
    """The call is recorded in the workdir but the graph did not take it yet (Neo4j did not
    answer); it is applied when the graph answers again, and resubmitting it is safe."""
