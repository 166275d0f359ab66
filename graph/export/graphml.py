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
from graph.model import CameoCode, Edge, Entity, Event, Evidence, Node, Source
from graph.store import GraphStore

__all__ = [
    "EDGE_KEYS",
    "FOOT",
    "NODE_KEYS",
    "edge_element",
    "export_graphml",
    "head",
    "node_element",
]

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
    "cameo_note": "string",
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
_NODE_DATA = {name: (f'<data key="n_{name}">', kind) for name, kind in NODE_KEYS.items()}
_N = {name: f'<data key="n_{name}">' for name in NODE_KEYS}
_EDGE_OPEN = {name: f'<data key="e_{name}">' for name in EDGE_KEYS}


def _text(value: str) -> str:
    """Element content: markup escaped, characters XML cannot carry dropped."""
    if value.isprintable() and "&" not in value and "<" not in value and ">" not in value:
        return value
    return escape(xml_safe(value), _TEXT_ENTITIES)


def _attr(value: str) -> str:
    if value.isprintable() and "&" not in value and "<" not in value and '"' not in value:
        return value
    return escape(xml_safe(value), _ATTR_ENTITIES)


def _json_string(value: str) -> str:
    if value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    return json.dumps(value, ensure_ascii=False)


def _joined(items: Iterable[str]) -> str | None:
    return SEPARATOR.join(items) or None


def _json(items: Iterable[Any]) -> str | None:
    values = [i.model_dump(mode="json") if hasattr(i, "model_dump") else i for i in items]
    return json.dumps(values, ensure_ascii=False) if values else None


def _evidence_json(evidence: tuple[Evidence, ...]) -> str:
    """The evidence as ``json.dumps`` of its records would write it, without building them."""
    return f"[{', '.join(map(_quote_json, evidence))}]"


def _quote_json(ev: Evidence) -> str:
    return (
        f'{{"source": {_json_string(ev.source)}, "quote": {_json_string(ev.quote)}, '
        f'"start": {int(ev.start)}, "end": {int(ev.end)}}}'
    )


def _evidence(evidence: tuple[Evidence, ...], opening: dict[str, str]) -> str:
    """The evidence keys of a record: all quotes, their count, their sources, and the JSON."""
    if len(evidence) == 1 and evidence[0].quote and evidence[0].source:  # the common case
        ev = evidence[0]
        return (
            f"{opening['evidence']}{_text(ev.quote)}</data>"
            f"{opening['evidence_count']}1</data>"
            f"{opening['evidence_sources']}{_text(ev.source)}</data>"
            f"{opening['evidence_json']}[{_text(_quote_json(ev))}]</data>"
        )
    if not evidence:
        return f"{opening['evidence_count']}0</data>"
    quotes = SEPARATOR.join(ev.quote for ev in evidence)
    sources = SEPARATOR.join(dict.fromkeys(ev.source for ev in evidence))
    return "".join(
        [
            f"{opening['evidence']}{_text(quotes)}</data>" if quotes else "",
            f"{opening['evidence_count']}{len(evidence)}</data>",
            f"{opening['evidence_sources']}{_text(sources)}</data>" if sources else "",
            f"{opening['evidence_json']}{_text(_evidence_json(evidence))}</data>",
        ]
    )


def _source_values(record: Source, text: str | None) -> dict[str, Value]:
    return {
        "label": record.label,
        "node_type": record.node_type,
        "kind": str(record.kind),
        "published": record.published.isoformat(),
        "publisher": record.publisher,
        "contributors": _joined(record.contributors),
        "language": record.language,
        "metadata_origin": record.metadata_origin,
        "url": record.url,
        "text": text,
    }


