"""Placement: each level of an address point is what most sources say; a golden record lies
where the point of its surviving address lies; gaps are filled from the point's road."""

from __future__ import annotations

from resolution.placement import place
from resolution.survivorship import build_golden_records
from tests.resolution.test_cluster import stage_mentions
from tests.resolution.test_survivorship import connection, set_members  # noqa: F401 (fixture)


def at(point: str, district: str | None, street: str | None, community: str | None) -> dict:
    return {"point_key": point, "address": point, "district": district, "street": street,
            "community": community}  # fmt: skip


def test_points_and_golden_records_are_placed_by_the_sources_majority(connection):  # noqa: F811
    street, community = "甲街道", "A社区"
    stage_mentions(
        connection,
        "person",
        [
            {"mention_id": "hukou/1/p", "name": "张伟", **at("X路|1|", "白云区", street, None)},
            {"mention_id": "rental/1/t", "name": "张伟", **at("X路|1|", "白云区", None, community)},
            {
                "mention_id": "urban/1/v",
                "name": "张伟",
                **at("X路|1|", "白云区", street, community),
            },
            {"mention_id": "urban/2/v", "name": "李娜", **at("X路|9|", "白云区", None, None)},
        ],
    )
    set_members(connection, "person", {"P-1": ["hukou/1/p", "rental/1/t", "urban/1/v"],
                                       "P-2": ["urban/2/v"]})  # fmt: skip
    for entity in ("person", "enterprise", "rental_unit"):
        build_golden_records(connection, entity)
    place(connection)
    points = dict(
        (key, rest)
        for key, *rest in connection.execute(
            "SELECT point_key, district, street, community FROM address_points"
        ).fetchall()
    )
    assert points["X路|1|"] == ["白云区", "甲街道", "A社区"]
    assert points["X路|9|"] == ["白云区", "甲街道", "A社区"]  # from its road
    places = connection.execute(
        "SELECT entity, golden_id, point_key, district, street, community FROM golden_places "
        "ORDER BY golden_id"
    ).fetchall()
    assert places == [
        ("person", "P-1", "X路|1|", "白云区", "甲街道", "A社区"),
        ("person", "P-2", "X路|9|", "白云区", "甲街道", "A社区"),
    ]
    areas = set(connection.execute("SELECT district, street, community FROM areas").fetchall())
    assert ("白云区", None, "A社区") in areas and ("白云区", "甲街道", "A社区") in areas
