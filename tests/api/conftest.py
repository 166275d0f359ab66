"""API clients over the tiny test seed and the real seed (lifespan runs: context managers)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from graph.store import GraphStore


@pytest.fixture(scope="session")
def mini_client(mini_store: GraphStore) -> Iterator[TestClient]:
    with TestClient(create_app(store=mini_store)) as client:
        yield client


@pytest.fixture(scope="session")
def seed_client(seed_store: GraphStore) -> Iterator[TestClient]:
    with TestClient(create_app(store=seed_store)) as client:
        yield client
