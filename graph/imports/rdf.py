"""Read geokg's RDF exports back into records: the mapping of :mod:`graph.export.rdf`, reversed.

Nodes are read from their own triples (``geokg:kind`` tells entity, event and source apart),
edges from their statement (``rdf:subject``, ``rdf:predicate``, ``rdf:object``, attributes,
evidence): the id is the end of the statement's IRI and the type and category follow from the
predicate, unless ``dcterms:identifier``, ``geokg:edgeType`` and ``geokg:edgeCategory`` say
them (the first release wrote them for every edge; they must then agree). Quotes are read from
their ``schema:Quotation`` (source, verbatim text, offsets), sources' texts from
``schema:text``. Derived triples (``rdf:type``, ``owl:sameAs``, CAMEO concepts, the direct
triple of each edge) are not read back: they follow from the records. Anything else is refused:
blank nodes, subjects outside geokg's IRIs, unknown properties, several values of a one-valued
field.

N-Triples and N-Quads are read line by line (memory grows with the records, not the file) and
problems name the line; Turtle, JSON-LD and RDF/XML are parsed whole by rdflib and problems
name the subject's IRI. Nothing is ever fetched: RDF/XML goes through defusedxml first (no
DOCTYPE, no entities), and JSON-LD may only carry inline ``@context`` objects (a ``@context``
that is a URL or a file, or any ``@import``, is refused before rdflib sees the document).
"""

from __future__ import annotations

import io
import json
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, cast
from urllib.parse import unquote

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.exceptions import ParserError
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SDO, SKOS
from rdflib.plugins.parsers.nquads import NQuadsParser
from rdflib.plugins.parsers.ntriples import W3CNTriplesParser

from graph.errors import Problem, RecordValidationError
from graph.export.rdf import (
    CAMEO_BASE,
    EDGE_BASE,
    GEOKG,
    ID_BASE,
    PREDICATES,
    RDF_FORMATS,
    SEM,
)
from graph.imports._items import Item, Where
from graph.imports._xml import LocatedHandler, parse_xml
from graph.ontology import EntityKind, EventKind, RelationType, Role

__all__ = [
    "RDF_READERS",
    "read_jsonld",
    "read_nquads",
    "read_ntriples",
    "read_rdfxml",
    "read_turtle",
]

Triple = tuple[Any, Any, Any, int | None]
"""Subject, predicate, object and the line it came from (``None`` for whole-document formats)."""

_FALLBACK = DCTERMS.relation
_EDGE_PREDICATES = {*PREDICATES.values(), _FALLBACK}
_TYPE_OF = {predicate: str(edge_type) for edge_type, predicate in PREDICATES.items()}
_ROLES = {str(role) for role in Role}
_RELATIONS = {str(relation) for relation in RelationType}
_ENTITY_KINDS = {k.value for k in EntityKind}
_EVENT_KINDS = {k.value for k in EventKind}
_PART = re.compile(r"^(identifier|quantity)-([0-9]{1,9})$")

# rdflib 7.6's own parsers call its deprecated ConjunctiveGraph/default_context APIs
# (RDFLib/rdflib#3475); only those messages are silenced, only around parsing.
_RDFLIB_OWN_DEPRECATIONS = (
    "ConjunctiveGraph is deprecated",
    "Dataset.default_context is deprecated",
    "Dataset.contexts is deprecated",
)

