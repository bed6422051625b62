"""How long-running library work says how far it is: a callback, drawn by whoever calls it.

Ingest, resolve and publish take an optional ``progress(stage, done, total)``; they call it as
each stage advances (``done`` of ``total`` units: bytes, entity types, rows) and never draw
anything themselves. The CLI passes one that draws rich progress bars.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: ``stage`` names what advances, ``done`` of ``total``."""


def report(progress: Progress | None, stage: str, done: int, total: int) -> None:
    """Call ``progress`` when there is one (``None`` or ``False``: nobody is watching)."""
    if progress:
        progress(stage, done, total)
