"""A generated city with rows held out of two sources, resolved and published once for the
real-time tests, which then submit the held-out rows."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from graph_schema.connection import open_driver
from graph_schema.migrations import reset
from graph_schema.publish import publish
from huitong.citygen import generate_city
from loaders.config import load_config
from realtime.engine import Engine
from resolution.pipeline import resolve

PERSONS = 500
SEED = 43
HELD = {"rental": ("gb18030", 8), "hukou": ("utf-8", 14)}


def _clean_row(header: list[str], line: bytes, encoding: str) -> dict[str, str] | None:
    """The row a line holds when it decodes and parses plainly (no quotes, every column);
    None for the generator's deliberately broken lines."""
    try:
        text = line.decode(encoding).rstrip("\r\n")
    except UnicodeDecodeError:
        return None
    if '"' in text:
        return None
    values = next(csv.reader([text]), [])
    return dict(zip(header, values, strict=True)) if len(values) == len(header) else None


def hold_out(path: Path, encoding: str, count: int) -> list[dict[str, str]]:
    """Take the last ``count`` plain rows out of a CSV file, leaving every other byte as the
    generator wrote it (its broken lines included); returns them, as the file had them."""
    lines = path.read_bytes().splitlines(keepends=True)
    header = next(csv.reader([lines[0].decode(encoding).lstrip("\ufeff").rstrip("\r\n")]))
    held: dict[int, dict[str, str]] = {}
    for index in range(len(lines) - 1, 0, -1):
        row = _clean_row(header, lines[index], encoding)
        if row is not None:
            held[index] = row
        if len(held) == count:
            break
    path.write_bytes(b"".join(line for i, line in enumerate(lines) if i not in held))
    return [held[i] for i in sorted(held)]


def plain_rows(path: Path, encoding: str) -> list[dict[str, str]]:
    """The rows of a CSV file that decode and parse plainly, in file order."""
    lines = path.read_bytes().splitlines(keepends=True)
    header = next(csv.reader([lines[0].decode(encoding).lstrip("\ufeff").rstrip("\r\n")]))
    rows = (_clean_row(header, line, encoding) for line in lines[1:])
    return [row for row in rows if row is not None]


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
        held[source] = hold_out(out / f"{source}.csv", encoding, count)
    truth = {}
    with (out / "truth.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            truth[f"{row['source']}/{row['record_id']}/{row['role']}"] = row["true_id"]
    resolve(load_config(out / "sources.toml"), workdir, progress=False)
    with open_driver(neo4j_target) as driver:
        reset(driver, neo4j_target.database)
        publish(workdir, driver, neo4j_target.database, progress=False)
    return HeldOut(out, workdir, held, truth)


@pytest.fixture(scope="module")
def graph(neo4j_target, city):
    """A driver on the test server, for the modules that submit through the engine."""
    with open_driver(neo4j_target) as driver:
        yield driver


@pytest.fixture(scope="module")
def engine(city, graph, neo4j_target):
    """A real-time engine over the held-out city's workdir (one per module)."""
    engine = Engine(city.workdir, graph, database=neo4j_target.database)
    yield engine
    engine.close()
