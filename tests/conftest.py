"""Shared fixtures: the tiny test seed and the real seed, throwaway graphs, and a check that
every throwaway store was closed."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from graph import DEFAULT_SEEDS
from graph.seed import load_seed_dir
from graph.service import KnowledgeGraph
from graph.store import GraphStore

DATA = Path(__file__).parent / "data"
MINI = DATA / "mini"

OpenGraph = Callable[..., KnowledgeGraph]


@pytest.fixture(scope="session", autouse=True)
def _throwaway_stores_are_closed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A ``:memory:`` store lives in a scratch directory (``geokg-*``) that closing it removes.

    This session's scratch directories go to a folder of its own (other test runs on the
    machine use /tmp too, and child processes inherit ``TMPDIR``), and none may be left at the
    end: a test or fixture that opens a throwaway store closes it.
    """
    scratch = tmp_path_factory.mktemp("scratch")
    before = (tempfile.tempdir, os.environ.get("TMPDIR"))
    tempfile.tempdir = os.environ["TMPDIR"] = str(scratch)
    try:
        yield
    finally:
        tempfile.tempdir = before[0]
        if before[1] is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = before[1]
    left = sorted(path.name for path in scratch.glob("geokg-*"))
    assert not left, f"{len(left)} throwaway store(s) never closed: {', '.join(left)}"


@pytest.fixture
def open_graph() -> Iterator[OpenGraph]:
    """Opens throwaway graphs (``open_graph(seeds=None)``), closed when the test ends."""
    opened: list[KnowledgeGraph] = []

    def open_(seeds: Path | None = None) -> KnowledgeGraph:
        graph = KnowledgeGraph.open(":memory:", seeds)
        opened.append(graph)
        return graph

    yield open_
    for graph in opened:
        graph.close()


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


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a throwaway PostgreSQL cluster, started once per session and stopped at its
    end (see :mod:`tests.postgres`)."""
    from tests.postgres import PostgresCluster

    # Under /tmp itself: the postgres user must reach it, and pytest's folders are root's alone.
    folder = Path(tempfile.mkdtemp(prefix="geokg-postgres-", dir="/tmp"))
    cluster = PostgresCluster(folder).start()
    try:
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture
def postgres_db(postgres_url: str) -> Iterator[str]:
    """The URL of a new, empty database on the session's cluster, dropped when the test ends
    (with any connection a test left open)."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex}"
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a store-level test opens its stores: a SQLite file, then a new PostgreSQL
    database (the same suite runs against both stores of record)."""
    if request.param == "sqlite":
        return str(tmp_path / "store.sqlite3")
    return str(request.getfixturevalue("postgres_db"))
