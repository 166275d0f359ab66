"""A scratch database for one import: where records wait and triples spill, so memory stays flat.

An import reads a file as a stream. What it cannot hold in memory (triples of subjects whose
other triples come later, quotes cited further on, records waiting for the checks that need the
whole file) goes into a :class:`Workspace`: a SQLite file of its own in a temporary directory,
with no journal and no syncing (nothing in it must survive a crash: a crash abandons the
import, and the store of record never saw any of it). Its page cache is bounded, so a workspace
holds any amount of data in a few tens of MB of memory. The directory is removed on
:meth:`Workspace.close`.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["MEMORY_BOUND", "SubjectsNotGroupedError", "Workspace"]

MEMORY_BOUND = 100_000
"""Triples an import keeps in memory before it spills them to its workspace (or, over it, hands
the oldest subjects on as records; see :mod:`graph.imports.rdf`)."""

_CACHE_KIB = 32 * 1024
"""The workspace's page cache: SQLite spills to its file past this."""


class SubjectsNotGroupedError(Exception):
    """A reader that took its stream to be grouped by subject found a subject again far on:
    the stream must be read again with ``Workspace.sort`` set (see :mod:`graph.imports.rdf`)."""


class Workspace:
    """A temporary SQLite database, created on first use, removed on close.

    ``bound`` is how many triples (or records) a reader keeps in memory before it spills; tests
    set it low to exercise the spill on small files. ``restartable`` says the stream being read
    can be read again from the start (a reader may then take it to be grouped by subject and
    raise :class:`SubjectsNotGroupedError` if it is not); ``sort`` asks a reader to sort from the
    start.

    Examples
    --------
    >>> with Workspace() as ws:
    ...     _ = ws.execute("CREATE TABLE t (x)")
    ...     ws.insert("t", [(1,), (2,)]), ws.one("SELECT sum(x) FROM t")
    (2, (3,))
    """

    def __init__(self, bound: int = MEMORY_BOUND, directory: str | None = None) -> None:
        if bound < 1:
            raise ValueError("the memory bound must be at least 1")
        self.bound = bound
        self.restartable = False
        self.sort = False
        self.peak = 0
        """The most triples a reader held in memory at once (after handing records on)."""
        self._directory = directory
        self._dir: str | None = None
        self._conn: sqlite3.Connection | None = None

    @property
    def conn(self) -> sqlite3.Connection:
        """The connection (the database is created on first use)."""
        if self._conn is None:
            self._dir = tempfile.mkdtemp(prefix="geokg-import-", dir=self._directory)
            conn = sqlite3.connect(Path(self._dir) / "workspace.sqlite3", isolation_level=None)
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("PRAGMA temp_store = FILE")
            conn.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
            # One transaction for the workspace's whole life: a statement outside one would be a
            # transaction of its own, with a lock taken and pages written each time.
            conn.execute("BEGIN")
            self._conn = conn
        return self._conn

    def execute(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Cursor:
        """Run one statement."""
        return self.conn.execute(sql, args)

    def insert(self, table: str, rows: Iterable[Sequence[Any]], *, ignore: bool = False) -> int:
        """Insert rows (``INSERT OR IGNORE`` if ``ignore``); return how many went in."""
        rows = rows if isinstance(rows, list) else list(rows)
        if not rows:
            return 0
        marks = ", ".join("?" * len(rows[0]))
        verb = "INSERT OR IGNORE" if ignore else "INSERT"
        cursor = self.conn.executemany(f"{verb} INTO {table} VALUES ({marks})", rows)
        return cursor.rowcount

    def one(self, sql: str, args: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """The first row of a query, or None."""
        row: tuple[Any, ...] | None = self.conn.execute(sql, args).fetchone()
        return row

    def rows(self, sql: str, args: Sequence[Any] = (), size: int = 4096) -> Iterable[Any]:
        """The rows of a query, fetched in batches."""
        cursor = self.conn.execute(sql, args)
        while batch := cursor.fetchmany(size):
            yield from batch

    def reset(self) -> None:
        """Throw everything away (the next use starts a fresh database)."""
        self.close()

    def close(self) -> None:
        """Close the database and remove its directory."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
