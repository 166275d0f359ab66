"""The store of record: where the facts live, durably, with their append-only change log.

:class:`RecordStore` is the interface the service writes through; :func:`open_record_store`
picks the implementation from a location. SQLite (:mod:`graph.storage.sqlite`) is the embedded
default; PostgreSQL is meant to stand behind the same interface.
"""

from __future__ import annotations

from graph.storage.base import (
    Commit,
    Filled,
    RecordReader,
    RecordSnapshot,
    RecordStore,
    Renderer,
    StaleError,
    StoredResponse,
)
from graph.storage.sqlite import SQLiteRecordStore

__all__ = [
    "Commit",
    "Filled",
    "RecordReader",
    "RecordSnapshot",
    "RecordStore",
    "Renderer",
    "SQLiteRecordStore",
    "StaleError",
    "StoredResponse",
    "open_record_store",
]


def open_record_store(location: str) -> RecordStore:
    """Open (creating if needed) the store at ``location``: a SQLite file path or ``:memory:``.

    The store keeps each node's exports pre-rendered (:mod:`graph.export.prerendered`).
    """
    # Imported here: the exporters read the store, so they cannot be imported before it.
    from graph.export.prerendered import ExportRenderer

    return SQLiteRecordStore(location, renderer=ExportRenderer())
