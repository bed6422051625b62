"""Publish throughput: graph elements (nodes + relationships) written per second.

    .venv/bin/python benchmarks/publish_throughput.py --persons 100000 --seed 7 [--bulk never]

Generates and resolves the city when needed (cached under the temp directory), empties the
graph given by NEO4J_URI (or the local server, started if needed), publishes once into the empty
graph, then again (idempotent re-publish), and prints elements/s for both. Into the local
server's empty graph the first publish uses Neo4j's offline importer (``--bulk auto``, from
200,000 mentions; ``always``; ``never``: batched Cypher). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from graph_schema.connection import local_server, managed_server, open_driver, resolve_target
from graph_schema.migrations import reset
from graph_schema.publish import publish
from huitong.citygen import generate_city
from huitong.settings import get_settings
from loaders.config import load_config
from resolution.pipeline import resolve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--bulk", choices=("auto", "always", "never"), default="auto")
    parser.add_argument(
        "--workdir", type=Path, help="an already resolved workdir (then --persons is not used)"
    )
    args = parser.parse_args()
    base = Path(tempfile.gettempdir())
    city = base / f"huitong-city-standard-{args.persons}-{args.seed}"
    workdir = args.workdir or base / f"huitong-work-standard-{args.persons}-{args.seed}"
    if args.workdir is None and not (city / "sources.toml").exists():
        generate_city(persons=args.persons, seed=args.seed, out=city)
    if not (workdir / "resolve_report.json").exists():
        began = time.perf_counter()
        resolve(load_config(city / "sources.toml"), workdir, progress=False)
        print(f"resolved {city.name} in {time.perf_counter() - began:.1f}s")
    if not get_settings().neo4j_uri:
        local_server().start()
    target = resolve_target()
    server = managed_server(target)
    with open_driver(target) as driver:
        reset(driver, target.database)
        for label in ("into an empty graph", "again (idempotent)"):
            report = publish(
                workdir,
                driver,
                target.database,
                batch_size=args.batch_size,
                progress=False,
                server=server,
                bulk=args.bulk,
            )
            print(
                f"publish {label} ({report.method}): {report.elements_written:,} elements in "
                f"{report.seconds:.1f}s = {report.elements_per_second:,.0f} elements/s"
                + (f" ({report.note})" if report.note else "")
            )
            slowest = sorted(report.timings.items(), key=lambda item: -item[1])[:12]
            print("  " + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in slowest))
        print("graph:", ", ".join(f"{k} {v:,}" for k, v in report.counts.items() if v))


if __name__ == "__main__":
    main()
