"""Read geokg's GraphML exports back into records, as a stream in bounded memory.

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

The document is parsed by expat with defusedxml's guards (:func:`~graph.imports._xml.defused_expat`)
and no tree is built: each ``<node>`` and ``<edge>`` becomes a record when it ends; node ids,
edge ids and ends wait in the import's workspace for the checks that need the whole file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any
from xml.parsers import expat

from defusedxml import DefusedXmlException

from graph.errors import Problem, RecordValidationError
from graph.export.graphml import SEPARATOR
from graph.imports._items import Item, Where
from graph.imports._workspace import Workspace
from graph.imports._xml import CHUNK, defused_expat, refused

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
    "cameo_code": "cameo",
}
_BATCH = 4096
"""Ids written to the workspace at a time."""
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


_NS = f"{GRAPHML_NS} "
_DATA = (f"{_NS}data", "data")
_ELEMENTS = {f"{_NS}node": "node", f"{_NS}edge": "edge", "node": "node", "edge": "edge"}


class _Handler:
    """Expat's callbacks for a GraphML document: records as they end, problems as they come.

    Node ids, edge ids and edge ends go to the workspace (memory stays flat): repeated ids are
    found a batch at a time, edges whose ends are not nodes of the file at the end.
    """

    def __init__(self, parser: expat.XMLParserType, workspace: Workspace) -> None:
        self.parser = parser
        self.ws = workspace
        self.keys: dict[str, _Key] = {}
        self.problems: list[Problem] = []
        self.ready: list[Item] = []
        self.seq = 0
        self.nodes: list[tuple[str, int, int]] = []
        self.edges: list[tuple[str, int, int, str, str, int]] = []
        self.created = False
        self.stack: list[str] = []
        self.graphs = 0
        self.current: _Element | None = None
        self.key: _Key | None = None
        self.data_key: _Key | None = None
        self.text: list[str] = []
        self.skip = 0  # depth inside elements of other vocabularies
        parser.buffer_text = True
        parser.ordered_attributes = True
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.text.append

    @property
    def line(self) -> int:
        return int(self.parser.CurrentLineNumber)

    def refuse(self, reason: str, where: str | None = None) -> None:
        self.problems.append(Problem(f"line {self.line}" + (f": {where}" if where else ""), reason))

    # -- expat's events -----------------------------------------------------------------------

    def start(self, name: str, attrs: list[str]) -> None:
        current = self.current
        if current is not None and not self.skip and name in _DATA:  # the common case
            if len(attrs) == 2 and attrs[0] == "key":
                self.start_data(attrs[1])
            else:
                self.start_data(_plain(attrs).get("key", ""))
            self.stack.append("data")
            self.text.clear()
            return
        ns, _, local = name.rpartition(" ")
        if self.skip or ns not in (GRAPHML_NS, ""):
            self.skip += 1
            return
        plain = _plain(attrs)
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
            self.start_data(plain.get("key", ""))
        self.text.clear()

    def end(self, name: str) -> None:
        if self.skip:
            self.skip -= 1
            return
        local = self.stack.pop()
        if local == "data":
            if self.data_key is not None and self.current is not None:
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

    def start_data(self, key_id: str) -> None:
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
        element.data[key.name] = (
            text if key.type == "string" else self.typed(key, text, f"{element.id}.{key.name}")
        )
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
        self.seq += 1
        if element.kind == "node":
            self.nodes.append((element.id, self.seq, self.line))
            self.ready.append(self.node_item(element))
        else:
            item = self.edge_item(element)
            if item is None:
                return
            source, target = element.attrs.get("source", ""), element.attrs.get("target", "")
            self.edges.append((element.id, self.seq, element.line, source, target, self.line))
            self.ready.append(item)
        if len(self.nodes) + len(self.edges) >= _BATCH:
            self.flush()

    # -- ids and ends, in the workspace --------------------------------------------------------

    def flush(self) -> None:
        ws = self.ws
        if not self.created:
            ws.execute(
                "CREATE TABLE graphml_nodes (id TEXT PRIMARY KEY, seq INTEGER) WITHOUT ROWID"
            )
            ws.execute(
                "CREATE TABLE graphml_edges (id TEXT PRIMARY KEY, seq INTEGER, line INTEGER,"
                " source TEXT, target TEXT) WITHOUT ROWID"
            )
            self.created = True
        for table, rows, ends, kind in (
            ("graphml_nodes", [r[:2] for r in self.nodes], [r[2] for r in self.nodes], "node"),
            ("graphml_edges", [r[:5] for r in self.edges], [r[5] for r in self.edges], "edge"),
        ):
            if ws.insert(table, rows, ignore=True) != len(rows):
                self.repeated(table, rows, ends, kind)
        self.nodes, self.edges = [], []

    def repeated(self, table: str, rows: list[tuple[Any, ...]], ends: list[int], kind: str) -> None:
        """Problems for the rows of a batch whose id was taken (the line where each ends)."""
        for row, line in zip(rows, ends, strict=True):
            element_id, seq = row[0], row[1]
            first = self.ws.one(f"SELECT seq FROM {table} WHERE id = ?", (element_id,))
            if first is not None and first[0] != seq:
                self.problems.append(
                    Problem(f"line {line}: {element_id}", f"{kind} id {element_id!r} comes twice")
                )

    def check_ends(self) -> None:
        self.flush()
        for edge_id, line, source, target, source_missing, target_missing in self.ws.rows(
            "SELECT e.id, e.line, e.source, e.target, s.id IS NULL, t.id IS NULL"
            " FROM graphml_edges e LEFT JOIN graphml_nodes s ON s.id = e.source"
            " LEFT JOIN graphml_nodes t ON t.id = e.target"
            " WHERE s.id IS NULL OR t.id IS NULL ORDER BY e.seq"
        ):
            for end, node_id, missing in (
                ("source", source, source_missing),
                ("target", target, target_missing),
            ):
                if missing:
                    self.problems.append(
                        Problem(
                            f"line {line}: {edge_id}.{end}",
                            f"the edge's {end} {node_id!r} is not a node of this graph",
                        )
                    )

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
        if node_type == "entity":
            body |= {
                "aliases": _either(
                    self.json_list(element, "aliases_json"), _split(d.get("aliases"))
                ),
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
                "cameo_note": d.get("cameo_note"),
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
                "contributors": _split(d.get("contributors")),
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


def _plain(attrs: list[str]) -> dict[str, str]:
    """Attributes without a namespace (expat's ordered list: name, value, name, value...)."""
    return {k: v for k, v in zip(attrs[0::2], attrs[1::2], strict=True) if " " not in k}


def _split(value: Any) -> list[str] | None:
    return None if value is None else [v for v in str(value).split(SEPARATOR) if v]


def _either(first: Any, second: Any) -> Any:
    return first if first is not None else second


def read_graphml(stream: IO[bytes], workspace: Workspace | None = None) -> Iterator[Item]:
    """Yield the records of a GraphML export as the parser reaches them, in bounded memory.

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
    ws = workspace if workspace is not None else Workspace()
    try:
        parser = defused_expat()
        handler = _Handler(parser, ws)
        try:
            while chunk := stream.read(CHUNK):
                parser.Parse(chunk, False)
                yield from handler.ready
                handler.ready.clear()
            parser.Parse(b"", True)
        except (expat.ExpatError, DefusedXmlException) as exc:
            raise refused(exc, handler.line) from None
        yield from handler.ready
        handler.check_ends()
        if handler.graphs == 0 and not handler.problems:
            handler.problems.append(Problem("line 1", "no <graph> element"))
        if handler.problems:
            raise RecordValidationError(handler.problems)
    finally:
        if workspace is None:
            ws.close()
