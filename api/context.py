"""The typed request context every resolver receives as ``info.context``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from api.auth import Caller
from api.config import ApiSettings
from api.dataloaders import Loaders
from api.graph import ScopedGraph
from api.masking import Masker
from api.pagination import Page


@dataclass
class AuditEntry:
    """What one request did, filled in while it runs and logged once when it ends."""

    operation_name: str | None = None
    root_fields: tuple[str, ...] = ()
    records_returned: int = 0
    errors: int = 0
    queries: int = 0
    arguments: dict[str, Any] = field(default_factory=dict)  # of the root fields
    decisions: list[str] = field(default_factory=list)  # steward decisions stored


@dataclass
class Context:
    """Who is asking (``caller``), the graph as they may see it, loaders, masking, audit.

    A WebSocket's context starts without a caller: ``connection_params`` (the
    ``connection_init`` payload) carry the token, and :meth:`authenticate` completes it before
    any subscription runs."""

    caller: Caller
    graph: ScopedGraph
    settings: ApiSettings
    audit: AuditEntry = field(default_factory=AuditEntry)
    loaders: Loaders = field(init=False)
    masker: Masker = field(init=False)
    connection_params: Any = None
    audit_log: Any = None
    """Where a subscription writes its audit line when it ends (WebSockets only)."""
    socket_graph: Any = None
    """The app's graph, scoped once the socket is authenticated (WebSockets only)."""

    def __post_init__(self) -> None:
        if self.caller is not None:
            self.authenticate(self.caller, self.graph)

    def authenticate(self, caller: Caller, graph: ScopedGraph) -> None:
        self.caller = caller
        self.graph = graph
        self.loaders = Loaders(self.graph)
        self.masker = Masker(self.caller.sees_identifiers)

    def page(self, first: int | None, after: str | None) -> Page:
        """The window ``first``/``after`` ask for, within the configured page sizes."""
        return Page.of(first, after, self.settings.default_page_size, self.settings.max_page_size)

    def returned(self, count: int) -> None:
        """Count records handed to the client (for the audit line)."""
        self.audit.records_returned += count
