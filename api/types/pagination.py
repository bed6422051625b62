from typing import Annotated

import strawberry

from api.pagination import Window, encode_cursor


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
    def of(cls, window: Window) -> "PageInfo":
        count = len(window.items)
        return cls(
            has_next_page=window.offset + count < window.total,
            has_previous_page=window.offset > 0,
            start_cursor=encode_cursor(window.offset) if count else None,
            end_cursor=encode_cursor(window.offset + count - 1) if count else None,
        )


def cursors(window: Window) -> list[tuple[str, object]]:
    """``(cursor, item)`` for every item of a window."""
    return [(encode_cursor(window.offset + i), item) for i, item in enumerate(window.items)]


First = Annotated[
    int | None,
    strawberry.argument(description="How many edges to return (default 20, at most 100)."),
]
After = Annotated[
    str | None,
    strawberry.argument(description="Return the edges after this cursor (from `pageInfo`)."),
]