# Fields of each node type: JSON name -> predicate (one value unless listed in _MANY).
_COMMON = {"id": DCTERMS.identifier, "label": RDFS.label, "kind": GEOKG.kind}
_ENTITY = {
    **_COMMON,
    "aliases": SKOS.altLabel,
    "unnamed": GEOKG.unnamed,
    "description": SDO.description,
    "identifiers": SDO.identifier,
    "evidence": PROV.wasDerivedFrom,
    "analyst_assertion": GEOKG.analystAssertion,
}
_DATE = {
    "value": SEM.hasTimeStamp,
    "start": SEM.hasBeginTimeStamp,
    "end": SEM.hasEndTimeStamp,
    "granularity": GEOKG.dateGranularity,
    "rule": GEOKG.dateRule,
    "expression": GEOKG.dateExpression,
    "note": GEOKG.dateNote,
}
_EVENT = {
    **_COMMON,
    "modality": GEOKG.modality,
    "cameo": SEM.eventType,
    "place": GEOKG.eventPlace,
    "quantities": GEOKG.quantity,
    "evidence": PROV.wasDerivedFrom,
    "analyst_assertion": GEOKG.analystAssertion,
}
_SOURCE = {
    **_COMMON,
    "headline": SDO.headline,
    "published": SDO.datePublished,
    "language": SDO.inLanguage,
    "metadata_origin": GEOKG.origin,
    "url": SDO.url,
    "text": SDO.text,
    "publisher": SDO.publisher,
    "contributors": SDO.contributor,
}
_EDGE = {
    "id": DCTERMS.identifier,
    "category": GEOKG.edgeCategory,
    "type": GEOKG.edgeType,
    "source": RDF.subject,
    "target": RDF.object,
    "predicate": RDF.predicate,
    "title": SDO.roleName,
    "origin": GEOKG.origin,
    "attributes": SDO.additionalProperty,
    "evidence": PROV.wasDerivedFrom,
    "analyst_assertion": GEOKG.analystAssertion,
}
_MANY = {"aliases", "identifiers", "evidence", "quantities", "contributors", "attributes"}
_DERIVED = {RDF.type, OWL.sameAs}


class _Resource:
    """The triples of one subject: predicate -> [(object, line)], and its first line."""

    __slots__ = ("line", "props")

    def __init__(self, line: int | None) -> None:
        self.line = line
        self.props: dict[URIRef, list[tuple[Any, int | None]]] = {}


