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

- ``triples``: N-Triples lines, in segments that each belong to one set of named graphs, so
  that N-Quads are the same lines with the graph names put in;
- ``turtle``: one paragraph per subject; ``jsonld``: one ``@graph`` object per subject;
- ``graphml_node``: the node's ``<node>``; ``graphml_edges``: the ``<edge>`` of every edge it
  sends.

RDF/XML is written by the projection (it has no target speed yet, and its blocks would be the
largest of all).

A view is stored compressed (LZ4: a fifth of the bytes to keep and to read, for about a sixth
more CPU to read than the bytes themselves). Uncompressed (:func:`encode`), it is UTF-8: either
the text itself (one segment, no key, the default graph), or a NUL byte, the keys, a NUL byte,
the runs, a NUL byte, then the segments' texts one after another. The keys are ``key start
end`` for each keyed segment, separated by spaces: ``q`` and a quote's IRI (less what every
geokg IRI starts with) or ``c`` and a CAMEO code, and where its text starts and ends; the runs
(for N-Quads) are ``end TAB graphs`` for each run of segments in the same graphs, separated by
tabs, the graphs rendered and separated by spaces (an empty name is the default graph), and
none when every line is in the default graph. A rendered document never starts with a NUL
byte.
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
    GraphNames,
    JsonLdObjects,
    TurtleParagraphs,
    ntriples_lines,
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

VIEWS = ("triples", "turtle", "jsonld", "graphml_node", "graphml_edges")
"""The renderings kept for each node."""

FORMATS = ("ntriples", "nquads", "turtle", "jsonld", "graphml")
"""The formats :func:`write` writes from pre-rendered views."""

BIG_CHUNK = 1 << 20
"""The largest chunk :func:`write` yields: the first is :data:`CHUNK`, each next one twice the
one before, up to this (a chunk costs the HTTP server a hop to its worker thread)."""

Segment = tuple[str, str, str]
"""(key, graph names, text): a key names a quote's or a CAMEO code's description (else "")."""

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


_STORABLE = re.compile(r"[^\t\0]*").fullmatch
"""Keys and graph names hold no tab or NUL (they are IRIs and CAMEO codes: never do)."""


def encode(segments: Sequence[Segment]) -> bytes:
    """A view's segments as stored (see the module's docstring).

    Examples
    --------
    >>> encode([("", "", "<a> <b> <c> .\\n")])
    b'<a> <b> <c> .\\n'
    >>> segments = [("", "<g>", "<a> <b> <c> .\\n"), ("qa#char=1,2", "<g>", "<d> <e> <f> .\\n")]
    >>> encode(segments)
    b'\\x00qa#char=1,2 14 28\\x0028\\t<g>\\x00<a> <b> <c> .\\n<d> <e> <f> .\\n'
    >>> decode(encode(segments)) == segments
    True
    """
    if len(segments) == 1 and not segments[0][0] and not segments[0][1]:
        text = segments[0][2]
        if not text.startswith("\0"):
            return text.encode()
    bodies = [text.encode() for _, _, text in segments]
    keys: list[str] = []
    runs: list[str] = []  # where each run of segments in the same graphs ends, and its graphs
    at = 0
    for (key, graphs, _), body in zip(segments, bodies, strict=True):
        if not _STORABLE(key) or not _STORABLE(graphs) or " " in key:
            raise ValueError(f"a key or graph name that cannot be stored: {key!r} {graphs!r}")
        if runs and runs[-1] != graphs:
            runs.insert(-1, str(at))
        elif runs:
            runs.pop()
        runs.append(graphs)
        end = at + len(body)
        if key:
            keys.append(f"{key} {at} {end}")
        at = end
    if runs == [""]:
        runs = []  # every line in the default graph
    else:
        runs.insert(-1, str(at))
    header = " ".join(keys) + "\0" + "\t".join(runs)
    return b"".join([b"\0", header.encode(), b"\0", *bodies])


def decode(blob: bytes) -> list[Segment]:
    """The segments of a stored view (the inverse of :func:`encode`), as text."""
    if not blob or blob[0]:
        return [("", "", blob.decode())]
    keys_end = blob.index(b"\0", 1)
    runs_end = blob.index(b"\0", keys_end + 1)
    text = blob[runs_end + 1 :]
    keys = blob[1:keys_end].decode().split()
    keyed = {int(keys[i + 1]): keys[i] for i in range(0, len(keys), 3)}
    cuts = {0, len(text)} | set(keyed) | {int(keys[i + 2]) for i in range(0, len(keys), 3)}
    runs = blob[keys_end + 1 : runs_end].decode().split("\t") if runs_end > keys_end + 1 else []
    ends = [(int(runs[i]), runs[i + 1]) for i in range(0, len(runs), 2)]
    cuts |= {end for end, _ in ends}
    bounds = sorted(cuts)
    return [
        (keyed.get(at, ""), next((g for e, g in ends if e >= end), ""), text[at:end].decode())
        for at, end in pairwise(bounds)
    ]


