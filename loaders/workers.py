"""Staging sources in worker processes: one per core (or ``HUITONG_INGEST_WORKERS``), largest
files first, results handed back in config order. Small inputs stay in this process."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

import pyarrow as pa

from loaders.config import SourceSpec
from loaders.report import SourceReport
from loaders.sources import stage_one


def default_workers() -> int:
    """Worker processes for staging: ``HUITONG_INGEST_WORKERS``, else one per core."""
    configured = os.environ.get("HUITONG_INGEST_WORKERS")
    return max(1, int(configured)) if configured else max(1, os.cpu_count() or 1)


def stage_all(
    specs: list[SourceSpec], workers: int, parallel_min_bytes: int
) -> Iterator[tuple[SourceReport, dict[str, pa.Table]]]:
    """Stage sources, in parallel when ``workers > 1``, yielding results in ``specs`` order."""
    total_bytes = sum(spec.path.stat().st_size for spec in specs)
    if workers <= 1 or len(specs) == 1 or total_bytes < parallel_min_bytes:
        for spec in specs:
            yield stage_one(spec)
        return
    # spawn, not fork: a forked child inherits the parent's DuckDB and Arrow threads mid-state
    # and occasionally crashed (BrokenProcessPool).
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        # Largest files first keeps both workers busy to the end.
        by_size = sorted(specs, key=lambda s: s.path.stat().st_size, reverse=True)
        futures = {spec.name: pool.submit(stage_one, spec) for spec in by_size}
        for spec in specs:
            yield futures[spec.name].result()
