"""Staging sources in worker processes: one per core (or ``HUITONG_INGEST_WORKERS``), largest
files first, results handed back in config order. Small inputs stay in this process; a large
one goes to a worker process even when there is one worker or one source. Each
source's staged rows go to Parquet files under ``spill/<source>/`` (see
:mod:`loaders.sources`); only their paths and the report come back from a worker."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from loaders.config import SourceSpec
from loaders.report import SourceReport
from loaders.sources import StagedFiles, stage_one
from loaders.standardising import clear_caches
from loaders.submitted import Submitted


def default_workers() -> int:
    """Worker processes for staging: ``HUITONG_INGEST_WORKERS``, else one per core."""
    configured = os.environ.get("HUITONG_INGEST_WORKERS")
    return max(1, int(configured)) if configured else max(1, os.cpu_count() or 1)


def stage_all(
    specs: list[SourceSpec],
    workers: int,
    parallel_min_bytes: int,
    spill: Path,
    submitted: dict[str, Submitted] | None = None,
    file_hashes: dict[str, str] | None = None,
) -> Iterator[tuple[SourceReport, StagedFiles]]:
    """Stage sources, in parallel when ``workers > 1``, yielding results in ``specs`` order,
    each source's staged rows in Parquet under ``spill/<source>/``; ``submitted`` (by source
    name) are the rows submitted in real time, ``file_hashes`` the sources' file hashes (see
    :func:`loaders.sources.stage_one`)."""
    submitted = submitted or {}
    file_hashes = file_hashes or {}

    def arguments(spec: SourceSpec) -> tuple:
        return spec, spill / spec.name, submitted.get(spec.name), file_hashes.get(spec.name, "")

    total_bytes = sum(spec.path.stat().st_size for spec in specs)
    if total_bytes < parallel_min_bytes:
        for spec in specs:
            staged = stage_one(*arguments(spec))
            # The caches' memory goes to the DuckDB write that follows in this process.
            clear_caches()
            yield staged
        return
    # Past that size even one worker is a process of its own: what staging allocated (the
    # caches, Python's arenas) is given back when it exits, not kept under the DuckDB write
    # (staged here, a 5M-row file peaked at 1,462 MiB in that write, against 1,171 MiB in a
    # fresh process). spawn, not fork: a forked child inherits the parent's DuckDB and Arrow
    # threads mid-state and occasionally crashed (BrokenProcessPool).
    context = multiprocessing.get_context("spawn")
    processes = max(1, min(workers, len(specs)))
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        # Largest files first keeps both workers busy to the end.
        by_size = sorted(specs, key=lambda s: s.path.stat().st_size, reverse=True)
        futures = {spec.name: pool.submit(stage_one, *arguments(spec)) for spec in by_size}
        for spec in specs:
            yield futures[spec.name].result()
