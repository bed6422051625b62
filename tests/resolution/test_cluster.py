"""Clustering on hand-built mentions and pairs in a real DuckDB workspace."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from loaders import staging
from resolution.cluster import cluster_entity
from resolution.errors import ConflictingDecisions, MissingTable, UnknownEntity
from resolution.review import build_review_candidates


@pytest.fixture
def connection(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh workspace, created by ingest's own schema."""
    connection = staging.connect(tmp_path)
    yield connection
    connection.close()


def stage_mentions(connection: duckdb.DuckDBPyConnection, entity: str, rows: list[dict]) -> None:
    """Insert mentions of ``entity``; each row needs ``mention_id``, other columns default NULL.

    ``source``, ``record_id`` and ``role`` are taken from the mention id when not given.
    """
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
    table = pa.Table.from_pylist(filled, schema=staging.MENTION_SCHEMA)
    connection.register("_staged", table)
    connection.execute("INSERT INTO mentions SELECT * FROM _staged")
    connection.unregister("_staged")


def stage_pairs(
    connection: duckdb.DuckDBPyConnection, entity: str, pairs: list[tuple[str, str, float]]
) -> None:
    """Write ``pairs_<entity>`` as prediction would, with two ``mw_`` comparison columns."""
    connection.execute(
        f"""CREATE OR REPLACE TABLE pairs_{entity} (
            mention_id_l VARCHAR, mention_id_r VARCHAR, match_probability DOUBLE,
            match_weight DOUBLE, mw_name DOUBLE, mw_id_number DOUBLE)"""
    )
    for left, right, probability in pairs:
        connection.execute(
            f"INSERT INTO pairs_{entity} VALUES (?, ?, ?, ?, ?, ?)",
            [left, right, probability, probability * 10, 1.5, -2.0],
        )


def clusters(connection: duckdb.DuckDBPyConnection, entity: str) -> dict[str, list[str]]:
    """cluster_key → sorted mention ids."""
    rows = connection.execute(
        f"SELECT cluster_key, list_sort(list(mention_id)) FROM clusters_{entity} GROUP BY 1"
    ).fetchall()
    return dict(rows)


def person(mention_id: str, id_number: str | None = None, *, valid: bool = True) -> dict:
    return {
        "mention_id": mention_id,
        "id_number": id_number,
        "id_valid": valid if id_number else None,
    }


def test_two_valid_resident_ids_never_share_a_cluster_even_at_high_probability(connection):
    stage_mentions(
        connection,
        "person",
        [person("s/1/p", "A"), person("s/2/p", "B"), person("s/3/p"), person("s/4/p", "A")],
    )
    stage_pairs(
        connection,
        "person",
        [
            ("s/1/p", "s/2/p", 0.99),
            ("s/3/p", "s/1/p", 0.98),
            ("s/2/p", "s/3/p", 0.97),
            ("s/4/p", "s/1/p", 0.6),
        ],
    )
    result = cluster_entity(connection, "person", 0.5)
    assert clusters(connection, "person") == {
        "s/1/p": ["s/1/p", "s/3/p", "s/4/p"],
        "s/2/p": ["s/2/p"],
    }
    assert result.refused == {"resident_id": 2}
    assert (result.mentions, result.clusters, result.edges, result.accepted) == (4, 2, 4, 2)


def test_invalid_ids_do_not_constrain(connection):
    stage_mentions(connection, "person", [person("s/1/p", "A", valid=False), person("s/2/p", "B")])
    stage_pairs(connection, "person", [("s/1/p", "s/2/p", 0.9)])
    cluster_entity(connection, "person", 0.5)
    assert clusters(connection, "person") == {"s/1/p": ["s/1/p", "s/2/p"]}


def test_equal_probabilities_are_taken_in_mention_id_order(connection):
    stage_mentions(
        connection, "person", [person("s/a/p", "A"), person("s/b/p", "B"), person("s/c/p")]
    )
    # Both edges at 0.9: (a, c) comes before (b, c), so c joins a and b is refused.
    stage_pairs(connection, "person", [("s/c/p", "s/b/p", 0.9), ("s/c/p", "s/a/p", 0.9)])
    cluster_entity(connection, "person", 0.5)
    assert clusters(connection, "person") == {"s/a/p": ["s/a/p", "s/c/p"], "s/b/p": ["s/b/p"]}


