"""Resident IDs and phones: masked for department apps, shown to stewards and above."""

from __future__ import annotations

import re

from api.masking import Masker, mask_phone, mask_resident_id, mask_text
from tests.api.conftest import token

MASKED_ID = re.compile(r"^[0-9]{4}\*{10}[0-9X]{4}$")
MASKED_MOBILE = re.compile(r"^1[3-9][0-9]\*{4}[0-9]{4}$")


def test_masks():
    assert mask_resident_id("44010619660225457X") == "4401**********457X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("020-87654321") == "020-****4321"
    text = "证号44010619660225457011，手机+86 138 1234 5678，电话020-87654321，护照EC8318917"
    masked = mask_text(text)
    for secret in ("196602254570", "1234", "8765", "8318"):
        assert secret not in masked
    assert Masker(True).resident_id("44010619660225457X") == "44010619660225457X"
    assert Masker(False).attribute("id_number", "44010619660225457X") == "4401**********457X"


PERSON = """
query($id: ID!) { person(id: $id) { ... on Person {
  idNumber phone provenance { attribute value }
  sourceRecords(first: 50) { edges { node { idNumber idNumberRaw phone phoneRaw
    attributes { name value } } } } } } }
"""


def a_person_with_identifiers(city, graph_driver) -> str:
    rows, _, _ = graph_driver.execute_query(
        "MATCH (p:Person) WHERE p.id_number IS NOT NULL AND p.phone STARTS WITH '1' "
        "AND size(p.id_number) = 18 RETURN p.id AS id ORDER BY p.mention_count DESC LIMIT 1"
    )
    return rows[0]["id"]


def test_department_apps_see_masked_identifiers_everywhere(api, city, graph_driver):
    person = a_person_with_identifiers(city, graph_driver)
    view = api.query(PERSON, token("department_app"), id=person)["person"]
    assert MASKED_ID.match(view["idNumber"]) and MASKED_MOBILE.match(view["phone"])
    for entry in view["provenance"]:
        if entry["attribute"] == "id_number":
            assert MASKED_ID.match(entry["value"])
        if entry["attribute"] == "phone":
            assert MASKED_MOBILE.match(entry["value"])
    records = [e["node"] for e in view["sourceRecords"]["edges"]]
    for record in records:
        for field in ("idNumber", "idNumberRaw", "phone", "phoneRaw"):
            value = record[field]
            assert value is None or "*" in value, (field, value)
        for attribute in record["attributes"]:
            assert not re.search(r"[0-9]{11,}", attribute["value"] or ""), attribute


def test_stewards_investigators_and_admins_see_identifiers(api, city, graph_driver):
    person = a_person_with_identifiers(city, graph_driver)
    for role in ("steward", "investigator", "admin"):
        view = api.query(PERSON, token(role), id=person)["person"]
        assert "*" not in view["idNumber"] and len(view["idNumber"]) == 18
        assert "*" not in view["phone"]
