"""Review over HTTP, the hard cases: decisions taken back, edits, ids across sets, retries."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import READ, WRITE

ARTICLE = (
    "Talks in Varnia\n\n"
    "Foreign Minister Anna Berg of Norland met Prime Minister Ivo Tamm in Varnia on Monday. "
    "Berg said troops were moving to the border.\n"
)


def _ingest(client: TestClient, text: str = ARTICLE, **headers: str) -> dict:
    body = {"text": text, "title": "Talks in Varnia", "published": "2023-05-03"}
    answer = client.post("/ingest", json=body, headers={**WRITE, **headers})
    assert answer.status_code == 201, answer.text
    return answer.json()


def _item(found: dict, **match: object) -> dict:
    return next(i for i in found["items"] if all(i["record"].get(k) == v for k, v in match.items()))


def _decide(client: TestClient, found: dict, *decisions: dict, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/proposals/{found['id']}/decisions",
        json={"decisions": list(decisions)},
        headers={**WRITE, **headers},
    )


def test_a_rejected_item_can_be_accepted_later(writable_client: TestClient) -> None:
    found = _ingest(writable_client)
    berg = _item(found, label="Anna Berg")
    assert (
        _decide(writable_client, found, {"item": berg["id"], "decision": "reject"}).status_code
        == 200
    )
    answer = _decide(writable_client, found, {"item": berg["id"], "decision": "accept"})
    assert answer.status_code == 200, answer.text
    assert writable_client.get(f"/entities/{berg['record']['id']}").status_code == 200


def test_an_edit_may_say_which_node_of_the_graph_an_item_is(writable_client: TestClient) -> None:
    """'Ivo Tamm' accepted as the seed's Olaf Scholz (for the test's sake): his quote goes to
    olaf-scholz and the meeting that needed him points there."""
    client = writable_client
    found = _ingest(client)
    tamm, berg = _item(found, label="Ivo Tamm"), _item(found, label="Anna Berg")
    meeting = _item(found, kind="meeting")
    before = len(client.get("/entities/olaf-scholz").json()["evidence"])
    answer = _decide(
        client,
        found,
        {"item": tamm["id"], "decision": "edit", "existing": "olaf-scholz"},
        {"item": berg["id"], "decision": "accept"},
        *[
            {"item": i, "decision": "accept"}
            for i in meeting["needs"]
            if i not in (tamm["id"], berg["id"])
        ],
        {"item": meeting["id"], "decision": "accept"},
    )
    assert answer.status_code == 200, answer.text
    scholz = client.get("/entities/olaf-scholz").json()
    assert len(scholz["evidence"]) == before + 1
    assert client.get(f"/entities/{tamm['record']['id']}").status_code == 404
    event = client.get(f"/events/{meeting['record']['id']}").json()
    assert "olaf-scholz" in {p["id"] for p in event["participants"]}


def test_an_edited_id_follows_to_the_items_that_refer_to_it(writable_client: TestClient) -> None:
    client = writable_client
    found = _ingest(client)
    berg, meeting = _item(found, label="Anna Berg"), _item(found, kind="meeting")
    others = [i for i in meeting["needs"] if i != berg["id"]]
    answer = _decide(
        client,
        found,
        {"item": berg["id"], "decision": "edit", "record": {"id": "anna-berg-of-norland"}},
        *[{"item": i, "decision": "accept"} for i in others],
        {"item": meeting["id"], "decision": "accept"},
    )
    assert answer.status_code == 200, answer.text
    event = client.get(f"/events/{meeting['record']['id']}").json()
    assert "anna-berg-of-norland" in {p["id"] for p in event["participants"]}


def test_edits_keep_to_what_an_item_may_change(writable_client: TestClient) -> None:
    client = writable_client
    text = "T\n\nOlaf Scholz met Foreign Minister Anna Berg of Norland in Varnia.\n"
    found = _ingest(client, text)
    linked = next(i for i in found["items"] if i["existing"] == "olaf-scholz")
    wrong = _decide(
        client, found, {"item": linked["id"], "decision": "edit", "record": {"label": "X"}}
    )
    assert wrong.status_code == 422 and "only the evidence" in wrong.text
    berg = _item(found, label="Anna Berg")
    elsewhere = {"source": "ap-2022-02-15-russia-forces-pulling-back", "quote": "Kyiv"}
    answer = _decide(
        client, found, {"item": berg["id"], "decision": "edit", "record": {"evidence": [elsewhere]}}
    )
    assert answer.status_code == 422 and "quotes come from this article" in answer.text
    found_quote = _decide(
        client,
        found,
        {"item": berg["id"], "decision": "edit", "record": {"evidence": [{"quote": "Anna Berg"}]}},
    )
    assert found_quote.status_code == 200, found_quote.text
    [ev] = client.get(f"/entities/{berg['record']['id']}").json()["evidence"]
    assert (ev["start"], ev["end"]) == (text.index("Anna Berg"), text.index("Anna Berg") + 9)


def test_two_sets_of_one_article_never_share_an_id(writable_client: TestClient) -> None:
    client = writable_client
    first, second = _ingest(client), _ingest(client)
    for found in (first, second):
        everything = [{"item": i["id"], "decision": "accept"} for i in found["items"]]
        answer = _decide(client, found, *everything)
        assert answer.status_code == 200, answer.text
    ids = [
        {i["record"].get("id") for i in s["items"] if i["action"] == "create"}
        for s in (first, second)
    ]
    assert not ids[0] & ids[1]


def _ingest_then_take_its_source_id(client: TestClient) -> dict:
    """A proposal set whose source id another writer registered meanwhile."""
    found = _ingest(client)
    taken = {"id": found["source"], "title": "Another", "published": "2023-05-01", "text": "x."}
    assert client.post("/sources", json=taken, headers=WRITE).status_code == 201
    return found


def test_a_source_id_taken_meanwhile_gets_a_new_one(writable_client: TestClient) -> None:
    client = writable_client
    found = _ingest_then_take_its_source_id(client)
    berg = _item(found, label="Anna Berg")
    answer = _decide(client, found, {"item": berg["id"], "decision": "accept"})
    assert answer.status_code == 200, answer.text
    source = answer.json()["source"]
    assert source != found["source"]
    assert client.get(f"/entities/{berg['record']['id']}").json()["evidence"][0]["source"] == source
    assert client.get(f"/proposals/{found['id']}", headers=READ).json()["source"] == source


def test_retries_with_an_idempotency_key_answer_the_first_answer(
    writable_client: TestClient,
) -> None:
    client = writable_client
    first = _ingest(client, **{"Idempotency-Key": "ingest-1"})
    again = client.post(
        "/ingest",
        json={"text": ARTICLE, "title": "Talks in Varnia", "published": "2023-05-03"},
        headers={**WRITE, "Idempotency-Key": "ingest-1"},
    )
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first["id"]
    other = client.post(
        "/ingest",
        json={"text": ARTICLE + "More.", "title": "Talks in Varnia", "published": "2023-05-03"},
        headers={**WRITE, "Idempotency-Key": "ingest-1"},
    )
    assert other.status_code == 422
    berg = _item(first, label="Anna Berg")
    decision = {"item": berg["id"], "decision": "accept"}
    one = _decide(client, first, decision, **{"Idempotency-Key": "decide-1"})
    two = _decide(client, first, decision, **{"Idempotency-Key": "decide-1"})
    assert one.status_code == two.status_code == 200
    assert two.headers["idempotent-replayed"] == "true" and two.json() == one.json()


def test_several_reports_of_one_event_are_one_item(writable_client: TestClient) -> None:
    client = writable_client
    text = (
        "T\n\nRussia has deployed more than 130,000 soldiers near Ukraine. "
        "Russia deployed troops near Ukraine, officials said.\n"
    )
    found = _ingest(client, text)
    again = [
        i for i in found["items"] if i["existing"] == "russia-deploys-130000-soldiers-near-ukraine"
    ]
    assert len(again) == 1 and len(again[0]["evidence"]) == 2
    everything = [{"item": i["id"], "decision": "accept"} for i in found["items"]]
    assert _decide(client, found, *everything).status_code == 200


def test_whitespace_is_no_article(writable_client: TestClient) -> None:
    answer = writable_client.post(
        "/ingest", json={"text": " \n\t ", "title": "t", "published": "2023-05-03"}, headers=WRITE
    )
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "text"


def test_everything_read_from_the_seed_article_can_be_accepted(writable_client: TestClient) -> None:
    """The hostile review's case: accept every proposal of the seed article read against the
    seed graph, events without a CAMEO code among them; the graph still answers and exports."""
    client = writable_client
    text = client.get("/sources/ap-2022-02-15-russia-forces-pulling-back/text").text
    found = _ingest(client, text)
    uncoded = [
        i
        for i in found["items"]
        if i["type"] == "event" and i["action"] == "create" and i["record"]["cameo"] is None
    ]
    assert uncoded and all(i["record"]["cameo_note"] for i in uncoded)
    everything = [{"item": i["id"], "decision": "accept"} for i in found["items"]]
    answer = _decide(client, found, *everything)
    assert answer.status_code == 200, answer.text[:2000]
    assert client.get(f"/events/{uncoded[0]['record']['id']}").json()["cameo"] is None
    assert client.get("/events?limit=500").status_code == 200
    for fmt in ("turtle", "graphml", "json"):
        assert client.get(f"/export?format={fmt}").status_code == 200


def test_an_edit_cannot_reach_past_its_own_item(writable_client: TestClient) -> None:
    """The second hostile review: a role edit rewrote a seed relation and another event's
    role edge; now roles are rebuilt from their type, entity and quotes, on the item's event."""
    client = writable_client
    found = _ingest(client)
    meeting = _item(found, kind="meeting")
    before = client.get("/relations/olaf-scholz.holds_position.germany.chancellor").json()
    hijack = {
        "id": "olaf-scholz.holds_position.germany.chancellor",
        "category": "relation",
        "type": "holds_position",
        "source": "olaf-scholz",
        "target": "germany",
        "attributes": {},
        "evidence": [],
        "analyst_assertion": True,
    }
    needs = [{"item": i, "decision": "accept"} for i in meeting["needs"]]
    answer = _decide(
        client, found, *needs, {"item": meeting["id"], "decision": "edit", "roles": [hijack]}
    )
    assert answer.status_code == 422 and "type must be one of" in answer.text
    other_event = {
        "type": "actor",
        "target": "olaf-scholz",
        "source": "scholz-meets-ukraine-leader-in-kyiv",
        "evidence": [{"quote": "Berg said"}],
    }
    needs = [{"item": i, "decision": "accept"} for i in meeting["needs"]]
    answer = _decide(
        client, found, *needs, {"item": meeting["id"], "decision": "edit", "roles": [other_event]}
    )
    assert answer.status_code == 200, answer.text
    assert client.get("/relations/olaf-scholz.holds_position.germany.chancellor").json() == before
    seed_role = client.get("/relations/scholz-meets-ukraine-leader-in-kyiv.actor.olaf-scholz")
    assert "Berg said" not in seed_role.text
    event = client.get(f"/events/{meeting['record']['id']}").json()
    assert [p["id"] for p in event["participants"]] == ["olaf-scholz"]


