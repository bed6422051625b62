"""Change entries between resolve runs: created, updated (before/after/source), moved out of the
old place and into the new one, retired, merged, split and events; nothing when nothing changed;
the same entries after a failed attempt."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from resolution.changes import change_entries, record_changes
from resolution.placement import place
from resolution.survivorship import build_golden_records
from tests.resolution.test_cluster import stage_mentions
from tests.resolution.test_survivorship import connection, set_members  # noqa: F401 (fixture)

BAIYUN = ("白云区", "甲街道", "A社区")
YUEXIU = ("越秀区", "乙街道", "B社区")


def person(mention_id: str, name: str, point: str, area: tuple, **more) -> dict:
    district, street, community = area
    return {"mention_id": mention_id, "name": name, "point_key": point, "address": point,
            "district": district, "street": street, "community": community, **more}  # fmt: skip


def resolved(connection, mentions: list[dict], members: dict[str, list[str]]) -> None:  # noqa: F811
    """Stage ``mentions`` as the run's, with ``members`` as its golden IDs, and place them."""
    connection.execute("DELETE FROM mentions")
    connection.execute("DELETE FROM golden_members")
    stage_mentions(connection, "person", mentions)
    set_members(connection, "person", members)
    for entity in ("person", "enterprise", "rental_unit"):
        build_golden_records(connection, entity)
    place(connection)


def run(connection, run_id: str) -> list[dict]:  # noqa: F811
    record_changes(connection, run_id, datetime(2026, 3, 1, tzinfo=UTC))
    return [e for e in change_entries(connection) if e["run_id"] == run_id]


def lineage(connection, run_id: str, old_id: str, new_id: str | None, kind: str) -> None:  # noqa: F811
    connection.execute(
        "INSERT INTO golden_lineage VALUES (?, now(), 'person', ?, ?, ?, '')",
        [run_id, old_id, new_id, kind],
    )


def by_kind(entries: list[dict]) -> dict[tuple[str, str], dict]:
    return {(e["kind"], e["entity_id"]): e for e in entries}


def test_a_run_records_what_changed_where_it_concerns(connection):  # noqa: F811
    zhang = person("hukou/1/p", "张伟", "X路|1|", BAIYUN, phone="13800000001", phone_valid=True)
    li = person("urban/2/v", "李娜", "X路|5|", BAIYUN)
    wang = person("hukou/3/p", "王芳", "Y路|2|", YUEXIU)
    resolved(connection, [zhang, li, wang], {"P-1": ["hukou/1/p"], "P-2": ["urban/2/v"],
                                             "P-3": ["hukou/3/p"]})  # fmt: skip
    first = run(connection, "20260101T000000000000Z")
    assert {(e["kind"], e["entity_id"]) for e in first} == {
        ("CREATED", "P-1"), ("CREATED", "P-2"), ("CREATED", "P-3")
    }  # fmt: skip
    created = by_kind(first)[("CREATED", "P-1")]
    assert (created["district"], created["street"], created["community"]) == BAIYUN
    assert {"name": "name", "before": None, "after": "张伟", "source": "hukou",
            "record_id": "1"} in created["fields"]  # fmt: skip
    assert created["source_records"] == ["hukou/1/p"]
    assert len({e["key"] for e in first}) == 3

    # Zhang moves to Yuexiu and changes phone; Li's records vanish; Wang's record splits off a
    # second person; a birth is registered for Wang.
    moved = person("hukou/1/p", "张伟", "Y路|9|", YUEXIU, phone="13900000009", phone_valid=True)
    wang2 = person("health/4/p", "王芳", "Y路|2|", YUEXIU)
    run2 = "20260102T000000000000Z"
    resolved(connection, [moved, wang, wang2], {"P-1": ["hukou/1/p"], "P-3": ["hukou/3/p"],
                                                "P-4": ["health/4/p"]})  # fmt: skip
    lineage(connection, run2, "P-2", None, "retire")
    lineage(connection, run2, "P-3", "P-4", "split")
    connection.execute(
        "INSERT INTO events (event_id, source, record_id, department, type, place_point_key, "
        "place_district) VALUES ('health/4', 'health', '4', '卫健委', 'Birth', 'Y路|2|', '越秀区')"
    )
    connection.execute(
        "INSERT INTO event_participants VALUES ('health', 'health/4', 'health/4/p', 'mother')"
    )
    second = run(connection, run2)
    kinds = by_kind(second)
    assert set(kinds) == {
        ("MOVED_OUT", "P-1"), ("MOVED_IN", "P-1"), ("UPDATED", "P-1"), ("RETIRED", "P-2"),
        ("SPLIT", "P-3"), ("CREATED", "P-4"), ("EVENT", "P-4"),
    }  # fmt: skip
    out, into = kinds[("MOVED_OUT", "P-1")], kinds[("MOVED_IN", "P-1")]
    assert (out["district"], out["street"], out["community"], out["point_key"]) == (
        *BAIYUN, "X路|1|"
    )  # fmt: skip
    assert out["fields"] == []  # nothing of the new address where they left
    assert (into["district"], into["street"], into["community"]) == YUEXIU
    updated = kinds[("UPDATED", "P-1")]
    assert updated["district"] == "越秀区"  # where the record lies now
    fields = {f["name"]: f for f in updated["fields"]}
    assert fields["phone"] == {
        "name": "phone", "before": "13800000001", "after": "13900000009", "source": "hukou",
        "record_id": "1",
    }  # fmt: skip
    assert fields["address"]["before"] == "X路|1|" and fields["address"]["after"] == "Y路|9|"
    assert "name" not in fields
    retired = kinds[("RETIRED", "P-2")]
    assert retired["district"] == "白云区" and retired["source_records"] == ["urban/2/v"]
    split = kinds[("SPLIT", "P-3")]
    assert split["other_id"] == "P-4" and split["district"] == "越秀区"
    event = kinds[("EVENT", "P-4")]
    assert event["event_type"] == "Birth" and event["event_id"] == "health/4"
    assert event["fields"][0]["after"] == "mother"

    # nothing changed: nothing recorded
    assert run(connection, "20260103T000000000000Z") == []


def test_a_failed_attempt_records_nothing_and_the_retry_records_the_same(connection):  # noqa: F811
    zhang = person("hukou/1/p", "张伟", "X路|1|", BAIYUN)
    resolved(connection, [zhang], {"P-1": ["hukou/1/p"]})
    run(connection, "20260101T000000000000Z")
    moved = person("hukou/1/p", "张伟", "Y路|9|", YUEXIU)
    resolved(connection, [moved], {"P-1": ["hukou/1/p"]})
    connection.execute("ALTER TABLE events RENAME TO events_away")
    with pytest.raises(Exception, match="events"):
        run(connection, "20260102T000000000000Z")
    connection.execute("ALTER TABLE events_away RENAME TO events")
    assert [e["run_id"] for e in change_entries(connection)] == ["20260101T000000000000Z"]
    retried = run(connection, "20260102T000000000001Z")
    assert [(e["kind"], e["entity_id"], e["district"]) for e in retried] == [
        ("MOVED_OUT", "P-1", "白云区"), ("MOVED_IN", "P-1", "越秀区"), ("UPDATED", "P-1", "越秀区")
    ]  # fmt: skip
    assert json.dumps([e["ordinal"] for e in retried]) == "[1, 2, 3]"
