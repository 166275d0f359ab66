"""A request names only the query parameters its route declares, each once."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.params import MAX_REPORTED


def _field_errors(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "https://geokg.example.org/problems/validation-error"
    return {e["field"]: e["message"] for e in body["errors"] if e["location"] == "query"}


def test_a_misspelt_filter_is_422_naming_it_not_ignored(mini_client: TestClient) -> None:
    errors = _field_errors(mini_client.get("/entities", params={"Q": "Quux"}))
    assert list(errors) == ["Q"]
    assert "unknown query parameter" in errors["Q"] and "q" in errors["Q"].split(": ")[-1]


def test_a_repeated_parameter_is_422_naming_it(mini_client: TestClient) -> None:
    errors = _field_errors(mini_client.get("/entities?limit=5&limit=6"))
    assert errors == {"limit": "given 2 times; give it once"}


def test_unknown_and_repeated_parameters_are_all_named(mini_client: TestClient) -> None:
    errors = _field_errors(mini_client.get("/events?kind=meeting&kind=talks&actr=x&plce=y"))
    assert set(errors) == {"kind", "actr", "plce"}
    many = "&".join(f"p{i}=1" for i in range(50))
    assert len(_field_errors(mini_client.get(f"/entities?{many}"))) == MAX_REPORTED


def _get_routes(client: TestClient) -> list[tuple[str, dict[str, str]]]:
    """Each GET route of the OpenAPI document, with its path filled and its required params."""
    spec = client.get("/openapi.json").json()
    routes = []
    for path, operations in spec["paths"].items():
        if "get" not in operations:
            continue
        params = operations["get"].get("parameters", [])
        filled = path.format(**{p["name"]: p["example"] for p in params if p["in"] == "path"})
        # Optional parameters may have no example (a cursor belongs to one query only).
        required = {
            p["name"]: str(p["example"])
            for p in params
            if p["in"] == "query" and _is_required(params, p["name"])
        }
        routes.append((filled, required))
    return routes


def _is_required(params: list[dict[str, Any]], name: str) -> bool:
    return any(p["name"] == name and p.get("required") for p in params)


def test_every_route_refuses_an_unknown_parameter(seed_client: TestClient) -> None:
    routes = _get_routes(seed_client)
    assert len(routes) > 10
    for url, given in routes:
        # The live feed never ends unless told to.
        required = {**given, "follow": "false"} if url == "/changes/stream" else given
        ok = seed_client.get(url, params=required)
        # A proposal set exists only after an ingestion, which this read-only service has none of.
        assert ok.status_code == (404 if url.startswith("/proposals/") else 200), (url, ok.text)
        errors = _field_errors(seed_client.get(url, params={**required, "bogus": "1"}))
        assert list(errors) == ["bogus"], url


@pytest.mark.parametrize("url", ["/docs?utm_source=x", "/openapi.json?x=1"])
def test_the_documentation_pages_take_any_parameter(mini_client: TestClient, url: str) -> None:
    assert mini_client.get(url).status_code == 200
