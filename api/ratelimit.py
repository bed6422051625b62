"""A per-token rate limit: each token subject has a bucket of ``burst`` requests, refilled at
``per_minute`` / 60 a second. A request finding the bucket empty is refused with HTTP 429 and
``Retry-After`` (the seconds until one request is allowed again).

Off when ``per_minute`` is 0 (the default: ``HUITONG_RATE_LIMIT_PER_MINUTE``). The buckets are
bounded: beyond :data:`MAX_SUBJECTS`, buckets that have refilled completely (their subject idle)
are forgotten, which changes nothing for them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

MAX_SUBJECTS = 10_000


class RateLimiter:
    """Token buckets per subject."""

    def __init__(
        self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("a rate limit needs per_minute > 0 and burst >= 1")
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # subject → (tokens, at)

    def acquire(self, subject: str) -> float:
        """Take one request from ``subject``'s bucket: 0 when allowed, otherwise the seconds
        to wait before one is."""
        now = self.clock()
        tokens, at = self._buckets.get(subject, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens >= 1.0:
            self._buckets[subject] = (tokens - 1.0, now)
            if len(self._buckets) > MAX_SUBJECTS:
                self._forget_idle(now)
            return 0.0
        self._buckets[subject] = (tokens, now)
        return (1.0 - tokens) / self.rate

    def _forget_idle(self, now: float) -> None:
        full = [
            subject
            for subject, (tokens, at) in self._buckets.items()
            if tokens + (now - at) * self.rate >= self.burst
        ]
        for subject in full:
            del self._buckets[subject]

    @staticmethod
    def retry_after(seconds: float) -> str:
        """The ``Retry-After`` header value: whole seconds, at least 1."""
        return str(max(1, math.ceil(seconds)))
