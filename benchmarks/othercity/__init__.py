"""The other city: a synthetic Guangzhou written independently of ``huitong.citygen``, used
only to judge resolution (its own population model, department layouts, noise and code).

``generate(persons, seed, out)`` writes one file per department source, ``sources.toml`` (the
README's sources contract), ``truth.csv`` (source, record_id, role, entity, true_id),
``noise.json`` (per source and noise kind, the count applied) and ``summary.json``; the same
(persons, seed) always gives byte-identical files.

Modules: ``identity`` (resident IDs, USCCs, phones), ``names`` (names and their writings),
``geo`` (districts to rooms, home towns), ``population`` (the true world), ``noise`` (how clerks
write it down), ``departments`` (what each department records, in its layout), ``writer``.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from pathlib import Path

from .departments import all_sources
from .population import build_world
from .writer import write_all

__all__ = ["generate"]


def generate(persons: int, seed: int, out: Path) -> dict:
    """Generate a city of about ``persons`` people into ``out``; returns a summary."""
    began = time.perf_counter()
    out = Path(out)
    world = build_world(random.Random(f"othercity:{seed}:world"), persons)
    counts: Counter = Counter()
    sources = all_sources(world, seed, counts)
    summary = write_all(sources, out, seed, persons, counts)
    summary = {"persons": persons, "seed": seed, "world": world.facts, **summary}
    (out / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    summary["seconds"] = round(time.perf_counter() - began, 2)
    return summary