class _Reader:
    """Groups triples by subject, then turns geokg's resources into records."""

    def __init__(self, lined: bool) -> None:
        self.lined = lined
        self.subjects: dict[str, _Resource] = {}
        self.problems: list[Problem] = []

    # -- collecting ---------------------------------------------------------------------------

    def add(self, s: Any, p: Any, o: Any, line: int | None) -> None:
        if isinstance(s, BNode) or isinstance(o, BNode):
            self.refuse(line, f"<{s}>", "blank nodes are not part of a geokg export")
            return
        key = str(s)
        resource = self.subjects.get(key)
        if resource is None:
            resource = self.subjects[key] = _Resource(line)
        resource.props.setdefault(p, []).append((o, line))

    def refuse(self, line: int | None, name: str, reason: str) -> None:
        self.problems.append(Problem(name if line is None else f"line {line}: {name}", reason))

    # -- records ------------------------------------------------------------------------------

    def items(self) -> Iterator[Item]:
        for iri, resource in self.subjects.items():
            if not iri.startswith(ID_BASE):
                self.refuse(resource.line, f"<{iri}>", "not a geokg IRI: only geokg exports import")
            elif iri.startswith(CAMEO_BASE) or "#" in iri:
                continue  # reference data (the codebook's) and parts, read with their owners
            elif iri.startswith(EDGE_BASE):
                yield self.edge(iri, resource)
            else:
                item = self.node(iri, resource)
                if item is not None:
                    yield item
        if self.problems:
            raise RecordValidationError(self.problems)

    def where(self, iri: str, resource: _Resource, fields: dict[str, URIRef]) -> Where:
        lines: dict[str, int] = {}
        for name, predicate in fields.items():
            found = resource.props.get(predicate)
            if found and found[0][1] is not None:
                lines[name] = found[0][1]
        return Where(f"<{iri}>", line=resource.line, lines=lines)

    @staticmethod
    def values(resource: _Resource, predicate: URIRef) -> list[Any]:
        return [o for o, _ in resource.props.get(predicate, [])]

    def one(self, where: Where, name: str, resource: _Resource, predicate: URIRef) -> Any:
        found = self.values(resource, predicate)
        if len(found) > 1:
            self.refuse_at(where, name, f"has {len(found)} values; it takes one")
        return found[0] if found else None

    def refuse_at(self, where: Where, name: str, reason: str) -> None:
        self.problems.append(Problem(where.at(f".{name}" if name else ""), reason))

    def text(self, where: Where, name: str, value: Any) -> Any:
        if value is None or isinstance(value, Literal):
            return None if value is None else str(value)
        self.refuse_at(where, name, f"must be a literal, not <{value}>")
        return None

    def node_id(self, where: Where, name: str, value: Any) -> str | None:
        if value is None:
            return None
        iri = str(value)
        rest = iri[len(ID_BASE) :] if iri.startswith(ID_BASE) else None
        if not isinstance(value, URIRef) or rest is None or "/" in rest or "#" in rest:
            self.refuse_at(where, name, f"must be the IRI of a geokg node, not {value.n3()}")
            return None
        return unquote(rest)

    def check_known(self, where: Where, resource: _Resource, fields: dict[str, URIRef]) -> None:
        known = {*fields.values(), *_DERIVED, *_EDGE_PREDICATES}
        if fields is _EVENT:
            known |= set(_DATE.values())
        for predicate in resource.props:
            if predicate not in known:
                self.refuse_at(where, "", f"unknown property <{predicate}>")

    def node(self, iri: str, resource: _Resource) -> Item | None:
        kinds = [str(o) for o, _ in resource.props.get(GEOKG.kind, [])]
        kind = kinds[0] if len(kinds) == 1 else None
        fields = (
            _ENTITY
            if kind in _ENTITY_KINDS
            else _EVENT
            if kind in _EVENT_KINDS
            else _SOURCE
            if kind == "news_article"
            else None
        )
        if fields is None:
            where = self.where(iri, resource, _COMMON)
            self.refuse_at(where, "kind", f"not a kind of entity, event or source: {kinds}")
            return None
        where = self.where(iri, resource, fields)
        self.check_known(where, resource, fields)
        data: dict[str, Any] = {}
        for name, predicate in fields.items():
            if name in _MANY:
                continue
            data[name] = self.one(where, name, resource, predicate)
        node_id = unquote(iri[len(ID_BASE) :])
        data["id"] = self.text(where, "id", data["id"]) or node_id
        if data["id"] != node_id:
            self.refuse_at(where, "id", f"{data['id']!r} is not the id in the IRI, {node_id!r}")
        for name in ("label", "kind"):
            data[name] = self.text(where, name, data[name])
        if fields is _ENTITY:
            data["node_type"] = "entity"
            data["aliases"] = [
                self.text(where, "aliases", o) for o in self.values(resource, SKOS.altLabel)
            ]
            for name in ("unnamed", "description"):
                data[name] = self.text(where, name, data[name])
            data["identifiers"] = self.parts(where, "identifiers", resource, SDO.identifier)
        elif fields is _EVENT:
            data["node_type"] = "event"
            data["modality"] = self.text(where, "modality", data["modality"])
            data["cameo"] = self.cameo(where, data["cameo"])
            data["date"] = {
                name: self.text(where, "date", self.one(where, "date", resource, predicate))
                for name, predicate in _DATE.items()
            }
            data["place"] = self.node_id(where, "place", data["place"])
            data["quantities"] = self.parts(where, "quantities", resource, GEOKG.quantity)
        else:
            data["node_type"] = "source"
            del data["headline"]
            for name in ("published", "language", "metadata_origin", "text"):
                data[name] = self.text(where, name, data[name])
            data["url"] = None if data["url"] is None else str(data["url"])
            data["publisher"] = self.node_id(where, "publisher", data["publisher"])
            data["contributors"] = [
                self.node_id(where, "contributors", o)
                for o in self.values(resource, SDO.contributor)
            ]
        if fields is not _SOURCE:
            data["evidence"] = self.evidence(where, resource)
            flag = self.text(where, "analyst_assertion", data["analyst_assertion"])
            data["analyst_assertion"] = flag if flag is not None else False
        return Item("node", {k: v for k, v in data.items() if v is not None}, where)

    def cameo(self, where: Where, value: Any) -> dict[str, str] | None:
        if isinstance(value, URIRef) and str(value).startswith(CAMEO_BASE):
            return {"code": unquote(str(value)[len(CAMEO_BASE) :])}
        if value is not None:
            self.refuse_at(where, "cameo", f"must be a CAMEO code's IRI, not {value.n3()}")
        return None

    def part(self, where: Where, name: str, value: Any) -> _Resource | None:
        resource = self.subjects.get(str(value)) if isinstance(value, URIRef) else None
        if resource is None:
            shown = value.n3() if hasattr(value, "n3") else repr(value)
            self.refuse_at(where, name, f"{shown} is described nowhere in the document")
        return resource

    def parts(
        self, where: Where, name: str, resource: _Resource, predicate: URIRef
    ) -> list[dict[str, Any]]:
        """Identifiers or quantities, in the order of their IRIs' numbers."""
        found: list[tuple[int, dict[str, Any]]] = []
        for value in self.values(resource, predicate):
            fragment = str(value).partition("#")[2]
            match = _PART.match(fragment)
            part = self.part(where, name, value)
            if part is None or match is None:
                if match is None:
                    self.refuse_at(where, name, f"unexpected part <{value}>")
                continue

            def one(p: URIRef, part: _Resource = part) -> Any:
                return self.text(where, name, self.one(where, name, part, p))

            if name == "identifiers":
                body = {
                    "scheme": one(SDO.propertyID),
                    "value": one(SDO.value),
                    "origin": one(GEOKG.origin),
                }
            else:
                body = {
                    "value": _number(one(SDO.value)),
                    "unit": one(SDO.unitText),
                    "qualifier": one(GEOKG.qualifier),
                    "measure": one(GEOKG.measure),
                    "text": one(RDFS.label),
                    "evidence": self.evidence(where, part),
                }
            found.append((int(match.group(2)), body))
        return [body for _, body in sorted(found, key=lambda pair: pair[0])]

    def evidence(self, where: Where, resource: _Resource) -> list[dict[str, Any]]:
        found = []
        for value in self.values(resource, PROV.wasDerivedFrom):
            quote = self.part(where, "evidence", value)
            if quote is None:
                continue

            def one(p: URIRef, quote: _Resource = quote) -> Any:
                return self.one(where, "evidence", quote, p)

            found.append(
                {
                    "source": self.node_id(where, "evidence", one(PROV.wasQuotedFrom)),
                    "quote": self.text(where, "evidence", one(SDO.text)),
                    "start": _integer(self.text(where, "evidence", one(GEOKG.startOffset))),
                    "end": _integer(self.text(where, "evidence", one(GEOKG.endOffset))),
                }
            )
        return sorted(found, key=_evidence_order)

    def edge(self, iri: str, resource: _Resource) -> Item:
        where = self.where(iri, resource, _EDGE)
        known = {*_EDGE.values(), RDF.type}
        for predicate in resource.props:
            if predicate not in known:
                self.refuse_at(where, "", f"unknown property <{predicate}>")
        data = {
            name: self.one(where, name, resource, p)
            for name, p in _EDGE.items()
            if name not in _MANY
        }
        edge_id = unquote(iri[len(EDGE_BASE) :])
        for name in ("id", "category", "type", "analyst_assertion"):
            data[name] = self.text(where, name, data[name])
        data["id"] = data["id"] or edge_id
        if data["id"] != edge_id:
            self.refuse_at(where, "id", f"{data['id']!r} is not the id in the IRI, {edge_id!r}")
        predicate = data.pop("predicate")
        if data["type"] is None:
            data["type"] = _TYPE_OF.get(predicate)
        if data["category"] is None:
            edge_type = data["type"]
            data["category"] = (
                "role" if edge_type in _ROLES else "relation" if edge_type in _RELATIONS else None
            )
        expected = PREDICATES.get(data["type"] or "", _FALLBACK)
        if predicate != expected:
            self.refuse_at(where, "predicate", f"an edge of type {data['type']!r} is <{expected}>")
        attributes: dict[str, Any] = {}
        for name in ("title", "origin"):
            value = self.text(where, name, data.pop(name))
            if value is not None:
                attributes[name] = value
        for value in self.values(resource, SDO.additionalProperty):
            part = self.part(where, "attributes", value)
            if part is not None:
                key = self.text(where, "attributes", self.one(where, "attributes", part, SDO.name))
                values = self.values(part, SDO.value)
                if len(values) != 1:
                    self.refuse_at(where, "attributes", f"{key!r} has {len(values)} values")
                    continue
                attributes[str(key)] = self.text(where, "attributes", values[0])
        data["attributes"] = attributes
        data["source"] = self.node_id(where, "source", data["source"])
        data["target"] = self.node_id(where, "target", data["target"])
        data["evidence"] = self.evidence(where, resource)
        if data["analyst_assertion"] is None:
            data["analyst_assertion"] = False
        return Item("edge", {k: v for k, v in data.items() if v is not None}, where)


