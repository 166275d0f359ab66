"""RDF projection of the store: SEM events, schema.org entities, PROV-O evidence.

The graph is a projection of the :class:`~graph.store.GraphStore`, built on demand and never
kept. Standard vocabularies come first; geokg mints a term (in :class:`GEOKG`) only where none
of them has one. :data:`PREDICATES` maps each relation type and role to its predicate: it is the
only place where the model meets an outside ontology.

IRIs
----
========================  ===================================================================
node (entity/event/src)   ``https://geokg.example.org/id/{id}``
edge (as a statement)     ``https://geokg.example.org/id/edge/{edge id}``
CAMEO code                ``https://geokg.example.org/id/cameo/{code}``
quote (evidence)          ``{source IRI}#char={start},{end}`` (an RFC 5147 text fragment)
parts of a record         ``{record IRI}#identifier-{i}``, ``#quantity-{i}``, ``#attribute-{key}``
Wikidata item             ``http://www.wikidata.org/entity/{Q-id}``
geokg terms               ``https://geokg.example.org/ontology#{term}``
========================  ===================================================================

Ids are slugs; anything else in an id is percent-encoded (``urllib.parse.quote(id, safe="")``),
so every IRI is valid whatever the id.

Prefixes: ``sem:`` SEM ``http://semanticweb.cs.vu.nl/2009/11/sem/``, ``schema:`` schema.org,
``prov:`` PROV-O, ``org:`` W3C ORG, ``time:`` OWL-Time, ``skos:``, ``dcterms:``, ``foaf:``,
``owl:``, ``rdfs:``, ``xsd:``, ``geokg:`` our own terms.

Nodes
-----
Every node gets ``dcterms:identifier`` (its id), ``rdfs:label`` and ``geokg:kind`` (its kind as
a string), plus ``rdf:type`` by kind:

=============================  ======================================================
state                          ``schema:Country``, ``sem:Actor``, ``sem:Place``
person                         ``schema:Person``, ``sem:Actor``
group                          ``foaf:Group``, ``sem:Actor``
organisation                   ``schema:Organization``, ``sem:Actor``
international_organisation     ``schema:Organization``, ``geokg:InternationalOrganisation``,
                               ``sem:Actor``
government_body                ``schema:GovernmentOrganization``, ``sem:Actor``
company                        ``schema:Corporation``, ``sem:Actor``
media_outlet                   ``schema:NewsMediaOrganization``, ``sem:Actor``
place                          ``schema:Place``, ``sem:Place``
military_force                 ``geokg:MilitaryForce``, ``sem:Actor``
event (any kind)               ``sem:Event``
news_article (source)          ``schema:NewsArticle``, ``prov:Entity``
=============================  ======================================================

- Entities: ``skos:altLabel`` per alias, ``geokg:unnamed`` (xsd:boolean),
  ``schema:description``; each identifier is a ``schema:PropertyValue`` (``schema:propertyID``
  the scheme, ``schema:value``, ``geokg:origin``) linked by ``schema:identifier``; a Wikidata id
  also gives ``owl:sameAs <http://www.wikidata.org/entity/Q…>``.
- Events: ``geokg:modality``; ``sem:eventType`` the CAMEO code, a ``skos:Concept`` and
  ``sem:EventType`` with ``skos:notation`` (the code as a string: ``"036"``), ``skos:prefLabel``
  (the codebook name), ``geokg:goldsteinScale`` (xsd:decimal), ``geokg:quadClass``
  (xsd:integer) and ``geokg:origin``. Dates: ``sem:hasTimeStamp`` (the resolved day),
  ``sem:hasBeginTimeStamp`` / ``sem:hasEndTimeStamp`` (xsd:date), ``geokg:dateGranularity``,
  ``geokg:dateRule``, ``geokg:dateExpression`` (the article's words), ``geokg:dateNote``.
  ``geokg:eventPlace`` names the event's own ``place`` (a sub-property of ``sem:hasPlace``:
  an event may have further place roles, each its own ``sem:hasPlace`` edge).
  Quantities: ``geokg:quantity`` → a ``schema:QuantitativeValue`` with ``schema:value``
  (xsd:decimal; absent where the text gives no number), ``schema:unitText``,
  ``geokg:qualifier``, ``geokg:measure`` and ``rdfs:label`` (the article's words).
- Sources: ``schema:headline`` (the title), ``schema:datePublished`` (xsd:date),
  ``schema:inLanguage``, ``geokg:origin`` (where the metadata came from), ``schema:url`` (an
  IRI) and ``schema:text`` (the full text every quote points into, so that an import can check
  the quotes again); publisher and contributors come from their edges (``schema:publisher``,
  ``schema:contributor``).
- Entities, events and edge statements an analyst asserts without a quote say
  ``geokg:analystAssertion true`` (xsd:boolean); it is left out when false.

Edges
-----
Each edge gives a direct triple ``<source> predicate <target>`` and an ``rdf:Statement`` (RDF
reification) at ``…/id/edge/{edge id}`` with ``rdf:subject``, ``rdf:predicate``,
``rdf:object``, ``dcterms:identifier`` (the edge id), ``geokg:edgeCategory`` (relation or role)
and ``geokg:edgeType`` (the model's name for the type). Attributes: ``title`` →
``schema:roleName``, ``origin`` → ``geokg:origin``, any other → ``schema:additionalProperty``
(a ``schema:PropertyValue`` with ``schema:name`` and ``schema:value``).

=================  ============================  =================  =========================
relation           predicate                     role               predicate
=================  ============================  =================  =========================
holds_position     ``geokg:holdsPositionIn``     actor              ``sem:hasActor``
head_of            ``org:headOf``                target             ``geokg:hasTarget``
member_of          ``org:memberOf``              participant        ``geokg:hasParticipant``
part_of            ``org:subOrganizationOf``     place              ``sem:hasPlace``
located_in         ``schema:containedInPlace``   reported_by        ``geokg:reportedBy``
capital_of         ``geokg:capitalOf``           according_to       ``geokg:accordingTo``
resident_of        ``schema:homeLocation``
affiliated_with    ``schema:affiliation``
ally_of            ``geokg:allyOf``
critic_of          ``geokg:criticOf``
counterpart_of     ``geokg:counterpartOf``
published_by       ``schema:publisher``
contributor        ``schema:contributor``
responds_to        ``geokg:respondsTo``
disputes           ``geokg:disputes``
follows            ``time:after``
relates_to         ``dcterms:relation``
=================  ============================  =================  =========================

``geokg:hasTarget`` and ``geokg:hasParticipant`` are meant as sub-properties of
``sem:hasActor``; ``geokg:reportedBy`` and ``geokg:accordingTo`` of ``prov:wasAttributedTo``
(the export states data only; it does not assert these axioms). An edge type outside the
ontology falls back to ``dcterms:relation``; its ``geokg:edgeType`` keeps the name.

Evidence
--------
Every quote is a ``schema:Quotation`` with ``schema:text`` (the verbatim quote),
``geokg:startOffset`` / ``geokg:endOffset`` (xsd:integer, Python string offsets into the
source text) and ``prov:wasQuotedFrom`` (a sub-property of ``prov:wasDerivedFrom``) the source
document. Each record it supports (entity, event, quantity or edge statement) points to it with
``prov:wasDerivedFrom``; a quote several records cite is one resource, named by its span.

Named graphs (N-Quads)
----------------------
One named graph per source document, named by the source's IRI. A record's triples (and, for
an edge, its direct triple and statement) go into the graph of every source its evidence
quotes; an evidence item's triples go into its own source's graph. Everything without evidence
goes into the default graph: reference data (identifiers, CAMEO codes), the sources' own
metadata, and records no quote supports (e.g. ``published_by`` edges). The other formats hold
one graph, the union.

Strings are written verbatim except for characters XML 1.0 cannot carry (C0 controls other than
tab, newline and carriage return, lone surrogates, U+FFFE/U+FFFF), which are dropped in every
format so that all formats hold the same graph.
"""

