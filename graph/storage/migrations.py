"""Versioned schemas: the runner that creates a store's schema, upgrades it one migration at a
time, and refuses a version it does not know.

Each store lists its engine's migrations (``MIGRATIONS`` in :mod:`graph.storage.sqlite` and
:mod:`graph.storage.postgres`): version 1 makes the first schema, and version ``n`` upgrades a
store from ``n - 1``. Adding version 2 is writing one function and adding its
:class:`Migration` to the list. ``meta.schema_version`` says where a store is.

- **A new store** (no geokg table yet) gets every migration in one transaction, so it is
  either made whole or not at all; opening one does this (:func:`prepare`), as does
  ``geokg migrate``.
- **An older store** is upgraded only by ``geokg migrate`` (:func:`migrate`): each migration
  runs in a transaction of its own with its version bump, under the engine's write lock
  (SQLite ``BEGIN IMMEDIATE``, PostgreSQL the advisory write lock), and reads the version
  again inside it, so two processes migrating at once take turns and agree; a migration that
  fails leaves the store at the version before it. Opening an older store raises
  :class:`~graph.errors.SchemaVersionError` naming the command.
- **A newer store** (written by a newer geokg) is refused by both.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from graph.errors import SchemaVersionError, StoreError
from graph.storage._shared import _with

__all__ = [
    "Migrated",
    "Migration",
    "Schema",
    "SchemaStatus",
    "migrate",
    "prepare",
    "schema_version",
    "status",
]


@dataclass(frozen=True)
class Migration:
    """One step of a store's schema: ``apply`` runs it on a connection, inside the
    transaction that then records ``version``."""

    version: int
    summary: str
    apply: Callable[[Any], None]


def check_migrations(migrations: Sequence[Migration]) -> Sequence[Migration]:
    """The list, if its versions are 1, 2, ... in order (a gap would skip a step).

    Examples
    --------
    >>> check_migrations([Migration(2, "two", print)])
    Traceback (most recent call last):
    ...
    ValueError: migrations must be versions 1 to 1 in order, not [2]
    """
    versions = [m.version for m in migrations]
    if not versions or versions != list(range(1, len(versions) + 1)):
        raise ValueError(
            f"migrations must be versions 1 to {max(len(versions), 1)} in order, not {versions}"
        )
    return migrations


class Schema:
    """One store's schema as the runner handles it: a connection to the store, its engine's
    migrations, and the engine's transaction and version check (a store supplies those)."""

    PARAM = "?"

    def __init__(self, conn: Any, location: str, migrations: Sequence[Migration]) -> None:
        self.conn = conn
        self.location = location
        self.migrations = check_migrations(migrations)

    @property
    def latest(self) -> int:
        """The version this geokg writes: the last migration's."""
        return self.migrations[-1].version

    def transaction(self) -> AbstractContextManager[Any]:
        """A write transaction under the engine's write lock (committed at the end of the
        block, rolled back if it raises), giving the connection."""
        raise NotImplementedError

    def version(self, conn: Any) -> int:
        """The store's schema version, 0 if it holds no geokg table yet; raises
        :class:`~graph.errors.StoreError` if it holds something else."""
        raise NotImplementedError

    def complete(self, conn: Any, version: int) -> None:
        """Make up what a store at ``version`` lacks for a reason of the engine's (called
        under the lock once the version is read, when opening or migrating)."""

    def _set(self, conn: Any, key: str, value: str, *, replace: bool = True) -> None:
        action = "UPDATE SET value = excluded.value" if replace else "NOTHING"
        conn.execute(
            _with(self.PARAM, f"INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO {action}"),
            (key, value),
        )

    def _apply(self, conn: Any, migration: Migration) -> None:
        try:
            migration.apply(conn)
        except Exception as exc:  # the transaction it raises out of is rolled back
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(
                f"store {self.location}: the migration to schema version {migration.version} "
                f"({migration.summary}) failed, and nothing of it was kept: {reason}"
            ) from exc
        self._set(conn, "schema_version", str(migration.version))

    def _create(self, conn: Any) -> None:
        for migration in self.migrations:
            self._apply(conn, migration)
        self._set(conn, "store_id", uuid.uuid4().hex, replace=False)

    def _known(self, found: int) -> None:
        if found != self.latest:
            raise SchemaVersionError(self.location, found, self.latest)