def _evidence_order(ev: dict[str, Any]) -> tuple[str, int, int]:
    start, end = ev["start"], ev["end"]
    return (
        str(ev["source"]),
        start if isinstance(start, int) else -1,
        end if isinstance(end, int) else -1,
    )


def _integer(text: str | None) -> int | str | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return text


def _number(text: str | None) -> float | str | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return text


# -- the syntaxes ------------------------------------------------------------------------------


class _LineSink:
    """Receives what rdflib's line parsers find on one line (triples, or quads' triples)."""

    def __init__(self) -> None:
        self.found: list[tuple[Any, Any, Any]] = []
        self.default_context = self

    def triple(self, s: Any, p: Any, o: Any) -> None:
        self.found.append((s, p, o))

    def add(self, triple: tuple[Any, Any, Any]) -> None:
        self.found.append(triple)

    def get_context(self, _name: Any) -> _LineSink:
        return self


def _line_triples(stream: IO[bytes], quads: bool) -> Iterator[Triple]:
    sink = _LineSink()
    target = cast(Any, sink)  # rdflib's line parsers only call triple/add on it
    parser = NQuadsParser(target) if quads else W3CNTriplesParser(target)
    name = "N-Quads" if quads else "N-Triples"
    for number, raw in enumerate(stream, start=1):
        try:
            parser.line = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as exc:
            problem = Problem(f"line {number}", f"not UTF-8: {exc.reason} at byte {exc.start}")
            raise RecordValidationError([problem]) from None
        try:
            parser.parseline()
        except ParserError as exc:
            problem = Problem(f"line {number}", f"not {name}: {str(exc)[:200]}")
            raise RecordValidationError([problem]) from None
        for s, p, o in sink.found:
            yield s, p, o, number
        sink.found.clear()