def _flat(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return SEPARATOR.join(map(str, value))
    return str(value)


def _data(kind: KeyType, value: Value) -> str | None:
    """The content of a ``<data>`` element, or ``None`` for a missing value."""
    if value is None or value == "":
        return None
    if kind == "string":
        return _text(str(value))
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "int":
        return str(int(value))
    number = float(value)
    return repr(number) if math.isfinite(number) else None


def node_element(node_id: str, record: Node, text: str | None, cameo: dict[str, str]) -> str:
    """One ``<node>``; ``cameo`` remembers the rendered keys of each CAMEO code (its code,
    name and scores: a cache, never a change to what is written)."""
    parts = [f'    <node id="{_attr(node_id)}">']
    if isinstance(record, Entity):
        _entity(record, parts)
    elif isinstance(record, Event):
        _event(record, parts, cameo)
    else:
        for name, value in _source_values(record, text).items():
            opening, kind = _NODE_DATA[name]
            content = _data(kind, value)
            if content is not None:
                parts.append(f"{opening}{content}</data>")
    parts.append("</node>\n")
    return "".join(parts)


def _labelled(record: Node, parts: list[str]) -> None:
    if record.label:
        parts.append(f"{_N['label']}{_text(record.label)}</data>")
    parts.append(
        f"{_N['node_type']}{record.node_type}</data>{_N['kind']}{_text(str(record.kind))}</data>"
    )


def _entity(record: Entity, parts: list[str]) -> None:
    _labelled(record, parts)
    if record.aliases and (aliases := SEPARATOR.join(record.aliases)):
        parts.append(f"{_N['aliases']}{_text(aliases)}</data>")
    parts.append(f"{_N['unnamed']}{'true' if record.unnamed else 'false'}</data>")
    if record.description:
        parts.append(f"{_N['description']}{_text(record.description)}</data>")
    if record.identifiers:
        flat = SEPARATOR.join(f"{i.scheme}:{i.value}" for i in record.identifiers)
        parts.append(f"{_N['identifiers']}{_text(flat)}</data>")
        wikidata = [i.value for i in record.identifiers if i.scheme == "wikidata"]
        if wikidata and wikidata[0]:
            parts.append(f"{_N['wikidata']}{_text(wikidata[0])}</data>")
    if record.aliases:
        parts.append(f"{_N['aliases_json']}{_text(_json(record.aliases) or '')}</data>")
    if record.identifiers:
        parts.append(f"{_N['identifiers_json']}{_text(_json(record.identifiers) or '')}</data>")
    parts.append(_evidence(record.evidence, _N))
    if record.analyst_assertion:
        parts.append(f"{_N['analyst_assertion']}true</data>")


def _event(record: Event, parts: list[str], cameo: dict[str, str]) -> None:
    _labelled(record, parts)
    parts.append(f"{_N['modality']}{_text(str(record.modality))}</data>")
    code = record.cameo
    if code is None:
        if record.cameo_note:
            parts.append(f"{_N['cameo_note']}{_text(record.cameo_note)}</data>")
    else:
        parts.append(_cameo(code, cameo))
    date = record.date
    for name, day in (("date", date.value), ("date_start", date.start), ("date_end", date.end)):
        if day is not None:
            parts.append(f"{_N[name]}{day.isoformat()}</data>")
    for name, text in (
        ("date_granularity", date.granularity),
        ("date_rule", date.rule),
        ("date_expression", date.expression),
        ("date_note", date.note),
        ("place", record.place),
    ):
        if text:
            parts.append(f"{_N[name]}{_text(str(text))}</data>")
    if record.quantities:
        texts = SEPARATOR.join(q.text for q in record.quantities)
        if texts:
            parts.append(f"{_N['quantities']}{_text(texts)}</data>")
        parts.append(f"{_N['quantities_json']}{_text(_json(record.quantities) or '')}</data>")
    parts.append(_evidence(record.evidence, _N))
    if record.analyst_assertion:
        parts.append(f"{_N['analyst_assertion']}true</data>")


def _cameo(code: CameoCode, cameo: dict[str, str]) -> str:
    """The keys of a CAMEO code (code, name, Goldstein score, QuadClass), rendered once."""
    key = f"{code.code}\t{code.name}\t{code.goldstein}\t{code.quad_class}"
    rendered = cameo.get(key)
    if rendered is None:
        values: dict[str, Value] = {
            "cameo_code": code.code,
            "cameo_name": code.name,
            "goldstein": code.goldstein,
            "quad_class": code.quad_class,
        }
        rendered = cameo[key] = "".join(
            f"{_N[name]}{content}</data>"
            for name, value in values.items()
            if (content := _data(NODE_KEYS[name], value)) is not None
        )
    return rendered


def edge_element(edge: Edge, kinds: dict[tuple[str, str], str]) -> str:
    """One ``<edge>``, written directly (edges are most of a large graph).

    ``kinds`` remembers the rendered label, type and category of each (type, category).
    """
    rendered = kinds.get((edge.type, edge.category))
    if rendered is None:
        kind = _text(str(edge.type))
        rendered = kinds[edge.type, edge.category] = (
            f"{_EDGE_OPEN['label']}{kind}</data>{_EDGE_OPEN['type']}{kind}</data>"
            f"{_EDGE_OPEN['category']}{_text(edge.category)}</data>"
        )
    edge_id = _text(edge.id)
    parts = [
        f'    <edge id="{_attr(edge.id)}" source="{_attr(edge.source)}"'
        f' target="{_attr(edge.target)}">{_EDGE_OPEN["edge_id"]}{edge_id}</data>{rendered}'
    ]
    attributes = edge.attributes
    if attributes:
        title = attributes.get("title")
        if title is not None and (flat := _flat(title)):
            parts.append(f"{_EDGE_OPEN['title']}{_text(flat)}</data>")
        encoded = json.dumps(attributes, sort_keys=True, ensure_ascii=False, default=str)
        parts.append(f"{_EDGE_OPEN['attributes']}{_text(encoded)}</data>")
    parts.append(_evidence(edge.evidence, _EDGE_OPEN))
    if edge.analyst_assertion:
        parts.append(f"{_EDGE_OPEN['analyst_assertion']}true</data>")
    parts.append("</edge>\n")
    return "".join(parts)


def head() -> str:
    """The document before its first node: the keys (the model fixes them) and ``<graph>``."""
    keys = [
        f'  <key id="{prefix}{name}" for="{where}" attr.name="{name}" attr.type="{kind}"/>\n'
        for prefix, where, keys in (("n_", "node", NODE_KEYS), ("e_", "edge", EDGE_KEYS))
        for name, kind in keys.items()
    ]
    return f'{_HEADER}{"".join(keys)}  <graph id="geokg" edgedefault="directed">\n'


FOOT = "  </graph>\n</graphml>\n"
"""The document after its last edge."""


def _lines(store: GraphStore, scope: set[str] | None) -> Iterator[str]:
    yield head()
    cameo: dict[str, str] = {}  # a few hundred at most: the CAMEO codebook
    for node_id, record in nodes(store, scope):
        text = source_text(store, node_id) if record.node_type == "source" else None
        yield node_element(node_id, record, text, cameo)
    kinds: dict[tuple[str, str], str] = {}  # a few dozen: the edge types in use
    for edges in edge_groups(store, scope):
        yield "".join([edge_element(edge, kinds) for edge in edges])
    yield FOOT


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
