"""Every answer bounded in cost, over HTTP: k-paths under budgets, cursor pages, limits."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.deps import HEAVY_AT_ONCE
from app.explore import MAX_NODES_ON_SCREEN
from graph import queries
from tests.api.conftest import WRITE

PROBLEMS = "https://geokg.example.org/problems/"


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def test_k_paths_between_hubs_answer_within_the_size_budget(seed_client: TestClient) -> None:
    params = {"source": "russia", "target": "united-states", "max_length": 6, "limit": 1000}
    response = seed_client.get("/paths", params=params)
    assert response.status_code == 200
    body = response.json()
    assert body["truncated"] is True and body["truncated_by"] in {"size", "time"}
    records = sum(len(p["nodes"]) + sum(map(len, p["hops"])) for p in body["paths"])
    assert 0 < records <= queries.PATH_RECORDS
    assert len(response.content) < 3_000_000  # 7.2 MB before the budgets


def test_k_paths_out_of_budget_before_any_path_is_a_problem_naming_it(
    seed_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    spent = queries.PathBudget(searches=0)
    monkeypatch.setattr(queries, "PathBudget", lambda: spent)
    body = _problem(seed_client.get("/paths", params={"source": "russia", "target": "nato"}), 422)
    assert body["type"] == f"{PROBLEMS}path-budget-exhausted"
    assert body["budget"] == "searches" and "searches budget" in body["detail"]
    assert seed_client.get("/problems/path-budget-exhausted").status_code == 200


# -- cursor pages ----------------------------------------------------------------------------

LISTS = [
    "/entities",
    "/entities?kind=person",
    "/entities?q=in",
    "/events",
    "/events?kind=statement",
    "/events?start=2022-02-14",
    "/relations",
    "/relations?type=actor",
    "/relations?target=russia",
    "/entities/russia/relations",
    "/entities/russia/relations?direction=in&type=actor",
]


def _follow_links(client: TestClient, url: str) -> list[str]:
    """Every id of a list, following the `Link: rel="next"` headers page by page."""
    ids: list[str] = []
    next_url: str | None = url
    while next_url is not None:
        response = client.get(next_url)
        assert response.status_code == 200, response.text
        page = response.json()
        ids += [item["id"] for item in page["items"]]
        link = response.headers.get("link")
        assert (link is None) == (page["next_cursor"] is None)
        next_url = None
        if link is not None:
            target, rel = link.split("; ")
            assert rel == 'rel="next"' and page["next_cursor"] in target
            next_url = target.strip("<>")
        assert len(ids) < 10_000, "the pages never ended"
    return ids


def _with(url: str, **params: object) -> str:
    extra = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{url}{'&' if '?' in url else '?'}{extra}"


@pytest.mark.parametrize("url", LISTS)
def test_next_links_cover_a_list_exactly_once(seed_client: TestClient, url: str) -> None:
    whole = seed_client.get(_with(url, limit=1000)).json()
    assert whole["next_cursor"] is None and len(whole["items"]) > 3
    paged = _follow_links(seed_client, _with(url, limit=3))
    assert paged == [item["id"] for item in whole["items"]]


def test_an_offset_page_links_to_a_cursor_page(seed_client: TestClient) -> None:
    response = seed_client.get("/entities", params={"limit": 5, "offset": 5})
    target = response.headers["link"].split(";")[0].strip("<>")
    assert "offset" not in target and "limit=5" in target
    after = seed_client.get(target).json()
    assert after["offset"] == 0
    assert after["items"] == seed_client.get("/entities?limit=5&offset=10").json()["items"]


def _new_event(client: TestClient, target: str) -> str:
    source = client.post(
        "/sources",
        headers=WRITE,
        json={
            "title": "A later report",
            "published": "2022-02-16",
            "text": "Officials said Russia moved troops on Wednesday.",
        },
    )
    assert source.status_code == 201, source.text
    event = client.post(
        "/events",
        headers=WRITE,
        json={
            "kind": "troop_movement",
            "label": "Russia moves troops on Wednesday",
            "cameo": "192",
            "modality": "reported",
            "date": {"rule": "publication_day", "expression": "on Wednesday"},
            "participants": [{"entity": target, "role": "actor"}],
            "evidence": [{"source": source.json()["id"], "quote": "Russia moved troops"}],
        },
    )
    assert event.status_code == 201, event.text
    return str(event.json()["id"])


@pytest.mark.parametrize(
    "url",
    [
        "/entities",
        "/events",
        "/relations",
        "/entities/russia/relations",
        "/events?kind=troop_movement",
    ],
)
def test_a_write_between_pages_shifts_no_page(writable_client: TestClient, url: str) -> None:
    client = writable_client
    before = [item["id"] for item in client.get(_with(url, limit=1000)).json()["items"]]
    first = client.get(_with(url, limit=3)).json()
    new_event = _new_event(client, "russia")
    rest = _follow_links(client, _with(url, limit=3, cursor=first["next_cursor"]))
    paged = [item["id"] for item in first["items"]] + rest
    after = [item["id"] for item in client.get(_with(url, limit=1000)).json()["items"]]
    assert len(paged) == len(set(paged)), "an item came twice"
    assert set(before) <= set(paged) <= set(after), "an item was skipped, or came from nowhere"
    assert [i for i in paged if i in before] == before
    if url == "/events":  # dated 16 February: after the first page's (earlier) events
        assert new_event in paged
    if url == "/events?kind=troop_movement":  # before the first page's undated events
        assert new_event not in paged and new_event in after


@pytest.mark.parametrize(
    "url", ["/entities", "/events", "/relations", "/entities/russia/relations"]
)
@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "WzEsImFiYyJd",  # base64url of [1,"abc"], with no checksum
        "%00",
        "WzEsIjc5ZjUzYzExMjY0MSIsMjVdxTX72B10ItQ",  # one geokg wrote before cursors had keys
    ],
)
def test_a_bad_cursor_is_a_problem_naming_it(
    seed_client: TestClient, url: str, cursor: str
) -> None:
    body = _problem(seed_client.get(f"{url}?cursor={cursor}"), 422)
    assert body["type"] == f"{PROBLEMS}invalid-cursor"
    assert [(e["field"], e["location"]) for e in body["errors"]] == [("cursor", "query")]


def test_a_cursor_of_another_query_or_changed_is_refused(seed_client: TestClient) -> None:
    cursor = seed_client.get("/entities", params={"limit": 2}).json()["next_cursor"]
    for url in ["/events", "/relations", "/entities?kind=person", "/entities/russia/relations"]:
        body = _problem(seed_client.get(_with(url, cursor=cursor)), 422)
        assert body["type"] == f"{PROBLEMS}invalid-cursor" and "another query" in body["detail"]
    changed = cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB")
    body = _problem(seed_client.get("/entities", params={"cursor": changed}), 422)
    assert body["type"] == f"{PROBLEMS}invalid-cursor"
    both = seed_client.get("/entities", params={"cursor": cursor, "offset": 2})
    assert _problem(both, 422)["errors"][0]["field"] == "offset"
    long = _problem(seed_client.get("/entities", params={"cursor": "a" * 1025}), 422)
    assert long["errors"][0]["field"] == "cursor"


def test_the_relations_of_a_hub_come_a_page_at_a_time(seed_client: TestClient) -> None:
    response = seed_client.get("/entities/russia/relations", params={"limit": 5})
    page = response.json()
    assert len(page["items"]) == 5 and page["total"] == 25 and page["next_cursor"]
    assert response.headers["link"].startswith("</entities/russia/relations?")
    default = seed_client.get("/entities/russia/relations").json()
    assert (len(default["items"]), default["limit"]) == (25, 50)
    too_many = seed_client.get(
        "/entities/russia/relations", params={"limit": queries.MAX_LIMIT + 1}
    )
    assert _problem(too_many, 422)["errors"][0]["field"] == "limit"


def test_offsets_stop_at_their_bound(seed_client: TestClient) -> None:
    deep = seed_client.get("/relations", params={"offset": queries.MAX_OFFSET + 1})
    assert _problem(deep, 422)["errors"][0]["field"] == "offset"
    assert (
        seed_client.get("/relations", params={"offset": queries.MAX_OFFSET}).json()["items"] == []
    )


# -- the limits, documented ------------------------------------------------------------------


def test_limits_list_every_bound_with_what_happens_when_reached(seed_client: TestClient) -> None:
    limits = seed_client.get("/limits").json()
    expected = {
        "page_size": queries.MAX_LIMIT,
        "offset": queries.MAX_OFFSET,
        "event_page_scan": queries.EVENT_SCAN_LIMIT,
        "search_matches": queries.SEARCH_LIMIT,
        "path_length": queries.MAX_PATH_LENGTH,
        "path_search_seconds": queries.PATH_SECONDS,
        "path_searches": queries.PATH_SEARCHES,
        "path_answer_records": queries.PATH_RECORDS,
        "neighbourhood_walk_nodes": queries.WALK_LIMIT,
        "heavy_queries_at_once": HEAVY_AT_ONCE,
        "export_nodes": queries.MAX_EXPORT_NODES,
        "timeline_events": queries.MAX_LIMIT,
        "explorer_nodes_on_screen": MAX_NODES_ON_SCREEN,
    }
    assert {name: limits[name]["value"] for name in expected} == expected
    for name, bound in limits.items():
        assert set(bound) == {"value", "unit", "when_reached"}, name
        assert bound["unit"] and bound["when_reached"], name
    assert "truncated" in limits["path_answer_records"]["when_reached"]
    assert "next_cursor" in limits["offset"]["when_reached"]
