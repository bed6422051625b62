"""DataLoaders, one per relationship (and direction), created per request: no N+1 queries.

Each loader batches the parent keys requested in one tick into one ``UNWIND $ids`` query from
:mod:`graph_schema.api_queries` and hands every parent its full, ordered list; connections
page that list. A loader is made the first time a request needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from strawberry.dataloader import DataLoader

from api.graph import ScopedGraph
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
        self._made: dict[tuple[str, ...], DataLoader[str, Any]] = {}

    def _loader(self, name: tuple[str, ...], query: str, *, whole_row: bool = False):
        loader = self._made.get(name)
        if loader is None:

            async def load(keys: list[str]) -> list[Any]:
                rows = await self._graph.read(query, ids=list(keys))
                if whole_row:
                    found = {row["id"]: row for row in rows}
                    return [found.get(key) for key in keys]
                found = {row["id"]: row["items"] for row in rows}
                return [found.get(key, []) for key in keys]

            loader = DataLoader(load_fn=load, max_batch_size=MAX_BATCH)
            self._made[name] = loader
        return loader

    def lookup(self, label: str) -> DataLoader[str, Row | None]:
        """Golden records by ID (retired IDs redirected), with found/visible flags."""
        return self._loader(("lookup", label), _query(q.lookup, label), whole_row=True)

    def source_records(self, label: str) -> DataLoader[str, list[Row]]:
        return self._loader(("source_records", label), _query(q.source_records, label))

    def related(
        self, label: str, relation: str, direction: str, other: str
    ) -> DataLoader[str, list[Row]]:
        return self._loader(
            ("related", label, relation, direction, other),
            _query(q.related, label, relation, direction, other),
        )

    def registered_points(self, label: str) -> DataLoader[str, list[Row]]:
        return self._loader(("registered_points", label), _query(q.registered_points, label))

    def unit_points(self) -> DataLoader[str, list[Row]]:
        return self._loader(("unit_points",), q.UNIT_POINTS)

    def event_points(self) -> DataLoader[str, list[Row]]:
        return self._loader(("event_points",), q.EVENT_POINTS)

    def points(self) -> DataLoader[str, list[Row]]:
        """Address points by key, each marked ``in_scope``."""
        return self._loader(("points",), q.POINTS_BY_KEY)

    def events(self, label: str, event_label: str = "Event") -> DataLoader[str, list[Row]]:
        return self._loader(
            ("events", label, event_label), _query(q.entity_events, label, event_label)
        )

    def participants(self) -> DataLoader[str, list[Row]]:
        return self._loader(("participants",), q.EVENT_PARTICIPANTS)

    def point_registered(self, label: str) -> DataLoader[str, list[Row]]:
        return self._loader(("point_registered", label), _query(q.point_registered, label))

    def point_units(self) -> DataLoader[str, list[Row]]:
        return self._loader(("point_units",), q.POINT_UNITS)

    def point_events(self) -> DataLoader[str, list[Row]]:
        return self._loader(("point_events",), q.POINT_EVENTS)
