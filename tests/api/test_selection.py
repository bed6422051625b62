"""What a resolver learns of the selection below it: fields through fragments and aliases, and
the graph properties a source record needs for them."""

from __future__ import annotations

import asyncio

import strawberry

from api.selection import selected
from api.types.source_record import graph_properties

SEEN: list[set[str]] = []


@strawberry.type
class Leaf:
    a: str = "a"
    b: str = "b"
    c: str = "c"


@strawberry.type
class Box:
    left: Leaf = strawberry.field(default_factory=Leaf)
    right: Leaf = strawberry.field(default_factory=Leaf)
    other: Leaf = strawberry.field(default_factory=Leaf)


@strawberry.type
class Query:
    @strawberry.field
    def boxes(self, info: strawberry.Info) -> list[Box]:
        SEEN.append(selected(info.selected_fields, ("left", "right")))
        return [Box()]


def seen(query: str) -> set[str]:
    SEEN.clear()
    result = asyncio.run(strawberry.Schema(query=Query).execute(query))
    assert not result.errors, result.errors
    return SEEN[0]


def test_fields_through_fragments_and_aliases():
    assert seen("{ boxes { left { a } other { c } } }") == {"a"}
    assert seen("{ boxes { x: left { a } right { y: b } } }") == {"a", "b"}
    assert seen(
        "{ boxes { ... on Box { left { ...F } } } } fragment F on Leaf { c __typename }"
    ) == {
        "c",
        "__typename",
    }
    assert seen("{ boxes { other { a } } }") == set()
    # directives are not evaluated: a skipped field is still counted (more, never less)
    assert seen("{ boxes { left { a b @skip(if: true) } } }") == {"a", "b"}


def test_source_record_properties():
    assert graph_properties({"name", "idNumber", "__typename"}) == ["id_number", "key", "name"]
    assert graph_properties({"attributes", "fieldIssues"}) == ["attributes", "field_issues", "key"]
    assert graph_properties(set()) == ["key"]
    assert graph_properties({"name", "noSuchField"}) is None