# RDF terms keep their vocabularies' camelCase names (GEOKG.hasTarget is geokg:hasTarget).
# ruff: noqa: N815

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import (
    DCTERMS,
    FOAF,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SDO,
    SKOS,
    TIME,
    XSD,
    DefinedNamespace,
)
from rdflib.term import Node as RdfNode

from graph.errors import UnsupportedFormatError
from graph.export._common import (
    CHUNK,
    check_scope,
    chunked,
    edge_groups,
    nodes,
    source_text,
    xml_safe,
)
from graph.model import CameoCode, Edge, Entity, Event, Evidence, Source
from graph.ontology import EntityKind, RelationType, Role
from graph.store import GraphStore

__all__ = [
    "BASE_IRI",
    "CAMEO_BASE",
    "EDGE_BASE",
    "ENTITY_CLASSES",
    "GEOKG",
    "ID_BASE",
    "ONTOLOGY_BASE",
    "PREDICATES",
    "PREFIXES",
    "RDF_FORMATS",
    "SEM",
    "WIKIDATA_ENTITY",
    "build_rdf",
    "build_rdf_graph",
    "cameo_iri",
    "edge_iri",
    "export_rdf",
    "node_iri",
    "quote_iri",
]

BASE_IRI = "https://geokg.example.org/"
"""Root of every IRI geokg mints."""
ID_BASE = f"{BASE_IRI}id/"
"""Nodes: ``{ID_BASE}{id}``."""
EDGE_BASE = f"{ID_BASE}edge/"
"""Edges, as reified statements: ``{EDGE_BASE}{edge id}``."""
CAMEO_BASE = f"{ID_BASE}cameo/"
"""CAMEO codes, as SKOS concepts: ``{CAMEO_BASE}{code}``."""
ONTOLOGY_BASE = f"{BASE_IRI}ontology#"
"""geokg's own terms (:class:`GEOKG`)."""
WIKIDATA_ENTITY = "http://www.wikidata.org/entity/"
"""Wikidata items: ``{WIKIDATA_ENTITY}Q159``."""

