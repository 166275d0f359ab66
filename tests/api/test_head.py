"""HEAD works wherever GET does: same status and headers, no body."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient

from app.head import HeadAsGetMiddleware


def _urls(client: TestClient) -> list[str]:
    """Every GET route of the OpenAPI document (path and required parameters from examples)."""
    spec = client.get("/openapi.json").json()
    urls = ["/docs", "/redoc", "/openapi.json", "/docs-assets/swagger-ui.css"]
    for path, operations in spec["paths"].items():
        if "get" not in operations:
            continue
        params = operations["get"].get("parameters", [])
        url = path.format(**{p["name"]: p["example"] for p in params if p["in"] == "path"})
        query = "&".join(
            f"{p['name']}={p['example']}" for p in params if p["in"] == "query" and p["required"]
        )
        urls.append(f"{url}?{query}" if query else url)
    return urls


def test_every_get_route_answers_head_with_its_status_and_no_body(
    seed_client: TestClient,
) -> None:
    urls = _urls(seed_client)
    assert {"/health", "/export", "/openapi.json", "/docs"} <= set(urls)
    # The live change stream never ends; with follow=false it ends once caught up.
    urls = [f"{u}?follow=false" if u == "/changes/stream" else u for u in urls]
    for url in [*urls, "/entities/atlantis", "/nowhere"]:
        get, head = seed_client.get(url), seed_client.head(url)
        assert head.status_code == get.status_code, url
        assert head.content == b"", url
        assert head.headers["content-type"] == get.headers["content-type"], url
        assert head.headers.get("content-length") == get.headers.get("content-length"), url


def test_a_405_allows_head_beside_get(mini_client: TestClient) -> None:
    response = mini_client.post("/health")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


def test_a_head_request_stops_a_streamed_body_at_its_first_chunk() -> None:
    pulled: list[int] = []

    def chunks() -> Iterator[bytes]:
        for i in range(1000):
            pulled.append(i)
            yield b"x" * 1024

    app = FastAPI()
    app.add_middleware(HeadAsGetMiddleware)

    @app.get("/stream")
    def stream() -> StreamingResponse:
        return StreamingResponse(chunks(), media_type="text/plain")

    with TestClient(app) as client:
        response = client.head("/stream")
        assert (response.status_code, response.content) == (200, b"")
        assert len(pulled) < 10
        assert len(client.get("/stream").content) == 1000 * 1024
