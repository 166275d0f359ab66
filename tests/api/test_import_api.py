"""POST /import: round trips over HTTP, dry runs, tokens, refusals as located problem+json."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app import importing
from graph.formats import FORMATS as EXPORT_FORMATS
from tests.api.conftest import READ, TOKENS, WRITE, client_for
from tests.graph.test_imports import HOSTILE, XXE, _same

FORMATS = list(EXPORT_FORMATS)


@pytest.fixture
def empty_client(tmp_path: Path) -> Iterator[TestClient]:
    """A store with nothing in it, and a write token."""
    yield from client_for(tmp_path / "no-seeds", tokens=TOKENS)


@pytest.fixture(scope="module")
def seed_exports(seed_client: TestClient) -> dict[str, bytes]:
    return {fmt: seed_client.get("/export", params={"format": fmt}).content for fmt in FORMATS}


def _position(client: TestClient) -> int:
    position: int = client.app.state.graph.position  # type: ignore[attr-defined]
    return position


@pytest.mark.parametrize("fmt", FORMATS)
def test_import_over_http_gives_the_same_graph(
    fmt: str, empty_client: TestClient, seed_exports: dict[str, bytes]
) -> None:
    response = empty_client.post(
        "/import", params={"format": fmt}, content=seed_exports[fmt], headers=WRITE
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["added"] == {"source": 1, "entity": 66, "event": 61, "edge": 245}
    assert int(response.headers["X-Geokg-Position"]) == _position(empty_client) == 373
    again = empty_client.get("/export", params={"format": fmt}).content
    assert _same(fmt, seed_exports[fmt], again)


def test_second_import_is_all_unchanged(
    empty_client: TestClient, seed_exports: dict[str, bytes]
) -> None:
    first = empty_client.post(
        "/import", params={"format": "nquads"}, content=seed_exports["nquads"], headers=WRITE
    )
    second = empty_client.post(
        "/import", params={"format": "graphml"}, content=seed_exports["graphml"], headers=WRITE
    )
    assert second.status_code == 200
    assert sum(second.json()["unchanged"].values()) == second.json()["items"]
    assert second.headers["X-Geokg-Position"] == first.headers["X-Geokg-Position"]


def test_dry_run_reports_and_writes_nothing(
    empty_client: TestClient, seed_exports: dict[str, bytes]
) -> None:
    response = empty_client.post(
        "/import",
        params={"format": "json", "dry_run": "true"},
        content=seed_exports["json"],
        headers=WRITE,
    )
    assert response.status_code == 200
    assert response.json()["dry_run"] is True and response.json()["added"]["entity"] == 66
    assert _position(empty_client) == 0
    assert empty_client.get("/changes").json()["items"] == []


def test_content_type_chooses_the_format(
    empty_client: TestClient, seed_exports: dict[str, bytes]
) -> None:
    response = empty_client.post(
        "/import",
        content=seed_exports["turtle"],
        headers={**WRITE, "Content-Type": "text/turtle; charset=utf-8"},
    )
    assert response.status_code == 201 and response.json()["format"] == "turtle"


def test_change_log_names_the_token_and_the_format(
    empty_client: TestClient, seed_exports: dict[str, bytes]
) -> None:
    empty_client.post(
        "/import", params={"format": "json"}, content=seed_exports["json"], headers=WRITE
    )
    first = empty_client.get("/changes", params={"limit": 1}).json()["items"][0]
    assert (first["actor"], first["source"]) == ("ana", "import:json")


@pytest.mark.parametrize(("headers", "status"), [({}, 401), (READ, 403)])
def test_import_needs_a_write_token(
    empty_client: TestClient, headers: dict[str, str], status: int
) -> None:
    response = empty_client.post(
        "/import", params={"format": "json"}, content=b"{}", headers=headers
    )
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


def test_unknown_format_is_a_400_listing_the_readers(empty_client: TestClient) -> None:
    response = empty_client.post("/import", params={"format": "csv"}, content=b"", headers=WRITE)
    assert response.status_code == 400
    assert "graphml" in response.json()["supported"]
    response = empty_client.post(
        "/import", content=b"", headers={**WRITE, "Content-Type": "text/csv"}
    )
    assert response.status_code == 400


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_refused_imports_are_located_problems_and_change_nothing(
    case: str, empty_client: TestClient, seed_exports: dict[str, bytes]
) -> None:
    empty_client.post(
        "/import", params={"format": "json"}, content=seed_exports["json"], headers=WRITE
    )
    before = _position(empty_client)
    fmt, data, location, reason = HOSTILE[case]
    response = empty_client.post("/import", params={"format": fmt}, content=data, headers=WRITE)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    first = response.json()["errors"][0]
    assert first["field"] == location and reason in first["message"]
    assert _position(empty_client) == before


def test_xxe_is_refused_even_in_a_dry_run(empty_client: TestClient) -> None:
    response = empty_client.post(
        "/import", params={"format": "rdfxml", "dry_run": "true"}, content=XXE, headers=WRITE
    )
    assert response.status_code == 422
    assert "passwd" not in response.text.replace("file:///etc/passwd", "")


def test_a_bad_record_is_a_422_naming_its_json_path(
    empty_client: TestClient, seed_exports: dict[str, bytes]
) -> None:
    data = seed_exports["json"].replace(b'"label":"Russia"', b'"label":"Rus\\u0000sia"', 1)
    response = empty_client.post("/import", params={"format": "json"}, content=data, headers=WRITE)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].endswith(".label")
    assert "control character" in response.json()["errors"][0]["message"]
    assert _position(empty_client) == 0
    dry = empty_client.post(
        "/import", params={"format": "json", "dry_run": "true"}, content=data, headers=WRITE
    )
    assert dry.status_code == 200
    assert dry.json()["rejected"]["entity"] == 1 and dry.json()["problems"]


def test_over_the_item_limit_is_refused(
    empty_client: TestClient, seed_exports: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "IMPORT_ITEMS", 100)
    response = empty_client.post(
        "/import", params={"format": "graphml"}, content=seed_exports["graphml"], headers=WRITE
    )
    assert response.status_code == 422
    assert "more than 100 records" in response.json()["errors"][0]["message"]
    assert _position(empty_client) == 0


def test_limits_list_the_items_per_import(empty_client: TestClient) -> None:
    assert empty_client.get("/limits").json()["import_items"]["value"] == 2_000_000


@pytest.mark.parametrize("fmt", ["turtle", "jsonld", "rdfxml", "json", "ntriples"])
def test_a_body_over_its_formats_cap_is_413_naming_the_streamed_formats(
    empty_client: TestClient,
    seed_exports: dict[str, bytes],
    fmt: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = seed_exports[fmt]
    monkeypatch.setattr(importing, "MAX_WHOLE_IMPORT_BYTES", len(document) - 1)
    answer = empty_client.post("/import", params={"format": fmt}, content=document, headers=WRITE)
    if fmt == "ntriples":  # streamed: only the general body cap applies
        assert answer.status_code == 201, answer.text
        return
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert "ntriples" in answer.json()["detail"]
    assert _position(empty_client) == 0
