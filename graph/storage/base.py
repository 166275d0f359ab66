"""The interface of a store of record, and the values it hands back."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from graph.changes import Change, LoggedChange, RenderedChange

__all__ = ["Commit", "RecordSnapshot", "RecordStore", "StaleError", "StoredResponse"]


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
class Commit:
    """What one write transaction records besides its changes."""

    actor: str
    source: str | None = None
    idempotency_key: str | None = None
    response: StoredResponse | None = None


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

    def nodes(self) -> Iterator[tuple[str, str, str]]:
        """(id, node type, JSON body) of every node, in load order."""
        ...

    def edges(self) -> Iterator[str]:
        """Every edge's JSON body, grouped by the node it leaves (in load order)."""
        ...

    def edges_from(self, node_id: str) -> list[str]:
        """JSON bodies of the edges leaving a node, in load order."""
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

    def load(self) -> tuple[int, Iterator[Change]]:
        """The position and every record as it stands there (nodes, then edges, in order)."""
        ...

    def commit(self, changes: Sequence[Change], commit: Commit, expect: int) -> int:
        """Write changes and their log entries in one durable transaction; return the new
        position. Raises :class:`StaleError` if the log is no longer at ``expect``."""
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

    def checkpoint(self) -> None:
        """Fold the store's journal into its file when that costs no waiting (may do nothing)."""
        ...

    def stored_response(self, actor: str, key: str) -> StoredResponse | None:
        """The response kept for an idempotency key, if any."""
        ...

    def backup(self, target: Path) -> None:
        """Write a consistent copy of the whole store to ``target`` while it stays in use."""
        ...

    def close(self) -> None:
        """Release the store."""
        ...
