"""`/export` over HTTP: format parameter, Accept negotiation, neighbourhoods, errors."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import replace

import networkx as nx
import pytest
import rdflib
from fastapi.testclient import TestClient
from rdflib.compare import isomorphic

from app.config import Settings
from app.main import create_app
from graph.export._common import chunked
from graph.formats import FORMATS
from graph.service import KnowledgeGraph
from graph.store import GraphStore
from tests.conftest import MINI

RDF_PARSERS = {"turtle": "turtle", "ntriples": "nt", "rdfxml": "xml"}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_format_parameter_sets_the_media_type(seed_client: TestClient, fmt: str) -> None:
    response = seed_client.get("/export", params={"format": fmt})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == FORMATS[fmt].media_type
    assert f"geokg.{FORMATS[fmt].extension}" in response.headers["content-disposition"]
    assert len(response.content) > 10_000


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "ntriples"),
        ("application/ld+json", "jsonld"),
        ("application/rdf+xml", "rdfxml"),
        ("application/n-quads", "nquads"),
        ("application/graphml+xml", "graphml"),
        ("text/html;q=0.9, application/rdf+xml;q=0.5", "rdfxml"),
        ("*/*", "turtle"),
    ],
)
def test_accept_header_negotiates_the_format(
    seed_client: TestClient, accept: str, fmt: str
) -> None:
    response = seed_client.get("/export", headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == FORMATS[fmt].media_type


def test_unsupported_format_is_400_listing_supported(seed_client: TestClient) -> None:
    response = seed_client.get("/export", params={"format": "csv"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert set(response.json()["supported"]) == set(FORMATS)


def test_unacceptable_accept_is_406_listing_media_types(seed_client: TestClient) -> None:
    response = seed_client.get("/export", headers={"Accept": "text/csv"})
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/problem+json"
    assert "text/turtle" in response.json()["supported"]


def test_unknown_root_is_404(seed_client: TestClient) -> None:
    response = seed_client.get("/export", params={"format": "turtle", "root": "atlantis"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_root_exports_only_the_neighbourhood(seed_client: TestClient) -> None:
    whole = seed_client.get("/export", params={"format": "graphml"})
    part = seed_client.get("/export", params={"format": "graphml", "root": "zbigniew-rau"})
    g_whole = nx.read_graphml(io.BytesIO(whole.content), force_multigraph=True)
    g_part = nx.read_graphml(io.BytesIO(part.content), force_multigraph=True)
    neighbours = seed_client.get("/entities/zbigniew-rau/neighbors", params={"depth": 1}).json()
    assert set(g_part.nodes) == {n["id"] for n in neighbours["nodes"]}
    assert {k for _, _, k in g_part.edges(keys=True)} == {e["id"] for e in neighbours["edges"]}
    assert g_part.number_of_nodes() < g_whole.number_of_nodes()
    deeper = seed_client.get(
        "/export", params={"format": "graphml", "root": "zbigniew-rau", "depth": 2}
    )
    assert nx.read_graphml(io.BytesIO(deeper.content)).number_of_nodes() > g_part.number_of_nodes()


def test_http_rdf_exports_are_the_same_graph(seed_client: TestClient) -> None:
    graphs = {}
    for fmt, parser in RDF_PARSERS.items():
        body = seed_client.get("/export", params={"format": fmt}).content
        graphs[fmt] = rdflib.Graph().parse(data=body, format=parser)
    counts = {fmt: len(g) for fmt, g in graphs.items()}
    assert len(set(counts.values())) == 1, counts
    assert isomorphic(graphs["turtle"], graphs["rdfxml"])


def test_depth_bound_is_enforced(seed_client: TestClient) -> None:
    response = seed_client.get("/export", params={"root": "zbigniew-rau", "depth": 5})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "depth"


def test_ambiguous_name_is_422_listing_candidates(seed_client: TestClient) -> None:
    response = seed_client.get("/paths/shortest", params={"source": "Moscow", "target": "kyiv"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["candidates"] == ["russia", "moscow"]
    by_id = seed_client.get("/paths/shortest", params={"source": "moscow", "target": "kyiv"})
    assert by_id.status_code == 200


@pytest.mark.parametrize("depth", ["1", "2"])
def test_depth_without_root_is_422(seed_client: TestClient, depth: str) -> None:
    response = seed_client.get("/export", params={"format": "turtle", "depth": depth})
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "https://geokg.example.org/problems/invalid-query"
    assert [e["field"] for e in body["errors"]] == ["depth"]


def test_root_without_depth_is_its_first_neighbourhood(seed_client: TestClient) -> None:
    params = {"format": "ntriples", "root": "zbigniew-rau"}
    one = seed_client.get("/export", params={**params, "depth": "1"}).content
    assert seed_client.get("/export", params=params).content == one


@pytest.fixture
def lenient_client() -> Iterator[TestClient]:
    """The mini seed, answering 500s instead of raising them into the test."""
    graph = KnowledgeGraph.open(":memory:", MINI)
    with TestClient(create_app(Settings(db=":memory:"), graph), raise_server_exceptions=False) as c:
        yield c
    graph.close()


def test_an_export_failing_before_its_first_byte_is_an_error_status(
    lenient_client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def unreadable(store: GraphStore, node_ids: Iterable[str] | None) -> Iterator[bytes]:
        def lines() -> Iterator[str]:
            raise OSError("/var/lib/geokg/geokg.sqlite3 is unreadable")
            yield ""  # a generator, as the writers' are

        return chunked(lines())  # the writers' chunking makes the first chunk in the call

    monkeypatch.setitem(FORMATS, "turtle", replace(FORMATS["turtle"], writer=unreadable))
    response = lenient_client.get("/export", params={"format": "turtle"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "sqlite3" not in response.text and "unreadable" in caplog.text
