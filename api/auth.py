"""Bearer tokens (JWT, HS256): who calls, in which role, for which department and jurisdiction.

Claims: ``sub`` (who), ``role`` (one of :data:`ROLES`), ``department``, and an optional
jurisdiction ``district`` / ``street`` / ``community`` (by name). A token without a district is
city-wide. The signing secret is ``HUITONG_JWT_SECRET``; when unset, a development secret is
generated once into ``$HUITONG_HOME/jwt_secret`` (mode 0600) and reused.
"""

from __future__ import annotations

import os
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt

from api.errors import InvalidToken

ROLES = ("department_app", "steward", "investigator", "admin")
# Roles that see resident ID numbers and phone numbers unmasked.
ROLES_SEEING_IDENTIFIERS = frozenset({"steward", "investigator", "admin"})
ISSUER = "huitong"
AUDIENCE = "huitong-api"
ALGORITHM = "HS256"
SECRET_FILE = "jwt_secret"
_TTL = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_TTL_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class Jurisdiction:
    """Where a caller may look: a district, optionally narrowed to a street and/or community."""

    district: str | None = None
    street: str | None = None
    community: str | None = None

    @property
    def citywide(self) -> bool:
        return self.district is None

    def describe(self) -> str:
        parts = [p for p in (self.district, self.street, self.community) if p]
        return "/".join(parts) or "广州市 (city-wide)"


@dataclass(frozen=True)
class Caller:
    """The verified identity behind a request."""

    subject: str
    role: str
    department: str | None
    jurisdiction: Jurisdiction
    token_id: str | None = None
    expires_at: datetime | None = None

    @property
    def sees_identifiers(self) -> bool:
        """Whether resident IDs and phone numbers are shown unmasked to this caller."""
        return self.role in ROLES_SEEING_IDENTIFIERS


def parse_ttl(text: str) -> timedelta:
    """``30m``, ``8h``, ``7d``, ``90s`` → a timedelta; ValueError otherwise."""
    match = _TTL.match(text)
    if match is None or int(match[1]) <= 0:
        raise ValueError(f"invalid time to live {text!r}: write e.g. 30m, 8h or 7d")
    return timedelta(**{_TTL_UNITS[match[2]]: int(match[1])})


def load_secret(configured: str | None, home: Path) -> str:
    """The configured secret, else the development secret kept in ``home/jwt_secret``."""
    if configured:
        return configured
    path = Path(home) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
    secret = path.read_text().strip()
    if not secret:
        raise InvalidToken(f"the JWT secret file {path} is empty: delete it to regenerate")
    return secret


def validate_claims(
    role: str,
    department: str | None,
    district: str | None,
    street: str | None,
    community: str | None,
) -> None:
    """ValueError naming every problem with a set of claims."""
    problems = []
    if role not in ROLES:
        problems.append(f"role must be one of {', '.join(ROLES)} (got {role!r})")
    if role == "department_app" and not department:
        problems.append("a department_app token needs a department")
    if (street or community) and not district:
        problems.append("a street or community jurisdiction needs its district")
    if problems:
        raise ValueError("; ".join(problems))


def issue_token(
    secret: str,
    *,
    role: str,
    subject: str,
    department: str | None = None,
    district: str | None = None,
    street: str | None = None,
    community: str | None = None,
    ttl: timedelta = timedelta(hours=8),
    now: datetime | None = None,
) -> str:
    """A signed token with these claims, valid for ``ttl``."""
    validate_claims(role, department, district, street, community)
    issued = now or datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject,
        "jti": uuid.uuid4().hex,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
        "role": role,
    }
    for name, value in (
        ("department", department),
        ("district", district),
        ("street", street),
        ("community", community),
    ):
        if value:
            claims[name] = value
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str) -> Caller:
    """The caller a token names; :class:`InvalidToken` saying why when it cannot be trusted."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError as error:
        raise InvalidToken("token expired") from error
    except jwt.InvalidTokenError as error:
        raise InvalidToken(f"invalid token ({error})") from error
    text = {key: claims.get(key) for key in ("role", "department", "district", "street")}
    text["community"] = claims.get("community")
    if not all(value is None or isinstance(value, str) for value in text.values()):
        raise InvalidToken("invalid token (claims must be strings)")
    try:
        validate_claims(
            text["role"] or "", text["department"], text["district"], text["street"],
            text["community"],
        )  # fmt: skip
    except ValueError as error:
        raise InvalidToken(f"invalid token ({error})") from error
    return Caller(
        subject=str(claims["sub"]),
        role=text["role"],
        department=text["department"],
        jurisdiction=Jurisdiction(text["district"], text["street"], text["community"]),
        token_id=claims.get("jti"),
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
    )


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header value."""
    if not authorization:
        raise InvalidToken("missing Authorization: Bearer <token> header")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("the Authorization header must be 'Bearer <token>'")
    return token.strip()
