"""What the SQLite and PostgreSQL stores read with the same SQL: written once here, with
``?`` placeholders that a store whose driver takes ``%s`` (psycopg) has rewritten
(:attr:`SharedReads.PARAM`)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from functools import cache
from typing import Any, Protocol

from graph.changes import Change, LoggedChange
from graph.storage.base import LogHead, StoredIngest, StoredResponse

__all__ = ["MAX_POSITION", "SharedReads", "SharedSnapshotReads", "TransactionReader"]


@cache
def _with(param: str, sql: str) -> str:
    return sql if param == "?" else sql.replace("?", param)


MAX_POSITION = 2**63 - 1
"""Past any position either store can hold (or bind as a parameter)."""

_CHANGES_SINCE = (
    "SELECT position, commit_position, at, op, object_type, object_id, before, after,"
    " actor, source FROM changes WHERE position > ? ORDER BY position LIMIT ?"
)


def _timestamp(at: Any) -> dt.datetime:
    """A log entry's time as the driver gives it: an ISO 8601 text (SQLite) or a datetime."""
    when: dt.datetime = dt.datetime.fromisoformat(at) if isinstance(at, str) else at
    return when.astimezone(dt.UTC)


def _logged(row: tuple[Any, ...]) -> LoggedChange:
    p, c, at, op, otype, oid, before, after, actor, source = row
    return LoggedChange(
        position=int(p),
        commit=int(c),
        at=_timestamp(at),
        actor=actor,
        source=source,
        change=Change(
            op,
            otype,
            oid,
            json.loads(before) if before is not None else None,
            json.loads(after) if after is not None else None,
        ),
    )


class _Executes(Protocol):
    def execute(self, sql: Any, params: Any = ...) -> Any: ...


class SharedReads:
    """Reads of a store: idempotent answers and ingested articles."""

    PARAM = "?"
    """The driver's placeholder (``?`` for sqlite3, ``%s`` for psycopg)."""

    def _reader(self) -> Any:
        raise NotImplementedError

    def position(self) -> int:
        raise NotImplementedError

    def _run(self, sql: str, args: tuple[Any, ...]) -> Any:
        return self._reader().execute(_with(self.PARAM, sql), args)

    def head(self, after: int) -> LogHead:
        """The log's position, and when the first change after ``after`` was committed."""
        position = self.position()
        if position <= after:
            return LogHead(position, None)
        row = self._run("SELECT at FROM changes WHERE position = ?", (after + 1,)).fetchone()
        return LogHead(position, None if row is None else _timestamp(row[0]))

    def changes_since(self, position: int, limit: int) -> list[LoggedChange]:
        """At most ``limit`` entries of the log after ``position``, oldest first."""
        if position >= MAX_POSITION:
            return []
        return [_logged(row) for row in self._run(_CHANGES_SINCE, (position, limit))]

    def is_empty(self) -> bool:
        """Whether nothing was ever written (no change in the log)."""
        return self.position() == 0

    def stored_response(self, actor: str, key: str) -> StoredResponse | None:
        row = self._run(
            "SELECT fingerprint, status, headers, body FROM idempotency"
            " WHERE actor = ? AND key = ?",
            (actor, key),
        ).fetchone()
        if row is None:
            return None
        return StoredResponse(row[0], int(row[1]), json.loads(row[2]), bytes(row[3]))

    _INGEST = "SELECT seq, id, text, body, summary, version, fingerprint FROM ingests"

    def ingest(self, ingest_id: str) -> StoredIngest | None:
        row = self._run(f"{self._INGEST} WHERE id = ?", (ingest_id,)).fetchone()
        return None if row is None else StoredIngest(*row)

    def ingest_by_key(self, actor: str, key: str) -> StoredIngest | None:
        row = self._run(
            "SELECT seq, id, text, answer, summary, version, fingerprint FROM ingests "
            "WHERE actor = ? AND idempotency_key = ?",
            (actor, key),
        ).fetchone()
        return None if row is None else StoredIngest(*row)

    def ingests(self, after: int, limit: int) -> list[StoredIngest]:
        rows = self._run(
            "SELECT seq, id, '', '', summary, version, fingerprint FROM ingests "
            "WHERE seq > ? ORDER BY seq LIMIT ?",
            (after, limit),
        ).fetchall()
        return [StoredIngest(*row) for row in rows]

    def id_reserved(self, node_id: str) -> bool:
        return (
            self._run("SELECT 1 FROM reserved_ids WHERE id = ?", (node_id,)).fetchone() is not None
        )


