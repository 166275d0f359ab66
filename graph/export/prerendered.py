"""Pre-rendered exports: each node's RDF and GraphML, rendered when it is written.

A whole-graph export of a store of record reads each node's blocks (its own triples with the
edges it sends, as :mod:`graph.export.rdf` and :mod:`graph.export.graphml` render them) from
the store, already rendered, and joins them: no record is parsed, no term rendered. The store
renders a node again, in the transaction that writes it, whenever the node, an edge it sends,
its text or a node its blocks name without an edge changes (:class:`ExportRenderer` is what it
calls). A node whose blocks are missing (a store written before they existed, or by a writer
that does not render) or out of date is rendered on the fly while the export streams, exactly
as the store would have rendered it; the service fills such gaps in the background.

What a node's blocks cannot know is decided when the export is written: the projection
describes a quote (and a CAMEO code) the first time a record cites it, so a node's blocks keep
each quote's and code's description as a *keyed* segment, and the export skips a segment whose
key it has already written, with the same bounded memory as the projection. The document is
then byte for byte the one the projection writes.

Views (one stored rendering each):

- ``ntriples`` and ``nquads``: the node's lines (N-Quads with their graph names: keeping them
  costs less than putting them in at every export);
- ``turtle``: one paragraph per subject; ``jsonld``: one ``@graph`` object per subject;
- ``graphml_node``: the node's ``<node>``; ``graphml_edges``: the ``<edge>`` of every edge it
  sends.

RDF/XML is written by the projection (it has no target speed yet, and its blocks would be the
largest of all).

A view is stored compressed (LZ4: a fifth of the bytes to keep and to read, for about a sixth
more CPU to read than the bytes themselves). Uncompressed (:func:`encode`), it is UTF-8: either
the text itself (one segment, no key), or a NUL byte, the keys, a NUL byte, then the segments'
texts one after another. The keys are ``key start end`` for each keyed segment, separated by
spaces: ``q`` and a quote's IRI (less what every geokg IRI starts with) or ``c`` and a CAMEO
code, and where its text starts and ends. A rendered document never starts with a NUL byte.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, pairwise

import lz4.block
from pydantic import TypeAdapter

from graph.errors import NodeNotFoundError
from graph.export import rdf
from graph.export._common import CHUNK
from graph.export._triples import (
    JSONLD_SEPARATOR,
    Block,
    JsonLdObjects,
    TurtleParagraphs,
    nquads,
    ntriples,
)
from graph.export.graphml import FOOT, edge_element, head, node_element
from graph.model import AnyNode, Edge, Node
from graph.storage.base import RecordReader, RecordSnapshot
from graph.store import by_target

__all__ = [
    "BIG_CHUNK",
    "FORMATS",
    "RENDER_VERSION",
    "VIEWS",
    "ExportRenderer",
    "Segment",
    "decode",
    "encode",
    "pack",
    "unpack",
    "write",
]

RENDER_VERSION = "1"
"""Bump it whenever what the exporters write changes: a store drops blocks of another version
and renders them again (``tests/graph/test_prerendered.py`` fails until it is bumped)."""

VIEWS = ("ntriples", "nquads", "turtle", "jsonld", "graphml_node", "graphml_edges")
"""The renderings kept for each node."""

FORMATS = ("ntriples", "nquads", "turtle", "jsonld", "graphml")
"""The formats :func:`write` writes from pre-rendered views."""

BIG_CHUNK = 1 << 20
"""The largest chunk :func:`write` yields: the first is :data:`CHUNK`, each next one twice the
one before, up to this (a chunk costs the HTTP server a hop to its worker thread)."""

Segment = tuple[str, str]
"""(key, text): a key names a quote's or a CAMEO code's description (else "")."""

_NODE = TypeAdapter[Node](AnyNode)


def pack(view: bytes) -> bytes:
    """A view as stored: compressed.

    Examples
    --------
    >>> unpack(pack(b"<a> <b> <c> .\\n" * 100)) == b"<a> <b> <c> .\\n" * 100
    True
    """
    packed: bytes = lz4.block.compress(view)
    return packed


def unpack(stored: bytes) -> bytes:
    """A stored view, uncompressed (as :func:`encode` made it)."""
    view: bytes = lz4.block.decompress(stored)
    return view


_STORABLE = re.compile(r"[^\s\0]+").fullmatch
"""Keys hold no white space or NUL (they are IRIs and CAMEO codes: never do)."""


def encode(segments: Sequence[Segment]) -> bytes:
    """A view's segments, uncompressed, as stored (see the module's docstring).

    Examples
    --------
    >>> encode([("", "<a> <b> <c> .\\n")])
    b'<a> <b> <c> .\\n'
    >>> segments = [("", "<a> <b> <c> .\\n"), ("qa#char=1,2", "<d> <e> <f> .\\n")]
    >>> encode(segments)
    b'\\x00qa#char=1,2 14 28\\x00<a> <b> <c> .\\n<d> <e> <f> .\\n'
    >>> decode(encode(segments)) == segments
    True
    """
    if len(segments) == 1 and not segments[0][0] and not segments[0][1].startswith("\0"):
        return segments[0][1].encode()
    bodies = [text.encode() for _, text in segments]
    keys: list[str] = []
    at = 0
    for (key, _), body in zip(segments, bodies, strict=True):
        end = at + len(body)
        if key:
            if not _STORABLE(key):
                raise ValueError(f"a key that cannot be stored: {key!r}")
            keys.append(f"{key} {at} {end}")
        at = end
    return b"".join([b"\0", " ".join(keys).encode(), b"\0", *bodies])


def decode(blob: bytes) -> list[Segment]:
    """The segments of a view, uncompressed (the inverse of :func:`encode`), as text."""
    if not blob or blob[0]:
        return [("", blob.decode())]
    keys_end = blob.index(b"\0", 1)
    text = blob[keys_end + 1 :]
    keys = blob[1:keys_end].decode().split()
    keyed = {int(keys[i + 1]): keys[i] for i in range(0, len(keys), 3)}
    bounds = sorted({0, len(text), *keyed, *(int(keys[i + 2]) for i in range(0, len(keys), 3))})
    return [(keyed.get(at, ""), text[at:end].decode()) for at, end in pairwise(bounds)]


class _Lookup:
    """What the projection asks of the store, answered by a record reader."""

    def __init__(self, reader: RecordReader) -> None:
        self.reader = reader

    def type_of(self, node_id: str) -> str | None:
        row = self.reader.node(node_id)
        return None if row is None else row[0]

    def source_text(self, source_id: str) -> str:
        text = self.reader.text(source_id)
        if text is None:
            raise KeyError(source_id)
        return text


class ExportRenderer:
    """Renders the views of one node from a record reader (a store's write transaction, or a
    snapshot): what a store of record calls at commit, and an export for a node it lacks.

    One renderer may serve many threads: it keeps only caches of rendered names.
    """

    version: str = RENDER_VERSION
    views: tuple[str, ...] = VIEWS

    def __init__(self) -> None:
        self._turtle = TurtleParagraphs(rdf.PREFIXES)
        self._jsonld = JsonLdObjects(rdf.PREFIXES)

    def render(
        self, reader: RecordReader, node_id: str, views: Iterable[str] = VIEWS
    ) -> dict[str, bytes] | None:
        """The stored form of each of ``views`` for a node, or ``None`` if there is no such node.

        Examples
        --------
        >>> from graph.model import Entity
        >>> from graph.storage import Commit, SQLiteRecordStore
        >>> from graph.changes import Change
        >>> store = SQLiteRecordStore(":memory:")
        >>> kyiv = Entity(id="kyiv", kind="place", label="Kyiv")
        >>> store.commit([Change.put(kyiv, None)], Commit(actor="doc"), expect=0)
        1
        >>> views = ExportRenderer().render(store.pin(), "kyiv", ["ntriples"])
        >>> print(unpack(views["ntriples"]).decode().splitlines()[-1])
        <https://geokg.example.org/id/kyiv> <https://geokg.example.org/ontology#unnamed> \
