"""geokg's own lossless dump (``json``): every record as the store holds it, sources with text.

The document is one JSON object::

    {"format": "geokg-dump/1",
     "nodes": [<node record>, ...],
     "edges": [<edge record>, ...]}

Node records come in load order, each as :func:`graph.changes.record_json` writes it (a
``node_type`` of ``entity``, ``event`` or ``source``; a source carries its full text under
``"text"``); edges follow, grouped by the node they leave. One record per line, written as a
stream, so memory stays flat however large the graph. :mod:`graph.imports` reads it back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from graph.changes import record_json
from graph.export._common import check_scope, chunked, edge_groups, nodes, source_text
from graph.store import GraphStore

__all__ = ["DUMP_FORMAT", "EXTENSION", "MEDIA_TYPE", "export_json"]

DUMP_FORMAT = "geokg-dump/1"
"""The value of the dump's ``format`` member."""
MEDIA_TYPE = "application/vnd.geokg+json"
EXTENSION = "json"


def _line(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _lines(store: GraphStore, scope: set[str] | None) -> Iterator[str]:
    yield f'{{"format":"{DUMP_FORMAT}",\n"nodes":['
    sep = "\n"
    for node_id, record in nodes(store, scope):
        text = source_text(store, node_id) if record.node_type == "source" else None
        yield f"{sep}{_line(record_json(record, text))}"
        sep = ",\n"
    yield '\n],\n"edges":['
    sep = "\n"
    for edges in edge_groups(store, scope):
        for edge in edges:
            yield f"{sep}{_line(record_json(edge))}"
            sep = ",\n"
    yield "\n]}\n"


def export_json(store: GraphStore, node_ids: Iterable[str] | None = None) -> Iterator[bytes]:
    """Stream the store (or the nodes ``node_ids`` and the edges between them) as a dump.

    Raises :class:`~graph.errors.NodeNotFoundError` for an id the store does not hold, before
    the first chunk.

    Examples
    --------
    >>> from graph.model import Entity
    >>> store = GraphStore()
    >>> store.put_node(Entity(id="kyiv", kind="place", label="Kyiv"))
    >>> dump = json.loads(b"".join(export_json(store)))
    >>> dump["format"], dump["nodes"][0]["label"], dump["edges"]
    ('geokg-dump/1', 'Kyiv', [])
    """
    return chunked(_lines(store, check_scope(store, node_ids)))
