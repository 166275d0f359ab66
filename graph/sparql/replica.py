"""The SPARQL replica: an Oxigraph store holding the graph of the RDF export, one named graph
per node, run in a worker process of its own (:mod:`graph.sparql.engine` starts it).

Why a named graph per node: the store of record keeps each node's N-Triples already rendered
(:mod:`graph.export.prerendered`), and when a write changes what a node renders, the replica
replaces that node's graph with its new rendering; nothing is diffed triple by triple. A
quote's or a CAMEO code's description is part of the rendering of every node that cites it, so
it goes to a graph of its own, counted by the nodes that cite it: no triple is held twice
(queries see the union of the graphs, where Oxigraph would count a triple once per graph).

Queries run over the union of the graphs as the default graph, with no named graph visible:
the dataset is exactly the export's N-Triples.

Examples
--------
>>> replica = Replica()
>>> view = b'<https://e/a> <https://e/p> "1" .\\n'
>>> replica.put([("a", view)])
>>> replica.answer("SELECT ?o WHERE { ?s ?p ?o }", "JSON", 1000)
b'{"head":{"vars":["o"]},"results":{"bindings":[{"o":{"type":"literal","value":"1"}}]}}'
>>> replica.put([("a", None)])
>>> replica.answer("ASK { ?s ?p ?o }", "JSON", 1000)
b'{"head":{},"boolean":false}'
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import io
import os
import re
import resource
import signal
import socket
from collections.abc import Sequence
from multiprocessing.connection import Connection
from multiprocessing.reduction import send_handle
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import quote

import pyoxigraph as ox

from graph.export.prerendered import decode

__all__ = ["GRAPH_PREFIX", "Replica", "ResultTooLargeError", "serve"]

GRAPH_PREFIX = "urn:geokg:replica:"
"""Names of the replica's graphs (never visible to a query)."""


class ResultTooLargeError(Exception):
    """An answer grew past the byte limit while it was written."""