"false"^^<http://www.w3.org/2001/XMLSchema#boolean> .
        >>> store.close()
        """
        row = reader.node(node_id)
        if row is None:
            return None
        record = _NODE.validate_json(row[1])
        edges = [Edge.model_validate_json(body) for body in reader.edges_from(node_id)]
        out = [edge for group in by_target(edges).values() for edge in group]
        wanted = set(views)
        rendered: dict[str, str | list[Segment]] = {}
        if wanted & {"ntriples", "nquads", "turtle", "jsonld"}:
            projection = rdf._Projection(_Lookup(reader), None)
            marks: dict[int, str] = {}
            projection.marks = marks
            groups = _groups(projection.batch(record, out), marks)
            for view, write in (
                ("ntriples", lambda blocks: "".join(ntriples([blocks]))),
                ("nquads", lambda blocks: "".join(nquads([blocks]))),
                ("turtle", self._turtle.render),
                ("jsonld", self._jsonld.render),
            ):
                if view in wanted:
                    rendered[view] = [(key, write(blocks)) for key, blocks in groups]
        if "graphml_node" in wanted:
            text = reader.text(node_id) if record.node_type == "source" else None
            rendered["graphml_node"] = node_element(node_id, record, text, {})
        if "graphml_edges" in wanted:
            rendered["graphml_edges"] = "".join([edge_element(edge, {}) for edge in out])
        return {
            view: pack(value.encode() if isinstance(value, str) else encode(value))
            for view, value in rendered.items()
        }


def _groups(batch: list[Block], marks: dict[int, str]) -> list[tuple[str, list[Block]]]:
    """The batch in runs of blocks: each keyed block alone, the others together."""
    groups: list[tuple[str, list[Block]]] = []
    for i, block in enumerate(batch):
        key = marks.get(i, "")
        if key or not groups or groups[-1][0]:
            groups.append((key, [block]))
        else:
            groups[-1][1].append(block)
    return groups


# -- writing ---------------------------------------------------------------------------------


class _Buffer:
    """Collects a document's pieces and hands them out in chunks: the first of
    :data:`CHUNK` bytes, each next one twice as large, up to :data:`BIG_CHUNK`."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.size = 0
        self.limit = CHUNK

    def take(self) -> bytes:
        chunk = b"".join(self.pieces)
        self.pieces, self.size, self.limit = [], 0, min(2 * self.limit, BIG_CHUNK)
        return chunk


