"""The data-quality scorecard per source: counts that reconcile with the ingest report, field
validity that sees the generator's bad check digits, contradictions and duplicates; a
department app sees only its own department's sources."""

from __future__ import annotations

import json

from tests.api.conftest import token

CARD = """
query($source: String!) { sourceQuality(source: $source) {
  source department rowsRead rowsStaged rowsQuarantined quarantined { reason count }
  fields { field mentions filled invalid completeness validity }
  contradictions { reason count } duplicateRecords } }
"""


def test_a_scorecard_reconciles_with_the_ingest(api, city, graph_driver):
    card = api.query(CARD, token("steward"), source="hukou")["sourceQuality"]
    report = json.loads((city.workdir / "ingest_report.json").read_text())
    ingested = next(s for s in report["sources"] if s["name"] == "hukou")
    assert card["rowsRead"] == ingested["rows_read"] == card["rowsStaged"] + card["rowsQuarantined"]
    assert sum(r["count"] for r in card["quarantined"]) == card["rowsQuarantined"]
    fields = {f["field"]: f for f in card["fields"]}
    assert fields["id_number"]["filled"] > 0 and fields["id_number"]["invalid"] > 0
    assert 0 < fields["id_number"]["validity"] < 1 and fields["name"]["completeness"] > 0.9
    assert {c["reason"] for c in card["contradictions"]} == {"birth_date", "gender", "name"}
    rows, _, _ = graph_driver.execute_query(
        "MATCH (s:SourceRecord)-[:RESOLVES_TO]->(g) WHERE s.key STARTS WITH 'hukou/' "
        "WITH g, split(s.key, '/') AS key WITH g, key[2] AS role, count(DISTINCT key[1]) AS n "
        "RETURN sum(n - 1) AS dup"
    )
    assert card["duplicateRecords"] == rows[0]["dup"] > 0
    assert api.query(CARD, token("admin"), source="nope")["sourceQuality"] is None


def test_a_department_app_sees_its_own_sources_only(api):
    own = api.query(CARD, token("department_app"), source="violations")["sourceQuality"]
    assert own["department"] == "城市管理和综合执法局"
    response = api.post(CARD, auth=token("department_app"), variables={"source": "hukou"})
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    response = api.post(CARD, auth=token("investigator"), variables={"source": "hukou"})
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
