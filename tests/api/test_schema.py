"""The schema: SDL snapshot, a description on every field and argument, query limits."""

from __future__ import annotations

import os
from pathlib import Path

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from api.schema import schema
from tests.api.conftest import token

SNAPSHOT = Path(__file__).with_name("schema.graphql")


def test_schema_matches_the_reviewed_snapshot():
    sdl = str(schema) + "\n"
    if os.environ.get("HUITONG_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(sdl, encoding="utf-8")
    assert SNAPSHOT.read_text(encoding="utf-8") == sdl, (
        "the GraphQL schema changed: review it, then run with HUITONG_UPDATE_SNAPSHOTS=1"
    )


def test_every_type_field_and_argument_is_described():
    missing = []
    for name, kind in schema._schema.type_map.items():
        if name.startswith("__") or name in ("String", "Boolean", "Int", "Float", "ID", "Date"):
            continue
        if not kind.description:
            missing.append(name)
        if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for field_name, field in kind.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
        if isinstance(kind, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, value in kind.values.items() if not value.description]
    assert missing == []


def errors_of(api, query: str) -> list[dict]:
    response = api.post(query, auth=token())
    assert response.status_code == 200
    return response.json().get("errors") or []


def test_depth_alias_token_and_cost_limits(api):
    nested = "id"
    for _ in range(6):
        nested = f"spouses(first: 1) {{ edges {{ node {{ {nested} }} }} }}"
    depth = errors_of(api, f'{{ person(id: "x") {{ ... on Person {{ {nested} }} }} }}')
    assert any("exceeds maximum operation depth" in e["message"] for e in depth)
    aliases = "{ " + " ".join(f"a{i}: me {{ role }}" for i in range(20)) + " }"
    assert "aliases" in errors_of(api, aliases)[0]["message"]
    tokens = "{ me { " + " ".join(["role"] * 2500) + " } }"
    assert "token" in errors_of(api, tokens)[0]["message"].lower()
    costly = """{ searchPeople(name: "陈伟", first: 100) { edges { node {
      spouses(first: 100) { edges { node { id } } } } } } }"""
    error = errors_of(api, costly)[0]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    too_big = errors_of(api, '{ searchPeople(name: "陈伟", first: 500) { totalCount } }')
    assert too_big[0]["extensions"]["code"] == "BAD_USER_INPUT"
