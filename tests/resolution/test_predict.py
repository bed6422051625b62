"""Training and prediction on hand-made mentions in a real DuckDB workspace with real Splink."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from splink.internals.linker_components.table_management import LinkerTableManagement

from loaders import staging
from resolution import predict
from resolution.blocking_recall import blocking_recall
from resolution.cluster import cluster_entity
from resolution.engines import DuckDBEngine
from resolution.errors import ModelSpecError
from resolution.model_spec import ENTITIES, load_model_spec, parse_model_spec, weights_are_sane
from resolution.predict import pairs_columns, train_and_predict
from resolution.training import regularise

# -- building mentions ------------------------------------------------------------------------

PINYIN = {
    "陈": "chen", "陳": "chen", "张": "zhang", "張": "zhang", "黄": "huang", "黃": "huang",
    "王": "wang", "李": "li", "林": "lin", "梁": "liang", "刘": "liu", "伟": "wei", "偉": "wei",
    "玮": "wei", "芳": "fang", "丽": "li", "莉": "li", "明": "ming", "铭": "ming", "华": "hua",
    "强": "qiang", "敏": "min", "静": "jing", "军": "jun", "杰": "jie", "婷": "ting", "建": "jian",
    "国": "guo", "志": "zhi", "秀": "xiu", "英": "ying", "海": "hai", "平": "ping", "红": "hong",
}  # fmt: skip
SIMPLIFIED = {"陳": "陈", "張": "张", "黃": "黄", "偉": "伟"}
TRADITIONAL = {v: k for k, v in SIMPLIFIED.items()}
HOMOPHONE = {"huang": "wang", "zh": "z", "ch": "c", "sh": "s"}


def name_fields(name: str) -> dict:
    """The standardised name columns of a CJK person name, as the standardiser would give."""
    surname, given = name[0], name[1:]
    surname_key = PINYIN[surname]
    given_key = "".join(PINYIN[c] for c in given)
    key = f"{surname_key} {given_key}"
    fuzzy = []
    for part in (surname_key, given_key):
        part = HOMOPHONE.get(part, part)
        for long, short in (("zh", "z"), ("ch", "c"), ("sh", "s")):
            if part.startswith(long):
                part = short + part[2:]
        fuzzy.append(part)
    return {
        "name": name,
        "name_key": key,
        "name_homophone_key": " ".join(fuzzy),
        "surname": surname,
        "surname_key": surname_key,
        "given_name": given,
    }


def resident_id(region: str, born: dt.date, sequence: int) -> str:
    """An 18-character resident ID with its ISO 7064 MOD 11-2 check character."""
    body = f"{region}{born:%Y%m%d}{sequence:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def id_fields(id_number: str, *, converted: bool = False) -> dict:
    born = dt.datetime.strptime(id_number[6:14], "%Y%m%d").date()
    return {
        "id_number": id_number,
        "id_valid": id_number == resident_id(id_number[:6], born, int(id_number[14:17])),
        "id_converted_from_15": converted,
        "id_birth_date": born,
        "id_gender": "男" if int(id_number[16]) % 2 else "女",
    }


def address_fields(road: str, number: int, room: str | None, district: str = "天河区") -> dict:
    point = f"{road}|{number}|"
    return {
        "district": district,
        "road": road,
        "house_number": str(number),
        "room": room,
        "point_key": point,
        "unit_key": f"{point}||{room}" if room else None,
    }


def stage(connection: duckdb.DuckDBPyConnection, entity: str, rows: list[dict]) -> None:
    """Insert mentions of ``entity``; ``mention_id`` is ``source/record_id/role``."""
    filled = []
    for number, row in enumerate(rows, start=1):
        source, record_id, role = row["mention_id"].split("/")
        base = {name: None for name in staging.MENTION_SCHEMA.names}
        base.update(
            source=source,
            record_id=record_id,
            role=role,
            entity=entity,
            row_number=number,
            batch_id=1,
        )
        base.update(row)
        filled.append(base)
    connection.register("_staged", pa.Table.from_pylist(filled, schema=staging.MENTION_SCHEMA))
    connection.execute("INSERT INTO mentions SELECT * FROM _staged")
    connection.unregister("_staged")


def relate(connection: duckdb.DuckDBPyConnection, edges: list[tuple[str, str, str]]) -> None:
    """Insert relations (from mention, type, to mention) between mentions of one row."""
    connection.executemany(
        "INSERT INTO relations VALUES (?, ?, ?, ?, ?)",
        [(*source.split("/")[:2], kind, source, target) for source, kind, target in edges],
    )


SURNAMES = "陈张黄王李林梁刘"
GIVEN = ["伟", "芳", "丽", "明", "华", "强", "敏", "静", "军", "杰", "婷", "建国", "志明", "秀英"]
ROADS = ["天河路", "中山大道", "环市东路", "江南大道", "黄埔大道", "东风路"]
DISTRICTS = ["天河区", "越秀区", "海珠区", "白云区"]
SOURCES = ["police", "civil", "labour", "health"]


def synthetic_persons(persons: int, seed: int) -> tuple[list[dict], list[tuple[str, str]]]:
    """``persons`` people with 1–4 noisy mentions each (traditional forms, homophones, swapped
    or mistyped ID digits, missing fields, but always an ID or a birth date); returns the
    mentions and (mention_id, true_id)."""
    rng = random.Random(seed)
    mentions: list[dict] = []
    truth: list[tuple[str, str]] = []
    for p in range(persons):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 55))
        true_id = resident_id("440106", born, rng.randrange(1, 999))
        phone = f"13{rng.randrange(10**9):09d}"
        district = rng.choice(DISTRICTS)
        home = address_fields(
            rng.choice(ROADS),
            rng.randrange(1, 400),
            f"{rng.randrange(1, 30)}0{rng.randrange(1, 9)}",
        )
        home["district"] = district
        for k in range(rng.choice([1, 2, 2, 3, 3, 4])):
            row: dict = {"mention_id": f"{SOURCES[k]}/{p}/person"}
            shown = name
            roll = rng.random()
            if roll < 0.1:
                shown = "".join(TRADITIONAL.get(c, c) for c in name)
            elif roll < 0.15 and name[-1] == "伟":
                shown = name[:-1] + "玮"
            row.update(name_fields(shown))
            id_number = true_id
            roll = rng.random()
            if roll < 0.08:
                i = rng.randrange(14, 16)
                id_number = id_number[:i] + id_number[i + 1] + id_number[i] + id_number[i + 2 :]
            elif roll < 0.14:
                i = rng.randrange(6, 17)
                id_number = id_number[:i] + str((int(id_number[i]) + 1) % 10) + id_number[i + 1 :]
            has_id = rng.random() < 0.8
            if has_id:
                try:
                    row.update(id_fields(id_number))
                except ValueError:
                    row.update(id_number=id_number, id_valid=False)
            if not has_id or rng.random() < 0.5:
                row["birth_date"] = born
            if rng.random() < 0.5:
                row["phone"] = phone
            if rng.random() < 0.6:
                row.update(home)
            mentions.append(row)
            truth.append((row["mention_id"], f"P{p}"))
    return mentions, truth


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def connection(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh workspace, created by ingest's own schema."""
    connection = staging.connect(tmp_path / "work")
    yield connection
    connection.close()


