"""Back-pressure at the door: at most ``limit`` GraphQL requests of an API worker run at once;
the others wait their turn, in the order they came, for at most ``queue_seconds``. A request
still waiting then is refused with HTTP 503 and ``Retry-After`` (the server is overloaded now,
the request did nothing), which a client may count apart from errors and send again.

Waiting here costs a request nothing but its socket: its body is not read and no query is
sent before it is let in. Behind the door, :class:`api.graph.Graph` bounds the queries sent to
Neo4j at once the same way.
"""

from __future__ import annotations

import asyncio
import math


class Admission:
    """A bounded number of requests in flight, with a bounded wait for the others."""

    def __init__(self, limit: int, queue_seconds: float) -> None:
        if limit < 1 or queue_seconds < 0:
            raise ValueError("admission needs limit >= 1 and queue_seconds >= 0")
        self.limit = limit
        self.queue_seconds = queue_seconds
        self._slots = asyncio.Semaphore(limit)
        self.waiting = 0
        """Requests waiting to be let in now."""

    async def enter(self) -> bool:
        """Wait for a place, at most ``queue_seconds``: whether the request was let in (then
        :meth:`leave` must follow)."""
        self.waiting += 1
        try:
            async with asyncio.timeout(self.queue_seconds):
                await self._slots.acquire()
        except TimeoutError:
            return False
        finally:
            self.waiting -= 1
        return True

    def leave(self) -> None:
        self._slots.release()

    def retry_after(self) -> str:
        """The ``Retry-After`` of a refusal: a queue's length, in whole seconds (at least 1)."""
        return str(max(1, math.ceil(self.queue_seconds)))
