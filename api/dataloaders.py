"""DataLoaders, one per relationship (and direction, and page), created per request: no N+1.

Each loader batches the parent keys requested in one tick into one ``UNWIND $ids`` query from
:mod:`graph_schema.api_queries`. Lists are paged in Cypher: a paged loader is made per page
(``first``/``after``) and filter, and hands every parent a :class:`~api.pagination.Window` —
that page of its list and the list's length — so Neo4j returns a page, never the whole list.
A loader is made the first time a request needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from strawberry.dataloader import DataLoader

from api.graph import ScopedGraph
from api.pagination import Page, Window
from graph_schema import api_queries as q

Row = dict[str, Any]
MAX_BATCH = 500


@cache
def _query(builder: Callable[..., str], *args: str) -> str:
    return builder(*args)


class Loaders:
    """The request's DataLoaders, keyed by what they load."""

    def __init__(self, graph: ScopedGraph) -> None:
        self._graph = graph
        self._made: dict[tuple[Any, ...], DataLoader[str, Any]] = {}

    def _loader(
        self, name: tuple[Any, ...], query: str, shape: Callable[[Row | None], Any], **params: Any
    ) -> DataLoader[str, Any]:
        """The loader ``name`` of ``query`` (run with ``params``), each key's row ``shape``d."""
        key = (*name, *sorted(params.items()))
        loader = self._made.get(key)
        if loader is None:

            async def load(keys: list[str]) -> list[Any]:
                rows = await self._graph.read(query, ids=list(keys), **params)
                found = {row["id"]: row for row in rows}
                return [shape(found.get(key)) for key in keys]

            loader = DataLoader(load_fn=load, max_batch_size=MAX_BATCH)
            self._made[key] = loader
        return loader

    def _list(self, name: tuple[Any, ...], query: str) -> DataLoader[str, list[Row]]:
        return self._loader(name, query, lambda row: row["items"] if row else [])

    def _paged(
        self, name: tuple[Any, ...], query: str, page: Page, **filters: Any
    ) -> DataLoader[str, Window[Row]]:
        def window(row: Row | None) -> Window[Row]:
            if row is None:
                return Window([], page.offset, 0)
            return Window(list(row["items"]), page.offset, row["total"])

        return self._loader(name, query, window, **page.params, **filters)

    def lookup(self, label: str) -> DataLoader[str, Row | None]:
        """Golden records by ID (retired IDs redirected), with found/visible flags."""
        return self._loader(("lookup", label), _query(q.lookup, label), lambda row: row)

    def source_records(self, label: str, page: Page) -> DataLoader[str, Window[Row]]:
        return self._paged(("source_records", label), _query(q.source_records, label), page)

    def related(
        self, label: str, relation: str, direction: str, other: str, page: Page
    ) -> DataLoader[str, Window[Row]]:
        return self._paged(
            ("related", label, relation, direction, other),
            _query(q.related, label, relation, direction, other),
            page,
        )

    def registered_points(self, label: str, page: Page) -> DataLoader[str, Window[Row]]:
        return self._paged(("registered_points", label), _query(q.registered_points, label), page)

    def unit_points(self) -> DataLoader[str, list[Row]]:
        return self._list(("unit_points",), q.UNIT_POINTS)

    def event_points(self) -> DataLoader[str, list[Row]]:
        return self._list(("event_points",), q.EVENT_POINTS)

    def points(self) -> DataLoader[str, list[Row]]:
        """Address points by key, each marked ``in_scope``."""
        return self._list(("points",), q.POINTS_BY_KEY)

    def events(
        self,
        label: str,
        page: Page,
        event_label: str = "Event",
        event_type: str | None = None,
        since: Any = None,
    ) -> DataLoader[str, Window[Row]]:
        """Events involving a golden record, newest first, of ``event_type`` and from
        ``since`` when given."""
        return self._paged(
            ("events", label, event_label),
            _query(q.entity_events, label, event_label),
            page,
            type=event_type,
            since=since,
        )

    def participants(self) -> DataLoader[str, list[Row]]:
        return self._list(("participants",), q.EVENT_PARTICIPANTS)

    def point_registered(self, label: str, page: Page) -> DataLoader[str, Window[Row]]:
        return self._paged(("point_registered", label), _query(q.point_registered, label), page)

    def point_units(self, page: Page) -> DataLoader[str, Window[Row]]:
        return self._paged(("point_units",), q.POINT_UNITS, page)

    def point_events(self, page: Page, event_type: str | None) -> DataLoader[str, Window[Row]]:
        return self._paged(("point_events",), q.POINT_EVENTS, page, type=event_type)
