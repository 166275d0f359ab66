"""The SPARQL endpoint's engine: a replica of the graph in a worker process, fed from the
store of record's change log, and a time limit that ends a query by ending the process.

Oxigraph (pyoxigraph) answers the queries: it is an engine made for SPARQL, and on this
machine it answers a two-hop join over a million triples in 2-3 ms where rdflib's SPARQL takes
about half a second. It releases Python's lock while it evaluates, but a query cannot be
interrupted once started, so it runs in a process of its own. The replica process
(``python -m graph.sparql.replica``) holds the graph and forks an *executor* that answers the
queries from the same memory (copy-on-write: nothing is copied until one of them writes); a
query past the time limit ends with the executor (:class:`~graph.errors.SparqlTimeoutError`),
and the replica forks a new one at once, with the graph still loaded. Changes go to both. Only
if the replica process itself is lost is the graph loaded again (queries get
:class:`~graph.errors.SparqlUnavailableError`, a 503 to ask again, until it is ready).

The replica starts from every node's pre-rendered N-Triples (rendered on the spot where the
store lacks them) and follows the change log: before each query, the nodes whose rendering the
changes since its position touch (the nodes written, the nodes that send the edges written,
and the nodes whose renderings looked up a node written) are sent again, or dropped. It is
never rebuilt per request.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.reduction import recv_handle

from graph.errors import (
    SparqlAbortedError,
    SparqlResultTooLargeError,
    SparqlServiceError,
    SparqlSyntaxError,
    SparqlTimeoutError,
    SparqlUnavailableError,
)
from graph.export.prerendered import ExportRenderer, unpack
from graph.export.rdf import PREFIXES
from graph.sparql.formats import ResultFormat
from graph.sparql.query import PreparedQuery
from graph.storage.base import RecordSnapshot, RecordStore
from graph.storage.postgres import is_unreachable

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_MEMORY", "DEFAULT_TIMEOUT_S", "SparqlEngine"]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 10.0
"""Seconds a query may run (``GEOKG_SPARQL_TIMEOUT``)."""

DEFAULT_MAX_BYTES = 32 * 1024 * 1024
"""Largest answer, in bytes as written (``GEOKG_SPARQL_MAX_BYTES``)."""

DEFAULT_MAX_MEMORY = 2 * 1024 * 1024 * 1024
"""Bytes a query's executor may allocate (``GEOKG_SPARQL_MAX_MEMORY``)."""

BATCH_NODES = 2000
"""Nodes sent to the replica in one message."""

RELOAD_AFTER = 200_000
"""Changes behind past which the replica is loaded afresh rather than caught up (a bulk import
of a million records touches most nodes: loading them all in one go is quicker)."""

_VIEW = "ntriples"

_CONFINED = ("os error 24", "Too many open files", "failed to lookup address")
"""What the engine says when a query makes it try to open a socket in a confined executor."""


@dataclass(frozen=True)
class Answer:
    """A query's answer, written: its media type and bytes, and the log position it reflects."""

    media_type: str
    body: bytes
    position: int


