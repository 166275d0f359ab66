"""GraphML projection of the store, for networkx, igraph, Gephi and yEd.

Written as a stream, node by node and edge by edge, so memory stays flat however large the
graph. Node ids are the API ids. Every edge carries its own id twice: in the ``id`` XML
attribute (what networkx, Gephi and yEd read; networkx's own writer would give every
parallel edge ``id="0"``, and yEd and Gephi then drop them) and in the ``edge_id`` data key
(igraph 1.0's reader fills its ``id`` edge attribute wrongly, so read ``edge_id`` there).

Values are flat and typed: every key declares ``attr.type`` (string, int, double or boolean);
lists are joined with ``" | "``, dates are ISO strings, and missing values are left out, never
written as ``"None"``. ``label`` is set on nodes (the name) and on edges (the type), which is
what Gephi shows. Evidence is flattened to all quotes joined, their count and their sources.
Characters XML 1.0 cannot carry (most C0 controls, lone surrogates) are dropped.

What an import needs to rebuild the very same records rides along: a source's full ``text``
(quotes are checked against it again) and ``url``, ``analyst_assertion`` (only when true), and
the structured lists as JSON, ``aliases_json``, ``identifiers_json``, ``quantities_json`` and
``evidence_json`` (each quote with its source and offsets); the flat keys are for display.

Node keys: :data:`NODE_KEYS`; edge keys: :data:`EDGE_KEYS`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from typing import Any, Literal
from xml.sax.saxutils import escape

from graph.export._common import check_scope, chunked, edge_groups, nodes, source_text, xml_safe
from graph.model import Edge, Entity, Event, Evidence, Node, Source
from graph.store import GraphStore

__all__ = ["EDGE_KEYS", "NODE_KEYS", "export_graphml"]

SEPARATOR = " | "
"""Joins the items of a list value."""

KeyType = Literal["string", "int", "double", "boolean"]
Value = str | int | float | bool | None

NODE_KEYS: dict[str, KeyType] = {
    "label": "string",
    "node_type": "string",
    "kind": "string",
    "aliases": "string",
    "unnamed": "boolean",
    "description": "string",
    "identifiers": "string",
    "wikidata": "string",
    "modality": "string",
    "cameo_code": "string",
    "cameo_name": "string",
    "goldstein": "double",
    "quad_class": "int",
    "date": "string",
    "date_start": "string",
    "date_end": "string",
    "date_granularity": "string",
    "date_rule": "string",
    "date_expression": "string",
    "date_note": "string",
    "place": "string",
    "quantities": "string",
    "published": "string",
    "publisher": "string",
    "contributors": "string",
    "language": "string",
    "metadata_origin": "string",
    "url": "string",
    "text": "string",
    "evidence": "string",
    "evidence_count": "int",
    "evidence_sources": "string",
    "analyst_assertion": "boolean",
    "aliases_json": "string",
    "identifiers_json": "string",
    "quantities_json": "string",
    "evidence_json": "string",
}
"""Node attributes and their GraphML types (``*_json`` hold JSON lists, for imports)."""

EDGE_KEYS: dict[str, KeyType] = {
    "edge_id": "string",
    "label": "string",
    "type": "string",
    "category": "string",
    "title": "string",
    "attributes": "string",
    "evidence": "string",
    "evidence_count": "int",
    "evidence_sources": "string",
    "analyst_assertion": "boolean",
    "evidence_json": "string",
}
"""Edge attributes and their GraphML types (``attributes`` and ``evidence_json`` are JSON)."""

_TEXT_ENTITIES = {"\r": "&#13;"}
_ATTR_ENTITIES = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
_HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    ' xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns'
    ' http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
)


def _attr(value: str) -> str:
    return escape(xml_safe(value), _ATTR_ENTITIES)


def _joined(items: Iterable[str]) -> str | None:
    return SEPARATOR.join(items) or None


def _json(items: Iterable[Any]) -> str | None:
    values = [i.model_dump(mode="json") if hasattr(i, "model_dump") else i for i in items]
    return json.dumps(values, ensure_ascii=False) if values else None


def _evidence(evidence: tuple[Evidence, ...]) -> dict[str, Value]:
    return {
        "evidence": _joined(ev.quote for ev in evidence),
        "evidence_count": len(evidence),
        "evidence_sources": _joined(dict.fromkeys(ev.source for ev in evidence)),
        "evidence_json": _json(evidence),
    }


def _asserted(record: Entity | Event | Edge) -> dict[str, Value]:
    return {"analyst_assertion": True if record.analyst_assertion else None}


def _node_values(record: Node, text: str | None) -> dict[str, Value]:
    values: dict[str, Value] = {
        "label": record.label,
        "node_type": record.node_type,
        "kind": str(record.kind),
    }
    if isinstance(record, Entity):
        wikidata = [i.value for i in record.identifiers if i.scheme == "wikidata"]
        values |= {
            "aliases": _joined(record.aliases),
            "unnamed": record.unnamed,
            "description": record.description,
            "identifiers": _joined(f"{i.scheme}:{i.value}" for i in record.identifiers),
            "wikidata": wikidata[0] if wikidata else None,
            "aliases_json": _json(record.aliases),
            "identifiers_json": _json(record.identifiers),
            **_evidence(record.evidence),
            **_asserted(record),
        }
    elif isinstance(record, Event):
        date = record.date
        values |= {
            "modality": str(record.modality),
            "cameo_code": record.cameo.code,
            "cameo_name": record.cameo.name,
            "goldstein": record.cameo.goldstein,
            "quad_class": record.cameo.quad_class,
            "date": date.value.isoformat() if date.value else None,
            "date_start": date.start.isoformat() if date.start else None,
            "date_end": date.end.isoformat() if date.end else None,
            "date_granularity": str(date.granularity) if date.granularity else None,
            "date_rule": date.rule,
            "date_expression": date.expression,
            "date_note": date.note,
            "place": record.place,
            "quantities": _joined(q.text for q in record.quantities),
            "quantities_json": _json(record.quantities),
            **_evidence(record.evidence),
            **_asserted(record),
        }
    elif isinstance(record, Source):
        values |= {
            "published": record.published.isoformat(),
            "publisher": record.publisher,
            "contributors": _joined(record.contributors),
            "language": record.language,
            "metadata_origin": record.metadata_origin,
            "url": record.url,
            "text": text,
        }
    return values


def _edge_values(edge: Edge) -> dict[str, Value]:
    title = edge.attributes.get("title")
    return {
        "edge_id": edge.id,
        "label": str(edge.type),
        "type": str(edge.type),
        "category": edge.category,
        "title": _flat(title) if title is not None else None,
        "attributes": (
            json.dumps(edge.attributes, sort_keys=True, ensure_ascii=False, default=str)
            if edge.attributes
            else None
        ),
        **_evidence(edge.evidence),
        **_asserted(edge),
    }


def _flat(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return SEPARATOR.join(map(str, value))
    return str(value)


def _data(key_id: str, kind: KeyType, value: Value) -> str:
    """One ``<data>`` element, or "" for a missing value."""
    if value is None or value == "":
        return ""
    if kind == "boolean":
        text = "true" if value else "false"
    elif kind == "int":
        text = str(int(value))
    elif kind == "double":
        number = float(value)
        if not math.isfinite(number):
            return ""
        text = repr(number)
    else:
        text = escape(xml_safe(str(value)), _TEXT_ENTITIES)
    return f'<data key="{key_id}">{text}</data>'


def _element(
    start: str, keys: dict[str, KeyType], prefix: str, values: dict[str, Value], end: str
) -> str:
    data = "".join(_data(f"{prefix}{name}", keys[name], values.get(name)) for name in keys)
    return f"{start}{data}{end}\n"


def _lines(store: GraphStore, scope: set[str] | None) -> Iterator[str]:
    yield _HEADER
    for prefix, where, keys in (("n_", "node", NODE_KEYS), ("e_", "edge", EDGE_KEYS)):
        for name, kind in keys.items():
            yield (
                f'  <key id="{prefix}{name}" for="{where}"'
                f' attr.name="{name}" attr.type="{kind}"/>\n'
            )
    yield '  <graph id="geokg" edgedefault="directed">\n'
    for node_id, record in nodes(store, scope):
        yield _element(
            f'    <node id="{_attr(node_id)}">',
            NODE_KEYS,
            "n_",
            _node_values(
                record, source_text(store, node_id) if record.node_type == "source" else None
            ),
            "</node>",
        )
    for edges in edge_groups(store, scope):
        for edge in edges:
            start = (
                f'    <edge id="{_attr(edge.id)}" source="{_attr(edge.source)}"'
                f' target="{_attr(edge.target)}">'
            )
            yield _element(start, EDGE_KEYS, "e_", _edge_values(edge), "</edge>")
    yield "  </graph>\n</graphml>\n"


def export_graphml(store: GraphStore, node_ids: Iterable[str] | None = None) -> Iterator[bytes]:
    """Stream the store (or the nodes ``node_ids`` and the edges between them) as GraphML.

    Raises :class:`~graph.errors.NodeNotFoundError` for an id the store does not hold, before
    the first chunk.

    Examples
    --------
    >>> from graph.model import Edge, Entity
    >>> store = GraphStore()
    >>> store.put_node(Entity(id="kyiv", kind="place", label="Kyiv"))
    >>> store.put_node(Entity(id="ukraine", kind="state", label="Ukraine"))
    >>> store.put_edge(Edge(id="kyiv.located_in.ukraine", category="relation",
    ...                     type="located_in", source="kyiv", target="ukraine"))
    >>> xml = b"".join(export_graphml(store)).decode()
    >>> '<edge id="kyiv.located_in.ukraine" source="kyiv" target="ukraine">' in xml
    True
    """
    return chunked(_lines(store, check_scope(store, node_ids)))
