"""The store of record in SQLite: one file, WAL journal, every commit synced to disk.

Tables: ``nodes`` and ``edges`` hold each record as JSON in load order, ``texts`` the source
texts, ``changes`` the append-only log, ``idempotency`` the answers kept for retried requests,
``meta`` the schema version (:data:`MIGRATIONS`) and the store's id, ``quotes`` which
records quote each source (kept by triggers). Writes run in ``BEGIN IMMEDIATE`` transactions
(:mod:`graph.storage._writes` holds their statements), so one writer at a time holds the
database: a change's position is assigned inside that lock, which is why positions follow
commit order with no gaps.

Pre-rendered views (:class:`~graph.storage.base.Renderer`): ``render_view_<view>`` holds a
view of each node by its ``ord``, written in the transaction that writes the node, an edge it
sends or its text. Triggers put the ``ord`` of every node whose views such a write makes stale
in ``render_dirty``, whoever writes (a writer without a renderer, an older geokg, a hand-made
change): a view is handed out only if present and not dirty. ``render_deps`` lists the other
nodes a node's views looked up (a record field that names a node with no edge to it), so
that creating or deleting one of those makes the views stale too. ``meta.render_views`` names
the renderer version and views kept; a store opened with another renderer drops them and
renders them again (:meth:`SQLiteRecordStore.fill_views`).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import threading
import uuid
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from graph.changes import Change
from graph.errors import SchemaVersionError, StoreError
from graph.storage._shared import SharedReads, SharedSnapshotReads
from graph.storage._writes import SharedWrites
from graph.storage.base import Renderer
from graph.storage.migrations import Migration, Schema, prepare, schema_version

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "SQLiteRecordStore",
    "SQLiteSchema",
    "SQLiteSnapshot",
    "open_schema",
    "restore_backup",
]

log = logging.getLogger(__name__)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ingests (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    text TEXT NOT NULL,
    body TEXT NOT NULL,
    summary TEXT NOT NULL,
    version INTEGER NOT NULL,
    actor TEXT,
    idempotency_key TEXT,
    fingerprint TEXT,
    answer TEXT,
    UNIQUE (actor, idempotency_key)
);
CREATE TABLE IF NOT EXISTS reserved_ids (id TEXT PRIMARY KEY, ingest_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nodes (
    ord INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    node_type TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS edges (
    ord INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS edges_by_source ON edges (source, ord);
CREATE TABLE IF NOT EXISTS texts (source_id TEXT PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS changes (
    position INTEGER PRIMARY KEY,
    commit_position INTEGER NOT NULL,
    at TEXT NOT NULL,
    op TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    before TEXT,
    after TEXT,
    actor TEXT NOT NULL,
    source TEXT
);
CREATE TABLE IF NOT EXISTS render_dirty (ord INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS render_deps (
    node TEXT NOT NULL,
    ord INTEGER NOT NULL,
    PRIMARY KEY (node, ord)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS render_deps_by_ord ON render_deps (ord);
CREATE TABLE IF NOT EXISTS idempotency (
    actor TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (actor, key)
);
"""


def _sources_quoted(body: str, is_edge: int) -> str:
    """The ids of the sources a record's JSON ``body`` quotes (its evidence and, for a node, its
    quantities' evidence), as a query with one column, ``s``."""
    quoted = f"SELECT json_extract(e.value, '$.source') AS s FROM json_each({body}, '$.evidence') e"
    if is_edge:
        return quoted
    return (
        f"{quoted} UNION SELECT json_extract(v.value, '$.source')"
        f" FROM json_each({body}, '$.quantities') q, json_each(q.value, '$.evidence') v"
    )


def _quote_triggers(table: str, is_edge: int) -> list[str]:
    keep = (
        f"INSERT OR IGNORE INTO quotes SELECT s, {is_edge}, NEW.ord"
        f" FROM ({_sources_quoted('NEW.body', is_edge)}) WHERE s IS NOT NULL;"
    )
    drop = (
        f"DELETE FROM quotes WHERE is_edge = {is_edge} AND ord = OLD.ord"
        f" AND source_id IN ({_sources_quoted('OLD.body', is_edge)});"
    )
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_quotes_insert AFTER INSERT ON {table}"
        f" BEGIN {keep} END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_quotes_update AFTER UPDATE OF body ON {table}"
        f" BEGIN {drop} {keep} END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_quotes_delete AFTER DELETE ON {table}"
        f" BEGIN {drop} END",
    ]