_QID = re.compile(r"^Q[1-9][0-9]*$")
_NT_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


class SEM(DefinedNamespace):
    """The Simple Event Model terms geokg uses (an outside vocabulary, closed for typo safety)."""

    _NS = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")
    _fail = True

    Event: URIRef
    Actor: URIRef
    Place: URIRef
    EventType: URIRef
    hasActor: URIRef
    hasPlace: URIRef
    eventType: URIRef
    hasTimeStamp: URIRef
    hasBeginTimeStamp: URIRef
    hasEndTimeStamp: URIRef


class GEOKG(DefinedNamespace):
    """geokg's own terms: only those SEM, schema.org, PROV-O, ORG, SKOS and OWL-Time lack."""

    _NS = Namespace(ONTOLOGY_BASE)
    _fail = True

    # Classes
    InternationalOrganisation: URIRef  # An organisation of states (schema.org has none).
    MilitaryForce: URIRef  # Armed forces, units or hardware as an actor.

    # Node properties
    kind: URIRef  # The node's kind, as the model names it.
    unnamed: URIRef  # True for actors the article refers to without a name.
    analystAssertion: URIRef  # True for a record an analyst asserts without a quote.
    modality: URIRef  # How the article presents an event: occurred, asserted, denied...
    dateExpression: URIRef  # The article's words for an event's time.
    dateGranularity: URIRef  # day, week or period.
    dateRule: URIRef  # The rule that resolved the expression (graph.dates).
    dateNote: URIRef  # A remark on the resolution.
    eventPlace: URIRef  # The event's own place field (other places are sem:hasPlace roles).
    quantity: URIRef  # An event's quantity (a schema:QuantitativeValue).
    qualifier: URIRef  # How a quantity is hedged: exact, more_than...
    measure: URIRef  # What a quantity counts.
    goldsteinScale: URIRef  # A CAMEO code's Goldstein score.
    quadClass: URIRef  # A CAMEO code's QuadClass (1-4).
    origin: URIRef  # Where a value from outside the article came from.

    # Evidence
    startOffset: URIRef  # Offset of a quote's first character in the source text.
    endOffset: URIRef  # Offset one past a quote's last character.

    # Edge statements
    edgeCategory: URIRef  # relation or role.
    edgeType: URIRef  # The model's name of the edge type.

    # Relation and role predicates with no standard counterpart
    holdsPositionIn: URIRef
    capitalOf: URIRef
    allyOf: URIRef
    criticOf: URIRef
    counterpartOf: URIRef
    respondsTo: URIRef
    disputes: URIRef
    hasTarget: URIRef
    hasParticipant: URIRef
    reportedBy: URIRef
    accordingTo: URIRef


