"""Exports stream from a real server: a failure part-way through is an incomplete response.

The status line goes out with the first chunk, so a failure after it cannot become an error
status; the server then drops the connection without the chunked body's last (empty) chunk,
and every HTTP client reports the body as incomplete: never a shorter document that looks
whole.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx2 as httpx
import pytest
from rdflib import Graph

from tests.e2e.serving import ServerProcess

pytestmark = pytest.mark.e2e

FAILING = "tests.e2e.failing_export:create_app"


def test_an_export_that_fails_midway_is_an_incomplete_response(
    launch: Callable[..., ServerProcess],
) -> None:
    server = launch(factory=FAILING)
    server.start()
    with server.client() as client, client.stream("GET", "/export?format=ntriples") as response:
        assert response.status_code == 200
        assert response.headers["transfer-encoding"] == "chunked"
        received = 0
        with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
            for chunk in response.iter_bytes():
                received += len(chunk)
        assert received > 0  # the chunks before the failure did arrive


def test_a_whole_export_ends_with_its_last_chunk(launch: Callable[..., ServerProcess]) -> None:
    server = launch(factory=FAILING)
    server.start()
    with server.client() as client:
        # Another format from the same server is whole, and parses.
        response = client.get("/export", params={"format": "turtle"})
        assert response.status_code == 200
        assert len(Graph().parse(data=response.content, format="turtle")) > 1000
        # The server is still up after a broken export.
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/export", params={"format": "ntriples"})
        assert client.get("/health").status_code == 200