@pytest.mark.parametrize(
    ("decision", "field"),
    [
        ({"decision": "edit", "existing": "olaf-scholz", "record": {"label": "X"}}, "existing"),
        (
            {
                "decision": "edit",
                "record": {"description": [[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]]},
            },
            "record",
        ),
    ],
)
def test_edits_that_make_no_sense_are_refused(
    writable_client: TestClient, decision: dict, field: str
) -> None:
    found = _ingest(writable_client)
    tamm = _item(found, label="Ivo Tamm")
    answer = _decide(writable_client, found, {"item": tamm["id"], **decision})
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["errors"][0]["field"]


def test_an_id_another_set_proposes_cannot_be_taken_by_an_edit(writable_client: TestClient) -> None:
    client = writable_client
    first, second = _ingest(client), _ingest(client)
    theirs = _item(second, label="Anna Berg")["record"]["id"]
    berg = _item(first, label="Anna Berg")
    answer = _decide(
        client, first, {"item": berg["id"], "decision": "edit", "record": {"id": theirs}}
    )
    assert answer.status_code == 409 and "another proposal set" in answer.text


def test_the_change_log_names_the_source_a_decision_registered(writable_client: TestClient) -> None:
    client = writable_client
    found = _ingest_then_take_its_source_id(client)
    position = client.get("/changes?limit=1", headers=READ).json()["position"]
    answer = _decide(
        client, found, {"item": _item(found, label="Anna Berg")["id"], "decision": "accept"}
    )
    source = answer.json()["source"]
    changes = client.get(f"/changes?since={position}", headers=READ).json()["items"]
    assert changes and {c["source"] for c in changes} == {source}