PREDICATES: dict[str, URIRef] = {
    RelationType.HOLDS_POSITION: GEOKG.holdsPositionIn,
    RelationType.HEAD_OF: ORG.headOf,
    RelationType.MEMBER_OF: ORG.memberOf,
    RelationType.PART_OF: ORG.subOrganizationOf,
    RelationType.LOCATED_IN: SDO.containedInPlace,
    RelationType.CAPITAL_OF: GEOKG.capitalOf,
    RelationType.RESIDENT_OF: SDO.homeLocation,
    RelationType.AFFILIATED_WITH: SDO.affiliation,
    RelationType.ALLY_OF: GEOKG.allyOf,
    RelationType.CRITIC_OF: GEOKG.criticOf,
    RelationType.COUNTERPART_OF: GEOKG.counterpartOf,
    RelationType.PUBLISHED_BY: SDO.publisher,
    RelationType.CONTRIBUTOR: SDO.contributor,
    RelationType.RESPONDS_TO: GEOKG.respondsTo,
    RelationType.DISPUTES: GEOKG.disputes,
    RelationType.FOLLOWS: TIME.after,
    RelationType.RELATES_TO: DCTERMS.relation,
    Role.ACTOR: SEM.hasActor,
    Role.TARGET: GEOKG.hasTarget,
    Role.PARTICIPANT: GEOKG.hasParticipant,
    Role.PLACE: SEM.hasPlace,
    Role.REPORTED_BY: GEOKG.reportedBy,
    Role.ACCORDING_TO: GEOKG.accordingTo,
}
"""The predicate of each relation type and role: where the model meets the ontology."""

_FALLBACK_PREDICATE = DCTERMS.relation

ENTITY_CLASSES: dict[str, tuple[URIRef, ...]] = {
    EntityKind.STATE: (SDO.Country, SEM.Actor, SEM.Place),
    EntityKind.PERSON: (SDO.Person, SEM.Actor),
    EntityKind.GROUP: (FOAF.Group, SEM.Actor),
    EntityKind.ORGANISATION: (SDO.Organization, SEM.Actor),
    EntityKind.INTERNATIONAL_ORGANISATION: (
        SDO.Organization,
        GEOKG.InternationalOrganisation,
        SEM.Actor,
    ),
    EntityKind.GOVERNMENT_BODY: (SDO.GovernmentOrganization, SEM.Actor),
    EntityKind.COMPANY: (SDO.Corporation, SEM.Actor),
    EntityKind.MEDIA_OUTLET: (SDO.NewsMediaOrganization, SEM.Actor),
    EntityKind.PLACE: (SDO.Place, SEM.Place),
    EntityKind.MILITARY_FORCE: (GEOKG.MilitaryForce, SEM.Actor),
}
"""The ``rdf:type`` of an entity, by kind."""

_SOURCE_CLASSES: dict[str, tuple[URIRef, ...]] = {"news_article": (SDO.NewsArticle, PROV.Entity)}

_EDGE_ATTRIBUTES: dict[str, URIRef] = {"title": SDO.roleName, "origin": GEOKG.origin}

# Record fields that duplicate an edge: written from the record only when no such edge exists.
_RECORD_LINKS = {
    "place": (Role.PLACE, SEM.hasPlace),
    "publisher": (RelationType.PUBLISHED_BY, SDO.publisher),
    "contributors": (RelationType.CONTRIBUTOR, SDO.contributor),
}

PREFIXES: dict[str, str] = {
    "geokg": ONTOLOGY_BASE,
    "sem": str(SEM),
    "schema": str(SDO),
    "prov": str(PROV),
    "org": str(ORG),
    "time": str(TIME),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "foaf": str(FOAF),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "wd": WIKIDATA_ENTITY,
    "id": ID_BASE,
    "edge": EDGE_BASE,
    "cameo": CAMEO_BASE,
}


RDF_FORMATS: dict[str, str] = {
    "turtle": "turtle",
    "ntriples": "nt",
    "jsonld": "json-ld",
    "rdfxml": "xml",
    "nquads": "nquads",
}
"""The RDF syntaxes geokg writes: rdflib's plugin name for each geokg name. Media types and file
extensions are in the format registry (:data:`graph.formats.FORMATS`)."""

GraphName = URIRef | None
"""A named graph (a source document's IRI), or ``None`` for the default graph."""
Quad = tuple[URIRef, URIRef, RdfNode, tuple[GraphName, ...]]


# -- IRIs -------------------------------------------------------------------------------------


def node_iri(node_id: str) -> URIRef:
    """Return the IRI of a node; characters outside ``[A-Za-z0-9_.~-]`` are percent-encoded.

    Examples
    --------
    >>> node_iri("russia")
    rdflib.term.URIRef('https://geokg.example.org/id/russia')
    >>> str(node_iri("Kyiv/Київ #1"))
    'https://geokg.example.org/id/Kyiv%2F%D0%9A%D0%B8%D1%97%D0%B2%20%231'
    """
    return URIRef(ID_BASE + quote(node_id, safe=""))


