"""The independent judging city (benchmarks/othercity): deterministic, truthful, ingestible.

A small city is generated once per module; the checks read its files with their own small
reader (tomllib, csv, json, pyarrow), not with huitong's, and then run the real ``huitong
ingest`` command on it.
"""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
import tomllib
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from stdnum.cn import ric, uscc

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import othercity  # noqa: E402
from othercity import identity, names, population  # noqa: E402

PERSONS = 300
SEED = 7


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("othercity")
    othercity.generate(PERSONS, SEED, out)
    return out


def read_rows(source: dict, base: Path) -> list[dict]:
    """Rows of a source that a careful reader can parse (damaged rows are left out)."""
    path = base / source["path"]
    if source["format"] == "parquet":
        return pq.read_table(path).to_pylist()
    if source["format"] == "jsonl":
        rows = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return rows
    encoding = source.get("encoding", "utf-8")
    raw = path.read_bytes()
    if encoding == "utf-8-sig":
        raw = raw.removeprefix(b"\xef\xbb\xbf")
        encoding = "utf-8"
    lines = []
    for line in raw.splitlines():
        try:
            lines.append(line.decode(encoding))
        except UnicodeDecodeError:
            continue
    reader = csv.reader(lines)
    header = next(reader)
    return [
        dict(zip(header, values, strict=True)) for values in reader if len(values) == len(header)
    ]


def columns_of(fields: dict) -> list[str]:
    out = []
    for value in fields.values():
        out.extend([value] if isinstance(value, str) else value)
    return out


def test_same_seed_gives_identical_files(city: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    othercity.generate(PERSONS, SEED, again)
    first = sorted(p.name for p in city.iterdir())
    assert first == sorted(p.name for p in again.iterdir())
    for name in first:
        assert (city / name).read_bytes() == (again / name).read_bytes(), name


def test_every_present_mention_has_a_truth_row(city: Path) -> None:
    config = tomllib.loads((city / "sources.toml").read_text(encoding="utf-8"))
    with (city / "truth.csv").open(encoding="utf-8", newline="") as handle:
        truth = {(r["source"], r["record_id"], r["role"]): r for r in csv.DictReader(handle)}
    assert 8 <= len(config["sources"]) <= 12
    formats = {(s["format"], s.get("encoding", "utf-8")) for s in config["sources"]}
    assert {("csv", "utf-8"), ("csv", "utf-8-sig"), ("csv", "gbk"), ("csv", "gb18030")} <= formats
    assert {"jsonl", "parquet"} <= {f for f, _ in formats}
    checked = 0
    empty = []
    for source in config["sources"]:
        rows = read_rows(source, city)
        if not rows:  # a small department (低保) may have nobody in a tiny city
            empty.append(source["name"])
        for row in rows:
            record_id = row.get(source["record_id"])
            if record_id in (None, ""):
                continue
            for mention in source["mentions"]:
                present = any(row.get(c) not in (None, "") for c in columns_of(mention["fields"]))
                key = (source["name"], str(record_id), mention["role"])
                if present:
                    assert key in truth, key
                    assert truth[key]["entity"] == mention["entity"]
                    checked += 1
    assert len(empty) <= 1, empty
    assert checked > 5 * PERSONS
    kinds = {r["entity"] for r in truth.values()}
    assert kinds == {"person", "enterprise", "rental_unit"}
    prefixes = {"person": "TP", "enterprise": "TE", "rental_unit": "TU"}
    assert all(r["true_id"].startswith(prefixes[r["entity"]]) for r in truth.values())


def _org_check(body: str) -> str:
    """GB 11714 check character, written again here independently of the generator."""
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    rest = 11 - sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return {10: "X", 11: "0"}.get(rest, str(rest))


def test_identifiers_marked_valid_pass_their_check_characters() -> None:
    # published examples first: GB 11643's own sample and a real USCC
    assert identity.ric_is_valid("11010519491231002X")
    assert identity.uscc_is_valid("91110000600037341L")
    world = population.build_world(random.Random(f"othercity:{SEED}:world"), PERSONS)
    for person in world.persons:
        number = person.id18
        assert ric.calc_check_digit(number) == number[17], number  # takes all 18
        assert number[6:14] == person.birth.strftime("%Y%m%d")
        assert int(number[16]) % 2 == (person.sex == "M")
        assert identity.ric15(number) == number[:6] + number[8:17]
    assert len({p.id18 for p in world.persons}) == len(world.persons)
    for enterprise in world.enterprises:
        code = enterprise.uscc
        assert uscc.is_valid(code), code
        assert _org_check(code[8:16]) == code[16], code
    # a name is approved once: distinct enterprises never share a full name
    assert len({e.name for e in world.enterprises}) == len(world.enterprises)
    twins = [p for p in world.persons if p.twin is not None]
    for p in twins:
        assert p.birth == p.twin.birth and p.surname == p.twin.surname and p.id18 != p.twin.id18
    missing = [c for c in names.all_name_characters() if c not in names.PINYIN]
    assert not missing


def test_huitong_ingest_stages_it_without_config_errors(city: Path, tmp_path: Path) -> None:
    workdir = tmp_path / "w"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "huitong.cli",
            "ingest",
            "--config",
            str(city / "sources.toml"),
            "--workdir",
            str(workdir),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((workdir / "ingest_report.json").read_text(encoding="utf-8"))
    config = tomllib.loads((city / "sources.toml").read_text(encoding="utf-8"))
    assert [s["name"] for s in report["sources"]] == [s["name"] for s in config["sources"]]
    noise = json.loads((city / "noise.json").read_text(encoding="utf-8"))
    for source in report["sources"]:
        assert source["rows_read"] == source["rows_staged"] + source["rows_quarantined"], source
        assert source["mentions_staged"] > 0 or source["rows_read"] == 0, source
        broken = sum(
            n for kind, n in noise.get(source["name"], {}).items() if kind.startswith("row_")
        )
        assert source["rows_quarantined"] <= broken, source