def test_every_mention_gets_a_cluster_and_keys_are_smallest_ids(connection):
    ids = ["t/9/p", "t/1/p", "u/5/p", "s/7/p", "v/1/p"]
    stage_mentions(connection, "person", [person(i) for i in ids])
    stage_pairs(
        connection,
        "person",
        [("t/9/p", "t/1/p", 0.8), ("u/5/p", "t/9/p", 0.7), ("s/7/p", "v/1/p", 0.2)],
    )
    cluster_entity(connection, "person", 0.5)
    assert clusters(connection, "person") == {
        "s/7/p": ["s/7/p"],
        "t/1/p": ["t/1/p", "t/9/p", "u/5/p"],
        "v/1/p": ["v/1/p"],
    }


def test_same_input_in_any_row_order_gives_the_same_clusters(tmp_path):
    mentions = [person(f"s/{i}/p", "ABCD"[i % 4] if i % 3 else None) for i in range(12)]
    pairs = [(f"s/{i}/p", f"s/{(i * 5 + 1) % 12}/p", 0.5 + (i % 4) / 10) for i in range(12)]
    results = []
    for n, order in enumerate((pairs, pairs[::-1], [(r, left, p) for left, r, p in pairs])):
        connection = staging.connect(tmp_path / str(n))
        stage_mentions(connection, "person", mentions[::-1] if n else mentions)
        stage_pairs(connection, "person", order)
        cluster_entity(connection, "person", 0.5)
        results.append(clusters(connection, "person"))
        connection.close()
    assert results[0] == results[1] == results[2]


def enterprise(mention_id: str, uscc: str | None = None, branch: str | None = None) -> dict:
    return {
        "mention_id": mention_id,
        "uscc": uscc,
        "uscc_valid": True if uscc else None,
        "ent_is_branch": branch is not None,
        "ent_branch_name": branch or None,
    }


def test_a_branch_never_joins_its_parent(connection):
    stage_mentions(
        connection,
        "enterprise",
        [
            enterprise("c/1/e"),
            enterprise("c/2/e"),
            enterprise("c/3/e", branch="天河"),
            enterprise("c/4/e", branch="天河"),
            enterprise("c/5/e", branch="越秀"),
        ],
    )
    stage_pairs(
        connection,
        "enterprise",
        [
            ("c/1/e", "c/2/e", 0.99),
            ("c/2/e", "c/3/e", 0.99),
            ("c/3/e", "c/4/e", 0.95),
            ("c/4/e", "c/5/e", 0.9),
        ],
    )
    result = cluster_entity(connection, "enterprise", 0.5)
    assert clusters(connection, "enterprise") == {
        "c/1/e": ["c/1/e", "c/2/e"],
        "c/3/e": ["c/3/e", "c/4/e"],
        "c/5/e": ["c/5/e"],
    }
    assert result.refused == {"branch_name": 1, "branch_vs_parent": 1}


def test_two_valid_usccs_never_share_a_cluster(connection):
    stage_mentions(
        connection,
        "enterprise",
        [enterprise("c/1/e", "U1"), enterprise("c/2/e", "U2"), enterprise("c/3/e", "U1")],
    )
    stage_pairs(connection, "enterprise", [("c/1/e", "c/2/e", 0.99), ("c/1/e", "c/3/e", 0.7)])
    cluster_entity(connection, "enterprise", 0.5)
    assert clusters(connection, "enterprise") == {
        "c/1/e": ["c/1/e", "c/3/e"],
        "c/2/e": ["c/2/e"],
    }


def test_a_mention_without_uscc_torn_between_two_enterprises_stays_apart_for_review(connection):
    # c/3 (a trade name written alone, and c/5 written the same way) scores above the threshold
    # with two registered enterprises: it can be only one, and the odds do not say which
    # (19 and 15.7: the better one's share is 0.53). c/4 scores 0.9999 with c/1 and 0.95 with
    # c/2: a share of 0.998, it joins c/1.
    stage_mentions(
        connection,
        "enterprise",
        [enterprise("c/1/e", "U1"), enterprise("c/2/e", "U2")]
        + [enterprise(f"c/{i}/e") for i in (3, 4, 5)],
    )
    stage_pairs(
        connection,
        "enterprise",
        [
            ("c/3/e", "c/1/e", 0.95),
            ("c/3/e", "c/2/e", 0.94),
            ("c/3/e", "c/5/e", 1.0),
            ("c/4/e", "c/1/e", 0.9999),
            ("c/4/e", "c/2/e", 0.95),
        ],
    )
    connection.execute(
        """CREATE TABLE mention_profiles_enterprise AS SELECT * FROM (VALUES
           ('c/1/e', 'c/1/e', 1), ('c/2/e', 'c/2/e', 1), ('c/3/e', 'c/3/e', 2),
           ('c/4/e', 'c/4/e', 1), ('c/5/e', 'c/3/e', 2)) t(mention_id, profile_id, profile_size)"""
    )
    result = cluster_entity(connection, "enterprise", 0.9)
    assert clusters(connection, "enterprise") == {
        "c/1/e": ["c/1/e", "c/4/e"],
        "c/2/e": ["c/2/e"],
        "c/3/e": ["c/3/e", "c/5/e"],
    }
    assert result.ambiguous == 1
    assert connection.execute("SELECT * FROM ambiguous_enterprise ORDER BY ALL").fetchall() == [
        ("c/3/e", "c/1/e", 0.95),
        ("c/3/e", "c/2/e", 0.94),
    ]
    build_review_candidates(connection, "enterprise", (0.3, 0.9))
    asked = connection.execute(
        "SELECT mention_id_l, mention_id_r FROM review_candidates_enterprise ORDER BY ALL"
    ).fetchall()
    assert asked == [("c/1/e", "c/3/e"), ("c/2/e", "c/3/e")]


