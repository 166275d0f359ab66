"""GraphML export: round trips through networkx and igraph, typed keys, flat values."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import igraph
import networkx as nx
import pytest

from graph.errors import NodeNotFoundError
from graph.export.graphml import EDGE_KEYS, NODE_KEYS, SEPARATOR, export_graphml
from graph.formats import FORMATS
from graph.model import Entity, Event, EventDate
from graph.queries import reachable
from graph.store import GraphStore
from tests.graph.exportfixtures import (
    ODD_EDGE_ID,
    ODD_ID,
    TRICKY_QUOTE,
    build_export_store,
    exported,
)

NS = "{http://graphml.graphdrawing.org/xmlns}"
STORES = ["export_store", "mini_store", "seed_store"]


@pytest.fixture(scope="module")
def export_store() -> GraphStore:
    return build_export_store()


@pytest.fixture(params=STORES)
def any_store(request: pytest.FixtureRequest) -> GraphStore:
    store: GraphStore = request.getfixturevalue(request.param)
    return store


def read_networkx(data: bytes) -> nx.MultiDiGraph[str]:
    graph = nx.read_graphml(io.BytesIO(data), force_multigraph=True)
    assert isinstance(graph, nx.MultiDiGraph)
    return graph


def read_igraph(data: bytes, tmp_path: Path) -> Any:
    path = tmp_path / "export.graphml"
    path.write_bytes(data)
    return igraph.Graph.Read_GraphML(str(path))


def test_graphml_round_trips_through_networkx(any_store: GraphStore) -> None:
    graph = read_networkx(exported(any_store, "graphml"))
    assert set(graph.nodes) == set(any_store.node_ids())
    assert graph.number_of_edges() == any_store.edge_count()
    assert {k for _, _, k in graph.edges(keys=True)} == {e.id for e in any_store.edges()}
    for u, v, key in graph.edges(keys=True):
        edge = any_store.edge(key)
        assert (u, v) == (edge.source, edge.target)


def test_graphml_round_trips_through_igraph(any_store: GraphStore, tmp_path: Path) -> None:
    graph = read_igraph(exported(any_store, "graphml"), tmp_path)
    assert graph.is_directed()
    assert graph.vcount() == any_store.node_count()
    assert graph.ecount() == any_store.edge_count()
    assert set(graph.vs["id"]) == set(any_store.node_ids())
    edge_ids = graph.es["edge_id"]
    assert len(set(edge_ids)) == len(edge_ids)
    assert set(edge_ids) == {e.id for e in any_store.edges()}
    for e in graph.es:
        edge = any_store.edge(e["edge_id"])
        assert (graph.vs[e.source]["id"], graph.vs[e.target]["id"]) == (edge.source, edge.target)


def test_graphml_keys_are_declared_and_typed(any_store: GraphStore) -> None:
    root = ET.fromstring(exported(any_store, "graphml"))
    keys = {k.get("id"): k for k in root.iter(f"{NS}key")}
    declared = {(k.get("for"), k.get("attr.name"), k.get("attr.type")) for k in keys.values()}
    assert declared == {("node", n, t) for n, t in NODE_KEYS.items()} | {
        ("edge", n, t) for n, t in EDGE_KEYS.items()
    }
    parse: dict[str | None, Callable[[str], object]] = {
        "int": int,
        "double": float,
        "boolean": {"true": True, "false": False}.__getitem__,
        "string": str,
    }
    edge_ids = [e.get("id") for e in root.iter(f"{NS}edge")]
    assert len(edge_ids) == len(set(edge_ids)) and None not in edge_ids
    for data in root.iter(f"{NS}data"):
        key = keys[data.get("key")]
        text = data.text or ""
        assert text and text != "None", f"{key.get('attr.name')}: empty or None"
        parse[key.get("attr.type")](text)


def test_graphml_labels_and_flat_values(export_store: GraphStore) -> None:
    graph = read_networkx(exported(export_store, "graphml"))
    for node_id, data in graph.nodes(data=True):
        assert data["label"] == export_store.node(node_id).label.replace("\x01", "")
        assert data["node_type"] and data["kind"]
        assert all(v is not None and v != "None" for v in data.values())
    for _, _, key, data in graph.edges(keys=True, data=True):
        edge = export_store.edge(key)
        assert data["label"] == data["type"] == edge.type
        assert data["category"] == edge.category
        assert data["edge_id"] == key
        assert data["evidence_count"] == len(edge.evidence)
    russia = graph.nodes["russia"]
    assert russia["aliases"] == f"Moscow{SEPARATOR}Russian Federation"
    assert russia["wikidata"] == "Q159"
    assert "iso3166-1-alpha2:RU" in russia["identifiers"].split(SEPARATOR)
    assert russia["evidence_count"] == 2
    assert russia["evidence_sources"].count(SEPARATOR) == 1
    assert graph.nodes["western-officials"]["unnamed"] is True
    assert "description" not in graph.nodes["russia"]  # missing values are left out


def test_graphml_event_values_keep_their_types(export_store: GraphStore, tmp_path: Path) -> None:
    data = exported(export_store, "graphml")
    meeting = read_networkx(data).nodes["lavrov-meets-kuleba"]
    assert meeting["cameo_code"] == "036"  # a string: the leading zero stays
    assert meeting["goldstein"] == 4.0 and meeting["quad_class"] == 1
    assert meeting["date"] == meeting["date_start"] == "2022-02-15"
    assert meeting["date_granularity"] == "day" and meeting["modality"] == "occurred"
    assert meeting["place"] == "kyiv"
    assert meeting["quantities"] == f"More than 130,000 soldiers{SEPARATOR}a small number of tanks"
    assert meeting["evidence"].startswith("met Dmytro Kuleba in Kyiv")
    undated = read_networkx(data).nodes["moscow-denial"]
    assert "date" not in undated and undated["date_rule"] == "undated"
    vertex = read_igraph(data, tmp_path).vs.find(id="lavrov-meets-kuleba")
    assert vertex["cameo_code"] == "036" and vertex["goldstein"] == 4.0


def test_graphml_keeps_parallel_edges_with_their_titles(export_store: GraphStore) -> None:
    graph = read_networkx(exported(export_store, "graphml"))
    titles = {d["title"] for d in graph.get_edge_data("sergey-lavrov", "russia").values()}
    assert titles == {"foreign minister", "spokesman"}


def test_graphml_escapes_markup_and_drops_control_characters(export_store: GraphStore) -> None:
    data = exported(export_store, "graphml")
    graph = read_networkx(data)
    assert graph.nodes[ODD_ID]["label"] == 'Centre <of> "Kyiv" & co'
    assert graph.has_edge(ODD_ID, "kyiv", key=ODD_EDGE_ID)
    quote = graph.nodes["lavrov-meets-kuleba"]["evidence"]
    assert TRICKY_QUOTE in quote
    assert b"\x01" not in data


def test_graphml_selection_keeps_its_nodes_and_the_edges_between_them(
    export_store: GraphStore,
) -> None:
    keep = reachable(export_store, "kyiv", 1)
    graph = read_networkx(b"".join(export_graphml(export_store, keep)))
    assert set(graph.nodes) == keep
    expected = {e.id for e in export_store.edges() if {e.source, e.target} <= keep}
    assert {k for _, _, k in graph.edges(keys=True)} == expected


def test_graphml_unknown_node_raises_before_streaming(export_store: GraphStore) -> None:
    with pytest.raises(NodeNotFoundError):
        export_graphml(export_store, {"kyiv", "atlantis"})


def test_graphml_streams_in_chunks() -> None:
    store = build_export_store()
    for i in range(400):
        store.put_node(Entity(id=f"filler-{i}", kind="person", label=f"Filler {i}" * 5))
    chunks = list(export_graphml(store))
    assert len(chunks) > 1
    assert read_networkx(b"".join(chunks)).number_of_nodes() == store.node_count()


def test_graphml_example_matches_a_real_export(export_store: GraphStore) -> None:
    example = read_networkx(FORMATS["graphml"].example.encode())
    real = read_networkx(exported(export_store, "graphml"))
    for node, data in example.nodes(data=True):
        assert data.items() <= real.nodes[node].items()
    for u, v, key, data in example.edges(keys=True, data=True):
        assert data.items() <= real.edges[u, v, key].items()


def test_an_event_without_a_cameo_code_has_its_note_and_no_scores() -> None:
    store = GraphStore()
    undated = EventDate(
        expression=None, value=None, start=None, end=None, granularity=None, rule="undated"
    )
    store.put_node(
        Event(
            id="markets-rise",
            kind="market_movement",
            label="Markets rise",
            cameo=None,
            cameo_note="a market movement",
            modality="occurred",
            date=undated,
            evidence=(),
        )
    )
    data = read_networkx(exported(store, "graphml")).nodes["markets-rise"]
    assert data["cameo_note"] == "a market movement"
    assert not {"cameo_code", "cameo_name", "goldstein", "quad_class"} & set(data)
