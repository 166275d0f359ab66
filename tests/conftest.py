"""Shared fixtures: the tiny test seed and the real seed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from graph import DEFAULT_SEEDS
from graph.seed import load_seed_dir
from graph.store import GraphStore

DATA = Path(__file__).parent / "data"
MINI = DATA / "mini"


@pytest.fixture(scope="session")
def mini_store() -> GraphStore:
    """A six-entity synthetic graph (tests/data/mini) for behaviour tests."""
    return load_seed_dir(MINI)


@pytest.fixture(scope="session")
def seed_store() -> GraphStore:
    """The real seed graph (seeds/)."""
    return load_seed_dir(DEFAULT_SEEDS)


@pytest.fixture
def mini_copy(tmp_path: Path) -> Path:
    """A writable copy of the tiny seed directory, for breaking it."""
    target = tmp_path / "seeds"
    shutil.copytree(MINI, target)
    return target


@pytest.fixture(autouse=True)
def _own_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test that opens the default store gets its own file, never the repository's."""
    monkeypatch.setenv("GEOKG_DB", str(tmp_path / "store" / "geokg.sqlite3"))