def test_a_short_name_shared_by_several_firms_joins_the_one_its_rows_employees_work_for(
    connection,
):
    """广州展银 written alone on social-insurance and residence rows: the city registers three
    展银 firms, and the model scores the short name low against each (the trade name agrees,
    nothing else is written). The insured persons' resident IDs are the witnesses: two of them
    are on firm 1's employment rows, one on firm 2's, one nowhere. The cluster of identical short
    names splits by its witnesses: the mention naming firm 2's employee joins firm 2, the rest
    (the one without a witness going with the majority) joins firm 1; firm 3 gets nothing. A
    short name that scored high with firm 1 at once but names firm 2's employee moves to firm 2;
    a full name there naming another of firm 2's employees stays (one may work for two firms of
    one trade name; only a name that says nothing more is moved)."""
    short = {"ent_trade_name": "展银", "ent_brand": "展银"}
    stage_mentions(
        connection,
        "enterprise",
        [
            {**enterprise("registry/1/e", "U1"), **short},
            {**enterprise("registry/2/e", "U2"), **short},
            {**enterprise("registry/3/e", "U3"), **short},
            {**enterprise("employment/10/employer"), **short, "address": "明源大街42号"},
            {**enterprise("employment/11/employer"), **short, "address": "明源大街42号"},
            {**enterprise("employment/12/employer"), **short, "address": "富德街27号"},
            {**enterprise("employment/13/employer"), **short, "address": "富德街27号"},
        ]
        + [{**enterprise(f"si/{i}/employer"), **short} for i in (20, 21, 22, 23, 24)]
        + [{**enterprise("si/25/employer"), **short, "ent_brand": "展银医疗器械"}],
    )
    stage_mentions(
        connection,
        "person",
        [
            person("employment/10/worker", "A"),
            person("employment/11/worker", "C"),
            person("employment/12/worker", "B"),
            person("si/20/insured", "A"),
            person("si/21/insured", "C"),
            person("si/22/insured", "B"),
            person("si/23/insured"),
            person("si/24/insured", "B"),
            person("si/25/insured", "D"),
            person("employment/13/worker", "D"),
        ],
    )
    connection.execute(
        "INSERT INTO relations SELECT split_part(w, '/', 1), split_part(w, '/', 2), "
        "'EMPLOYED_BY', w, e FROM (VALUES "
        + ", ".join(
            f"('{source}/{i}/{worker}', '{source}/{i}/employer')"
            for source, worker, numbers in (
                ("employment", "worker", (10, 11, 12, 13)),
                ("si", "insured", (20, 21, 22, 23, 24, 25)),
            )
            for i in numbers
        )
        + ") t(w, e)"
    )
    bare = [f"si/{i}/employer" for i in (20, 21, 22, 23)]
    stage_pairs(
        connection,
        "enterprise",
        [
            ("employment/10/employer", "registry/1/e", 0.99),
            ("employment/11/employer", "registry/1/e", 0.99),
            ("employment/12/employer", "registry/2/e", 0.99),
            ("employment/13/employer", "registry/2/e", 0.99),
            ("si/24/employer", "employment/10/employer", 0.95),
            ("si/24/employer", "registry/2/e", 0.016),
            ("si/25/employer", "employment/10/employer", 0.95),
            ("si/25/employer", "registry/2/e", 0.016),
        ]
        + [(a, b, 1.0) for a in bare for b in bare if a < b]
        + [(a, f"registry/{n}/e", 0.016) for a in bare for n in (1, 2, 3)],
    )
    result = cluster_entity(connection, "enterprise", 0.9)
    assert sorted(clusters(connection, "enterprise").values()) == [
        [
            *("employment/10/employer", "employment/11/employer", "registry/1/e"),
            *("si/20/employer", "si/21/employer", "si/23/employer", "si/25/employer"),
        ],
        [
            *("employment/12/employer", "employment/13/employer", "registry/2/e"),
            *("si/22/employer", "si/24/employer"),
        ],
        ["registry/3/e"],
    ]
    assert result.attached == 3
    # without the witnesses, the short name belongs to no firm in particular
    connection.execute("DELETE FROM relations")
    cluster_entity(connection, "enterprise", 0.9)
    assert sorted(bare) in clusters(connection, "enterprise").values()


