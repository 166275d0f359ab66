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
field. A triple stated twice is one triple.

N-Triples and N-Quads are streamed (:mod:`graph.imports._ntriples`) and problems name the line;
a record is the triples of its subject and of its parts (``#identifier-1``, ``#quantity-1``,
``#attribute-…``), and quotes (``#char=…``) are looked up by their IRI. Memory stays bounded
(by the workspace's bound, :class:`~graph.imports._workspace.Workspace`) whatever the order of
the lines:

- while the triples read fit under the bound, they are simply grouped in memory;
- past it, a stream that can be read again is taken to be grouped by subject (geokg's exports
  are): the oldest subjects are turned into records as newer ones arrive, their quotes looked up
  among the recent ones or in the workspace (a record citing a quote not yet read waits there
  until the end). If a subject turns out to have more triples far on, the reader raises
  :class:`SubjectsNotGroupedError` and the import reads the stream again, sorting;
- sorting (also the way for a stream that cannot be read again): every triple goes to the
  workspace, which gives them back subject by subject.

Turtle, JSON-LD and RDF/XML are parsed whole by rdflib (within the body cap) and problems name
the subject's IRI. Nothing is ever fetched: RDF/XML goes through defusedxml first (no DOCTYPE,
no entities), and JSON-LD may only carry inline ``@context`` objects (a ``@context`` that is a
URL or a file, or any ``@import``, is refused before rdflib sees the document).
"""

from __future__ import annotations

import io
import json
import marshal
import re
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any
from urllib.parse import unquote

from rdflib import BNode, Graph, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SDO, SKOS

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
from graph.imports._ntriples import BlankNode, Chunk, Term, statements
from graph.imports._workspace import SubjectsNotGroupedError, Workspace
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

_FALLBACK = str(DCTERMS.relation)
_EDGE_PREDICATES = {*(str(p) for p in PREDICATES.values()), _FALLBACK}
_TYPE_OF = {str(predicate): str(edge_type) for edge_type, predicate in PREDICATES.items()}
_PREDICATE_OF = {str(edge_type): str(predicate) for edge_type, predicate in PREDICATES.items()}
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


def _iris(fields: dict[str, URIRef]) -> dict[str, str]:
    return {name: str(iri) for name, iri in fields.items()}


# Fields of each node type: JSON name -> predicate (one value unless listed in _MANY).
_COMMON = _iris({"id": DCTERMS.identifier, "label": RDFS.label, "kind": GEOKG.kind})
_ENTITY = {
    **_COMMON,
    **_iris(
        {
            "aliases": SKOS.altLabel,
            "unnamed": GEOKG.unnamed,
            "description": SDO.description,
            "identifiers": SDO.identifier,
            "evidence": PROV.wasDerivedFrom,
            "analyst_assertion": GEOKG.analystAssertion,
        }
    ),
}
_DATE = _iris(
    {
        "value": SEM.hasTimeStamp,
        "start": SEM.hasBeginTimeStamp,
        "end": SEM.hasEndTimeStamp,
        "granularity": GEOKG.dateGranularity,
        "rule": GEOKG.dateRule,
        "expression": GEOKG.dateExpression,
        "note": GEOKG.dateNote,
    }
)
_EVENT = {
    **_COMMON,
    **_iris(
        {
            "modality": GEOKG.modality,
            "cameo": SEM.eventType,
            "cameo_note": GEOKG.cameoNote,
            "place": GEOKG.eventPlace,
            "quantities": GEOKG.quantity,
            "evidence": PROV.wasDerivedFrom,
            "analyst_assertion": GEOKG.analystAssertion,
        }
    ),
}
_SOURCE = {
    **_COMMON,
    **_iris(
        {
            "headline": SDO.headline,
            "published": SDO.datePublished,
            "language": SDO.inLanguage,
            "metadata_origin": GEOKG.origin,
            "url": SDO.url,
            "text": SDO.text,
            "publisher": SDO.publisher,
            "contributors": SDO.contributor,
        }
    ),
}
_EDGE = _iris(
    {
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
)
_MANY = {"aliases", "identifiers", "evidence", "quantities", "contributors", "attributes"}
_DERIVED = {str(RDF.type), str(OWL.sameAs)}


class _Shape:
    """How the triples of one kind of record read: each predicate's field, the fields that take
    several values, and the predicates read elsewhere or derived (ignored, not refused)."""

    def __init__(self, fields: dict[str, str], ignored: set[str], **located: str) -> None:
        self.fields = fields
        self.names = {predicate: name for name, predicate in fields.items()}
        self.located = {name: located.get(name, name) for name in fields}
        self.many = {name for name in fields if name in _MANY}
        self.ignored = ignored


_NODE_IGNORES = {*_DERIVED, *_EDGE_PREDICATES}
_SHAPES = {
    "entity": _Shape(_ENTITY, _NODE_IGNORES),
    "event": _Shape(
        {**_EVENT, **{f"date.{k}": v for k, v in _DATE.items()}},
        _NODE_IGNORES,
        **{f"date.{k}": "date" for k in _DATE},
    ),
    "source": _Shape(_SOURCE, _NODE_IGNORES),
    "edge": _Shape(_EDGE, {str(RDF.type)}),
}

_KIND = str(GEOKG.kind)
_DERIVED_FROM = str(PROV.wasDerivedFrom)
_QUOTED_FROM = str(PROV.wasQuotedFrom)
_QUOTE_TEXT = str(SDO.text)
_START = str(GEOKG.startOffset)
_END = str(GEOKG.endOffset)
_VALUE = str(SDO.value)
_LABEL = str(RDFS.label)
_ALT_LABEL = str(SKOS.altLabel)
_PROPERTY_ID = str(SDO.propertyID)
_ORIGIN = str(GEOKG.origin)
_UNIT = str(SDO.unitText)
_QUALIFIER = str(GEOKG.qualifier)
_MEASURE = str(GEOKG.measure)
_NAME = str(SDO.name)
_IDENTIFIER = str(SDO.identifier)
_QUANTITY = str(GEOKG.quantity)
_CONTRIBUTOR = str(SDO.contributor)
_ADDITIONAL = str(SDO.additionalProperty)
_ID_LENGTH = len(ID_BASE)
_QUOTE_PREDICATES = (_QUOTED_FROM, _QUOTE_TEXT, _START, _END)

Props = dict[str, list[tuple[Term, int | None]]]
"""The triples of one subject: predicate -> [(object, line)], in the order read."""
Subject = tuple[int | None, Props]
"""A subject's first line and its triples."""
Group = dict[str, Subject]
"""A record's subjects by IRI: its own and its parts'; or a quote's, alone."""
Quote = tuple[list[Term], list[Term], list[Term], list[Term]]
"""A quote's values: sources, texts, start offsets, end offsets (each should hold one)."""


def _shown(term: Any) -> str:
    """A term as N-Triples writes it, for messages."""
    if isinstance(term, tuple):
        lexical, suffix = term
        return f"{RdfLiteral(lexical).n3()}{suffix}"
    if isinstance(term, BlankNode):
        return f"_:{term}"
    return f"<{term}>"


def _distinct(values: list[tuple[Term, int | None]]) -> list[Term]:
    """The values of a predicate, each once (a triple stated twice is one triple)."""
    if len(values) == 1:
        return [values[0][0]]
    return list(dict.fromkeys(value for value, _ in values))


def _quote_of(props: Props) -> Quote:
    found = [props.get(predicate) for predicate in _QUOTE_PREDICATES]
    return (
        _distinct(found[0]) if found[0] else [],
        _distinct(found[1]) if found[1] else [],
        _distinct(found[2]) if found[2] else [],
        _distinct(found[3]) if found[3] else [],
    )


def _key(iri: str) -> tuple[str, bool] | None:
    """The group a subject belongs to and whether it is a quote; None for reference data."""
    owner, hash_, fragment = iri.partition("#")
    if iri.startswith(CAMEO_BASE):
        return None
    if not hash_:
        return iri, False
    if fragment.startswith("char="):
        return iri, True
    return owner, False


class _Records:
    """Turns groups of triples into records, and remembers the problems found."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.quote: Callable[[str], Quote | None] = lambda iri: None

    def refuse(self, line: int | None, name: str, reason: str) -> None:
        self.problems.append(Problem(name if line is None else f"line {line}: {name}", reason))

    def refuse_at(self, where: Where, name: str, reason: str) -> None:
        self.problems.append(Problem(where.at(f".{name}" if name else ""), reason))

    # -- values -------------------------------------------------------------------------------

    def collect(
        self, iri: str, subject: Subject, shape: _Shape
    ) -> tuple[Where, dict[str, Any], dict[str, list[Term]]]:
        """One pass over a subject's triples: where it is, its one-valued fields, its lists."""
        line, props = subject
        names, located, many = shape.names, shape.located, shape.many
        single: dict[str, Any] = {}
        lists: dict[str, list[Term]] = {}
        lines: dict[str, int] = {}
        late: list[tuple[str, str]] = []
        for predicate, found in props.items():
            name = names.get(predicate)
            if name is None:
                if predicate not in shape.ignored:
                    late.append(("", f"unknown property <{predicate}>"))
                continue
            if line is not None:
                at = located[name]
                if at not in lines:
                    lines[at] = found[0][1]  # type: ignore[assignment]
            if name in many:
                lists[name] = _distinct(found)
            elif len(found) == 1:
                single[name] = found[0][0]
            else:
                values = _distinct(found)
                if len(values) > 1:
                    late.append((located[name], f"has {len(values)} values; it takes one"))
                single[name] = values[0]
        where = Where(f"<{iri}>", line=line, lines=lines) if line is not None else Where(f"<{iri}>")
        for name, reason in late:
            self.refuse_at(where, name, reason)
        return where, single, lists

    def one(self, where: Where, name: str, values: list[Term]) -> Any:
        if len(values) > 1:
            self.refuse_at(where, name, f"has {len(values)} values; it takes one")
        return values[0] if values else None

    def text(self, where: Where, name: str, value: Any) -> str | None:
        if value is None:
            return None
        if type(value) is tuple:
            return value[0]  # type: ignore[no-any-return]
        self.refuse_at(where, name, f"must be a literal, not {_shown(value)}")
        return None

    def node_id(self, where: Where, name: str, value: Any) -> str | None:
        if value is None:
            return None
        if type(value) is str and value.startswith(ID_BASE):
            rest = value[_ID_LENGTH:]
            if "/" not in rest and "#" not in rest:
                return unquote(rest) if "%" in rest else rest
        self.refuse_at(where, name, f"must be the IRI of a geokg node, not {_shown(value)}")
        return None

    # -- records ------------------------------------------------------------------------------

    def record(self, key: str, group: Group) -> Item | None:
        """The record of a group, or None (problems are remembered)."""
        subject = group.get(key)
        if subject is None:  # only parts of a subject the file never describes
            return None
        if not key.startswith(ID_BASE):
            self.refuse(subject[0], f"<{key}>", "not a geokg IRI: only geokg exports import")
            return None
        if key.startswith(EDGE_BASE):
            return self.edge(key, subject, group)
        return self.node(key, subject, group)

    def node(self, iri: str, subject: Subject, group: Group) -> Item | None:
        props = subject[1]
        kinds = [v[0] if isinstance(v, tuple) else v for v in _distinct(props.get(_KIND, []))]
        kind = kinds[0] if len(kinds) == 1 else None
        node_type = (
            "entity"
            if kind in _ENTITY_KINDS
            else "event"
            if kind in _EVENT_KINDS
            else "source"
            if kind == "news_article"
            else None
        )
        if node_type is None:
            lines = _first_lines(subject, _COMMON)
            where = Where(f"<{iri}>", line=subject[0], lines=lines)
            self.refuse_at(where, "kind", f"not a kind of entity, event or source: {kinds}")
            return None
        where, one, lists = self.collect(iri, subject, _SHAPES[node_type])
        text = self.text
        node_id = unquote(iri[_ID_LENGTH:])
        data: dict[str, Any] = {
            "node_type": node_type,
            "id": text(where, "id", one.get("id")) or node_id,
            "label": text(where, "label", one.get("label")),
            "kind": kind,
        }
        if data["id"] != node_id:
            self.refuse_at(where, "id", f"{data['id']!r} is not the id in the IRI, {node_id!r}")
        if node_type == "entity":
            data["aliases"] = [text(where, "aliases", o) for o in lists.get("aliases", ())]
            data["unnamed"] = text(where, "unnamed", one.get("unnamed"))
            data["description"] = text(where, "description", one.get("description"))
            data["identifiers"] = self.parts(where, "identifiers", lists, group)
        elif node_type == "event":
            data["modality"] = text(where, "modality", one.get("modality"))
            data["cameo"] = self.cameo(where, one.get("cameo"))
            data["cameo_note"] = text(where, "cameo_note", one.get("cameo_note"))
            data["date"] = {name: text(where, "date", one.get(f"date.{name}")) for name in _DATE}
            data["place"] = self.node_id(where, "place", one.get("place"))
            data["quantities"] = self.parts(where, "quantities", lists, group)
        else:
            for name in ("published", "language", "metadata_origin", "text"):
                data[name] = text(where, name, one.get(name))
            url = one.get("url")
            data["url"] = None if url is None else url[0] if isinstance(url, tuple) else url
            data["publisher"] = self.node_id(where, "publisher", one.get("publisher"))
            data["contributors"] = [
                self.node_id(where, "contributors", o) for o in lists.get("contributors", ())
            ]
        if node_type != "source":
            data["evidence"] = self.evidence(where, lists.get("evidence"))
            flag = text(where, "analyst_assertion", one.get("analyst_assertion"))
            data["analyst_assertion"] = flag if flag is not None else False
        return Item("node", {k: v for k, v in data.items() if v is not None}, where)

    def cameo(self, where: Where, value: Any) -> dict[str, str] | None:
        if isinstance(value, str) and value.startswith(CAMEO_BASE):
            return {"code": unquote(value[len(CAMEO_BASE) :])}
        if value is not None:
            self.refuse_at(where, "cameo", f"must be a CAMEO code's IRI, not {_shown(value)}")
        return None

    def part(self, where: Where, name: str, value: Any, group: Group) -> Props | None:
        found = group.get(value) if isinstance(value, str) else None
        if found is None:
            self.refuse_at(where, name, f"{_shown(value)} is described nowhere in the document")
            return None
        return found[1]

    def parts(
        self, where: Where, name: str, lists: dict[str, list[Term]], group: Group
    ) -> list[dict[str, Any]]:
        """Identifiers or quantities, in the order of their IRIs' numbers."""
        found: list[tuple[int, dict[str, Any]]] = []
        for value in lists.get(name, ()):
            fragment = value.partition("#")[2] if isinstance(value, str) else ""
            match = _PART.match(fragment)
            part = self.part(where, name, value, group)
            if part is None or match is None:
                if match is None:
                    self.refuse_at(where, name, f"unexpected part {_shown(value)}")
                continue

            def one(p: str, part: Props = part) -> Any:
                values = _distinct(part.get(p) or [])
                return self.text(where, name, self.one(where, name, values))

            if name == "identifiers":
                body = {"scheme": one(_PROPERTY_ID), "value": one(_VALUE), "origin": one(_ORIGIN)}
            else:
                body = {
                    "value": _number(one(_VALUE)),
                    "unit": one(_UNIT),
                    "qualifier": one(_QUALIFIER),
                    "measure": one(_MEASURE),
                    "text": one(_LABEL),
                    "evidence": self.evidence(where, _distinct(part.get(_DERIVED_FROM, []))),
                }
            found.append((int(match.group(2)), body))
        return [body for _, body in sorted(found, key=lambda pair: pair[0])]

    def evidence(self, where: Where, cited: list[Term] | None) -> list[dict[str, Any]]:
        if not cited:
            return []
        found = []
        for value in cited:
            quote = self.quote(value) if type(value) is str else None
            if quote is None:
                self.refuse_at(
                    where, "evidence", f"{_shown(value)} is described nowhere in the document"
                )
                continue
            sources, texts, starts, ends = quote
            if len(sources) == len(texts) == len(starts) == len(ends) == 1:
                source, text, start, end = sources[0], texts[0], starts[0], ends[0]
            else:
                source, text, start, end = (self.one(where, "evidence", v) for v in quote)
            named, _, span = value.partition("#char=") if isinstance(value, str) else ("", "", "")
            if span and (span != f"{_lexical(start)},{_lexical(end)}" or source != named):
                self.refuse_at(
                    where,
                    "evidence",
                    f"{_shown(value)} names another source or span than its quote has",
                )
            found.append(
                {
                    "source": self.node_id(where, "evidence", source),
                    "quote": self.text(where, "evidence", text),
                    "start": _integer(self.text(where, "evidence", start)),
                    "end": _integer(self.text(where, "evidence", end)),
                }
            )
        if len(found) > 1:
            found.sort(key=_evidence_order)
        return found

    def edge(self, iri: str, subject: Subject, group: Group) -> Item:
        where, one, lists = self.collect(iri, subject, _SHAPES["edge"])
        text = self.text
        edge_id = unquote(iri[len(EDGE_BASE) :])
        data: dict[str, Any] = {
            "id": text(where, "id", one.get("id")) or edge_id,
            "category": text(where, "category", one.get("category")),
            "type": text(where, "type", one.get("type")),
        }
        if data["id"] != edge_id:
            self.refuse_at(where, "id", f"{data['id']!r} is not the id in the IRI, {edge_id!r}")
        predicate = one.get("predicate")
        if data["type"] is None:
            data["type"] = _TYPE_OF.get(predicate) if type(predicate) is str else None
        if data["category"] is None:
            edge_type = data["type"]
            data["category"] = (
                "role" if edge_type in _ROLES else "relation" if edge_type in _RELATIONS else None
            )
        expected = _PREDICATE_OF.get(data["type"] or "", _FALLBACK)
        if predicate != expected:
            self.refuse_at(where, "predicate", f"an edge of type {data['type']!r} is <{expected}>")
        attributes: dict[str, Any] = {}
        for name in ("title", "origin"):
            found = text(where, name, one.get(name))
            if found is not None:
                attributes[name] = found
        for value in lists.get("attributes", ()):
            part = self.part(where, "attributes", value, group)
            if part is not None:
                names = _distinct(part.get(_NAME, []))
                key = text(where, "attributes", self.one(where, "attributes", names))
                values = _distinct(part.get(_VALUE, []))
                if len(values) != 1:
                    self.refuse_at(where, "attributes", f"{key!r} has {len(values)} values")
                    continue
                attributes[str(key)] = text(where, "attributes", values[0])
        data["attributes"] = attributes
        data["source"] = self.node_id(where, "source", one.get("source"))
        data["target"] = self.node_id(where, "target", one.get("target"))
        data["evidence"] = self.evidence(where, lists.get("evidence"))
        flag = text(where, "analyst_assertion", one.get("analyst_assertion"))
        data["analyst_assertion"] = flag if flag is not None else False
        return Item("edge", {k: v for k, v in data.items() if v is not None}, where)


def _first_lines(subject: Subject, fields: dict[str, str]) -> dict[str, int]:
    props = subject[1]
    lines: dict[str, int] = {}
    for name, predicate in fields.items():
        found = props.get(predicate)
        if found and found[0][1] is not None:
            lines[name] = found[0][1]
    return lines


def _evidence_order(ev: dict[str, Any]) -> tuple[str, int, int]:
    start, end = ev["start"], ev["end"]
    return (
        str(ev["source"]),
        start if isinstance(start, int) else -1,
        end if isinstance(end, int) else -1,
    )


def _lexical(term: Any) -> Any:
    return term[0] if isinstance(term, tuple) else term


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


# -- grouping triples into records, in bounded memory -------------------------------------------

_BATCH = 4096
"""Rows written to the workspace at a time."""
_RECENT_QUOTES = 1 << 16
"""Quotes a reader keeps in memory: as many as geokg's exporter remembers before it describes a
quote cited again a second time (``graph.export.rdf._REMEMBERED``)."""


class _Grouper:
    """Groups triples by record and hands records on in bounded memory (see the module's
    docstring): in memory, then as a window over a grouped stream, or sorted in the workspace."""

    def __init__(self, workspace: Workspace, records: _Records, *, restartable: bool) -> None:
        self.ws = workspace
        self.records = records
        self.restartable = restartable
        self.pending: OrderedDict[str, Group] = OrderedDict()
        self.quote_keys: set[str] = set()  # which pending groups are quotes
        self.held = 0  # triples in pending
        self.mode = "sorted" if workspace.sort else "memory"
        self.recent: OrderedDict[str, Quote] = OrderedDict()
        self.uncited: set[str] = set()
        self.unwritten: list[tuple[str, bytes]] = []
        self.quotes_written = False
        self.emitted: list[tuple[str]] = []
        self.spill: list[tuple[Any, ...]] = []
        self.deferred = 0
        self.open_key: str | None = None
        self.discarded: Props = {}
        records.quote = self.find_quote
        if self.mode == "sorted":
            self.start_sorting()

    # -- reading ------------------------------------------------------------------------------

    def add_chunk(self, chunk: Chunk) -> Iterator[Item]:
        if self.mode == "sorted":
            self.spill_rows(chunk)
            return iter(())
        props: Props
        if chunk.lines is not None:  # a chunk read line by line: blank nodes may be there
            for i, (s, p, oi, ol, suffix) in enumerate(chunk.rows):
                line = chunk.lines[i]
                props = self.subject_props(s, oi, line)
                props.setdefault(p, []).append((oi if oi else (ol, suffix), line))
        else:
            subject_props = self.subject_props
            previous = None
            props = {}
            number = chunk.first - 1
            for s, p, oi, ol, suffix in chunk.rows:
                number += 1
                if s != previous:
                    previous = s
                    props = subject_props(s, oi, number)
                found = props.get(p)
                if found is None:
                    props[p] = [(oi if oi else (ol, suffix), number)]
                else:
                    found.append((oi if oi else (ol, suffix), number))
        self.held += len(chunk.rows)
        if self.discarded:
            self.held -= sum(len(values) for values in self.discarded.values())
            self.discarded.clear()
        if self.held > self.ws.bound:
            return self.overflow()
        self.ws.peak = max(self.ws.peak, self.held)
        return iter(())

    def add_triples(self, triples: Iterable[tuple[Any, Any, Any]]) -> None:
        """Triples parsed by rdflib (no lines, no bound: rdflib holds them all anyway)."""
        for s, p, o in triples:
            subject = _term(s)
            obj = _term(o)
            if isinstance(subject, tuple):  # rdflib gives no literal subjects
                continue
            props = self.subject_props(subject, obj if isinstance(obj, str) else "", None)
            props.setdefault(str(p), []).append((obj, None))

    def subject_props(self, s: str, oi: Any, line: int | None) -> Props:
        """Where the triples of subject ``s`` go (a throwaway dict for refused or ignored ones,
        emptied after each chunk)."""
        if isinstance(s, BlankNode) or isinstance(oi, BlankNode):
            self.records.refuse(line, f"<{s}>", "blank nodes are not part of a geokg export")
            return self.discarded
        found = _key(s)
        if found is None:
            return self.discarded
        key, is_quote = found
        self.open_key = key
        group = self.pending.get(key)
        if group is None:
            group = self.pending[key] = {}
            if is_quote:
                self.quote_keys.add(key)
        subject = group.get(s)
        if subject is None:
            subject = group[s] = (line, {})
        return subject[1]

    def overflow(self) -> Iterator[Item]:
        if self.mode == "memory":
            if not self.restartable:
                self.start_sorting()
                return
            self.mode = "window"
        yield from self.drain(self.ws.bound // 2)
        self.ws.peak = max(self.ws.peak, self.held)

    def drain(self, keep: int) -> Iterator[Item]:
        """Hand on the oldest groups until at most ``keep`` triples are held."""
        pending, quote_keys, records = self.pending, self.quote_keys, self.records
        while self.held > keep and pending:
            if next(iter(pending)) == self.open_key:  # the group being read may go on
                break
            key, group = pending.popitem(last=False)
            held = 0
            for _, props in group.values():
                for values in props.values():
                    held += len(values)
            self.held -= held
            if key in quote_keys:
                quote_keys.discard(key)
                self.remember_quote(key, _quote_of(group[key][1]), cited=False)
                continue
            self.emitted.append((key,))
            if len(self.emitted) >= _BATCH:
                self.check_emitted()
            quotes = self.quotes_of(group)
            if quotes is None:
                self.defer(key, group)
                continue
            records.quote = quotes.get
            item = records.record(key, group)
            records.quote = self.find_quote
            if item is not None:
                yield item

    def quotes_of(self, group: Group) -> dict[str, Quote] | None:
        """The quotes a record cites, if every one of them is known by now."""
        found: dict[str, Quote] = {}
        for _, props in group.values():
            cited = props.get(_DERIVED_FROM)
            if cited:
                for value, _ in cited:
                    if type(value) is str:
                        quote = self.find_quote(value)
                        if quote is None:
                            return None
                        found[value] = quote
        return found

    def check_emitted(self) -> None:
        """Raise :class:`SubjectsNotGroupedError` if a record's subject came back after it was
        read."""
        ws = self.ws
        ws.execute("CREATE TABLE IF NOT EXISTS emitted (key TEXT PRIMARY KEY) WITHOUT ROWID")
        added = ws.insert("emitted", self.emitted, ignore=True)
        if added != len(self.emitted):
            raise SubjectsNotGroupedError
        self.emitted = []

    # -- quotes -------------------------------------------------------------------------------

    def remember_quote(self, iri: str, quote: Quote, *, cited: bool) -> None:
        """Keep a quote read whole among the recent ones; one no record has cited yet goes to
        the workspace when it is forgotten (a cited one is described again if it is cited far
        on, as geokg's exports do, or the stream is read again sorted)."""
        recent = self.recent
        previous = recent.get(iri)
        if previous is not None and previous != quote:
            raise SubjectsNotGroupedError  # described twice, differently: sorting tells
        recent[iri] = quote
        if not cited:
            self.uncited.add(iri)
        if len(recent) > _RECENT_QUOTES:
            old, old_quote = recent.popitem(last=False)
            if old in self.uncited:
                self.uncited.discard(old)
                self.unwritten.append((old, marshal.dumps(old_quote)))
                if len(self.unwritten) >= _BATCH:
                    self.write_quotes()

    def write_quotes(self) -> None:
        ws = self.ws
        if not self.quotes_written:
            ws.execute(
                "CREATE TABLE quotes (iri TEXT PRIMARY KEY, data BLOB NOT NULL,"
                " conflict INTEGER NOT NULL DEFAULT 0)"
            )
            self.quotes_written = True
        ws.conn.executemany(
            "INSERT INTO quotes (iri, data) VALUES (?, ?) ON CONFLICT (iri) DO UPDATE"
            " SET conflict = conflict OR data != excluded.data",
            self.unwritten,
        )
        self.unwritten = []

    def find_quote(self, iri: str) -> Quote | None:
        if iri in self.quote_keys:
            if self.mode != "window":
                return _quote_of(self.pending[iri][iri][1])
            if iri == self.open_key:  # still being read
                return None
            # Read whole (a newer subject came since): the quote leaves the window now.
            props = self.pending.pop(iri)[iri][1]
            self.quote_keys.discard(iri)
            self.held -= sum(len(values) for values in props.values())
            quote = _quote_of(props)
            self.remember_quote(iri, quote, cited=True)
            return quote
        found = self.recent.get(iri)
        if found is not None:
            self.uncited.discard(iri)
            return found
        if self.unwritten:
            self.write_quotes()
        if self.quotes_written:
            row = self.ws.one("SELECT data FROM quotes WHERE iri = ?", (iri,))
            if row is not None:
                stored: Quote = marshal.loads(row[0])
                return stored
        return None

    # -- records waiting for their quotes ------------------------------------------------------

    def defer(self, key: str, group: Group) -> None:
        if not self.deferred:
            self.ws.execute("CREATE TABLE deferred (seq INTEGER PRIMARY KEY, key TEXT, data BLOB)")
        self.deferred += 1
        self.ws.execute(
            "INSERT INTO deferred (key, data) VALUES (?, ?)", (key, marshal.dumps(group))
        )

    # -- sorting in the workspace --------------------------------------------------------------

    def start_sorting(self) -> None:
        self.mode = "sorted"
        self.ws.execute(
            "CREATE TABLE spilled (key TEXT, quote INTEGER, s TEXT, p TEXT, oi TEXT, ol TEXT,"
            " suffix TEXT, line INTEGER)"
        )
        rows = []
        for key, group in self.pending.items():
            quote = int(key in self.quote_keys)
            for s, (_, props) in group.items():
                for p, values in props.items():
                    for o, line in values:
                        oi, ol, suffix = (o, None, None) if isinstance(o, str) else ("", *o)
                        rows.append((key, quote, s, p, oi, ol, suffix, line))
        self.ws.insert("spilled", rows)
        self.pending.clear()
        self.quote_keys.clear()
        self.held = 0

    def spill_rows(self, chunk: Chunk) -> None:
        rows: list[tuple[str, int, str, str, str, str | None, str | None, int]] = []
        previous = None
        key: tuple[str, bool] | None = None
        lines = chunk.lines
        for i, (s, p, oi, ol, suffix) in enumerate(chunk.rows):
            if isinstance(s, BlankNode) or isinstance(oi, BlankNode):
                self.records.refuse(
                    chunk.line(i), f"<{s}>", "blank nodes are not part of a geokg export"
                )
                continue
            if s != previous:
                previous, key = s, _key(s)
            if key is None:
                continue
            line = chunk.first + i if lines is None else lines[i]
            if oi:
                rows.append((key[0], int(key[1]), s, p, oi, None, None, line))
            else:
                rows.append((key[0], int(key[1]), s, p, "", ol, suffix, line))
        self.ws.insert("spilled", rows)

    def sorted_groups(self, quotes: bool) -> Iterator[tuple[str, Group]]:
        """The spilled groups (quotes or records) in the order of their keys."""
        key: str | None = None
        group: Group = {}
        for row in self.ws.rows(
            "SELECT key, s, p, oi, ol, suffix, line FROM spilled WHERE quote = ?"
            " ORDER BY key, rowid",
            (int(quotes),),
        ):
            if row[0] != key:
                if key is not None:
                    yield key, group
                key, group = row[0], {}
            subject = group.get(row[1])
            if subject is None:
                subject = group[row[1]] = (row[6], {})
            o: Term = row[3] if row[3] else (row[4], row[5])
            subject[1].setdefault(row[2], []).append((o, row[6]))
        if key is not None:
            yield key, group

    # -- the end ------------------------------------------------------------------------------

    def finish(self) -> Iterator[Item]:
        if self.mode == "sorted":
            for key, group in self.sorted_groups(quotes=True):
                self.remember_quote(key, _quote_of(group[key][1]), cited=False)
            if self.unwritten:
                self.write_quotes()
            for key, group in self.sorted_groups(quotes=False):
                item = self.records.record(key, group)
                if item is not None:
                    yield item
            return
        if self.mode == "memory":
            for key, group in self.pending.items():
                if key not in self.quote_keys:
                    item = self.records.record(key, group)
                    if item is not None:
                        yield item
            return
        self.open_key = None  # the last group is whole now
        yield from self.drain(-1)
        if self.emitted:
            self.check_emitted()
        if self.unwritten:
            self.write_quotes()
        if self.quotes_written and self.ws.one("SELECT 1 FROM quotes WHERE conflict LIMIT 1"):
            raise SubjectsNotGroupedError
        if self.deferred:
            for key, data in self.ws.rows("SELECT key, data FROM deferred ORDER BY seq"):
                group = marshal.loads(data)
                if self.quotes_of(group) is None:
                    raise SubjectsNotGroupedError  # a quote cited far from where it is told
                item = self.records.record(key, group)
                if item is not None:
                    yield item


def _term(value: Any) -> Term:
    """An rdflib term as the readers hold terms."""
    if isinstance(value, BNode):
        return BlankNode(value)
    if isinstance(value, RdfLiteral):
        if value.language:
            return (str(value), f"@{value.language}")
        return (str(value), f"^^<{value.datatype}>" if value.datatype else "")
    return str(value)


# -- the syntaxes ------------------------------------------------------------------------------


def _lined(stream: IO[bytes], quads: bool, workspace: Workspace | None) -> Iterator[Item]:
    ws = workspace if workspace is not None else Workspace()
    try:
        records = _Records()
        restartable = workspace is not None and workspace.restartable
        grouper = _Grouper(ws, records, restartable=restartable)
        for chunk in statements(stream, quads=quads):
            yield from grouper.add_chunk(chunk)
        yield from grouper.finish()
        if records.problems:
            raise RecordValidationError(records.problems)
    finally:
        if workspace is None:
            ws.close()


def read_ntriples(stream: IO[bytes], workspace: Workspace | None = None) -> Iterator[Item]:
    """Yield the records of an N-Triples export, streamed in bounded memory.

    Examples
    --------
    >>> nt = (b'<https://geokg.example.org/id/kyiv> '
    ...       b'<https://geokg.example.org/ontology#kind> "place" .\\n')
    >>> [item.data["kind"] for item in read_ntriples(io.BytesIO(nt))]
    ['place']
    """
    return _lined(stream, False, workspace)


def read_nquads(stream: IO[bytes], workspace: Workspace | None = None) -> Iterator[Item]:
    """Yield the records of an N-Quads export (named graphs are ignored), streamed."""
    return _lined(stream, True, workspace)


def _graph_items(data: bytes, fmt: str) -> Iterator[Item]:
    graph = Graph()
    try:
        with warnings.catch_warnings():
            for message in _RDFLIB_OWN_DEPRECATIONS:
                warnings.filterwarnings("ignore", message=message, category=DeprecationWarning)
            graph.parse(data=data, format=RDF_FORMATS[fmt])
    except Exception as exc:  # rdflib's parsers raise many types; each means a bad document
        problem = Problem("$", f"not valid {fmt}: {' '.join(str(exc).split())[:300]}")
        raise RecordValidationError([problem]) from None
    records = _Records()
    with Workspace(bound=1 << 62) as ws:
        grouper = _Grouper(ws, records, restartable=False)
        grouper.add_triples(graph)
        del graph
        yield from grouper.finish()
    if records.problems:
        raise RecordValidationError(records.problems)


def read_turtle(stream: IO[bytes], workspace: Workspace | None = None) -> Iterator[Item]:
    """Yield the records of a Turtle export (parsed whole)."""
    return _graph_items(stream.read(), "turtle")


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


def read_jsonld(stream: IO[bytes], workspace: Workspace | None = None) -> Iterator[Item]:
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
    return _graph_items(data, "jsonld")


def read_rdfxml(stream: IO[bytes], workspace: Workspace | None = None) -> Iterator[Item]:
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
    return _graph_items(data, "rdfxml")


RDF_READERS: dict[str, Callable[[IO[bytes], Workspace | None], Iterator[Item]]] = {
    "turtle": read_turtle,
    "ntriples": read_ntriples,
    "jsonld": read_jsonld,
    "rdfxml": read_rdfxml,
    "nquads": read_nquads,
}
"""The RDF readers by format name."""