_QUOTES = [
    "CREATE TABLE IF NOT EXISTS quotes ("
    " source_id TEXT NOT NULL, is_edge INTEGER NOT NULL, ord INTEGER NOT NULL,"
    " PRIMARY KEY (source_id, is_edge, ord)) WITHOUT ROWID",
    *_quote_triggers("nodes", 0),
    *_quote_triggers("edges", 1),
]
"""Which records quote each source: (source id, node or edge, the record's ord), kept by
triggers, so that every writer keeps it, an older geokg included; a store made before it had
the table is filled in once when opened (:data:`_FILL_QUOTES`)."""

_FILL_QUOTES = [
    f"INSERT OR IGNORE INTO quotes SELECT * FROM (SELECT json_extract(v.value, '$.source') AS s,"
    f" {is_edge}, t.ord FROM {table} t, {items}) WHERE s IS NOT NULL"
    for table, is_edge in (("nodes", 0), ("edges", 1))
    for items in (
        "json_each(t.body, '$.evidence') v",
        "json_each(t.body, '$.quantities') q, json_each(q.value, '$.evidence') v",
    )
]


# Whoever writes a record marks the nodes whose pre-rendered views it makes stale.
_STALE = "INSERT OR IGNORE INTO render_dirty"
_DEPENDENTS = "SELECT ord FROM render_deps WHERE node"
_TRIGGERS = {
    "render_node_added": f"""AFTER INSERT ON nodes BEGIN
        {_STALE} VALUES (NEW.ord);
        {_STALE} {_DEPENDENTS} = NEW.id;
    END""",
    "render_node_changed": f"""AFTER UPDATE ON nodes BEGIN
        {_STALE} VALUES (OLD.ord);
        {_STALE} VALUES (NEW.ord);
        {_STALE} {_DEPENDENTS} IN (OLD.id, NEW.id);
    END""",
    "render_node_removed": f"""AFTER DELETE ON nodes BEGIN
        {_STALE} VALUES (OLD.ord);
        {_STALE} {_DEPENDENTS} = OLD.id;
    END""",
    "render_edge_added": f"""AFTER INSERT ON edges BEGIN
        {_STALE} SELECT ord FROM nodes WHERE id = NEW.source;
    END""",
    "render_edge_changed": f"""AFTER UPDATE ON edges BEGIN
        {_STALE} SELECT ord FROM nodes WHERE id IN (OLD.source, NEW.source);
    END""",
    "render_edge_removed": f"""AFTER DELETE ON edges BEGIN
        {_STALE} SELECT ord FROM nodes WHERE id = OLD.source;
    END""",
    "render_text_added": f"""AFTER INSERT ON texts BEGIN
        {_STALE} SELECT ord FROM nodes WHERE id = NEW.source_id;
    END""",
    "render_text_changed": f"""AFTER UPDATE ON texts BEGIN
        {_STALE} SELECT ord FROM nodes WHERE id IN (OLD.source_id, NEW.source_id);
    END""",
    "render_text_removed": f"""AFTER DELETE ON texts BEGIN
        {_STALE} SELECT ord FROM nodes WHERE id = OLD.source_id;
    END""",
}


def _v1(conn: sqlite3.Connection) -> None:
    """The first schema: records, texts, the log, ingests, reserved ids, idempotency, the
    quotes index and the pre-rendered views' bookkeeping, with their triggers. Every statement
    leaves what exists alone, so it also completes a store geokg wrote at version 1 before the
    quotes index and the views' triggers were added (:meth:`SQLiteSchema.complete`)."""
    quoted = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'quotes'").fetchone()
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    for statement in _QUOTES:
        conn.execute(statement)
    if quoted is None:  # a new store, or one made before the table
        for statement in _FILL_QUOTES:
            conn.execute(statement)
    for name, body in _TRIGGERS.items():
        conn.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")


_MODEL_COLUMNS = {
    "nodes": {
        "kind": "$.kind",
        "date_start": "$.date.start",
        "date_end": "$.date.end",
        "cameo": "$.cameo.code",
        "label": "$.label",
        "aliases": "$.aliases",
    },
    "edges": {"edge_type": "$.type", "category": "$.category"},
}


