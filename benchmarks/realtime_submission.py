"""Real-time resolution: latency, throughput, and agreement with the batch.

    .venv/bin/python benchmarks/realtime_submission.py agreement --persons 20000 --seed 101
    .venv/bin/python benchmarks/realtime_submission.py latency --workdir W --calls 300 --batches 10

``agreement`` holds out 5% of every source's rows of a generated city (``--holdout``),
resolves and publishes the rest (into ``NEO4J_URI`` or the local server, replacing what is
there), submits the held-out rows through the real-time engine (calls of 100 rows, source by
source), and prints pairwise F1 against the generator's truth for the real-time state (every
staged and submitted mention with its golden ID now) beside a batch resolve of the full city;
then resolves again and prints how many of the golden IDs given in real time the batch kept.

``latency`` serves the API over the published ``--workdir`` (uvicorn in its own process) and
submits copies of its sources' rows under new record IDs: one row per call (p50/p95/p99 of
the HTTP round trip) and calls of 100 ``hukou`` rows (rows per second).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq

from api.auth import issue_token
from graph_schema.connection import open_driver, resolve_target
from graph_schema.migrations import reset
from graph_schema.publish import publish
from huitong.citygen import generate_city
from loaders.config import load_config
from loaders.readers import iter_rows
from realtime.engine import open_engine, rows_from_objects
from resolution.pipeline import export_clusters, resolve

SECRET = "benchmark-" + "s" * 40


# -- held-out rows ---------------------------------------------------------------------------
def _plain_row(spec, header: list[str] | None, line: bytes) -> dict | None:
    """The row a line holds when it decodes and parses plainly; None for the generator's
    deliberately broken lines (bad bytes, stray quotes, missing columns)."""
    try:
        text = line.decode(spec.encoding).rstrip("\r\n")
    except UnicodeDecodeError:
        return None
    if spec.format == "jsonl":
        try:
            row = json.loads(text)
        except ValueError:
            return None
        return row if isinstance(row, dict) else None
    if '"' in text or header is None:
        return None
    values = next(csv.reader([text]), [])
    return dict(zip(header, values, strict=True)) if len(values) == len(header) else None


def hold_out(city: Path, fraction: float, seed: int) -> dict[str, list[dict]]:
    """Remove ``fraction`` of each source's rows from its file, chosen among the plain ones
    (every other byte stays as the generator wrote it, broken lines included); returns them."""
    rng = random.Random(seed)
    held = {}
    for spec in load_config(city / "sources.toml").sources:
        if spec.format == "parquet":
            table = pq.read_table(spec.path)
            picked = set(rng.sample(range(table.num_rows), int(table.num_rows * fraction)))
            held[spec.name] = [r for i, r in enumerate(table.to_pylist()) if i in picked]
            keep = [i for i in range(table.num_rows) if i not in picked]
            pq.write_table(table.take(pa.array(keep, pa.int64())), spec.path)
            continue
        lines = spec.path.read_bytes().splitlines(keepends=True)
        header = None
        if spec.format == "csv":
            first = lines[0].decode(spec.encoding).lstrip("\ufeff").rstrip("\r\n")
            header = next(csv.reader([first]))
        start = 1 if spec.format == "csv" else 0
        rows = {i: _plain_row(spec, header, lines[i]) for i in range(start, len(lines))}
        plain = {i: row for i, row in rows.items() if row is not None}
        count = min(len(plain), int((len(lines) - start) * fraction))
        picked = set(rng.sample(sorted(plain), count))
        held[spec.name] = [plain[i] for i in sorted(picked)]
        spec.path.write_bytes(b"".join(line for i, line in enumerate(lines) if i not in picked))
    return held


# -- pairwise F1 ------------------------------------------------------------------------------
def clusters_of(workdir: Path) -> dict[str, tuple[str, str]]:
    out = Path(tempfile.mkdtemp()) / "clusters.csv"
    export_clusters(workdir, out)
    with out.open(encoding="utf-8") as handle:
        return {
            f"{r['source']}/{r['record_id']}/{r['role']}": (r["entity"], r["entity_id"])
            for r in csv.DictReader(handle)
        }


def pairwise(clusters: dict[str, tuple[str, str]], truth: dict[str, str]) -> dict[str, float]:
    """Pairwise F1 per entity type over the mentions both know."""
    out = {}
    for entity in sorted({e for e, _ in clusters.values()}):
        keys = [k for k, (e, _) in clusters.items() if e == entity and k in truth]
        cells, predicted, true = Counter(), Counter(), Counter()
        for key in keys:
            cells[(clusters[key][1], truth[key])] += 1
            predicted[clusters[key][1]] += 1
            true[truth[key]] += 1

        def pairs(counter: Counter) -> int:
            return sum(n * (n - 1) // 2 for n in counter.values())

        tp, p, t = pairs(cells), pairs(predicted), pairs(true)
        precision = tp / p if p else 1.0
        recall = tp / t if t else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[entity] = f1
    return out


def read_truth(city: Path) -> dict[str, str]:
    with (city / "truth.csv").open(encoding="utf-8") as handle:
        return {
            f"{r['source']}/{r['record_id']}/{r['role']}": r["true_id"]
            for r in csv.DictReader(handle)
        }


def agreement(args: argparse.Namespace) -> None:
    base = Path(args.dir or tempfile.mkdtemp(prefix="huitong-bench-realtime-"))
    full_city, city = base / "city-full", base / "city-held"
    full_work, work = base / "work-full", base / "work-held"
    for directory in (full_city, city):
        if not (directory / "sources.toml").exists():
            generate_city(persons=args.persons, seed=args.seed, out=directory)
    held_file = base / "held.json"
    if held_file.exists():
        held = json.loads(held_file.read_text(encoding="utf-8"))
    else:
        held = hold_out(city, args.holdout, args.seed)
        held_file.write_text(json.dumps(held, ensure_ascii=False, default=str), encoding="utf-8")
    truth = read_truth(full_city)
    began = time.perf_counter()
    if not (full_work / "resolve_report.json").exists():
        resolve(load_config(full_city / "sources.toml"), full_work, progress=False)
    print(f"batch resolve of the full city: {time.perf_counter() - began:.0f}s")
    began = time.perf_counter()
    resolve(load_config(city / "sources.toml"), work, progress=False)
    target = resolve_target()
    with open_driver(target) as driver:
        reset(driver, target.database)
        publish(work, driver, target.database, progress=False)
    print(f"resolved and published the city less {args.holdout:.0%}: "
          f"{time.perf_counter() - began:.0f}s")  # fmt: skip
    engine = open_engine(work, target)
    given: dict[str, str] = {}
    statuses: Counter = Counter()
    seconds, submitted = 0.0, 0
    try:
        for source, rows in held.items():
            for start in range(0, len(rows), 100):
                batch = rows_from_objects(rows[start : start + 100])
                began = time.perf_counter()
                result = engine.submit(source, batch, by="benchmark")
                seconds += time.perf_counter() - began
                submitted += len(batch)
                for row in result.rows:
                    statuses[row.status] += 1
                    for m in row.mentions:
                        given[f"{source}/{row.record_id}/{m.role}"] = m.entity_id
    finally:
        engine.shutdown()
    print(f"submitted {submitted:,} rows in calls of 100: {submitted / seconds:,.0f} rows/s; "
          f"{dict(statuses)}")  # fmt: skip
    realtime_f1 = pairwise(clusters_of(work), truth)
    batch_f1 = pairwise(clusters_of(full_work), truth)
    print(f"{'entity':<12}{'real time':>10}{'batch':>10}{'diff':>10}")
    for entity in sorted(batch_f1):
        diff = realtime_f1.get(entity, 0) - batch_f1[entity]
        print(f"{entity:<12}{realtime_f1.get(entity, 0):>10.4f}{batch_f1[entity]:>10.4f}"
              f"{diff:>+10.4f}")  # fmt: skip
    began = time.perf_counter()
    resolve(load_config(city / "sources.toml"), work, progress=False)
    after = clusters_of(work)
    kept = sum(after.get(key, (None, None))[1] == golden for key, golden in given.items())
    print(f"next batch resolve ({time.perf_counter() - began:.0f}s) kept {kept:,} of "
          f"{len(given):,} real-time golden IDs ({kept / max(len(given), 1):.4%})")  # fmt: skip


# -- latency -----------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _copies(
    workdir: Path, count: int, seed: int, only: str | None = None
) -> list[tuple[str, dict]]:
    """Rows of the workdir's sources (or of source ``only``) under new record IDs (each
    submission creates one)."""
    manifest = json.loads((workdir / "realtime" / "current.json").read_text())
    config = load_config(Path(manifest["config"]))
    rng = random.Random(seed)
    pool = []
    for spec in config.sources:
        if only is not None and spec.name != only:
            continue
        rows = [r.values for r in iter_rows(spec.path, spec.format, spec.encoding) if r.values]
        for row in rng.sample(rows, min(len(rows), count)):
            pool.append((spec.name, spec.record_id, row))
    rng.shuffle(pool)
    stamp = int(time.time())
    return [
        (source, {**row, column: f"RT{stamp}-{i}"})
        for i, (source, column, row) in enumerate(pool[:count])
    ]


def latency(args: argparse.Namespace) -> None:
    workdir = Path(args.workdir)
    port = _free_port()
    env = {**os.environ, "HUITONG_JWT_SECRET": SECRET}
    server = subprocess.Popen(
        [sys.executable, "-m", "huitong.cli", "serve", "--port", str(port), "--workdir",
         str(workdir)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    token = issue_token(SECRET, role="admin", subject="benchmark")
    url = f"http://127.0.0.1:{port}/graphql"
    query = """mutation($s: String!, $r: [JSON!]!) { submitRecords(source: $s, rows: $r) {
      rows { status mentions { entityId decision } } } }"""
    try:
        with httpx.Client(timeout=300) as client:
            deadline = time.monotonic() + 600
            while True:
                try:
                    if client.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start")
                time.sleep(0.5)
            headers = {"Authorization": f"Bearer {token}"}

            def call(source: str, rows: list[dict]) -> float:
                began = time.perf_counter()
                response = client.post(
                    url, json={"query": query, "variables": {"s": source, "r": rows}},
                    headers=headers,
                )  # fmt: skip
                elapsed = time.perf_counter() - began
                payload = response.json()
                if payload.get("errors"):
                    raise SystemExit(json.dumps(payload["errors"], ensure_ascii=False))
                return elapsed

            rows = _copies(workdir, args.calls + args.warmup, args.seed)
            for source, row in rows[: args.warmup]:
                call(source, [row])
            times = sorted(call(source, [row]) for source, row in rows[args.warmup :])

            def pct(q: float) -> float:
                return times[min(len(times) - 1, int(q * len(times)))] * 1000

            if times:
                print(f"one-row submissions ({len(times)}, {args.warmup} before as warm-up): "
                      f"p50 {pct(0.5):.0f} ms, p95 {pct(0.95):.0f} ms, p99 {pct(0.99):.0f} ms, "
                      f"mean {statistics.mean(times) * 1000:.0f} ms")  # fmt: skip
            batch = [r for _, r in _copies(workdir, args.batches * 100, args.seed + 1, "hukou")]
            total_rows, total_seconds = 0, 0.0
            for start in range(0, len(batch) - 99, 100):
                total_seconds += call("hukou", batch[start : start + 100])
                total_rows += 100
            if total_rows:
                print(f"hukou in calls of 100 ({total_rows:,} rows): "
                      f"{total_rows / total_seconds:,.0f} rows/s")  # fmt: skip
    finally:
        server.kill()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    a = sub.add_parser("agreement", help="F1 and ID stability against the batch")
    a.add_argument("--persons", type=int, default=20000)
    a.add_argument("--seed", type=int, default=101)
    a.add_argument("--holdout", type=float, default=0.05)
    a.add_argument("--dir", help="keep the cities and workdirs here (reused when present)")
    latency_parser = sub.add_parser("latency", help="one-row p95 and 100-row throughput")
    latency_parser.add_argument("--workdir", required=True, help="a resolved, published workdir")
    latency_parser.add_argument("--calls", type=int, default=300)
    latency_parser.add_argument("--batches", type=int, default=10)
    latency_parser.add_argument("--seed", type=int, default=7)
    latency_parser.add_argument("--warmup", type=int, default=20, help="one-row calls untimed")
    args = parser.parse_args()
    {"agreement": agreement, "latency": latency}[args.command](args)


if __name__ == "__main__":
    main()