def _graph_names(graphs: GraphNames) -> str:
    return " ".join("" if name is None else name for name in graphs)


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
        >>> views = ExportRenderer().render(store.pin(), "kyiv", ["triples"])
        >>> print(unpack(views["triples"]).decode().splitlines()[-1])
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
        if wanted & {"triples", "turtle", "jsonld"}:
            projection = rdf._Projection(_Lookup(reader), None)
            marks: dict[int, str] = {}
            projection.marks = marks
            batch = projection.batch(record, out)
            if "triples" in wanted:
                rendered["triples"] = _triples(batch, marks)
            groups = _groups(batch, marks)
            if "turtle" in wanted:
                rendered["turtle"] = [(k, "", self._turtle.render(b)) for k, b in groups]
            if "jsonld" in wanted:
                rendered["jsonld"] = [(k, "", self._jsonld.render(b)) for k, b in groups]
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


def _triples(batch: list[Block], marks: dict[int, str]) -> list[Segment]:
    """N-Triples segments: one per keyed block, one per run of lines in the same graphs."""
    segments: list[Segment] = []
    for i, (subject, runs) in enumerate(batch):
        key = marks.get(i, "")
        if key and len(runs) != 1:
            raise ValueError(f"a keyed block has {len(runs)} runs: {subject}")
        for graphs, props in runs:
            names = _graph_names(graphs)
            lines = ntriples_lines(subject, props)
            if not key and segments and not segments[-1][0] and segments[-1][1] == names:
                segments[-1] = ("", names, segments[-1][2] + lines)
            else:
                segments.append((key, names, lines))
    return segments


# -- writing ---------------------------------------------------------------------------------


class _Buffer:
    """Collects a document's pieces and hands them out in chunks: the first of
    :data:`CHUNK` bytes, each next one twice as large, up to :data:`BIG_CHUNK`."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.size = 0
        self.limit = CHUNK

    def full(self) -> bool:
        return self.size >= self.limit

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


def _joined(blobs: Iterable[bytes], out: _Buffer, quads: bool = False) -> Iterator[bytes]:
    """Append the views' texts to ``out`` (yielding each chunk it fills), skipping the
    description of a quote or CAMEO code already written: as the projection does, every code
    is remembered, and quotes until ``rdf._REMEMBERED`` of them (then all forgotten before the
    next node). With ``quads``, each line gets the names of its graphs."""
    quotes: set[bytes] = set()
    codes: set[bytes] = set()
    ends: dict[bytes, list[bytes]] = {}
    limit = rdf._REMEMBERED
    pieces = out.pieces
    for blob in blobs:
        if len(quotes) >= limit:  # forgotten between nodes, as the projection does
            quotes.clear()
        if not blob or blob[0]:  # one segment, in the default graph
            pieces.append(blob)
            out.size += len(blob)
        else:
            keys_end = blob.index(b"\0", 1)
            runs_end = blob.index(b"\0", keys_end + 1)
            base = runs_end + 1
            skipped: list[int] = []  # start and end of each description not to write again
            if keys_end > 1:
                keys = blob[1:keys_end].split(b" ")
                for i in range(0, len(keys), 3):
                    key = keys[i]
                    if key[0] == 99:  # b"c": a CAMEO code
                        if key in codes:
                            skipped += (int(keys[i + 1]), int(keys[i + 2]))
                        else:
                            codes.add(key)
                    elif key in quotes:
                        skipped += (int(keys[i + 1]), int(keys[i + 2]))
                    else:
                        quotes.add(key)
            if quads and runs_end > keys_end + 1:
                runs = blob[keys_end + 1 : runs_end].split(b"\t")
                _quads(blob, base, runs, skipped, pieces, ends=ends)
            else:
                at = 0
                for i in range(0, len(skipped), 2):
                    if skipped[i] > at:
                        pieces.append(blob[base + at : base + skipped[i]])
                    at = skipped[i + 1]
                pieces.append(blob[base + at :])
            out.size += len(blob) - base
        if out.size >= out.limit:
            yield out.take()
            pieces = out.pieces


def _quads(
    blob: bytes,
    base: int,
    runs: list[bytes],
    skipped: list[int],
    pieces: list[bytes],
    *,
    ends: dict[bytes, list[bytes]],
) -> None:
    """The N-Quads of a view: each line once per graph of its run, skipped ranges left out.
    ``ends`` remembers what ends a line in each set of graphs."""
    at = 0
    s = 0
    for i in range(0, len(runs), 2):
        end = int(runs[i])
        graphs = runs[i + 1]
        kept = []
        while s < len(skipped) and skipped[s] < end:
            if skipped[s] > at:
                kept.append(blob[base + at : base + skipped[s]])
            at = skipped[s + 1]
            s += 2
        if end > at:
            kept.append(blob[base + at : base + end])
        at = end
        if not graphs:  # the default graph
            pieces += kept
            continue
        found = ends.get(graphs)
        if found is None:
            found = ends[graphs] = [
                b" " + g + b" .\n" if g else b" .\n" for g in graphs.split(b" ")
            ]
        if len(found) == 1:
            pieces += [text.replace(b" .\n", found[0]) for text in kept]
        else:
            for text in kept:
                lines = text.split(b" .\n")[:-1]
                pieces.append(b"".join([line + e for line in lines for e in found]))


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
        blobs = _blobs(snapshot, renderer, "triples")
        yield from _joined(blobs, out, quads=fmt == "nquads")
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
            first = (segments[0][0], segments[0][1], segments[0][2][len(JSONLD_SEPARATOR) :])
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
