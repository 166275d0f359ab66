"""What the SQLite and PostgreSQL stores write with the same SQL: a commit's rows and its log
entries, the pre-rendered views of the nodes it touches, a bulk commit's batches, ingests,
:meth:`~SharedWrites.fill_views`. Written once here, with ``?`` placeholders (rewritten for
psycopg, as in :mod:`graph.storage._shared`) and upserts both engines read
(``ON CONFLICT ... DO UPDATE``).

Each store keeps what is its own: its write transaction (SQLite ``BEGIN IMMEDIATE`` under a
thread lock; PostgreSQL a transaction holding the advisory write lock), how it sends many rows
(``executemany``; a psycopg cursor, ``COPY`` for a bulk commit's new rows), its timestamps, its
driver's errors, the tables its views are kept in, and PostgreSQL's ``NOTIFY``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, NamedTuple

from graph.changes import Change, RenderedChange
from graph.errors import ConflictError
from graph.storage._shared import TransactionReader, _with
from graph.storage.base import Commit, Filled, NewIngest, ProposalUpdate, Renderer, StaleError

__all__ = ["BulkRows", "SharedWrites", "dumps"]

log = logging.getLogger(__name__)

_IN_BATCH = 500
"""Ids bound to one ``IN (...)`` list (SQLite allows 32,766 variables, PostgreSQL 65,535)."""

FILL_SECONDS = 0.05
"""How long one :meth:`SharedWrites.fill_views` call renders, holding the store's write lock
(other processes' writes wait meanwhile), before it commits and returns."""


def dumps(value: object) -> str:
    """JSON as the stores keep it: compact, UTF-8 kept as it is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
"""U+0000 in JSON text (an escape not itself escaped)."""


def checked(record: str | None, object_id: str) -> str | None:
    r"""A record's JSON, refused if it holds U+0000: PostgreSQL cannot store it in a ``jsonb``
    (the columns of schema version 2 are cast from it), and SQLite's ``json_extract`` would
    cut a name there; both stores refuse it alike.

    Examples
    --------
    >>> checked('{"label":"a\\\\u0000"}', "x")  # a backslash, then the text u0000: kept
    '{"label":"a\\\\u0000"}'
    >>> checked('{"label":"a\\u0000"}', "x")
    Traceback (most recent call last):
    ...
    ValueError: x: a record cannot hold the character U+0000
    """
    if record is not None and "\\u0000" in record and _NUL.search(record):
        raise ValueError(f"{object_id}: a record cannot hold the character U+0000")
    return record


class BulkRows(NamedTuple):
    """One batch of a bulk commit, sorted into the rows of each statement."""

    node_inserts: list[tuple[Any, ...]]
    """(ord, id, node type, body): a new row's ``ord`` is its change's position."""
    node_updates: list[tuple[Any, ...]]
    texts: list[tuple[Any, ...]]
    edge_inserts: list[tuple[Any, ...]]
    """(ord, id, source, target, body)."""
    edge_updates: list[tuple[Any, ...]]
    log: list[tuple[Any, ...]]


class SharedWrites:
    """The write paths of a store of record (see the module's notes); a store supplies the
    methods that raise :exc:`NotImplementedError` here."""

    PARAM = "?"
    location: str
    _renderer: Renderer | None
    _views_key: str
    _fill_after: int
    _fill_failed = False
    """The renderer failed on a node in this process: :meth:`fill_views` never marks the
    store's views complete, so that the next process's pass tries that node again."""

    _VIEW_TABLE = ""
    """``CREATE TABLE`` of one view's table, with ``{view}`` for its name."""
    _UPSERTS = False
    """Whether new and changed rows of a commit go as upserts, many to a statement (PostgreSQL;
    SQLite writes each row on its own: its upsert overrides the triggers' ``OR IGNORE``)."""
    _PUT_TEXT = ""
    """Writes a source's text, (source id, text), whether or not it has one. Not an upsert
    in SQLite: an upsert's ``DO UPDATE`` runs the update triggers with their ``OR IGNORE``
    overridden (``UNIQUE constraint failed: render_dirty.ord``)."""

    # -- what each store supplies -----------------------------------------------------------

    def _transaction(
        self, *, bulk: bool = False, log_lock: bool = True
    ) -> AbstractContextManager[Any]:
        """A write transaction on the writer's connection (a context manager giving the
        connection), committed when the block ends and rolled back if it raises.

        ``log_lock``: hold the lock that puts writers of the log in turn (PostgreSQL's
        advisory lock; SQLite's ``BEGIN IMMEDIATE`` holds the whole file either way).
        ``bulk``: a large write is coming (SQLite gives it a larger page cache)."""
        raise NotImplementedError

    def _reader(self) -> Any:
        raise NotImplementedError

    def _many(self, conn: Any, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """One statement for each of ``rows``."""
        raise NotImplementedError

    def _insert_many(self, conn: Any, table: str, rows: list[tuple[Any, ...]]) -> None:
        """New rows of a bulk commit into ``table`` (a name with its column list)."""
        raise NotImplementedError

    def _timestamp(self, at: dt.datetime) -> Any:
        """A commit's time as the ``changes.at`` column takes it."""
        raise NotImplementedError

    def _driver_error(self) -> type[Exception]:
        """The driver's base error: a renderer that raises one has broken the transaction."""
        raise NotImplementedError

    def _integrity_error(self) -> type[Exception]:
        raise NotImplementedError

    def _view_tables(self, conn: Any) -> list[str]:
        """The tables of the views the store keeps now."""
        raise NotImplementedError

    def _committed(self, conn: Any, current: int, last: int) -> None:
        """Called in a log write's transaction after its rows (PostgreSQL notifies)."""

    # -- statements ----------------------------------------------------------------------

    def _sql(self, conn: Any, sql: str, args: tuple[Any, ...] = ()) -> Any:
        return conn.execute(_with(self.PARAM, sql), args)

    def _marks(self, count: int) -> str:
        return ", ".join([self.PARAM] * count)

    def _set_meta(self, conn: Any, key: str, value: str) -> None:
        self._sql(
            conn,
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def _meta_in(self, conn: Any, key: str) -> str | None:
        row = self._sql(conn, "SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _owns_views(self, conn: Any) -> bool:
        """Whether the views the store keeps are this renderer's (a geokg of another version
        that opened the store since keeps its own: this one then renders nothing)."""
        return self._meta_in(conn, "render_views") == self._views_key

    # -- the log -------------------------------------------------------------------------

    @contextmanager
    def _log_write(self, expect: int, *, bulk: bool = False) -> Iterator[tuple[Any, int]]:
        """A write transaction with the log checked at ``expect``: (the connection, the log's
        position). It commits when the block ends."""
        with self._transaction(bulk=bulk) as conn:
            row = self._sql(conn, "SELECT coalesce(max(position), 0) FROM changes").fetchone()
            current = int(row[0])
            if current != expect:
                raise StaleError(f"log at {current}, writer at {expect}")
            yield conn, current

    def commit(self, changes: Sequence[Change], commit: Commit, expect: int) -> int:
        return self.commit_many([(changes, commit)], expect)[0]

    def commit_many(
        self, commits: Sequence[tuple[Sequence[Change], Commit]], expect: int
    ) -> list[int]:
        keys = [(c.actor, c.idempotency_key) for _, c in commits if c.idempotency_key is not None]
        if len(set(keys)) != len(keys):
            raise ValueError("two writes of one group commit carry the same idempotency key")
        with self._log_write(expect) as (conn, current):
            for actor, key in keys:
                taken = self._sql(
                    conn, "SELECT 1 FROM idempotency WHERE actor = ? AND key = ?", (actor, key)
                ).fetchone()
                if taken:
                    raise StaleError("idempotency key committed meanwhile")
            at = self._timestamp(dt.datetime.now(dt.UTC))
            removed: list[int] = []
            log_rows: list[tuple[Any, ...]] = []
            lasts: list[int] = []
            every: list[Change] = []
            position = current
            upserts = _Upserts() if self._UPSERTS else None
            for changes, commit in commits:
                first, last = position + 1, position + len(changes)
                for i, change in enumerate(changes, start=first):
                    before = dumps(change.before) if change.before is not None else None
                    after = dumps(change.after) if change.after is not None else None
                    checked(after, change.id)
                    if upserts is None or not upserts.take(change, i, after):
                        if upserts is not None:
                            upserts.send(self, conn)  # what came before it, in order
                        gone = self._write_row(conn, change, i, after)
                        if gone is not None:
                            removed.append(gone)
                    log_rows.append(
                        _log_row(i, last, at, change, before=before, after=after, commit=commit)
                    )
                every.extend(changes)
                lasts.append(last)
                position = last
            if upserts is not None:
                upserts.send(self, conn)
            self._many(conn, "INSERT INTO changes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", log_rows)
            if self._renderer is not None and self._owns_views(conn):
                self._render_touched(conn, self._renderer, every, removed)
            for _, commit in commits:
                if commit.proposals is not None:
                    self._update_ingest(conn, commit.proposals)
                if commit.idempotency_key is not None and commit.response is not None:
                    r = commit.response
                    self._sql(
                        conn,
                        "INSERT INTO idempotency VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            commit.actor,
                            commit.idempotency_key,
                            r.fingerprint,
                            r.status,
                            dumps(r.headers),
                            r.body,
                            at,
                        ),
                    )
            self._committed(conn, current, position)
        return lasts

    def _write_row(
        self, conn: Any, change: Change, position: int, after_json: str | None
    ) -> int | None:
        """Write one change's row (``after_json``: the record after it, as the log keeps it);
        return the ``ord`` of a node it deletes. A new row's ``ord``
        (its place in load order) is the position of the change that created it: never reused
        (SQLite would give a new row the ord of a deleted last one) and known to every process
        that follows the log, so a read model that followed the writes ranks it as one rebuilt
        from this table does."""
        after = change.after
        if change.object_type == "edge":
            if after is None:
                self._sql(conn, "DELETE FROM edges WHERE id = ?", (change.id,))
                return None
            body = after_json
            updated = self._sql(
                conn,
                "UPDATE edges SET source = ?, target = ?, body = ? WHERE id = ?",
                (after["source"], after["target"], body, change.id),
            ).rowcount
            if not updated:
                self._sql(
                    conn,
                    "INSERT INTO edges (ord, id, source, target, body) VALUES (?, ?, ?, ?, ?)",
                    (position, change.id, after["source"], after["target"], body),
                )
            return None
        if after is None:
            removed = self._sql(
                conn, "DELETE FROM nodes WHERE id = ? RETURNING ord", (change.id,)
            ).fetchone()
            self._sql(conn, "DELETE FROM texts WHERE source_id = ?", (change.id,))
            return None if removed is None else int(removed[0])
        body = dumps({k: v for k, v in after.items() if k != "text"})
        updated = self._sql(
            conn,
            "UPDATE nodes SET node_type = ?, body = ? WHERE id = ?",
            (change.object_type, body, change.id),
        ).rowcount
        if not updated:
            self._sql(
                conn,
                "INSERT INTO nodes (ord, id, node_type, body) VALUES (?, ?, ?, ?)",
                (position, change.id, change.object_type, body),
            )
        if "text" in after:
            self._sql(conn, self._PUT_TEXT, (change.id, after["text"]))
        return None

    def commit_bulk(
        self,
        batches: Iterable[Sequence[RenderedChange]],
        count: int,
        commit: Commit,
        expect: int,
    ) -> int:
        with self._log_write(expect, bulk=True) as (conn, current):
            at = self._timestamp(dt.datetime.now(dt.UTC))
            last = current + count
            position = current
            for batch in batches:
                position = self._write_batch(conn, batch, position, last=last, at=at, commit=commit)
            if position != last:
                raise ValueError(f"{position - current} changes written, {count} announced")
            self._committed(conn, current, last)
        return last

    def _write_batch(
        self,
        conn: Any,
        batch: Sequence[RenderedChange],
        position: int,
        *,
        last: int,
        at: Any,
        commit: Commit,
    ) -> int:
        """Write one batch of a bulk commit with one statement per kind of row (new rows as
        the store sends many: ``executemany``, ``COPY``); return the last position written."""
        rows = _sorted_rows(batch, position, last=last, at=at, commit=commit)
        self._insert_many(conn, "nodes (ord, id, node_type, body)", rows.node_inserts)
        self._many(conn, "UPDATE nodes SET node_type = ?, body = ? WHERE id = ?", rows.node_updates)
        self._many(conn, self._PUT_TEXT, rows.texts)
        self._insert_many(conn, "edges (ord, id, source, target, body)", rows.edge_inserts)
        self._many(
            conn,
            "UPDATE edges SET source = ?, target = ?, body = ? WHERE id = ?",
            rows.edge_updates,
        )
        self._insert_many(conn, "changes", rows.log)
        return position + len(batch)

    # -- ingests -------------------------------------------------------------------------

    def add_ingest(self, new: NewIngest) -> None:
        actor, key, fingerprint = new.idempotency or (None, None, None)
        try:
            with self._transaction(log_lock=False) as conn:
                self._sql(
                    conn,
                    "INSERT INTO ingests (id, text, body, summary, version, actor, "
                    "idempotency_key, fingerprint, answer) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)",
                    (
                        new.ingest_id,
                        new.text,
                        new.body,
                        new.summary,
                        actor,
                        key,
                        fingerprint,
                        new.body if key is not None else None,
                    ),
                )
                self._many(
                    conn,
                    "INSERT INTO reserved_ids VALUES (?, ?)",
                    [(node_id, new.ingest_id) for node_id in new.reserved],
                )
        except self._integrity_error() as exc:
            raise ConflictError(
                f"proposal set {new.ingest_id!r}: an id or key in use ({exc})", [new.ingest_id]
            ) from None

    def _update_ingest(self, conn: Any, update: ProposalUpdate) -> None:
        done = self._sql(
            conn,
            "UPDATE ingests SET body = ?, summary = ?, version = version + 1 "
            "WHERE id = ? AND version = ?",
            (update.body, update.summary, update.ingest_id, update.version),
        ).rowcount
        if done != 1:
            raise StaleError(f"proposal set {update.ingest_id!r} changed meanwhile")

    # -- pre-rendered views --------------------------------------------------------------

    def _init_views(self, renderer: Renderer) -> None:
        """Make the tables of the renderer's views; drop views another renderer left."""
        for view in renderer.views:
            if not _VIEW_NAME.fullmatch(view):
                raise ValueError(f"a view name must be a lowercase identifier: {view!r}")
        wanted = self._views_key = dumps(
            {"version": renderer.version, "views": list(renderer.views)}
        )
        with self._transaction() as conn:
            found = self._meta_in(conn, "render_views")
            if found != wanted:
                self._reset_views(conn, renderer, wanted, found)

    def _reset_views(self, conn: Any, renderer: Renderer, wanted: str, found: str | None) -> None:
        for table in self._view_tables(conn):
            conn.execute(f'DROP TABLE "{table}"')
        conn.execute("DELETE FROM render_dirty")
        conn.execute("DELETE FROM render_deps")
        for view in renderer.views:
            conn.execute(self._VIEW_TABLE.format(view=view))
        self._set_meta(conn, "render_views", wanted)
        self._set_meta(conn, "render_complete", "0")
        nodes = conn.execute("SELECT count(*) FROM nodes").fetchone()[0]
        if nodes:
            log.info(
                "%s: %d nodes have no pre-rendered export views of version %s yet (%s); "
                "exports render them on the fly until they are filled in",
                self.location,
                nodes,
                renderer.version,
                "the store kept none" if found is None else f"it kept {found}",
            )

    def _render_touched(
        self, conn: Any, renderer: Renderer, changes: Sequence[Change], removed: list[int]
    ) -> None:
        """Render again the nodes a commit's changes touch (in its transaction): the nodes it
        writes, the nodes that send the edges it writes, and those whose views named a node
        it creates or deletes. Nodes a trigger marked for another reason stay marked."""
        touched: dict[str, None] = {}
        named: list[str] = []
        for change in changes:
            if change.object_type != "edge":
                touched[change.id] = None
                named.append(change.id)
                continue
            for body in (change.before, change.after):
                if body is not None and isinstance(body.get("source"), str):
                    touched[body["source"]] = None
        ords: dict[int, str] = {}
        for chunk in _chunks(list(touched)):
            sql = f"SELECT ord, id FROM nodes WHERE id IN ({self._marks(len(chunk))})"
            for ord_, node_id in conn.execute(sql, chunk).fetchall():
                ords[int(ord_)] = node_id
        for chunk in _chunks(named):
            sql = (
                "SELECT DISTINCT d.ord, n.id FROM render_deps d JOIN nodes n ON n.ord = d.ord"
                f" WHERE d.node IN ({self._marks(len(chunk))})"
            )
            for ord_, node_id in conn.execute(sql, chunk).fetchall():
                ords.setdefault(int(ord_), node_id)
        for ord_ in removed:
            self._drop_views(conn, renderer, ord_)
        for ord_, node_id in sorted(ords.items()):
            self._render_node(conn, renderer, ord_, node_id)

    def _drop_views(self, conn: Any, renderer: Renderer, ord_: int) -> None:
        for view in renderer.views:
            self._sql(conn, f"DELETE FROM render_view_{view} WHERE ord = ?", (ord_,))
        self._sql(conn, "DELETE FROM render_deps WHERE ord = ?", (ord_,))
        self._sql(conn, "DELETE FROM render_dirty WHERE ord = ?", (ord_,))

    def _render_node(self, conn: Any, renderer: Renderer, ord_: int, node_id: str) -> bool:
        """Render a node's views and keep them (with what they looked up); say if it could."""
        reader = TransactionReader(conn, node_id, self.PARAM)
        try:
            views = renderer.render(reader, node_id)
        except self._driver_error():
            raise
        except Exception:
            # A bug in a renderer must not refuse the write: the node is left without views
            # (exports render it as they stream, and fill_views tries again at the next start).
            log.exception("could not pre-render the export views of %r", node_id)
            views = None
        if views is None or set(views) != set(renderer.views):
            self._drop_views(conn, renderer, ord_)
            self._set_meta(conn, "render_complete", "0")
            return False
        for view, blob in views.items():
            self._sql(
                conn,
                f"INSERT INTO render_view_{view} VALUES (?, ?)"
                " ON CONFLICT (ord) DO UPDATE SET body = excluded.body",
                (ord_, blob),
            )
        self._sql(conn, "DELETE FROM render_deps WHERE ord = ?", (ord_,))
        if reader.named:
            self._many(
                conn,
                "INSERT INTO render_deps VALUES (?, ?) ON CONFLICT DO NOTHING",
                [(named, ord_) for named in sorted(reader.named)],
            )
        self._sql(conn, "DELETE FROM render_dirty WHERE ord = ?", (ord_,))
        return True

    def fill_views(self, budget: int = 1000, seconds: float = FILL_SECONDS) -> Filled:
        """Render the views of up to ``budget`` nodes that lack them or hold stale ones, for
        about ``seconds`` at most: the store's write lock is held meanwhile, so the writes of
        other processes wait that long at most (at a few milliseconds a node over
        PostgreSQL, 500 nodes held them for over a second).

        Stale views (marked by a write without a renderer) come first; then the nodes are
        checked in load order for missing ones, in a read (the write lock is held only to
        render). Once a whole pass finds none, later calls look at the stale ones only.
        """
        renderer = self._renderer
        if renderer is None or not self._owns_views(self._reader()):
            return Filled(0, True)
        first = f"render_view_{renderer.views[0]}"
        missing: list[tuple[Any, ...]] = []
        if self._meta_in(self._reader(), "render_complete") != "1":
            missing = self._sql(
                self._reader(),
                f"SELECT n.ord, n.id FROM nodes n LEFT JOIN {first} v ON v.ord = n.ord"
                " WHERE n.ord > ? AND v.ord IS NULL ORDER BY n.ord LIMIT ?",
                (self._fill_after, budget),
            ).fetchall()
        rendered = 0
        after = self._fill_after  # moved on once the transaction has committed, not before
        with self._transaction() as conn:
            if not self._owns_views(conn):  # another geokg took the views over meanwhile
                return Filled(0, True)
            until = time.monotonic() + seconds
            stale = self._sql(
                conn,
                "SELECT d.ord, n.id FROM render_dirty d LEFT JOIN nodes n ON n.ord = d.ord"
                " ORDER BY d.ord LIMIT ?",
                (budget,),
            ).fetchall()
            cut = False  # the time ran out before the batch did
            handled = 0  # each call handles one node at least, however slow
            for ord_, node_id in stale:
                if handled and time.monotonic() > until:
                    cut = True
                    break
                handled += 1
                if node_id is None:
                    self._drop_views(conn, renderer, ord_)
                elif self._render_node(conn, renderer, ord_, node_id):
                    rendered += 1
                else:
                    self._fill_failed = True
            for ord_, node_id in [] if cut else missing[: max(0, budget - len(stale))]:
                if handled and time.monotonic() > until:
                    cut = True
                    break
                handled += 1
                after = ord_
                if self._sql(conn, f"SELECT 1 FROM {first} WHERE ord = ?", (ord_,)).fetchone():
                    continue
                same = self._sql(conn, "SELECT id FROM nodes WHERE ord = ?", (ord_,)).fetchone()
                if same is not None and same[0] == node_id:
                    if self._render_node(conn, renderer, ord_, node_id):
                        rendered += 1
                    else:
                        self._fill_failed = True
            done = not cut and len(stale) < budget and len(missing) < budget - len(stale)
            if done:
                done = self._sql(conn, "SELECT 1 FROM render_dirty LIMIT 1").fetchone() is None
            # A node the renderer failed on keeps the store incomplete: the next start's pass
            # tries it again (exports render it as they stream meanwhile).
            if done and not self._fill_failed and self._meta_in(conn, "render_complete") != "1":
                self._set_meta(conn, "render_complete", "1")
                after = 0
        self._fill_after = after
        return Filled(rendered, done)


_VIEW_NAME = re.compile(r"[a-z][a-z0-9_]*")


_UPSERT_NODES = (
    "INSERT INTO nodes (ord, id, node_type, body) VALUES (?, ?, ?, ?) ON CONFLICT (id)"
    " DO UPDATE SET node_type = excluded.node_type, body = excluded.body"
)
_UPSERT_EDGES = (
    "INSERT INTO edges (ord, id, source, target, body) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id)"
    " DO UPDATE SET source = excluded.source, target = excluded.target, body = excluded.body"
)


class _Upserts:
    """A commit's new and changed rows, gathered to go as a few many-row statements (which
    PostgreSQL's driver sends in one round trip) instead of two statements a row. A row keeps
    its ``ord`` when updated, as :meth:`SharedWrites._write_row` does; a new row's ``ord`` is
    its change's position. Deletes are written on their own, after what came before them."""

    def __init__(self) -> None:
        self.nodes: list[tuple[Any, ...]] = []
        self.texts: list[tuple[Any, ...]] = []
        self.edges: list[tuple[Any, ...]] = []

    def take(self, change: Change, position: int, after_json: str | None) -> bool:
        """Gather a change that creates or replaces a row (``after_json``: the record after
        it, as the log keeps it, an edge's row too); False for a delete."""
        after = change.after
        if after is None:
            return False
        if change.object_type == "edge":
            row = (position, change.id, after["source"], after["target"], after_json)
            self.edges.append(row)
            return True
        body = dumps({k: v for k, v in after.items() if k != "text"})
        self.nodes.append((position, change.id, change.object_type, body))
        if "text" in after:
            self.texts.append((change.id, after["text"]))
        return True

    def send(self, store: SharedWrites, conn: Any) -> None:
        """Write what was gathered: nodes, their texts, then edges (whose triggers find their
        source node written)."""
        for sql, rows in (
            (_UPSERT_NODES, self.nodes),
            (store._PUT_TEXT, self.texts),
            (_UPSERT_EDGES, self.edges),
        ):
            if rows:
                store._many(conn, sql, rows)
                rows.clear()


def _log_row(
    position: int,
    last: int,
    at: Any,
    change: Change | RenderedChange,
    *,
    before: str | None,
    after: str | None,
    commit: Commit,
) -> tuple[Any, ...]:
    """A change's log entry: its position, its commit's last position, when, what (the object
    before and after, as JSON), who."""
    return (
        position,
        last,
        at,
        change.op,
        change.object_type,
        change.id,
        before,
        after,
        commit.actor,
        commit.source,
    )


def _chunks(ids: list[str]) -> Iterator[tuple[str, ...]]:
    for at in range(0, len(ids), _IN_BATCH):
        yield tuple(ids[at : at + _IN_BATCH])


def _sorted_rows(
    batch: Sequence[RenderedChange], position: int, *, last: int, at: Any, commit: Commit
) -> BulkRows:
    """The rows of each statement of one bulk batch, the first change at ``position + 1``."""
    rows = BulkRows([], [], [], [], [], [])
    for change in batch:
        position += 1
        if position > last:
            raise ValueError("more changes than announced")
        if change.object_type == "edge":
            assert change.ends is not None
            source, target = change.ends
            if change.op == "create":
                rows.edge_inserts.append((position, change.id, source, target, change.record))
            else:
                rows.edge_updates.append((source, target, change.record, change.id))
        else:
            if change.op == "create":
                rows.node_inserts.append((position, change.id, change.object_type, change.record))
            else:
                rows.node_updates.append((change.object_type, change.record, change.id))
            if change.text is not None:
                rows.texts.append((change.id, change.text))
        after = checked(change.after(), change.id)
        rows.log.append(
            _log_row(position, last, at, change, before=change.before, after=after, commit=commit)
        )
    return rows