def edge_iri(edge_id: str) -> URIRef:
    """Return the IRI of an edge's reified statement.

    Examples
    --------
    >>> str(edge_iri("kyiv.located_in.ukraine"))
    'https://geokg.example.org/id/edge/kyiv.located_in.ukraine'
    """
    return URIRef(EDGE_BASE + quote(edge_id, safe=""))


def cameo_iri(code: str) -> URIRef:
    """Return the IRI of a CAMEO code (a SKOS concept); the code keeps its leading zeros.

    Examples
    --------
    >>> str(cameo_iri("036"))
    'https://geokg.example.org/id/cameo/036'
    """
    return URIRef(CAMEO_BASE + quote(code, safe=""))


# -- literals ---------------------------------------------------------------------------------


def _text(value: str) -> Literal:
    # Characters XML 1.0 cannot carry are dropped everywhere so that RDF/XML holds the same graph.
    return Literal(xml_safe(value))


def _date(value: dt.date) -> Literal:
    return Literal(value.isoformat(), datatype=XSD.date)


def _integer(value: int) -> Literal:
    return Literal(str(value), datatype=XSD.integer)


def _number(value: float) -> Literal:
    if not math.isfinite(value):
        return Literal(
            "NaN" if math.isnan(value) else "INF" if value > 0 else "-INF", datatype=XSD.double
        )
    return Literal(format(Decimal(repr(value)), "f"), datatype=XSD.decimal)


def _boolean(value: bool) -> Literal:
    return Literal("true" if value else "false", datatype=XSD.boolean)


def _values(value: Any) -> list[Literal]:
    """Literals for an edge attribute value: lists give one literal per item."""
    if value is None:
        return []
    if isinstance(value, bool):
        return [_boolean(value)]
    if isinstance(value, int):
        return [_integer(value)]
    if isinstance(value, float):
        return [_number(value)]
    if isinstance(value, str):
        return [_text(value)]
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return [_date(value)]
    if isinstance(value, list | tuple | set | frozenset):
        return [lit for item in value for lit in _values(item)]
    return [_text(json.dumps(value, sort_keys=True, default=str))]


# -- the projection ---------------------------------------------------------------------------


def _graphs(evidence: Iterable[Evidence]) -> tuple[GraphName, ...]:
    names = tuple(dict.fromkeys(node_iri(ev.source) for ev in evidence))
    return names or (None,)


def quote_iri(source_id: str, start: int, end: int) -> URIRef:
    """Return the IRI of a quote: the span of the source text, as an RFC 5147 fragment.

    Examples
    --------
    >>> str(quote_iri("ap-2022-02-15-russia-forces-pulling-back", 59, 80))
    'https://geokg.example.org/id/ap-2022-02-15-russia-forces-pulling-back#char=59,80'
    """
    return URIRef(f"{node_iri(source_id)}#char={start},{end}")


