"""A deterministic synthetic Guangzhou: departments' files about one true city, and the truth.

``generate_city(persons, seed, out)`` draws a city (:mod:`.population`), writes each
department's view of it (:mod:`.sources`, laid out by :mod:`.layouts`, made noisy by
:mod:`.noise`, written by :mod:`.writers`) and, into ``out``:

- one file per source (17 of them: CSV, JSON lines, Parquet; UTF-8, UTF-8 with BOM, GBK,
  GB18030) and ``sources.toml`` describing them in the ingest's sources contract;
- ``truth.csv`` (``source,record_id,role,entity,true_id``): the true person (``P000123``),
  enterprise (``E000045``) or rental unit (``U000678``) behind every mention present in a row;
- ``broken_rows.csv`` (``source,record_id,row_number,kind,detail``): the rows broken on purpose;
- ``noise.json``: per source and kind, the rate configured and the counts actually applied;
- ``patterns.json``: the investigator patterns planted on purpose (:mod:`.patterns`: a phone
  shared by unrelated people, enterprises crowded at one address point, an overcrowded rental
  unit), each with the true IDs involved.

The same ``(persons, seed, variant)`` gives byte-identical files.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from huitong.citygen.identifiers import (
    is_valid_resident_id,
    is_valid_uscc,
    org_code_check_char,
    resident_id_check_char,
    uscc_check_char,
)
from huitong.citygen.layouts import LAYOUTS
from huitong.citygen.noise import NOISE_KINDS, Noiser
from huitong.citygen.patterns import plant_patterns
from huitong.citygen.population import World, build_world
from huitong.citygen.sources import SOURCES, BuildContext
from huitong.citygen.writers import (
    BROKEN_RATE,
    WrittenSource,
    toml_block,
    write_source,
)

__all__ = [
    "VARIANTS",
    "CitySummary",
    "generate_city",
    "is_valid_resident_id",
    "is_valid_uscc",
    "org_code_check_char",
    "resident_id_check_char",
    "true_city",
    "uscc_check_char",
]

VARIANTS = tuple(LAYOUTS)


@dataclass(frozen=True)
class CitySummary:
    """What ``generate_city`` wrote: rows per source, true entities, mentions, time taken."""

    out: Path
    persons: int
    seed: int
    variant: str
    rows_per_source: dict[str, int]
    entities: dict[str, int]  # person, enterprise, rental_unit
    mentions: int
    broken_rows: int
    elapsed_seconds: float
    files: tuple[str, ...] = field(default=())

    @property
    def rows(self) -> int:
        return sum(self.rows_per_source.values())


def stream(seed: int, variant: str, *labels: str) -> random.Random:
    """An independent random stream for one purpose; stable across runs and platforms."""
    digest = hashlib.sha256("|".join((str(seed), variant, *labels)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def true_city(persons: int, seed: int, variant: str = "standard") -> World:
    """The true city ``generate_city`` draws its sources from, for tests and evaluation."""
    world = build_world(persons, stream(seed, variant, "world"))
    world.patterns = plant_patterns(world, stream(seed, variant, "patterns"))
    return world


def generate_city(persons: int, seed: int, out: Path, variant: str = "standard") -> CitySummary:
    """Generate a city of ``persons`` people from ``seed`` and write its sources into ``out``.

    ``variant`` is ``"standard"`` or ``"other_team"`` (same contract, another team's column
    names, formats, encodings and noise rates). Existing files of the same names are replaced.
    """
    if variant not in LAYOUTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    if persons < 1:
        raise ValueError("persons must be at least 1")
    began = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    world = true_city(persons, seed, variant)
    layouts = LAYOUTS[variant]
    written: list[WrittenSource] = []
    noisers: dict[str, Noiser] = {}
    for spec, builder in SOURCES:
        layout = layouts[spec.key]
        noiser = Noiser(world, layout.style, variant, stream(seed, variant, "noise", spec.key))
        split = frozenset(k for k, column in layout.columns.items() if isinstance(column, tuple))
        context = BuildContext(world, noiser, stream(seed, variant, "values", spec.key), split)
        rows = list(builder(context))
        rows_rng = stream(seed, variant, "rows", spec.key)
        written.append(write_source(out, layout, spec, rows, rows_rng))
        noisers[layout.name] = noiser

    header = f"# huitong.citygen: variant {variant!r}, seed {seed}, {persons} persons\n\n"
    blocks = [toml_block(layouts[spec.key], spec) for spec, _ in SOURCES]
    (out / "sources.toml").write_text(header + "\n".join(blocks), encoding="utf-8")
    _write_csv(
        out / "truth.csv",
        ("source", "record_id", "role", "entity", "true_id"),
        (line for source in written for line in source.truth),
    )
    _write_csv(
        out / "broken_rows.csv",
        ("source", "record_id", "row_number", "kind", "detail"),
        (line for source in written for line in source.broken),
    )
    (out / "noise.json").write_text(
        json.dumps(
            _noise_report(persons, seed, variant, noisers, written), ensure_ascii=False, indent=2
        )
        + "\n",
        encoding="utf-8",
    )
    (out / "patterns.json").write_text(
        json.dumps(world.patterns, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return CitySummary(
        out=out,
        persons=persons,
        seed=seed,
        variant=variant,
        rows_per_source={source.layout.name: source.rows for source in written},
        entities={
            "person": len(world.persons),
            "enterprise": len(world.enterprises),
            "rental_unit": len(world.rental_units),
        },
        mentions=sum(len(source.truth) for source in written),
        broken_rows=sum(len(source.broken) for source in written),
        elapsed_seconds=round(time.perf_counter() - began, 3),
        files=(
            *(source.layout.path for source in written),
            "sources.toml",
            "truth.csv",
            "broken_rows.csv",
            "noise.json",
            "patterns.json",
        ),
    )


def _write_csv(path: Path, header: tuple[str, ...], lines) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(lines)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _noise_report(
    persons: int,
    seed: int,
    variant: str,
    noisers: dict[str, Noiser],
    written: list[WrittenSource],
) -> dict:
    column = 2 if variant == "other_team" else 1
    totals = {kind: [0, 0] for kind in NOISE_KINDS}
    sources = {}
    for name, noiser in noisers.items():
        applied = {}
        for kind, (eligible, hits) in noiser.counts.items():
            totals[kind][0] += eligible
            totals[kind][1] += hits
            if eligible:
                applied[kind] = {
                    "rate": noiser.rates[kind],
                    "eligible": eligible,
                    "applied": hits,
                    "observed_rate": round(hits / eligible, 6),
                }
        sources[name] = {"quality": noiser.style.quality, "kinds": applied}
    broken: dict[str, dict[str, int]] = {}
    for source in written:
        for line in source.broken:
            per_source = broken.setdefault(source.layout.name, {})
            per_source[line[3]] = per_source.get(line[3], 0) + 1
    return {
        "generator": "huitong.citygen",
        "variant": variant,
        "seed": seed,
        "persons": persons,
        "base_rates": {
            kind: {"rate": spec[column], "scales_with_source_quality": spec[0]}
            for kind, spec in NOISE_KINDS.items()
        },
        "totals": {
            kind: {
                "eligible": eligible,
                "applied": hits,
                "observed_rate": round(hits / eligible, 6) if eligible else None,
            }
            for kind, (eligible, hits) in totals.items()
        },
        "sources": sources,
        "broken_rows": {
            "target_rate": BROKEN_RATE,
            "rows": sum(source.rows for source in written),
            "broken": sum(len(source.broken) for source in written),
            "per_source": broken,
        },
    }
