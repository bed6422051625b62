"""The API's Cypher: labels from closed sets only, every read filtered by jurisdiction."""

from __future__ import annotations

import pytest

from graph_schema import api_queries as q


def test_builders_accept_only_closed_sets():
    with pytest.raises(ValueError):
        q.lookup("Person) DETACH DELETE (n")
    with pytest.raises(ValueError):
        q.related("Person", "KNOWS", "out", "Person")
    with pytest.raises(ValueError):
        q.related("Person", "RENTS", "sideways", "RentalUnit")
    with pytest.raises(ValueError):
        q.entity_events("Person", "Violation`) DELETE (x")
    with pytest.raises(ValueError):
        q.in_scope("n.district OR true")
    with pytest.raises(ValueError):
        q.in_area("n", "$anything")


def test_relation_query_text():
    text = q.related("Person", "SPOUSE_OF", "both", "Person")
    assert "MATCH (n:Person {id: id})-[r:SPOUSE_OF]-(m:Person)" in text
    assert q.in_scope("m") in text
    assert "$scope.district" in q.in_scope("m")


@pytest.mark.parametrize(
    "query",
    [
        q.lookup("Person"),
        q.related("Enterprise", "LEGAL_REPRESENTATIVE_OF", "in", "Person"),
        q.point_registered("Person"),
        q.POINT_UNITS,
        q.POINT_EVENTS,
        q.EVENT_PARTICIPANTS,
        q.ADDRESS_POINTS,
        q.SEARCH_PEOPLE,
        q.SEARCH_ENTERPRISES,
        q.REPEAT_OFFENDERS,
        q.HOUSEHOLD,
        q.ENTERPRISES_OF_AREA,
        q.MARRIED_WOMEN,
        q.EMPLOYMENT_RECORDS_OF_AREA,
    ],
)
def test_reads_returning_records_are_scoped(query):
    assert "$scope.district" in query
    assert not any(word in query.upper().split() for word in ("CREATE", "MERGE", "SET", "DELETE"))
