"""Lists, the one way: generic Relay ``Connection[E]`` and ``Edge[N]`` and their page info.

Every list of the API is a ``Connection`` of edges, each edge a ``node`` and a ``cursor`` (plus
what links it to the question, for the edge types that add fields). :func:`edge_type` and
:func:`connection_type` name a specialisation and give its fields their descriptions, so the
reviewed schema keeps one type name and wording per list while the shape and the paging code
exist once. A page is built from a :class:`~api.pagination.Window` by
:meth:`Connection.of`: the edge type's ``from_row`` turns each row into an edge.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar

import strawberry

from api.pagination import Window, encode_cursor

N = TypeVar("N")
E = TypeVar("E")


@strawberry.type(description="Where a page of a connection sits in the whole list (Relay).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether edges follow this page.")
    has_previous_page: bool = strawberry.field(description="Whether edges precede this page.")
    start_cursor: str | None = strawberry.field(
        description="Cursor of the first edge of this page (null when the page is empty)."
    )
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last edge; pass it as `after` for the next page."
    )

    @classmethod
    def of(cls, window: Window) -> PageInfo:
        count = len(window.items)
        return cls(
            has_next_page=window.offset + count < window.total,
            has_previous_page=window.offset > 0,
            start_cursor=encode_cursor(window.offset) if count else None,
            end_cursor=encode_cursor(window.offset + count - 1) if count else None,
        )


@strawberry.type
class Edge(Generic[N]):
    """One item of a list: its ``node`` and its ``cursor``."""

    node: N = strawberry.field(description="The item.")
    cursor: str = strawberry.field(description="Opaque cursor of this edge, for `after`.")
    node_type: ClassVar[Any]

    @classmethod
    def from_row(cls, row: Any, cursor: str, ctx: Any, **options: Any) -> Self:
        """The edge of one row: the node type's ``from_record`` of the row itself. Edge types
        that add fields (``via``, ``sources``, ``roles``…) override this."""
        return cls(node=cls.node_type.from_record(row, ctx), cursor=cursor)


@strawberry.type
class Connection(Generic[E]):
    """A page of a list (Relay): its edges, where it sits, how long the whole list is."""

    edges: list[E] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
    total_count: int = strawberry.field(description="How many items the whole list holds.")
    edge: ClassVar[Any]

    @classmethod
    def of(cls, window: Window, ctx: Any, **options: Any) -> Self:
        """The connection of one window; ``options`` go to every edge's ``from_row``."""
        edges = [
            cls.edge.from_row(row, encode_cursor(window.offset + i), ctx, **options)
            for i, row in enumerate(window.items)
        ]
        return cls(edges=edges, page_info=PageInfo.of(window), total_count=window.total)

    @classmethod
    def returned(cls, window: Window, ctx: Any, **options: Any) -> Self:
        """Like :meth:`of`, counting the window's items as returned (audit, metrics)."""
        ctx.returned(len(window.items))
        return cls.of(window, ctx, **options)


def _specialise(base: Any, name: str, description: str, namespace: dict[str, Any]) -> Any:
    cls = types.new_class(name, (base,), exec_body=lambda body: body.update(namespace))
    return strawberry.type(cls, name=name, description=description)


def edge_type(node: type, *, name: str, description: str, node_description: str) -> Any:
    """``Edge[node]`` named ``name``; for edges that add no field of their own."""
    return _specialise(
        Edge[node],
        name,
        description,
        {
            "__module__": node.__module__,
            "__annotations__": {"node": node},
            "node": strawberry.field(description=node_description),
            "node_type": node,
        },
    )


def connection_type(
    edge: type,
    *,
    name: str,
    description: str,
    edges: str,
    total_count: str,
    page_info: str = "Where this page sits in the list.",
) -> Any:
    """``Connection[edge]`` named ``name``, its fields described as given."""
    return _specialise(
        Connection[edge],
        name,
        description,
        {
            "__module__": edge.__module__,
            "__annotations__": {"edges": list[edge], "page_info": PageInfo, "total_count": int},
            "edges": strawberry.field(description=edges),
            "page_info": strawberry.field(description=page_info),
            "total_count": strawberry.field(description=total_count),
            "edge": edge,
        },
    )


First = Annotated[
    int | None,
    strawberry.argument(description="How many edges to return (default 20, at most 100)."),
]
After = Annotated[
    str | None,
    strawberry.argument(description="Return the edges after this cursor (from `pageInfo`)."),
]
