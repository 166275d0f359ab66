"""Settings, from the environment (``GEOKG_*``)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from graph import DEFAULT_SEEDS
from graph.errors import clip
from graph.sparql.engine import DEFAULT_MAX_BYTES, DEFAULT_MAX_MEMORY, DEFAULT_TIMEOUT_S

__all__ = ["SettingError", "Settings", "get_settings", "load_settings"]

# What a browser sends as `Origin`: scheme, host and optional port, nothing after them.
_ORIGIN = re.compile(r"https?://[^/?#\s]+")


class Settings(BaseSettings):
    """Service settings. Each field is read from ``GEOKG_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="GEOKG_")

    seeds: Path = Field(default=DEFAULT_SEEDS, description="Directory of seed files to load.")
    host: str = Field(default="127.0.0.1", description="Address `geokg serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `geokg serve` listens on.")
    db: str = Field(
        default="data/geokg.sqlite3",
        description="The store of record: a SQLite file (created if missing), relative to the "
        "working directory, `:memory:` for a throwaway store, or a `postgresql://` URL (a "
        "database shared by any number of `geokg serve` replicas).",
    )
    model: Path | None = Field(
        default=None,
        description="Where the read model is saved (at shutdown, and when built afresh) and "
        "loaded from at start, then brought up to date by the change log. Default: beside a "
        "SQLite file (`<db>.model`); none for PostgreSQL unless set here. Processes on one "
        "machine may share the file (a save replaces it whole).",
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
        description="Seconds between looks at the change log for writes by other processes "
        "(with PostgreSQL a commit wakes every replica at once; this is then only the longest "
        "a lost wake-up can cost).",
    )
    max_lag: float = Field(
        default=5.0,
        gt=0,
        le=86400,
        description="Seconds a replica may lag behind the store of record (the age of the "
        "oldest commit it has not applied) before `GET /ready` answers 503, so that a load "
        "balancer takes it out of rotation.",
    )
    position_wait: float = Field(
        default=5.0,
        ge=0,
        le=300,
        description="Longest a read that names a position (`X-Geokg-Position` or `after=`) waits "
        "for this replica to apply it; past it the answer is a 503 `replica-behind` with "
        "`Retry-After`.",
    )
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Processes `geokg serve` answers requests with. Each holds its own read "
        "model (memory grows with each) and follows the store's change log, and every read "
        "first applies what any of them committed, so a client reads its own writes whichever "
        "process answers. More than one needs a store file (not `:memory:`).",
    )
    sparql_timeout: float = Field(
        default=DEFAULT_TIMEOUT_S,
        gt=0,
        le=600,
        description="Seconds a SPARQL query may run; past it the query is stopped and the answer "
        "is a 422 `sparql-timeout`.",
    )
    sparql_max_bytes: int = Field(
        default=DEFAULT_MAX_BYTES,
        ge=1024,
        le=1 << 32,
        description="Largest SPARQL answer, in bytes as written; a larger one is a 422 "
        "`sparql-result-too-large`.",
    )
    sparql_warm: bool = Field(
        default=True,
        description="Whether `geokg serve` loads the SPARQL replica when it starts (false: at the "
        "first SPARQL query). It holds the graph a second time, in Oxigraph: about 5.6 GB and two "
        "minutes of a core at a million edges, per serving process.",
    )
    sparql_max_memory: int = Field(
        default=DEFAULT_MAX_MEMORY,
        ge=0,
        le=1 << 40,
        description="Bytes a SPARQL query may allocate beyond the graph it reads (0: no bound); "
        "a query that needs more is stopped, a 422 `sparql-query-aborted`.",
    )
    access_log: bool = Field(
        default=False,
        description="Whether `geokg serve` logs a line per request (off: at thousands of "
        "requests a second the log line costs more than a path query).",
    )
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


class SettingError(ValueError):
    """A setting from the environment or the command line is invalid (a one-line message)."""


def load_settings(**flags: object) -> Settings:
    """Read the settings from the environment, with command-line values (``None``: not given)
    over them.

    Raises :class:`SettingError` naming each bad value as the user gave it: ``--port`` for a
    command-line value, ``GEOKG_PORT`` for the environment, in one line.
    """
    given = {name: value for name, value in flags.items() if value is not None}
    try:
        return Settings(**given)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{_origin(str(e['loc'][0]), given)}: {e['msg']}" for e in exc.errors()
        )
        raise SettingError(f"invalid setting: {problems}") from None


def _origin(field: str, given: dict[str, object]) -> str:
    return f"--{field}" if field in given else f"GEOKG_{field.upper()}"


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, from the environment (read once).

    Raises :class:`SettingError` for a bad value.
    """
    return load_settings()
