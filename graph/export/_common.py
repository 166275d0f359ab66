"""Helpers the exporters share: scope checks, the walks over the store, XML-safe text, chunks.

Private to :mod:`graph.export`; the public API is in :mod:`graph.export.rdf` and
:mod:`graph.export.graphml`.

Every exporter reads the store through the walks below, and only through the read interface
(``node_ids``, ``node``, ``successors``, ``type_of``, ``source_text``): each node record is read
once, in load order (sorted ids for a scope), and each edge once, with the node it leaves. So the
first chunk of an export is ready after a bounded number of records, and memory does not grow
with the graph.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Protocol

from graph.errors import NodeNotFoundError
from graph.model import Edge, Node
from graph.store import GraphStore, by_source

__all__ = [
    "CHUNK",
    "Lookup",
    "check_scope",
    "chunked",
    "edge_groups",
    "nodes",
    "source_text",
    "walk",
    "xml_safe",
]

CHUNK = 1 << 16
"""Size of the chunks the exporters yield (in characters before encoding, or in bytes)."""

# Characters XML 1.0 cannot carry: C0 controls other than tab, newline and carriage return,
# lone surrogates, U+FFFE and U+FFFF.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class Lookup(Protocol):
    """What a projection asks of the store besides the records it walks: whether a node
    exists (its type) and a source's text."""

    def type_of(self, node_id: str) -> str | None: ...

    def source_text(self, source_id: str) -> str: ...


def xml_safe(text: str) -> str:
    """Drop the characters XML 1.0 cannot carry.

    Parameters
    ----------
    text : str
        Any string.

    Returns
    -------
    str
        ``text`` without C0 controls (other than tab, newline and carriage return), lone
        surrogates, U+FFFE and U+FFFF.

    Examples
    --------
    >>> xml_safe("Kyiv\\x00\\tКиїв\\ufffe")
    'Kyiv\\tКиїв'
    """
    return _XML_ILLEGAL.sub("", text)


def check_scope(store: GraphStore, node_ids: Iterable[str] | None) -> set[str] | None:
    """Check the ids an export is restricted to.

    Parameters
    ----------
    store : GraphStore
        The store to export.
    node_ids : iterable of str or None
        The nodes to export, or ``None`` for the whole store.

    Returns
    -------
    set of str or None
        The ids as a set, or ``None`` for the whole store.

    Raises
    ------
    NodeNotFoundError
        For the first id (in sorted order) the store does not hold.

    Examples
    --------
    >>> from graph.model import Entity
    >>> store = GraphStore()
    >>> store.put_node(Entity(id="kyiv", kind="place", label="Kyiv"))
    >>> check_scope(store, ["kyiv", "kyiv"])
    {'kyiv'}
    >>> check_scope(store, None) is None
    True
    >>> check_scope(store, ["lviv"])
    Traceback (most recent call last):
    ...
    graph.errors.NodeNotFoundError: ...
    """
    if node_ids is None:
        return None
    ids = set(node_ids)
    for node_id in sorted(ids):
        if node_id not in store:
            raise NodeNotFoundError(node_id)
    return ids


def _node_ids(store: GraphStore, scope: set[str] | None) -> Iterable[str]:
    return store.node_ids() if scope is None else sorted(scope)


def nodes(store: GraphStore, scope: set[str] | None) -> Iterator[tuple[str, Node]]:
    """Walk the nodes of an export: the store's order, or sorted ids for a scope.

    Parameters
    ----------
    store : GraphStore
        The store to export.
    scope : set of str or None
        The ids from :func:`check_scope`, or ``None`` for every node.

    Yields
    ------
    tuple of (str, Node)
        Each node's id and record.

    Examples
    --------
    >>> from graph.model import Entity
    >>> store = GraphStore()
    >>> store.put_node(Entity(id="ukraine", kind="state", label="Ukraine"))
    >>> store.put_node(Entity(id="kyiv", kind="place", label="Kyiv"))
    >>> [node_id for node_id, _ in nodes(store, None)]
    ['ukraine', 'kyiv']
    >>> [node_id for node_id, _ in nodes(store, {"ukraine", "kyiv"})]
    ['kyiv', 'ukraine']
    """
    for node_id in _node_ids(store, scope):
        yield node_id, store.node(node_id)