class _Projection:
    """Makes the quads of a store (or of the nodes in ``scope``), each triple exactly once.

    Shared resources (quotes, CAMEO codes) are written the first time a record cites them;
    the sets that remember them grow with the number of distinct quotes, not of records.
    """

    def __init__(self, store: GraphStore, scope: set[str] | None) -> None:
        self.store = store
        self.scope = scope
        self.quotes: set[tuple[str, int, int]] = set()
        self.codes: set[str] = set()

    def quads(self) -> Iterator[Quad]:
        for _, record in nodes(self.store, self.scope):
            if isinstance(record, Entity):
                yield from self.entity(record)
            elif isinstance(record, Event):
                yield from self.event(record)
            else:
                yield from self.source(record)
        for edges in edge_groups(self.store, self.scope):
            yield from self.edges(edges)

    def evidence(self, owner: URIRef, evidence: tuple[Evidence, ...]) -> Iterator[Quad]:
        for ev in evidence:
            iri = quote_iri(ev.source, ev.start, ev.end)
            source = node_iri(ev.source)
            where: tuple[GraphName, ...] = (source,)
            yield owner, PROV.wasDerivedFrom, iri, where
            key = (ev.source, ev.start, ev.end)
            if key in self.quotes:
                continue
            self.quotes.add(key)
            yield iri, RDF.type, SDO.Quotation, where
            yield iri, SDO.text, _text(ev.quote), where
            yield iri, GEOKG.startOffset, _integer(ev.start), where
            yield iri, GEOKG.endOffset, _integer(ev.end), where
            yield iri, PROV.wasQuotedFrom, source, where

    def link(self, u: str, v: str, field: str) -> URIRef | None:
        """The predicate for a record field naming node ``v``, unless an edge already says it."""
        edge_type, predicate = _RECORD_LINKS[field]
        if v not in self.store or (self.scope is not None and v not in self.scope):
            return None
        edges = self.store.edges_between(u, v)
        return None if any(e.type == edge_type for e in edges) else predicate

    def entity(self, record: Entity) -> Iterator[Quad]:
        s = node_iri(record.id)
        g = _graphs(record.evidence)
        kind = str(record.kind)
        yield s, DCTERMS.identifier, _text(record.id), g
        for cls in ENTITY_CLASSES.get(kind, (SDO.Thing,)):
            yield s, RDF.type, cls, g
        yield s, RDFS.label, _text(record.label), g
        for alias in dict.fromkeys(record.aliases):
            yield s, SKOS.altLabel, _text(alias), g
        yield s, GEOKG.kind, _text(kind), g
        yield s, GEOKG.unnamed, _boolean(record.unnamed), g
        if record.description:
            yield s, SDO.description, _text(record.description), g
        if record.analyst_assertion:
            yield s, GEOKG.analystAssertion, _boolean(True), g
        reference: tuple[GraphName, ...] = (None,)
        for i, ident in enumerate(record.identifiers):
            iri = URIRef(f"{s}#identifier-{i}")
            yield s, SDO.identifier, iri, reference
            yield iri, RDF.type, SDO.PropertyValue, reference
            yield iri, SDO.propertyID, _text(ident.scheme), reference
            yield iri, SDO.value, _text(ident.value), reference
            yield iri, GEOKG.origin, _text(ident.origin), reference
            if ident.scheme == "wikidata" and _QID.match(ident.value):
                yield s, OWL.sameAs, URIRef(WIKIDATA_ENTITY + ident.value), reference
        yield from self.evidence(s, record.evidence)

    def event(self, record: Event) -> Iterator[Quad]:
        s = node_iri(record.id)
        g = _graphs(record.evidence)
        yield s, DCTERMS.identifier, _text(record.id), g
        yield s, RDF.type, SEM.Event, g
        yield s, RDFS.label, _text(record.label), g
        yield s, GEOKG.kind, _text(str(record.kind)), g
        yield s, GEOKG.modality, _text(str(record.modality)), g
        yield s, SEM.eventType, cameo_iri(record.cameo.code), g
        if record.analyst_assertion:
            yield s, GEOKG.analystAssertion, _boolean(True), g
        date = record.date
        for predicate, day in (
            (SEM.hasTimeStamp, date.value),
            (SEM.hasBeginTimeStamp, date.start),
            (SEM.hasEndTimeStamp, date.end),
        ):
            if day is not None:
                yield s, predicate, _date(day), g
        for predicate, text in (
            (GEOKG.dateGranularity, date.granularity),
            (GEOKG.dateRule, date.rule),
            (GEOKG.dateExpression, date.expression),
            (GEOKG.dateNote, date.note),
        ):
            if text is not None:
                yield s, predicate, _text(str(text)), g
        if record.place is not None:
            yield s, GEOKG.eventPlace, node_iri(record.place), g
            link = self.link(record.id, record.place, "place")
            if link is not None:
                yield s, link, node_iri(record.place), g
        for i, qty in enumerate(record.quantities):
            q = URIRef(f"{s}#quantity-{i}")
            qg = _graphs(qty.evidence) if qty.evidence else g
            yield s, GEOKG.quantity, q, qg
            yield q, RDF.type, SDO.QuantitativeValue, qg
            if qty.value is not None:
                yield q, SDO.value, _number(qty.value), qg
            yield q, SDO.unitText, _text(qty.unit), qg
            yield q, GEOKG.qualifier, _text(str(qty.qualifier)), qg
            yield q, GEOKG.measure, _text(qty.measure), qg
            yield q, RDFS.label, _text(qty.text), qg
            yield from self.evidence(q, qty.evidence)
        yield from self.evidence(s, record.evidence)
        if record.cameo.code not in self.codes:
            self.codes.add(record.cameo.code)
            yield from _cameo(record.cameo)

    def source(self, record: Source) -> Iterator[Quad]:
        s = node_iri(record.id)
        g: tuple[GraphName, ...] = (None,)
        kind = str(record.kind)
        yield s, DCTERMS.identifier, _text(record.id), g
        for cls in _SOURCE_CLASSES.get(kind, (SDO.CreativeWork,)):
            yield s, RDF.type, cls, g
        yield s, RDFS.label, _text(record.label), g
        yield s, SDO.headline, _text(record.label), g
        yield s, GEOKG.kind, _text(kind), g
        yield s, SDO.datePublished, _date(record.published), g
        yield s, SDO.inLanguage, _text(record.language), g
        yield s, GEOKG.origin, _text(record.metadata_origin), g
        if record.url is not None:
            yield s, SDO.url, URIRef(record.url), g
        text = source_text(self.store, record.id)
        if text is not None:
            yield s, SDO.text, _text(text), g
        links = [("publisher", record.publisher)] if record.publisher else []
        links += [("contributors", c) for c in record.contributors]
        for field, other in dict.fromkeys(links):
            link = self.link(record.id, other, field)
            if link is not None:
                yield s, link, node_iri(other), g

    def edges(self, edges: list[Edge]) -> Iterator[Quad]:
        """The quads of all edges from one node to another (their direct triples may coincide)."""
        direct: dict[URIRef, dict[GraphName, None]] = {}
        for edge in edges:
            graphs = direct.setdefault(PREDICATES.get(edge.type, _FALLBACK_PREDICATE), {})
            graphs.update(dict.fromkeys(_graphs(edge.evidence)))
        s, o = node_iri(edges[0].source), node_iri(edges[0].target)
        for predicate, graphs in direct.items():
            yield s, predicate, o, tuple(graphs)
        for edge in edges:
            yield from self.statement(edge, s, o)

    def statement(self, edge: Edge, s: URIRef, o: URIRef) -> Iterator[Quad]:
        e = edge_iri(edge.id)
        g = _graphs(edge.evidence)
        yield e, RDF.type, RDF.Statement, g
        yield e, RDF.subject, s, g
        yield e, RDF.predicate, PREDICATES.get(edge.type, _FALLBACK_PREDICATE), g
        yield e, RDF.object, o, g
        yield e, DCTERMS.identifier, _text(edge.id), g
        yield e, GEOKG.edgeCategory, _text(edge.category), g
        yield e, GEOKG.edgeType, _text(str(edge.type)), g
        if edge.analyst_assertion:
            yield e, GEOKG.analystAssertion, _boolean(True), g
        for key, value in sorted(edge.attributes.items()):
            literals = _values(value)
            if key in _EDGE_ATTRIBUTES:
                for lit in literals:
                    yield e, _EDGE_ATTRIBUTES[key], lit, g
                continue
            if not literals:
                continue
            a = URIRef(f"{e}#attribute-{quote(key, safe='')}")
            yield e, SDO.additionalProperty, a, g
            yield a, RDF.type, SDO.PropertyValue, g
            yield a, SDO.name, _text(key), g
            for lit in literals:
                yield a, SDO.value, lit, g
        yield from self.evidence(e, edge.evidence)