@dataclass(frozen=True)
class Migrated:
    """What :func:`migrate` did to a store."""

    location: str
    before: int
    """The version it found (0: a store with no schema yet)."""
    after: int

    def __str__(self) -> str:
        steps = self.after - self.before
        count = f"{steps} migration{'s' if steps != 1 else ''}"
        if self.before == 0:
            return f"store {self.location}: created at schema version {self.after} ({count})"
        if steps == 0:
            return f"store {self.location}: already at schema version {self.after}"
        return f"store {self.location}: schema version {self.before} → {self.after} ({count})"


@dataclass(frozen=True)
class SchemaStatus:
    """Where a store's schema stands (:func:`status`), changing nothing."""

    location: str
    version: int | None
    """None: there is no store there yet; 0: a store (or database) with no geokg schema."""
    latest: int

    @property
    def current(self) -> bool:
        return self.version == self.latest

    def __str__(self) -> str:
        where = f"store {self.location}"
        if self.version is None:
            return f"{where}: no store yet (geokg migrate, or the first start, creates it)"
        if self.version == 0:
            return (
                f"{where}: no geokg schema yet (geokg migrate, or the first start, "
                f"creates version {self.latest})"
            )
        if self.version < self.latest:
            return (
                f"{where}: schema version {self.version}, this geokg's is {self.latest}: "
                "run geokg migrate"
            )
        if self.version > self.latest:
            return (
                f"{where}: schema version {self.version}, written by a newer geokg "
                f"(this one knows versions up to {self.latest})"
            )
        return f"{where}: schema version {self.version}, this geokg's"


def prepare(schema: Schema) -> int:
    """Ready a store for use when it is opened: create a new store's schema (every migration,
    in one transaction); refuse an older or newer one. Return the version."""
    with schema.transaction() as conn:
        found = schema.version(conn)
        if found == 0:
            schema._create(conn)
            return schema.latest
        if found == schema.latest:
            schema.complete(conn, found)
    schema._known(found)
    return found


def migrate(schema: Schema) -> Migrated:
    """Create the store's schema, or upgrade it to the latest version one migration at a
    time (each in its own transaction with its version bump); refuse a newer one."""
    before: int | None = None
    while True:
        with schema.transaction() as conn:
            found = schema.version(conn)
            if before is None:
                before = found
            if found > schema.latest:
                raise SchemaVersionError(schema.location, found, schema.latest)
            if found == 0:
                schema._create(conn)
                break
            schema.complete(conn, found)
            if found == schema.latest:
                break
            schema._apply(conn, schema.migrations[found])
    return Migrated(schema.location, before, schema.latest)


def status(schema: Schema) -> SchemaStatus:
    """The store's schema version, read without a write lock and without writing."""
    return SchemaStatus(schema.location, schema.version(schema.conn), schema.latest)


def schema_version(conn: Any, location: str) -> int:
    """The version a store's ``meta`` table records; :class:`StoreError` when the table is not
    geokg's (another application's ``meta``, or a version that is not a number)."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except Exception as exc:  # the driver's error: a table of this name, but not ours
        raise StoreError(
            f"{location}: not a geokg store (its meta table is another application's: "
            f"{' '.join(str(exc).split())[:200]})"
        ) from None
    if row is None:
        raise StoreError(f"{location}: not a geokg store (no schema version)")
    text = str(row[0])
    if not text.isascii() or not text.isdigit():
        raise StoreError(f"{location}: not a geokg store (schema version {text[:40]!r})")
    return int(text)