def edge_groups(store: GraphStore, scope: set[str] | None) -> Iterator[list[Edge]]:
    """Walk the edges of an export, grouped by (source, target), in the order of :func:`nodes`.

    Parameters
    ----------
    store : GraphStore
        The store to export.
    scope : set of str or None
        The ids from :func:`check_scope` (only edges with both ends in it are walked), or ``None``
        for every edge.

    Yields
    ------
    list of Edge
        All edges from one node to another, never empty, in the order they were added.

    Examples
    --------
    >>> from graph.model import Edge, Entity
    >>> store = GraphStore()
    >>> store.put_node(Entity(id="kyiv", kind="place", label="Kyiv"))
    >>> store.put_node(Entity(id="ukraine", kind="state", label="Ukraine"))
    >>> store.put_edge(Edge(id="kyiv.located_in.ukraine", category="relation",
    ...                     type="located_in", source="kyiv", target="ukraine"))
    >>> [[e.id for e in group] for group in edge_groups(store, None)]
    [['kyiv.located_in.ukraine']]
    >>> list(edge_groups(store, {"kyiv"}))
    []
    """
    if scope is None:  # one pass over every edge (grouped by source), no lookup per node
        for _, groups in by_source(store.edges()):
            yield from groups.values()
        return
    for node_id in _node_ids(store, scope):
        for target, edges in store.successors(node_id):
            if target in scope:
                yield edges


def walk(store: GraphStore, scope: set[str] | None) -> Iterator[tuple[str, Node, list[Edge]]]:
    """Walk the nodes of an export, each with the edges it sends to nodes of the export.

    Nodes come in the order of :func:`nodes`; a node's edges are grouped by the node they reach
    (parallel edges are adjacent), in the store's order.

    Parameters
    ----------
    store : GraphStore
        The store to export.
    scope : set of str or None
        The ids from :func:`check_scope` (only edges with both ends in it are walked), or ``None``
        for every node and edge.

    Yields
    ------
    tuple of (str, Node, list of Edge)
        Each node's id, its record and its outgoing edges (maybe none).

    Examples
    --------
    >>> from graph.model import Edge, Entity
    >>> store = GraphStore()
    >>> store.put_node(Entity(id="kyiv", kind="place", label="Kyiv"))
    >>> store.put_node(Entity(id="ukraine", kind="state", label="Ukraine"))
    >>> store.put_edge(Edge(id="kyiv.located_in.ukraine", category="relation",
    ...                     type="located_in", source="kyiv", target="ukraine"))
    >>> [(node_id, [e.id for e in out]) for node_id, _, out in walk(store, None)]
    [('kyiv', ['kyiv.located_in.ukraine']), ('ukraine', [])]
    >>> [(node_id, len(out)) for node_id, _, out in walk(store, {"kyiv"})]
    [('kyiv', 0)]
    """
    if scope is None:
        for record, edges in store.nodes_and_out_edges():
            yield record.id, record, edges
        return
    for node_id in _node_ids(store, scope):
        record = store.node(node_id)
        out: list[Edge] = []
        for target, edges in store.successors(node_id):
            if scope is None or target in scope:
                out += edges
        yield node_id, record, out


def source_text(store: Lookup, source_id: str) -> str | None:
    """The text of a source document, or ``None`` if the store holds none for it.

    Parameters
    ----------
    store : GraphStore or Lookup
        The store to export.
    source_id : str
        The id of a source node.

    Returns
    -------
    str or None
        The full text every quote of the source points into.

    Examples
    --------
    >>> from graph.model import Source
    >>> import datetime as dt
    >>> store = GraphStore()
    >>> store.put_node(Source(id="s", label="S", published=dt.date(2022, 2, 15),
    ...                       text_length=2, metadata_origin="test"))
    >>> source_text(store, "s") is None
    True
    >>> store.put_text("s", "Hi")
    >>> source_text(store, "s")
    'Hi'
    """
    try:
        return store.source_text(source_id)
    except KeyError:
        return None


def chunked(lines: Iterable[str]) -> Iterator[bytes]:
    """Join lines into UTF-8 chunks of at least :data:`CHUNK` characters (the last may be less).

    The first chunk is made before this returns, so a failure in it is raised here, before any
    byte of the document could have been sent (an HTTP layer can still answer with an error);
    a failure after it is raised by the iterator, and the document is left incomplete. Writers
    read a bounded number of records for a chunk, so the first one is quick on any graph.

    Parameters
    ----------
    lines : iterable of str
        The document, in pieces.

    Returns
    -------
    iterator of bytes
        The document, encoded, in chunks.

    Examples
    --------
    >>> list(chunked(["a\\n", "b\\n"]))
    [b'a\\nb\\n']
    >>> len(list(chunked("x" * CHUNK for _ in range(3))))
    3
    >>> def failing():
    ...     yield "a"
    ...     raise OSError("disk gone")
    >>> chunked(failing())
    Traceback (most recent call last):
    ...
    OSError: disk gone
    """
    chunks = _chunks(lines)
    first = next(chunks, None)
    return chain((first,), chunks) if first is not None else iter(())


def _chunks(lines: Iterable[str]) -> Iterator[bytes]:
    buffer: list[str] = []
    size = 0
    for line in lines:
        buffer.append(line)
        size += len(line)
        if size >= CHUNK:
            yield "".join(buffer).encode("utf-8")
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode("utf-8")