def test_witnesses_join_a_short_name_through_a_weak_pair_and_never_to_a_forbidden_owner(
    connection,
):
    """广州泰拓 written alone, in a city where a dozen firms are called 泰拓…: the model scores
    it far below the attach step's minimum against each (0.002), and only the witness can
    tell. Insured A is on rows of firm 1 and of its branch (a name that is not a branch's cannot
    be the branch: firm 1); insured B on firm 2's, so B's short name joins firm 2 through its
    weak pair. A third short name scored high with firm 1 at once but names firm 2's employee:
    it leaves firm 1 and joins firm 2 through its pair above the threshold."""
    short = {"ent_trade_name": "泰拓", "ent_brand": "泰拓"}
    full = {"ent_trade_name": "泰拓", "address": "民洞南道46号"}
    stage_mentions(
        connection,
        "enterprise",
        [
            {**enterprise("registry/1/e", "U1"), **full, "ent_brand": "泰拓广告"},
            {**enterprise("registry/2/e", "U2"), **full, "ent_brand": "泰拓电子"},
            {**enterprise("registry/3/e", "U3", "第二分公司"), **full, "ent_brand": "泰拓广告"},
            {**enterprise("employment/10/employer"), **full, "ent_brand": "泰拓广告"},
            {
                **enterprise("employment/11/employer", branch="第二分公司"),
                **full,
                "ent_brand": "泰拓广告",
            },
            {**enterprise("employment/12/employer"), **full, "ent_brand": "泰拓电子"},
        ]
        + [{**enterprise(f"si/{i}/employer"), **short} for i in (20, 21, 22)],
    )
    stage_mentions(
        connection,
        "person",
        [
            person("employment/10/worker", "A"),
            person("employment/11/worker", "A"),
            person("employment/12/worker", "B"),
            person("si/20/insured", "A"),
            person("si/21/insured", "B"),
            person("si/22/insured", "B"),
        ],
    )
    connection.execute(
        "INSERT INTO relations SELECT split_part(w, '/', 1), split_part(w, '/', 2), "
        "'EMPLOYED_BY', w, e FROM (VALUES "
        + ", ".join(
            f"('{source}/{i}/{worker}', '{source}/{i}/employer')"
            for source, worker, numbers in (
                ("employment", "worker", (10, 11, 12)),
                ("si", "insured", (20, 21, 22)),
            )
            for i in numbers
        )
        + ") t(w, e)"
    )
    stage_pairs(
        connection,
        "enterprise",
        [
            ("employment/10/employer", "registry/1/e", 0.99),
            ("employment/11/employer", "registry/3/e", 0.99),
            ("employment/12/employer", "registry/2/e", 0.99),
            ("si/22/employer", "registry/1/e", 0.96),
            ("si/22/employer", "employment/12/employer", 0.95),
        ]
        + [(f"si/{i}/employer", f"registry/{n}/e", 0.002) for i in (20, 21) for n in (1, 2, 3)],
    )
    result = cluster_entity(connection, "enterprise", 0.9)
    assert sorted(clusters(connection, "enterprise").values()) == [
        ["employment/10/employer", "registry/1/e", "si/20/employer"],
        ["employment/11/employer", "registry/3/e"],
        [
            *("employment/12/employer", "registry/2/e"),
            *("si/21/employer", "si/22/employer"),
        ],
    ]
    assert result.attached == 3


def test_persons_are_not_weighed_for_ambiguity(connection):
    # A person without an ID scoring as high with a relative as with himself (a household's
    # phone and address) is joined strongest first: the name decides, not the odds.
    stage_mentions(
        connection,
        "person",
        [person("s/1/p", "A"), person("s/2/p", "B"), person("s/3/p")],
    )
    stage_pairs(connection, "person", [("s/3/p", "s/1/p", 0.9999), ("s/3/p", "s/2/p", 0.9997)])
    result = cluster_entity(connection, "person", 0.9)
    assert clusters(connection, "person")["s/1/p"] == ["s/1/p", "s/3/p"]
    assert result.ambiguous == 0


