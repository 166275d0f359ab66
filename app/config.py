"""Settings, from the environment (``GEOKG_*``)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from graph import DEFAULT_SEEDS
from graph.errors import clip

__all__ = ["Settings", "get_settings"]

# What a browser sends as `Origin`: scheme, host and optional port, nothing after them.
_ORIGIN = re.compile(r"https?://[^/?#\s]+")


class Settings(BaseSettings):
    """Service settings. Each field is read from ``GEOKG_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="GEOKG_")

    seeds: Path = Field(default=DEFAULT_SEEDS, description="Directory of seed files to load.")
    host: str = Field(default="127.0.0.1", description="Address `geokg serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `geokg serve` listens on.")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins whose web pages may call the API from a browser (CORS), "
        "comma-separated, each `scheme://host[:port]` with no path or trailing slash, e.g. "
        "`http://localhost:8888` for a Jupyter notebook; `*` allows any origin. Empty (the "
        "default): CORS is off, and browsers keep pages of other origins from reading answers.",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _check_origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"{clip(origin)!r} is not an origin: scheme://host[:port], no path or slash"
                )
        return origins


@lru_cache
def get_settings() -> Settings:
    """The settings of this process (read once)."""
    return Settings()
