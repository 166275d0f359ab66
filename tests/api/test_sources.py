"""GET /sources/{id}/text: the text evidence offsets point into, whole or sliced."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from graph import DEFAULT_SEEDS
from graph.store import GraphStore

SOURCE = "ap-2022-02-15-russia-forces-pulling-back"
EVENT = "russia-announces-units-returning-to-bases"
TEXT = (DEFAULT_SEEDS / "2022-02-15-ap-russia-forces-pulling-back.txt").read_text(encoding="utf-8")


def _text(client: TestClient, **params: int) -> str:
    response = client.get(f"/sources/{SOURCE}/text", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    return response.text


def test_the_whole_text_is_served_as_it_is_on_disk(seed_client: TestClient) -> None:
    assert _text(seed_client) == TEXT


def test_every_evidence_quote_of_an_event_equals_the_slice_served(
    seed_client: TestClient, seed_store: GraphStore
) -> None:
    evidence = [
        *seed_store.event(EVENT).evidence,
        *(ev for edge in seed_store.out_edges(EVENT) for ev in edge.evidence),
    ]
    assert len(evidence) >= 3
    for ev in evidence:
        assert ev.source == SOURCE
        assert _text(seed_client, start=ev.start, end=ev.end) == ev.quote


def test_an_open_ended_slice_runs_to_the_end_or_from_the_start(seed_client: TestClient) -> None:
    assert _text(seed_client, start=len(TEXT) - 10) == TEXT[-10:]
    assert _text(seed_client, end=6) == "Russia"
    assert _text(seed_client, start=len(TEXT)) == ""


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": -1}, "start"),
        ({"end": -5}, "end"),
        ({"start": 10, "end": 5}, "start"),
        ({"end": len(TEXT) + 1}, "end"),
        ({"start": len(TEXT) + 1}, "start"),
        ({"start": "ten"}, "start"),
    ],
)
def test_bad_offsets_are_422_naming_the_field(
    seed_client: TestClient, params: dict[str, object], field: str
) -> None:
    response = seed_client.get(f"/sources/{SOURCE}/text", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_an_unknown_source_is_404(seed_client: TestClient) -> None:
    response = seed_client.get("/sources/no-such-source/text")
    assert response.status_code == 404
    assert response.json()["type"] == "https://geokg.example.org/problems/node-not-found"