def test_rental_units_with_different_rooms_buildings_or_points_stay_apart(connection):
    def unit(mention_id: str, room: str | None, building: str | None, road: str) -> dict:
        return {
            "mention_id": mention_id,
            "room": room,
            "building": building,
            "road_core": road,
            "house_number": "12",
        }

    stage_mentions(
        connection,
        "rental_unit",
        [
            unit("r/1/u", "502", "1", "环市"),
            unit("r/2/u", "503", "1", "环市"),  # another room
            unit("r/3/u", "502", "2", "环市"),  # another building
            unit("r/4/u", None, None, "环市"),
            unit("r/5/u", "502", "1", "环市"),
            unit("r/6/u", "502", "1", "天河"),  # another road
        ],
    )
    stage_pairs(
        connection,
        "rental_unit",
        [
            ("r/1/u", "r/2/u", 0.99),
            ("r/1/u", "r/3/u", 0.98),
            ("r/1/u", "r/4/u", 0.97),
            ("r/4/u", "r/5/u", 0.96),
            ("r/5/u", "r/6/u", 0.95),
        ],
    )
    result = cluster_entity(connection, "rental_unit", 0.5)
    assert clusters(connection, "rental_unit") == {
        "r/1/u": ["r/1/u", "r/4/u", "r/5/u"],
        "r/2/u": ["r/2/u"],
        "r/3/u": ["r/3/u"],
        "r/6/u": ["r/6/u"],
    }
    assert result.refused == {"room": 1, "building": 1, "address_point": 1}


def test_a_unit_naming_no_district_never_chains_two_districts_namesakes(connection):
    """裕德路 8号 502 in one district and 裕德大街 8号 502 in another are two units; a mention
    naming neither district nor street scores high with both, and joins only the first."""

    def unit(mention_id: str, district: str | None, street: str | None = None) -> dict:
        return {
            "mention_id": mention_id,
            "district": district,
            "street": street,
            "road_core": "裕德",
            "house_number": "8",
            "room": "502",
        }

    stage_mentions(
        connection,
        "rental_unit",
        [
            unit("r/1/u", "白云区"),
            unit("r/2/u", None),
            unit("r/3/u", "番禺区"),
            unit("r/4/u", "白云区", "江村街道"),
            unit("r/5/u", "白云区", "石井街道"),
        ],
    )
    stage_pairs(
        connection,
        "rental_unit",
        [
            ("r/1/u", "r/2/u", 0.99),
            ("r/2/u", "r/3/u", 0.98),
            ("r/1/u", "r/4/u", 0.97),
            ("r/2/u", "r/5/u", 0.96),
        ],
    )
    result = cluster_entity(connection, "rental_unit", 0.9)
    assert clusters(connection, "rental_unit") == {
        "r/1/u": ["r/1/u", "r/2/u", "r/4/u"],
        "r/3/u": ["r/3/u"],
        "r/5/u": ["r/5/u"],
    }
    assert result.refused == {"district": 1, "street": 1}


def test_digits_run_together_that_the_parser_reads_two_ways_constrain_nothing(connection):
    """海民巷11号之12102 reads as 之1, room 2102 or 之12, room 102: the parser flags it, and its
    sub-number and room hold it apart from neither 之12 room 102 nor anything else."""
    ambiguous = "ambiguous: 之1 read, 之12 also possible"

    def unit(mention_id: str, sub: str, room: str, problem: str | None = None) -> dict:
        return {
            "mention_id": mention_id,
            "road_core": "海民",
            "house_number": "11",
            "sub_number": sub,
            "room": room,
            "address_problem": problem,
        }

    stage_mentions(
        connection,
        "rental_unit",
        [
            unit("r/1/u", "12", "102"),
            unit("r/2/u", "1", "2102", ambiguous),
            unit("r/3/u", "12", "103"),
        ],
    )
    stage_pairs(connection, "rental_unit", [("r/1/u", "r/2/u", 0.95), ("r/1/u", "r/3/u", 0.95)])
    result = cluster_entity(connection, "rental_unit", 0.9)
    assert clusters(connection, "rental_unit") == {
        "r/1/u": ["r/1/u", "r/2/u"],
        "r/3/u": ["r/3/u"],
    }
    assert result.refused == {"room": 1}


