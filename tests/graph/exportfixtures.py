"""A small hand-built store that exercises every corner of the exports, and parse helpers."""

from __future__ import annotations

import datetime as dt
import warnings

from rdflib import Dataset, Graph

from graph.dates import resolve_date
from graph.export.rdf import RDF_FORMATS
from graph.formats import export
from graph.model import Edge, Entity, Event, Evidence, Identifier, Quantity, Source
from graph.ontology import EntityKind
from graph.reference import cameo, country_identifiers
from graph.store import GraphStore

SOURCE = "ap-2022-02-15-russia-forces-pulling-back"
SECOND = "second-source"
PUBLISHED = dt.date(2022, 2, 15)
ODD_ID = "Kyiv centre/центр #1"
"""A node id that is no slug: it must be percent-encoded in IRIs, escaped in GraphML."""
ODD_EDGE_ID = "odd edge/1?x=<y>"
TRICKY_QUOTE = 'He said "no" \\ <&> \tthen\r\nleft Київ'
"""Quotes, a backslash, markup, a tab, a Windows line break and non-ASCII text."""

TEXT = (
    "Russia stated Tuesday that some units were returning to base. "
    "Sergey Lavrov, the foreign minister, met Dmytro Kuleba in Kyiv. "
    f"{TRICKY_QUOTE}. "
    "More than 130,000 soldiers and a small number of tanks. "
    "Western officials disputed the claim on the 16th or the 17th. "
    "Kyiv is the capital of Ukraine. "
)
SECOND_TEXT = "Moscow denied it. Lavrov spoke again."


def evidence(quote: str, source: str = SOURCE) -> tuple[Evidence, ...]:
    text = TEXT if source == SOURCE else SECOND_TEXT
    start = text.index(quote)
    return (Evidence(source=source, quote=quote, start=start, end=start + len(quote)),)


