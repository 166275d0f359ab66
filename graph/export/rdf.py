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
  (xsd:integer) and ``geokg:origin``. An event no code fits has no ``sem:eventType`` (so no
  Goldstein score or QuadClass) and says why in ``geokg:cameoNote`` (a string). Dates:
  ``sem:hasTimeStamp`` (the resolved day), ``sem:hasBeginTimeStamp`` / ``sem:hasEndTimeStamp``
  (xsd:date), ``geokg:dateGranularity``, ``geokg:dateRule``, ``geokg:dateExpression`` (the
  article's words), ``geokg:dateNote``.
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
Each edge gives a direct triple ``<source> predicate <target>``, and a statement about it (RDF
reification, lean) at ``…/id/edge/{edge id}``: ``rdf:subject``, ``rdf:predicate`` and
``rdf:object``, the edge's evidence (``prov:wasDerivedFrom``), its attributes and
``geokg:analystAssertion``. Attributes: ``title`` → ``schema:roleName``, ``origin`` →
``geokg:origin``, any other → ``schema:additionalProperty`` (a ``schema:PropertyValue`` with
``schema:name`` and ``schema:value``). The edge id is the end of the statement's IRI
(percent-decoded); its type and category follow from ``rdf:predicate`` (one predicate per type,
and relation types and roles are disjoint), so they are written (``geokg:edgeType``,
``geokg:edgeCategory``) only for an edge whose type has no predicate of its own.

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

Why edges are reified, and leanly
---------------------------------
Traceability is the product: every edge carries its own quotes, and two edges may join the
same nodes with the same predicate (Lavrov holds two positions in Russia, each with its title
and its quote), so each edge needs a resource of its own that says which triple it stands for.
RDF reification does that with three triples that every RDF tool and SPARQL query understands.
The first release also wrote ``rdf:type rdf:Statement`` (implied by ``rdf:subject``'s domain),
the edge id (already in the IRI), its type and its category (already in ``rdf:predicate``):
nine triples for an edge with one quote, where five say everything. Dropping them loses
nothing (:mod:`graph.imports.rdf` derives them, and still reads exports that carry them) and
makes exports a fifth smaller: 19 % fewer triples and 20 % fewer bytes on the seed graph,
22 % and 20 % on a synthetic graph where every event and relation has its own quote. The
alternatives do not fit: RDF-star (RDF 1.2 triple terms) names a *triple*, so parallel edges
with the same predicate would share one annotation and mix their quotes, and rdflib (the
importer's parser, and most notebooks') does not read it; a named graph per edge would clash
with the named graph per source that N-Quads already uses, and Turtle and RDF/XML cannot carry
graphs at all.

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
metadata, and records no quote supports (e.g. a ``published_by`` edge whose publisher the text
does not name). The other formats hold
one graph, the union.

Strings are written verbatim except for characters XML 1.0 cannot carry (C0 controls other than
tab, newline and carriage return, lone surrogates, U+FFFE/U+FFFF), which are dropped in every
format so that all formats hold the same graph.

Writing
-------
Every syntax is a stream (:func:`export_rdf`): each node record is read once, in load order,
with the edges it sends, and turned into blocks of triples whose terms are rendered once, as
N-Triples writes them (:mod:`graph.export._triples` writes the syntaxes); no rdflib term or
graph is built. A node's block holds its direct edge triples too, so Turtle, JSON-LD and
RDF/XML group everything said of a subject in one place. :func:`build_rdf` and
:func:`build_rdf_graph` load the same blocks into rdflib, for notebooks and small graphs.
"""

# RDF terms keep their vocabularies' camelCase names (GEOKG.hasTarget is geokg:hasTarget).
# ruff: noqa: N815

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
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

from graph.dates import DATE_RULES
from graph.errors import UnsupportedFormatError
from graph.export._common import Lookup, check_scope, chunked, source_text, walk
from graph.export._triples import (
    RDF_TYPE,
    Block,
    GraphNames,
    Props,
    Run,
    iri,
    jsonld,
    literal,
    nquads,
    ntriples,
    parse_term,
    rdfxml,
    turtle,
    typed,
)
from graph.model import CameoCode, Edge, Entity, Event, Evidence, Node, Source
from graph.ontology import EntityKind, EventKind, Granularity, Modality, RelationType, Role
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
    cameoNote: URIRef  # Why no CAMEO code fits an event (it then has no sem:eventType).
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


# -- IRIs -------------------------------------------------------------------------------------

# What urllib.parse.quote(..., safe="") leaves as it is: such ids are their own IRI segment.
_PLAIN = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch


def _segment(value: str) -> str:
    return value if _PLAIN(value) else quote(value, safe="")


def node_iri(node_id: str) -> URIRef:
    """Return the IRI of a node; characters outside ``[A-Za-z0-9_.~-]`` are percent-encoded.

    Examples
    --------
    >>> node_iri("russia")
    rdflib.term.URIRef('https://geokg.example.org/id/russia')
    >>> str(node_iri("Kyiv/Київ #1"))
    'https://geokg.example.org/id/Kyiv%2F%D0%9A%D0%B8%D1%97%D0%B2%20%231'
    """
    return URIRef(ID_BASE + _segment(node_id))


def edge_iri(edge_id: str) -> URIRef:
    """Return the IRI of an edge's reified statement.

    Examples
    --------
    >>> str(edge_iri("kyiv.located_in.ukraine"))
    'https://geokg.example.org/id/edge/kyiv.located_in.ukraine'
    """
    return URIRef(EDGE_BASE + _segment(edge_id))


def cameo_iri(code: str) -> URIRef:
    """Return the IRI of a CAMEO code (a SKOS concept); the code keeps its leading zeros.

    Examples
    --------
    >>> str(cameo_iri("036"))
    'https://geokg.example.org/id/cameo/036'
    """
    return URIRef(CAMEO_BASE + _segment(code))


def quote_iri(source_id: str, start: int, end: int) -> URIRef:
    """Return the IRI of a quote: the span of the source text, as an RFC 5147 fragment.

    Examples
    --------
    >>> str(quote_iri("ap-2022-02-15-russia-forces-pulling-back", 59, 80))
    'https://geokg.example.org/id/ap-2022-02-15-russia-forces-pulling-back#char=59,80'
    """
    return URIRef(f"{node_iri(source_id)}#char={start},{end}")


# -- literals (rendered, see graph.export._triples) -------------------------------------------

_DATE = str(XSD.date)
_INTEGER = str(XSD.integer)
_DECIMAL = str(XSD.decimal)
_DOUBLE = str(XSD.double)
_TRUE = typed("true", str(XSD.boolean))
_FALSE = typed("false", str(XSD.boolean))
_DATE_END = f'"^^<{_DATE}>'
_INTEGER_END = f'"^^<{_INTEGER}>'


def _number(value: float) -> str:
    if not math.isfinite(value):
        return typed("NaN" if math.isnan(value) else "INF" if value > 0 else "-INF", _DOUBLE)
    return typed(format(Decimal(repr(value)), "f"), _DECIMAL)


def _values(value: Any) -> list[str]:
    """Literals for an edge attribute value: lists give one literal per item."""
    if value is None:
        return []
    if isinstance(value, bool):
        return [_TRUE if value else _FALSE]
    if isinstance(value, int):
        return [typed(str(value), _INTEGER)]
    if isinstance(value, float):
        return [_number(value)]
    if isinstance(value, str):
        return [literal(value)]
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return [typed(value.isoformat(), _DATE)]
    if isinstance(value, list | tuple | set | frozenset):
        return [lit for item in value for lit in _values(item)]
    return [literal(json.dumps(value, sort_keys=True, default=str))]


# -- the projection ---------------------------------------------------------------------------

# The terms the projection writes, rendered once (blocks hold no rdflib terms).
_ID = iri(DCTERMS.identifier)
_LABEL = iri(RDFS.label)
_ALT_LABEL = iri(SKOS.altLabel)
_KIND = iri(GEOKG.kind)
_UNNAMED = iri(GEOKG.unnamed)
_DESCRIPTION = iri(SDO.description)
_ASSERTED = iri(GEOKG.analystAssertion)
_IDENTIFIER = iri(SDO.identifier)
_PROPERTY_ID = iri(SDO.propertyID)
_VALUE = iri(SDO.value)
_ORIGIN = iri(GEOKG.origin)
_SAME_AS = iri(OWL.sameAs)
_DERIVED_FROM = iri(PROV.wasDerivedFrom)
_TEXT = iri(SDO.text)
_START = iri(GEOKG.startOffset)
_END = iri(GEOKG.endOffset)
_QUOTED_FROM = iri(PROV.wasQuotedFrom)
_MODALITY = iri(GEOKG.modality)
_EVENT_TYPE = iri(SEM.eventType)
_CAMEO_NOTE = iri(GEOKG.cameoNote)
_EVENT_PLACE = iri(GEOKG.eventPlace)
_QUANTITY = iri(GEOKG.quantity)
_UNIT = iri(SDO.unitText)
_QUALIFIER = iri(GEOKG.qualifier)
_MEASURE = iri(GEOKG.measure)
_HEADLINE = iri(SDO.headline)
_PUBLISHED = iri(SDO.datePublished)
_LANGUAGE = iri(SDO.inLanguage)
_URL = iri(SDO.url)
_SUBJECT = iri(RDF.subject)
_PREDICATE = iri(RDF.predicate)
_OBJECT = iri(RDF.object)
_CATEGORY = iri(GEOKG.edgeCategory)
_EDGE_TYPE = iri(GEOKG.edgeType)
_ADDITIONAL = iri(SDO.additionalProperty)
_NAME = iri(SDO.name)
_NOTATION = iri(SKOS.notation)
_PREF_LABEL = iri(SKOS.prefLabel)
_GOLDSTEIN = iri(GEOKG.goldsteinScale)
_QUAD_CLASS = iri(GEOKG.quadClass)
_IS_EVENT = (RDF_TYPE, iri(SEM.Event))
_IS_QUOTATION = (RDF_TYPE, iri(SDO.Quotation))
_IS_PROPERTY_VALUE = (RDF_TYPE, iri(SDO.PropertyValue))
_IS_QUANTITATIVE_VALUE = (RDF_TYPE, iri(SDO.QuantitativeValue))
_IS_CAMEO = [(RDF_TYPE, iri(SKOS.Concept)), (RDF_TYPE, iri(SEM.EventType))]
_TIME_STAMP = iri(SEM.hasTimeStamp)
_BEGIN = iri(SEM.hasBeginTimeStamp)
_END_STAMP = iri(SEM.hasEndTimeStamp)
_GRANULARITY = iri(GEOKG.dateGranularity)
_RULE = iri(GEOKG.dateRule)
_EXPRESSION = iri(GEOKG.dateExpression)
_NOTE = iri(GEOKG.dateNote)
_PREDICATE_OF = {str(name): iri(predicate) for name, predicate in PREDICATES.items()}
_FALLBACK = iri(_FALLBACK_PREDICATE)
# Each edge type's predicate, its rdf:predicate triple, and its category (relation types and
# roles are disjoint).
_EDGE_KINDS = {
    **{
        str(t): (_PREDICATE_OF[t], (_PREDICATE, _PREDICATE_OF[t]), "relation") for t in RelationType
    },
    **{str(r): (_PREDICATE_OF[r], (_PREDICATE, _PREDICATE_OF[r]), "role") for r in Role},
}
_ATTRIBUTE_PREDICATES = {key: iri(predicate) for key, predicate in _EDGE_ATTRIBUTES.items()}
_LINKS = {
    field: (str(edge_type), iri(predicate))
    for field, (edge_type, predicate) in _RECORD_LINKS.items()
}
_ENTITY_TYPES = {
    str(kind): [(RDF_TYPE, iri(cls)) for cls in classes] for kind, classes in ENTITY_CLASSES.items()
}
_SOURCE_TYPES = {
    kind: [(RDF_TYPE, iri(cls)) for cls in classes] for kind, classes in _SOURCE_CLASSES.items()
}
_THING = [(RDF_TYPE, iri(SDO.Thing))]
_CREATIVE_WORK = [(RDF_TYPE, iri(SDO.CreativeWork))]
_UNNAMED_TRUE = (_UNNAMED, _TRUE)
_UNNAMED_FALSE = (_UNNAMED, _FALSE)
# The triples of values from a closed list, rendered once.
_KINDS = {str(k): (_KIND, literal(k)) for k in (*EntityKind, *EventKind, "news_article")}
_MODALITIES = {str(m): (_MODALITY, literal(m)) for m in Modality}
_GRANULARITIES = {str(g): (_GRANULARITY, literal(g)) for g in Granularity}
_RULES = {rule: (_RULE, literal(rule)) for rule in DATE_RULES}
_REMEMBERED = 1 << 16
"""How many quotes (and sources' renderings) an export remembers: about 10 MB at most."""
_NODE = f"<{ID_BASE}"
_EDGE = f"<{EDGE_BASE}"
_CAMEO = f"<{CAMEO_BASE}"
_DEFAULT: GraphNames = (None,)


class _Projection:
    """Turns the records of a store (or of the nodes in ``scope``) into blocks of triples.

    Walks each node once, in load order, with the edges it sends (:func:`walk`), and yields the
    node's blocks as one batch. A node's block holds its own triples and the direct triples of
    its edges; its parts, its edges' statements, new quotes and new CAMEO codes follow as
    blocks of their own, so every subject gets one block. Quotes and CAMEO codes are written
    the first time a record cites them. Memory stays flat: once the projection remembers
    :data:`_REMEMBERED` quotes, it forgets them all before the next batch, so a quote cited
    again by a record far away in load order (never by an event and its role edges, which are
    in one batch) is described a second time, with the very same triples: the graph is the
    same.
    """

    def __init__(self, store: Lookup, scope: set[str] | None) -> None:
        self.store = store
        self.scope = scope
        self.quotes: set[str] = set()
        self.codes: set[str] = set()
        self.sources: dict[str, tuple[str, str, GraphNames]] = {}
        self.marks: dict[int, str] | None = None
        """When set, the blocks of quotes and CAMEO codes a batch describes, by their place
        in the batch: ``q`` and the quote's IRI, ``c`` and the code (for
        :mod:`graph.export.prerendered`)."""

    def batches(self) -> Iterator[list[Block]]:
        assert isinstance(self.store, GraphStore)
        for _, record, out in walk(self.store, self.scope):
            yield self.batch(record, out)

    def batch(self, record: Node, out: list[Edge]) -> list[Block]:
        """The blocks of a node and the edges it sends (``out``, as :func:`walk` gives them)."""
        if len(self.quotes) >= _REMEMBERED:  # between batches: a batch never forgets its own
            self.quotes.clear()
        batch: list[Block] = []
        if isinstance(record, Entity):
            self.entity(record, out, batch)
        elif isinstance(record, Event):
            self.event(record, out, batch)
        else:
            self.source(record, out, batch)
        return batch

    # -- shared pieces ----------------------------------------------------------------------

    def source_graph(self, source_id: str) -> tuple[str, str, GraphNames]:
        """A source's IRI rendered without its closing ``>``, rendered, and as one graph."""
        found = self.sources.get(source_id)
        if found is None:
            open_iri = _NODE + _segment(source_id)
            closed = f"{open_iri}>"
            if len(self.sources) >= _REMEMBERED:
                self.sources.clear()
            found = self.sources[source_id] = (open_iri, closed, (closed,))
        return found

    def graphs(self, evidence: tuple[Evidence, ...]) -> GraphNames:
        """The named graphs of a record: those of the sources it quotes, else the default."""
        if len(evidence) == 1:
            return self.source_graph(evidence[0].source)[2]
        names = tuple(dict.fromkeys(self.source_graph(ev.source)[1] for ev in evidence))
        return names or _DEFAULT

    def evidence(self, evidence: tuple[Evidence, ...], runs: list[Run], batch: list[Block]) -> None:
        """Link a record to its quotes (in ``runs``); blocks for quotes not yet written."""
        for ev in evidence:
            source, source_term, graphs = self.source_graph(ev.source)
            quote_term = f"{source}#char={ev.start},{ev.end}>"
            last = runs[-1]
            if last[0] is graphs:
                last[1].append((_DERIVED_FROM, quote_term))
            else:
                runs.append((graphs, [(_DERIVED_FROM, quote_term)]))
            if quote_term not in self.quotes:
                self.quote(ev, quote_term, source_term, graphs, batch)

    def quote(
        self, ev: Evidence, term: str, source: str, graphs: GraphNames, batch: list[Block]
    ) -> None:
        """The block of a quote, the first time a record cites it."""
        self.quotes.add(term)
        if self.marks is not None:  # the IRI without what every quote's IRI starts with
            self.marks[len(batch)] = f"q{term.removeprefix(_NODE).removesuffix('>')}"
        props: Props = [
            _IS_QUOTATION,
            (_TEXT, literal(ev.quote)),
            (_START, f'"{ev.start}{_INTEGER_END}'),
            (_END, f'"{ev.end}{_INTEGER_END}'),
            (_QUOTED_FROM, source),
        ]
        batch.append((term, [(graphs, props)]))

    def in_export(self, node_id: str) -> bool:
        if self.scope is not None:
            return node_id in self.scope
        return self.store.type_of(node_id) is not None

    def link(self, field: str, target: str, out: list[Edge]) -> str | None:
        """The predicate for a record field naming node ``target``, unless an edge says it."""
        edge_type, predicate = _LINKS[field]
        for edge in out:
            if edge.target == target and edge.type == edge_type:
                return None
        # Looked up only when no edge says it: a pre-rendered block depends on the target
        # only then (see graph.export.prerendered).
        return predicate if self.in_export(target) else None

    def edges(self, s: str, out: list[Edge], runs: list[Run], batch: list[Block]) -> None:
        """The edges a node sends: direct triples (in ``runs``), statements (in ``batch``).

        Parallel edges with one predicate give one direct triple, in the graphs of them all.
        """
        direct: dict[tuple[str, str], GraphNames] = {}
        sources, quotes = self.sources, self.quotes
        subject = (_SUBJECT, s)
        for edge in out:
            target, edge_id = edge.target, edge.id
            o = f"{_NODE}{target if _PLAIN(target) else quote(target, safe='')}>"
            e = f"{_EDGE}{edge_id if _PLAIN(edge_id) else quote(edge_id, safe='')}>"
            kind = _EDGE_KINDS.get(edge.type)
            if kind is not None and edge.category == kind[2]:
                predicate = kind[0]
                props: Props = [subject, kind[1], (_OBJECT, o)]
            else:  # only what the predicate cannot say (never, for a valid edge)
                predicate = _FALLBACK if kind is None else kind[0]
                props = [
                    subject,
                    (_PREDICATE, predicate),
                    (_OBJECT, o),
                    (_CATEGORY, literal(edge.category)),
                    (_EDGE_TYPE, literal(str(edge.type))),
                ]
            if edge.analyst_assertion:
                props.append((_ASSERTED, _TRUE))
            evidence = edge.evidence
            if len(evidence) == 1:  # the common case, inline: one quote, its source's graph
                ev = evidence[0]
                source, source_term, g = sources.get(ev.source) or self.source_graph(ev.source)
                batch.append((e, [(g, props)]))
                if edge.attributes:
                    self.attributes(e, edge.attributes, g, props, batch)
                quote_term = f"{source}#char={ev.start},{ev.end}>"
                props.append((_DERIVED_FROM, quote_term))
                if quote_term not in quotes:
                    self.quote(ev, quote_term, source_term, g, batch)
            else:
                g = self.graphs(evidence) if evidence else _DEFAULT
                statement: list[Run] = [(g, props)]
                batch.append((e, statement))
                if edge.attributes:
                    self.attributes(e, edge.attributes, g, props, batch)
                self.evidence(evidence, statement, batch)
            pair = (predicate, o)  # the direct triple's predicate and object
            found = direct.get(pair)
            if found is None:
                direct[pair] = g
            elif found is not g and found != g:
                direct[pair] = tuple(dict.fromkeys(found + g))
        for pair, g in direct.items():
            last = runs[-1]
            if last[0] is g:
                last[1].append(pair)
            else:
                runs.append((g, [pair]))

    @staticmethod
    def attributes(
        e: str, attributes: dict[str, Any], g: GraphNames, props: Props, batch: list[Block]
    ) -> None:
        for key, value in sorted(attributes.items()):
            literals = _values(value)
            predicate = _ATTRIBUTE_PREDICATES.get(key)
            if predicate is not None:
                props += [(predicate, lit) for lit in literals]
            elif literals:
                a = f"{e[:-1]}#attribute-{quote(key, safe='')}>"
                props.append((_ADDITIONAL, a))
                part: Props = [_IS_PROPERTY_VALUE, (_NAME, literal(key))]
                part += [(_VALUE, lit) for lit in literals]
                batch.append((a, [(g, part)]))

    # -- records ----------------------------------------------------------------------------

    def entity(self, record: Entity, out: list[Edge], batch: list[Block]) -> None:
        s, identified = _node_terms(record.id)
        g = self.graphs(record.evidence) if record.evidence else _DEFAULT
        kind = str(record.kind)
        props: Props = [*_ENTITY_TYPES.get(kind, _THING), identified]
        props.append((_LABEL, literal(record.label)))
        for alias in dict.fromkeys(record.aliases):
            props.append((_ALT_LABEL, literal(alias)))
        props.append(_KINDS.get(kind) or (_KIND, literal(kind)))
        props.append(_UNNAMED_TRUE if record.unnamed else _UNNAMED_FALSE)
        if record.description:
            props.append((_DESCRIPTION, literal(record.description)))
        if record.analyst_assertion:
            props.append((_ASSERTED, _TRUE))
        runs: list[Run] = [(g, props)]
        batch.append((s, runs))
        if record.identifiers:
            links: Props = []
            for i, ident in enumerate(record.identifiers):
                part_iri = f"{s[:-1]}#identifier-{i}>"
                links.append((_IDENTIFIER, part_iri))
                part: Props = [
                    _IS_PROPERTY_VALUE,
                    (_PROPERTY_ID, literal(ident.scheme)),
                    (_VALUE, literal(ident.value)),
                    (_ORIGIN, literal(ident.origin)),
                ]
                batch.append((part_iri, [(_DEFAULT, part)]))
                if ident.scheme == "wikidata" and _QID.match(ident.value):
                    links.append((_SAME_AS, iri(WIKIDATA_ENTITY + ident.value)))
            runs.append((_DEFAULT, links))
        self.evidence(record.evidence, runs, batch)
        if out:
            self.edges(s, out, runs, batch)

    def event(self, record: Event, out: list[Edge], batch: list[Block]) -> None:
        s, identified = _node_terms(record.id)
        g = self.graphs(record.evidence) if record.evidence else _DEFAULT
        code = None if record.cameo is None else record.cameo.code
        kind, modality = str(record.kind), str(record.modality)
        props: Props = [
            _IS_EVENT,
            identified,
            (_LABEL, literal(record.label)),
            _KINDS.get(kind) or (_KIND, literal(kind)),
            _MODALITIES.get(modality) or (_MODALITY, literal(modality)),
        ]
        if code is not None:
            props.append((_EVENT_TYPE, f"{_CAMEO}{_segment(code)}>"))
        if record.cameo_note is not None:
            props.append((_CAMEO_NOTE, literal(record.cameo_note)))
        if record.analyst_assertion:
            props.append((_ASSERTED, _TRUE))
        date = record.date
        if date.value is not None:
            props.append((_TIME_STAMP, f'"{date.value.isoformat()}{_DATE_END}'))
        if date.start is not None:
            props.append((_BEGIN, f'"{date.start.isoformat()}{_DATE_END}'))
        if date.end is not None:
            props.append((_END_STAMP, f'"{date.end.isoformat()}{_DATE_END}'))
        if date.granularity is not None:
            granularity = str(date.granularity)
            props.append(_GRANULARITIES.get(granularity) or (_GRANULARITY, literal(granularity)))
        props.append(_RULES.get(date.rule) or (_RULE, literal(date.rule)))
        if date.expression is not None:
            props.append((_EXPRESSION, literal(date.expression)))
        if date.note is not None:
            props.append((_NOTE, literal(date.note)))
        if record.place is not None:
            place = f"{_NODE}{_segment(record.place)}>"
            props.append((_EVENT_PLACE, place))
            link = self.link("place", record.place, out)
            if link is not None:
                props.append((link, place))
        runs: list[Run] = [(g, props)]
        batch.append((s, runs))
        for i, qty in enumerate(record.quantities):
            q = f"{s[:-1]}#quantity-{i}>"
            qg = self.graphs(qty.evidence) if qty.evidence else g
            runs.append((qg, [(_QUANTITY, q)]))
            part: Props = [_IS_QUANTITATIVE_VALUE]
            if qty.value is not None:
                part.append((_VALUE, _number(qty.value)))
            part.append((_UNIT, literal(qty.unit)))
            part.append((_QUALIFIER, literal(str(qty.qualifier))))
            part.append((_MEASURE, literal(qty.measure)))
            part.append((_LABEL, literal(qty.text)))
            part_runs: list[Run] = [(qg, part)]
            batch.append((q, part_runs))
            self.evidence(qty.evidence, part_runs, batch)
        self.evidence(record.evidence, runs, batch)
        if out:
            self.edges(s, out, runs, batch)
        if record.cameo is not None and record.cameo.code not in self.codes:
            self.codes.add(record.cameo.code)
            if self.marks is not None:
                self.marks[len(batch)] = f"c{record.cameo.code}"
            batch.append(_cameo(record.cameo))

    def source(self, record: Source, out: list[Edge], batch: list[Block]) -> None:
        s = self.source_graph(record.id)[1]
        kind = str(record.kind)
        props: Props = [*_SOURCE_TYPES.get(kind, _CREATIVE_WORK), (_ID, literal(record.id))]
        props.append((_LABEL, literal(record.label)))
        props.append((_HEADLINE, literal(record.label)))
        props.append((_KIND, literal(kind)))
        props.append((_PUBLISHED, typed(record.published.isoformat(), _DATE)))
        props.append((_LANGUAGE, literal(record.language)))
        props.append((_ORIGIN, literal(record.metadata_origin)))
        if record.url is not None:
            props.append((_URL, iri(record.url)))
        text = source_text(self.store, record.id)
        if text is not None:
            props.append((_TEXT, literal(text)))
        links = [("publisher", record.publisher)] if record.publisher else []
        links += [("contributors", c) for c in record.contributors]
        for field, other in dict.fromkeys(links):
            link = self.link(field, other, out)
            if link is not None:
                props.append((link, f"{_NODE}{_segment(other)}>"))
        runs: list[Run] = [(_DEFAULT, props)]
        batch.append((s, runs))
        if out:
            self.edges(s, out, runs, batch)


def _node_terms(node_id: str) -> tuple[str, tuple[str, str]]:
    """A node's IRI, rendered, and its ``dcterms:identifier`` triple."""
    if _PLAIN(node_id):  # a slug, as ids are: its own IRI segment and literal
        return f"{_NODE}{node_id}>", (_ID, f'"{node_id}"')
    return f"{_NODE}{quote(node_id, safe='')}>", (_ID, literal(node_id))


def _cameo(code: CameoCode) -> Block:
    props: Props = [
        *_IS_CAMEO,
        (_NOTATION, literal(code.code)),
        (_PREF_LABEL, literal(code.name)),
    ]
    if code.goldstein is not None:
        props.append((_GOLDSTEIN, _number(code.goldstein)))
    props.append((_QUAD_CLASS, typed(str(code.quad_class), _INTEGER)))
    props.append((_ORIGIN, literal(code.origin)))
    return f"{_CAMEO}{_segment(code.code)}>", [(_DEFAULT, props)]


def _blocks(store: GraphStore, scope: set[str] | None) -> Iterator[list[Block]]:
    return _Projection(store, scope).batches()


# -- output -----------------------------------------------------------------------------------


def _term(term: str) -> URIRef | Literal:
    value, datatype, is_iri = parse_term(term)
    if is_iri:
        return URIRef(value)
    return Literal(value, datatype=None if datatype is None else URIRef(datatype))


def _quads(store: GraphStore, scope: set[str] | None) -> Iterator[tuple[Any, ...]]:
    for subject, runs in (block for batch in _blocks(store, scope) for block in batch):
        s = _term(subject)
        for graphs, props in runs:
            names = tuple(None if name is None else _term(name) for name in graphs)
            for p, o in props:
                yield s, _term(p), _term(o), names


def _bind(graph: Graph) -> None:
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)


def build_rdf(store: GraphStore, node_ids: Iterable[str] | None = None) -> Dataset:
    """Build the RDF dataset of the store: one named graph per source, plus the default graph.

    ``node_ids`` restricts the export to those nodes and the edges between them (e.g. a
    neighbourhood from :func:`graph.queries.reachable`). Raises
    :class:`~graph.errors.NodeNotFoundError` for an id the store does not hold. The dataset is
    held in memory, for notebooks and small graphs: :func:`export_rdf` streams any size.

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


_WRITERS: dict[str, Callable[[Iterable[list[Block]]], Iterator[str]]] = {
    "turtle": lambda blocks: turtle(blocks, PREFIXES),
    "ntriples": ntriples,
    "jsonld": lambda blocks: jsonld(blocks, PREFIXES),
    "rdfxml": lambda blocks: rdfxml(blocks, PREFIXES),
    "nquads": nquads,
}


def export_rdf(
    store: GraphStore, fmt: str, node_ids: Iterable[str] | None = None
) -> Iterator[bytes]:
    """Serialise the store (or the nodes ``node_ids`` and the edges between them) as RDF.

    ``fmt`` is a key of :data:`RDF_FORMATS`. Every syntax is written as a stream, record by
    record, in chunks: the first chunk is ready after a few records and memory stays flat however
    large the graph. Arguments are checked before the first chunk: an unknown format raises
    :class:`~graph.errors.UnsupportedFormatError`, an unknown node id
    :class:`~graph.errors.NodeNotFoundError`. An error while writing is raised from the
    iterator: the document is then incomplete, never silently cut short.

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
    return chunked(_WRITERS[fmt](_blocks(store, scope)))