def test_must_link_overrides_constraints_and_cannot_link_is_one(connection):
    stage_mentions(
        connection,
        "person",
        [person("s/1/p", "A"), person("s/2/p", "B"), person("s/3/p"), person("s/4/p")],
    )
    stage_pairs(
        connection,
        "person",
        [("s/3/p", "s/1/p", 0.99), ("s/3/p", "s/4/p", 0.98), ("s/4/p", "s/2/p", 0.4)],
    )
    result = cluster_entity(
        connection,
        "person",
        0.5,
        must_link=[("s/1/p", "s/2/p"), ("s/1/p", "gone/1/p")],
        cannot_link=[("s/4/p", "s/1/p")],
    )
    assert clusters(connection, "person") == {
        "s/1/p": ["s/1/p", "s/2/p", "s/3/p"],
        "s/4/p": ["s/4/p"],
    }
    assert result.refused == {"cannot_link": 1}
    assert result.ignored_decisions == 1


def test_a_steward_joined_cluster_still_takes_mentions_with_one_of_its_ids(connection):
    """A steward says A and B are one person (a relative's ID written in, say): a third
    mention carrying A joins them; a mention carrying a new ID C still may not."""
    stage_mentions(
        connection,
        "person",
        [person("s/1/p", "A"), person("s/2/p", "B"), person("s/3/p", "A"), person("s/4/p", "C")],
    )
    stage_pairs(connection, "person", [("s/1/p", "s/3/p", 0.99), ("s/3/p", "s/4/p", 0.97)])
    result = cluster_entity(connection, "person", 0.5, must_link=[("s/1/p", "s/2/p")])
    assert clusters(connection, "person") == {
        "s/1/p": ["s/1/p", "s/2/p", "s/3/p"],
        "s/4/p": ["s/4/p"],
    }
    assert sum(result.refused.values()) == 1


def test_contradicting_decisions_are_reported(connection):
    stage_mentions(connection, "person", [person("s/1/p"), person("s/2/p"), person("s/3/p")])
    stage_pairs(connection, "person", [])
    with pytest.raises(ConflictingDecisions) as caught:
        cluster_entity(
            connection,
            "person",
            0.5,
            must_link=[("s/1/p", "s/2/p"), ("s/2/p", "s/3/p")],
            cannot_link=[("s/3/p", "s/1/p")],
        )
    assert caught.value.pairs == [("s/3/p", "s/1/p")]


def weak_links(connection: duckdb.DuckDBPyConnection, entity: str) -> list[tuple]:
    return connection.execute(
        f"SELECT cluster_key, mention_id_l, mention_id_r, match_probability "
        f"FROM weak_links_{entity} ORDER BY ALL"
    ).fetchall()


def test_weak_links_are_bridges_below_the_review_band(connection):
    ids = [f"s/{i}/p" for i in range(1, 9)]
    stage_mentions(connection, "person", [person(i) for i in ids])
    stage_pairs(
        connection,
        "person",
        [
            # a triangle with a tail: only the tail edge is a bridge
            ("s/1/p", "s/2/p", 0.9),
            ("s/2/p", "s/3/p", 0.8),
            ("s/1/p", "s/3/p", 0.7),
            ("s/3/p", "s/4/p", 0.6),
            # a strong bridge is no weak link
            ("s/5/p", "s/6/p", 0.99),
            # a bridge backed by a steward's must-link is no weak link
            ("s/7/p", "s/8/p", 0.6),
        ],
    )
    result = cluster_entity(connection, "person", 0.5, must_link=[("s/8/p", "s/7/p")])
    assert weak_links(connection, "person") == [("s/1/p", "s/3/p", "s/4/p", 0.6)]
    assert result.weak_links == 1


def test_weak_links_in_trees_and_multigraphs(connection):
    ids = [f"s/{i}/p" for i in range(1, 7)]
    stage_mentions(connection, "person", [person(i) for i in ids])
    stage_pairs(
        connection,
        "person",
        [
            ("s/1/p", "s/2/p", 0.9),
            ("s/2/p", "s/3/p", 0.8),
            # duplicated rows (both orientations) are one edge
            ("s/4/p", "s/5/p", 0.7),
            ("s/5/p", "s/4/p", 0.6),
            ("s/5/p", "s/6/p", 0.99),
            ("s/4/p", "s/6/p", 0.98),
        ],
    )
    cluster_entity(connection, "person", 0.5, weak_link_below=0.95)
    assert weak_links(connection, "person") == [
        ("s/1/p", "s/1/p", "s/2/p", 0.9),
        ("s/1/p", "s/2/p", "s/3/p", 0.8),
    ]


