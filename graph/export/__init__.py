"""Exports of the graph: RDF in five syntaxes (:mod:`graph.export.rdf`) and GraphML
(:mod:`graph.export.graphml`) and geokg's own JSON dump (:mod:`graph.export.dump`), whole or
restricted to a set of nodes.

The registry of formats (names, media types, extensions, writers) is :mod:`graph.formats`;
``graph.formats.export(store, "turtle")`` writes one by name.
"""

from __future__ import annotations

from graph.export.dump import export_json
from graph.export.graphml import export_graphml
from graph.export.rdf import build_rdf, build_rdf_graph, export_rdf

__all__ = ["build_rdf", "build_rdf_graph", "export_graphml", "export_json", "export_rdf"]
