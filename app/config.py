"""Settings, from the environment (``GEOKG_*``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from graph import DEFAULT_SEEDS

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """Service settings. Each field is read from ``GEOKG_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="GEOKG_")

    seeds: Path = Field(default=DEFAULT_SEEDS, description="Directory of seed files to load.")
    host: str = Field(default="127.0.0.1", description="Address `geokg serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `geokg serve` listens on.")
    db: str = Field(
        default="data/geokg.sqlite3",
        description="The store of record: a SQLite file (created if missing), relative to the "
        "working directory, or `:memory:` for a throwaway store.",
    )
    tokens: str | None = Field(
        default=None,
        description="Access tokens, `name:role:token` separated by commas or newlines; role is "
        "`read` or `write`.",
    )
    tokens_file: Path | None = Field(
        default=None, description="A file of access tokens, one `name:role:token` per line."
    )
    read_open: bool = Field(
        default=True, description="Whether reads need no token (false: a read or write token)."
    )
    follow_interval: float = Field(
        default=1.0,
        gt=0,
        le=3600,
        description="Seconds between looks at the change log for writes by other processes.",
    )


@lru_cache
def get_settings() -> Settings:
    """The settings of this process (read once)."""
    return Settings()