def _records(triples: Iterable[Triple], lined: bool) -> Iterator[Item]:
    reader = _Reader(lined)
    for s, p, o, line in triples:
        reader.add(s, p, o, line)
    return reader.items()


def read_ntriples(stream: IO[bytes]) -> Iterator[Item]:
    """Yield the records of an N-Triples export, read line by line.

    Examples
    --------
    >>> nt = (b'<https://geokg.example.org/id/kyiv> '
    ...       b'<https://geokg.example.org/ontology#kind> "place" .\\n')
    >>> [item.data["kind"] for item in read_ntriples(io.BytesIO(nt))]
    ['place']
    """
    return _records(_line_triples(stream, quads=False), lined=True)


def read_nquads(stream: IO[bytes]) -> Iterator[Item]:
    """Yield the records of an N-Quads export (named graphs are ignored), line by line."""
    return _records(_line_triples(stream, quads=True), lined=True)


def _graph_triples(data: bytes, fmt: str) -> Iterator[Triple]:
    graph = Graph()
    try:
        with warnings.catch_warnings():
            for message in _RDFLIB_OWN_DEPRECATIONS:
                warnings.filterwarnings("ignore", message=message, category=DeprecationWarning)
            graph.parse(data=data, format=RDF_FORMATS[fmt])
    except Exception as exc:  # rdflib's parsers raise many types; each means a bad document
        problem = Problem("$", f"not valid {fmt}: {' '.join(str(exc).split())[:300]}")
        raise RecordValidationError([problem]) from None
    for s, p, o in graph:
        yield s, p, o, None


