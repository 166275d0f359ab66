"""The landing page, the explorer page, the source reader and the vendored assets over HTTP."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app import vendor
from app.explore import CSP

SOURCE = "ap-2022-02-15-russia-forces-pulling-back"


def _policy(response: Any) -> dict[str, list[str]]:
    return {
        name: sources.split()
        for name, _, sources in (
            d.strip().partition(" ") for d in response.headers["content-security-policy"].split(";")
        )
    }


def test_landing_page_links_every_page(seed_client: TestClient) -> None:
    response = seed_client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    links = set(re.findall(r'href="([^"]+)"', response.text))
    assert {"/explore", "/sparql", "/docs", "/redoc", "/limits"} <= links
    for link in links - {"data:,"}:
        assert seed_client.get(link).status_code == 200, link


@pytest.mark.parametrize("path", ["/", "/explore", f"/explore/sources/{SOURCE}"])
def test_pages_keep_a_strict_policy_and_load_only_local_assets(
    seed_client: TestClient, path: str
) -> None:
    response = seed_client.get(path)
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert response.headers["content-security-policy"] == CSP
    assert "<script>" not in response.text and "style=" not in response.text
    for asset in re.findall(r'(?:src|href)="(/explore-assets/[^"]*)"', response.text):
        assert seed_client.get(asset).status_code == 200, asset


def test_explorer_loads_each_vendored_script_before_its_own(seed_client: TestClient) -> None:
    page = seed_client.get("/explore").text
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts == [
        "/explore-assets/vendor/cytoscape/cytoscape.min.js",
        "/explore-assets/vendor/layout-base/layout-base.js",
        "/explore-assets/vendor/cose-base/cose-base.js",
        "/explore-assets/vendor/cytoscape-fcose/cytoscape-fcose.js",
        "/explore-assets/explore.js",
    ]
    assert 'data-node-cap="3000"' in page and 'data-export-cap="1000"' in page
    # Filters come from the vocabularies and the CAMEO codebook.
    for box in ['value="military_force"', 'value="observance"', 'value="19"', 'value="denied"']:
        assert box in page


def test_source_reader_marks_the_quote_at_its_offsets(seed_client: TestClient) -> None:
    response = seed_client.get(f"/explore/sources/{SOURCE}", params={"start": 1592, "end": 1685})
    marked = re.search(r'<mark id="quote">(.*?)</mark>', response.text, re.DOTALL)
    assert marked is not None
    assert marked[1] == (
        "German Chancellor Olaf Scholz planned to meet with Russian President Vladimir Putin "
        "in Moscow"
    )
    text = seed_client.get(f"/sources/{SOURCE}/text").text
    assert marked[1] == text[1592:1685]


def test_source_reader_escapes_the_text(writable_client: TestClient) -> None:
    from tests.api.conftest import WRITE

    text = "<script>alert(1)</script> & more"
    created = writable_client.post(
        "/sources",
        headers=WRITE,
        json={"title": "Hostile", "published": "2022-02-15", "text": text},
    )
    assert created.status_code == 201, created.text
    page = writable_client.get(
        f"/explore/sources/{created.json()['id']}", params={"start": 0, "end": 8}
    ).text
    assert "<script>alert" not in page
    assert '<mark id="quote">&lt;script&gt;</mark>alert(1)&lt;/script&gt; &amp; more' in page


@pytest.mark.parametrize(
    ("params", "status", "slug"),
    [
        ({"start": 10}, 422, "invalid-query"),
        ({"end": 10}, 422, "invalid-query"),
        ({"start": 20, "end": 10}, 422, "invalid-query"),
        ({"start": 0, "end": 10**6}, 422, "invalid-query"),
        ({"start": -1, "end": 3}, 422, "validation-error"),
        ({"start": "x", "end": 3}, 422, "validation-error"),
        ({"start": 0, "end": 3, "extra": 1}, 422, "validation-error"),
    ],
)
def test_bad_reader_offsets_are_problems(
    seed_client: TestClient, params: dict[str, Any], status: int, slug: str
) -> None:
    response = seed_client.get(f"/explore/sources/{SOURCE}", params=params)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith(f"/{slug}")


def test_unknown_source_in_the_reader_is_404(seed_client: TestClient) -> None:
    response = seed_client.get("/explore/sources/atlantis")
    assert response.status_code == 404
    assert response.json()["type"].endswith("/node-not-found")


@pytest.mark.parametrize(
    "path", ["/explore-assets/explore.html", "/explore-assets/vendor/cytoscape/LICENSE-x"]
)
def test_only_listed_assets_are_served(seed_client: TestClient, path: str) -> None:
    response = seed_client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_missing_vendored_files_are_a_503_that_says_how_to_install_them(
    seed_client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vendor, "VENDOR_DIR", tmp_path / "vendor")
    for path in ["/explore", "/explore-assets/vendor/cytoscape/cytoscape.min.js"]:
        response = seed_client.get(path)
        assert response.status_code == 503, path
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["type"].endswith("/assets-missing")
        assert "python -m app.vendor" in body["detail"] and "cytoscape.min.js" in body["detail"]
