"""The API's settings: environment variables (see the README's configuration table) and limits."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    """What the API reads from the environment, plus the query limits (plain data)."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    jwt_secret: str | None = Field(default=None, alias="HUITONG_JWT_SECRET")
    graphiql: bool = Field(default=False, alias="HUITONG_GRAPHIQL")
    introspection: bool = Field(default=True, alias="HUITONG_INTROSPECTION")
    audit_file: str = Field(default="audit/audit.jsonl", alias="HUITONG_AUDIT_FILE")
    """the audit trail's file, relative to ``HUITONG_HOME`` unless absolute; empty: none."""
    audit_max_bytes: int = Field(default=64 << 20, alias="HUITONG_AUDIT_MAX_BYTES")
    audit_fsync: bool = Field(default=True, alias="HUITONG_AUDIT_FSYNC")
    max_body_bytes: int = Field(default=256 << 10, alias="HUITONG_MAX_BODY_BYTES")
    rate_limit_per_minute: float = Field(default=0, alias="HUITONG_RATE_LIMIT_PER_MINUTE")
    """requests a token subject may make per minute, on average (0: no limit)."""
    rate_limit_burst: int = Field(default=30, alias="HUITONG_RATE_LIMIT_BURST")
    """requests a token subject may make at once before the average applies."""
    max_in_flight: int = Field(default=32, alias="HUITONG_MAX_IN_FLIGHT")
    """GraphQL requests an API worker runs at once; the others wait (see queue_seconds)."""
    queue_seconds: float = Field(default=10.0, alias="HUITONG_QUEUE_SECONDS")
    """how long a request may wait to run, or a query for a Neo4j slot; then 503 (overloaded)."""
    neo4j_concurrency: int = Field(default=8, alias="HUITONG_NEO4J_CONCURRENCY")
    """queries an API worker runs on Neo4j at once (its driver's pool: that many, plus one)."""
    export_timeout_seconds: float = Field(default=120.0, alias="HUITONG_EXPORT_TIMEOUT_SECONDS")
    """time Neo4j gives a register export's query before ending it."""

    max_depth: int = 14
    max_aliases: int = 15
    max_tokens: int = 2_000
    max_cost: int = 10_000
    default_page_size: int = 20
    max_page_size: int = 100
    max_string_length: int = 1_000
    """characters of one string argument or variable (longer: BAD_USER_INPUT)."""
    max_list_length: int = 1_000
    """items of one list argument or variable."""
    neo4j_timeout_seconds: float = 10.0
    change_poll_seconds: float = Field(default=1.0, alias="HUITONG_CHANGE_POLL_SECONDS")
    max_change_page_size: int = 1_000

    def audit_path(self, home: Path) -> Path | None:
        """Where the audit file is, ``home`` being ``HUITONG_HOME``; None when there is none."""
        if not self.audit_file:
            return None
        path = Path(self.audit_file).expanduser()
        return path if path.is_absolute() else home / path