def read_turtle(stream: IO[bytes]) -> Iterator[Item]:
    """Yield the records of a Turtle export (parsed whole)."""
    return _records(_graph_triples(stream.read(), "turtle"), lined=False)


def _contexts(value: Any, path: str) -> Iterator[Problem]:
    """Problems with every ``@context`` and ``@import`` that would make rdflib fetch."""
    if isinstance(value, dict):
        for key, inner in value.items():
            here = f"{path}.{key}" if re.match(r"^[A-Za-z_@][\w@]*$", key) else f"{path}[{key!r}]"
            if key == "@import":
                yield Problem(here, "@import is not allowed: it loads a context from a URL")
            elif key == "@context":
                for i, ctx in enumerate(inner if isinstance(inner, list) else [inner]):
                    if not isinstance(ctx, dict) and ctx is not None:
                        at = f"{here}[{i}]" if isinstance(inner, list) else here
                        yield Problem(
                            at,
                            f"a @context must be an inline object, not {json.dumps(ctx)[:80]}: "
                            "geokg never loads a context from a URL or a file",
                        )
            yield from _contexts(inner, here)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _contexts(inner, f"{path}[{i}]")


def read_jsonld(stream: IO[bytes]) -> Iterator[Item]:
    """Yield the records of a JSON-LD export; only inline ``@context`` objects are allowed.

    Examples
    --------
    >>> doc = b'{"@context": "http://example.org/ctx", "@id": "https://geokg.example.org/id/k"}'
    >>> list(read_jsonld(io.BytesIO(doc)))
    Traceback (most recent call last):
    ...
    graph.errors.RecordValidationError: 1 problem(s): $.@context: a @context must be an inline \
object, not "http://example.org/ctx": geokg never loads a context from a URL or a file
    """
    data = stream.read()
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        problem = Problem("$", f"not UTF-8: {exc.reason} at byte {exc.start}")
        raise RecordValidationError([problem]) from None
    except json.JSONDecodeError as exc:
        problem = Problem(f"line {exc.lineno}", f"invalid JSON at column {exc.colno}: {exc.msg}")
        raise RecordValidationError([problem]) from None
    problems = list(_contexts(doc, "$"))
    if problems:
        raise RecordValidationError(problems)
    return _records(_graph_triples(data, "jsonld"), lined=False)


def read_rdfxml(stream: IO[bytes]) -> Iterator[Item]:
    """Yield the records of an RDF/XML export; a DOCTYPE or entity is refused before parsing.

    Examples
    --------
    >>> xxe = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    >>> list(read_rdfxml(io.BytesIO(xxe)))
    Traceback (most recent call last):
    ...
    graph.errors.RecordValidationError: 1 problem(s): line 1: a DOCTYPE is not allowed: ...
    """
    data = stream.read()
    for _ in parse_xml(io.BytesIO(data), LocatedHandler()):
        pass
    return _records(_graph_triples(data, "rdfxml"), lined=False)


RDF_READERS: dict[str, Callable[[IO[bytes]], Iterator[Item]]] = {
    "turtle": read_turtle,
    "ntriples": read_ntriples,
    "jsonld": read_jsonld,
    "rdfxml": read_rdfxml,
    "nquads": read_nquads,
}
"""The RDF readers by format name."""