def test_an_event_dated_at_the_calendars_end_does_not_stop_later_reading(
    writable_client: TestClient,
) -> None:
    client = writable_client
    text = "T\n\nAnna Berg will meet Ivo Tamm on Friday.\n"
    late = client.post(
        "/ingest", json={"text": text, "title": "T", "published": "9999-12-31"}, headers=WRITE
    )
    assert late.status_code == 201
    everything = [{"item": i["id"], "decision": "accept"} for i in late.json()["items"]]
    assert _decide(client, late.json(), *everything).status_code == 200
    again = client.post(
        "/ingest", json={"text": text, "title": "T", "published": "2022-02-16"}, headers=WRITE
    )
    assert again.status_code == 201, again.text


def test_a_text_made_to_repeat_itself_proposes_at_most_the_bound(
    writable_client: TestClient,
) -> None:
    client = writable_client
    bound = client.get("/limits").json()["proposals_per_set"]["value"]
    found = _ingest(client, "T\n\n" + "Anna Berg met Ivo Tamm. " * 3500)
    assert len(found["items"]) <= bound and found["left_out"] > 0
    assert len(found["items"]) + found["left_out"] >= 3500
    ids = {i["id"] for i in found["items"]}
    assert all(n in ids for i in found["items"] for n in i["needs"])
    again = client.post(
        "/ingest",
        json={"text": ARTICLE, "title": "Talks in Varnia", "published": "2023-05-03"},
        headers={**WRITE, "Idempotency-Key": "replay-answer"},
    ).json()
    berg = _item(again, label="Anna Berg")
    assert _decide(client, again, {"item": berg["id"], "decision": "accept"}).status_code == 200
    replay = client.post(
        "/ingest",
        json={"text": ARTICLE, "title": "Talks in Varnia", "published": "2023-05-03"},
        headers={**WRITE, "Idempotency-Key": "replay-answer"},
    )
    assert replay.json() == again  # the first answer, not the set as decided since