def _v2(conn: sqlite3.Connection) -> None:
    """The fields the read model's index needs (a node's kind, dates, CAMEO code, label and
    aliases; an edge's type and category) as generated columns, as in PostgreSQL's schema.
    SQLite adds them as virtual columns only (it cannot add a stored one to a table), so they
    are computed when read, as the skeleton queries did before; nothing is rewritten."""
    for table, columns in _MODEL_COLUMNS.items():
        for column, path in columns.items():
            conn.execute(
                f"ALTER TABLE {table} ADD COLUMN {column} TEXT"
                f" GENERATED ALWAYS AS (json_extract(body, '{path}')) VIRTUAL"
            )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "the first schema (records, log, ingests, quotes index, views' bookkeeping)", _v1),
    Migration(2, "the read model's fields of nodes and edges as columns", _v2),
)
"""The SQLite store's schema, version by version: version ``n`` upgrades a store from ``n - 1``
(:mod:`graph.storage.migrations`). A new version is one function and one entry here."""

SCHEMA_VERSION = MIGRATIONS[-1].version
"""The schema this code reads and writes; a store with another version is refused."""

_V1_NAMES = frozenset({"quotes", "render_dirty", "render_deps", *_TRIGGERS})
"""What a store geokg wrote at version 1 before these were added lacks."""


class SQLiteSchema(Schema):
    """A SQLite store's schema (:mod:`graph.storage.migrations`): a transaction is
    ``BEGIN IMMEDIATE``, so one process at a time reads and changes it."""

    def __init__(
        self, conn: sqlite3.Connection, location: str, migrations: Sequence[Migration] = ()
    ) -> None:
        super().__init__(conn, location, migrations or MIGRATIONS)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # some errors end the transaction themselves
                conn.execute("ROLLBACK")
            raise

    def version(self, conn: sqlite3.Connection) -> int:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if not names:
            return 0
        if "meta" not in names:
            raise StoreError(f"{self.location}: an SQLite file, but not a geokg store")
        return schema_version(conn, self.location)

    def complete(self, conn: sqlite3.Connection, version: int) -> None:
        if version >= 1:  # a store of version 1 made before these were part of it
            names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
            if not names >= _V1_NAMES:
                _v1(conn)


def _connect(path: Path, location: str) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA journal_mode = WAL")
        # FULL: each commit is on disk before the write is acknowledged.
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = OFF")
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{location}: not a geokg store ({exc})") from None
    return conn


@contextmanager
def open_schema(location: str, *, writing: bool = True) -> Iterator[SQLiteSchema | None]:
    """The schema of the store file at ``location``, for ``geokg migrate``; None when
    ``writing`` is false and there is no file yet (nothing is created then).

    The file's shared lock is held meanwhile, as by an open store, so that ``geokg restore``
    cannot replace it under a migration."""
    path = Path(location)
    if path.is_dir():
        raise StoreError(f"{path} is a directory; GEOKG_DB names a file")
    if not writing and not path.is_file():
        yield None
        return
    if writing:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create {path.parent}: {exc.strerror}") from None
    guard = _lock(path, exclusive=False)
    try:
        if writing:
            conn = _connect(path, location)
        else:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        try:
            yield SQLiteSchema(conn, location)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{location}: not a geokg store ({exc})") from None
        finally:
            conn.close()
    finally:
        os.close(guard)


_BULK_CACHE_KIB = 64 * 1024
"""The page cache of the writer's connection during a bulk commit."""