class SparqlEngine:
    """Answers SPARQL queries over the graph of a store of record, one at a time.

    Safe to call from several threads: queries take turns (the caller bounds how many wait).
    """

    def __init__(
        self,
        records: RecordStore,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_memory: int = DEFAULT_MAX_MEMORY,
    ) -> None:
        self.records = records
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.max_memory = max_memory
        """Bytes an executor may allocate beyond the replica it shares (0: no bound)."""
        self.position = -1
        """The log position the replica has applied (-1: no replica loaded)."""
        self._renderer = ExportRenderer()
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._executor: Connection | None = None
        self._executor_pid: int | None = None
        self._closed = False

    # -- the replica's life ------------------------------------------------------------------

    def warm(self) -> None:
        """Start the replica and load the graph now rather than at the first query."""
        with self._lock:
            self._ready()

    def warm_in_background(self) -> threading.Thread:
        """:meth:`warm` in a daemon thread (a failure is logged; the next query tries again)."""
        thread = threading.Thread(target=self._warm_logged, name="sparql-replica", daemon=True)
        thread.start()
        return thread

    def _warm_logged(self) -> None:
        try:
            self.warm()
        except Exception as exc:
            if self._closed:  # the shutdown cut the load short: nothing to say
                return
            if is_unreachable(exc):  # one line: the database's outage is not a bug of ours
                reason = " ".join(str(exc).split())
                log.warning(
                    "could not load the SPARQL replica: the store of record cannot be reached "
                    "(%s); the next query tries again",
                    reason,
                )
                return
            log.exception("could not load the SPARQL replica; the next query tries again")

    def close(self) -> None:
        """End the replica's process."""
        self._closed = True
        self._stop()

    def _stop(self) -> None:
        self._end_executor()
        process, conn = self._process, self._conn
        self._process, self._conn, self.position = None, None, -1
        if conn is not None:
            conn.close()
        if process is not None:
            process.kill()
            process.wait()

    def _end_executor(self) -> None:
        executor, pid = self._executor, self._executor_pid
        self._executor, self._executor_pid = None, None
        if executor is not None:
            executor.close()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def _fork(self) -> Connection:
        """A new executor, forked by the replica (which reaps it when it ends)."""
        assert self._conn is not None
        self._conn.send(("fork", self.max_memory))
        _, pid = self._conn.recv()
        self._executor = Connection(recv_handle(self._conn))
        self._executor_pid = pid
        self._executor.send(("ping",))  # ready before the first query's time limit starts
        self._executor.recv()
        return self._executor

    def _ready(self) -> Connection:
        """The executor's connection, the replica started, loaded and caught up (lock held)."""
        if self._closed:
            raise SparqlUnavailableError("the SPARQL endpoint is shut down")
        behind = self.records.position() - self.position
        if (
            self._process is None
            or self._process.poll() is not None
            or self._conn is None
            or behind > RELOAD_AFTER
        ):
            self._stop()
            self._start()
        assert self._conn is not None
        if self._executor is not None and not _alive(self._executor_pid):
            self._end_executor()  # ended by someone else: the replica forks another
        executor = self._executor or self._fork()
        self._catch_up(self._conn, executor)
        return executor

    def _start(self) -> None:
        started = time.perf_counter()
        ours_socket, theirs_socket = socket.socketpair()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "graph.sparql.replica", str(theirs_socket.fileno())],
                pass_fds=(theirs_socket.fileno(),),
                stdin=subprocess.DEVNULL,
            )
        finally:
            theirs_socket.close()
        ours = Connection(ours_socket.detach())
        self._process, self._conn = process, ours
        snapshot = self.records.pin()
        try:
            nodes = 0
            for batch in self._all_views(snapshot):
                ours.send(("put", batch, True))
                nodes += len(batch)
            self.position = snapshot.position
        finally:
            snapshot.close()
        ours.send(("ping",))
        ours.recv()
        log.info(
            "SPARQL replica loaded: %d nodes, change %d, in %.1f s",
            nodes,
            self.position,
            time.perf_counter() - started,
        )

    def _all_views(self, snapshot: RecordSnapshot) -> Iterator[list[tuple[str, bytes | None]]]:
        batch: list[tuple[str, bytes | None]] = []
        for node_id, stored in snapshot.rendered(_VIEW, self._renderer.version):
            batch.append((node_id, self._view(snapshot, node_id, stored)))
            if len(batch) >= BATCH_NODES:
                yield batch
                batch = []
        if batch:
            yield batch

    def _view(self, snapshot: RecordSnapshot, node_id: str, stored: bytes | None) -> bytes | None:
        if stored is not None:
            return unpack(stored)
        made = self._renderer.render(snapshot, node_id, (_VIEW,))
        return None if made is None else unpack(made[_VIEW])

    def _catch_up(self, conn: Connection, executor: Connection) -> None:
        """Send the replica and its executor the nodes whose rendering changed since the
        replica's position."""
        if self.records.position() == self.position:
            return
        snapshot = self.records.pin()
        try:
            written: set[str] = set()
            senders: set[str] = set()
            for logged in snapshot.changes_since(self.position):
                change = logged.change
                if change.object_type != "edge":
                    written.add(change.id)
                    continue
                for body in (change.before, change.after):
                    if body is not None and isinstance(body.get("source"), str):
                        senders.add(body["source"])
            touched = sorted(written | senders | snapshot.dependents(sorted(written)))
            stored = snapshot.rendered_nodes(_VIEW, self._renderer.version, touched)
            for at in range(0, len(touched), BATCH_NODES):
                batch = [
                    (
                        node_id,
                        self._view(snapshot, node_id, stored[node_id])
                        if node_id in stored
                        else None,
                    )
                    for node_id in touched[at : at + BATCH_NODES]
                ]
                conn.send(("put", batch, False))
                executor.send(("put", batch, False))
            if touched:  # wait until applied: a query's time limit is its own
                executor.send(("ping",))
                executor.recv()
            self.position = snapshot.position
        finally:
            snapshot.close()

    # -- queries -----------------------------------------------------------------------------

    def answer(self, query: PreparedQuery, fmt: ResultFormat) -> Answer:
        """Run a prepared query and write its answer in ``fmt``.

        Raises :class:`~graph.errors.SparqlSyntaxError`,
        :class:`~graph.errors.SparqlTimeoutError` or :class:`~graph.errors.SparqlAbortedError`
        (a new executor is then forked in the background),
        :class:`~graph.errors.SparqlResultTooLargeError`, or
        :class:`~graph.errors.SparqlUnavailableError` (no replica to answer right now).
        """
        if not self._lock.acquire(timeout=self.timeout_s):
            raise SparqlUnavailableError("the SPARQL replica is busy loading: ask again shortly")
        try:
            executor = self._send(("query", query.text, fmt.engine, self.max_bytes, PREFIXES))
            position = self.position
            if not executor.poll(self.timeout_s):
                log.warning("a SPARQL query ran past %g s: its executor ended", self.timeout_s)
                self._end_executor()
                self.warm_in_background()  # forks the next executor (the graph stays loaded)
                raise SparqlTimeoutError(self.timeout_s)
            try:
                reply = executor.recv()
            except (EOFError, OSError):  # the executor ended while it ran the query
                log.warning("a SPARQL query ended its executor (memory limit?)")
                self._end_executor()
                self.warm_in_background()
                raise SparqlAbortedError(self.max_memory) from None
        finally:
            self._lock.release()
        status = reply[0]
        if status == "ok":
            return Answer(fmt.media_type, reply[1], position)
        if status == "syntax":
            raise SparqlSyntaxError(f"the query does not parse: {reply[1]}")
        if status == "too-large":
            raise SparqlResultTooLargeError(self.max_bytes)
        if status == "memory":
            raise SparqlAbortedError(self.max_memory)
        if any(sign in reply[1] for sign in _CONFINED):
            # The executor may open no socket: a query that got past the scan's refusal of
            # SERVICE reached the engine's HTTP client, which could not even start.
            raise SparqlServiceError(
                "the query asked the engine to reach another server (SERVICE), which is "
                "refused: this endpoint queries its own graph only"
            )
        raise SparqlSyntaxError(f"the query could not be evaluated: {reply[1]}")

    def _send(self, message: tuple[object, ...]) -> Connection:
        """Send a query to a caught-up executor (lock held). An executor found gone on the way
        is replaced once, at once (a fork); a replica found gone is loaded again in the
        background, and the query is refused meanwhile."""
        for attempt in (1, 2):
            try:
                executor = self._ready()
                executor.send(message)
                return executor
            except (EOFError, OSError) as exc:
                self._end_executor()
                replica_lost = self._process is None or self._process.poll() is not None
                if replica_lost or attempt == 2:
                    log.error("the SPARQL replica failed (%s); starting again", exc)
                    self._stop()
                    self.warm_in_background()
                    break
        raise SparqlUnavailableError("the SPARQL replica failed: ask again shortly")


def _alive(pid: int | None) -> bool:
    """Whether a process exists (the replica reaps its executors, so none lingers dead)."""
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, under another user (cannot happen here, but is alive)
        return True
    return True
