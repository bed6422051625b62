"""Peak memory staging one large CSV: rows/s and the ingest process's peak RSS.

    .venv/bin/python benchmarks/ingest_memory.py --rows 1000000
    .venv/bin/python benchmarks/ingest_memory.py --rows 5000000 --keep-csv

Builds a CSV of ``--rows`` rows from the household register (``hukou.csv``) of a generated city,
each row copied with its record id made unique and its ID number, addresses and phone varied
per copy (so the standardisers' caches fill as with real data, not with a few thousand repeated
values), and a ``sources.toml`` with that one source; then ingests it into a fresh workdir in a
child process and reports the child's peak resident memory (``ru_maxrss``: the whole run, DuckDB
included) and its time. With ``--keep-csv`` the CSV stays in ``--data`` for the next run with the
same row count. Nothing is asserted: this measures, the tests check behaviour.
"""

from __future__ import annotations

import argparse
import csv
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from huitong.citygen import generate_city

SOURCE = "hukou"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def varied(header: list[str], row: list[str], copy: int) -> list[str]:
    """Row ``row``'s ``copy``-th copy: another record id, ID number, house number and phone."""
    out = dict(zip(header, row, strict=True))
    out["人员编号"] = f"{out['人员编号']}-{copy}"
    number = out.get("公民身份号码", "")
    if copy and len(number) == 18 and number[:17].isdigit():
        body = f"{number[:14]}{(int(number[14:17]) + copy) % 1000:03d}"
        total = sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True))
        out["公民身份号码"] = body + _CHECK[total % 11]
    for column in ("户籍地址", "现住址"):
        if copy and out.get(column):
            out[column] = re.sub(
                r"(\d+)号", lambda m: f"{int(m.group(1)) + copy}号", out[column], count=1
            )
    phone = out.get("联系电话", "")
    if copy and len(phone) == 11 and phone.isdigit():
        out["联系电话"] = f"{phone[:7]}{(int(phone[7:]) + 37 * copy) % 10_000:04d}"
    return [out[column] for column in header]


def source_block(sources_toml: str, name: str) -> str:
    """The ``[[sources]]`` block of ``name`` (with its mentions, relations, event) as text."""
    blocks = re.split(r"(?m)^(?=\[\[sources\]\]\s*$)", sources_toml)
    for block in blocks:
        if re.search(rf'(?m)^name = "{re.escape(name)}"\s*$', block):
            return block
    raise SystemExit(f"no source {name!r} in the generated sources.toml")


def build(city: Path, out: Path, rows: int) -> Path:
    """``out/big.csv`` with ``rows`` rows and ``out/sources.toml`` naming it."""
    big = out / "big.csv"
    toml = out / "sources.toml"
    if big.exists() and toml.exists():
        return toml
    block = source_block((city / "sources.toml").read_text(encoding="utf-8"), SOURCE)
    toml.write_text(
        re.sub(r'(?m)^path = ".*"$', 'path = "big.csv"', block, count=1), encoding="utf-8"
    )
    with (city / f"{SOURCE}.csv").open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        template = [row for row in reader if len(row) == len(header)]
    written = 0
    with big.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        copy = 0
        while written < rows:
            for row in template:
                if written == rows:
                    break
                writer.writerow(varied(header, row, copy))
                written += 1
            copy += 1
    return toml


def child(toml: Path, workdir: Path) -> None:
    from loaders.config import load_config
    from loaders.ingest import ingest

    began = time.perf_counter()
    report = ingest(load_config(toml), workdir, progress=None, workers=1)
    source = report.sources[0]
    print(
        f"rows {source.rows_read:,} staged {source.rows_staged:,} quarantined "
        f"{source.rows_quarantined:,} mentions {source.mentions_staged:,} "
        f"in {time.perf_counter() - began:.1f}s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--persons", type=int, default=20_000, help="the city the rows copy")
    parser.add_argument("--seed", type=int, default=101)
    parser.add_argument("--data", type=Path, default=None, help="where the CSV is kept")
    parser.add_argument("--keep-csv", action="store_true", help="keep the CSV afterwards")
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    city = Path(tempfile.gettempdir()) / f"huitong-city-standard-{args.persons}-{args.seed}"
    if not (city / "sources.toml").exists():
        generate_city(persons=args.persons, seed=args.seed, out=city)
    data = args.data or Path(tempfile.gettempdir()) / f"huitong-ingest-memory-{args.rows}"
    data.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    toml = build(city, data, args.rows)
    size = (data / "big.csv").stat().st_size
    print(f"{data / 'big.csv'}: {args.rows:,} rows, {size / 1e6:,.0f} MB")
    print(f"  (built in {time.perf_counter() - began:.1f}s)")
    workdir = Path(tempfile.mkdtemp(prefix="huitong-bench-ingest-memory-"))
    try:
        began = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--child", str(toml), str(workdir)], check=True)
        elapsed = time.perf_counter() - began
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if not args.keep_csv:
            shutil.rmtree(data, ignore_errors=True)
    print(
        f"ingest of {args.rows:,} rows ({size / 1e6:,.0f} MB): {elapsed:.1f}s, "
        f"{args.rows / elapsed:,.0f} rows/s, peak RSS {peak / 2**20:,.0f} MiB"
    )
    with open("/proc/loadavg") as handle:
        print(f"load average at the end: {' '.join(handle.read().split()[:3])}")


if __name__ == "__main__":
    main()
