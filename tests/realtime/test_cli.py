"""``huitong submit``: a delta file in the source's own format through the real-time path,
one JSON line per row, into the real Neo4j."""

from __future__ import annotations

import csv
import io
import json

from typer.testing import CliRunner

from graph_schema.connection import open_driver
from huitong.cli import app

runner = CliRunner()


def test_submit_a_delta_file_prints_a_line_per_row_and_lands_in_the_graph(
    city, neo4j_target, tmp_path
):
    rows = city.rows["hukou"][9:11]
    header = list(rows[0])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows([*rows, {**rows[0], "人员编号": ""}])
    delta = tmp_path / "hukou-delta.csv"
    delta.write_bytes(buffer.getvalue().encode("utf-8"))
    args = ["submit", "--config", str(city.out / "sources.toml"), "--workdir",
            str(city.workdir), "--source", "hukou", str(delta)]  # fmt: skip

    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [line["status"] for line in lines] == ["CREATED", "CREATED", "QUARANTINED"]
    assert "record id" in lines[2]["reason"]
    given = {}
    for line in lines[:2]:
        assert "resident" in {mention["role"] for mention in line["mentions"]}
        for mention in line["mentions"]:
            assert set(mention) >= {"role", "entity", "entityId", "decision", "matchProbability"}
            assert mention["decision"] in ("MATCHED", "NEW", "REVIEW")
            given[f"hukou/{line['recordId']}/{mention['role']}"] = mention["entityId"]
    with open_driver(neo4j_target) as driver:
        records, _, _ = driver.execute_query(
            "MATCH (s:SourceRecord)-[:RESOLVES_TO]->(g) WHERE s.key IN $keys "
            "RETURN s.key AS key, g.id AS id",
            keys=list(given),
        )
    assert {r["key"]: r["id"] for r in records} == given

    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    statuses = [json.loads(x)["status"] for x in again.stdout.splitlines() if x.startswith("{")]
    assert statuses == ["UNCHANGED", "UNCHANGED", "QUARANTINED"]


def test_submit_names_an_unknown_source(city, tmp_path):
    delta = tmp_path / "empty.csv"
    delta.write_text("a\n1\n", encoding="utf-8")
    result = runner.invoke(
        app,
        ["submit", "--config", str(city.out / "sources.toml"), "--workdir", str(city.workdir),
         "--source", "nope", str(delta)],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "nope" in result.output
