"""The interface of a store of record, and the values it hands back."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from graph.changes import Change, LoggedChange

__all__ = ["Commit", "RecordStore", "StaleError", "StoredResponse"]


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

    def changes_since(self, position: int, limit: int) -> list[LoggedChange]:
        """Log entries after ``position``, oldest first."""
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
