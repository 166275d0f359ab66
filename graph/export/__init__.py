"""Exports of the graph: RDF in five syntaxes (:mod:`graph.export.rdf`), GraphML
(:mod:`graph.export.graphml`) and geokg's own JSON dump (:mod:`graph.export.dump`), whole or
restricted to a set of nodes.

:data:`EXPORT_FORMATS` lists them with their media types; :func:`export` writes one;
:func:`format_for_media_type` picks one for an HTTP ``Accept`` header.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from graph.errors import UnsupportedFormatError
from graph.export.dump import EXTENSION as JSON_EXTENSION
from graph.export.dump import MEDIA_TYPE as JSON_MEDIA_TYPE
from graph.export.dump import export_json
from graph.export.graphml import EXTENSION as GRAPHML_EXTENSION
from graph.export.graphml import MEDIA_TYPE as GRAPHML_MEDIA_TYPE
from graph.export.graphml import export_graphml
from graph.export.rdf import RDF_FORMATS, build_rdf, build_rdf_graph, export_rdf
from graph.store import GraphStore

__all__ = [
    "DEFAULT_FORMAT",
    "EXPORT_FORMATS",
    "ExportFormat",
    "build_rdf",
    "build_rdf_graph",
    "export",
    "export_graphml",
    "export_json",
    "export_rdf",
    "format_for_media_type",
]


@dataclass(frozen=True)
class ExportFormat:
    """An export format: its name, media type, file extension and a short example."""

    name: str
    media_type: str
    extension: str
    example: str


_RUSSIA = "https://geokg.example.org/id/russia"
_SOURCE = "https://geokg.example.org/id/ap-2022-02-15-russia-forces-pulling-back"
_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

# Examples for documentation (OpenAPI); tests check that each parses and matches a real export.
_EXAMPLES = {
    "turtle": f"""@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <https://schema.org/> .
@prefix sem: <http://semanticweb.cs.vu.nl/2009/11/sem/> .

<{_RUSSIA}> a schema:Country, sem:Actor, sem:Place ;
    rdfs:label "Russia" ;
    owl:sameAs <http://www.wikidata.org/entity/Q159> .
""",
    "ntriples": f"""<{_RUSSIA}> <{_RDF_TYPE}> <https://schema.org/Country> .
<{_RUSSIA}> <{_RDFS_LABEL}> "Russia" .
""",
    "jsonld": f"""{{
  "@context": {{"rdfs": "http://www.w3.org/2000/01/rdf-schema#",
               "schema": "https://schema.org/"}},
  "@id": "{_RUSSIA}",
  "@type": "schema:Country",
  "rdfs:label": "Russia"
}}
""",
    "rdfxml": f"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <rdf:Description rdf:about="{_RUSSIA}">
    <rdf:type rdf:resource="https://schema.org/Country"/>
    <rdfs:label>Russia</rdfs:label>
  </rdf:Description>
</rdf:RDF>
""",
    "nquads": f"""<{_RUSSIA}> <{_RDFS_LABEL}> "Russia" <{_SOURCE}> .
<{_SOURCE}> <https://schema.org/datePublished> \
"2022-02-15"^^<http://www.w3.org/2001/XMLSchema#date> .
""",
    "graphml": """<?xml version="1.0" encoding="UTF-8"?>
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
""",
    "json": """{"format":"geokg-dump/1",
"nodes":[
{"node_type":"entity","id":"kyiv","kind":"place","label":"Kyiv","aliases":[],"unnamed":false,\
"description":null,"identifiers":[],"evidence":[],"analyst_assertion":true}
],
"edges":[
]}
""",
}

EXPORT_FORMATS: dict[str, ExportFormat] = {
    **{
        name: ExportFormat(name, fmt.media_type, fmt.extension, _EXAMPLES[name])
        for name, fmt in RDF_FORMATS.items()
    },
    "graphml": ExportFormat("graphml", GRAPHML_MEDIA_TYPE, GRAPHML_EXTENSION, _EXAMPLES["graphml"]),
    "json": ExportFormat("json", JSON_MEDIA_TYPE, JSON_EXTENSION, _EXAMPLES["json"]),
}
"""Every export format by name, in order of preference (the first is the default)."""

