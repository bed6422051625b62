"""Registers as spreadsheets (GET /exports/…): an XLSX opened with openpyxl, CSV with Chinese
headers; scoped to the token's jurisdiction, masked for department apps, refused outside it
and without a token, audited."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

import pytest
from openpyxl import load_workbook

from tests.api.conftest import token


def get(api, path: str, auth: str | None, **params):
    headers = {"Authorization": f"Bearer {auth}"} if auth else {}
    return api.request("GET", path, headers=headers, params=params)


def sheet(response) -> list[list]:
    assert response.status_code == 200, response.text
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def table(response) -> list[dict]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.fixture(scope="module")
def district(graph_driver) -> str:
    records, _, _ = graph_driver.execute_query(
        "MATCH (p:Person) WHERE p.district IS NOT NULL "
        "RETURN p.district AS d, count(*) AS n ORDER BY n DESC LIMIT 1"
    )
    return records[0]["d"]


def test_the_household_register_as_xlsx_city_wide(api, graph_driver):
    rows = sheet(get(api, "/exports/households.xlsx", token("admin")))
    header, body = rows[0], rows[1:]
    assert header[:6] == ["区", "街道", "社区", "户籍地址", "户号", "与户主关系"]
    records, _, _ = graph_driver.execute_query("MATCH (p:Person) RETURN count(p) AS n")
    assert len(body) == records[0]["n"]
    ids = [r[header.index("公民身份号码")] for r in body if r[header.index("公民身份号码")]]
    assert ids and not any("*" in i for i in ids)
    assert any(r[header.index("户号")] for r in body)
    assert any(r[header.index("配偶")] for r in body) and any(r[header.index("子女")] for r in body)


def test_a_district_app_gets_its_district_masked(api, graph_driver, district):
    auth = token("department_app", district=district)
    rows = table(get(api, "/exports/households.csv", auth))
    records, _, _ = graph_driver.execute_query(
        "MATCH (p:Person {district: $d}) RETURN count(p) AS n", d=district
    )
    assert len(rows) == records[0]["n"] and {r["区"] for r in rows} == {district}
    assert all("*" in r["公民身份号码"] for r in rows if r["公民身份号码"])
    assert all("*" in r["联系电话"] for r in rows if r["联系电话"])
    # a street of it: only that street's records
    street = Counter(r["街道"] for r in rows if r["街道"]).most_common(1)[0][0]
    narrowed = table(get(api, "/exports/households.csv", auth, street=street))
    assert narrowed and len(narrowed) < len(rows)
    assert {r["街道"] for r in narrowed} <= {street, ""}


def test_other_registers(api, district):
    auth = token("steward", district=district)
    units = table(get(api, "/exports/rental-units.csv", auth))
    assert units and {r["区"] for r in units} == {district}
    assert any(r["租客姓名"] for r in units) and any(int(r["租客人数"]) > 1 for r in units)
    enterprises = sheet(get(api, "/exports/enterprises.xlsx", token("admin")))
    header = enterprises[0]
    assert "是否非公企业" in header and "法定代表人" in header
    flags = Counter(r[header.index("是否非公企业")] for r in enterprises[1:])
    assert flags["是"] > 0
    unemployed = table(get(api, "/exports/unemployed.csv", token("admin")))
    assert unemployed and all(
        r["失业登记"] == "是" or "失业" in r["各来源就业状态"] for r in unemployed
    )
    assert any(r["培训需求"] for r in unemployed) and any(r["就业意愿"] for r in unemployed)


def test_refused_outside_the_jurisdiction_without_a_token_or_an_unknown_register(
    api, district, audit_stream
):
    auth = token("department_app", district=district)
    other = "海珠区" if district != "海珠区" else "越秀区"
    assert get(api, "/exports/households.csv", auth, district=other).status_code == 403
    assert get(api, "/exports/households.csv", None).status_code == 401
    assert get(api, "/exports/payroll.csv", auth).status_code == 404
    assert get(api, "/exports/households.pdf", auth).status_code == 404
    lines = [json.loads(line) for line in audit_stream.getvalue().splitlines() if line]
    exports = [line for line in lines if line["fields"] == ["export:households"]]
    assert {line["status"] for line in exports} >= {200, 401, 403}
    assert any(line["records_returned"] > 0 for line in exports)