def pairs(connection: duckdb.DuckDBPyConnection, entity: str = "person") -> dict:
    rows = connection.execute(
        f"SELECT mention_id_l, mention_id_r, match_probability FROM pairs_{entity}"
    ).fetchall()
    return {(left, right): probability for left, right, probability in rows}


def probability(scored: dict, a: str, b: str) -> float:
    return scored.get((min(a, b), max(a, b)), 0.0)


CHEN_WEI = {
    **name_fields("陈伟"),
    **id_fields(resident_id("440106", dt.date(1985, 3, 7), 123)),
    "birth_date": dt.date(1985, 3, 7),
    "phone": "13800138000",
    **address_fields("天河路", 12, "502"),
}


def hand_made_persons() -> list[dict]:
    true_id = CHEN_WEI["id_number"]
    swapped = true_id[:14] + true_id[15] + true_id[14] + true_id[16:]
    return [
        {"mention_id": "police/1/resident", **CHEN_WEI},
        # the same man: traditional characters, the old 15-digit ID converted by the standardiser
        {
            "mention_id": "civil/7/spouse",
            **name_fields("陳偉"),
            **id_fields(true_id, converted=True),
        },
        # the same man again: two ID digits swapped, same phone and unit
        {
            "mention_id": "labour/3/employee",
            **name_fields("陈伟"),
            **id_fields(swapped),
            "phone": "13800138000",
            **address_fields("天河路", 12, "502"),
        },
        # a different 陈伟: other ID, other birth date, other phone, same road
        {
            "mention_id": "health/5/parent",
            **name_fields("陈伟"),
            **id_fields(resident_id("440104", dt.date(1990, 11, 21), 357)),
            "birth_date": dt.date(1990, 11, 21),
            "phone": "13912345678",
            **address_fields("天河路", 88, "1201"),
        },
        # two more different 张伟
        {
            "mention_id": "police/2/resident",
            **name_fields("张伟"),
            **id_fields(resident_id("440103", dt.date(1978, 6, 1), 111)),
        },
        {
            "mention_id": "labour/9/employee",
            **name_fields("张伟"),
            **id_fields(resident_id("440111", dt.date(1978, 6, 2), 246)),
            "district": "天河区",
        },
    ]


# -- models -----------------------------------------------------------------------------------


@pytest.mark.parametrize("entity", ENTITIES)
def test_model_files_load_and_validate(entity: str) -> None:
    spec = load_model_spec(entity)
    assert spec.entity == entity
    settings = spec.settings_creator().get_settings("duckdb")
    assert [c.output_column_name for c in settings.comparisons] == spec.comparison_names
    assert 0 < spec.predict_threshold <= spec.review_band[0] < spec.review_band[1] <= 1
    assert spec.review_band[0] <= spec.cluster_threshold <= 1
    assert spec.blocking_rules and spec.training.deterministic_rules
    for comparison in spec.comparisons:
        assert weights_are_sane(comparison["comparison_levels"]), comparison["output_column_name"]


def test_a_broken_model_lists_every_problem() -> None:
    raw = json.loads(load_model_spec("person").path.read_text(encoding="utf-8"))
    raw["entity"] = "martian"
    raw["blocking_rules"][0]["on"] = ["shoe_size"]
    raw["comparisons"][0]["comparison_levels"][1]["m_probability"] = 0.0001
    raw["thresholds"]["review_band"] = [0.9, 0.3]
    with pytest.raises(ModelSpecError) as caught:
        parse_model_spec(raw)
    problems = "\n".join(caught.value.problems)
    assert "martian" in problems
    assert "shoe_size" in problems
    assert "sum to" in problems
    assert "review_band" in problems


def test_the_attach_step_is_checked() -> None:
    raw = json.loads(load_model_spec("person").path.read_text(encoding="utf-8"))
    assert load_model_spec("person").attach is not None
    raw["attach"] = {"key": "", "min_probability": 1.5, "bar": "phone IS NULL", "witness": " "}
    with pytest.raises(ModelSpecError) as caught:
        parse_model_spec(raw)
    problems = "\n".join(caught.value.problems)
    assert "attach: unknown key 'bar'" in problems
    assert "attach.key" in problems
    assert "attach.bare" in problems
    assert "attach.min_probability" in problems
    assert "attach.witness" in problems
    assert load_model_spec("person").attach.witness is None
    assert load_model_spec("enterprise").attach.witness is not None
    assert load_model_spec("enterprise").attach.short is not None
    del raw["attach"]
    assert parse_model_spec(raw).attach is None


def test_related_values_are_checked() -> None:
    raw = json.loads(load_model_spec("person").path.read_text(encoding="utf-8"))
    raw["related"] = {
        "sibling_key": {"relation": "SIBLING_OF", "value": "name_key"},
        "home_key": {"relation": "RENTS", "direction": "sideways", "value": ""},
        "Bad Name": {"relation": "RENTS", "value": "unit_key"},
        "district": {"relation": "RENTS", "value": "district"},
    }
    with pytest.raises(ModelSpecError) as caught:
        parse_model_spec(raw)
    problems = "\n".join(caught.value.problems)
    assert "related.sibling_key.relation: 'SIBLING_OF'" in problems
    assert "related.home_key.direction" in problems
    assert "related.home_key.value" in problems
    assert "related.Bad Name" in problems
    assert "related.district: not a valid name, or the name of a column of mentions" in problems
    assert [r.name for r in load_model_spec("person").related]  # the person model reads some