def test_unknown_entity_and_missing_pairs_are_errors(connection):
    with pytest.raises(UnknownEntity):
        cluster_entity(connection, "person; DROP TABLE mentions", 0.5)
    with pytest.raises(MissingTable, match="pairs_person"):
        cluster_entity(connection, "person", 0.5)


def test_review_candidates_cover_the_band_and_weak_links_by_priority(connection):
    ids = [f"s/{i}/p" for i in range(1, 7)]
    stage_mentions(connection, "person", [person(i) for i in ids])
    stage_pairs(
        connection,
        "person",
        [
            ("s/1/p", "s/2/p", 0.97),
            ("s/2/p", "s/3/p", 0.55),
            ("s/4/p", "s/3/p", 0.45),
            ("s/5/p", "s/6/p", 0.2),
        ],
    )
    cluster_entity(connection, "person", 0.5, weak_link_below=0.95)
    connection.execute(
        """CREATE TABLE steward_decisions (entity VARCHAR, decision VARCHAR,
           mention_id_l VARCHAR, mention_id_r VARCHAR, decided_at TIMESTAMP)"""
    )
    connection.execute(
        "INSERT INTO steward_decisions VALUES ('person', 'NOT_A_MATCH', 's/6/p', 's/5/p', now())"
    )
    assert build_review_candidates(connection, "person", (0.1, 0.95)) == 2
    rows = connection.execute(
        "SELECT candidate_id, mention_id_l, mention_id_r, comparisons, cluster_key_l, "
        "cluster_key_r, weak_link, priority FROM review_candidates_person"
    ).fetchall()
    # (s/3, s/4) lies between a cluster of 3 and a singleton: 4 mentions x 0.9 uncertainty;
    # (s/2, s/3) is a weak link inside the cluster of 3: 3 x 0.9.
    assert [(r[1], r[2], r[4], r[5], r[6], r[7]) for r in rows] == [
        ("s/3/p", "s/4/p", "s/1/p", "s/4/p", False, 3.6),
        ("s/2/p", "s/3/p", "s/1/p", "s/1/p", True, 2.7),
    ]
    assert json.loads(rows[0][3]) == {"mw_name": 1.5, "mw_id_number": -2.0}
    first_id = rows[0][0]
    build_review_candidates(connection, "person", (0.1, 0.95))
    again = connection.execute(
        "SELECT candidate_id FROM review_candidates_person WHERE mention_id_l = 's/3/p'"
    ).fetchall()
    assert again == [(first_id,)]


def test_review_asks_only_what_an_answer_would_change(connection):
    """A band pair inside an entity that other pairs hold together changes nothing; of the band
    pairs between the same two entities one answer settles all, so one is asked."""
    ids = [f"s/{i}/p" for i in range(1, 7)]
    stage_mentions(connection, "person", [person(i) for i in ids])
    stage_pairs(
        connection,
        "person",
        [
            ("s/1/p", "s/2/p", 0.99),
            ("s/2/p", "s/3/p", 0.99),
            ("s/1/p", "s/3/p", 0.6),  # inside, held by the two strong links: not asked
            ("s/4/p", "s/5/p", 0.99),
            ("s/3/p", "s/4/p", 0.5),  # between the two entities: the most uncertain of three
            ("s/1/p", "s/5/p", 0.3),
            ("s/2/p", "s/4/p", 0.7),
            ("s/6/p", "s/5/p", 0.4),  # between the second entity and a singleton
        ],
    )
    cluster_entity(connection, "person", 0.9, weak_link_below=0.95)
    build_review_candidates(connection, "person", (0.1, 0.95))
    rows = connection.execute(
        "SELECT mention_id_l, mention_id_r, weak_link FROM review_candidates_person"
    ).fetchall()
    assert rows == [("s/3/p", "s/4/p", False), ("s/5/p", "s/6/p", False)]


def named(mention_id: str, name_key: str, id_number: str | None = None, **more) -> dict:
    """A person mention with a name; with an ID, a valid one."""
    return {**person(mention_id, id_number), "name_key": name_key, **more}


