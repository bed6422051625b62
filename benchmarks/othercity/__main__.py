"""``python -m othercity --persons 20000 --seed 11 --out DIR`` (with ``benchmarks`` on the path)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from . import generate


def main() -> None:
    parser = argparse.ArgumentParser(prog="othercity", description=__doc__)
    parser.add_argument("--persons", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    summary = generate(args.persons, args.seed, args.out)
    print(json.dumps(summary, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