def _blobs(snapshot: RecordSnapshot, renderer: ExportRenderer, view: str) -> Iterator[bytes]:
    """A view of every node in load order: stored, or rendered now where it is missing."""
    for node_id, stored in snapshot.rendered(view, renderer.version):
        if stored is not None:
            yield unpack(stored)
            continue
        made = renderer.render(snapshot, node_id, (view,))
        if made is None:  # cannot happen within one snapshot
            raise NodeNotFoundError(node_id)
        yield unpack(made[view])


def _joined(blobs: Iterable[bytes], out: _Buffer) -> Iterator[bytes]:
    """Append the views' texts to ``out`` (yielding each chunk it fills), skipping the
    description of a quote or CAMEO code already written: as the projection does, every code
    is remembered, and quotes until ``rdf._REMEMBERED`` of them (then all forgotten before the
    next node)."""
    quotes: set[bytes] = set()
    codes: set[bytes] = set()
    limit = rdf._REMEMBERED
    pieces = out.pieces
    for blob in blobs:
        if len(quotes) >= limit:  # forgotten between nodes, as the projection does
            quotes.clear()
        if not blob or blob[0]:  # one segment, no key
            pieces.append(blob)
            out.size += len(blob)
        else:
            keys_end = blob.index(b"\0", 1)
            base = keys_end + 1
            at = 0  # where the text not written yet starts
            keys = blob[1:keys_end].split(b" ")
            for i in range(0, len(keys), 3):
                key = keys[i]
                if key[0] == 99:  # b"c": a CAMEO code
                    if key not in codes:
                        codes.add(key)
                        continue
                elif key not in quotes:
                    quotes.add(key)
                    continue
                start = int(keys[i + 1])  # a description written before: leave it out
                end = int(keys[i + 2])
                if start > at:
                    pieces.append(blob[base + at : base + start])
                out.size -= end - start
                at = end
            pieces.append(blob[base + at :])
            out.size += len(blob) - base
        if out.size >= out.limit:
            yield out.take()
            pieces = out.pieces