def _cameo(code: CameoCode) -> Iterator[Quad]:
    c = cameo_iri(code.code)
    g: tuple[GraphName, ...] = (None,)
    yield c, RDF.type, SKOS.Concept, g
    yield c, RDF.type, SEM.EventType, g
    yield c, SKOS.notation, _text(code.code), g
    yield c, SKOS.prefLabel, _text(code.name), g
    if code.goldstein is not None:
        yield c, GEOKG.goldsteinScale, _number(code.goldstein), g
    yield c, GEOKG.quadClass, _integer(code.quad_class), g
    yield c, GEOKG.origin, _text(code.origin), g


def _quads(store: GraphStore, scope: set[str] | None) -> Iterator[Quad]:
    return _Projection(store, scope).quads()


# -- output -----------------------------------------------------------------------------------


def _nt_term(term: RdfNode) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        text = f'"{str(term).translate(_NT_ESCAPES)}"'
        if term.language:
            return f"{text}@{term.language}"
        if term.datatype is not None and term.datatype != XSD.string:
            return f"{text}^^<{term.datatype}>"
        return text
    raise TypeError(f"geokg writes no blank nodes; got {term!r}")


def _nt_lines(scope_quads: Iterator[Quad], *, named: bool) -> Iterator[str]:
    for s, p, o, graphs in scope_quads:
        triple = f"{_nt_term(s)} {_nt_term(p)} {_nt_term(o)}"
        if not named:
            yield f"{triple} .\n"
            continue
        for name in graphs:
            yield f"{triple} .\n" if name is None else f"{triple} <{name}> .\n"


