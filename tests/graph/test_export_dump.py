"""What exports carry for imports: the JSON dump, source texts, URLs and analyst assertions."""

from __future__ import annotations

import io
import json

import networkx as nx
from rdflib import Literal, URIRef
from rdflib.namespace import SDO, XSD

from graph.export.rdf import GEOKG, build_rdf, edge_iri, node_iri
from graph.formats import FORMATS as EXPORT_FORMATS
from graph.model import Edge, Entity, Evidence, Identifier, Source
from graph.store import GraphStore
from tests.graph.exportfixtures import SOURCE, TEXT, build_export_store, exported, parse_graph


def _asserted_store() -> GraphStore:
    store = build_export_store()
    store.put_node(
        Entity(id="analyst-pick", kind="person", label="Analyst Pick", analyst_assertion=True)
    )
    store.put_edge(
        Edge(
            id="analyst-pick.ally_of.russia",
            category="relation",
            type="ally_of",
            source="analyst-pick",
            target="russia",
            analyst_assertion=True,
        )
    )
    source = store.source(SOURCE)
    store.put_node(source.model_copy(update={"url": "https://example.org/a?b=1"}))
    return store


def test_json_dump_holds_every_record_and_source_text() -> None:
    store = build_export_store()
    dump = json.loads(exported(store, "json"))
    assert dump["format"] == "geokg-dump/1"
    assert [n["id"] for n in dump["nodes"]] == list(store.node_ids())
    assert sorted(e["id"] for e in dump["edges"]) == sorted(e.id for e in store.edges())
    source = next(n for n in dump["nodes"] if n["id"] == SOURCE)
    assert source["text"] == TEXT
    assert Source.model_validate({k: v for k, v in source.items() if k != "text"}) == store.source(
        SOURCE
    )


def test_json_dump_has_one_record_per_line() -> None:
    lines = exported(build_export_store(), "json").decode().rstrip("\n").split("\n")
    store = build_export_store()
    assert len(lines) == store.node_count() + store.edge_count() + 5


def test_json_example_is_a_dump() -> None:
    example = json.loads(EXPORT_FORMATS["json"].example)
    assert example["format"] == "geokg-dump/1"
    assert Entity.model_validate(example["nodes"][0]).id == "kyiv"


def test_rdf_carries_source_text_url_and_analyst_assertions() -> None:
    store = _asserted_store()
    default = build_rdf(store).default_graph
    source = node_iri(SOURCE)
    assert default.value(source, SDO.text) == Literal(TEXT)
    assert default.value(source, SDO.url) == URIRef("https://example.org/a?b=1")
    yes = Literal("true", datatype=XSD.boolean)
    assert default.value(node_iri("analyst-pick"), GEOKG.analystAssertion) == yes
    assert default.value(edge_iri("analyst-pick.ally_of.russia"), GEOKG.analystAssertion) == yes
    # Only when true: records with quotes say nothing about it.
    assert default.value(node_iri("russia"), GEOKG.analystAssertion) is None
    for fmt in ("turtle", "jsonld", "rdfxml", "ntriples"):
        assert parse_graph(exported(store, fmt), fmt).value(source, SDO.text) == Literal(TEXT)


def test_graphml_carries_text_url_flags_and_structured_lists() -> None:
    store = _asserted_store()
    xml = exported(store, "graphml").decode()
    for key in ("text", "url", "analyst_assertion", "evidence_json", "identifiers_json"):
        assert f'attr.name="{key}"' in xml
    assert '<data key="n_analyst_assertion">true</data>' in xml
    assert '<data key="e_analyst_assertion">true</data>' in xml
    graph = nx.read_graphml(io.BytesIO(xml.encode()), force_multigraph=True)
    assert graph.nodes[SOURCE]["text"] == TEXT
    assert graph.nodes[SOURCE]["url"] == "https://example.org/a?b=1"
    russia = store.entity("russia")
    evidence = json.loads(graph.nodes["russia"]["evidence_json"])
    assert tuple(Evidence.model_validate(e) for e in evidence) == russia.evidence
    identifiers = json.loads(graph.nodes["russia"]["identifiers_json"])
    assert tuple(Identifier.model_validate(i) for i in identifiers) == russia.identifiers
