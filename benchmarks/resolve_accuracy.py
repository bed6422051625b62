"""Resolution accuracy and throughput on generated cities of several sizes and seeds.

    .venv/bin/python benchmarks/resolve_accuracy.py --persons 5000 20000 --seeds 101 202
    .venv/bin/python benchmarks/resolve_accuracy.py --persons 100000 --seeds 7 --variant other_team

For each (size, seed) it generates a city (cached under the temp directory), runs ingest +
resolve in a fresh workdir, and prints pairwise precision/recall/F1 per entity type against
truth.csv, the time of every stage and end-to-end mentions per second. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from huitong.citygen import generate_city
from loaders.config import load_config
from resolution.pipeline import evaluate_workdir, resolve


def city_dir(persons: int, seed: int, variant: str) -> Path:
    path = Path(tempfile.gettempdir()) / f"huitong-city-{variant}-{persons}-{seed}"
    if not (path / "sources.toml").exists():
        generate_city(persons=persons, seed=seed, out=path, variant=variant)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, nargs="+", default=[5000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[101])
    parser.add_argument("--variant", default="standard")
    parser.add_argument("--keep", action="store_true", help="keep the workdirs")
    args = parser.parse_args()
    for persons in args.persons:
        for seed in args.seeds:
            city = city_dir(persons, seed, args.variant)
            workdir = Path(tempfile.mkdtemp(prefix="huitong-bench-resolve-"))
            began = time.perf_counter()
            report = resolve(load_config(city / "sources.toml"), workdir, progress=False)
            elapsed = time.perf_counter() - began
            metrics = evaluate_workdir(workdir, city / "truth.csv")
            mentions = sum(e.mentions for e in report.entities)
            print(
                f"\n== {args.variant} city, {persons:,} persons, seed {seed}: "
                f"{mentions:,} mentions, ingest+resolve {elapsed:.1f}s "
                f"({mentions / elapsed:,.0f} mentions/s; ingest {report.ingest.seconds:.1f}s)"
            )
            print(
                f"{'entity':<12}{'mentions':>9}{'pairs':>10}{'precision':>10}{'recall':>9}"
                f"{'f1':>8}{'clusters':>9}{'true':>8}  stage seconds"
            )
            for entity in report.entities:
                m = metrics[entity.entity]
                stages = " ".join(f"{k}={v:.1f}" for k, v in entity.seconds.items())
                print(
                    f"{entity.entity:<12}{entity.mentions:>9,}{entity.pairs_scored:>10,}"
                    f"{m['precision']:>10.4f}{m['recall']:>9.4f}{m['f1']:>8.4f}"
                    f"{m['clusters']:>9,}{m['true_clusters']:>8,}  {stages}"
                )
            if args.keep:
                print(f"workdir kept: {workdir}")
            else:
                shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