DEFAULT_FORMAT = next(iter(EXPORT_FORMATS))
"""The format of a request that accepts anything: ``turtle``."""

# Media types a client may ask for that mean one of our formats.
_ALIASES = {"application/json": "jsonld"}


def export(store: GraphStore, fmt: str, node_ids: Iterable[str] | None = None) -> Iterator[bytes]:
    """Serialise the store (or the nodes ``node_ids`` and the edges between them) as ``fmt``.

    Returns the document in chunks of bytes. Raises
    :class:`~graph.errors.UnsupportedFormatError` for a name not in :data:`EXPORT_FORMATS`
    and :class:`~graph.errors.NodeNotFoundError` for an unknown node id, both before the
    first chunk.

    Examples
    --------
    >>> from graph.model import Entity
    >>> store = GraphStore()
    >>> store.put_node(Entity(id="kyiv", kind="place", label="Kyiv"))
    >>> b"Kyiv" in b"".join(export(store, "graphml"))
    True
    >>> export(store, "csv")
    Traceback (most recent call last):
    ...
    graph.errors.UnsupportedFormatError: unsupported format 'csv'; supported: turtle, ntriples, \
jsonld, rdfxml, nquads, graphml, json
    """
    if fmt == "graphml":
        return export_graphml(store, node_ids)
    if fmt == "json":
        return export_json(store, node_ids)
    if fmt in RDF_FORMATS:
        return export_rdf(store, fmt, node_ids)
    raise UnsupportedFormatError(fmt, list(EXPORT_FORMATS))


def _accept_ranges(accept: str) -> list[tuple[str, str, float, int]]:
    """(type, subtype, q, position) of each media range; ranges with a bad q are skipped."""
    ranges = []
    for position, item in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in item.split(";"))
        media = "*/*" if media == "*" else media.lower()
        if media.count("/") != 1:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = -1.0
        if 0.0 <= q <= 1.0:
            major, minor = media.split("/")
            ranges.append((major, minor, q, position))
    return ranges


def _specificity(media_type: str, major: str, minor: str) -> int:
    want_major, want_minor = media_type.split("/")
    if (major, minor) == (want_major, want_minor):
        return 3
    if major == want_major and minor == "*":
        return 2
    return 1 if (major, minor) == ("*", "*") else 0


def format_for_media_type(accept: str) -> str | None:
    """Return the export format that best fits an HTTP ``Accept`` value, or ``None``.

    Each format takes the quality (``q``) of the most specific range that matches its media
    type; the highest quality wins, then the range listed first, then the order of
    :data:`EXPORT_FORMATS`. An empty value accepts anything.

    Examples
    --------
    >>> format_for_media_type("application/ld+json")
    'jsonld'
    >>> format_for_media_type("text/turtle;q=0.5, application/n-triples")
    'ntriples'
    >>> format_for_media_type("text/html,application/xhtml+xml,*/*;q=0.8")
    'turtle'
    >>> format_for_media_type("application/graphml+xml, */*;q=0.1")
    'graphml'
    >>> format_for_media_type("image/png") is None
    True
    """
    ranges = _accept_ranges(accept) if accept.strip() else [("*", "*", 1.0, 0)]
    best: tuple[float, int, int] | None = None
    chosen: str | None = None
    for order, fmt in enumerate(EXPORT_FORMATS.values()):
        media_types = [fmt.media_type, *(m for m, name in _ALIASES.items() if name == fmt.name)]
        matches = [
            (_specificity(media_type, major, minor), q, position)
            for media_type in media_types
            for major, minor, q, position in ranges
            if _specificity(media_type, major, minor)
        ]
        if not matches:
            continue
        top = max(m[0] for m in matches)
        q, position = max((q, -pos) for spec, q, pos in matches if spec == top)
        score = (q, position, -order)
        if q > 0 and (best is None or score > best):
            best, chosen = score, fmt.name
    return chosen
