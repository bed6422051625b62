"""Ingest throughput on a generated city: rows/s and mentions/s, per source and in total.

    .venv/bin/python benchmarks/ingest_throughput.py --persons 100000 --seed 7

Generates the city into ``--data`` (reused when present), ingests it into a fresh workdir and
prints the numbers. Nothing is asserted: this measures, the tests check behaviour.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from huitong.citygen import generate_city
from loaders.config import load_config
from loaders.ingest import ingest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--variant", default="standard")
    parser.add_argument("--data", type=Path, default=None, help="city directory (cached)")
    args = parser.parse_args()
    data = args.data or Path(tempfile.gettempdir()) / (
        f"huitong-city-{args.variant}-{args.persons}-{args.seed}"
    )
    if not (data / "sources.toml").exists():
        began = time.perf_counter()
        generate_city(persons=args.persons, seed=args.seed, out=data, variant=args.variant)
        print(f"generated {data} in {time.perf_counter() - began:.1f}s")
    workdir = Path(tempfile.mkdtemp(prefix="huitong-bench-ingest-"))
    try:
        began = time.perf_counter()
        report = ingest(load_config(data / "sources.toml"), workdir, progress=False)
        elapsed = time.perf_counter() - began
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"{'source':<24}{'rows':>10}{'quarantined':>13}{'mentions':>10}{'rows/s':>10}")
    for source in report.sources:
        rate = source.rows_read / max(source.seconds, 1e-9)
        print(
            f"{source.name:<24}{source.rows_read:>10,}{source.rows_quarantined:>13,}"
            f"{source.mentions_staged:>10,}{rate:>10,.0f}"
        )
    rows = sum(s.rows_read for s in report.sources)
    mentions = sum(s.mentions_staged for s in report.sources)
    quarantined = sum(s.rows_quarantined for s in report.sources)
    print(
        f"total: {rows:,} rows, {mentions:,} mentions, {quarantined:,} quarantined "
        f"({quarantined / max(rows, 1):.2%}) in {elapsed:.1f}s → "
        f"{rows / elapsed:,.0f} rows/s, {mentions / elapsed:,.0f} mentions/s"
    )


if __name__ == "__main__":
    main()
