"""The synthetic city: deterministic, true to the sources contract, noisy at the stated rates."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import math
import random
import re
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from stdnum.cn import ric, uscc

from huitong.citygen import (
    CitySummary,
    generate_city,
    is_valid_resident_id,
    is_valid_uscc,
    org_code_check_char,
    resident_id_check_char,
    true_city,
    uscc_check_char,
)
from huitong.citygen.identifiers import from_old_resident_id, to_old_resident_id
from huitong.citygen.noise import NOISE_KINDS, SourceStyle, effective_rates

PERSONS = 3000
SEED = 11
CANONICAL_FIELDS = {
    "person": {"name", "id_number", "gender", "birth_date", "phone", "address"},
    "enterprise": {"name", "uscc", "address", "phone"},
    "rental_unit": {"address"},
}
IDENTIFYING = {"name", "id_number", "uscc", "address"}
RELATIONS = {
    "RENTS": ("person", "rental_unit"),
    "OWNS": ("person", "rental_unit"),
    "LEGAL_REPRESENTATIVE_OF": ("person", "enterprise"),
    "EMPLOYED_BY": ("person", "enterprise"),
    "SPOUSE_OF": ("person", "person"),
    "PARENT_OF": ("person", "person"),
}


@pytest.fixture(scope="module")
def standard(tmp_path_factory: pytest.TempPathFactory) -> CitySummary:
    return generate_city(PERSONS, SEED, tmp_path_factory.mktemp("standard"))


@pytest.fixture(scope="module")
def other_team(tmp_path_factory: pytest.TempPathFactory) -> CitySummary:
    return generate_city(PERSONS, SEED, tmp_path_factory.mktemp("other"), variant="other_team")


@pytest.fixture(params=["standard", "other_team"])
def city(request: pytest.FixtureRequest) -> CitySummary:
    return request.getfixturevalue(request.param)


# -- a reader of the contract, independent of the generator --------------------------------------
class SourceFile:
    """One source read the way an ingest would: good rows, and the rows it could not parse."""

    def __init__(self, out: Path, source: dict) -> None:
        self.source = source
        self.rows: list[dict[str, object]] = []
        self.unreadable: dict[int, str] = {}  # row number (1-based, no header): kind
        path = out / source["path"]
        if source["format"] == "parquet":
            table = pq.read_table(path)
            self.header = table.column_names
            self.rows = table.to_pylist()
            return
        encoding = source.get("encoding", "utf-8")
        data = path.read_bytes()
        if encoding == "utf-8-sig":
            assert data.startswith(b"\xef\xbb\xbf"), "utf-8-sig file without a BOM"
            data, encoding = data[3:], "utf-8"
        lines = data.split(b"\n")
        assert lines[-1] == b"", "the file ends with a newline"
        lines = [line.removesuffix(b"\r") for line in lines[:-1]]
        if source["format"] == "csv":
            self.header = next(csv.reader([lines[0].decode(encoding)]))
            lines = lines[1:]
        for number, raw in enumerate(lines, 1):
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                self.unreadable[number] = "undecodable_bytes"
                continue
            if source["format"] == "csv":
                cells = next(csv.reader([text]))
                if len(cells) != len(self.header):
                    self.unreadable[number] = "wrong_field_count"
                    continue
                self.rows.append(dict(zip(self.header, cells, strict=True)))
            else:
                try:
                    row = json.loads(text)
                except json.JSONDecodeError:
                    self.unreadable[number] = "malformed_json"
                    continue
                if number == 1:
                    self.header = list(row)
                self.rows.append(row)

    def value(self, row: dict, column: str | list[str]) -> str:
        columns = [column] if isinstance(column, str) else column
        parts = [row.get(c) for c in columns]
        return " ".join(str(p) for p in parts if p not in (None, ""))


def load(summary: CitySummary) -> tuple[dict, dict[str, SourceFile]]:
    contract = tomllib.loads((summary.out / "sources.toml").read_text(encoding="utf-8"))
    files = {s["name"]: SourceFile(summary.out, s) for s in contract["sources"]}
    return contract, files


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def referenced_columns(source: dict) -> set[str]:
    columns = {source["record_id"]}
    for mention in source["mentions"]:
        for value in (*mention["fields"].values(), *mention.get("attributes", {}).values()):
            columns.update([value] if isinstance(value, str) else value)
    event = source.get("event")
    if event:
        columns.add(event["date"])
        columns.update(event.get("attributes", {}).values())
        if "place" in event:
            columns.add(event["place"])
    return columns


# -- determinism ----------------------------------------------------------------------------------
def digest(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.iterdir())
    }


@pytest.mark.parametrize("variant", ["standard", "other_team"])
def test_same_persons_seed_and_variant_give_identical_bytes(tmp_path: Path, variant: str) -> None:
    first = generate_city(600, 5, tmp_path / "a", variant)
    second = generate_city(600, 5, tmp_path / "b", variant)
    assert first.rows_per_source == second.rows_per_source
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    generate_city(600, 6, tmp_path / "c", variant)
    assert (tmp_path / "a" / "truth.csv").read_bytes() != (
        tmp_path / "c" / "truth.csv"
    ).read_bytes()


def test_unknown_variant_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown variant"):
        generate_city(10, 1, tmp_path, variant="nope")


# -- the sources contract -------------------------------------------------------------------------
def test_sources_toml_follows_the_contract(city: CitySummary) -> None:
    contract, files = load(city)
    sources = contract["sources"]
    assert len(sources) >= 8
    names = [s["name"] for s in sources]
    assert len(set(names)) == len(names)
    for source in sources:
        assert re.fullmatch(r"[a-z0-9_]+", source["name"])
        assert source["department"]
        assert source["format"] in ("csv", "jsonl", "parquet")
        if source["format"] == "parquet":
            assert "encoding" not in source
        else:
            assert source.get("encoding", "utf-8") in ("utf-8", "utf-8-sig", "gbk", "gb18030")
        roles = {}
        for mention in source["mentions"]:
            assert mention["role"] not in roles, f"{source['name']}: duplicate role"
            roles[mention["role"]] = mention["entity"]
            assert mention["entity"] in CANONICAL_FIELDS
            assert set(mention["fields"]) <= CANONICAL_FIELDS[mention["entity"]]
            assert set(mention["fields"]) & IDENTIFYING, f"{source['name']}: unidentifiable"
        for relation in source.get("relations", []):
            assert (roles[relation["from"]], roles[relation["to"]]) == RELATIONS[relation["type"]]
        missing = referenced_columns(source) - set(files[source["name"]].header)
        assert not missing, f"{source['name']}: columns {missing} not in the file"
        ids = [str(row[source["record_id"]]) for row in files[source["name"]].rows]
        assert len(set(ids)) == len(ids), f"{source['name']}: record IDs repeat"


def test_formats_and_encodings_are_mixed(standard: CitySummary, other_team: CitySummary) -> None:
    for summary in (standard, other_team):
        contract, _ = load(summary)
        kinds = {(s["format"], s.get("encoding")) for s in contract["sources"]}
        assert {f for f, _ in kinds} == {"csv", "jsonl", "parquet"}
        encodings = {e for f, e in kinds if f == "csv"}
        assert {"utf-8", "utf-8-sig", "gbk", "gb18030"} <= encodings
    standard_sources, _ = load(standard)
    other_sources, _ = load(other_team)
    by_department = zip(standard_sources["sources"], other_sources["sources"], strict=True)
    changed_format = sum(
        (a["format"], a.get("encoding")) != (b["format"], b.get("encoding"))
        for a, b in by_department
    )
    assert changed_format >= 10
    standard_columns = set().union(*(referenced_columns(s) for s in standard_sources["sources"]))
    other_columns = set().union(*(referenced_columns(s) for s in other_sources["sources"]))
    assert not standard_columns & other_columns


def test_exit_entry_names_are_romanised_surname_first(standard: CitySummary) -> None:
    contract, files = load(standard)
    source = next(s for s in contract["sources"] if s["name"] == "exit_entry")
    name_columns = source["mentions"][0]["fields"]["name"]
    assert isinstance(name_columns, list) and len(name_columns) == 2
    names = [files["exit_entry"].value(row, name_columns) for row in files["exit_entry"].rows]
    assert all(re.fullmatch(r"[A-Za-z]+ [A-Za-z]+", n) for n in names if n)
    assert any(n.isupper() for n in names) and any(n.istitle() for n in names)


# -- truth ----------------------------------------------------------------------------------------
def test_truth_covers_every_mention_present(city: CitySummary) -> None:
    contract, files = load(city)
    truth = read_csv(city.out / "truth.csv")
    assert list(truth[0]) == ["source", "record_id", "role", "entity", "true_id"]
    truth_keys = Counter((t["source"], t["record_id"], t["role"]) for t in truth)
    assert max(truth_keys.values()) == 1
    prefixes = {"person": "P", "enterprise": "E", "rental_unit": "U"}
    assert all(re.fullmatch(prefixes[t["entity"]] + r"\d{6}", t["true_id"]) for t in truth)
    broken = {(b["source"], b["record_id"]) for b in read_csv(city.out / "broken_rows.csv")}
    seen = set()
    for source in contract["sources"]:
        reader = files[source["name"]]
        for row in reader.rows:
            record_id = str(row[source["record_id"]])
            for mention in source["mentions"]:
                present = any(reader.value(row, c) for c in mention["fields"].values())
                key = (source["name"], record_id, mention["role"])
                assert (key in truth_keys) == present, key
                seen.add(key)
                identified = any(
                    reader.value(row, c) for f, c in mention["fields"].items() if f in IDENTIFYING
                )
                assert identified or not present or (source["name"], record_id) in broken, key
    unparsed = truth_keys.keys() - seen
    assert {(s, r) for s, r, _ in unparsed} <= broken
    assert city.mentions == len(truth)


def test_one_true_entity_per_person_in_a_source_row(standard: CitySummary) -> None:
    truth = read_csv(standard.out / "truth.csv")
    marriage = defaultdict(dict)
    for t in truth:
        if t["source"] == "marriage":
            marriage[t["record_id"]][t["role"]] = t["true_id"]
    assert marriage and all(r["husband"] != r["wife"] for r in marriage.values() if len(r) == 2)
    units = defaultdict(set)
    for t in truth:
        if t["source"] == "rental" and t["role"] == "unit":
            units[t["true_id"]].add(t["record_id"])
    assert sum(len(records) > 1 for records in units.values()) > len(units) / 4


# -- identifiers ----------------------------------------------------------------------------------
def test_check_characters_match_the_standards() -> None:
    assert resident_id_check_char("11010519491231002") == "X"
    assert is_valid_resident_id("11010519491231002X")
    assert not is_valid_resident_id("11010519491231002x")
    assert not is_valid_resident_id("110105194912310021")
    assert org_code_check_char("M000100Y") == "4"
    assert uscc_check_char("91350100M000100Y4") == "3"
    assert is_valid_uscc("91350100M000100Y43") and is_valid_uscc("91110000600037341L")
    assert not is_valid_uscc("91350100M000100Y44")
    rng = random.Random(3)
    for _ in range(200):
        first17 = "".join(rng.choice("0123456789") for _ in range(17))
        assert resident_id_check_char(first17) == ric.calc_check_digit(first17 + "?")
        assert uscc_check_char(first17) == uscc.calc_check_digit(first17)


def test_clean_identifiers_of_the_true_city_are_valid() -> None:
    world = true_city(2000, SEED)
    citizens = [p for p in world.persons if not p.foreign]
    assert len({p.id_number for p in world.persons}) == len(world.persons)
    for person in citizens:
        number = person.id_number
        assert is_valid_resident_id(number), number
        assert ric.calc_check_digit(number) == number[17]
        assert number[6:14] == f"{person.birth:%Y%m%d}"
        assert int(number[16]) % 2 == (1 if person.male else 0)
        if person.birth.year < 2000:
            assert from_old_resident_id(to_old_resident_id(number)) == number
    assert sum(p.id_number.startswith("4401") for p in citizens) > 0.7 * len(citizens)
    for enterprise in world.enterprises:
        assert is_valid_uscc(enterprise.uscc) and uscc.is_valid(enterprise.uscc)
        assert enterprise.uscc[2:8] == world.geography.district_code[enterprise.district]
    assert len({e.uscc for e in world.enterprises}) == len(world.enterprises)
    foreigners = [p for p in world.persons if p.foreign]
    assert foreigners and all(p.passport == p.id_number for p in foreigners)


def test_most_identifiers_in_the_files_are_clean(standard: CitySummary) -> None:
    _, files = load(standard)
    ids = [row["公民身份号码"] for row in files["hukou"].rows if row["公民身份号码"]]
    valid = sum(is_valid_resident_id(i) for i in ids)
    assert 0.95 < valid / len(ids) < 1
    codes = [row["统一社会信用代码"] for row in files["enterprise"].rows]
    assert sum(is_valid_uscc(c) for c in codes) / len(codes) > 0.97


# -- the city -------------------------------------------------------------------------------------
def test_population_is_realistic() -> None:
    world = true_city(6000, SEED)
    persons = world.persons
    surnames = Counter(p.surname for p in persons if not p.foreign)
    assert surnames.most_common(1)[0][0] == "陈"
    assert {"欧阳", "司徒"} & surnames.keys() and {"曾", "区", "单", "解", "朴"} & surnames.keys()
    full_names = Counter(p.surname + p.given for p in persons if not p.foreign)
    assert full_names.most_common(1)[0][1] >= 5  # 陈伟 and friends are many people
    for person in persons:
        if person.spouse >= 0:
            assert persons[person.spouse].spouse == person.index
            assert persons[person.spouse].male != person.male
        for parent in (person.mother, person.father):
            if parent >= 0:
                assert person.index in persons[parent].children
                assert persons[parent].birth + dt.timedelta(days=16 * 365) < person.birth
    assert 0.002 < sum(p.foreign for p in persons) / len(persons) < 0.02
    assert sum(p.hukou != p.residence for p in persons if p.hukou) > 0.1 * len(persons)
    assert len(world.enterprises) == 300
    assert 0.2 <= len(world.rental_units) / len(persons) <= 0.3
    assert any(e.parent >= 0 and e.name.endswith("分公司") for e in world.enterprises)


def test_entity_counts_and_record_volume(standard: CitySummary) -> None:
    assert standard.entities == {"person": 3000, "enterprise": 150, "rental_unit": 750}
    assert 2.8 < standard.rows / standard.persons < 4.2
    assert len(standard.rows_per_source) >= 16
    assert standard.elapsed_seconds > 0


def test_repeat_offending_vendors(standard: CitySummary) -> None:
    truth = read_csv(standard.out / "truth.csv")
    per_vendor = Counter(t["true_id"] for t in truth if t["source"] == "violations")
    tiers = Counter(
        "first" if n == 1 else "twice" if n == 2 else "occasional" if n <= 5 else "habitual"
        for n in per_vendor.values()
    )
    assert tiers["first"] > tiers["twice"] > 0 and tiers["occasional"] > 0 and tiers["habitual"] > 0
    assert tiers["first"] > len(per_vendor) / 3
    world = true_city(PERSONS, SEED)
    places = defaultdict(set)
    for violation in world.violations:
        places[violation.vendor].add(violation.place)
    habitual = [v for v, n in Counter(v.vendor for v in world.violations).items() if n >= 6]
    assert all(len(places[v]) < Counter(x.vendor for x in world.violations)[v] for v in habitual)


# -- noise ----------------------------------------------------------------------------------------
def test_noise_rates_applied_match_the_documented_rates(city: CitySummary) -> None:
    report = json.loads((city.out / "noise.json").read_text(encoding="utf-8"))
    assert set(report["base_rates"]) == set(NOISE_KINDS)
    checked = 0
    for source, entry in report["sources"].items():
        for kind, counts in entry["kinds"].items():
            rate, eligible, applied = counts["rate"], counts["eligible"], counts["applied"]
            assert counts["observed_rate"] == pytest.approx(applied / eligible, abs=1e-6)
            if eligible >= 200:
                spread = 4.5 * math.sqrt(rate * (1 - rate) / eligible) + 1 / eligible
                assert abs(applied / eligible - rate) <= spread, (source, kind, counts)
                checked += 1
    assert checked > 100
    applied_kinds = {k for k, total in report["totals"].items() if total["applied"]}
    assert applied_kinds == set(NOISE_KINDS)


def test_quality_scales_error_rates_only() -> None:
    careful = effective_rates(SourceStyle(quality=0.5), "standard")
    sloppy = effective_rates(SourceStyle(quality=2.0), "standard")
    assert sloppy["id_digit_typo"] == pytest.approx(4 * careful["id_digit_typo"])
    assert sloppy["address_room_variant"] == careful["address_room_variant"]
    other = effective_rates(SourceStyle(quality=0.5), "other_team")
    assert other["name_homophone"] != careful["name_homophone"]


def test_noise_is_visible_in_the_files(standard: CitySummary) -> None:
    text = "".join(
        path.read_bytes().decode("gb18030", errors="replace")
        for path in standard.out.iterdir()
        if path.suffix in (".csv", ".jsonl") and path.name not in ("truth.csv", "broken_rows.csv")
    )
    for sign in (
        "陳",
        "黃",
        "之",
        "室",
        "座",
        "\u3000",
        "０",
        "+86",
        "年",
        "（广州）",
        "有限责任公司",
    ):
        assert sign in text, sign
    assert re.search(r"\b\d{15}\b", text), "15-digit IDs"
    assert re.search(r"\b\d{17}x\b", text), "lower-case x"
    for date in (
        r"\d{4}-\d{2}-\d{2}",
        r"\b\d{8}\b",
        r"\d{4}/\d{1,2}/\d{1,2}",
        r"\d{4}年\d+月\d+日",
    ):
        assert re.search(date, text), date


# -- broken rows ----------------------------------------------------------------------------------
def test_broken_rows_are_listed_and_really_broken(city: CitySummary) -> None:
    contract, files = load(city)
    broken = read_csv(city.out / "broken_rows.csv")
    assert list(broken[0]) == ["source", "record_id", "row_number", "kind", "detail"]
    kinds = Counter(b["kind"] for b in broken)
    expected = {"wrong_field_count", "malformed_json", "undecodable_bytes", "no_identifying_field"}
    assert set(kinds) == expected
    assert 0.001 < len(broken) / city.rows < 0.008
    for source in contract["sources"]:
        reader = files[source["name"]]
        listed = {
            int(b["row_number"]): b["kind"]
            for b in broken
            if b["source"] == source["name"] and b["kind"] != "no_identifying_field"
        }
        assert reader.unreadable == listed, source["name"]
        by_id = {str(row[source["record_id"]]): row for row in reader.rows}
        for entry in broken:
            if entry["source"] != source["name"] or entry["kind"] != "no_identifying_field":
                continue
            row = by_id[entry["record_id"]]
            bare = [
                m
                for m in source["mentions"]
                if not any(reader.value(row, c) for f, c in m["fields"].items() if f in IDENTIFYING)
                and any(reader.value(row, c) for c in m["fields"].values())
            ]
            assert bare, entry
