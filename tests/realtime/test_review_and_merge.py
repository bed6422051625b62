"""The two outcomes of record-to-entity matching besides joining one entity, against the real
Neo4j: a row in the review band joins nothing and becomes a review candidate; a row that links
two existing entities merges them (with lineage), or, where a hard constraint keeps them apart,
joins one and raises a review candidate for the other; an enterprise named without its USCC,
as like two registered enterprises as each other, joins neither (as the batch decides).

The rows are built here (names no generated city uses, valid resident IDs), so what each row
shares with the ones before it is plain to read."""

from __future__ import annotations

import pytest

from huitong.standardise.identifiers import (
    organisation_code_check_char,
    resident_id_check_char,
    uscc_check_char,
)
from realtime.engine import rows_from_objects
from tests.realtime.conftest import plain_rows

ADDRESS = "广州市天河区林和街道凌塘大街272号705房"


def _resident_id(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


def _uscc(organisation: str) -> str:
    """A valid USCC of a Guangzhou enterprise with this 8-character organisation code."""
    first17 = "91440101" + organisation + organisation_code_check_char(organisation)
    return first17 + uscc_check_char(first17)


@pytest.fixture(scope="module")
def submit(city, engine):
    columns = plain_rows(city.out / "hukou.csv", "utf-8")[0].keys()

    def submit(record_id: str, **values: str):
        row = {**dict.fromkeys(columns, ""), "人员编号": record_id, **values}
        result = engine.submit("hukou", rows_from_objects([row]), "test")
        (row_result,) = result.rows
        assert row_result.status == "CREATED", row_result
        (mention,) = row_result.mentions
        return mention

    return submit


def _resolves_to(graph, record_id: str) -> str | None:
    records, _, _ = graph.execute_query(
        "MATCH (:SourceRecord {key: $key})-[:RESOLVES_TO]->(g:Person) RETURN g.id AS id",
        key=f"hukou/{record_id}/resident",
    )
    return records[0]["id"] if records else None


def _review_candidate(graph, a: str, b: str) -> dict | None:
    left, right = sorted((f"hukou/{a}/resident", f"hukou/{b}/resident"))
    records, _, _ = graph.execute_query(
        "MATCH (l:SourceRecord {key: $left})<-[:LEFT]-(c:ReviewCandidate)-[:RIGHT]->"
        "(r:SourceRecord {key: $right}) RETURN c.match_probability AS p, c.entity AS entity",
        left=left,
        right=right,
    )
    return dict(records[0]) if records else None


def test_a_row_in_the_review_band_joins_nothing_and_becomes_a_review_candidate(
    engine, graph, submit
):
    first = submit(
        "RT-BAND-1", 姓名="司徒乐天", 公民身份号码=_resident_id("44010619870214051"),
        性别="男", 出生日期="1987-02-14",
    )  # fmt: skip
    assert first.decision == "NEW"
    # the same name, nothing else in common: evidence, not proof
    second = submit("RT-BAND-2", 姓名="司徒乐天", 联系电话="13912345670", 现住址=ADDRESS)
    low, high = engine.specs["person"].review_band
    assert second.decision == "REVIEW"
    assert low <= second.match_probability < engine.specs["person"].cluster_threshold <= high
    assert second.entity_id != first.entity_id, "a review-band row joins nothing"
    assert second.review_with == [first.entity_id] and second.merged_ids == []
    assert _resolves_to(graph, "RT-BAND-2") == second.entity_id
    assert _resolves_to(graph, "RT-BAND-1") == first.entity_id
    candidate = _review_candidate(graph, "RT-BAND-1", "RT-BAND-2")
    assert candidate == {"p": pytest.approx(second.match_probability), "entity": "person"}


def test_a_row_linking_two_entities_merges_them_with_lineage(engine, graph, submit):
    resident_id = _resident_id("44010619880521053")
    by_id = submit(
        "RT-LINK-1", 姓名="司徒景行", 公民身份号码=resident_id, 性别="男", 出生日期="1988-05-21"
    )  # fmt: skip
    by_phone = submit("RT-LINK-2", 姓名="司徒景行", 联系电话="13912345680", 现住址=ADDRESS)
    assert by_id.decision == "NEW" and by_phone.decision == "REVIEW"
    assert by_phone.entity_id != by_id.entity_id
    both = submit(
        "RT-LINK-3", 姓名="司徒景行", 公民身份号码=resident_id, 性别="男",
        出生日期="1988-05-21", 联系电话="13912345680", 现住址=ADDRESS,
    )  # fmt: skip
    assert both.decision == "MATCHED"
    assert both.match_probability >= engine.specs["person"].cluster_threshold
    assert {both.entity_id, *both.merged_ids} == {by_id.entity_id, by_phone.entity_id}
    (gone,) = both.merged_ids
    for record_id in ("RT-LINK-1", "RT-LINK-2", "RT-LINK-3"):
        assert _resolves_to(graph, record_id) == both.entity_id
    records, _, _ = graph.execute_query(
        "MATCH (p:Person {id: $gone}) RETURN count(p) AS n", gone=gone
    )
    assert records[0]["n"] == 0, "the merged-away record leaves the graph"
    records, _, _ = graph.execute_query(
        "MATCH (:RetiredEntity {id: $gone})-[:REDIRECTS_TO]->(k:Person) RETURN k.id AS id",
        gone=gone,
    )
    assert [r["id"] for r in records] == [both.entity_id], "its ID redirects to the survivor"
    records, _, _ = graph.execute_query(
        "MATCH (c:Change {kind: 'MERGED', entity_id: $gone}) RETURN c.other_id AS other",
        gone=gone,
    )
    assert [r["other"] for r in records] == [both.entity_id]
    # the merge is durable state: a further row naming the old ID's evidence joins the survivor
    again = submit("RT-LINK-4", 姓名="司徒景行", 联系电话="13912345680", 现住址=ADDRESS)
    assert again.decision == "MATCHED" and again.entity_id == both.entity_id


def test_a_row_linking_two_entities_a_constraint_keeps_apart_raises_a_review(engine, graph, submit):
    one = _resident_id("44010519900301062")
    other = _resident_id("44010519900301064")
    first = submit(
        "RT-APART-1", 姓名="欧阳晓彤", 公民身份号码=one, 性别="女", 出生日期="1990-03-01",
        联系电话="13712345671",
    )  # fmt: skip
    second = submit(
        "RT-APART-2", 姓名="欧阳晓彤", 公民身份号码=other, 性别="女", 出生日期="1990-03-01",
        联系电话="13712345672",
    )  # fmt: skip
    assert second.entity_id != first.entity_id, "two valid resident IDs never join"
    # no ID: strong evidence for both (name, birth date, and one's phone)
    linking = submit(
        "RT-APART-3", 姓名="欧阳晓彤", 性别="女", 出生日期="1990-03-01", 联系电话="13712345671"
    )  # fmt: skip
    assert linking.decision == "MATCHED" and linking.entity_id == first.entity_id
    assert linking.merged_ids == [] and linking.review_with == [second.entity_id]
    records, _, _ = graph.execute_query(
        "MATCH (p:Person) WHERE p.id IN $ids RETURN count(p) AS n",
        ids=[first.entity_id, second.entity_id],
    )
    assert records[0]["n"] == 2, "both entities stay"
    assert _resolves_to(graph, "RT-APART-3") == first.entity_id
    assert _review_candidate(graph, "RT-APART-2", "RT-APART-3") is not None


def test_an_enterprise_named_alike_by_two_registered_ones_joins_neither(city, engine, graph):
    registry = plain_rows(city.out / "enterprise.csv", "utf-8-sig")[0].keys()
    migrants = plain_rows(city.out / "migrants.csv", "gb18030")[0].keys()
    firms = []
    for number, name in (("1", "广州市澜汐泽贸易有限公司"), ("2", "澜汐泽贸易(广州)有限公司")):
        row = {**dict.fromkeys(registry, ""), "登记序号": f"RT-TORN-{number}", "企业名称": name,
               "统一社会信用代码": _uscc(f"MA5LXQ0{number}")}  # fmt: skip
        (result,) = engine.submit("enterprise", rows_from_objects([row]), "test").rows
        firms.append(next(m for m in result.mentions if m.role == "enterprise"))
    assert firms[0].entity_id != firms[1].entity_id, "two valid USCCs never join"
    # a migrant's workplace written by name alone: the same brand as both, nothing else
    row = {**dict.fromkeys(migrants, ""), "登记流水号": "RT-TORN-3", "姓名": "澹台雨桐",
           "服务处所": "广州澜汐泽贸易有限公司"}  # fmt: skip
    (result,) = engine.submit("migrants", rows_from_objects([row]), "test").rows
    (workplace,) = [m for m in result.mentions if m.entity == "enterprise"]
    assert workplace.decision == "REVIEW"
    assert workplace.entity_id not in {f.entity_id for f in firms}
    assert sorted(workplace.review_with) == sorted(f.entity_id for f in firms)
