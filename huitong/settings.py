"""Configuration from the environment, in one place (see the README's configuration table)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every environment variable huitong reads. Unset values take the documented defaults."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    home: Path = Field(default=Path(".huitong"), alias="HUITONG_HOME")
    neo4j_runtime: Path | None = Field(default=None, alias="HUITONG_NEO4J_RUNTIME")
    neo4j_port: int = Field(default=7687, alias="HUITONG_NEO4J_PORT")
    neo4j_heap: str = Field(default="4g", alias="HUITONG_NEO4J_HEAP")
    neo4j_pagecache: str = Field(default="4g", alias="HUITONG_NEO4J_PAGECACHE")
    neo4j_start_timeout: float = Field(default=120.0, alias="HUITONG_NEO4J_START_TIMEOUT")
    neo4j_uri: str | None = Field(default=None, alias="NEO4J_URI")
    neo4j_user: str = Field(default="neo4j", alias="NEO4J_USER")
    neo4j_password: str | None = Field(default=None, alias="NEO4J_PASSWORD")
    neo4j_database: str = Field(default="neo4j", alias="NEO4J_DATABASE")
    java_home: Path | None = Field(default=None, alias="JAVA_HOME")
    change_retention_days: float = Field(default=90.0, alias="HUITONG_CHANGE_RETENTION_DAYS")

    @property
    def home_dir(self) -> Path:
        return self.home.expanduser().resolve()


def get_settings() -> Settings:
    """Read the environment now (cheap; tests and the CLI change it between calls)."""
    return Settings()
