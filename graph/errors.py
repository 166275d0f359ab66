"""The library's exceptions. No HTTP here: ``app/problems.py`` maps each one to a response."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ECHO_LIMIT",
    "AmbiguousNameError",
    "ConflictError",
    "GeokgError",
    "IdempotencyKeyReusedError",
    "InvalidCursorError",
    "InvalidQueryError",
    "NoPathError",
    "NodeNotFoundError",
    "NotSupportedError",
    "PathBudgetError",
    "PreconditionFailedError",
    "Problem",
    "RecordValidationError",
    "ReplicaBehindError",
    "ReplicaNotReadyError",
    "ReplicaPausedError",
    "SchemaVersionError",
    "SeedProblem",
    "SeedValidationError",
    "StoreError",
    "StoreUnreachableError",
    "UnsupportedFormatError",
    "clip",
]

ECHO_LIMIT = 200
"""Most characters of a caller's value that an error message repeats."""


def clip(value: object, limit: int = ECHO_LIMIT) -> str:
    """Return ``str(value)``, cut to ``limit`` characters (the last one an ellipsis).

    Error messages repeat what they were given; a 100 KB id must not come back whole.

    Examples
    --------
    >>> clip("kyiv")
    'kyiv'
    >>> clip("x" * 500, limit=5)
    'xxxx…'
    """
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class GeokgError(Exception):
    """Base class of every error raised by :mod:`graph`."""


class NodeNotFoundError(GeokgError, LookupError):
    """No node (entity, event or source) has this id."""

    def __init__(self, node_id: str, node_type: str = "node") -> None:
        super().__init__(f"no {node_type} with id {clip(node_id)!r}")
        self.id = node_id
        self.node_type = node_type


class AmbiguousNameError(GeokgError, LookupError):
    """A name given for a node belongs to more than one entity."""

    def __init__(self, name: str, candidates: Sequence[str]) -> None:
        shown = ", ".join(candidates[:10]) + (", …" if len(candidates) > 10 else "")
        super().__init__(f"{clip(name)!r} names {len(candidates)} entities ({shown}): use an id")
        self.name = name
        self.candidates = tuple(candidates)


class NoPathError(GeokgError):
    """The two nodes are not connected under the given constraints."""

    def __init__(self, source: str, target: str) -> None:
        super().__init__(
            f"no path between {clip(source)!r} and {clip(target)!r} under these constraints"
        )
        self.source = source
        self.target = target


class InvalidQueryError(GeokgError, ValueError):
    """A query parameter is outside its documented bounds or vocabulary.

    ``reason`` is written by the caller: values it repeats go through :func:`clip`.
    """

    def __init__(self, field: str, reason: str, location: str = "query") -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.location = location
        """Where the parameter was: ``query`` or ``header``."""


class InvalidCursorError(InvalidQueryError):
    """A ``cursor`` that geokg did not write, was changed, or belongs to another query."""

    def __init__(self, reason: str) -> None:
        super().__init__("cursor", reason)


class PathBudgetError(GeokgError):
    """A path search ran out of a budget (``budget``: ``time`` or ``expansions``) before it
    found any path; with one path found it answers that instead, marked as truncated."""

    def __init__(self, source: str, target: str, budget: str, bound: object) -> None:
        super().__init__(
            f"the search for paths between {clip(source)!r} and {clip(target)!r} ran out of its "
            f"{budget} budget ({bound}) before it found one; narrow it (a shorter max_length, "
            "types or kinds)"
        )
        self.source = source
        self.target = target
        self.budget = budget


class UnsupportedFormatError(GeokgError, ValueError):
    """An export format that geokg does not produce."""

    def __init__(self, requested: str, supported: Sequence[str]) -> None:
        super().__init__(
            f"unsupported format {clip(requested)!r}; supported: {', '.join(supported)}"
        )
        self.requested = requested
        self.supported = tuple(supported)


@dataclass(frozen=True)
class SeedProblem:
    """One thing wrong in a seed file: where (file, JSON path) and why."""

    file: str
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.reason}"


