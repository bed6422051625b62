"""The API's settings: environment variables (see the README's configuration table) and limits."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    """What the API reads from the environment, plus the query limits (plain data)."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    jwt_secret: str | None = Field(default=None, alias="HUITONG_JWT_SECRET")
    graphiql: bool = Field(default=False, alias="HUITONG_GRAPHIQL")
    introspection: bool = Field(default=True, alias="HUITONG_INTROSPECTION")

    max_depth: int = 14
    max_aliases: int = 15
    max_tokens: int = 2_000
    max_cost: int = 10_000
    default_page_size: int = 20
    max_page_size: int = 100
    neo4j_timeout_seconds: float = 10.0
    change_poll_seconds: float = Field(default=1.0, alias="HUITONG_CHANGE_POLL_SECONDS")
    max_change_page_size: int = 1_000
