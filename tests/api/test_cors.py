"""CORS: off by default; on for the origins named in GEOKG_CORS_ORIGINS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.config import Settings
from tests.api.conftest import client_for
from tests.conftest import MINI

NOTEBOOK = "http://localhost:8888"
OTHER = "https://elsewhere.example"
ALLOW_ORIGIN = "access-control-allow-origin"


def _preflight(client: TestClient, origin: str) -> dict[str, str]:
    response = client.options(
        "/entities",
        headers={"Origin": origin, "Access-Control-Request-Method": "GET"},
    )
    return dict(response.headers)


@pytest.fixture(scope="module")
def cors_client() -> Iterator[TestClient]:
    yield from client_for(MINI, cors_origins=[NOTEBOOK, "http://127.0.0.1:9999"])


def test_cors_is_off_by_default(mini_client: TestClient) -> None:
    assert ALLOW_ORIGIN not in mini_client.get("/entities", headers={"Origin": NOTEBOOK}).headers
    assert ALLOW_ORIGIN not in _preflight(mini_client, NOTEBOOK)


def test_a_named_origin_gets_preflight_and_simple_requests(cors_client: TestClient) -> None:
    preflight = _preflight(cors_client, NOTEBOOK)
    assert preflight[ALLOW_ORIGIN] == NOTEBOOK
    assert "GET" in preflight["access-control-allow-methods"]
    response = cors_client.get("/entities", params={"q": "quux"}, headers={"Origin": NOTEBOOK})
    assert response.status_code == 200 and response.headers[ALLOW_ORIGIN] == NOTEBOOK


def test_another_origin_gets_no_cors_header(cors_client: TestClient) -> None:
    assert ALLOW_ORIGIN not in cors_client.get("/entities", headers={"Origin": OTHER}).headers
    assert ALLOW_ORIGIN not in _preflight(cors_client, OTHER)


def test_origins_come_comma_separated_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GEOKG_CORS_ORIGINS", f" {NOTEBOOK}, https://lab.example ,")
    assert Settings().cors_origins == [NOTEBOOK, "https://lab.example"]
    monkeypatch.setenv("GEOKG_CORS_ORIGINS", "")
    assert Settings().cors_origins == []


@pytest.mark.parametrize("bad", ["http://localhost:8888/", "localhost:8888", "http://a.example/x"])
def test_a_value_that_is_not_an_origin_is_refused(
    monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    monkeypatch.setenv("GEOKG_CORS_ORIGINS", bad)
    with pytest.raises(ValidationError, match="is not an origin"):
        Settings()
