"""Problem details: a type URI per kind of error, described at /problems/{slug}, in OpenAPI."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE, PROBLEM_TYPES
from graph.service import KnowledgeGraph
from graph.store import GraphStore


def _problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["type"] == f"https://geokg.example.org/problems/{slug}"
    assert body["status"] == status and body["title"]
    return body


@pytest.mark.parametrize(
    ("request_args", "status", "slug"),
    [
        (("GET", "/entities/atlantis", {}, {}), 404, "node-not-found"),
        (
            ("GET", "/paths/shortest", {"source": "lonely", "target": "alpha-land"}, {}),
            404,
            "no-path",
        ),
        (("GET", "/export", {"format": "csv"}, {}), 400, "unsupported-format"),
        (("GET", "/export", {}, {"Accept": "text/csv"}), 406, "not-acceptable"),
        (("GET", "/entities", {"kind": "planet"}, {}), 422, "invalid-query"),
        (("GET", "/entities", {"limit": "many"}, {}), 422, "validation-error"),
        (("GET", "/nowhere", {}, {}), 404, "not-found"),
        (("PUT", "/entities", {}, {}), 405, "method-not-allowed"),
    ],
)
def test_each_kind_of_error_has_its_own_type_uri(
    mini_client: TestClient,
    request_args: tuple[str, str, dict[str, str], dict[str, str]],
    status: int,
    slug: str,
) -> None:
    method, url, params, headers = request_args
    response = mini_client.request(method, url, params=params, headers=headers)
    _problem(response, status, slug)


def test_an_ambiguous_name_has_its_type_uri(seed_client: TestClient) -> None:
    response = seed_client.get("/paths/shortest", params={"source": "Moscow", "target": "kyiv"})
    assert _problem(response, 422, "ambiguous-name")["candidates"] == ["russia", "moscow"]


class _BrokenStore(GraphStore):
    def counts(self) -> dict[str, int]:
        raise RuntimeError("/work/secret/path exploded")


@pytest.fixture
def broken_client() -> Iterator[TestClient]:
    graph = KnowledgeGraph.open(":memory:")
    graph._view = _BrokenStore()
    app = create_app(Settings(db=":memory:"), graph)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    graph.close()


def test_an_unexpected_error_is_an_internal_error_that_echoes_nothing(
    broken_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    body = _problem(broken_client.get("/health"), 500, "internal-error")
    assert body["detail"] == "internal error" and "secret" not in str(body)
    assert "exploded" in caplog.text  # logged, with its traceback


def test_every_problem_type_is_described_at_its_uri(mini_client: TestClient) -> None:
    listed = mini_client.get("/problems").json()
    assert [row["slug"] for row in listed] == [row.slug for row in PROBLEM_TYPES]
    for row in PROBLEM_TYPES:
        body = mini_client.get(f"/problems/{row.slug}").json()
        assert body["type"] == f"{PROBLEM_BASE}{row.slug}" == row.uri
        assert (body["status"], body["title"]) == (row.status, row.title)
        assert body["description"]
    _problem(mini_client.get("/problems/no-such-problem"), 404, "not-found")


def test_slugs_are_unique_and_uris_are_documented_in_openapi(mini_client: TestClient) -> None:
    slugs = [row.slug for row in PROBLEM_TYPES]
    assert len(set(slugs)) == len(slugs)
    description = mini_client.get("/openapi.json").json()["info"]["description"]
    for row in PROBLEM_TYPES:
        assert f"`{row.uri}`" in description


def test_openapi_error_responses_are_problem_json_with_the_problem_schema(
    mini_client: TestClient,
) -> None:
    spec = mini_client.get("/openapi.json").json()
    problem_schema = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance"} <= set(problem_schema["properties"])
    errors = [
        (f"{method} {path} {status}", response)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for status, response in operation["responses"].items()
        if status[0] in "45"
    ]
    assert len(errors) > 20
    for where, response in errors:
        assert list(response["content"]) == [PROBLEM_MEDIA_TYPE], where
        schema = response["content"][PROBLEM_MEDIA_TYPE]["schema"]
        assert schema == {"$ref": "#/components/schemas/Problem"}, where


HUGE = "x" * 60_000  # a URL may be at most 64 KiB for the test client


def _get_operations(spec: dict[str, Any]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    for path, operations in spec["paths"].items():
        if "get" in operations:
            yield path, operations["get"].get("parameters", [])


def test_echoed_values_are_cut_in_every_problem(seed_client: TestClient) -> None:
    spec = seed_client.get("/openapi.json").json()
    responses = [
        seed_client.get("/entities/" + HUGE),
        seed_client.get("/" + HUGE),
        seed_client.get("/export", headers={"Accept": HUGE}),
    ]
    for path, params in _get_operations(spec):
        example = {p["name"]: str(p.get("example", "")) for p in params}
        for param in params:
            values = {**example, param["name"]: HUGE}
            url = path.format(**{k: v for k, v in values.items() if "{" + k + "}" in path})
            query = {k: v for k, v in values.items() if "{" + k + "}" not in path}
            responses.append(seed_client.get(url, params=query))
    problems = [r for r in responses if r.status_code >= 400]
    assert len(problems) > 20
    for response in problems:
        assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
        body = response.json()
        assert len(body["instance"]) <= 200 and len(body.get("detail", "")) <= 1_000, body
        assert len(response.content) < 4_000, response.text[:300]
    cut = seed_client.get("/entities/" + HUGE).json()
    assert cut["detail"] == f"no entity with id '{'x' * 199}…'"
    assert cut["instance"] == f"/entities/{'x' * 189}…"


@pytest.mark.parametrize("path", ["/entities/", "/health/", "/entities/alpha-land/", "/docs/"])
def test_a_trailing_slash_is_a_404_never_a_redirect_to_the_host_header(
    mini_client: TestClient, path: str
) -> None:
    response = mini_client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
    body = _problem(response, 404, "not-found")
    assert "location" not in response.headers and "evil" not in response.text
    assert body["instance"] == path
