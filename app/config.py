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


@lru_cache
def get_settings() -> Settings:
    """The settings of this process (read once)."""
    return Settings()
