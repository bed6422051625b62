"""Relay-style pagination: ``first``/``after`` in, a window of a list out, opaque cursors.

A cursor encodes a position in a list ordered by the query (``o:<offset>``, base64). Cursors
are opaque to clients: they come back as ``after`` and mean "continue after this edge".
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Generic, TypeVar

from api.errors import BadRequest, excerpt

T = TypeVar("T")
_PREFIX = "o:"
WHOLE_LIST = 100_000
"""The most items :meth:`Page.whole` reads."""


_SEQ_PREFIX = "c:"


def encode_seq_cursor(seq: int) -> str:
    """A change-feed cursor: a position in the feed (its ``seq``), not an offset."""
    return base64.urlsafe_b64encode(f"{_SEQ_PREFIX}{seq}".encode()).decode()


def decode_seq_cursor(cursor: str) -> int:
    """The feed position a change-feed cursor names; BadRequest when it is not one."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest(f"invalid change-feed cursor {cursor!r}") from None
    if not text.startswith(_SEQ_PREFIX) or not text[len(_SEQ_PREFIX) :].isdigit():
        raise BadRequest(f"invalid change-feed cursor {cursor!r}")
    return int(text[len(_SEQ_PREFIX) :])


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    """The offset a cursor points at; BadRequest when it is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest(f"invalid cursor {excerpt(cursor)!r}") from None
    if not text.startswith(_PREFIX) or not text[len(_PREFIX) :].isdigit():
        raise BadRequest(f"invalid cursor {excerpt(cursor)!r}")
    return int(text[len(_PREFIX) :])


@dataclass(frozen=True)
class Page:
    """Which window of a list to return: ``limit`` items from ``offset``."""

    offset: int
    limit: int

    @classmethod
    def of(cls, first: int | None, after: str | None, default: int, maximum: int) -> Page:
        if first is None:
            first = default
        if first < 0 or first > maximum:
            raise BadRequest(f"first must be between 0 and {maximum} (got {first})")
        offset = decode_cursor(after) + 1 if after else 0
        return cls(offset, first)

    @classmethod
    def whole(cls) -> Page:
        """Every item of a list known to be short (an entity's own records)."""
        return cls(0, WHOLE_LIST)

    def window(self, items: list[T]) -> list[T]:
        return items[self.offset : self.offset + self.limit]

    @property
    def params(self) -> dict[str, int]:
        """``$skip``/``$limit`` for queries that page in Cypher."""
        return {"skip": self.offset, "limit": self.limit}


@dataclass(frozen=True)
class Window(Generic[T]):
    """One page of an ordered list: its items, where it starts and how long the list is."""

    items: list[T]
    offset: int
    total: int

    @classmethod
    def of(cls, items: list[T], page: Page) -> Window[T]:
        """The page's window of a list held in full."""
        return cls(page.window(items), page.offset, len(items))
