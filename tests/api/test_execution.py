"""The plain-leaves execution context answers exactly what graphql-core's own answers: data,
errors with their paths, nulls propagated to the nearest nullable parent."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from enum import Enum

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.execution import PlainLeavesExecutionContext


@strawberry.enum
class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Leaf:
    name: str
    note: str | None
    colour: Colour
    at: datetime
    count: int

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return self.name.upper() * times


@strawberry.type
class Item:
    id: str
    leaves: list[Leaf]
    maybe: Leaf | None


def _leaf(i: int, *, name: object = None, colour: object = None) -> Leaf:
    return Leaf(
        name=f"n{i}" if name is None else name,  # type: ignore[arg-type]
        note=None if i % 2 else f"note {i}",
        colour=Colour.RED if colour is None else colour,  # type: ignore[arg-type]
        at=datetime(2026, 12, 4, 14, i % 60, tzinfo=UTC),
        count=i,
    )


def _items() -> list[Item]:
    items = [
        Item(id=f"i{i}", leaves=[_leaf(j) for j in range(5)], maybe=_leaf(i)) for i in range(4)
    ]
    items[1].leaves[2] = _leaf(2, name=None)
    items[1].leaves[2].name = None  # type: ignore[assignment] - null in a non-null field
    items[2].maybe = _leaf(9, colour="green")  # a value the enum refuses
    items[3].leaves[0].count = "many"  # type: ignore[assignment] - not an Int
    return items


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item | None]:
        return _items()

    @strawberry.field
    async def later(self) -> list[Leaf]:
        await asyncio.sleep(0)
        return [_leaf(i) for i in range(3)]


QUERIES = [
    "{ items { id leaves { name note colour at count } } }",
    "{ items { id maybe { __typename name colour } } }",
    "{ items { leaves { a: name b: name note count } } }",
    "{ items { leaves { name shout(times: 2) } } }",
    "{ items { leaves { ...L } } } fragment L on Leaf { name colour }",
    "{ items { leaves { name @include(if: false) count @skip(if: false) } } }",
    "{ later { name at colour note } }",
]


def _run(context: type, query: str) -> dict:
    schema = strawberry.Schema(query=Query, execution_context_class=context)
    result = asyncio.run(schema.execute(query))
    return {
        "data": result.data,
        "errors": sorted((e.message, tuple(e.path or ())) for e in result.errors or []),
    }


@pytest.mark.parametrize("query", QUERIES)
def test_the_plain_path_answers_as_graphql_core_does(query: str) -> None:
    expected = _run(StrawberryGraphQLCoreExecutionContext, query)
    assert _run(PlainLeavesExecutionContext, query) == expected


def test_the_cases_above_include_errors_and_nulls() -> None:
    """The comparison above would be empty if nothing went wrong: it covers a null in a
    non-null field, a refused enum value and a refused Int, each with its path."""
    answer = _run(StrawberryGraphQLCoreExecutionContext, QUERIES[0])
    paths = {path for _, path in answer["errors"]}
    assert ("items", 1, "leaves", 2, "name") in paths
    assert ("items", 3, "leaves", 0, "count") in paths
    assert answer["data"]["items"][1] is None and answer["data"]["items"][0]["leaves"][4]
    refused = _run(StrawberryGraphQLCoreExecutionContext, QUERIES[1])
    assert ("items", 2, "maybe", "colour") in {path for _, path in refused["errors"]}


def test_plain_objects_skip_graphql_cores_field_path() -> None:
    """The plain path is taken: a page of leaves resolves without graphql-core's
    ``execute_field`` for its leaves."""
    calls = []

    class Counting(PlainLeavesExecutionContext):
        def execute_field(self, parent_type, *args, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(parent_type.name)
            return super().execute_field(parent_type, *args, **kwargs)

    _run(Counting, "{ later { name at colour note } }")
    assert calls == ["Query"]
