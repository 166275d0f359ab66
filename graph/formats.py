"""The format registry: one row per file format geokg writes (and, later, reads).

A row names the format, its media types (the first is the one geokg answers with; the others are
also accepted, e.g. ``application/json`` for JSON-LD), its file extension, a short example for
documentation, its writer and its reader. Choosing a format is one lookup in :data:`FORMATS`:
:func:`export` writes one by name; an HTTP layer picks a row by media type.

Examples
--------
>>> FORMATS["graphml"].media_type
'application/graphml+xml'
>>> FORMATS["jsonld"].media_types
('application/ld+json', 'application/json')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

from graph.errors import UnsupportedFormatError
from graph.export import prerendered
from graph.export.dump import EXTENSION as JSON_EXTENSION
from graph.export.dump import MEDIA_TYPE as JSON_MEDIA_TYPE
from graph.export.dump import export_json
from graph.export.graphml import export_graphml
from graph.export.rdf import export_rdf
from graph.imports import READERS
from graph.store import GraphStore

__all__ = ["DEFAULT_FORMAT", "FORMATS", "Format", "Reader", "Writer", "export", "get_format"]

Writer = Callable[[GraphStore, Iterable[str] | None], Iterator[bytes]]
"""Writes a store (or the nodes of the given ids and the edges between them) in chunks."""

Reader = Callable[..., object]
"""Reads a document into import items (:data:`graph.imports.READERS`)."""


@dataclass(frozen=True)
class Format:
    """One row of the registry."""

    name: str
    media_types: tuple[str, ...]
    extension: str
    example: str
    writer: Writer
    reader: Reader | None = None

    @property
    def media_type(self) -> str:
        """The media type geokg answers with (the first of :attr:`media_types`)."""
        return self.media_types[0]


def _rdf(name: str) -> Writer:
    def write(store: GraphStore, node_ids: Iterable[str] | None) -> Iterator[bytes]:
        return export_rdf(store, name, node_ids)

    return _prerendered(name, write) if name in prerendered.FORMATS else write


def _prerendered(name: str, project: Writer) -> Writer:
    """A writer that joins the store's pre-rendered views for a whole graph read from a store
    of record, and projects the records otherwise (a part of the graph, a graph in memory):
    the same document either way."""

    def write(store: GraphStore, node_ids: Iterable[str] | None) -> Iterator[bytes]:
        snapshot = store.record_snapshot() if node_ids is None else None
        if snapshot is None:
            return project(store, node_ids)
        return prerendered.write(snapshot, name)

    return write


_RUSSIA = "https://geokg.example.org/id/russia"
_SOURCE = "https://geokg.example.org/id/ap-2022-02-15-russia-forces-pulling-back"
_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

# Examples for documentation (OpenAPI); tests check that each parses and matches a real export.
_TURTLE = f"""@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <https://schema.org/> .
@prefix sem: <http://semanticweb.cs.vu.nl/2009/11/sem/> .

<{_RUSSIA}> a schema:Country, sem:Actor, sem:Place ;
    rdfs:label "Russia" ;
    owl:sameAs <http://www.wikidata.org/entity/Q159> .
"""
_NTRIPLES = f"""<{_RUSSIA}> <{_RDF_TYPE}> <https://schema.org/Country> .
<{_RUSSIA}> <{_RDFS_LABEL}> "Russia" .
"""
_JSONLD = f"""{{
  "@context": {{"rdfs": "http://www.w3.org/2000/01/rdf-schema#",
               "schema": "https://schema.org/"}},
  "@id": "{_RUSSIA}",
  "@type": "schema:Country",
  "rdfs:label": "Russia"
}}
"""
_RDFXML = f"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <rdf:Description rdf:about="{_RUSSIA}">
    <rdf:type rdf:resource="https://schema.org/Country"/>
    <rdfs:label>Russia</rdfs:label>
  </rdf:Description>
</rdf:RDF>
"""
_NQUADS = f"""<{_RUSSIA}> <{_RDFS_LABEL}> "Russia" <{_SOURCE}> .
<{_SOURCE}> <https://schema.org/datePublished> \
"2022-02-15"^^<http://www.w3.org/2001/XMLSchema#date> .
"""
_GRAPHML = """<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="n_label" for="node" attr.name="label" attr.type="string"/>
  <key id="n_kind" for="node" attr.name="kind" attr.type="string"/>
  <key id="e_edge_id" for="edge" attr.name="edge_id" attr.type="string"/>
  <key id="e_label" for="edge" attr.name="label" attr.type="string"/>
  <graph id="geokg" edgedefault="directed">
    <node id="kyiv"><data key="n_label">Kyiv</data><data key="n_kind">place</data></node>
    <node id="ukraine"><data key="n_label">Ukraine</data><data key="n_kind">state</data></node>
    <edge id="kyiv.capital_of.ukraine" source="kyiv" target="ukraine"><data \
key="e_edge_id">kyiv.capital_of.ukraine</data><data key="e_label">capital_of</data></edge>
  </graph>
</graphml>
"""

