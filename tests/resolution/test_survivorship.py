"""Survivorship rule chains on hand-built golden members, with provenance."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from loaders import staging
from resolution.errors import RulesError
from resolution.golden import SCHEMA_SQL
from resolution.survivorship import build_golden_records, load_rules
from tests.resolution.test_cluster import stage_mentions


@pytest.fixture
def connection(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = staging.connect(tmp_path)
    for statement in SCHEMA_SQL:
        connection.execute(statement)
    yield connection
    connection.close()


def set_members(connection, entity: str, members: dict[str, list[str]]) -> None:
    for golden_id, mention_ids in members.items():
        for mention_id in mention_ids:
            connection.execute(
                "INSERT INTO golden_members VALUES (?, ?, ?)", [mention_id, entity, golden_id]
            )


def chosen(connection, entity: str = "person") -> dict[tuple[str, str], tuple]:
    """(golden id, attribute) → (value, source, record_id, role, rule)."""
    rows = connection.execute(
        f"SELECT golden_id, attribute, value, source, record_id, role, rule "
        f"FROM golden_records_{entity}"
    ).fetchall()
    return {(g, a): tuple(rest) for g, a, *rest in rows}


def test_person_chains_pick_valid_then_frequent_then_recent_with_provenance(connection):
    stage_mentions(
        connection,
        "person",
        [
            {
                "mention_id": "hukou/1/p",
                "name": "张伟",
                "id_number": "440104198503070011",
                "id_valid": True,
                "id_birth_date": date(1985, 3, 7),
                "id_gender": "M",
                "birth_date": date(1985, 3, 8),
                "phone": "13800000001",
                "phone_valid": True,
                "batch_id": 1,
            },
            {
                "mention_id": "rental/7/tenant",
                "name": "张玮",
                "id_number": "440104198503070012",
                "id_valid": False,
                "birth_date": date(1985, 3, 8),
                "gender": "F",
                "phone": "13800000002",
                "phone_valid": True,
                "batch_id": 2,
            },
            {
                "mention_id": "rental/8/tenant",
                "name": "张玮",
                "phone": "1380000",
                "phone_valid": False,
                "batch_id": 3,
            },
        ],
    )
    set_members(connection, "person", {"P-1": ["hukou/1/p", "rental/7/tenant", "rental/8/tenant"]})
    assert build_golden_records(connection, "person") == 1
    got = chosen(connection)
    # the name given beside a valid ID wins over the more frequent one
    assert got["P-1", "name"] == ("张伟", "hukou", "1", "p", "valid_over_invalid")
    assert got["P-1", "id_number"][0] == "440104198503070011"
    # a birth date derived from a valid ID beats two stated ones
    assert got["P-1", "birth_date"] == ("1985-03-07", "hukou", "1", "p", "valid_over_invalid")
    assert got["P-1", "gender"][0] == "M"
    # the newest valid phone; the newest of all is invalid
    assert got["P-1", "phone"] == ("13800000002", "rental", "7", "tenant", "most_recent")
    wide = connection.execute(
        "SELECT golden_id, name, birth_date, gender, mention_count, sources FROM golden_person"
    ).fetchall()
    assert wide == [("P-1", "张伟", date(1985, 3, 7), "M", 3, ["hukou", "rental"])]


def test_without_a_valid_id_the_most_frequent_stated_value_wins(connection):
    stage_mentions(
        connection,
        "person",
        [
            {"mention_id": "a/1/p", "birth_date": date(1990, 1, 2), "batch_id": 9},
            {"mention_id": "b/1/p", "birth_date": date(1990, 2, 1)},
            {"mention_id": "c/1/p", "birth_date": date(1990, 2, 1)},
            {"mention_id": "d/1/p", "name": "李明"},
        ],
    )
    set_members(connection, "person", {"P-1": ["a/1/p", "b/1/p", "c/1/p"], "P-2": ["d/1/p"]})
    build_golden_records(connection, "person")
    got = chosen(connection)
    # the winning value's provenance is its best mention by the rest of the chain: the latest
    assert got["P-1", "birth_date"] == ("1990-02-01", "c", "1", "p", "most_frequent")
    assert got["P-2", "name"] == ("李明", "d", "1", "p", "only_value")
    assert ("P-2", "birth_date") not in got
    wide = dict(connection.execute("SELECT golden_id, birth_date FROM golden_person").fetchall())
    assert wide == {"P-1": date(1990, 2, 1), "P-2": None}


def test_source_trust_is_configurable_and_the_district_follows_the_address(connection):
    stage_mentions(
        connection,
        "rental_unit",
        [
            {"mention_id": "rental/1/u", "address": "X路1号502", "district": "越秀区"},
            {"mention_id": "rental/2/u", "address": "X路1号502", "district": "越秀区"},
            {"mention_id": "police/1/u", "address": "X路1号之502", "district": "荔湾区"},
            {"mention_id": "urban/1/u", "address": "X路1号502房", "room": "502"},
        ],
    )
    set_members(
        connection,
        "rental_unit",
        {"U-1": ["rental/1/u", "rental/2/u", "police/1/u", "urban/1/u"]},
    )
    rules = copy.deepcopy(load_rules())
    rules["source_trust"] = ["police", "rental"]
    build_golden_records(connection, "rental_unit", rules)
    got = chosen(connection, "rental_unit")
    assert got["U-1", "address"] == ("X路1号之502", "police", "1", "u", "source_trust")
    assert got["U-1", "district"] == ("荔湾区", "police", "1", "u", "same_mention_as")
    # the trusted mention has no room: the next rule decides
    assert got["U-1", "room"] == ("502", "urban", "1", "u", "only_value")
    # per-rule sources override the document's order
    rules["entities"]["rental_unit"]["address"]["rules"] = [
        {"rule": "source_trust", "sources": ["urban"]},
        "most_frequent",
    ]
    build_golden_records(connection, "rental_unit", rules)
    assert chosen(connection, "rental_unit")["U-1", "address"][:2] == ("X路1号502房", "urban")
    # with no trust order at all, frequency decides
    rules["entities"]["rental_unit"]["address"]["rules"] = ["source_trust", "most_frequent"]
    rules["source_trust"] = []
    build_golden_records(connection, "rental_unit", rules)
    assert chosen(connection, "rental_unit")["U-1", "address"] == (
        "X路1号502",
        "rental",
        "1",
        "u",
        "most_frequent",
    )


def test_ties_are_broken_by_the_smallest_value_then_provenance(connection):
    stage_mentions(
        connection,
        "enterprise",
        [
            {"mention_id": "s/2/e", "name": "乙公司", "batch_id": 1, "row_number": 1},
            {"mention_id": "s/1/e", "name": "甲公司", "batch_id": 1, "row_number": 1},
        ],
    )
    set_members(connection, "enterprise", {"E-1": ["s/1/e", "s/2/e"]})
    build_golden_records(connection, "enterprise")
    got = chosen(connection, "enterprise")
    # 乙 (U+4E59) sorts before 甲 (U+7532)
    assert got["E-1", "name"] == ("乙公司", "s", "2", "e", "tie_break")


def test_every_problem_in_the_rules_is_reported(connection):
    rules = {
        "source_trust": "police",
        "entities": {
            "person": {
                "name": {"values": [{"column": "nom"}], "rules": ["most_frequent"]},
                "phone": {
                    "values": [{"column": "phone", "valid": "name"}],
                    "rules": ["loudest"],
                },
                "district": {
                    "values": [{"column": "district"}],
                    "rules": [{"rule": "same_mention_as", "attribute": "nowhere"}],
                },
                "golden_id": {"values": [{"column": "name"}], "rules": ["most_frequent"]},
            }
        },
    }
    with pytest.raises(RulesError) as caught:
        build_golden_records(connection, "person", rules)
    problems = "\n".join(caught.value.problems)
    assert len(caught.value.problems) == 6, problems
    for fragment in ("source_trust", "'nom'", "boolean", "'loudest'", "nowhere", "golden_id"):
        assert fragment in problems


def test_same_mention_as_cycles_are_rejected(connection):
    follow = {"rule": "same_mention_as"}
    rules = {
        "entities": {
            "person": {
                "street": {
                    "values": [{"column": "street"}],
                    "rules": [follow | {"attribute": "district"}],
                },
                "district": {
                    "values": [{"column": "district"}],
                    "rules": [follow | {"attribute": "street"}],
                },
            }
        }
    }
    with pytest.raises(RulesError, match="cycle"):
        build_golden_records(connection, "person", rules)


@pytest.mark.parametrize("entity", ["person", "enterprise", "rental_unit"])
def test_the_default_rules_fit_the_mentions_schema(connection, entity):
    stage_mentions(connection, entity, [{"mention_id": f"s/1/{entity}"}])
    set_members(connection, entity, {"G-1": [f"s/1/{entity}"]})
    assert build_golden_records(connection, entity) == 1
    columns = [
        c
        for (c,) in connection.execute(
            f"SELECT column_name FROM (DESCRIBE golden_{entity})"
        ).fetchall()
    ]
    assert columns[0] == "golden_id"
    assert columns[-2:] == ["mention_count", "sources"]
    assert set(load_rules()["entities"][entity]) == set(columns[1:-2])


def test_a_deployment_replaces_the_rules_and_the_trust_order(tmp_path):
    from resolution.survivorship import deployment_rules

    assert deployment_rules() == load_rules()
    assert deployment_rules(source_trust=["police"])["source_trust"] == ["police"]
    custom = tmp_path / "rules.toml"
    custom.write_text(
        'source_trust = ["a"]\n[entities.person.name]\nvalues = [{column = "name"}]\n'
        'rules = ["source_trust"]\n[entities.enterprise.name]\nvalues = [{column = "name"}]\n'
        'rules = ["most_frequent"]\n[entities.rental_unit.address]\n'
        'values = [{column = "address"}]\nrules = ["loudest"]\n',
        encoding="utf-8",
    )
    with pytest.raises(RulesError) as caught:
        deployment_rules(custom)
    assert "entities.rental_unit.address.rules[0]: unknown rule 'loudest'" in str(caught.value)
    assert str(custom) in str(caught.value)
