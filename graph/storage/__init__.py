"""The store of record: where the facts live, durably, with their append-only change log.

:class:`RecordStore` is the interface the service writes through; :func:`open_record_store`
picks the implementation from a location. SQLite (:mod:`graph.storage.sqlite`) is the embedded
default; PostgreSQL (:mod:`graph.storage.postgres`, a ``postgresql://`` location) stands behind
the same interface for more than one process or machine.
"""

from __future__ import annotations

from graph.errors import StoreError
from graph.storage import migrations, postgres, sqlite
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
from graph.storage.migrations import Migrated, SchemaStatus
from graph.storage.postgres import (
    PostgresRecordStore,
    is_postgres_location,
    is_unreachable,
    unreachable_errors,
)
from graph.storage.sqlite import SQLiteRecordStore

__all__ = [
    "ChangeWaiter",
    "Commit",
    "Filled",
    "LogHead",
    "Migrated",
    "PostgresRecordStore",
    "RecordReader",
    "RecordSnapshot",
    "RecordStore",
    "Renderer",
    "SQLiteRecordStore",
    "SchemaStatus",
    "StaleError",
    "StoredResponse",
    "is_postgres_location",
    "is_unreachable",
    "migrate_store",
    "open_record_store",
    "schema_status",
    "unreachable_errors",
]


def open_record_store(location: str, *, prerendered: bool = True) -> RecordStore:
    """Open (creating if needed) the store at ``location``: a SQLite file path, ``:memory:``,
    or a ``postgresql://`` URL (the database must exist; its tables are made if missing). A
    store at another schema version raises :class:`~graph.errors.SchemaVersionError`
    (:func:`migrate_store` upgrades an older one).

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


def migrate_store(location: str) -> Migrated:
    """Create the schema of the store at ``location`` (a SQLite file, made if missing, or a
    ``postgresql://`` database, which must exist), or upgrade it to this geokg's version, one
    migration at a time; see :mod:`graph.storage.migrations`.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> print(migrate_store(f"{folder}/geokg.sqlite3"))  # doctest: +ELLIPSIS
    store .../geokg.sqlite3: created at schema version 2 (2 migrations)
    >>> print(migrate_store(f"{folder}/geokg.sqlite3"))  # doctest: +ELLIPSIS
    store .../geokg.sqlite3: already at schema version 2
    >>> import shutil; shutil.rmtree(folder)
    """
    _not_throwaway(location)
    if is_postgres_location(location):
        with postgres.open_schema(location) as schema:
            return migrations.migrate(schema)
    with sqlite.open_schema(location) as found:
        assert found is not None
        return migrations.migrate(found)


def schema_status(location: str) -> SchemaStatus:
    """Which schema version the store at ``location`` is at, against this geokg's; nothing is
    created or changed (a missing SQLite file stays missing)."""
    _not_throwaway(location)
    if is_postgres_location(location):
        with postgres.open_schema(location) as schema:
            return migrations.status(schema)
    with sqlite.open_schema(location, writing=False) as found:
        if found is None:
            return SchemaStatus(location, None, sqlite.MIGRATIONS[-1].version)
        return migrations.status(found)


def _not_throwaway(location: str) -> None:
    if location == ":memory:":
        raise StoreError(
            "the store is :memory:, a throwaway store made anew at every start; "
            "name a file or a postgresql:// URL (GEOKG_DB or --db)"
        )