class _Capped(io.RawIOBase):
    """Collects what the engine writes, up to a limit (past it, writing fails)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.data = bytearray()
        self.limit = limit

    def writable(self) -> bool:
        return True

    def write(self, chunk: Any) -> int:
        self.data += chunk
        if len(self.data) > self.limit:
            raise ResultTooLargeError
        return len(chunk)


_IRI_SAFE = re.compile(r"[A-Za-z0-9._~:/?#@!$&'()*+,;=-]*").fullmatch


def _iri_safe(name: str) -> str:
    """A node id or key as it may stand in a graph's IRI (percent-encoded only if needed:
    ids and quote keys never need it, and encoding each costs a first load seconds)."""
    return name if _IRI_SAFE(name) and name.count("#") <= 1 else quote(name, safe="")


def _in_graph(ntriples: bytes, graph: str) -> bytes:
    """N-Triples lines as N-Quads in ``graph`` (a line ends with `` .`` and a newline, which
    N-Triples never holds inside a term)."""
    return ntriples.replace(b" .\n", f" <{graph}> .\n".encode())


class Replica:
    """The graph as the export renders it, kept node by node."""

    def __init__(self) -> None:
        self.store = ox.Store()
        self._keys: dict[str, tuple[str, ...]] = {}
        self._cited: dict[str, int] = {}

    @staticmethod
    def _node_graph(node_id: str) -> str:
        return f"{GRAPH_PREFIX}node:{_iri_safe(node_id)}"

    @staticmethod
    def _key_graph(key: str) -> str:
        return f"{GRAPH_PREFIX}shared:{_iri_safe(key)}"

    def put(self, views: Sequence[tuple[str, bytes | None]], fresh: bool = False) -> None:
        """Replace each node's graph with its view (as the store keeps it, uncompressed), or
        drop it (``None``: the node is gone). ``fresh``: the nodes are new to the replica (a
        first load), so there is nothing to replace."""
        loads: list[bytes] = []
        for node_id, view in views:
            graph = self._node_graph(node_id)
            if not fresh:
                self.store.remove_graph(ox.NamedNode(graph))
                for key in self._keys.pop(node_id, ()):
                    self._cited[key] -= 1
                    if not self._cited[key]:
                        del self._cited[key]
                        self.store.remove_graph(ox.NamedNode(self._key_graph(key)))
            if view is None:
                continue
            keys: list[str] = []
            for key, text in decode(view):
                if not key:
                    loads.append(_in_graph(text.encode(), graph))
                    continue
                keys.append(key)
                self._cited[key] = self._cited.get(key, 0) + 1
                if self._cited[key] == 1:
                    loads.append(_in_graph(text.encode(), self._key_graph(key)))
            if keys:
                self._keys[node_id] = tuple(keys)
        if loads:  # (load, not bulk_load: no thread pool is left behind to trouble a fork)
            self.store.load(b"".join(loads), format=ox.RdfFormat.N_QUADS)

    def answer(
        self, query: str, engine_format: str, limit: int, prefixes: dict[str, str] | None = None
    ) -> bytes:
        """The query's answer written in the engine's format ``engine_format`` (an attribute
        of ``QueryResultsFormat`` or ``RdfFormat``), at most ``limit`` bytes; ``prefixes``
        are predefined (the query may declare them again).

        Raises ``SyntaxError`` for a query the engine cannot parse and :class:`ResultTooLargeError`
        past ``limit``.
        """
        result = self.store.query(
            query, prefixes=prefixes, use_default_graph_as_union=True, named_graphs=[]
        )
        out = cast(IO[bytes], _Capped(limit))
        if isinstance(result, ox.QueryTriples):
            # Through the module's writer, which takes prefixes (Turtle, TriG, N3 use them).
            ox.serialize(result, out, getattr(ox.RdfFormat, engine_format), prefixes=prefixes)
        else:
            result.serialize(out, getattr(ox.QueryResultsFormat, engine_format))
        return bytes(cast(_Capped, out).data)

    def triples(self) -> int:
        """Triples held, each once (counted one by one: seconds at millions). Not ``__len__``,
        which would make ``if replica`` count them all."""
        return len(self.store)


def _answer(replica: Replica, message: tuple[Any, ...]) -> tuple[Any, ...]:
    _, text, engine_format, limit, prefixes = message
    try:
        return ("ok", replica.answer(text, engine_format, limit, prefixes))
    except SyntaxError as exc:
        return ("syntax", str(exc))
    except ResultTooLargeError:
        return ("too-large", limit)
    except MemoryError:
        return ("memory",)
    except Exception as exc:  # an engine failure: said, never the process's end
        return ("error", f"{type(exc).__name__}: {exc}")


def _end_with_parent() -> None:
    """Be killed when the parent ends, even in the middle of a query (Linux). The signal comes
    when the parent *thread* that forked ends: an executor is forked by the replica's only
    thread, which lives as long as the replica."""
    with contextlib.suppress(OSError, AttributeError):
        # The process's own symbols hold libc's prctl: no library search, which would start
        # subprocesses (each a fork of a replica holding gigabytes).
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


_PR_SET_PDEATHSIG = 1


def _vm_size() -> int:
    """This process's virtual memory size, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def _confine(memory: int) -> None:
    """Bound what an executor can do, whatever a query asks of the engine: no new file or
    socket at all (so no URL a query names can be fetched, whatever gets past the scan in
    :mod:`graph.sparql.query`), at most ``memory`` bytes more than the replica it was forked
    from (0: no bound), and no core file when it passes them."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        bound = _vm_size() + memory
        if hard != resource.RLIM_INFINITY:
            bound = min(bound, hard)
        resource.setrlimit(resource.RLIMIT_AS, (bound, bound))
    resource.setrlimit(resource.RLIMIT_NOFILE, (0, 0))


def _fork_executor(replica: Replica, conn: Connection, memory: int) -> None:
    """Fork a process that answers queries from this replica's memory (shared until either
    writes), confined (:func:`_confine`), and hand its end of a new socket to the engine, with
    its process id."""
    ours, theirs = socket.socketpair()
    gc.freeze()  # the collector would touch (and so copy) every object in the executor
    pid = os.fork()
    if pid == 0:  # the executor
        try:
            ours.close()
            conn.close()
            _end_with_parent()
            channel = Connection(theirs.detach())
            _confine(memory)
            serve(channel, replica)
        finally:
            os._exit(0)
    theirs.close()
    conn.send(("executor", pid))
    send_handle(conn, ours.fileno(), 0)
    ours.close()


def serve(conn: Connection, replica: Replica | None = None, *, forks: bool = False) -> None:
    """A process's loop: apply views, answer queries, until the connection closes.

    Messages: ``("put", views, fresh)`` (no reply); ``("ping",)`` answered ``("pong",)`` once
    everything before it is applied; ``("size",)`` answered with the number of triples (it
    counts them all); ``("query", text, format, limit, prefixes)`` answered ``("ok", body)``,
    ``("syntax", message)``, ``("too-large", limit)``, ``("memory",)`` or
    ``("error", message)``. With ``forks`` (the replica process), ``("fork", memory)`` starts
    an executor (:func:`_fork_executor`): the engine sends queries there (the replica answers
    none itself), and a query past its time limit ends the executor alone.
    """
    if replica is None:
        replica = Replica()
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        kind = message[0]
        if kind == "put":
            replica.put(message[1], fresh=message[2])
        elif kind == "ping":
            conn.send(("pong",))
        elif kind == "size":
            conn.send(replica.triples())
        elif kind == "query":
            refused = ("error", "the replica answers no queries: its executors do")
            conn.send(refused if forks else _answer(replica, message))
        elif kind == "fork" and forks:
            _fork_executor(replica, conn, message[1])


def main(argv: Sequence[str]) -> None:
    """``python -m graph.sparql.replica FD``: the replica process, on the connected socket
    ``FD`` (what :class:`~graph.sparql.engine.SparqlEngine` starts). It ends when that
    connection closes, as it does when the engine's process ends (``PR_SET_PDEATHSIG`` would
    end it with the *thread* that started it); its executors end with it."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # executors are reaped as they end
    serve(Connection(int(argv[0])), forks=True)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
