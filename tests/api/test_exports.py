"""Registers as spreadsheets (GET /exports/…): an XLSX opened with openpyxl, CSV with Chinese
headers; scoped to the token's jurisdiction, masked for department apps, refused outside it
and without a token, audited; an export that cannot finish in time is 503 before its first
byte, or cut off (never a 500 after the headers, never a hang)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import threading
import time
from collections import Counter

import httpx
import pytest
import uvicorn
from openpyxl import load_workbook

from api import exports
from api.app import create_app
from api.config import ApiSettings
from tests.api.conftest import SECRET, token
from tests.conftest import free_port


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
    # ordered by place, then ID: a community's households come together
    keys = [header.index(h) for h in ("区", "街道", "社区", "户籍地址", "人员ID")]
    places = [tuple(r[k] or "" for k in keys) for r in body]
    assert places == sorted(places)


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


@pytest.fixture
def slow_export_server(neo4j_target, city, monkeypatch):
    """The app under uvicorn with a 1 s export timeout, its household register made slow (5 ms
    a row: what a city of a hundred thousand costs at full size), its logs captured."""
    register = exports.REGISTERS["households"]

    def slow_cells(row, masker):
        time.sleep(0.005)
        yield from register.cells(row, masker)

    monkeypatch.setitem(
        exports.REGISTERS, "households", dataclasses.replace(register, cells=slow_cells)
    )
    audit, errors = io.StringIO(), io.StringIO()
    settings = ApiSettings(HUITONG_JWT_SECRET=SECRET, HUITONG_EXPORT_TIMEOUT_SECONDS=1)
    app = create_app(settings, target=neo4j_target, audit_stream=audit, error_stream=errors)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", audit, errors
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def test_an_export_that_cannot_finish_in_time_is_503_before_its_first_byte(slow_export_server):
    url, audit, _ = slow_export_server
    auth = {"Authorization": f"Bearer {token('admin')}"}
    for path in ("/exports/households.xlsx", "/exports/households.csv"):
        began = time.monotonic()
        response = httpx.get(url + path, headers=auth, timeout=30)
        assert response.status_code == 503, (path, response.status_code)
        assert int(response.headers["retry-after"]) >= 1
        assert response.json()["code"] == "SERVICE_UNAVAILABLE"
        assert time.monotonic() - began < 10  # its timeout, not a hang
    lines = [json.loads(line) for line in audit.getvalue().splitlines()]
    assert [line["status"] for line in lines] == [503, 503]


def test_a_csv_that_fails_after_its_first_bytes_is_cut_off_not_a_500(
    slow_export_server, monkeypatch
):
    """The first rows go out at once (a chunk of one byte): the download has begun with 200
    when the timeout passes, so it is cut off before the chunked body's end, which the client
    sees as a failed download, and logged as one line."""
    monkeypatch.setattr(exports, "_CHUNK", 1)
    url, audit, errors = slow_export_server
    auth = {"Authorization": f"Bearer {token('admin')}"}
    received = bytearray()
    began = time.monotonic()
    with httpx.stream("GET", url + "/exports/households.csv", headers=auth, timeout=30) as r:
        assert r.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
            for chunk in r.iter_bytes():
                received.extend(chunk)
    assert time.monotonic() - began < 10
    assert received.decode("utf-8-sig").startswith("区,街道,社区")
    logged = [json.loads(line) for line in errors.getvalue().splitlines()]
    assert len(logged) == 1 and logged[0]["event"] == "stream_aborted"
    assert logged[0]["path"] == "/exports/households.csv" and logged[0]["rows_read"] > 0
    assert "too busy" in logged[0]["reason"] and "exception" not in logged[0]
    (line,) = [json.loads(line) for line in audit.getvalue().splitlines()]
    assert line["status"] == 200 and line["reason"].startswith("cut off:")
