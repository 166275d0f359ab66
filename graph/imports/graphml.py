"""Read geokg's GraphML exports back into records, as a stream (memory grows with the records).

Keys are matched by ``attr.name`` (tools such as Gephi renumber key ids) and values converted by
their declared ``attr.type``. The structured lists come from the JSON keys the exporter writes
(``aliases_json``, ``identifiers_json``, ``quantities_json``, ``evidence_json``); a file without
them falls back on the flat keys where those are lossless (ids joined by ``" | "``). Keys geokg
does not know (a layout's ``x``, ``y``, ``size``...) are ignored.

Refused, with the line and the reason, rather than merged or guessed: a DOCTYPE or entity
(before anything is parsed), duplicate node or edge ids, edges whose ends are not nodes of the
file, an unknown ``attr.type``, a value that is not of its key's type, a ``<data>`` of an
undeclared key, several ``<graph>`` elements (or nested ones), undirected graphs or edges, and
hyperedges and ports.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from graph.errors import Problem, RecordValidationError
from graph.export.graphml import SEPARATOR
from graph.imports._items import Item, Where
from graph.imports._xml import LocatedHandler, parse_xml

__all__ = ["read_graphml"]

GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
_TYPES = {"boolean", "int", "long", "float", "double", "string"}
_UNSUPPORTED = {"hyperedge", "port", "endpoint", "locator"}
_JSON_FIELDS = {
    "aliases_json": "aliases",
    "identifiers_json": "identifiers",
    "quantities_json": "quantities",
    "evidence_json": "evidence",
    "attributes": "attributes",
}
_DATE_KEYS = {
    "date": "value",
    "date_start": "start",
    "date_end": "end",
    "date_granularity": "granularity",
    "date_rule": "rule",
    "date_expression": "expression",
    "date_note": "note",
}


@dataclass
class _Key:
    domain: str
    name: str
    type: str
    default: Any = None


@dataclass
class _Element:
    kind: str  # node or edge
    id: str
    line: int
    attrs: dict[str, str]
    data: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)


class _Handler(LocatedHandler):
    def __init__(self) -> None:
        super().__init__()
        self.keys: dict[str, _Key] = {}
        self.problems: list[Problem] = []
        self.ready: list[Item] = []
        self.node_ids: set[str] = set()
        self.edge_ids: set[str] = set()
        self.edge_ends: list[tuple[Item, str, str]] = []
        self.stack: list[str] = []
        self.graphs = 0
        self.current: _Element | None = None
        self.key: _Key | None = None
        self.data_key: _Key | None = None
        self.text: list[str] = []
        self.skip = 0  # depth inside elements of other vocabularies

    def refuse(self, reason: str, where: str | None = None) -> None:
        self.problems.append(Problem(f"line {self.line}" + (f": {where}" if where else ""), reason))

    # -- SAX events ---------------------------------------------------------------------------

    def startElementNS(  # noqa: N802 (SAX's name)
        self, name: tuple[str | None, str], qname: str | None, attrs: Any
    ) -> None:
        ns, local = name
        plain = {k[1]: v for k, v in attrs.items() if k[0] is None}
        if self.skip or (ns not in (GRAPHML_NS, None)):
            self.skip += 1
            return
        if not self.stack and local != "graphml":
            self.refuse(f"not GraphML: the document is a <{local}>, not a <graphml>")
        self.stack.append(local)
        if local in _UNSUPPORTED:
            self.refuse(f"<{local}> is not supported: geokg graphs have plain directed edges")
        elif local == "key":
            self.start_key(plain)
        elif local == "graph":
            self.start_graph(plain)
        elif local in ("node", "edge"):
            self.start_element(local, plain)
        elif local == "data":
            self.start_data(plain)
        self.text = []

    def characters(self, content: str) -> None:
        if not self.skip:
            self.text.append(content)

    def endElementNS(self, name: tuple[str | None, str], qname: str | None) -> None:  # noqa: N802
        if self.skip:
            self.skip -= 1
            return
        local = self.stack.pop()
        if local == "data" and self.data_key is not None and self.current is not None:
            self.end_data(self.current, self.data_key, "".join(self.text))
            self.data_key = None
        elif local == "default" and self.key is not None:
            self.key.default = self.typed(self.key, "".join(self.text), f"key {self.key.name}")
        elif local == "key":
            self.key = None
        elif local in ("node", "edge") and self.current is not None:
            self.finish(self.current)
            self.current = None

    # -- elements ------------------------------------------------------------------------------

    def start_key(self, attrs: dict[str, str]) -> None:
        key_id, domain = attrs.get("id"), attrs.get("for", "all")
        name, kind = attrs.get("attr.name", key_id or ""), attrs.get("attr.type", "string")
        if key_id is None:
            self.refuse("a <key> needs an id")
        elif key_id in self.keys:
            self.refuse(f"key id {key_id!r} is declared twice")
        elif kind not in _TYPES:
            self.refuse(
                f"key {key_id!r} has unknown attr.type {kind!r}; GraphML's types are "
                + ", ".join(sorted(_TYPES))
            )
        else:
            self.key = self.keys[key_id] = _Key(domain, name, kind)

    def start_graph(self, attrs: dict[str, str]) -> None:
        self.graphs += 1
        if self.graphs > 1:
            self.refuse("several <graph> elements (or a nested one): geokg imports one graph")
        if attrs.get("edgedefault", "directed") != "directed":
            self.refuse("the graph is undirected: geokg's edges are directed")

    def start_element(self, kind: str, attrs: dict[str, str]) -> None:
        if self.current is not None:
            self.refuse(f"a <{kind}> inside a <{self.current.kind}>")
            return
        element_id = attrs.get("id", "")
        if kind == "node" and not element_id:
            self.refuse("a <node> needs an id")
        if kind == "edge" and attrs.get("directed", "true") != "true":
            self.refuse("an undirected edge: geokg's edges are directed", element_id)
        self.current = _Element(kind, element_id, self.line, attrs)

    def start_data(self, attrs: dict[str, str]) -> None:
        key_id = attrs.get("key", "")
        key = self.keys.get(key_id)
        where = self.current.id if self.current is not None else None
        if key is None:
            self.refuse(f"<data> of undeclared key {key_id!r}", where)
        elif self.current is not None and key.domain not in (self.current.kind, "all"):
            self.refuse(f"key {key_id!r} is for {key.domain}s, not {self.current.kind}s", where)
        else:
            self.data_key = key

    def end_data(self, element: _Element, key: _Key, text: str) -> None:
        if key.name in element.data:
            self.refuse(f"{key.name!r} is given twice", element.id)
            return
        element.data[key.name] = self.typed(key, text, f"{element.id}.{key.name}")
        element.lines[key.name] = self.line

    def typed(self, key: _Key, text: str, where: str) -> Any:
        if key.type == "string":
            return text
        value = text.strip()
        try:
            if key.type == "boolean":
                if value.lower() not in ("true", "false", "1", "0"):
                    raise ValueError(value)
                return value.lower() in ("true", "1")
            if key.type in ("int", "long"):
                return int(value)
            number = float(value)
            if not math.isfinite(number):
                raise ValueError(value)
            return number
        except ValueError:
            self.refuse(f"{value[:40]!r} is not a finite {key.type}", where)
            return None

    def finish(self, element: _Element) -> None:
        for key in self.keys.values():
            if key.default is not None and key.domain in (element.kind, "all"):
                element.data.setdefault(key.name, key.default)
        if element.kind == "node":
            if element.id in self.node_ids:
                self.refuse(f"node id {element.id!r} comes twice", element.id)
                return
            self.node_ids.add(element.id)
            self.ready.append(self.node_item(element))
            return
        item = self.edge_item(element)
        if item is None:
            return
        self.edge_ends.append(
            (item, element.attrs.get("source", ""), element.attrs.get("target", ""))
        )
        self.ready.append(item)

    # -- records -------------------------------------------------------------------------------

    def where(self, element: _Element) -> Where:
        lines: dict[str, int] = {}
        for name, line in element.lines.items():
            lines[_JSON_FIELDS.get(name, "date" if name in _DATE_KEYS else name)] = line
        return Where(element.id, line=element.line, lines=lines)

    def json_list(self, element: _Element, name: str) -> Any:
        raw = element.data.get(name)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except (TypeError, json.JSONDecodeError) as exc:
            line = element.lines.get(name, element.line)
            self.problems.append(Problem(f"line {line}: {element.id}.{name}", f"not JSON: {exc}"))
            return None

    def node_item(self, element: _Element) -> Item:
        d = element.data
        node_type = d.get("node_type")
        body: dict[str, Any] = {
            "node_type": node_type,
            "id": element.id,
            "label": d.get("label"),
            "kind": d.get("kind"),
        }
        flat = {"aliases": _split(d.get("aliases")), "contributors": _split(d.get("contributors"))}
        if node_type == "entity":
            body |= {
                "aliases": _either(self.json_list(element, "aliases_json"), flat["aliases"]),
                "unnamed": d.get("unnamed"),
                "description": d.get("description"),
                "identifiers": self.json_list(element, "identifiers_json"),
                "evidence": self.json_list(element, "evidence_json"),
                "analyst_assertion": d.get("analyst_assertion"),
            }
        elif node_type == "event":
            code = d.get("cameo_code")
            body |= {
                "modality": d.get("modality"),
                "cameo": {"code": code} if code is not None else None,
                "date": {
                    field: d[key] for key, field in _DATE_KEYS.items() if d.get(key) is not None
                },
                "place": d.get("place"),
                "quantities": self.json_list(element, "quantities_json"),
                "evidence": self.json_list(element, "evidence_json"),
                "analyst_assertion": d.get("analyst_assertion"),
            }
        elif node_type == "source":
            body |= {
                "published": d.get("published"),
                "publisher": d.get("publisher"),
                "contributors": flat["contributors"],
                "language": d.get("language"),
                "metadata_origin": d.get("metadata_origin"),
                "url": d.get("url"),
                "text": d.get("text"),
            }
        return Item("node", {k: v for k, v in body.items() if v is not None}, self.where(element))

    def edge_item(self, element: _Element) -> Item | None:
        d = element.data
        given, own = element.attrs.get("id"), d.get("edge_id")
        if given and own and given != own:
            self.refuse(f"edge_id {own!r} differs from the edge's id {given!r}", given)
            return None
        edge_id = own or given
        if not edge_id:
            self.refuse("an <edge> needs an id (its id attribute or an edge_id value)")
            return None
        if edge_id in self.edge_ids:
            self.refuse(f"edge id {edge_id!r} comes twice", edge_id)
            return None
        self.edge_ids.add(edge_id)
        element.id = edge_id
        attributes = self.json_list(element, "attributes")
        if attributes is None and d.get("title") is not None:
            attributes = {"title": d["title"]}
        body = {
            "id": edge_id,
            "category": d.get("category"),
            "type": d.get("type"),
            "source": element.attrs.get("source"),
            "target": element.attrs.get("target"),
            "attributes": attributes,
            "evidence": self.json_list(element, "evidence_json"),
            "analyst_assertion": d.get("analyst_assertion"),
        }
        return Item("edge", {k: v for k, v in body.items() if v is not None}, self.where(element))

    def check_ends(self) -> None:
        for item, source, target in self.edge_ends:
            for end, node_id in (("source", source), ("target", target)):
                if node_id not in self.node_ids:
                    self.problems.append(
                        Problem(
                            item.where.at(f".{end}"),
                            f"the edge's {end} {node_id!r} is not a node of this graph",
                        )
                    )


def _split(value: Any) -> list[str] | None:
    return None if value is None else [v for v in str(value).split(SEPARATOR) if v]


def _either(first: Any, second: Any) -> Any:
    return first if first is not None else second


def read_graphml(stream: IO[bytes]) -> Iterator[Item]:
    """Yield the records of a GraphML export as the parser reaches them.

    Raises :class:`~graph.errors.RecordValidationError` (each problem with its line) once the
    whole document is read, or at once for malformed XML, a DOCTYPE or an entity.

    Examples
    --------
    >>> import io
    >>> doc = b'''<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
    ...   <key id="k" for="node" attr.name="label" attr.type="string"/>
    ...   <graph edgedefault="directed"><node id="kyiv"><data key="k">Kyiv</data></node>
    ...   <node id="kyiv"/></graph></graphml>'''
    >>> list(read_graphml(io.BytesIO(doc)))
    Traceback (most recent call last):
    ...
    graph.errors.RecordValidationError: 1 problem(s): line 4: kyiv: node id 'kyiv' comes twice
    """
    handler = _Handler()
    for _ in parse_xml(stream, handler):
        yield from handler.ready
        handler.ready.clear()
    handler.check_ends()
    if handler.graphs == 0 and not handler.problems:
        handler.problems.append(Problem("line 1", "no <graph> element"))
    if handler.problems:
        raise RecordValidationError(handler.problems)
