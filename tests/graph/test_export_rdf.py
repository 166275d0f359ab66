"""RDF export: round trips through rdflib, the vocabulary mapping, named graphs, IRIs.

Also the format registry, :mod:`graph.formats`.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from urllib.parse import unquote

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SDO, SKOS, XSD

from graph.errors import NodeNotFoundError, UnsupportedFormatError
from graph.export.rdf import (
    ENTITY_CLASSES,
    GEOKG,
    ID_BASE,
    PREDICATES,
    RDF_FORMATS,
    SEM,
    build_rdf,
    build_rdf_graph,
    cameo_iri,
    edge_iri,
    export_rdf,
    node_iri,
    quote_iri,
)
from graph.formats import FORMATS, export, get_format
from graph.model import Edge, Entity, Event, EventDate, Source
from graph.ontology import EntityKind, RelationType, Role
from graph.queries import reachable
from graph.store import GraphStore
from tests.graph.exportfixtures import (
    ODD_EDGE_ID,
    ODD_ID,
    SECOND,
    SOURCE,
    TRICKY_QUOTE,
    build_export_store,
    exported,
    parse_dataset,
    parse_graph,
)

RDF_NAMES = list(RDF_FORMATS)
# Characters an IRI may hold once percent-encoded (RFC 3987 restricted to ASCII).
IRI = re.compile(r"^https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")


@pytest.fixture(scope="module")
def store() -> GraphStore:
    return build_export_store()


@pytest.fixture(scope="module")
def reference(store: GraphStore) -> Graph:
    return build_rdf_graph(store)


@pytest.fixture(scope="module", params=RDF_NAMES)
def parsed(request: pytest.FixtureRequest, store: GraphStore) -> tuple[str, Graph]:
    fmt: str = request.param
    return fmt, parse_graph(exported(store, fmt), fmt)


# -- the mapping ------------------------------------------------------------------------------


def test_every_relation_type_and_role_has_a_predicate() -> None:
    assert set(PREDICATES) == {*RelationType, *Role}
    assert len(set(PREDICATES.values())) == len(PREDICATES), "two types share a predicate"


def test_every_entity_kind_has_rdf_types() -> None:
    assert set(ENTITY_CLASSES) == set(EntityKind)
    assert all(ENTITY_CLASSES.values())


def test_misspelt_terms_raise() -> None:
    with pytest.raises(AttributeError):
        _ = GEOKG.hasTargett
    with pytest.raises(AttributeError):
        _ = SEM.hasActors


# -- round trips ------------------------------------------------------------------------------


def test_rdf_formats_are_isomorphic(parsed: tuple[str, Graph], reference: Graph) -> None:
    fmt, graph = parsed
    assert len(graph) == len(reference), fmt
    assert isomorphic(graph, reference), fmt


@pytest.mark.parametrize("store_name", ["mini_store", "seed_store"])
def test_seed_graphs_are_isomorphic_in_every_format(
    request: pytest.FixtureRequest, store_name: str
) -> None:
    seeded: GraphStore = request.getfixturevalue(store_name)
    reference = build_rdf_graph(seeded)
    for fmt in RDF_NAMES:
        graph = parse_graph(exported(seeded, fmt), fmt)
        assert len(graph) == len(reference), fmt
        assert isomorphic(graph, reference), fmt


@pytest.mark.parametrize("fmt", ["ntriples", "nquads"])
def test_line_formats_write_each_quad_once(store: GraphStore, fmt: str) -> None:
    lines = exported(store, fmt).decode().splitlines()
    assert len(lines) == len(set(lines))
    if fmt == "ntriples":
        assert len(lines) == len(build_rdf_graph(store))


def test_streaming_formats_come_in_several_chunks() -> None:
    store = build_export_store()
    for i in range(400):
        store.put_node(Entity(id=f"filler-{i}", kind="person", label=f"Filler {i}" * 5))
    for fmt in ["ntriples", "nquads"]:
        chunks = list(export_rdf(store, fmt))
        assert len(chunks) > 1 and all(isinstance(c, bytes) for c in chunks)


# -- named graphs -----------------------------------------------------------------------------


def test_nquads_has_one_named_graph_per_source(store: GraphStore) -> None:
    dataset = parse_dataset(exported(store, "nquads"))
    named = {
        g.identifier for g in dataset.graphs() if g.identifier != dataset.default_graph.identifier
    }
    assert named == {node_iri(SOURCE), node_iri(SECOND)}
    assert len(dataset.default_graph) > 0


def test_build_rdf_equals_the_nquads_export(store: GraphStore) -> None:
    built = set(build_rdf(store).quads((None, None, None, None)))
    parsed = set(parse_dataset(exported(store, "nquads")).quads((None, None, None, None)))
    assert built == parsed


def test_triples_go_to_the_graphs_of_their_evidence(store: GraphStore) -> None:
    dataset = parse_dataset(exported(store, "nquads"))
    first, second = dataset.graph(node_iri(SOURCE)), dataset.graph(node_iri(SECOND))
    default = dataset.default_graph
    russia = node_iri("russia")
    # Russia is quoted in both sources: its description is in both graphs.
    assert (russia, RDFS.label, Literal("Russia")) in first
    assert (russia, RDFS.label, Literal("Russia")) in second
    assert (russia, RDFS.label, Literal("Russia")) not in default
    # Reference data and the sources' metadata are in the default graph.
    assert (russia, OWL.sameAs, URIRef("http://www.wikidata.org/entity/Q159")) in default
    assert (node_iri(SOURCE), SDO.datePublished, Literal("2022-02-15", datatype=XSD.date)) in (
        default
    )
    assert (cameo_iri("036"), SKOS.notation, Literal("036")) in default
    # Parallel edges quoted in different sources: one direct triple, in both graphs.
    holds = (node_iri("sergey-lavrov"), GEOKG.holdsPositionIn, russia)
    assert holds in first and holds in second
    # An edge without evidence is in the default graph, with its statement.
    part_of = (node_iri("russian-forces"), PREDICATES["part_of"], russia)
    assert part_of in default
    assert (edge_iri("russian-forces.part_of.russia"), RDF.subject, part_of[0]) in default
    # A quote lives in its own source's graph.
    assert not any(default.triples((None, RDF.type, SDO.Quotation)))
    assert any(second.triples((None, SDO.text, Literal("Moscow denied it."))))


def test_quotes_and_links_to_them_live_in_the_quoted_source_graph(store: GraphStore) -> None:
    dataset = parse_dataset(exported(store, "nquads"))
    quads = list(dataset.quads((None, None, None, None)))
    sources = {node_iri(SOURCE), node_iri(SECOND)}
    quoting = [(s, o, g) for s, p, o, g in quads if p == PROV.wasDerivedFrom]
    assert quoting
    for s, quote, graph in quoting:
        assert graph in sources and str(quote).startswith(f"{graph}#char="), (s, quote, graph)
    for s, _, _, graph in quads:
        if "#char=" in str(s):
            assert str(s).startswith(f"{graph}#char=")


# -- values -----------------------------------------------------------------------------------


def test_dates_are_xsd_date_literals(parsed: tuple[str, Graph]) -> None:
    _, graph = parsed
    meeting, dispute = node_iri("lavrov-meets-kuleba"), node_iri("officials-dispute")
    stamp = graph.value(meeting, SEM.hasTimeStamp)
    assert isinstance(stamp, Literal) and stamp.datatype == XSD.date
    assert stamp.toPython() == dt.date(2022, 2, 15)
    assert graph.value(meeting, GEOKG.dateExpression) == Literal("Tuesday")
    assert graph.value(meeting, GEOKG.dateGranularity) == Literal("day")
    assert graph.value(dispute, SEM.hasBeginTimeStamp) == Literal("2022-02-16", datatype=XSD.date)
    assert graph.value(dispute, SEM.hasEndTimeStamp) == Literal("2022-02-17", datatype=XSD.date)
    undated = node_iri("moscow-denial")
    assert graph.value(undated, SEM.hasTimeStamp) is None
    assert graph.value(undated, GEOKG.dateRule) == Literal("undated")


def test_cameo_code_keeps_leading_zeros_and_scores(parsed: tuple[str, Graph]) -> None:
    _, graph = parsed
    code = graph.value(node_iri("lavrov-meets-kuleba"), SEM.eventType)
    assert code == cameo_iri("036")
    assert graph.value(code, SKOS.notation) == Literal("036")
    assert graph.value(code, SKOS.prefLabel) == Literal("Express intent to meet or negotiate")
    goldstein = graph.value(code, GEOKG.goldsteinScale)
    assert isinstance(goldstein, Literal) and goldstein.datatype == XSD.decimal
    assert goldstein.toPython() == Decimal("4.0")
    quad = graph.value(code, GEOKG.quadClass)
    assert isinstance(quad, Literal) and quad.datatype == XSD.integer and quad.toPython() == 1
    assert (code, RDF.type, SEM.EventType) in graph
    assert graph.value(node_iri("officials-dispute"), SEM.eventType) == cameo_iri("0311")


def test_evidence_quote_and_offsets_survive(parsed: tuple[str, Graph], store: GraphStore) -> None:
    fmt, graph = parsed
    ev = store.event("lavrov-meets-kuleba").evidence[1]
    assert ev.quote == TRICKY_QUOTE
    quote = quote_iri(SOURCE, ev.start, ev.end)
    assert (node_iri("lavrov-meets-kuleba"), PROV.wasDerivedFrom, quote) in graph
    assert graph.value(quote, SDO.text) == Literal(TRICKY_QUOTE), fmt
    for predicate, offset in ((GEOKG.startOffset, ev.start), (GEOKG.endOffset, ev.end)):
        value = graph.value(quote, predicate)
        assert isinstance(value, Literal) and value.datatype == XSD.integer
        assert value.toPython() == offset
    assert graph.value(quote, PROV.wasQuotedFrom) == node_iri(SOURCE)
    assert store.source_text(SOURCE)[ev.start : ev.end] == TRICKY_QUOTE


def test_a_quote_cited_by_several_records_is_one_resource(reference: Graph) -> None:
    quotes = list(reference.subjects(SDO.text, Literal("met Dmytro Kuleba in Kyiv")))
    assert len(quotes) == 1
    citing = set(reference.subjects(PROV.wasDerivedFrom, quotes[0]))
    assert node_iri("lavrov-meets-kuleba") in citing
    assert edge_iri("lavrov-meets-kuleba.place.kyiv") in citing
    assert len(citing) == 4  # the event and its three role edges


def test_entities_carry_types_labels_and_identifiers(parsed: tuple[str, Graph]) -> None:
    _, graph = parsed
    russia = node_iri("russia")
    assert {SDO.Country, SEM.Actor, SEM.Place} <= set(graph.objects(russia, RDF.type))
    assert set(graph.objects(russia, SKOS.altLabel)) == {
        Literal("Moscow"),
        Literal("Russian Federation"),
    }
    assert graph.value(russia, DCTERMS.identifier) == Literal("russia")
    assert graph.value(russia, GEOKG.kind) == Literal("state")
    assert graph.value(russia, OWL.sameAs) == URIRef("http://www.wikidata.org/entity/Q159")
    schemes = {
        str(graph.value(i, SDO.propertyID)): str(graph.value(i, SDO.value))
        for i in graph.objects(russia, SDO.identifier)
    }
    assert schemes == {
        "iso3166-1-alpha2": "RU",
        "iso3166-1-alpha3": "RUS",
        "iso3166-1-numeric": "643",
        "wikidata": "Q159",
    }
    for ident in graph.objects(russia, SDO.identifier):
        assert graph.value(ident, GEOKG.origin) is not None
    officials = node_iri("western-officials")
    assert graph.value(officials, GEOKG.unnamed) == Literal(True)
    assert (node_iri("nato"), RDF.type, GEOKG.InternationalOrganisation) in graph


def test_quantities_keep_value_unit_and_hedge(reference: Graph) -> None:
    meeting = node_iri("lavrov-meets-kuleba")
    by_unit = {
        str(reference.value(q, SDO.unitText)): q for q in reference.objects(meeting, GEOKG.quantity)
    }
    soldiers, tanks = by_unit["soldier"], by_unit["tank"]
    value = reference.value(soldiers, SDO.value)
    assert isinstance(value, Literal) and value.datatype == XSD.decimal
    assert value.toPython() == Decimal(130000)
    assert reference.value(soldiers, GEOKG.qualifier) == Literal("more_than")
    assert reference.value(soldiers, RDFS.label) == Literal("More than 130,000 soldiers")
    assert reference.value(tanks, SDO.value) is None  # 'a small number': no number
    assert reference.value(tanks, PROV.wasDerivedFrom) is not None


def test_sources_carry_their_metadata(reference: Graph) -> None:
    source = node_iri(SOURCE)
    assert (source, RDF.type, SDO.NewsArticle) in reference
    assert reference.value(source, SDO.headline) == Literal("Russia Says Some Forces Pulling Back")
    assert reference.value(source, SDO.datePublished) == Literal("2022-02-15", datatype=XSD.date)
    assert reference.value(source, SDO.publisher) == node_iri("test-press")
    assert reference.value(source, SDO.contributor) == node_iri("reporter")
    assert reference.value(source, GEOKG.origin) == Literal("test metadata")


def test_record_links_without_edges_are_still_written() -> None:
    store = GraphStore()
    store.put_node(Entity(id="press", kind="media_outlet", label="Press"))
    store.put_node(
        Source(
            id="doc",
            label="Doc",
            publisher="press",
            published=dt.date(2022, 2, 15),
            text_file="doc.txt",
            text_length=0,
            metadata_origin="test",
        )
    )
    graph = build_rdf_graph(store)
    assert graph.value(node_iri("doc"), SDO.publisher) == node_iri("press")
    alone = build_rdf_graph(store, {"doc"})
    assert alone.value(node_iri("doc"), SDO.publisher) is None  # outside the selection


# -- edges ------------------------------------------------------------------------------------


def test_every_edge_is_a_direct_triple_and_a_lean_statement(
    parsed: tuple[str, Graph], store: GraphStore
) -> None:
    fmt, graph = parsed
    for edge in store.edges():
        statement = edge_iri(edge.id)
        s, p, o = (
            graph.value(statement, term) for term in (RDF.subject, RDF.predicate, RDF.object)
        )
        assert (s, o) == (node_iri(edge.source), node_iri(edge.target)), edge.id
        assert p == PREDICATES[edge.type]
        assert (s, p, o) in graph, f"{fmt}: no direct triple for {edge.id}"
        assert len(list(graph.objects(statement, PROV.wasDerivedFrom))) == len(edge.evidence)
        # The id is in the IRI, the type and category in the predicate: not said again.
        for derivable in (RDF.type, DCTERMS.identifier, GEOKG.edgeType, GEOKG.edgeCategory):
            assert graph.value(statement, derivable) is None, (fmt, edge.id, derivable)


def test_an_edge_type_without_a_predicate_keeps_its_name_and_category() -> None:
    store = GraphStore()
    for node_id in ("a", "b"):
        store.put_node(Entity(id=node_id, kind="person", label=node_id.upper()))
    store.put_edge(
        Edge.model_construct(
            id="a.knows.b",
            category="relation",
            type="knows",
            source="a",
            target="b",
            attributes={},
            evidence=(),
            analyst_assertion=False,
        )
    )
    graph = build_rdf_graph(store)
    statement = edge_iri("a.knows.b")
    assert graph.value(statement, RDF.predicate) == DCTERMS.relation
    assert graph.value(statement, GEOKG.edgeType) == Literal("knows")
    assert graph.value(statement, GEOKG.edgeCategory) == Literal("relation")


def test_edge_attributes_become_properties(reference: Graph) -> None:
    spokesman = edge_iri("sergey-lavrov.holds_position.russia.spokesman")
    assert reference.value(spokesman, SDO.roleName) == Literal("spokesman")
    extra = {
        str(reference.value(a, SDO.name)): set(reference.objects(a, SDO.value))
        for a in reference.objects(spokesman, SDO.additionalProperty)
    }
    assert extra == {"since": {Literal(2004), Literal(2005)}, "acting": {Literal(True)}}
    published = edge_iri(f"{SOURCE}.published_by.test-press")
    assert reference.value(published, GEOKG.origin) == Literal("metadata")


def test_selection_keeps_its_nodes_and_the_edges_between_them(store: GraphStore) -> None:
    keep = reachable(store, "kyiv", 1)
    graph = build_rdf_graph(store, keep)
    described = {str(o) for o in graph.objects(None, DCTERMS.identifier)}
    statements = set(graph.subjects(RDF.subject, None))
    edge_ids = {e.id for e in store.edges() if {e.source, e.target} <= keep}
    assert described == keep
    assert statements == {edge_iri(edge_id) for edge_id in edge_ids}
    assert not any(graph.triples((node_iri("sergey-lavrov"), None, None)))


def test_unknown_format_and_node_raise_before_streaming(store: GraphStore) -> None:
    with pytest.raises(UnsupportedFormatError) as caught:
        export_rdf(store, "trig")
    assert caught.value.supported == tuple(RDF_FORMATS)
    with pytest.raises(NodeNotFoundError):
        export_rdf(store, "ntriples", {"kyiv", "atlantis"})


# -- IRIs and text ----------------------------------------------------------------------------


def test_ids_that_are_not_slugs_are_percent_encoded() -> None:
    iri = str(node_iri(ODD_ID))
    assert IRI.match(iri), iri
    assert unquote(iri.removeprefix(ID_BASE)) == ODD_ID
    assert IRI.match(str(edge_iri(ODD_EDGE_ID)))


def test_every_iri_in_every_format_is_valid(parsed: tuple[str, Graph]) -> None:
    fmt, graph = parsed
    iris = {t for triple in graph for t in triple if isinstance(t, URIRef)}
    assert node_iri(ODD_ID) in iris and edge_iri(ODD_EDGE_ID) in iris
    bad = sorted(i for i in iris if not IRI.match(i))
    assert not bad, f"{fmt}: {bad}"


def test_control_characters_are_dropped_and_markup_kept(parsed: tuple[str, Graph]) -> None:
    _, graph = parsed
    assert graph.value(node_iri(ODD_ID), RDFS.label) == Literal('Centre <of> "Kyiv" & co')


# -- the format registry ----------------------------------------------------------------------


def test_export_formats_name_media_types_and_extensions() -> None:
    assert {name: (f.media_type, f.extension) for name, f in FORMATS.items()} == {
        "turtle": ("text/turtle", "ttl"),
        "ntriples": ("application/n-triples", "nt"),
        "jsonld": ("application/ld+json", "jsonld"),
        "rdfxml": ("application/rdf+xml", "rdf"),
        "nquads": ("application/n-quads", "nq"),
        "graphml": ("application/graphml+xml", "graphml"),
        "json": ("application/vnd.geokg+json", "json"),
    }
    assert FORMATS["jsonld"].media_types == ("application/ld+json", "application/json")


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_each_registry_row_writes_and_reads_its_format(fmt: str, store: GraphStore) -> None:
    from graph.imports import READERS

    row = get_format(fmt)
    assert row.reader is READERS[fmt]
    assert b"".join(row.writer(store, {"kyiv"})) == exported(store, fmt, {"kyiv"})


@pytest.mark.parametrize("fmt", RDF_NAMES)
def test_rdf_examples_parse_and_match_a_real_export(
    fmt: str, store: GraphStore, reference: Graph
) -> None:
    example = parse_graph(FORMATS[fmt].example.encode(), fmt)
    assert len(example) > 0
    assert set(example) <= set(reference), fmt


def test_unknown_export_format_lists_the_supported_ones(store: GraphStore) -> None:
    with pytest.raises(UnsupportedFormatError) as caught:
        export(store, "csv")
    assert caught.value.requested == "csv"
    assert caught.value.supported == tuple(FORMATS)


def test_an_unknown_format_name_is_refused_by_the_lookup() -> None:
    with pytest.raises(UnsupportedFormatError) as caught:
        get_format("trig")
    assert caught.value.supported == tuple(FORMATS)


def test_an_event_without_a_cameo_code_has_no_event_type_and_says_why() -> None:
    store = GraphStore()
    undated = EventDate(
        expression=None, value=None, start=None, end=None, granularity=None, rule="undated"
    )
    note = "a market movement, not an interaction between political actors"
    store.put_node(
        Event(
            id="markets-rise",
            kind="market_movement",
            label="Markets rise",
            cameo=None,
            cameo_note=note,
            modality="occurred",
            date=undated,
            evidence=(),
        )
    )
    for fmt in RDF_NAMES:
        graph = parse_graph(exported(store, fmt), fmt)
        event = node_iri("markets-rise")
        assert graph.value(event, SEM.eventType) is None, fmt
        assert graph.value(event, GEOKG.cameoNote) == Literal(note), fmt
        assert not list(graph.subjects(RDF.type, SKOS.Concept)), fmt
