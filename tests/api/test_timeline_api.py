"""`GET /timeline` and `GET /export?nodes=` over HTTP: answers from the seed, and bad input."""

from __future__ import annotations

import io
from typing import Any

import networkx as nx
import pytest
import rdflib
from fastapi.testclient import TestClient

from graph.queries import MAX_EXPORT_NODES
from tests.graph.exportfixtures import parse_graph

PROBLEM = "application/problem+json"


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    return body


def test_timeline_of_russia_dates_three_events_and_lists_the_undated_apart(
    seed_client: TestClient,
) -> None:
    body = seed_client.get("/timeline", params={"entity": "Russia"}).json()
    assert body["entities"] == [{"id": "russia", "label": "Russia", "kind": "state"}]
    assert [(e["id"], e["date"]["start"]) for e in body["dated"]] == [
        ("lavrov-indicates-readiness-to-keep-talking", "2022-02-14"),
        ("lavrov-argues-for-more-talks", "2022-02-14"),
        ("russia-announces-units-returning-to-bases", "2022-02-15"),
    ]
    announced = body["dated"][2]
    assert announced["date"]["expression"] == "Tuesday"
    assert announced["cameo"]["goldstein"] == 7.0 and announced["cameo"]["quad_class"] == 1
    assert len(body["undated"]) == 14 and body["total"] == 17 and body["truncated"] is False
    assert all(e["date"]["start"] is None for e in body["undated"])


def test_timeline_of_a_dyad_resolves_names_as_paths_do(seed_client: TestClient) -> None:
    body = seed_client.get("/timeline", params={"entity": "russia", "other": "Ukraine"}).json()
    assert [e["id"] for e in body["entities"]] == ["russia", "ukraine"]
    assert body["total"] == 5 and body["dated"] == []
    for event in body["undated"]:
        assert {"russia", "ukraine"} <= {p["id"] for p in event["participants"]}
    surname = seed_client.get("/timeline", params={"entity": "Scholz"}).json()
    assert surname["entities"][0]["id"] == "olaf-scholz" and surname["total"] == 2


def test_timeline_limit_cuts_and_says_so(seed_client: TestClient) -> None:
    body = seed_client.get("/timeline", params={"entity": "russia", "limit": 4}).json()
    assert len(body["dated"]) + len(body["undated"]) == 4 and body["truncated"] is True


@pytest.mark.parametrize(
    ("params", "status", "slug"),
    [
        ({}, 422, "validation-error"),
        ({"entity": ""}, 422, "validation-error"),
        ({"entity": "russia", "limit": 1001}, 422, "validation-error"),
        ({"entity": "atlantis"}, 404, "node-not-found"),
        ({"entity": "russia", "other": "atlantis"}, 404, "node-not-found"),
        ({"entity": "russia-may-invade-ukraine"}, 422, "invalid-query"),
        ({"entity": "russia", "other": "russia"}, 422, "invalid-query"),
        ({"entity": "russia", "when": "today"}, 422, "validation-error"),
    ],
)
def test_bad_timeline_requests_are_problems(
    seed_client: TestClient, params: dict[str, Any], status: int, slug: str
) -> None:
    body = _problem(seed_client.get("/timeline", params=params), status)
    assert body["type"].endswith(f"/{slug}")


def test_ambiguous_timeline_name_is_422_with_candidates(mini_client: TestClient) -> None:
    body = _problem(mini_client.get("/timeline", params={"entity": "land"}), 422)
    assert len(body["candidates"]) > 1


def test_export_of_listed_nodes_holds_them_and_the_edges_among_them(
    seed_client: TestClient,
) -> None:
    nodes = "olaf-scholz,germany,scholz-putin-meeting-in-moscow"
    response = seed_client.get("/export", params={"format": "graphml", "nodes": nodes})
    assert response.status_code == 200
    graph = nx.read_graphml(io.BytesIO(response.content), force_multigraph=True)
    assert set(graph.nodes) == set(nodes.split(","))
    assert {(u, v) for u, v, _ in graph.edges} == {
        ("olaf-scholz", "germany"),
        ("scholz-putin-meeting-in-moscow", "olaf-scholz"),
    }


@pytest.mark.parametrize("fmt", ["turtle", "jsonld"])
def test_export_of_listed_nodes_in_rdf_names_only_them(seed_client: TestClient, fmt: str) -> None:
    response = seed_client.get("/export", params={"format": fmt, "nodes": "germany,olaf-scholz"})
    assert response.status_code == 200
    graph = parse_graph(response.content, fmt)
    identifiers = {str(o) for o in graph.objects(None, rdflib.DCTERMS.identifier)}
    assert {"germany", "olaf-scholz"} <= identifiers
    assert "russia" not in identifiers


@pytest.mark.parametrize(
    ("params", "status", "slug"),
    [
        ({"nodes": ""}, 422, "invalid-query"),
        ({"nodes": " , "}, 422, "invalid-query"),
        ({"nodes": "germany", "root": "germany"}, 422, "invalid-query"),
        ({"nodes": "germany", "depth": 2}, 422, "invalid-query"),
        ({"nodes": ",".join(["germany"] * (MAX_EXPORT_NODES + 1))}, 422, "invalid-query"),
        ({"nodes": "germany,atlantis"}, 404, "node-not-found"),
    ],
)
def test_bad_node_lists_are_problems(
    seed_client: TestClient, params: dict[str, Any], status: int, slug: str
) -> None:
    body = _problem(seed_client.get("/export", params={"format": "turtle", **params}), status)
    assert body["type"].endswith(f"/{slug}")