def build_export_store() -> GraphStore:
    """Entities of every sort, three kinds of date, parallel and odd edges, two sources."""
    store = GraphStore()
    wikidata = Identifier(scheme="wikidata", value="Q159", origin="test table")
    entities = [
        Entity(
            id="russia",
            kind="state",
            label="Russia",
            aliases=("Moscow", "Russian Federation"),
            identifiers=(*country_identifiers("RU"), wikidata),
            evidence=evidence("Russia stated Tuesday") + evidence("Moscow denied", SECOND),
        ),
        Entity(id="ukraine", kind="state", label="Ukraine", evidence=evidence("Ukraine")),
        Entity(id="kyiv", kind="place", label="Kyiv", evidence=evidence("Kyiv is the capital")),
        Entity(
            id="sergey-lavrov",
            kind="person",
            label="Sergey Lavrov",
            aliases=("Lavrov",),
            description="Russia's foreign minister",
            evidence=evidence("Sergey Lavrov, the foreign minister"),
        ),
        Entity(id="dmytro-kuleba", kind="person", label="Dmytro Kuleba"),
        Entity(
            id="western-officials",
            kind="group",
            label="Western officials",
            unnamed=True,
            evidence=evidence("Western officials"),
        ),
        Entity(id="russian-forces", kind="military_force", label="Russian forces"),
        Entity(id="nato", kind="international_organisation", label="NATO"),
        Entity(id="test-press", kind="media_outlet", label="Test Press"),
        Entity(id="reporter", kind="person", label="A. Reporter"),
        Entity.model_construct(
            id=ODD_ID,
            kind=EntityKind.PLACE,
            label='Centre <of> "Kyiv" & \x01co',
            aliases=(),
            unnamed=False,
            description=None,
            identifiers=(),
            evidence=(),
        ),
    ]
    for entity in entities:
        store.put_node(entity)
    for source_id, title, text in (
        (SOURCE, "Russia Says Some Forces Pulling Back", TEXT),
        (SECOND, "A second report", SECOND_TEXT),
    ):
        store.put_node(
            Source(
                id=source_id,
                label=title,
                publisher="test-press",
                published=PUBLISHED,
                contributors=("reporter",),
                text_file=f"{source_id}.txt",
                text_length=len(text),
                metadata_origin="test metadata",
            )
        )
        store.put_text(source_id, text)
    events = [
        Event(
            id="lavrov-meets-kuleba",
            kind="meeting",
            label="Lavrov meets Kuleba",
            cameo=cameo("036"),
            modality="occurred",
            date=resolve_date("weekday_near_publication", "Tuesday", PUBLISHED),
            place="kyiv",
            quantities=(
                Quantity(
                    value=130000,
                    unit="soldier",
                    qualifier="more_than",
                    measure="count",
                    text="More than 130,000 soldiers",
                    evidence=evidence("More than 130,000 soldiers"),
                ),
                Quantity(
                    value=None,
                    unit="tank",
                    qualifier="small_number",
                    measure="count",
                    text="a small number of tanks",
                    evidence=evidence("a small number of tanks"),
                ),
            ),
            evidence=evidence("met Dmytro Kuleba in Kyiv") + evidence(TRICKY_QUOTE),
        ),
        Event(
            id="officials-dispute",
            kind="statement",
            label="Western officials dispute the pullback",
            cameo=cameo("0311"),
            modality="asserted",
            date=resolve_date("days_of_month", "the 16th or the 17th", PUBLISHED),
            evidence=evidence("Western officials disputed the claim"),
        ),
        Event(
            id="moscow-denial",
            kind="denial",
            label="Moscow denies",
            cameo=cameo("036"),
            modality="denied",
            date=resolve_date("undated", None, PUBLISHED),
            evidence=evidence("Moscow denied it.", SECOND),
        ),
    ]
    for event in events:
        store.put_node(event)
    meeting = evidence("met Dmytro Kuleba in Kyiv")
    edges = [
        Edge(
            id=f"{SOURCE}.published_by.test-press",
            category="relation",
            type="published_by",
            source=SOURCE,
            target="test-press",
            attributes={"origin": "metadata"},
        ),
        Edge(
            id=f"{SOURCE}.contributor.reporter",
            category="relation",
            type="contributor",
            source=SOURCE,
            target="reporter",
            attributes={"origin": "metadata"},
        ),
        Edge(
            id="lavrov-meets-kuleba.actor.sergey-lavrov",
            category="role",
            type="actor",
            source="lavrov-meets-kuleba",
            target="sergey-lavrov",
            evidence=meeting,
        ),
        Edge(
            id="lavrov-meets-kuleba.participant.dmytro-kuleba",
            category="role",
            type="participant",
            source="lavrov-meets-kuleba",
            target="dmytro-kuleba",
            evidence=meeting,
        ),
        Edge(
            id="lavrov-meets-kuleba.place.kyiv",
            category="role",
            type="place",
            source="lavrov-meets-kuleba",
            target="kyiv",
            evidence=meeting,
        ),
        Edge(
            id="officials-dispute.actor.western-officials",
            category="role",
            type="actor",
            source="officials-dispute",
            target="western-officials",
            evidence=evidence("Western officials disputed the claim"),
        ),
        Edge(
            id="moscow-denial.actor.russia",
            category="role",
            type="actor",
            source="moscow-denial",
            target="russia",
            evidence=evidence("Moscow denied it.", SECOND),
        ),
        Edge(
            id="officials-dispute.disputes.moscow-denial",
            category="relation",
            type="disputes",
            source="officials-dispute",
            target="moscow-denial",
            evidence=evidence("Western officials disputed the claim"),
        ),
        # Two parallel edges: one direct triple, two statements, two GraphML edges.
        Edge(
            id="sergey-lavrov.holds_position.russia.foreign-minister",
            category="relation",
            type="holds_position",
            source="sergey-lavrov",
            target="russia",
            attributes={"title": "foreign minister"},
            evidence=evidence("Sergey Lavrov, the foreign minister"),
        ),
        Edge(
            id="sergey-lavrov.holds_position.russia.spokesman",
            category="relation",
            type="holds_position",
            source="sergey-lavrov",
            target="russia",
            attributes={"title": "spokesman", "since": [2004, 2005], "acting": True, "x": None},
            evidence=evidence("Lavrov spoke again.", SECOND),
        ),
        Edge(
            id="kyiv.capital_of.ukraine",
            category="relation",
            type="capital_of",
            source="kyiv",
            target="ukraine",
            evidence=evidence("Kyiv is the capital of Ukraine"),
        ),
        Edge(
            id="russian-forces.part_of.russia",
            category="relation",
            type="part_of",
            source="russian-forces",
            target="russia",
        ),
        Edge.model_construct(
            id=ODD_EDGE_ID,
            category="relation",
            type="located_in",
            source=ODD_ID,
            target="kyiv",
            attributes={},
            evidence=(),
        ),
    ]
    for edge in edges:
        store.put_edge(edge)
    return store


# rdflib 7.6's own parsers call its deprecated ConjunctiveGraph/default_context APIs
# (RDFLib/rdflib#3475); only those messages are silenced, only around parsing.
_RDFLIB_OWN_DEPRECATIONS = (
    "ConjunctiveGraph is deprecated",
    "Dataset.default_context is deprecated",
    "Dataset.contexts is deprecated",
)


def parse_graph(data: bytes, fmt: str) -> Graph:
    """Parse one export (any RDF format) into a plain graph; N-Quads gives the union."""
    if fmt == "nquads":
        union = Graph()
        for s, p, o, _ in parse_dataset(data).quads((None, None, None, None)):
            union.add((s, p, o))
        return union
    graph = Graph()
    with warnings.catch_warnings():
        for message in _RDFLIB_OWN_DEPRECATIONS:
            warnings.filterwarnings("ignore", message=message, category=DeprecationWarning)
        graph.parse(data=data, format=RDF_FORMATS[fmt])
    return graph


def parse_dataset(data: bytes) -> Dataset:
    """Parse an N-Quads export into a dataset."""
    dataset = Dataset()
    with warnings.catch_warnings():
        for message in _RDFLIB_OWN_DEPRECATIONS:
            warnings.filterwarnings("ignore", message=message, category=DeprecationWarning)
        dataset.parse(data=data, format="nquads")
    return dataset


def exported(store: GraphStore, fmt: str, node_ids: set[str] | None = None) -> bytes:
    """The whole export as one byte string."""
    return b"".join(export(store, fmt, node_ids))
