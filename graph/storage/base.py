"""The interface of a store of record, and the values it hands back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from graph.changes import Change, LoggedChange, RenderedChange

__all__ = [
    "ChangeWaiter",
    "Commit",
    "Filled",
    "LogHead",
    "NewIngest",
    "ProposalUpdate",
    "RecordReader",
    "RecordSnapshot",
    "RecordStore",
    "Renderer",
    "StaleError",
    "StoredIngest",
    "StoredResponse",
]


class StaleError(Exception):
    """The log moved on since the writer last read it: catch up, plan again, retry."""


@dataclass(frozen=True)
class StoredResponse:
    """The answer a write gave, kept with its ``Idempotency-Key`` to answer a retry."""

    fingerprint: str
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class ProposalUpdate:
    """A proposal set's new body (and its summary), written only if it is still at
    ``version``: a reviewer's decisions, in the same transaction as the changes they accept.
    If another decision came first, the commit raises :class:`StaleError`, so the writer
    reads the set again and plans anew."""

    ingest_id: str
    body: str
    summary: str
    version: int


class StoredIngest(NamedTuple):
    """An ingested article kept apart from the graph: its text, its proposal set (``body``)
    and a short summary of it (for lists)."""

    seq: int
    id: str
    text: str
    body: str
    summary: str
    version: int
    fingerprint: str | None
    """The request's fingerprint, when it came with an ``Idempotency-Key``."""


@dataclass(frozen=True)
class NewIngest:
    """What :meth:`RecordStore.add_ingest` keeps: the set, the ids it mints (reserved, so no
    other set mints them too) and, with an ``Idempotency-Key``, who sent it and how."""

    ingest_id: str
    text: str
    body: str
    summary: str
    reserved: tuple[str, ...] = ()
    idempotency: tuple[str, str, str] | None = None
    """(actor, key, fingerprint of the request)."""


@dataclass(frozen=True)
class Commit:
    """What one write transaction records besides its changes."""

    actor: str
    source: str | None = None
    idempotency_key: str | None = None
    response: StoredResponse | None = None
    proposals: ProposalUpdate | None = None


class RecordReader(Protocol):
    """Records by id: what a :class:`Renderer` reads (a snapshot, or a write transaction)."""

    def node(self, node_id: str) -> tuple[str, str] | None:
        """(node type, JSON body) of a node, or None."""
        ...

    def edges_from(self, node_id: str) -> list[str]:
        """JSON bodies of the edges leaving a node, in load order."""
        ...

    def text(self, source_id: str) -> str | None:
        """The text of a source, or None."""
        ...


class Renderer(Protocol):
    """Renders what a store keeps pre-rendered for each node (its *views*: an export's
    blocks, see :mod:`graph.export.prerendered`), from the node's record, the edges it sends,
    its text and the nodes it names.

    The store calls it for every node a commit touches, in the commit's transaction, and
    keeps the views beside the records; a view of another ``version`` is never handed out.
    """

    version: str
    views: tuple[str, ...]

    def render(
        self, reader: RecordReader, node_id: str, views: Iterable[str] = ...
    ) -> dict[str, bytes] | None:
        """The node's views (all of them by default), or None if there is no such node."""
        ...


class Filled(NamedTuple):
    """What one call of :meth:`RecordStore.fill_views` did."""

    rendered: int
    """Nodes rendered."""
    done: bool
    """Whether every node now has its views (until the next write without a renderer)."""


class RecordSnapshot(Protocol):
    """Every record of a store as it stood at one position, for the read model to read.

    The read model's topology is built (or advanced) to the same position, so what it finds
    in its adjacency and what the snapshot holds always agree.
    """

    position: int

    def node(self, node_id: str) -> tuple[str, str] | None:
        """(node type, JSON body) of a node, or None."""
        ...

    def edge(self, edge_id: str) -> str | None:
        """The JSON body of an edge, or None."""
        ...

    def text(self, source_id: str) -> str | None:
        """The text of a source, or None."""
        ...

    def node_bodies(self, node_ids: Sequence[str]) -> dict[str, str]:
        """JSON bodies of the given nodes, by id, read together (unknown ids left out)."""
        ...

    def edge_bodies(self, edge_ids: Sequence[str]) -> dict[str, str]:
        """JSON bodies of the given edges, by id, read together (unknown ids left out)."""
        ...

    def nodes(self) -> Iterator[tuple[str, str, str]]:
        """(id, node type, JSON body) of every node, in load order."""
        ...

    def edges(self) -> Iterator[str]:
        """Every edge's JSON body, grouped by the node it leaves (in load order)."""
        ...

    def edges_from(self, node_id: str) -> list[str]:
        """JSON bodies of the edges leaving a node, in load order."""
        ...

    def quoting(self, source_id: str) -> tuple[list[str], list[str]]:
        """Ids of the nodes (in load order) and the edges (in :meth:`edges` order) whose
        evidence quotes a source, found by an index rather than a walk over every record."""
        ...

    def node_skeletons(self) -> Iterator[tuple[Any, ...]]:
        """(rank, id, node type, kind, date start, date end, CAMEO code, label, aliases JSON)
        of every node, in load order."""
        ...

    def edge_skeletons(self) -> Iterator[tuple[Any, ...]]:
        """(rank, id, source, target, type, category) of every edge, in load order."""
        ...

    def changes_since(self, position: int, limit: int | None = None) -> Iterator[LoggedChange]:
        """The log after ``position`` up to this snapshot's position (at most ``limit``)."""
        ...

    def rendered(self, view: str, version: str) -> Iterator[tuple[str, bytes | None]]:
        """(id, the stored view, or None where it is missing or out of date) of every node,
        in load order; all None if the store keeps no such view of that renderer version."""
        ...

    def rendered_nodes(
        self, view: str, version: str, node_ids: Sequence[str]
    ) -> dict[str, bytes | None]:
        """The stored view of each of ``node_ids`` that is a node (None where it is missing or
        out of date); ids of no node are left out."""
        ...

    def dependents(self, node_ids: Sequence[str]) -> set[str]:
        """Ids of the nodes whose stored views looked up one of ``node_ids`` without an edge
        to it (a write that creates or deletes such a node renders them again)."""
        ...

    def close(self) -> None:
        """End the snapshot's read transaction."""
        ...


