"""One structured audit line per GraphQL request, and the extension that gathers it.

The line (JSON, via structlog) says who asked (subject, role, department, jurisdiction), what
(operation name and root fields), how it went (HTTP status, GraphQL errors), how much came back
(records returned) and how long it took. Unauthenticated requests are logged too.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import IO, Any

import structlog
from graphql import OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from api.auth import Caller
from api.context import AuditEntry


class AuditLog:
    """Writes audit lines as JSON to a stream (stdout by default)."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self._logger = structlog.wrap_logger(
            structlog.WriteLogger(stream or sys.stdout),
            processors=[
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.processors.JSONRenderer(ensure_ascii=False, sort_keys=True),
            ],
        )

    def request(
        self,
        *,
        caller: Caller | None,
        entry: AuditEntry,
        status: int,
        seconds: float,
        client: str | None,
        reason: str | None = None,
    ) -> None:
        fields: dict[str, Any] = {
            "who": caller.subject if caller else None,
            "role": caller.role if caller else None,
            "department": caller.department if caller else None,
            "jurisdiction": caller.jurisdiction.describe() if caller else None,
            "operation": entry.operation_name,
            "fields": list(entry.root_fields),
            "records_returned": entry.records_returned,
            "graph_queries": entry.queries,
            "errors": entry.errors,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "client": client,
        }
        if entry.arguments:
            fields["arguments"] = entry.arguments
        if reason:
            fields["reason"] = reason
        self._logger.info("graphql_request", **fields)


def root_fields(document, operation_name: str | None) -> tuple[str, ...]:
    """Names of the root fields the executed operation selects (sorted, de-duplicated)."""
    if document is None:
        return ()
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [d for d in operations if d.name and d.name.value == operation_name]
    if not operations:
        return ()
    names = {
        selection.name.value
        for selection in operations[0].selection_set.selections
        if hasattr(selection, "name") and selection.name is not None
    }
    return tuple(sorted(names))


class AuditExtension(SchemaExtension):
    """Copies the operation's name, root fields and error count into the request's audit entry."""

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        entry: AuditEntry | None = getattr(context, "audit", None)
        if entry is None:
            return
        entry.operation_name = self.execution_context.operation_name
        entry.root_fields = root_fields(
            self.execution_context.graphql_document, entry.operation_name
        )
        result = self.execution_context.result
        errors = getattr(result, "errors", None) or self.execution_context.pre_execution_errors
        entry.errors = len(errors or [])
        graph = getattr(context, "graph", None)
        entry.queries = getattr(graph, "queries_run", 0)
