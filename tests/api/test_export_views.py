"""`/export` of a whole graph joins the store's pre-rendered views: after writes, cascades and
imports over HTTP, every document is still the one the projection writes from the records."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graph.export import prerendered
from graph.export.graphml import export_graphml
from graph.export.rdf import export_rdf
from graph.service import KnowledgeGraph
from tests.api.conftest import TOKENS, WRITE, client_for

FORMATS = prerendered.FORMATS
SOURCE = "ap-2022-02-15-russia-forces-pulling-back"


def _graph(client: TestClient) -> KnowledgeGraph:
    graph: KnowledgeGraph = client.app.state.graph  # type: ignore[attr-defined]
    return graph


def assert_exports_the_records(client: TestClient) -> None:
    with _graph(client).reading() as store:
        view = store.snapshot()
    for fmt in FORMATS:
        served = client.get("/export", params={"format": fmt})
        assert served.status_code == 200
        chunks = export_graphml(view) if fmt == "graphml" else export_rdf(view, fmt)
        assert served.content == b"".join(chunks), fmt


def _stale(client: TestClient) -> int:
    """How many nodes have no stored, up-to-date view."""
    snapshot = _graph(client).records.pin()
    rows = snapshot.rendered("ntriples", prerendered.RENDER_VERSION)
    return sum(1 for _, blob in rows if blob is None)


def test_exports_follow_patches_deletes_and_cascades(writable_client: TestClient) -> None:
    assert _stale(writable_client) == 0
    patched = writable_client.patch(
        "/entities/kyiv", json={"aliases": ["Kiev"], "description": "A city"}, headers=WRITE
    )
    assert patched.status_code == 200, patched.text
    relation = writable_client.post(
        "/relations",
        json={
            "type": "critic_of",
            "source": "olaf-scholz",
            "target": "russia",
            "attributes": {"title": "Chancellor"},
            "analyst_assertion": True,
        },
        headers=WRITE,
    )
    assert relation.status_code == 201, relation.text
    assert_exports_the_records(writable_client)
    assert writable_client.delete("/entities/kyiv?cascade=true", headers=WRITE).status_code == 204
    assert (
        writable_client.delete(f"/relations/{relation.json()['id']}", headers=WRITE).status_code
        == 204
    )
    assert _stale(writable_client) == 0
    assert_exports_the_records(writable_client)


@pytest.fixture
def empty_client(tmp_path: Path) -> Iterator[TestClient]:
    yield from client_for(tmp_path / "no-seeds", tokens=TOKENS)


def test_exports_follow_an_import(seed_client: TestClient, empty_client: TestClient) -> None:
    document = seed_client.get("/export", params={"format": "nquads"}).content
    imported = empty_client.post(
        "/import", params={"format": "nquads"}, content=document, headers=WRITE
    )
    assert imported.status_code == 201, imported.text
    deadline = time.monotonic() + 60  # the views are rendered in the background
    while _stale(empty_client) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _stale(empty_client) == 0
    assert_exports_the_records(empty_client)