class LogHead(NamedTuple):
    """Where a store's log ends, and how old the oldest change a follower lacks is."""

    position: int
    """The position of the last committed change."""
    next_at: dt.datetime | None
    """When the first change after the follower's position was committed (the writer's
    clock); None when the follower has every change."""


class ChangeWaiter(Protocol):
    """A wake-up for a follower: returns soon after another process commits (a hint only:
    the follower reads the log itself, and may be woken when nothing is new)."""

    def wait(self, timeout: float) -> int | None:
        """Block until a commit is announced or ``timeout`` seconds pass: the position the
        announcements name (the highest, if several came), or None if none came."""
        ...

    def close(self) -> None:
        """Stop listening."""
        ...


class RecordStore(Protocol):
    """A durable store of records with an append-only, gapless change log.

    Positions are assigned in commit order with no gaps: a follower that has read up to
    position N and reads again later never misses a change committed after its first read.
    """

    location: str

    def position(self) -> int:
        """The position of the last committed change (0 for a new store)."""
        ...

    def store_id(self) -> str:
        """An id that names this store's history (a restored backup gets a new one)."""
        ...

    def head(self, after: int) -> LogHead:
        """The log's position, and when the first change after ``after`` was committed."""
        ...

    def waiter(self) -> ChangeWaiter | None:
        """A wake-up on other processes' commits, if the engine announces them (PostgreSQL's
        ``LISTEN``); None if a follower has to look at :meth:`position` from time to time."""
        ...

    def load(self) -> tuple[int, Iterator[Change]]:
        """The position and every record as it stands there (nodes, then edges, in order)."""
        ...

    def commit(self, changes: Sequence[Change], commit: Commit, expect: int) -> int:
        """Write changes and their log entries in one durable transaction; return the new
        position. Raises :class:`StaleError` if the log is no longer at ``expect``."""
        ...

    def commit_many(
        self, commits: Sequence[tuple[Sequence[Change], Commit]], expect: int
    ) -> list[int]:
        """Group commit: several writes in one durable transaction, each a commit of its own in
        the log (its positions, actor, source, idempotency key and kept answer), in the order
        given; all are kept or none. Returns each one's last position. Raises
        :class:`StaleError` if the log is no longer at ``expect``, or if an idempotency key
        of one of them was committed meanwhile; ``ValueError`` if two of them carry the same
        key (nothing is written then)."""
        ...

    def commit_bulk(
        self,
        batches: Iterable[Sequence[RenderedChange]],
        count: int,
        commit: Commit,
        expect: int,
    ) -> int:
        """Write ``count`` changes handed over in batches, and their log entries, in one durable
        transaction (one entry per change, as :meth:`commit` writes); return the new position.
        Raises :class:`StaleError` if the log is no longer at ``expect`` (before any batch is
        taken), and ``ValueError`` if the batches do not hold ``count`` changes (nothing is
        written then)."""
        ...

    def changes_since(self, position: int, limit: int) -> list[LoggedChange]:
        """Log entries after ``position``, oldest first."""
        ...

    def pin(self) -> RecordSnapshot:
        """A consistent view of every record at the current position."""
        ...

    def checkpoint(self, idle_at: int) -> None:
        """Fold the store's journal into its file when that costs no waiting and the log is
        still at ``idle_at`` (nothing was written since the caller's position: no reader of
        the caller's needs the journal); may do nothing."""
        ...

    def fill_views(self, budget: int, seconds: float = ...) -> Filled:
        """Render the views of up to ``budget`` nodes that lack them (or hold stale ones), in
        one write transaction of about ``seconds`` at most; call again until ``done``.
        Nothing to do without a renderer."""
        ...

    def stored_response(self, actor: str, key: str) -> StoredResponse | None:
        """The response kept for an idempotency key, if any."""
        ...

    def add_ingest(self, new: NewIngest) -> None:
        """Keep an ingested article and its proposal set, apart from the records and outside
        the change log, and reserve the ids it mints. Raises
        :class:`~graph.errors.ConflictError` if the set's id or a reserved id is in use, or
        the idempotency key was used before."""
        ...

    def ingest(self, ingest_id: str) -> StoredIngest | None:
        """An ingested article and its proposal set, or None."""
        ...

    def ingest_by_key(self, actor: str, key: str) -> StoredIngest | None:
        """The set an actor's earlier request with this ``Idempotency-Key`` made, or None;
        its ``body`` is the set as that request answered it (before any decision)."""
        ...

    def ingests(self, after: int, limit: int) -> list[StoredIngest]:
        """Ingested articles after ``seq`` ``after``, oldest first, at most ``limit``: their
        summaries only (``text`` and ``body`` empty)."""
        ...

    def id_reserved(self, node_id: str) -> bool:
        """Whether a proposal set minted this id (for a node it proposes)."""
        ...

    def backup(self, target: Path) -> None:
        """Write a consistent copy of the whole store to ``target`` while it stays in use."""
        ...

    def close(self) -> None:
        """Release the store."""
        ...