class SharedSnapshotReads:
    """Reads of a snapshot by id, through the snapshot's own statement helpers."""

    PARAM = "?"

    position: int
    """The store's position the snapshot reads at."""

    def _one(self, sql: str, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        raise NotImplementedError

    def _all(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _stream(self, sql: str, args: tuple[Any, ...] = (), size: int = 2048) -> Iterator[Any]:
        raise NotImplementedError

    def node(self, node_id: str) -> tuple[str, str] | None:
        """(node type, JSON body) of a node, or None."""
        row = self._one(
            _with(self.PARAM, "SELECT node_type, body FROM nodes WHERE id = ?"), (node_id,)
        )
        return None if row is None else (row[0], row[1])

    def edge(self, edge_id: str) -> str | None:
        """The JSON body of an edge, or None."""
        row = self._one(_with(self.PARAM, "SELECT body FROM edges WHERE id = ?"), (edge_id,))
        return None if row is None else str(row[0])

    def text(self, source_id: str) -> str | None:
        """The text of a source, or None."""
        row = self._one(
            _with(self.PARAM, "SELECT text FROM texts WHERE source_id = ?"), (source_id,)
        )
        return None if row is None else str(row[0])

    def nodes(self) -> Iterator[tuple[str, str, str]]:
        """(id, node type, JSON body) of every node, in load order."""
        return self._stream("SELECT id, node_type, body FROM nodes ORDER BY ord")

    def edges_from(self, node_id: str) -> list[str]:
        """JSON bodies of the edges leaving a node, in load order."""
        sql = _with(self.PARAM, "SELECT body FROM edges WHERE source = ? ORDER BY ord")
        return [row[0] for row in self._all(sql, (node_id,))]

    def quoting(self, source_id: str) -> tuple[list[str], list[str]]:
        """Ids of the nodes (in load order) and of the edges (grouped by the node they leave,
        as :meth:`edges` lists them) whose evidence quotes a source: from the quotes index."""
        nodes = self._all(
            _with(
                self.PARAM,
                "SELECT n.id FROM quotes q JOIN nodes n ON n.ord = q.ord"
                " WHERE q.source_id = ? AND q.is_edge = 0 ORDER BY n.ord",
            ),
            (source_id,),
        )
        edges = self._all(
            _with(
                self.PARAM,
                "SELECT e.id FROM quotes q JOIN edges e ON e.ord = q.ord"
                " JOIN nodes n ON n.id = e.source"
                " WHERE q.source_id = ? AND q.is_edge = 1 ORDER BY n.ord, e.ord",
            ),
            (source_id,),
        )
        return [row[0] for row in nodes], [row[0] for row in edges]

    def _keeps(self, view: str, version: str) -> bool:
        """Whether the store keeps ``view`` as rendered by this renderer ``version``."""
        row = self._one("SELECT value FROM meta WHERE key = 'render_views'", ())
        kept = json.loads(row[0]) if row is not None else {}
        return bool(kept.get("version") == version and view in kept.get("views", []))

    def changes_since(self, position: int, limit: int | None = None) -> Iterator[LoggedChange]:
        """The log after ``position`` up to this snapshot's position (at most ``limit``
        entries), oldest first."""
        last = position
        stop = self.position if limit is None else min(self.position, position + limit)
        sql = _with(self.PARAM, _CHANGES_SINCE)
        while last < stop:
            rows = self._all(sql, (last, min(10_000, stop - last)))
            if not rows:
                return
            for row in rows:
                yield _logged(row)
            last = rows[-1][0]


class TransactionReader:
    """Records as a write transaction sees them, for rendering one node's views: notes the
    other nodes it looks up (its views depend on them)."""

    def __init__(self, conn: _Executes, node_id: str, param: str = "?") -> None:
        self._conn = conn
        self._node_id = node_id
        self._param = param
        self.named: set[str] = set()

    def _row(self, sql: str, node_id: str) -> Any:
        return self._conn.execute(_with(self._param, sql), (node_id,))

    def node(self, node_id: str) -> tuple[str, str] | None:
        if node_id != self._node_id:
            self.named.add(node_id)
        row = self._row("SELECT node_type, body FROM nodes WHERE id = ?", node_id).fetchone()
        return None if row is None else (row[0], row[1])

    def edges_from(self, node_id: str) -> list[str]:
        self._own(node_id)
        rows = self._row("SELECT body FROM edges WHERE source = ? ORDER BY ord", node_id)
        return [row[0] for row in rows.fetchall()]

    def text(self, source_id: str) -> str | None:
        self._own(source_id)
        row = self._row("SELECT text FROM texts WHERE source_id = ?", source_id).fetchone()
        return None if row is None else str(row[0])

    def _own(self, node_id: str) -> None:
        if node_id != self._node_id:
            raise ValueError(f"rendering {self._node_id!r}: only its own edges and text are read")