_JSON = """{"format":"geokg-dump/1",
"nodes":[
{"node_type":"entity","id":"kyiv","kind":"place","label":"Kyiv","aliases":[],"unnamed":false,\
"description":null,"identifiers":[],"evidence":[],"analyst_assertion":true}
],
"edges":[
]}
"""

FORMATS: dict[str, Format] = {
    row.name: row
    for row in [
        Format("turtle", ("text/turtle",), "ttl", _TURTLE, _rdf("turtle")),
        Format("ntriples", ("application/n-triples",), "nt", _NTRIPLES, _rdf("ntriples")),
        Format(
            "jsonld", ("application/ld+json", "application/json"), "jsonld", _JSONLD, _rdf("jsonld")
        ),
        Format("rdfxml", ("application/rdf+xml",), "rdf", _RDFXML, _rdf("rdfxml")),
        Format("nquads", ("application/n-quads",), "nq", _NQUADS, _rdf("nquads")),
        Format(
            "graphml",
            ("application/graphml+xml",),
            "graphml",
            _GRAPHML,
            _prerendered("graphml", export_graphml),
        ),
        Format("json", (JSON_MEDIA_TYPE,), JSON_EXTENSION, _JSON, export_json),
    ]
}
"""Every format by name, in order of preference (the first is the default)."""

for _name, _reader in READERS.items():
    FORMATS[_name] = replace(FORMATS[_name], reader=_reader)

DEFAULT_FORMAT = next(iter(FORMATS))
"""The format of a request that accepts anything: ``turtle``."""


def get_format(name: str) -> Format:
    """Return the registry's row for a format name.

    Parameters
    ----------
    name : str
        A key of :data:`FORMATS`.

    Returns
    -------
    Format
        The row.

    Raises
    ------
    UnsupportedFormatError
        For a name not in the registry; it lists the supported ones.

    Examples
    --------
    >>> get_format("turtle").extension
    'ttl'
    >>> get_format("csv")
    Traceback (most recent call last):
    ...
    graph.errors.UnsupportedFormatError: unsupported format 'csv'; supported: turtle, ntriples, \
jsonld, rdfxml, nquads, graphml, json
    """
    try:
        return FORMATS[name]
    except KeyError:
        raise UnsupportedFormatError(name, list(FORMATS)) from None


def export(store: GraphStore, fmt: str, node_ids: Iterable[str] | None = None) -> Iterator[bytes]:
    """Serialise the store (or the nodes ``node_ids`` and the edges between them) as ``fmt``.

    Parameters
    ----------
    store : GraphStore
        The graph to write.
    fmt : str
        A key of :data:`FORMATS`.
    node_ids : iterable of str, optional
        The nodes to write (with the edges between them); all of them by default.

    Returns
    -------
    iterator of bytes
        The document, in chunks.

    Raises
    ------
    UnsupportedFormatError
        For a name not in :data:`FORMATS`, before the first chunk.
    NodeNotFoundError
        For an unknown node id, before the first chunk.

    Examples
    --------
    >>> from graph.model import Entity
    >>> store = GraphStore()
    >>> store.put_node(Entity(id="kyiv", kind="place", label="Kyiv"))
    >>> b"Kyiv" in b"".join(export(store, "graphml"))
    True
    """
    return get_format(fmt).writer(store, node_ids)