def _chunks(snapshot: RecordSnapshot, renderer: ExportRenderer, fmt: str) -> Iterator[bytes]:
    out = _Buffer()
    if fmt == "graphml":
        out.pieces.append(head().encode())
        for view in ("graphml_node", "graphml_edges"):
            for blob in _blobs(snapshot, renderer, view):
                out.pieces.append(blob)
                out.size += len(blob)
                if out.size >= out.limit:
                    yield out.take()
        out.pieces.append(FOOT.encode())
    elif fmt in ("ntriples", "nquads"):
        yield from _joined(_blobs(snapshot, renderer, fmt), out)
    elif fmt == "turtle":
        out.pieces.append(TurtleParagraphs(rdf.PREFIXES).header().encode())
        yield from _joined(_blobs(snapshot, renderer, "turtle"), out)
    elif fmt == "jsonld":
        writer = JsonLdObjects(rdf.PREFIXES)
        out.pieces.append(writer.header().encode())
        yield from _joined(_first_without_separator(_blobs(snapshot, renderer, "jsonld")), out)
        out.pieces.append(writer.footer().encode())
    else:
        raise ValueError(f"no pre-rendered view writes {fmt!r}")
    if out.pieces:
        yield out.take()


def _first_without_separator(blobs: Iterator[bytes]) -> Iterator[bytes]:
    """JSON-LD views with the separator before the document's first object taken out (the
    first object always opens a node's view, never a skipped description)."""
    for blob in blobs:
        if not blob:
            continue
        if blob[0]:
            yield blob[len(JSONLD_SEPARATOR) :]
        else:
            segments = decode(blob)
            first = (segments[0][0], segments[0][1][len(JSONLD_SEPARATOR) :])
            yield encode([first, *segments[1:]])
        break
    yield from blobs


def write(
    snapshot: RecordSnapshot, fmt: str, renderer: ExportRenderer | None = None
) -> Iterator[bytes]:
    """Write the whole graph of a snapshot as ``fmt`` (one of :data:`FORMATS`), in chunks.

    The first chunk is made before this returns (a failure there is raised here, before any
    byte could be sent); a failure later is raised by the iterator, leaving the document
    incomplete.

    Examples
    --------
    >>> from graph.model import Entity
    >>> from graph.storage import Commit, SQLiteRecordStore
    >>> from graph.changes import Change
    >>> store = SQLiteRecordStore(":memory:", renderer=ExportRenderer())
    >>> kyiv = Entity(id="kyiv", kind="place", label="Kyiv")
    >>> store.commit([Change.put(kyiv, None)], Commit(actor="doc"), expect=0)
    1
    >>> nt = b"".join(write(store.pin(), "ntriples")).decode()
    >>> print(next(line for line in nt.splitlines() if "label" in line))
    <https://geokg.example.org/id/kyiv> <http://www.w3.org/2000/01/rdf-schema#label> "Kyiv" .
    >>> store.close()
    """
    chunks = _chunks(snapshot, renderer or ExportRenderer(), fmt)
    first = next(chunks, None)
    return chain((first,), chunks) if first is not None else iter(())
