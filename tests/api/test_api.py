"""The REST contract, through TestClient over the tiny synthetic seed."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"]
    assert "Traceback" not in response.text and "/work/" not in response.text
    return body


def test_health_reports_counts(mini_client: TestClient) -> None:
    body = mini_client.get("/health").json()
    assert body == {
        "status": "ok",
        "counts": {"entities": 6, "events": 3, "sources": 1, "edges": 11},
        "position": 21,
        "lag_changes": 0,
        "lag_seconds": 0.0,
    }


def test_entities_search_pages_and_best_match_first(mini_client: TestClient) -> None:
    body = mini_client.get("/entities", params={"q": "DELIA"}).json()
    assert body["total"] == 1 and body["items"][0]["id"] == "delia-quux"
    assert body["items"][0]["label"] == "Délia Quux" and body["items"][0]["kind"] == "person"
    page = mini_client.get("/entities", params={"limit": 2, "offset": 2}).json()
    assert (page["total"], len(page["items"]), page["limit"], page["offset"]) == (6, 2, 2, 2)


def test_entity_by_id_and_unknown_id_is_problem_json(mini_client: TestClient) -> None:
    assert mini_client.get("/entities/alpha-land").json()["aliases"] == ["Alpha"]
    body = _problem(mini_client.get("/entities/atlantis"), 404)
    assert "atlantis" in body["detail"]
    _problem(mini_client.get("/entities/quux-warning"), 404)  # an event is not an entity
    _problem(mini_client.get("/events/alpha-land"), 404)
    _problem(mini_client.get("/sources/nope"), 404)


def test_entity_relations_direction_and_type(mini_client: TestClient) -> None:
    page = mini_client.get("/entities/delia-quux/relations", params={"direction": "out"}).json()
    out = page["items"]
    assert [(e["type"], e["target"]) for e in out] == [("holds_position", "alpha-land")]
    assert (page["total"], page["next_cursor"]) == (1, None)
    assert out[0]["evidence"][0]["quote"] == "Officer Délia Quux of Alpha Land"
    typed = mini_client.get(
        "/entities/beta-land/relations", params={"direction": "in", "type": "target"}
    ).json()
    assert [e["source"] for e in typed["items"]] == ["quux-warning"]
    body = _problem(
        mini_client.get("/entities/beta-land/relations", params={"direction": "up"}), 422
    )
    assert body["errors"][0]["field"] == "direction"


def test_neighbors_bounds_and_truncation(mini_client: TestClient) -> None:
    body = mini_client.get("/entities/gamma-city/neighbors", params={"depth": 2, "limit": 2}).json()
    assert len(body["nodes"]) == 2 and body["truncated"] is True
    full = mini_client.get("/entities/gamma-city/neighbors", params={"depth": 1}).json()
    assert full["truncated"] is False
    assert {n["id"] for n in full["nodes"]} == {"gamma-city", "alpha-beta-meeting", "beta-land"}
    assert {e["id"] for e in full["edges"]} == {
        "alpha-beta-meeting.place.gamma-city",
        "alpha-beta-meeting.participant.beta-land",
        "gamma-city.located_in.beta-land",
    }


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/entities/gamma-city/neighbors", {"depth": 5}, "depth"),
        ("/entities/gamma-city/neighbors", {"limit": 1001}, "limit"),
        ("/entities", {"limit": 1001}, "limit"),
        ("/entities", {"kind": "planet"}, "kind"),
        ("/events", {"start": "2022-02-30"}, "start"),
        ("/events", {"start": "2022-02-17", "end": "2022-02-16"}, "start"),
        ("/events", {"cameo": "abc"}, "cameo"),
        ("/relations", {"type": "friend_of"}, "type"),
        ("/paths", {"source": "alpha-land", "target": "beta-land", "max_length": 7}, "max_length"),
        ("/paths/shortest", {"source": "alpha-land"}, "target"),
        ("/paths/shortest", {"source": "alpha-land", "target": "beta-land", "types": "x"}, "types"),
        ("/paths/shortest", {"source": "a", "target": "b", "directed": "maybe"}, "directed"),
    ],
)
def test_bad_parameter_is_422_naming_the_field(
    mini_client: TestClient, url: str, params: dict[str, Any], field: str
) -> None:
    body = _problem(mini_client.get(url, params=params), 422)
    assert field in [e["field"] for e in body["errors"]], body


def test_events_filters(mini_client: TestClient) -> None:
    def ids(**params: str) -> list[str]:
        return [e["id"] for e in mini_client.get("/events", params=params).json()["items"]]

    assert ids(start="2022-02-16", end="2022-02-16") == ["quux-warning"]
    assert ids(actor="alpha-land") == ["alpha-beta-meeting"]
    assert ids(place="gamma-city", cameo="036") == ["alpha-beta-meeting"]
    assert ids(kind="denial") == ["beta-denial"]
    event = mini_client.get("/events/quux-warning").json()
    assert event["date"] == {
        "expression": "a day after",
        "value": "2022-02-16",
        "start": "2022-02-16",
        "end": "2022-02-16",
        "granularity": "day",
        "rule": "relative_to_event",
        "note": "+1 day(s) from alpha-beta-meeting",
    }
    assert event["cameo"]["code"] == "010" and event["cameo"]["quad_class"] == 1
    assert [(p["role"], p["id"], p["label"]) for p in event["participants"]] == [
        ("actor", "delia-quux", "Délia Quux"),
        ("target", "beta-land", "Beta Land"),
    ]
    listed = mini_client.get("/events", params={"kind": "meeting"}).json()["items"][0]
    assert {p["role"] for p in listed["participants"]} == {"actor", "participant", "place"}


def test_relations_between_two_nodes_and_unknown_ends(mini_client: TestClient) -> None:
    body = mini_client.get(
        "/relations", params={"source": "alpha-beta-meeting", "target": "beta-land"}
    ).json()
    assert [e["type"] for e in body["items"]] == ["participant"]
    _problem(mini_client.get("/relations", params={"source": "gamma-city", "target": "nope"}), 404)
    typed = mini_client.get("/relations", params={"type": "actor", "limit": 1}).json()
    assert (typed["total"], len(typed["items"])) == (3, 1)


def test_empty_filters_mean_no_filter(mini_client: TestClient) -> None:
    everything = mini_client.get("/entities").json()["total"]
    assert mini_client.get("/entities", params={"kind": "", "q": ""}).json()["total"] == everything
    assert mini_client.get("/events", params={"kind": "", "actor": ""}).json()["total"] == 3


def test_earliest_date_window_is_not_a_server_error(mini_client: TestClient) -> None:
    body = mini_client.get("/events", params={"start": "0001-01-01"}).json()
    assert body["total"] == 2  # the undated denial matches no window


def test_offset_is_bounded(mini_client: TestClient) -> None:
    body = _problem(mini_client.get("/entities", params={"offset": 10**7}), 422)
    assert body["errors"][0]["field"] == "offset"


def test_relations_listing(mini_client: TestClient) -> None:
    body = mini_client.get("/relations", params={"source": "gamma-city"}).json()
    assert [(e["type"], e["target"]) for e in body["items"]] == [("located_in", "beta-land")]
    assert mini_client.get("/relations", params={"type": "contributor"}).json()["total"] == 1


def test_shortest_path_carries_evidence_dates_and_cameo(mini_client: TestClient) -> None:
    body = mini_client.get(
        "/paths/shortest", params={"source": "Délia Quux", "target": "gamma-city"}
    ).json()
    assert body["length"] == 3 == len(body["edges"])
    assert body["nodes"][0]["id"] == "delia-quux"
    for edge in body["edges"]:
        assert edge["evidence"][0]["quote"] and edge["evidence"][0]["source"] == "test-mini"
    events = {n["id"]: n for n in body["nodes"] if n["node_type"] == "event"}
    meeting = events["alpha-beta-meeting"]
    assert meeting["cameo"]["code"] == "036" and meeting["cameo"]["goldstein"] == 4.0
    assert meeting["date"]["value"] == "2022-02-15" and meeting["date"]["rule"] == "publication_day"


UNCONNECTED = {"source": "lonely", "target": "alpha-land"}
# Connected only against the edges' direction (the meeting's role edge leaves the meeting).
AGAINST_DIRECTION = {"source": "beta-land", "target": "alpha-beta-meeting", "directed": "true"}


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/paths/shortest", UNCONNECTED),
        ("/paths/shortest", AGAINST_DIRECTION),
        ("/paths", UNCONNECTED),
        ("/paths", AGAINST_DIRECTION),
        ("/paths", {"source": "delia-quux", "target": "gamma-city", "max_length": "2"}),
    ],
)
def test_no_path_is_404_problem_from_both_path_routes(
    mini_client: TestClient, url: str, params: dict[str, str]
) -> None:
    body = _problem(mini_client.get(url, params=params), 404)
    assert "no path" in body["detail"]
    assert body["type"] == "https://geokg.example.org/problems/no-path"


def test_k_paths_shortest_first(mini_client: TestClient) -> None:
    body = mini_client.get(
        "/paths",
        params={"source": "delia-quux", "target": "gamma-city", "max_length": 4, "limit": 3},
    ).json()
    paths = body["paths"]
    assert [p["length"] for p in paths] == sorted(p["length"] for p in paths)
    assert (len(paths), body["truncated"], body["truncated_by"]) == (3, False, None)


def test_vocabulary_defines_every_term_the_queries_accept(mini_client: TestClient) -> None:
    body = mini_client.get("/vocabulary").json()
    assert set(body) == {"entity_kind", "event_kind", "role", "relation_type", "modality"}
    assert all(definition for table in body.values() for definition in table.values())
    for role in body["role"]:
        assert mini_client.get("/relations", params={"type": role}).status_code == 200
    for kind in body["entity_kind"]:
        assert mini_client.get("/entities", params={"kind": kind}).status_code == 200


def test_sources_carry_metadata(mini_client: TestClient) -> None:
    sources = mini_client.get("/sources").json()
    assert [s["id"] for s in sources] == ["test-mini"]
    one = mini_client.get("/sources/test-mini").json()
    assert one["published"] == "2022-02-15" and one["metadata_origin"] == "test fixture"
    assert one["contributors"] == ["delia-quux"] and one["publisher"] == "test-press"


def test_unknown_route_and_method_are_problem_json(mini_client: TestClient) -> None:
    _problem(mini_client.get("/nowhere"), 404)
    response = mini_client.put("/entities")
    _problem(response, 405)
    assert response.headers["allow"] == "GET, HEAD, POST"


def test_openapi_documents_every_operation(mini_client: TestClient) -> None:
    spec = mini_client.get("/openapi.json").json()
    operations = [(p, m, op) for p, ops in spec["paths"].items() for m, op in ops.items()]
    expected = {
        "/health", "/entities", "/entities/{id}", "/entities/{id}/relations",
        "/entities/{id}/neighbors", "/events", "/events/{id}", "/relations", "/paths/shortest",
        "/paths", "/export", "/sources", "/sources/{id}", "/vocabulary", "/problems",
        "/problems/{slug}", "/sources/{id}/text", "/relations/{id}",
        "/changes", "/changes/stream", "/limits", "/admin/backup", "/import",
        "/ingest", "/proposals", "/proposals/{set_id}", "/proposals/{set_id}/decisions",
        "/sparql",
        "/timeline", "/replica", "/ready", "/admin/replica/pause", "/admin/replica/resume",
    }  # fmt: skip
    assert {p for p, _, _ in operations} == expected
    for path, method, op in operations:
        assert op.get("summary"), f"{method} {path} has no summary"
        assert op.get("description"), f"{method} {path} has no description"
        params = op.get("parameters", [])
        for param in params:
            assert param.get("description"), f"{path} {param['name']} has no description"
        has_example = any("example" in p or "examples" in p for p in params) or any(
            "example" in c or "examples" in c
            for r in op["responses"].values()
            for c in r.get("content", {}).values()
        )
        assert has_example, f"{method} {path} has no example"


def test_paths_accept_events_and_sources_as_ends(mini_client: TestClient) -> None:
    body = mini_client.get(
        "/paths/shortest", params={"source": "test-mini", "target": "beta-denial"}
    ).json()
    assert body["nodes"][0]["node_type"] == "source"
    assert body["nodes"][-1]["node_type"] == "event"
    assert body["length"] == len(body["edges"]) == len(body["hops"])
