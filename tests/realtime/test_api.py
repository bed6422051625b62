"""submitRecords and retractRecords through the API: who may, what the answer says, and that
a refused call writes nothing."""

from __future__ import annotations

import io
import json

import pytest

from api.app import create_app
from api.config import ApiSettings
from huitong.journal import Journal
from tests.api.conftest import SECRET, LiveApi, token

SUBMIT = """mutation($source: String!, $rows: [JSON!]!) {
  submitRecords(source: $source, rows: $rows) {
    source sequence rows { recordId status reason
      mentions { role entity entityId decision matchProbability mergedIds reviewWith } } } }"""
RETRACT = """mutation($source: String!, $ids: [String!]!) {
  retractRecords(source: $source, recordIds: $ids) { retracted notFound sequence } }"""


AUDIT = io.StringIO()


@pytest.fixture(scope="module")
def live(city, neo4j_target):
    settings = ApiSettings(HUITONG_JWT_SECRET=SECRET)
    app = create_app(settings, target=neo4j_target, workdir=city.workdir, audit_stream=AUDIT)
    api = LiveApi(app)
    yield api
    api.close()


def test_only_the_sources_department_or_an_admin_may_submit(live, city):
    row = city.rows["hukou"][6]
    before = Journal(city.workdir).last_seq()
    for caller in (
        token("steward"),
        token("investigator"),
        token("department_app", department="出租屋管理中心"),
    ):
        response = live.post(SUBMIT, auth=caller, variables={"source": "hukou", "rows": [row]})
        errors = response.json()["errors"]
        assert errors[0]["extensions"]["code"] == "FORBIDDEN", errors
    assert Journal(city.workdir).last_seq() == before, "a refused call writes nothing"
    unknown = live.post(SUBMIT, auth=token(), variables={"source": "nope", "rows": [row]})
    assert unknown.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_a_department_app_submits_to_its_own_source_and_reads_it_back(live, city):
    row = city.rows["hukou"][6]
    app = token("department_app", department=city.config.source("hukou").department)
    data = live.query(SUBMIT, app, source="hukou", rows=[row, {"人员编号": ""}])
    result = data["submitRecords"]
    first, bad = result["rows"]
    assert first["status"] == "CREATED" and result["sequence"] >= 1
    assert bad["status"] == "QUARANTINED" and "record id" in bad["reason"]
    resident = next(m for m in first["mentions"] if m["role"] == "resident")
    assert resident["entity"] == "person" and resident["entityId"].startswith("P-")
    audit = json.loads(AUDIT.getvalue().splitlines()[-1])
    assert audit["arguments"]["submitRecords"] == {"source": "hukou", "rows": "2 rows"}
    assert row["姓名"] not in AUDIT.getvalue(), "the rows are in the journal, not the audit"
    person = live.query(
        """query($id: ID!) { person(id: $id) { ... on Person {
             sourceRecords(first: 100) { edges { node { source recordId } } } } } }""",
        token(),
        id=resident["entityId"],
    )["person"]
    records = {
        (e["node"]["source"], e["node"]["recordId"]) for e in person["sourceRecords"]["edges"]
    }
    assert ("hukou", row["人员编号"]) in records
    again = live.query(SUBMIT, app, source="hukou", rows=[row])["submitRecords"]
    assert again["rows"][0]["status"] == "UNCHANGED" and again["sequence"] is None
    gone = live.query(RETRACT, token(), source="hukou", ids=[row["人员编号"]])["retractRecords"]
    assert gone["retracted"] == [row["人员编号"]]
