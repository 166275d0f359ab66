"""Writes over HTTP: tokens, validation, ETags, idempotency, deletes, the change log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from graph import DEFAULT_SEEDS
from graph.service import KnowledgeGraph
from tests.api.conftest import READ, READ_TOKEN, TOKENS, WRITE, WRITE_TOKEN

SEED_SOURCE = "ap-2022-02-15-russia-forces-pulling-back"
TEXT = (
    "President Joe Biden said on Wednesday that Russia could still invade Ukraine. "
    "Biden spoke at the White House."
)
ARTICLE = {
    "title": "Biden speaks",
    "published": "2022-02-16",
    "url": "https://example.org/b",
    "text": TEXT,
}


def _position(client: TestClient) -> int:
    return int(client.get("/changes", params={"limit": 1}).json()["position"])


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def _article(client: TestClient) -> str:
    response = client.post("/sources", json=ARTICLE, headers=WRITE)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _biden(client: TestClient) -> str:
    source = _article(client)
    body = {
        "kind": "person",
        "label": "Joe Biden",
        "evidence": [{"source": source, "quote": "Joe Biden"}],
    }
    response = client.post("/entities", json=body, headers=WRITE)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_writes_without_a_configured_write_token_are_403_saying_how(
    mini_client: TestClient,
) -> None:
    body = _problem(mini_client.post("/entities", json={"kind": "place", "label": "X"}), 403)
    assert "GEOKG_TOKENS" in body["detail"]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer not-a-token-at-all-000"}, 401),
        ({"Authorization": f"Basic {WRITE_TOKEN}"}, 401),
        (READ, 403),
    ],
)
def test_writes_need_a_write_token(
    writable_client: TestClient, headers: dict[str, str], status: int
) -> None:
    before = _position(writable_client)
    response = writable_client.post("/sources", json=ARTICLE, headers=headers)
    body = _problem(response, status)
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert WRITE_TOKEN not in response.text and READ_TOKEN not in response.text
    assert "not-a-token" not in body.get("detail", "")
    assert _position(writable_client) == before


def test_reads_can_require_a_token(tmp_path: Path) -> None:
    graph = KnowledgeGraph.open(tmp_path / "s.sqlite3", DEFAULT_SEEDS)
    settings = Settings(db=str(tmp_path / "s.sqlite3"), tokens=TOKENS, read_open=False)
    with TestClient(create_app(settings, graph)) as client:
        _problem(client.get("/entities"), 401)
        assert client.get("/entities", headers=READ).status_code == 200
        assert client.get("/health").status_code == 200
    graph.close()


def test_source_entity_event_round_trip_with_positions_and_etags(
    writable_client: TestClient,
) -> None:
    client = writable_client
    start = _position(client)
    created = client.post("/sources", json=ARTICLE, headers=WRITE)
    assert created.status_code == 201
    assert created.headers["location"] == "/sources/biden-speaks"
    assert int(created.headers["x-geokg-position"]) > start
    assert created.json()["text_length"] == len(TEXT)
    entity = client.post(
        "/entities",
        json={
            "kind": "person",
            "label": "Joe Biden",
            "evidence": [{"source": "biden-speaks", "quote": "Joe Biden"}],
        },
        headers=WRITE,
    )
    assert entity.status_code == 201
    # The seed has no Joe Biden: the slug is free.
    assert entity.json()["id"] == "joe-biden"
    assert entity.json()["evidence"][0] == {
        "source": "biden-speaks",
        "quote": "Joe Biden",
        "start": 10,
        "end": 19,
    }
    event = client.post(
        "/events",
        json={
            "kind": "statement",
            "label": "Biden says Russia could still invade",
            "cameo": "013",
            "modality": "asserted",
            "date": {"rule": "publication_day", "expression": "on Wednesday"},
            "participants": [
                {"entity": "joe-biden", "role": "actor"},
                {"entity": "russia", "role": "target"},
            ],
            "evidence": [{"source": "biden-speaks", "quote": "Russia could still invade Ukraine"}],
        },
        headers=WRITE,
    )
    assert event.status_code == 201, event.text
    detail = event.json()
    assert {(p["role"], p["id"]) for p in detail["participants"]} == {
        ("actor", "joe-biden"),
        ("target", "russia"),
    }
    assert detail["date"]["value"] == "2022-02-16"
    got = client.get(f"/events/{detail['id']}").json()
    assert got == detail
    roles = client.get("/relations", params={"source": detail["id"]}).json()["items"]
    assert {e["type"] for e in roles} == {"actor", "target"}
    log = client.get("/changes", params={"since": start}).json()
    positions = [c["position"] for c in log["items"]]
    assert positions == list(range(start + 1, start + 1 + len(positions)))
    assert positions[-1] == int(event.headers["x-geokg-position"])
    assert {c["actor"] for c in log["items"]} == {"ana"}
    assert log["items"][0]["after"]["text"] == TEXT


def test_quotes_are_checked_against_the_source_text(writable_client: TestClient) -> None:
    source = _article(writable_client)
    before = _position(writable_client)
    cases = [
        ({"source": source, "quote": "Vladimir Putin"}, "not in the text"),
        ({"source": source, "quote": "Biden", "start": 0, "end": 5}, "not the text at 0..5"),
        ({"source": source, "quote": "Biden"}, "occurs 2 times"),
        ({"source": "no-such-source", "quote": "Biden"}, "no source"),
        ({"source": "russia", "quote": "Russia"}, "not a source"),
    ]
    for evidence, reason in cases:
        body = _problem(
            writable_client.post(
                "/entities",
                json={"kind": "person", "label": "X Y", "evidence": [evidence]},
                headers=WRITE,
            ),
            422,
        )
        assert any(reason in e["message"] for e in body["errors"]), body
        assert body["errors"][0]["field"].startswith("$.evidence[0]")
    assert _position(writable_client) == before


def test_unsupported_facts_are_refused_and_analyst_assertions_recorded(
    writable_client: TestClient,
) -> None:
    event = {"kind": "meeting", "label": "A meeting", "cameo": "036", "modality": "occurred"}
    body = _problem(writable_client.post("/events", json=event, headers=WRITE), 422)
    assert body["errors"][0]["field"] == "$.evidence"
    created = writable_client.post(
        "/events", json={**event, "analyst_assertion": True}, headers=WRITE
    )
    assert created.status_code == 201 and created.json()["analyst_assertion"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "person", "label": "Bad\u0000name", "analyst_assertion": True}, "label"),
        ({"kind": "person", "label": "Two\nlines", "analyst_assertion": True}, "label"),
        ({"kind": "person", "label": "x" * 501, "analyst_assertion": True}, "label"),
        ({"kind": "person", "label": "Ok", "id": "Not A Slug", "analyst_assertion": True}, "id"),
        ({"kind": "wizard", "label": "Ok", "analyst_assertion": True}, "kind"),
        ({"kind": "state", "label": "Ok", "iso3166": "QQ", "analyst_assertion": True}, "$.iso3166"),
        (
            {"kind": "person", "label": "Ok", "iso3166": "UA", "analyst_assertion": True},
            "$.iso3166",
        ),
        ({"kind": "person", "label": "Ok", "surprise": 1, "analyst_assertion": True}, "surprise"),
    ],
)
def test_bad_entities_are_422_naming_the_field(
    writable_client: TestClient, body: dict[str, Any], field: str
) -> None:
    before = _position(writable_client)
    problem = _problem(writable_client.post("/entities", json=body, headers=WRITE), 422)
    assert any(e["field"] == field for e in problem["errors"]), problem
    assert _position(writable_client) == before


@pytest.mark.parametrize(
    "raw",
    [
        b'{"kind": "person", "label": "lone \\ud800 surrogate", "analyst_assertion": true}',
        b'{"kind": "statement", "label": "x", "cameo": "010", "modality": "asserted", '
        b'"analyst_assertion": true, "quantities": [{"value": NaN, "unit": "u", '
        b'"qualifier": "exact", "measure": "count", "text": "t", "evidence": []}]}',
        b'{"title": "t", "published": "2022-02-16", "url": "https://a.example/x\\ny", "text": "t"}',
        b'{"title": "t", "published": "2022-02-16", "url": "javascript:alert(1)", "text": "t"}',
        b"not json",
    ],
)
def test_values_no_export_could_carry_are_refused(writable_client: TestClient, raw: bytes) -> None:
    path = "/sources" if b"published" in raw else "/events" if b"cameo" in raw else "/entities"
    before = _position(writable_client)
    response = writable_client.post(
        path, content=raw, headers={**WRITE, "Content-Type": "application/json"}
    )
    _problem(response, 422)
    assert _position(writable_client) == before


def test_an_unknown_cameo_code_and_a_missing_participant_are_located(
    writable_client: TestClient,
) -> None:
    body = {
        "kind": "meeting",
        "label": "x",
        "cameo": "999",
        "modality": "occurred",
        "analyst_assertion": True,
        "participants": [{"entity": "nobody-at-all", "role": "actor"}],
    }
    problem = _problem(writable_client.post("/events", json=body, headers=WRITE), 422)
    fields = {e["field"] for e in problem["errors"]}
    assert {"$.cameo", "$.participants[0].entity"} <= fields


def test_if_match_guards_against_lost_updates(writable_client: TestClient) -> None:
    entity = _biden(writable_client)
    first = writable_client.patch(f"/entities/{entity}", json={"aliases": ["Biden"]}, headers=WRITE)
    assert first.status_code == 200 and first.json()["aliases"] == ["Biden"]
    etag = first.headers["etag"]
    second = writable_client.patch(
        f"/entities/{entity}",
        json={"description": "U.S. president"},
        headers={**WRITE, "If-Match": etag},
    )
    assert second.status_code == 200 and second.headers["etag"] != etag
    stale = writable_client.patch(
        f"/entities/{entity}",
        json={"description": "overwritten"},
        headers={**WRITE, "If-Match": etag},
    )
    _problem(stale, 412)
    assert writable_client.get(f"/entities/{entity}").json()["description"] == "U.S. president"
    _problem(
        writable_client.delete(f"/entities/{entity}", headers={**WRITE, "If-Match": etag}), 412
    )


def test_idempotency_key_returns_the_first_answer(writable_client: TestClient) -> None:
    headers = {**WRITE, "Idempotency-Key": "article-1"}
    first = writable_client.post("/sources", json=ARTICLE, headers=headers)
    position = _position(writable_client)
    again = writable_client.post("/sources", json=ARTICLE, headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["x-geokg-position"] == first.headers["x-geokg-position"]
    assert _position(writable_client) == position
    other = writable_client.post("/sources", json={**ARTICLE, "title": "Other"}, headers=headers)
    _problem(other, 422)
    # Keys belong to their writer's token: the same key is free for a fresh request otherwise.
    assert (
        writable_client.post(
            "/sources", json={**ARTICLE, "title": "Third"}, headers=WRITE
        ).status_code
        == 201
    )


def test_deleting_what_others_refer_to_is_409_unless_cascade(writable_client: TestClient) -> None:
    entity = _biden(writable_client)
    event = writable_client.post(
        "/events",
        json={
            "kind": "statement",
            "label": "Biden warns",
            "cameo": "013",
            "modality": "asserted",
            "place": "kyiv",
            "participants": [
                {"entity": entity, "role": "actor"},
                {"entity": "russia", "role": "target"},
            ],
            "evidence": [{"source": "biden-speaks", "quote": "Russia could still invade Ukraine"}],
        },
        headers=WRITE,
    ).json()
    conflict = _problem(writable_client.delete(f"/entities/{entity}", headers=WRITE), 409)
    assert conflict["conflicts"] == [f"{event['id']}.actor.{entity}"]
    assert (
        writable_client.delete(f"/entities/{entity}?cascade=true", headers=WRITE).status_code == 204
    )
    _problem(writable_client.get(f"/entities/{entity}"), 404)
    left = writable_client.get(f"/events/{event['id']}").json()
    assert {p["id"] for p in left["participants"]} == {"russia", "kyiv"}
    # A place deleted by cascade leaves the event without a place, in the record and the edges.
    assert writable_client.delete("/entities/kyiv?cascade=true", headers=WRITE).status_code == 204
    left = writable_client.get(f"/events/{event['id']}").json()
    assert left["place"] is None and {p["id"] for p in left["participants"]} == {"russia"}
    # A quoted source cannot go, cascade or not.
    problem = _problem(
        writable_client.delete("/sources/biden-speaks?cascade=true", headers=WRITE), 409
    )
    assert event["id"] in problem["conflicts"]


def test_relations_are_created_read_patched_and_deleted(writable_client: TestClient) -> None:
    entity = _biden(writable_client)
    body = {
        "type": "critic_of",
        "source": entity,
        "target": "russia",
        "evidence": [{"source": "biden-speaks", "quote": "Russia could still invade Ukraine"}],
    }
    created = writable_client.post("/relations", json=body, headers=WRITE)
    assert created.status_code == 201, created.text
    edge_id = created.json()["id"]
    assert edge_id == f"{entity}.critic_of.russia"
    _problem(writable_client.post("/relations", json=body, headers=WRITE), 409)
    read = writable_client.get(f"/relations/{edge_id}")
    assert read.headers["etag"] == created.headers["etag"]
    patched = writable_client.patch(
        f"/relations/{edge_id}", json={"attributes": {"note": "from the speech"}}, headers=WRITE
    )
    assert patched.json()["attributes"] == {"note": "from the speech"}
    assert writable_client.delete(f"/relations/{edge_id}", headers=WRITE).status_code == 204
    _problem(writable_client.get(f"/relations/{edge_id}"), 404)
    # Publisher edges change through their source, role edges through their event.
    _problem(
        writable_client.delete(
            f"/relations/{SEED_SOURCE}.published_by.associated-press", headers=WRITE
        ),
        409,
    )
    role = "scholz-putin-meeting-in-moscow.actor.olaf-scholz"
    _problem(writable_client.delete(f"/relations/{role}", headers=WRITE), 404)


def test_patching_an_event_replaces_its_participants(writable_client: TestClient) -> None:
    event_id = "scholz-putin-meeting-in-moscow"
    before = writable_client.get(f"/events/{event_id}").json()
    parts = [{"entity": "olaf-scholz", "role": "actor"}, {"entity": "ukraine", "role": "target"}]
    patched = writable_client.patch(
        f"/events/{event_id}", json={"participants": parts}, headers=WRITE
    )
    assert patched.status_code == 200, patched.text
    got = writable_client.get(f"/events/{event_id}").json()
    roles = {(p["role"], p["id"]) for p in got["participants"]}
    assert ("target", "ukraine") in roles and ("actor", "vladimir-putin") not in roles
    assert got["date"] == before["date"]  # the date was not in the patch: it stays as resolved


def test_bodies_over_the_limit_are_413(writable_client: TestClient) -> None:
    huge = (
        b'{"title": "t", "published": "2022-02-16", "text": "' + b"a" * (17 * 1024 * 1024) + b'"}'
    )
    response = writable_client.post(
        "/sources", content=huge, headers={**WRITE, "Content-Type": "application/json"}
    )
    _problem(response, 413)


def test_limits_are_listed(mini_client: TestClient) -> None:
    limits = mini_client.get("/limits").json()
    assert limits["body_bytes"]["value"] == 16 * 1024 * 1024
    assert limits["record_label_length"]["value"] == 500 and limits["page_size"]["value"] == 1000


def test_acknowledged_writes_survive_a_restart_and_seeds_load_once(tmp_path: Path) -> None:
    db = tmp_path / "geokg.sqlite3"
    graph = KnowledgeGraph.open(db, DEFAULT_SEEDS)
    seeded = graph.position
    with TestClient(create_app(Settings(db=str(db), tokens=TOKENS), graph)) as client:
        entity = _biden(client)
        position = _position(client)
    graph.close()
    again = KnowledgeGraph.open(db, DEFAULT_SEEDS)
    assert again.position == position > seeded
    with again.reading() as store:
        assert store.entity(entity).label == "Joe Biden"
        assert store.counts()["sources"] == 2
    again.close()


def test_a_seed_directory_without_seed_files_starts_an_empty_store(tmp_path: Path) -> None:
    (tmp_path / "seeds").mkdir()
    graph = KnowledgeGraph.open(tmp_path / "s.sqlite3", tmp_path / "seeds")
    with graph.reading() as store:
        assert store.counts() == {"entities": 0, "events": 0, "sources": 0, "edges": 0}
    graph.close()


def test_backup_over_http_is_a_store(writable_client: TestClient, tmp_path: Path) -> None:
    _biden(writable_client)
    response = writable_client.post("/admin/backup", headers=WRITE)
    assert response.status_code == 200
    assert response.content.startswith(b"SQLite format 3\x00")
    copy = tmp_path / "copy.sqlite3"
    copy.write_bytes(response.content)
    restored = KnowledgeGraph.open(copy)
    assert restored.position == _position(writable_client)
    restored.close()
    _problem(writable_client.post("/admin/backup", headers=READ), 403)


def test_a_label_without_letters_mints_an_id_from_the_kind(writable_client: TestClient) -> None:
    body = {"kind": "media_outlet", "label": ":", "analyst_assertion": True}
    created = writable_client.post("/entities", json=body, headers=WRITE)
    assert created.status_code == 201, created.text
    assert created.json()["id"].startswith("media-outlet-")


def test_an_event_no_cameo_code_fits_says_why_and_has_no_scores(
    writable_client: TestClient,
) -> None:
    event = {
        "kind": "market_movement",
        "label": "Markets rise",
        "cameo": None,
        "modality": "occurred",
        "analyst_assertion": True,
    }
    before = _position(writable_client)
    missing = _problem(writable_client.post("/events", json=event, headers=WRITE), 422)
    assert [e["field"] for e in missing["errors"]] == ["$.cameo_note"]
    both = {**event, "cameo": "010", "cameo_note": "filler"}
    refused = _problem(writable_client.post("/events", json=both, headers=WRITE), 422)
    assert [e["field"] for e in refused["errors"]] == ["$.cameo_note"]
    assert _position(writable_client) == before
    note = "a market movement, not an interaction between political actors"
    created = writable_client.post("/events", json={**event, "cameo_note": note}, headers=WRITE)
    assert created.status_code == 201, created.text
    detail = created.json()
    assert detail["cameo"] is None and detail["cameo_note"] == note
    assert writable_client.get(f"/events/{detail['id']}").json() == detail
    assert detail["id"] not in [
        e["id"] for e in writable_client.get("/events?cameo=01").json()["items"]
    ]
    # A patch that gives a code must drop the note (and one that drops the code, give one).
    coded = writable_client.patch(
        f"/events/{detail['id']}", json={"cameo": "013", "cameo_note": None}, headers=WRITE
    )
    assert coded.status_code == 200 and coded.json()["cameo"]["code"] == "013"
    assert coded.json()["cameo_note"] is None
    _problem(
        writable_client.patch(f"/events/{detail['id']}", json={"cameo": None}, headers=WRITE), 422
    )


def test_a_sources_credits_quote_its_byline_and_survive_patches(
    writable_client: TestClient,
) -> None:
    text = "Russia moved troops.\n— Karmanau reported from Kyiv. Jill Lawless contributed."
    source = {
        "id": "bylined",
        "title": "Bylined",
        "published": "2022-02-16",
        "text": text,
        "publisher": "associated-press",
        "contributors": ["karmanau", "jill-lawless"],
        "credits": [
            {"entity": "karmanau", "evidence": [{"quote": "Karmanau reported from Kyiv"}]},
            {"entity": "jill-lawless", "evidence": [{"quote": "Jill Lawless contributed"}]},
        ],
    }
    refused = _problem(
        writable_client.post(
            "/sources",
            json={**source, "credits": [{"entity": "russia", "evidence": [{"quote": "Russia"}]}]},
            headers=WRITE,
        ),
        422,
    )
    assert [e["field"] for e in refused["errors"]] == ["$.credits[0].entity"]
    assert writable_client.post("/sources", json=source, headers=WRITE).status_code == 201

    def quotes(edge_id: str) -> list[tuple[str, int, int]]:
        items = writable_client.get("/relations?source=bylined&limit=10").json()["items"]
        found = {e["id"]: e for e in items}[edge_id]
        return [(q["quote"], q["start"], q["end"]) for q in found["evidence"]]

    karmanau = ("Karmanau reported from Kyiv", 23, 50)
    assert quotes("bylined.contributor.karmanau") == [karmanau]
    assert quotes("bylined.published_by.associated-press") == []
    retitled = writable_client.patch("/sources/bylined", json={"title": "Retitled"}, headers=WRITE)
    assert retitled.status_code == 200, retitled.text
    assert quotes("bylined.contributor.karmanau") == [karmanau]
    # A contributor the patch removes takes its quotes with it; the others keep theirs.
    fewer = writable_client.patch(
        "/sources/bylined", json={"contributors": ["karmanau"]}, headers=WRITE
    )
    assert fewer.status_code == 200, fewer.text
    assert quotes("bylined.contributor.karmanau") == [karmanau]
    assert "bylined.contributor.jill-lawless" not in [
        e["id"] for e in writable_client.get("/relations?source=bylined").json()["items"]
    ]