def test_a_bare_name_joins_the_one_identified_person_who_bears_it(connection):
    """A name written alone (a landlord on a rental row) scores in the review band against the
    only person in the city with that name; a cluster of such mentions joins that person, and
    the join is reported as a weak link for a steward."""
    stage_mentions(
        connection,
        "person",
        [
            named("hukou/1/resident", "feng jianlin", "A", birth_date=date(1945, 8, 2)),
            named("rental/2/landlord", "feng jianlin"),
            named("rental/3/landlord", "feng jianlin"),
            named("hukou/4/resident", "chen ming", "B", birth_date=date(1990, 1, 1)),
        ],
    )
    stage_pairs(
        connection,
        "person",
        [
            ("rental/2/landlord", "rental/3/landlord", 0.95),
            ("rental/2/landlord", "hukou/1/resident", 0.55),
            ("rental/3/landlord", "hukou/1/resident", 0.6),
            # a pair to someone else with another name never decides
            ("rental/2/landlord", "hukou/4/resident", 0.7),
        ],
    )
    result = cluster_entity(connection, "person", 0.9, weak_link_below=0.9)
    assert clusters(connection, "person") == {
        "hukou/1/resident": ["hukou/1/resident", "rental/2/landlord", "rental/3/landlord"],
        "hukou/4/resident": ["hukou/4/resident"],
    }
    assert result.attached == 1
    assert weak_links(connection, "person") == [
        ("hukou/1/resident", "hukou/1/resident", "rental/3/landlord", 0.6)
    ]


def test_a_bare_name_borne_by_two_identified_people_joins_neither(connection):
    stage_mentions(
        connection,
        "person",
        [
            named("hukou/1/resident", "chen ming", "A"),
            named("hukou/2/resident", "chen ming", "B"),
            named("cityops/3/offender", "chen ming"),
        ],
    )
    stage_pairs(
        connection,
        "person",
        [("cityops/3/offender", "hukou/1/resident", 0.8)],
    )
    result = cluster_entity(connection, "person", 0.9)
    assert len(clusters(connection, "person")) == 3
    assert result.attached == 0


def test_a_bare_name_needs_a_scored_pair_and_no_steward_against_it(connection):
    stage_mentions(
        connection,
        "person",
        [
            named("hukou/1/resident", "li na", "A"),
            named("births/2/father", "li na"),
            named("hukou/3/resident", "wang fang", "B"),
            named("births/4/father", "wang fang"),
            named("hukou/5/resident", "zhou yi", "C"),
            named("births/6/father", "zhou yi", phone="13800138000"),
        ],
    )
    stage_pairs(
        connection,
        "person",
        [
            # below attach.min_probability: the model saw evidence against
            ("births/2/father", "hukou/1/resident", 0.2),
            ("births/4/father", "hukou/3/resident", 0.6),
            # not bare: a phone that could have contradicted and did not decide
            ("births/6/father", "hukou/5/resident", 0.6),
        ],
    )
    result = cluster_entity(
        connection,
        "person",
        0.9,
        cannot_link=[("births/4/father", "hukou/3/resident")],
    )
    assert len(clusters(connection, "person")) == 6
    assert result.attached == 0


def test_an_id_written_beside_another_name_than_its_holders_is_a_relatives(connection):
    """A landlord who wrote his daughter's ID on one rental row: she is registered under it
    with the birth date it implies and another name. Her ID is no constraint on him; an ID
    beside a name one character off its holder's (a typo) still is."""
    born = date(1992, 9, 19)
    holder = {"birth_date": born, "id_birth_date": born, "name_script": "cjk"}
    stage_mentions(
        connection,
        "person",
        [
            named("hukou/1/resident", "long jianhua", "A", name="龙建华", **holder),
            named("hukou/2/resident", "long yanling", "B", name="龙艳玲", **holder),
            named("rental/3/landlord", "long jianhua", "B", name="龙建华", name_script="cjk"),
            named("hukou/4/resident", "kong shumin", "C", name="孔淑敏", **holder),
            named("hukou/5/resident", "kong shumin", "D", name="孔淑敏", **holder),
            named("rental/6/landlord", "kong shuming", "D", name="孔淑明", name_script="cjk"),
        ],
    )
    connection.execute(
        "UPDATE mentions SET name_homophone_key = name_key, id_birth_date = ?", [born]
    )
    stage_pairs(
        connection,
        "person",
        [
            ("rental/3/landlord", "hukou/1/resident", 0.97),
            ("rental/6/landlord", "hukou/4/resident", 0.97),
            ("rental/6/landlord", "hukou/5/resident", 0.95),
        ],
    )
    result = cluster_entity(connection, "person", 0.9)
    assert clusters(connection, "person") == {
        "hukou/1/resident": ["hukou/1/resident", "rental/3/landlord"],
        "hukou/2/resident": ["hukou/2/resident"],
        "hukou/4/resident": ["hukou/4/resident"],
        "hukou/5/resident": ["hukou/5/resident", "rental/6/landlord"],
    }
    assert result.refused == {"resident_id": 1}