class SeedValidationError(GeokgError):
    """A seed directory or file does not describe a valid graph; nothing was loaded."""

    def __init__(self, problems: Sequence[SeedProblem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the seed data:\n{lines}")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a record a writer sent: where (a JSON path) and why."""

    location: str
    reason: str

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}"


class RecordValidationError(GeokgError, ValueError):
    """A record (or a batch of them) breaks the model's rules; nothing was written."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        shown = "; ".join(str(p) for p in self.problems[:10])
        more = f" (and {len(self.problems) - 10} more)" if len(self.problems) > 10 else ""
        super().__init__(f"{len(self.problems)} problem(s): {shown}{more}")


class ConflictError(GeokgError):
    """A write conflicts with what the store holds (an id in use, objects still referring)."""

    def __init__(self, message: str, ids: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.ids = tuple(ids)


class PreconditionFailedError(GeokgError):
    """An ``If-Match`` precondition no longer holds: someone changed the object meanwhile."""

    def __init__(self, object_id: str, current: str) -> None:
        super().__init__(
            f"{object_id!r} has changed since you read it (its ETag is now {current}); "
            "read it again and retry"
        )
        self.id = object_id
        self.current = current


class IdempotencyKeyReusedError(GeokgError, ValueError):
    """An ``Idempotency-Key`` was used before for a different request."""

    def __init__(self, key: str) -> None:
        super().__init__(f"Idempotency-Key {key[:80]!r} was already used for a different request")
        self.key = key


class StoreError(GeokgError):
    """The store of record cannot be used: a file that is not a geokg store, a newer schema."""


class NotSupportedError(GeokgError):
    """An operation this store of record does not do (the message says what does it)."""


class StoreUnreachableError(StoreError):
    """The database server of the store of record cannot be reached right now (down,
    restarting, or the network between): worth asking again shortly."""


class ReplicaBehindError(GeokgError):
    """A read asked for a change this replica has not applied within the wait allowed
    (read-your-writes): ask again shortly, or another replica."""

    def __init__(self, applied: int, wanted: int, waited: float) -> None:
        super().__init__(
            f"this replica has applied the log up to change {applied}, not yet change {wanted} "
            f"(waited {waited:g} s): ask again shortly"
        )
        self.applied = applied
        self.wanted = wanted


class ReplicaNotReadyError(GeokgError):
    """A replica too far behind the store of record to serve, or cut off from it."""

    def __init__(self, reason: str, status: dict[str, Any]) -> None:
        super().__init__(f"not ready: {reason}")
        self.status = status


class ReplicaPausedError(GeokgError):
    """A write sent to a replica whose following of the log is paused."""

    def __init__(self) -> None:
        super().__init__(
            "this replica's following of the change log is paused, so it takes no writes: "
            "send the write to another replica, or resume it (POST /admin/replica/resume)"
        )


class SchemaVersionError(StoreError):
    """A store whose schema version is not the one this geokg reads: older (``geokg migrate``
    upgrades it) or newer (written by a newer geokg).

    Examples
    --------
    >>> print(SchemaVersionError("data/geokg.sqlite3", 1, 2))
    store data/geokg.sqlite3: schema version 1 is older than this geokg's 2: run geokg migrate \
(with the same GEOKG_DB or --db) to upgrade it
    >>> print(SchemaVersionError("data/geokg.sqlite3", 3, 2))
    store data/geokg.sqlite3: schema version 3 was written by a newer geokg (this one knows \
versions up to 2)
    """

    def __init__(self, location: str, found: int, known: int) -> None:
        if found < known:
            message = (
                f"store {location}: schema version {found} is older than this geokg's {known}: "
                "run geokg migrate (with the same GEOKG_DB or --db) to upgrade it"
            )
        else:
            message = (
                f"store {location}: schema version {found} was written by a newer geokg "
                f"(this one knows versions up to {known})"
            )
        super().__init__(message)
        self.location = location
        self.found = found
        self.known = known


class SparqlError(GeokgError):
    """A SPARQL query geokg will not answer (the message says why)."""


class SparqlSyntaxError(SparqlError, ValueError):
    """A SPARQL query that does not parse."""


class SparqlUpdateError(SparqlError):
    """A SPARQL update: the endpoint is read-only."""


class SparqlServiceError(SparqlError):
    """A federated query (``SERVICE``): the server would fetch a URL the caller chose."""


class SparqlDatasetError(SparqlError):
    """A query that names its own dataset (``FROM``, ``FROM NAMED``, ``default-graph-uri``,
    ``named-graph-uri``): the endpoint has one, the graph of the export."""


class SparqlTimeoutError(SparqlError):
    """A SPARQL query ran past the time limit and was stopped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"the query ran past the {seconds:g}-second limit and was stopped; narrow it "
            "(more specific patterns, a LIMIT)"
        )
        self.seconds = seconds


class SparqlResultTooLargeError(SparqlError):
    """A SPARQL result larger than the result-size limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"the result is larger than the {limit:,}-byte limit; ask for less (a LIMIT, fewer "
            "variables) or page with LIMIT and OFFSET"
        )
        self.limit = limit


class SparqlAbortedError(SparqlError):
    """A SPARQL query whose executor ended before it answered: past the memory limit, most
    often."""

    def __init__(self, memory: int) -> None:
        bound = f"the {memory // (1024 * 1024):,} MiB memory limit" if memory else "its memory"
        super().__init__(
            f"the query was stopped before it answered, most often because it needed more than "
            f"{bound}; narrow it (more specific patterns, a LIMIT, no ORDER BY over everything)"
        )
        self.memory = memory


class SparqlUnavailableError(SparqlError):
    """The SPARQL replica is (re)loading the graph: ask again shortly."""
