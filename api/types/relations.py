"""List fields of golden records and address points, one helper per kind of list.

A relation field is one call naming what it follows and the node type it lists, e.g.
``rents = related("RENTS", "out", "RentalUnit", description=…)``: the helper writes the
resolver (``first``/``after``, the page read through the request's DataLoaders, paged in
Cypher) and returns the strawberry field. The parent type says which graph label it is
(``LABEL``) and carries its golden ID (``id``) or point key (``key``).
"""

from collections.abc import Awaitable, Callable
from importlib import import_module
from typing import Annotated, Any

import strawberry

from api import services
from api.context import Context
from api.pagination import Page, Window
from api.types.pagination import After, First

Info = strawberry.Info[Context, None]
Fetch = Callable[[Context, Any, Page], Awaitable[Window]]

CONNECTIONS = {
    "Person": ("api.types.person", "PersonConnection"),
    "Enterprise": ("api.types.enterprise", "EnterpriseConnection"),
    "RentalUnit": ("api.types.rental_unit", "RentalUnitConnection"),
    "AddressPoint": ("api.types.address", "AddressPointConnection"),
    "Event": ("api.types.event", "EventConnection"),
    "SourceRecord": ("api.types.source_record", "SourceRecordConnection"),
}
"""Where the connection type of each listed node type lives (imported lazily: the types refer
to one another)."""


def connection_of(node: str) -> Any:
    """The connection type listing ``node`` (Person, Enterprise, …)."""
    module, name = CONNECTIONS[node]
    return getattr(import_module(module), name)


def list_field(node: str, fetch: Fetch, *, description: str, **options: Any) -> Any:
    """A connection field listing ``node``s: ``fetch(ctx, parent, page)`` reads one page;
    ``options`` go to every edge (``via=…``)."""
    module, name = CONNECTIONS[node]

    async def resolve(
        root: Any, info: Info, first: First = None, after: After = None
    ) -> Annotated[name, strawberry.lazy(module)]:  # type: ignore[valid-type]
        ctx = info.context
        window = await fetch(ctx, root, ctx.page(first, after))
        return connection_of(node).returned(window, ctx, **options)

    return strawberry.field(resolver=resolve, description=description)


EventType = Annotated[
    str | None,
    strawberry.argument(description="Only events of this type (Violation, Birth, …)."),
]


def typed_events(fetch: Callable[..., Awaitable[Window]], *, description: str) -> Any:
    """An event list with a ``type`` filter: ``fetch(ctx, parent, page, event_type)``."""
    module, name = CONNECTIONS["Event"]

    async def resolve(
        root: Any, info: Info, type: EventType = None, first: First = None, after: After = None
    ) -> Annotated[name, strawberry.lazy(module)]:  # type: ignore[valid-type]
        ctx = info.context
        window = await fetch(ctx, root, ctx.page(first, after), type)
        return connection_of("Event").returned(window, ctx)

    return strawberry.field(resolver=resolve, description=description)


def related(relation: str, direction: str, node: str, *, description: str) -> Any:
    """The golden records (of label ``node``) linked to the parent by ``relation`` in
    ``direction`` (``out``, ``in``, ``both``), in the caller's jurisdiction."""

    def fetch(ctx: Context, root: Any, page: Page) -> Awaitable[Window]:
        return services.related(ctx, root.LABEL, relation, direction, node, root.id, page)

    return list_field(node, fetch, description=description, via=relation)


def lineage(*, description: str) -> Any:
    """The source records resolving to the parent golden record."""

    def fetch(ctx: Context, root: Any, page: Page) -> Awaitable[Window]:
        return services.source_records(ctx, root.LABEL, root.id, page)

    return list_field("SourceRecord", fetch, description=description)


def registered_at(*, description: str) -> Any:
    """The address points the parent golden record is registered at."""

    def fetch(ctx: Context, root: Any, page: Page) -> Awaitable[Window]:
        return services.registered_points(ctx, root.LABEL, root.id, page)

    return list_field("AddressPoint", fetch, description=description)


def events(*, description: str) -> Any:
    """The events involving the parent golden record, newest first."""

    def fetch(ctx: Context, root: Any, page: Page) -> Awaitable[Window]:
        return services.events(ctx, root.LABEL, root.id, page)

    return list_field("Event", fetch, description=description)


def registered_here(node: str, *, description: str) -> Any:
    """The golden records of label ``node`` registered at the parent address point."""

    def fetch(ctx: Context, root: Any, page: Page) -> Awaitable[Window]:
        return services.point_registered(ctx, node, root.key, page)

    return list_field(node, fetch, description=description, via="REGISTERED_AT")
