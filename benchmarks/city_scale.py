"""A whole city through ingest + resolve: seconds, mentions/s and peak RSS per stage.

    .venv/bin/python benchmarks/city_scale.py --persons 1000000 --seed 7
    .venv/bin/python benchmarks/city_scale.py --persons 20000 --seed 101 --engines duckdb spark

Generates the city into ``--data`` (reused when present), then for each engine ingests and
resolves it in a fresh workdir while a sampler reads the resident memory of this process and
its children (the Spark JVM) every ``--interval`` seconds. The stages are those of
``resolve_report.json`` (ingest, then per entity type predict, cluster, settle, review,
golden_ids, survivorship, then placement), laid end to end on the sampler's clock. With two
engines it also prints the time ratio and whether the golden IDs are identical. It prints what
else the machine was running (load average). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from huitong.citygen import generate_city
from loaders import staging
from loaders.config import load_config
from resolution.pipeline import resolve

NOW = datetime(2026, 1, 1, tzinfo=UTC)  # the same golden IDs on every engine


def rss_of_tree(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants."""
    total = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
            with open(f"/proc/{current}/task/{current}/children") as handle:
                stack.extend(int(child) for child in handle.read().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


class Sampler(threading.Thread):
    """(seconds since start, RSS bytes of this process tree) every ``interval`` seconds."""

    def __init__(self, interval: float) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self.started = time.perf_counter()
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.samples.append((time.perf_counter() - self.started, rss_of_tree(os.getpid())))
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def peak(self, start: float, end: float) -> int:
        inside = [rss for t, rss in self.samples if start <= t <= end]
        return max(inside, default=0)


def stages(report: dict) -> list[tuple[str, float, int]]:
    """(stage, seconds, mentions it worked on) in the order the pipeline runs them."""
    laid = [("ingest", report["ingest"]["seconds"], report["mentions"])]
    by_entity = {e["entity"]: e for e in report["entities"]}
    for entity in ("enterprise", "rental_unit", "person"):  # RESOLVE_ORDER
        e = by_entity[entity]
        for stage, seconds in e["seconds"].items():
            laid.append((f"{entity}.{stage}", seconds, e["mentions"]))
    accounted = sum(seconds for _, seconds, _ in laid)
    laid.append(("placement+rest", max(report["seconds"] - accounted, 0.0), report["mentions"]))
    return laid


def run(city: Path, engine: str, interval: float, keep: bool) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"huitong-bench-scale-{engine}-"))
    sampler = Sampler(interval)
    sampler.start()
    began = time.perf_counter()
    try:
        resolve(
            load_config(city / "sources.toml"),
            workdir,
            progress=False,
            decisions=[],
            now=NOW,
            engine=engine,
        )
        elapsed = time.perf_counter() - began
    finally:
        sampler.stop()
    report = json.loads((workdir / "resolve_report.json").read_text())
    print(
        f"\n== {engine}: {report['mentions']:,} mentions, ingest+resolve {elapsed:.1f}s "
        f"({report['mentions'] / elapsed:,.0f} mentions/s), peak RSS "
        f"{sampler.peak(0, elapsed) / 2**30:.2f} GiB"
    )
    print(f"{'stage':<28}{'seconds':>9}{'mentions/s':>12}{'peak RSS GiB':>14}")
    clock = began - sampler.started
    for stage, seconds, mentions in stages(report):
        peak = sampler.peak(clock, clock + seconds + interval)
        rate = mentions / seconds if seconds > 0 else float("inf")
        print(f"{stage:<28}{seconds:>9.1f}{rate:>12,.0f}{peak / 2**30:>14.2f}")
        clock += seconds
    connection = staging.connect(workdir, read_only=True)
    golden = connection.execute(
        "SELECT mention_id, golden_id FROM golden_members ORDER BY mention_id"
    ).fetchall()
    connection.close()
    if not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"workdir kept: {workdir}")
    return {"seconds": elapsed, "golden": golden}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, default=None, help="city directory (cached)")
    parser.add_argument("--engines", nargs="+", default=["duckdb"], choices=["duckdb", "spark"])
    parser.add_argument("--interval", type=float, default=0.2, help="sampler period, seconds")
    parser.add_argument("--keep", action="store_true", help="keep the workdirs")
    args = parser.parse_args()
    city = (
        args.data
        or Path(tempfile.gettempdir()) / f"huitong-city-standard-{args.persons}-{args.seed}"
    )
    if not (city / "sources.toml").exists():
        began = time.perf_counter()
        generate_city(persons=args.persons, seed=args.seed, out=city)
        print(f"generated {city} in {time.perf_counter() - began:.1f}s")
    print(f"load average before: {os.getloadavg()}, {os.cpu_count()} CPUs")
    results = {engine: run(city, engine, args.interval, args.keep) for engine in args.engines}
    print(f"load average after: {os.getloadavg()}")
    if len(results) == 2:
        duck, spark = results["duckdb"], results["spark"]
        print(
            f"\nspark / duckdb time: {spark['seconds'] / duck['seconds']:.1f}x; "
            f"golden IDs identical: {spark['golden'] == duck['golden']} "
            f"({len(duck['golden']):,} mentions)"
        )


if __name__ == "__main__":
    main()
