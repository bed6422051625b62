"""A generated city with rows held out of two sources, resolved and published once for the
real-time tests, which then submit the held-out rows."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from graph_schema.connection import open_driver
from graph_schema.migrations import reset
from graph_schema.publish import publish
from huitong.citygen import generate_city
from loaders.config import load_config
from resolution.pipeline import resolve

PERSONS = 500
SEED = 43
HELD = {"rental": ("gb18030", 8), "hukou": ("utf-8", 10)}


def _read(path: Path, encoding: str) -> tuple[list[str], list[dict[str, str]]]:
    text = path.read_bytes().decode(encoding)
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def _write(path: Path, encoding: str, header: list[str], rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))


class HeldOut:
    def __init__(self, out: Path, workdir: Path, rows: dict[str, list[dict]], truth: dict):
        self.out = out
        self.workdir = workdir
        self.rows = rows
        self.truth = truth
        self.config = load_config(out / "sources.toml")


@pytest.fixture(scope="package")
def city(tmp_path_factory, neo4j_target) -> HeldOut:
    out = tmp_path_factory.mktemp("rt-city")
    workdir = tmp_path_factory.mktemp("rt-work")
    generate_city(persons=PERSONS, seed=SEED, out=out)
    held: dict[str, list[dict]] = {}
    for source, (encoding, count) in HELD.items():
        header, rows = _read(out / f"{source}.csv", encoding)
        kept, held[source] = rows[:-count], rows[-count:]
        _write(out / f"{source}.csv", encoding, header, kept)
    truth = {}
    with (out / "truth.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            truth[f"{row['source']}/{row['record_id']}/{row['role']}"] = row["true_id"]
    resolve(load_config(out / "sources.toml"), workdir, progress=False)
    with open_driver(neo4j_target) as driver:
        reset(driver, neo4j_target.database)
        publish(workdir, driver, neo4j_target.database, progress=False)
    return HeldOut(out, workdir, held, truth)