def _bind(graph: Graph) -> None:
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)


def build_rdf(store: GraphStore, node_ids: Iterable[str] | None = None) -> Dataset:
    """Build the RDF dataset of the store: one named graph per source, plus the default graph.

    ``node_ids`` restricts the export to those nodes and the edges between them (e.g. a
    neighbourhood from :func:`graph.queries.reachable`). Raises
    :class:`~graph.errors.NodeNotFoundError` for an id the store does not hold.

    Examples
    --------
    >>> from graph.model import Entity
    >>> store = GraphStore()
    >>> store.put_node(Entity(id="kyiv", kind="place", label="Kyiv"))
    >>> ds = build_rdf(store)
    >>> len(ds.default_graph)
    6
    >>> from rdflib.namespace import RDFS
    >>> str(ds.default_graph.value(node_iri("kyiv"), RDFS.label))
    'Kyiv'
    """
    scope = check_scope(store, node_ids)
    dataset = Dataset()
    _bind(dataset)
    named: dict[URIRef, Graph] = {}
    for s, p, o, graphs in _quads(store, scope):
        for name in graphs:
            if name is None:
                target = dataset.default_graph
            else:
                target = named.get(name) or named.setdefault(name, dataset.graph(name))
            target.add((s, p, o))
    return dataset


def build_rdf_graph(store: GraphStore, node_ids: Iterable[str] | None = None) -> Graph:
    """Build the union of :func:`build_rdf`'s graphs as one :class:`rdflib.Graph`.

    Examples
    --------
    >>> from graph.model import Entity
    >>> store = GraphStore()
    >>> store.put_node(Entity(id="kyiv", kind="place", label="Kyiv"))
    >>> len(build_rdf_graph(store))
    6
    """
    graph = Graph(bind_namespaces="core")
    _bind(graph)
    for s, p, o, _ in _quads(store, check_scope(store, node_ids)):
        graph.add((s, p, o))
    return graph


def export_rdf(
    store: GraphStore, fmt: str, node_ids: Iterable[str] | None = None
) -> Iterator[bytes]:
    """Serialise the store (or the nodes ``node_ids`` and the edges between them) as RDF.

    ``fmt`` is a key of :data:`RDF_FORMATS`. N-Triples and N-Quads are written as the triples
    are made, in chunks, so memory stays flat however large the graph. Turtle, JSON-LD and
    RDF/XML build an in-memory rdflib graph first (a known limit for very large graphs; use
    N-Triples or N-Quads there). Arguments are checked before the first chunk: an unknown
    format raises :class:`~graph.errors.UnsupportedFormatError`, an unknown node id
    :class:`~graph.errors.NodeNotFoundError`.

    Examples
    --------
    >>> from graph.model import Entity
    >>> store = GraphStore()
    >>> store.put_node(Entity(id="kyiv", kind="place", label="Kyiv"))
    >>> nt = b"".join(export_rdf(store, "ntriples")).decode()
    >>> print(next(line for line in nt.splitlines() if "label" in line))
    <https://geokg.example.org/id/kyiv> <http://www.w3.org/2000/01/rdf-schema#label> "Kyiv" .
    """
    if fmt not in RDF_FORMATS:
        raise UnsupportedFormatError(fmt, list(RDF_FORMATS))
    scope = check_scope(store, node_ids)
    if fmt in ("ntriples", "nquads"):
        return chunked(_nt_lines(_quads(store, scope), named=fmt == "nquads"))
    return _serialised(store, scope, RDF_FORMATS[fmt])


def _serialised(store: GraphStore, scope: set[str] | None, rdflib_name: str) -> Iterator[bytes]:
    graph = build_rdf_graph(store, scope)
    options: dict[str, Any] = {}
    if rdflib_name == "json-ld":
        options["context"] = {prefix: ns for prefix, ns in PREFIXES.items()}
    data = graph.serialize(format=rdflib_name, encoding="utf-8", **options)
    for start in range(0, len(data), CHUNK):
        yield data[start : start + CHUNK]