# -- prediction -------------------------------------------------------------------------------


def test_obvious_duplicates_score_high_and_namesakes_low(
    connection: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    stage(connection, "person", hand_made_persons())
    result = train_and_predict(connection, "person", tmp_path / "work")
    scored = pairs(connection)
    spec = load_model_spec("person")

    assert not result.trained  # six mentions: the priors decide
    assert probability(scored, "police/1/resident", "civil/7/spouse") > spec.cluster_threshold
    assert probability(scored, "police/1/resident", "labour/3/employee") > spec.cluster_threshold
    assert probability(scored, "civil/7/spouse", "labour/3/employee") > spec.cluster_threshold
    for other in ("police/1/resident", "civil/7/spouse", "labour/3/employee"):
        assert probability(scored, other, "health/5/parent") < spec.review_band[0]
    assert probability(scored, "police/2/resident", "labour/9/employee") < spec.review_band[0]


def test_pairs_table_has_weights_for_every_comparison(
    connection: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    stage(connection, "person", hand_made_persons())
    train_and_predict(connection, "person", tmp_path / "work")
    spec = load_model_spec("person")
    described = connection.execute("DESCRIBE pairs_person").fetchall()
    assert [(row[0], row[1]) for row in described] == pairs_columns(spec)
    for name in spec.comparison_names:
        assert f"mw_{name}" in {row[0] for row in described}
    row = connection.execute(
        "SELECT gamma_id_number, mw_id_number, blocking_rule FROM pairs_person "
        "WHERE mention_id_l = 'labour/3/employee' AND mention_id_r = 'police/1/resident'"
    ).fetchall()
    assert row and row[0][0] == 2 and row[0][1] > 10  # one edit (gamma 2 of 0–3): strong
    assert row[0][2] in {rule.name for rule in spec.blocking_rules}
    # Splink's working tables stay out of the workspace
    tables = {r[0] for r in connection.execute("SHOW TABLES").fetchall()}
    assert not {t for t in tables if t.startswith("__splink")}


def test_identical_mentions_are_one_profile_linked_to_its_first_mention(
    connection: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    landlord = {key: value for key, value in CHEN_WEI.items() if key != "birth_date"}
    stage(
        connection,
        "person",
        [{"mention_id": f"rental/{n}/landlord", **landlord} for n in range(1, 5)]
        + hand_made_persons()[1:],
    )
    result = train_and_predict(connection, "person", tmp_path / "work")
    assert result.mentions == 9 and result.profiles == 6
    profiles = dict(
        connection.execute(
            "SELECT mention_id, profile_id FROM mention_profiles_person WHERE profile_size = 4"
        ).fetchall()
    )
    assert set(profiles) == {f"rental/{n}/landlord" for n in range(1, 5)}
    assert set(profiles.values()) == {"rental/1/landlord"}
    identical = connection.execute(
        "SELECT mention_id_l, mention_id_r, match_probability FROM pairs_person "
        "WHERE blocking_rule = 'identical' ORDER BY mention_id_r"
    ).fetchall()
    assert [(left, right) for left, right, _ in identical] == [
        ("rental/1/landlord", f"rental/{n}/landlord") for n in range(2, 5)
    ]
    assert all(probability > 0.99 for _, _, probability in identical)
    # the profile is linked to the same man's other mentions through its first mention only
    scored = pairs(connection)
    assert probability(scored, "civil/7/spouse", "rental/1/landlord") > 0.9
    assert probability(scored, "civil/7/spouse", "rental/2/landlord") == 0.0


def test_untrainable_weights_fall_back_to_priors() -> None:
    spec = load_model_spec("person")
    model = spec.settings_creator().create_settings_dict("duckdb")
    for comparison in model["comparisons"]:
        if comparison["output_column_name"] == "phone":
            same, other = comparison["comparison_levels"][1:]
            same["m_probability"], same["u_probability"] = 0.01, 0.5  # agreement as evidence
            other["m_probability"], other["u_probability"] = 0.99, 0.5  # against a match
    notes: list[str] = []
    regularised = regularise(model, spec, 1e-4, True, notes)
    assert "phone: trained weights not sane, priors used" in notes
    phone = next(c for c in regularised["comparisons"] if c["output_column_name"] == "phone")
    prior = next(c for c in spec.comparisons if c["output_column_name"] == "phone")
    assert (
        phone["comparison_levels"][1]["m_probability"]
        == prior["comparison_levels"][1]["m_probability"]
    )
    assert weights_are_sane(phone["comparison_levels"])


def fixed_u(model: dict) -> dict[tuple[str, str], float]:
    return {
        (comparison["output_column_name"], level["label_for_charts"]): level["u_probability"]
        for comparison in model["comparisons"]
        for level in comparison["comparison_levels"]
        if level.get("fix_u_probability")
    }


def regularised_at(spec, lam: float, notes: list[str]) -> dict:
    """The spec's prior model as training would leave it on a city whose λ is ``lam``."""
    model = spec.settings_creator(probability_two_random_records_match=lam)
    return regularise(model.create_settings_dict("duckdb"), spec, lam, True, notes)


def test_a_place_models_fixed_u_follow_lambda_down_never_up() -> None:
    """A city with 100 times the units has 100 times the addresses: an exact address is as
    strong a sign there as on the city the model file's u were fixed for."""
    spec = load_model_spec("rental_unit")
    assert spec.training.fixed_u_follow_lambda
    prior = fixed_u(spec.settings_creator().create_settings_dict("duckdb"))
    big = regularised_at(spec, spec.probability_two_random_records_match / 100, notes := [])
    assert fixed_u(big) == pytest.approx({key: u / 100 for key, u in prior.items()}, rel=0.02)
    assert any(note.startswith("fixed u × 0.01") for note in notes)
    small = regularised_at(spec, 0.01, [])
    assert fixed_u(small) == pytest.approx(prior, rel=0.02)  # renormalised with the rest
    # persons' fixed u are coincidences of identifiers, not of place: they stay
    person = load_model_spec("person")
    person_prior = fixed_u(person.settings_creator().create_settings_dict("duckdb"))
    assert fixed_u(regularised_at(person, 1e-7, [])) == pytest.approx(person_prior, rel=0.02)


def test_a_unit_written_in_another_district_or_street_is_not_the_same_unit(
    connection: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """The address point has no district and districts share road names: 黄边西路 183号 601房
    in 天河区 and 黄边街 183号 601房 in 白云区 are two units; written with a district on one
    side only, the road variant is still the same unit."""

    def unit(mention_id: str, road: str, district: str | None, street: str | None) -> dict:
        return {
            "mention_id": mention_id,
            **address_fields(road, 183, "601", district),
            "street": street,
            "road_core": "黄边",
        }

    stage(
        connection,
        "rental_unit",
        [
            unit("housing/1/unit", "黄边西路", "天河区", "车陂街道"),
            unit("police/1/unit", "黄边街", "白云区", "嘉禾街道"),  # another district
            unit("police/2/unit", "黄边路", "天河区", "员村街道"),  # another street
            unit("police/3/unit", "黄边路", None, "车陂街道"),  # a district not written
            unit("police/4/unit", "黄边西路", "白云区", None),  # exact, another district
        ],
    )
    train_and_predict(connection, "rental_unit", tmp_path / "work")
    units = pairs(connection, "rental_unit")
    threshold = load_model_spec("rental_unit").cluster_threshold
    assert probability(units, "housing/1/unit", "police/3/unit") > threshold
    for other in ("police/1/unit", "police/2/unit", "police/4/unit"):
        assert probability(units, "housing/1/unit", other) < 0.3


@pytest.mark.parametrize("count", [0, 1])
def test_no_or_one_mention_gives_an_empty_pairs_table(
    connection: duckdb.DuckDBPyConnection, tmp_path: Path, count: int
) -> None:
    stage(connection, "person", hand_made_persons()[:count])
    result = train_and_predict(connection, "person", tmp_path / "work")
    assert result.mentions == count and result.pairs == 0
    assert connection.execute("SELECT count(*) FROM pairs_person").fetchall() == [(0,)]
    assert json.loads(result.model_path.read_text(encoding="utf-8"))["comparisons"]


def test_every_entity_type_runs(connection: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    stage(
        connection,
        "enterprise",
        [
            {
                "mention_id": "commerce/1/enterprise",
                "name": "广州市恒通贸易有限公司",
                "name_key": "hengtong maoyi",
                "ent_brand": "恒通贸易",
                "ent_legal_form": "有限公司",
                "ent_is_branch": False,
                "uscc": "91440101MA59ABCD1X",
                **address_fields("天河路", 12, None),
            },
            {
                "mention_id": "tax/4/enterprise",
                "name": "恒通贸易（广州）有限公司",
                "name_key": "hengtong maoyi",
                "ent_brand": "恒通贸易",
                "ent_legal_form": "有限公司",
                "ent_is_branch": False,
                "uscc": "91440101MA59ABCD1X",
            },
            {
                "mention_id": "tax/5/enterprise",
                "name": "广州市恒通贸易有限公司天河分公司",
                "name_key": "hengtong maoyi",
                "ent_brand": "恒通贸易",
                "ent_legal_form": "有限公司",
                "ent_is_branch": True,
                "ent_branch_name": "天河",
                **address_fields("天河路", 12, None),
            },
        ],
    )
    stage(
        connection,
        "rental_unit",
        [
            {"mention_id": "housing/1/unit", **address_fields("天河路", 12, "502")},
            {"mention_id": "police/8/unit", **address_fields("天河路", 12, "502")},
            {"mention_id": "police/9/unit", **address_fields("天河路", 12, "503")},
        ],
    )
    enterprise = train_and_predict(connection, "enterprise", tmp_path / "work")
    rental = train_and_predict(connection, "rental_unit", tmp_path / "work")
    assert enterprise.pairs and rental.pairs
    firms = pairs(connection, "enterprise")
    assert probability(firms, "commerce/1/enterprise", "tax/4/enterprise") > 0.9
    # a branch is not its parent
    assert probability(firms, "commerce/1/enterprise", "tax/5/enterprise") < 0.3
    units = pairs(connection, "rental_unit")
    assert probability(units, "housing/1/unit", "police/8/unit") > 0.9
    assert probability(units, "housing/1/unit", "police/9/unit") < 0.3


def firm(mention_id: str, name: str, brand: str, key: str, uscc: str | None = None) -> dict:
    """An enterprise mention written with ``name`` (brand and its pinyin ``key`` given)."""
    return {
        "mention_id": mention_id,
        "name": name,
        "name_key": key,
        "ent_brand": brand,
        "ent_trade_name": brand[:2],
        "ent_is_branch": False,
        "uscc": uscc,
        "uscc_valid": True if uscc else None,
    }


def test_a_district_in_a_shops_name_and_a_short_homophone_weigh_as_they_should(
    connection: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    stage(
        connection,
        "enterprise",
        [
            firm("registry/1/e", "越秀区郑记水果店", "郑记水果店", "zhengjishuiguodian", "U1"),
            firm("registry/2/e", "白云区郑记水果店", "郑记水果店", "zhengjishuiguodian", "U2"),
            firm("tickets/3/shop", "越秀区郑记水果店", "郑记水果店", "zhengjishuiguodian"),
            firm("registry/4/e", "广州锦泰", "锦泰", "jintai", "U4"),
            firm("insurance/5/e", "广州金泰", "金泰", "jintai"),
            firm("registry/6/e", "广州恒通贸易", "恒通贸易", "hengtongmaoyi", "U6"),
            firm("insurance/7/e", "广州衡通贸易", "衡通贸易", "hengtongmaoyi"),
        ],
    )
    train_and_predict(connection, "enterprise", tmp_path / "work")
    firms = pairs(connection, "enterprise")
    # the shop written on a ticket is the one of the district its name says
    same = probability(firms, "tickets/3/shop", "registry/1/e")
    other = probability(firms, "tickets/3/shop", "registry/2/e")
    assert same > 0.9 > other
    # two characters sounding alike are common (金泰/锦泰); four are not (恒通贸易/衡通贸易)
    short = probability(firms, "insurance/5/e", "registry/4/e")
    assert short < 0.9 and probability(firms, "insurance/7/e", "registry/6/e") > short


def test_a_short_name_keeps_its_weak_pairs_with_every_firm_of_its_trade_name(
    connection: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """广州泰拓 written alone where a dozen registered firms are called 泰拓…: the model scores
    it low with each, below the predict threshold, but clustering needs those pairs for the one
    its witnesses name, so they are kept; two registered firms' weak pair is not."""
    trades = ["广告", "电子", "餐饮", "家具", "食品", "物流", "贸易", "科技", "五金", "装饰"]
    stage(
        connection,
        "enterprise",
        [
            firm(f"registry/{i}/e", f"广州泰拓{t}", f"泰拓{t}", f"taituo{i}", f"U{i}")
            for i, t in enumerate(trades)
        ]
        + [firm("insurance/20/e", "广州泰拓", "泰拓", "taituo")],
    )
    spec = predict.load_model_spec("enterprise")
    train_and_predict(connection, "enterprise", tmp_path / "work")
    firms = pairs(connection, "enterprise")
    short = [("insurance/20/e", f"registry/{i}/e") for i in range(len(trades))]
    assert all(pair in firms for pair in short)
    assert min(firms[pair] for pair in short) < spec.predict_threshold
    assert ("registry/0/e", "registry/1/e") not in firms


# -- training on a larger synthetic population ------------------------------------------------


@pytest.fixture(scope="module")
def population() -> tuple[list[dict], list[tuple[str, str]]]:
    return synthetic_persons(500, seed=7)


def run(population: tuple[list[dict], list[tuple[str, str]]], workdir: Path):
    mentions, _ = population
    connection = staging.connect(workdir)
    stage(connection, "person", mentions)
    result = train_and_predict(connection, "person", workdir, seed=3)
    scored = connection.execute(
        "SELECT * FROM pairs_person ORDER BY mention_id_l, mention_id_r"
    ).fetchall()
    return connection, result, scored


def test_training_is_deterministic(population, tmp_path: Path) -> None:
    first_connection, first, first_pairs = run(population, tmp_path / "one")
    second_connection, second, second_pairs = run(population, tmp_path / "two")
    first_connection.close()
    second_connection.close()
    assert first.trained and second.trained
    assert first.model_path.read_bytes() == second.model_path.read_bytes()
    assert first_pairs == second_pairs
    assert first.pairs > 0


def test_scoring_slice_by_slice_gives_the_same_pairs(
    population, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big city's blocked pairs are scored a slice at a time (Splink's wide rows would not
    fit): the pairs, their weights and the model are those of scoring them all at once."""
    whole_connection, whole, whole_pairs = run(population, tmp_path / "whole")
    whole_connection.close()
    monkeypatch.setattr(predict, "PREDICT_SLICE_PAIRS", max(whole.comparisons // 7, 1))
    sliced_connection, sliced, sliced_pairs = run(population, tmp_path / "sliced")
    sliced_connection.close()
    assert whole.comparisons >= 7 * predict.PREDICT_SLICE_PAIRS >= 7  # seven slices or more
    assert sliced.comparisons == whole.comparisons
    assert sliced.model_path.read_bytes() == whole.model_path.read_bytes()
    assert sliced_pairs == whole_pairs
    assert sliced.pairs > 0


def test_predictions_made_narrow_and_unpruned_are_splinks_own(
    population, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The DuckDB engine makes Splink's predictions with only the pair columns and scores a
    slice against the profiles as they are. With neither (Splink's own wide predictions, and its
    copies of the profiles a registered slice names) the pairs, weights and model are the same,
    whole and sliced."""
    narrow_connection, narrow, narrow_pairs = run(population, tmp_path / "narrow")
    narrow_connection.close()
    monkeypatch.setattr(DuckDBEngine, "predicting", lambda self, columns: nullcontext())
    wide_connection, wide, wide_pairs = run(population, tmp_path / "wide")
    wide_connection.close()
    assert wide.model_path.read_bytes() == narrow.model_path.read_bytes()
    assert wide_pairs == narrow_pairs and narrow.pairs > 0

    flags: list[bool] = []
    register = LinkerTableManagement.register_blocked_pairs_for_predict

    def pruned(self, frame):  # the flag stays set: Splink copies the profiles, as it would
        registered = register(self, frame)
        registered.metadata = _Kept(registered.metadata, flags)
        return registered

    monkeypatch.setattr(LinkerTableManagement, "register_blocked_pairs_for_predict", pruned)
    monkeypatch.setattr(predict, "PREDICT_SLICE_PAIRS", max(narrow.comparisons // 3, 1))
    pruned_connection, _, pruned_pairs = run(population, tmp_path / "pruned")
    pruned_connection.close()
    assert len(flags) >= 3  # one refused unflagging per slice
    assert pruned_pairs == narrow_pairs


class _Kept(dict):
    """Metadata whose ``registered_for_predict`` cannot be unset (each attempt is counted)."""

    def __init__(self, metadata: dict, attempts: list[bool]) -> None:
        super().__init__(metadata)
        self.attempts = attempts

    def __setitem__(self, key, value) -> None:
        if key == "registered_for_predict" and not value:
            self.attempts.append(True)
            return
        super().__setitem__(key, value)


def test_trained_model_separates_people(population, tmp_path: Path) -> None:
    connection, result, _ = run(population, tmp_path / "work")
    _, truth = population
    connection.execute("CREATE TABLE truth (mention_id VARCHAR, true_id VARCHAR)")
    connection.executemany("INSERT INTO truth VALUES (?, ?)", truth)
    spec = load_model_spec("person")
    (tp, fp, fn) = connection.execute(
        """
        WITH predicted AS (
            SELECT mention_id_l, mention_id_r FROM pairs_person WHERE match_probability >= ?),
        actual AS (
            SELECT a.mention_id AS mention_id_l, b.mention_id AS mention_id_r
            FROM truth a JOIN truth b ON a.true_id = b.true_id AND a.mention_id < b.mention_id)
        SELECT
            (SELECT count(*) FROM predicted JOIN actual USING (mention_id_l, mention_id_r)),
            (SELECT count(*) FROM predicted ANTI JOIN actual USING (mention_id_l, mention_id_r)),
            (SELECT count(*) FROM actual ANTI JOIN predicted USING (mention_id_l, mention_id_r))
        """,
        [spec.cluster_threshold],
    ).fetchall()[0]
    connection.close()
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision > 0.95, (tp, fp, fn, result.notes)
    assert recall > 0.85, (tp, fp, fn, result.notes)


def test_blocking_recall_counts_comparisons_and_true_pairs(population, tmp_path: Path) -> None:
    mentions, truth = population
    connection = staging.connect(tmp_path / "work")
    stage(connection, "person", mentions)
    connection.execute(
        "CREATE TABLE truth (source VARCHAR, record_id VARCHAR, role VARCHAR, entity VARCHAR,"
        " true_id VARCHAR)"
    )
    connection.executemany(
        "INSERT INTO truth VALUES (?, ?, ?, 'person', ?)",
        [(*mention_id.split("/"), true_id) for mention_id, true_id in truth],
    )
    measured = blocking_recall(connection, "person", "truth")
    connection.close()
    assert measured["mentions"] == len(mentions)
    assert measured["comparisons"] == sum(measured["comparisons_by_rule"].values())
    assert measured["true_pairs"] > 0
    assert measured["recall"] >= 0.99
    assert measured["comparisons"] < len(mentions) * 20


def test_relations_lend_evidence_to_mentions_with_little_else(population, tmp_path: Path) -> None:
    """A guardian known by name only is the parent of the same child on a birth record; a tenant
    known by name only lives in the unit he rents; a landlord known by name only lets out the
    unit its registered landlord lets out, or another room of that building; a passport
    holder's name is written in either order."""
    mentions, _ = population
    connection = staging.connect(tmp_path / "work")
    stage(connection, "person", mentions)
    born = dt.date(2019, 5, 1)
    home = address_fields("恒福路", 12, "502")

    def with_id(name: str, born_on: dt.date, sequence: int) -> dict:
        return {**name_fields(name), **id_fields(resident_id("440106", born_on, sequence))}

    def romanised(name: str, **fields) -> dict:
        key = name.lower()
        return {"name": name, "name_key": key, "name_homophone_key": key, **fields}

    passport = {"id_number": "TR3872804", "id_valid": False}
    stage(
        connection,
        "person",
        [
            {"mention_id": "births/1/father", **with_id("梁海平", dt.date(1984, 5, 2), 151)},
            {"mention_id": "births/1/mother", **with_id("林秀英", dt.date(1986, 1, 9), 162)},
            {"mention_id": "births/1/child", **name_fields("梁婷"), "birth_date": born, **home},
            {"mention_id": "vaccination/1/guardian", **name_fields("梁海平")},
            {"mention_id": "vaccination/1/child", **name_fields("梁婷"), "birth_date": born},
            {"mention_id": "vaccination/2/guardian", **name_fields("梁海平")},
            {
                "mention_id": "vaccination/2/child",
                **name_fields("梁强"),
                "birth_date": dt.date(2016, 2, 3),
            },
            {
                "mention_id": "police/1/resident",
                **with_id("黄海", dt.date(1975, 8, 8), 171),
                **home,
            },
            {"mention_id": "rental/1/tenant", **name_fields("黄海"), "phone": "13700137000"},
            {"mention_id": "rental/2/tenant", **with_id("黄海", dt.date(1999, 3, 3), 181)},
            {"mention_id": "rental/1/landlord", **with_id("王志明", dt.date(1960, 7, 7), 191)},
            {"mention_id": "rental/3/landlord", **name_fields("王志明")},
            {"mention_id": "rental/5/landlord", **name_fields("王志明")},
            {"mention_id": "rental/6/landlord", **name_fields("王志明")},
            {
                "mention_id": "exit/1/traveller",
                **romanised("Sato Sakura", **passport, birth_date=dt.date(1983, 8, 28)),
            },
            {"mention_id": "rental/4/tenant", **romanised("Sakura Sato", **passport)},
        ],
    )
    stage(
        connection,
        "rental_unit",
        [{"mention_id": f"rental/{n}/unit", **address_fields("恒福路", 12, "502")} for n in (1, 2)]
        + [{"mention_id": "rental/3/unit", **address_fields("恒福路", 12, "502")}]
        # another room of the building the registered landlord lets from; another building
        + [{"mention_id": "rental/5/unit", **address_fields("恒福路", 12, "601")}]
        + [{"mention_id": "rental/6/unit", **address_fields("恒福路", 14, "601")}],
    )
    relate(
        connection,
        [
            ("births/1/father", "PARENT_OF", "births/1/child"),
            ("births/1/mother", "PARENT_OF", "births/1/child"),
            ("vaccination/1/guardian", "PARENT_OF", "vaccination/1/child"),
            ("vaccination/2/guardian", "PARENT_OF", "vaccination/2/child"),
            ("rental/1/tenant", "RENTS", "rental/1/unit"),
            ("rental/2/tenant", "RENTS", "rental/2/unit"),
            ("rental/1/landlord", "OWNS", "rental/1/unit"),
            ("rental/3/landlord", "OWNS", "rental/3/unit"),
            ("rental/5/landlord", "OWNS", "rental/5/unit"),
            ("rental/6/landlord", "OWNS", "rental/6/unit"),
        ],
    )
    result = train_and_predict(connection, "person", tmp_path / "work", seed=3)
    scored = pairs(connection)
    gammas = {
        (left, right): (address, owned)
        for left, right, address, owned in connection.execute(
            "SELECT mention_id_l, mention_id_r, gamma_address, gamma_owned_unit FROM pairs_person"
        ).fetchall()
    }
    connection.close()
    threshold = load_model_spec("person").cluster_threshold
    assert result.trained

    # the same child under the same name; the child's other parent is not its father
    assert probability(scored, "births/1/father", "vaccination/1/guardian") > threshold
    assert probability(scored, "births/1/mother", "vaccination/1/guardian") < 0.3
    # a name alone (another child, perhaps another 梁海平) is not enough
    assert probability(scored, "births/1/father", "vaccination/2/guardian") < threshold
    # the unit a tenant rents is where he lives
    assert probability(scored, "police/1/resident", "rental/1/tenant") > threshold
    # … unless he has an identifier of his own: then the ID decides, the unit lends nothing
    assert gammas[("police/1/resident", "rental/2/tenant")][0] == -1
    assert probability(scored, "police/1/resident", "rental/2/tenant") < 0.3
    # the registered landlord of the unit, and the one written by name only
    assert probability(scored, "rental/1/landlord", "rental/3/landlord") > threshold
    assert gammas[("rental/1/landlord", "rental/3/landlord")][1] > 0
    # … or another room of the same building (a landlord lets his building's rooms) …
    assert probability(scored, "rental/1/landlord", "rental/5/landlord") > threshold
    # … but a unit in another building under the same name is a name alone
    assert probability(scored, "rental/1/landlord", "rental/6/landlord") < threshold
    # a foreign document number, the name in the other order
    assert probability(scored, "exit/1/traveller", "rental/4/tenant") > threshold


def test_enough_steward_matches_also_train_m(population, tmp_path: Path) -> None:
    """Steward MATCH pairs become Splink's pairwise labels when there are enough of them;
    pairs within one profile say nothing and are not counted; too few leave the model as EM
    left it."""
    mentions, truth = population
    by_person: dict[str, list[str]] = {}
    for mention_id, true_id in truth:
        by_person.setdefault(true_id, []).append(mention_id)
    labels = [(group[0], other) for group in by_person.values() for other in group[1:]]
    spec = load_model_spec("person")
    assert len(labels) > spec.training.label_min_matches

    def trained(workdir: Path, given: list[tuple[str, str]]):
        connection = staging.connect(workdir)
        stage(connection, "person", mentions)
        result = train_and_predict(connection, "person", workdir, seed=3, labels=given)
        connection.close()
        return result, json.loads(result.model_path.read_text(encoding="utf-8"))

    plain, plain_model = trained(tmp_path / "plain", [])
    few, few_model = trained(tmp_path / "few", labels[:5])
    taught, taught_model = trained(tmp_path / "taught", [*labels, (labels[0][0], labels[0][0])])
    assert plain.labels_used == few.labels_used == 0 and few_model == plain_model
    assert any("< " in note and "label" in note for note in few.notes)
    assert 0 < taught.labels_used <= len(labels)
    assert taught_model != plain_model
    _, again_model = trained(tmp_path / "again", labels)
    assert again_model == taught_model  # deterministic for the same labels


def test_the_entities_a_row_names_resolve_name_only_mentions(population, tmp_path: Path) -> None:
    """Collective evidence: a father known by name only on a birth registration is the husband
    the mother married (his partner, by her ID), and so is the father named on a child's
    register entry beside the mother's name; the landlord of a unit, by the unit's cluster; a
    vendor ticketed twice at one place. Siblings share their parents, which proves nothing."""
    mentions, _ = population
    connection = staging.connect(tmp_path / "work")
    stage(connection, "person", mentions)

    def with_id(name: str, born_on: dt.date, sequence: int) -> dict:
        return {**name_fields(name), **id_fields(resident_id("440106", born_on, sequence))}

    mother = with_id("林秀英", dt.date(1986, 1, 9), 162)
    home = address_fields("恒福路", 12, "502")
    older = {**name_fields("梁婷"), "birth_date": dt.date(2019, 5, 1), **home}
    younger = {**name_fields("梁强"), "birth_date": dt.date(2016, 2, 3), **home}
    stage(
        connection,
        "person",
        [
            {"mention_id": "marriage/1/husband", **with_id("梁海平", dt.date(1984, 5, 2), 151)},
            {"mention_id": "marriage/1/wife", **mother},
            {"mention_id": "births/1/father", **name_fields("梁海平")},
            {"mention_id": "births/1/mother", **mother},
            {"mention_id": "births/1/child", **older},
            {"mention_id": "births/2/father", **name_fields("梁海平")},
            {"mention_id": "births/2/mother", **mother},
            {"mention_id": "births/2/child", **younger},
            {"mention_id": "rental/1/landlord", **with_id("王志明", dt.date(1960, 7, 7), 191)},
            {"mention_id": "rental/2/landlord", **name_fields("王志明")},
            {"mention_id": "hukou/5/resident", **with_id("梁婷", dt.date(2019, 5, 1), 182)},
            {"mention_id": "hukou/5/father", **name_fields("梁海平")},
            {"mention_id": "hukou/5/mother", **name_fields("林秀英")},
            {"mention_id": "violations/1/vendor", **name_fields("黄海")},
            {"mention_id": "violations/2/vendor", **name_fields("黄海")},
            {"mention_id": "violations/3/vendor", **name_fields("黄海")},
        ],
    )  # fmt: skip
    # the unit is written two ways, one cluster: the model reads the unit's cluster
    stage(
        connection,
        "rental_unit",
        [
            {"mention_id": "rental/1/unit", **address_fields("恒福路", 12, "502")},
            {"mention_id": "rental/2/unit", **address_fields("恒福道", 12, "502")},
        ],
    )
    connection.execute(
        "CREATE TABLE clusters_rental_unit AS SELECT mention_id, 'rental/1/unit' AS cluster_key "
        "FROM mentions WHERE entity = 'rental_unit'"
    )
    relate(
        connection,
        [
            ("marriage/1/husband", "SPOUSE_OF", "marriage/1/wife"),
            ("births/1/father", "PARENT_OF", "births/1/child"),
            ("births/1/mother", "PARENT_OF", "births/1/child"),
            ("births/2/father", "PARENT_OF", "births/2/child"),
            ("births/2/mother", "PARENT_OF", "births/2/child"),
            ("rental/1/landlord", "OWNS", "rental/1/unit"),
            ("rental/2/landlord", "OWNS", "rental/2/unit"),
            ("hukou/5/father", "PARENT_OF", "hukou/5/resident"),
            ("hukou/5/mother", "PARENT_OF", "hukou/5/resident"),
        ],
    )
    connection.executemany(
        "INSERT INTO events (event_id, source, record_id, type, place_point_key, place_district)"
        " VALUES (?, 'violations', ?, 'Violation', ?, '天河区')",
        [(f"violations/{n}", str(n), point) for n, point in ((1, "天河路|9|"), (2, "天河路|9|"),
                                                              (3, "中山大道|1|"))],
    )  # fmt: skip
    connection.executemany(
        "INSERT INTO event_participants VALUES ('violations', ?, ?, 'vendor')",
        [(f"violations/{n}", f"violations/{n}/vendor") for n in (1, 2, 3)],
    )
    train_and_predict(connection, "person", tmp_path / "work", seed=3)
    scored = pairs(connection)
    partner_level = connection.execute(
        "SELECT gamma_neighbours FROM pairs_person "
        "WHERE mention_id_l = 'births/1/father' AND mention_id_r = 'marriage/1/husband'"
    ).fetchall()
    connection.close()
    threshold = load_model_spec("person").cluster_threshold

    # the other parent of his child is the woman he married: the same man
    assert probability(scored, "births/1/father", "marriage/1/husband") > threshold
    assert partner_level == [(4,)]  # the strongest level: the same partner by ID
    # on his daughter's register entry by name only, beside her mother's name: the same
    # couple by their names as on the marriage record
    assert probability(scored, "hukou/5/father", "marriage/1/husband") > threshold
    # siblings: the same parents, another name and birth date
    assert probability(scored, "births/1/child", "births/2/child") < 0.3
    # the landlord written by name only lets the same unit (written another way)
    assert probability(scored, "rental/1/landlord", "rental/2/landlord") > threshold
    # cited twice at one place: more than the name alone, which the third ticket has
    assert probability(scored, "violations/1/vendor", "violations/2/vendor") > probability(
        scored, "violations/1/vendor", "violations/3/vendor"
    )


def test_a_group_too_big_to_compare_pair_by_pair_still_comes_together(
    population, tmp_path: Path
) -> None:
    """A landlord written 350 ways (each row another phone) shares one ID and name: more
    profiles than any rule compares pair by pair (at most 300). They are compared with the
    group's first one (a star), linearly, and all end in one cluster."""
    mentions, _ = population
    connection = staging.connect(tmp_path / "work")
    stage(connection, "person", mentions)
    landlord = {
        **name_fields("王志明"),
        **id_fields(resident_id("440106", dt.date(1960, 7, 7), 191)),
    }
    stage(
        connection,
        "person",
        [
            {"mention_id": f"rental/{n}/landlord", **landlord, "phone": f"1370013{n:04d}"}
            for n in range(350)
        ],
    )
    spec = load_model_spec("person")
    assert max(rule.max_block_size or 0 for rule in spec.blocking_rules) < 350
    train_and_predict(connection, "person", tmp_path / "work", seed=3)
    stars = connection.execute(
        "SELECT count(*) FROM pairs_person WHERE blocking_rule = 'id_number_star'"
    ).fetchall()[0][0]
    cluster_entity(connection, "person", spec.cluster_threshold)
    clusters = connection.execute(
        "SELECT count(DISTINCT cluster_key) FROM clusters_person "
        "WHERE mention_id LIKE 'rental/%/landlord'"
    ).fetchall()[0][0]
    connection.close()
    assert stars == 349  # each profile with the first, not 350 x 349 / 2
    assert clusters == 1


def test_the_shared_address_words_levels_give_the_exact_share_of_words():
    """The person model's shared-words levels (Latin addresses) first rule pairs out by a
    63-bit mask of each address's words, then count the shared words exactly. The mask's bound
    (common bits + the fewer words lost to collisions on either side) never falls below the
    true count, so every pair gets the level the share of words alone gives: here on random
    addresses whose words collide in the mask, including pairs that reach a level only
    because the bound counts the collisions."""
    spec = load_model_spec("person")
    rng = random.Random(7)
    vocabulary = [f"w{i}" for i in range(120)]
    addresses = []
    for _ in range(120):
        words = rng.sample(vocabulary, rng.randint(1, 14))
        addresses.append(" ".join(words))
        addresses.append(" ".join(words[:-1] if len(words) > 1 and rng.random() < 0.5 else words))
    connection = duckdb.connect()
    connection.execute("CREATE TABLE raw (address VARCHAR, postcode VARCHAR)")
    connection.executemany("INSERT INTO raw VALUES (?, NULL)", [[a] for a in addresses])
    names = ("address_words", "address_mask", "address_spare")
    columns = ", ".join(f"({spec.columns[name]}) AS {name}" for name in names)
    connection.execute(
        f"CREATE TABLE words AS SELECT row_number() OVER () AS id, {columns} FROM raw"
    )
    sides = ", ".join(f"l.{n} AS {n}_l, r.{n} AS {n}_r" for n in names)
    connection.execute(
        f"CREATE TABLE pairs AS SELECT l.id AS id_l, r.id AS id_r, {sides} "
        "FROM words l JOIN words r ON l.id < r.id"
    )
    address = next(c for c in spec.comparisons if c["output_column_name"] == "address")
    levels = {
        level["label_for_charts"]: level["sql_condition"]
        for level in address["comparison_levels"]
        if "address_words_l" in level["sql_condition"] and not level.get("is_null_level")
    }
    share = {  # the least share of the words each level stands for: k * shared >= c * (A + B)
        "address words almost all shared": (9, 4),
        "most address words shared": (3, 1),
        "some address words shared": (5, 1),
    }
    assert set(levels) == set(share)
    conditions = ", ".join(f"coalesce({levels[label]}, false)" for label in share)
    rows = connection.execute(
        f"SELECT address_words_l, address_words_r, address_mask_l, address_mask_r, {conditions} "
        "FROM pairs"
    ).fetchall()
    connection.close()
    assert len(rows) == len(addresses) * (len(addresses) - 1) // 2
    held_by_collisions = 0
    for words_l, words_r, mask_l, mask_r, *got in rows:
        shared = len(set(words_l) & set(words_r))
        both = len(words_l) + len(words_r)
        expected = [shared > 0 and k * shared >= c * both for k, c in share.values()]
        assert got == expected, (words_l, words_r)
        common_bits = (mask_l & mask_r).bit_count()
        if any(expected) and not all(
            k * common_bits >= c * both
            for (k, c), e in zip(share.values(), expected, strict=True)
            if e
        ):
            held_by_collisions += 1
    assert held_by_collisions > 0, "no pair needed the collisions in the bound: the test is weak"
