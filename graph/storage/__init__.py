"""The store of record: where the facts live, durably, with their append-only change log.

:class:`RecordStore` is the interface the service writes through; :func:`open_record_store`
picks the implementation from a location. SQLite (:mod:`graph.storage.sqlite`) is the embedded
default; PostgreSQL (:mod:`graph.storage.postgres`, a ``postgresql://`` location) stands behind
the same interface for more than one process or machine.
"""

from __future__ import annotations

from graph.storage.base import (
    ChangeWaiter,
    Commit,
    Filled,
    LogHead,
    RecordReader,
    RecordSnapshot,
    RecordStore,
    Renderer,
    StaleError,
    StoredResponse,
)
from graph.storage.postgres import PostgresRecordStore, is_postgres_location
from graph.storage.sqlite import SQLiteRecordStore

__all__ = [
    "ChangeWaiter",
    "Commit",
    "Filled",
    "LogHead",
    "PostgresRecordStore",
    "RecordReader",
    "RecordSnapshot",
    "RecordStore",
    "Renderer",
    "SQLiteRecordStore",
    "StaleError",
    "StoredResponse",
    "is_postgres_location",
    "open_record_store",
]


def open_record_store(location: str, *, prerendered: bool = True) -> RecordStore:
    """Open (creating if needed) the store at ``location``: a SQLite file path, ``:memory:``,
    or a ``postgresql://`` URL (the database must exist; its tables are made if missing).

    The store keeps each node's exports pre-rendered (:mod:`graph.export.prerendered`) unless
    ``prerendered`` is false (a writer that leaves the views stale, for tests and tools).

    Examples
    --------
    >>> store = open_record_store(":memory:")
    >>> type(store).__name__, store.position()
    ('SQLiteRecordStore', 0)
    >>> store.close()
    """
    # Imported here: the exporters read the store, so they cannot be imported before it.
    from graph.export.prerendered import ExportRenderer

    renderer = ExportRenderer() if prerendered else None
    if is_postgres_location(location):
        return PostgresRecordStore(location, renderer=renderer)
    return SQLiteRecordStore(location, renderer=renderer)
