"""Bearer tokens: issued, verified, and refused with HTTP 401 before any GraphQL runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from api.auth import (
    ROLES,
    InvalidToken,
    issue_token,
    load_secret,
    parse_ttl,
    verify_token,
)
from tests.api.conftest import SECRET, token

ME = "{ me { subject role department district street community identifiersVisible } }"


def test_token_round_trip_carries_role_department_and_jurisdiction():
    signed = issue_token(
        SECRET, role="department_app", subject="app:城管", department="城管",
        district="越秀区", street="北京街道", community="仓边社区",
    )  # fmt: skip
    caller = verify_token(SECRET, signed)
    assert caller.role == "department_app" and caller.department == "城管"
    assert caller.jurisdiction.describe() == "越秀区/北京街道/仓边社区"
    assert not caller.sees_identifiers
    assert {r for r in ROLES if verify_token(SECRET, token(r)).sees_identifiers} == {
        "steward", "investigator", "admin"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("claims", "problem"),
    [
        ({"role": "mayor"}, "role must be one of"),
        ({"role": "department_app"}, "needs a department"),
        ({"role": "admin", "street": "北京街道"}, "needs its district"),
    ],
)
def test_bad_claims_are_refused_when_issuing(claims, problem):
    with pytest.raises(ValueError, match=problem):
        issue_token(SECRET, subject="x", **claims)


def test_ttl_parsing():
    assert parse_ttl("8h") == timedelta(hours=8)
    assert parse_ttl("30m") == timedelta(minutes=30)
    assert parse_ttl(" 7d ") == timedelta(days=7)
    with pytest.raises(ValueError):
        parse_ttl("forever")


def test_development_secret_is_generated_once_private(tmp_path):
    first = load_secret(None, tmp_path)
    assert len(first) >= 40
    assert (tmp_path / "jwt_secret").stat().st_mode & 0o777 == 0o600
    assert load_secret(None, tmp_path) == first
    assert load_secret("configured", tmp_path) == "configured"


def forged(**overrides):
    now = datetime.now(UTC)
    claims = {
        "iss": "huitong", "aud": "huitong-api", "sub": "x", "role": "admin",
        "iat": int(now.timestamp()), "exp": int((now + timedelta(hours=1)).timestamp()),
    }  # fmt: skip
    claims.update(overrides)
    secret = claims.pop("secret", SECRET)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, "HS256")


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing"),
        ("Basic dXNlcjpwYXNz", "Bearer"),
        ("Bearer not-a-jwt", "invalid token"),
        (f"Bearer {forged(secret='another-secret-' + 'x' * 40)}", "invalid token"),
        (f"Bearer {forged(exp=int(datetime.now(UTC).timestamp()) - 10)}", "expired"),
        (f"Bearer {forged(role='superuser')}", "role must be one of"),
        (f"Bearer {forged(aud='someone-else')}", "invalid token"),
        (f"Bearer {forged(role='admin', district=None, street='北京街道')}", "district"),
    ],
)
def test_no_or_bad_token_gets_401_before_graphql(api, audit_stream, header, reason):
    headers = {"Authorization": header} if header else {}
    response = api.request("POST", "/graphql", json={"query": ME}, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert reason in body["errors"][0]["message"]
    assert "data" not in body
    assert '"status": 401' in audit_stream.getvalue().splitlines()[-1]


def test_valid_token_reaches_graphql(api):
    data = api.query(ME, token("steward", district="越秀区", department="民政局"))
    assert data["me"]["role"] == "steward"
    assert data["me"]["district"] == "越秀区"
    assert data["me"]["identifiersVisible"] is True


def test_invalid_token_error_names_no_secret():
    with pytest.raises(InvalidToken) as raised:
        verify_token(SECRET, forged(secret="other-secret-" + "y" * 40))
    assert SECRET not in str(raised.value)