class SQLiteRecordStore(SharedWrites, SharedReads):
    """A store of record in one SQLite file (or ``:memory:``, for tests and throwaway runs).

    Examples
    --------
    >>> from graph.model import Entity
    >>> from graph.storage.base import Commit
    >>> store = SQLiteRecordStore(":memory:")
    >>> kyiv = Entity(id="kyiv", kind="place", label="Kyiv")
    >>> store.commit([Change.put(kyiv, None)], Commit(actor="doc"), expect=0)
    1
    >>> [c.change.id for c in store.changes_since(0, 10)]
    ['kyiv']
    >>> store.close()  # a throwaway store's scratch directory goes with it
    """

    def __init__(self, location: str | Path, renderer: Renderer | None = None) -> None:
        self.location = str(location)
        self._renderer = renderer
        self._views_key = ""  # what meta.render_views says while the views are this renderer's
        self._fill_after = 0  # where fill_views looks next for nodes without views
        self._scratch: str | None = None
        if self.location == ":memory:":
            # A throwaway file rather than SQLite's memory database, so that every connection
            # (one per reading thread) sees the same data with the same locking as a real store.
            self._scratch = tempfile.mkdtemp(prefix="geokg-")
            self._path = Path(self._scratch) / "geokg.sqlite3"
            # Removed by close(); also when the store is dropped unclosed, or at exit.
            self._remove_scratch = weakref.finalize(self, shutil.rmtree, self._scratch, True)
        else:
            self._path = Path(self.location)
            if self._path.is_dir():
                raise StoreError(f"{self._path} is a directory; GEOKG_DB names a file")
            try:
                self._path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create {self._path.parent}: {exc.strerror}") from None
        # Every open store holds a shared lock on a file beside it: restore takes it exclusively,
        # so it cannot replace a store a running service still has open.
        self._lock_fd = _lock(self._path, exclusive=False)
        # A store dropped without close() still lets go of its lock (and warns of nothing).
        self._release = weakref.finalize(self, os.close, self._lock_fd)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._closed = False
        self._writer = self._connect()
        self._init_schema()
        if renderer is not None:
            self._init_views(renderer)

    def _connect(self) -> sqlite3.Connection:
        return _connect(self._path, self.location)

    def _init_schema(self) -> None:
        """Create a new store's schema; refuse one of another version (see
        :mod:`graph.storage.migrations`)."""
        try:
            prepare(SQLiteSchema(self._writer, self.location))
        except sqlite3.DatabaseError as exc:
            self._writer.close()
            raise StoreError(f"{self.location}: not a geokg store ({exc})") from None
        except BaseException:
            self._writer.close()
            raise

    _PUT_TEXT = "INSERT OR REPLACE INTO texts VALUES (?, ?)"
    _VIEW_TABLE = "CREATE TABLE render_view_{view} (ord INTEGER PRIMARY KEY, body BLOB NOT NULL)"

    def _view_tables(self, conn: sqlite3.Connection) -> list[str]:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'render!_view!_%'"
            " ESCAPE '!'"
        ).fetchall()
        return [row[0] for row in rows]

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    # -- reads ----------------------------------------------------------------------------

    def position(self) -> int:
        row = self._reader().execute("SELECT max(position) FROM changes").fetchone()
        return int(row[0] or 0)

    def store_id(self) -> str:
        row = self._reader().execute("SELECT value FROM meta WHERE key='store_id'").fetchone()
        return str(row[0])

    def waiter(self) -> None:
        """None: SQLite announces no commit; a follower looks at :meth:`position` instead."""
        return None

    def load(self) -> tuple[int, Iterator[Change]]:
        conn = self._connect()  # its own connection: one read transaction for the whole load
        conn.execute("BEGIN")
        position = int(conn.execute("SELECT max(position) FROM changes").fetchone()[0] or 0)

        def rows() -> Iterator[Change]:
            try:
                texts = dict(conn.execute("SELECT source_id, text FROM texts"))
                for node_id, node_type, body in conn.execute(
                    "SELECT id, node_type, body FROM nodes ORDER BY ord"
                ):
                    after = json.loads(body)
                    if node_id in texts:
                        after["text"] = texts[node_id]
                    yield Change("create", node_type, node_id, None, after)
                for edge_id, body in conn.execute("SELECT id, body FROM edges ORDER BY ord"):
                    yield Change("create", "edge", edge_id, None, json.loads(body))
            finally:
                conn.execute("COMMIT")
                conn.close()

        return position, rows()

    def checkpoint(self, idle_at: int) -> None:
        """Copy what the journal (WAL) holds into the database file, without waiting for
        readers, if the log is still at ``idle_at``; the journal then starts over at the next
        write once no reader needs it."""
        if self.position() != idle_at:
            return
        with self._write_lock:
            if not self._closed:
                self._writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def pin(self) -> SQLiteSnapshot:
        """A consistent, read-only view of every record at the current position."""
        return SQLiteSnapshot(self._connect())

    @contextmanager
    def _transaction(
        self, *, bulk: bool = False, log_lock: bool = True
    ) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` on the writer's connection: one writer at a time holds the file,
        so a change's position is assigned inside that lock."""
        with self._write_lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                if bulk:
                    # A bigger page cache while the indexes of a large write grow.
                    conn.execute(f"PRAGMA cache_size = -{_BULK_CACHE_KIB}")
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            finally:
                if bulk:
                    conn.execute("PRAGMA cache_size = -2000")

    def _many(self, conn: sqlite3.Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
        conn.executemany(sql, rows)

    def _insert_many(
        self, conn: sqlite3.Connection, table: str, rows: list[tuple[Any, ...]]
    ) -> None:
        if rows:
            conn.executemany(f"INSERT INTO {table} VALUES ({self._marks(len(rows[0]))})", rows)

    def _timestamp(self, at: dt.datetime) -> str:
        return at.isoformat()

    def _driver_error(self) -> type[Exception]:
        return sqlite3.Error

    def _integrity_error(self) -> type[Exception]:
        return sqlite3.IntegrityError

    # -- backup ---------------------------------------------------------------------------

    def backup(self, target: Path) -> None:
        target = Path(target).resolve()
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(fd)
        try:
            dest = sqlite3.connect(tmp)
            try:
                self._connect_for_backup().backup(dest)
                dest.execute("PRAGMA journal_mode = DELETE")
            finally:
                dest.close()
            Path(tmp).replace(target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _connect_for_backup(self) -> sqlite3.Connection:
        return self._reader()

    def close(self) -> None:
        # Under the write lock: a follower's checkpoint (or a commit) still running in another
        # thread finishes first; closing the connection under it crashes the process.
        with self._write_lock:
            self._closed = True
            self._writer.close()
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._release()
        if self._scratch is not None:
            self._remove_scratch()


class SQLiteSnapshot(SharedSnapshotReads):
    """Every record as it stood at one position: a read transaction held open.

    The read model reads records through it, so records always agree with the topology built
    at the same position, whatever other writers commit meanwhile. It is replaced (and this
    transaction ended) each time the read model catches up; exports keep the one they started
    with. Safe to share between threads: each statement runs under a lock.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        conn.execute("BEGIN")
        row = conn.execute("SELECT max(position) FROM changes").fetchone()
        self.position = int(row[0] or 0)
        self._closed = False

    def _one(self, sql: str, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        with self._lock:
            row: tuple[Any, ...] | None = self._conn.execute(sql, args).fetchone()
            return row

    def _all(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def _stream(self, sql: str, args: tuple[Any, ...] = (), size: int = 2048) -> Iterator[Any]:
        """Rows of a query, fetched in batches (the lock is held per batch, not throughout)."""
        with self._lock:
            cursor = self._conn.execute(sql, args)
        while True:
            with self._lock:
                rows = cursor.fetchmany(size)
            if not rows:
                return
            yield from rows

    def node_bodies(self, node_ids: Sequence[str]) -> dict[str, str]:
        """JSON bodies of the given nodes, by id: one statement per :data:`BATCH` ids rather
        than one per id (a depth-2 neighbourhood reads a thousand records)."""
        return self._bodies("nodes", node_ids)

    def edge_bodies(self, edge_ids: Sequence[str]) -> dict[str, str]:
        """JSON bodies of the given edges, by id (as :meth:`node_bodies`)."""
        return self._bodies("edges", edge_ids)

    BATCH = 500
    """Ids bound to one ``IN (...)`` statement (SQLite allows 32,766 variables)."""

    def _bodies(self, table: str, ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for at in range(0, len(ids), self.BATCH):
            chunk = tuple(ids[at : at + self.BATCH])
            marks = ",".join("?" * len(chunk))
            rows = self._all(f"SELECT id, body FROM {table} WHERE id IN ({marks})", chunk)
            found.update(rows)
        return found

    def edges(self) -> Iterator[str]:
        """The JSON body of every edge, grouped by the node it leaves (nodes in load order),
        each group in load order."""
        return (
            row[0]
            for row in self._stream(
                "SELECT e.body FROM nodes n JOIN edges e ON e.source = n.id ORDER BY n.ord, e.ord"
            )
        )

    def node_skeletons(self) -> Iterator[tuple[Any, ...]]:
        """What the topology needs of each node, in load order, without parsing bodies:
        (ord, id, node type, kind, date start, date end, CAMEO code, label, aliases JSON)."""
        return self._stream(
            "SELECT ord, id, node_type, kind, date_start, date_end, cameo, label, aliases"
            " FROM nodes ORDER BY ord",
            size=8192,
        )

    def edge_skeletons(self) -> Iterator[tuple[Any, ...]]:
        """(ord, id, source, target, type, category) of each edge, in load order."""
        return self._stream(
            "SELECT ord, id, source, target, edge_type, category FROM edges ORDER BY ord",
            size=8192,
        )

    def rendered(self, view: str, version: str) -> Iterator[tuple[str, bytes | None]]:
        """(id, the stored view, or None where it is missing or stale) of every node, in load
        order; all None unless the store keeps ``view`` of that renderer version."""
        if not self._keeps(view, version):
            return (
                (node_id, None) for (node_id,) in self._stream("SELECT id FROM nodes ORDER BY ord")
            )
        return self._stream(
            "SELECT n.id, CASE WHEN d.ord IS NULL THEN v.body END FROM nodes n"
            f" LEFT JOIN render_view_{view} v ON v.ord = n.ord"
            " LEFT JOIN render_dirty d ON d.ord = n.ord ORDER BY n.ord",
            size=256,
        )

    def rendered_nodes(
        self, view: str, version: str, node_ids: Sequence[str]
    ) -> dict[str, bytes | None]:
        """The stored view of each of ``node_ids`` that is a node (None where it is missing or
        stale, as :meth:`rendered` gives it); ids of no node are left out."""
        stored = self._keeps(view, version)
        found: dict[str, bytes | None] = {}
        for at in range(0, len(node_ids), self.BATCH):
            chunk = tuple(node_ids[at : at + self.BATCH])
            marks = ",".join("?" * len(chunk))
            if stored:
                sql = (
                    "SELECT n.id, CASE WHEN d.ord IS NULL THEN v.body END FROM nodes n"
                    f" LEFT JOIN render_view_{view} v ON v.ord = n.ord"
                    f" LEFT JOIN render_dirty d ON d.ord = n.ord WHERE n.id IN ({marks})"
                )
            else:
                sql = f"SELECT id, NULL FROM nodes WHERE id IN ({marks})"
            found.update((node_id, body) for node_id, body in self._all(sql, chunk))
        return found

    def dependents(self, node_ids: Sequence[str]) -> set[str]:
        """Ids of the nodes whose stored views looked up one of ``node_ids`` (without an edge
        to it): a write that creates or deletes such a node renders them again."""
        found: set[str] = set()
        for at in range(0, len(node_ids), self.BATCH):
            chunk = tuple(node_ids[at : at + self.BATCH])
            marks = ",".join("?" * len(chunk))
            rows = self._all(
                "SELECT n.id FROM render_deps d JOIN nodes n ON n.ord = d.ord"
                f" WHERE d.node IN ({marks})",
                chunk,
            )
            found.update(row[0] for row in rows)
        return found

    def close(self) -> None:
        """End the read transaction (also done when the snapshot is dropped)."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self._closed = True
            self._conn.close()


def _lock(path: Path, *, exclusive: bool) -> int:
    """Open ``<store>.lock`` and lock it: shared (waits) or exclusive (fails if in use)."""
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB if exclusive else fcntl.LOCK_SH)
    except BlockingIOError:
        os.close(fd)
        raise StoreError(
            f"{path} is open in a running geokg (serve, import...): stop it, then restore"
        ) from None
    return fd


def _describe(path: Path) -> tuple[int, int]:
    """(schema version, last position) of a geokg store file; StoreError if it is not one."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            version = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            position = conn.execute("SELECT max(position) FROM changes").fetchone()
            conn.execute("PRAGMA quick_check").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: not a geokg store ({exc})") from None
    if version is None:
        raise StoreError(f"{path}: not a geokg store (no schema version)")
    return int(version[0]), int(position[0] or 0)


def restore_backup(backup: Path, target: Path, *, force: bool = False) -> int:
    """Replace the store at ``target`` with a copy of ``backup``; return its position.

    Refuses a file that is not a geokg store or is of a newer schema (one of an older schema
    is restored, for ``geokg migrate`` to upgrade), and a ``target`` that holds data
    unless ``force``. The restored store gets a new store id (its history is another one for
    followers). Stop the service that uses ``target`` first.
    """
    if not backup.is_file():
        raise StoreError(f"{backup}: no such file")
    version, position = _describe(backup)
    if version > MIGRATIONS[-1].version:  # an older one is restored; geokg migrate upgrades it
        raise SchemaVersionError(str(backup), version, MIGRATIONS[-1].version)
    if target.exists() and not force:
        _, held = _describe(target)
        if held:
            raise StoreError(
                f"{target} holds {held} changes; restore over it with --force "
                "(make a backup of it first)"
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    guard = _lock(target, exclusive=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        dest = sqlite3.connect(tmp)
        try:
            source.backup(dest)
            dest.execute("UPDATE meta SET value = ? WHERE key = 'store_id'", (uuid.uuid4().hex,))
            dest.commit()
            dest.execute("PRAGMA journal_mode = WAL")
        finally:
            source.close()
            dest.close()
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        os.close(guard)
    return position
