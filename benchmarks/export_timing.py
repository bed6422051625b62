"""Register export timing and memory: the household register of the whole city, streamed.

    .venv/bin/python benchmarks/export_timing.py --persons 100000

Publishes the city as ``api_latency.py`` does (or uses the published one), serves the API with
uvicorn in this process and downloads ``/exports/households.csv`` and ``.xlsx`` (and the other
registers) for a city-wide admin, reading the body in chunks. Prints seconds to the first byte,
total seconds, rows, bytes, and the process's peak RSS before and after (VmHWM), so a register
that is held in memory instead of streamed shows as growth.
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from api_latency import SECRET, ensure_published, free_port

from api.app import create_app
from api.auth import issue_token
from api.config import ApiSettings


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--only", nargs="+", default=None, help="these exports only")
    args = parser.parse_args()
    ensure_published(args.persons, args.seed, args.workdir)
    app = create_app(ApiSettings(HUITONG_JWT_SECRET=SECRET))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    auth = {"Authorization": "Bearer " + issue_token(SECRET, role="admin", subject="bench")}
    with httpx.Client(timeout=600) as client:
        for path in args.only or ("households.csv", "households.xlsx", "rental-units.csv",
                                  "enterprises.xlsx", "unemployed.csv"):  # fmt: skip
            before = peak_rss_mb()
            began = time.perf_counter()
            first_byte = None
            size = 0
            newlines = 0
            with client.stream("GET", f"http://127.0.0.1:{port}/exports/{path}",
                               headers=auth) as response:  # fmt: skip
                response.raise_for_status()
                for chunk in response.iter_bytes():
                    first_byte = first_byte or time.perf_counter() - began
                    size += len(chunk)
                    newlines += chunk.count(b"\n")
            seconds = time.perf_counter() - began
            rows = f"{newlines - 1:,} rows" if path.endswith(".csv") else "xlsx"
            print(f"{path:<18} first byte {first_byte or 0:6.2f}s  total {seconds:6.2f}s  "
                  f"{rows:>12}  {size / 1e6:7.1f} MB  peak RSS {before:,.0f} → "
                  f"{peak_rss_mb():,.0f} MB")  # fmt: skip
    server.should_exit = True


if __name__ == "__main__":
    main()
