"""API clients over the tiny test seed and the real seed (lifespan runs: context managers).

The session clients are read-only by convention; tests that write build their own app over a
throwaway store (``writable_client``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from graph import DEFAULT_SEEDS
from graph.service import KnowledgeGraph
from tests.conftest import MINI

WRITE_TOKEN = "writer-secret-0123456789"
READ_TOKEN = "reader-secret-0123456789"
TOKENS = f"ana:write:{WRITE_TOKEN},bot:read:{READ_TOKEN}"
WRITE = {"Authorization": f"Bearer {WRITE_TOKEN}"}
READ = {"Authorization": f"Bearer {READ_TOKEN}"}


def client_for(seeds: Path, **settings: object) -> Iterator[TestClient]:
    graph = KnowledgeGraph.open(":memory:", seeds)
    try:
        app = create_app(Settings(seeds=seeds, db=":memory:", **settings), graph)  # type: ignore[arg-type]
        with TestClient(app) as client:
            yield client
    finally:
        graph.close()


@pytest.fixture(scope="session")
def mini_client() -> Iterator[TestClient]:
    yield from client_for(MINI)


@pytest.fixture(scope="session")
def seed_client() -> Iterator[TestClient]:
    yield from client_for(DEFAULT_SEEDS)


@pytest.fixture
def writable_client() -> Iterator[TestClient]:
    """The real seed in a fresh store, with a write token (``WRITE``) and a read token."""
    yield from client_for(DEFAULT_SEEDS, tokens=TOKENS)
