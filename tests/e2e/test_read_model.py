"""A server that followed the writes and one that loaded the store afresh answer alike.

The read model is derived from the store of record: whether it got there by applying each
change as it committed or by loading the tables at start, every answer must be the same,
order and ``ETag`` included (a client holding an ``ETag`` from one server must be able to
write through another, or through the same one after a restart). And a write's own answer
must be what a ``GET`` answers next, so its ``ETag`` can go straight into ``If-Match``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2 as httpx
import pytest

from tests.e2e.serving import QUOTE, SOURCE, WRITE, ServerProcess

pytestmark = pytest.mark.e2e

EVIDENCE = [{"source": SOURCE, "quote": QUOTE}]


def _meeting(label: str, participants: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "kind": "meeting",
        "label": label,
        "cameo": "036",
        "modality": "asserted",
        "participants": [{"entity": e, "role": r} for e, r in participants],
        "evidence": EVIDENCE,
    }


def _answered_as_read(client: httpx.Client, written: httpx.Response, path: str) -> None:
    """A write's answer (body and ETag) is what GET answers right after it."""
    assert written.status_code in (200, 201), written.text
    read = client.get(path)
    assert read.json() == written.json()
    assert read.headers["ETag"] == written.headers["ETag"]


def _write(client: httpx.Client) -> list[str]:
    """Creates and changes of every kind; returns the paths of what they touched."""
    touched = []
    first = _meeting("Order probe", [("russia", "actor"), ("ukraine", "participant")])
    first["participants"].append({"entity": "nato", "role": "participant"})
    created = client.post("/events", json=first)
    _answered_as_read(client, created, "/events/order-probe")
    # A changed role edge (new evidence for russia) and the same roles in another order.
    roles = first["participants"]
    changed = [{**roles[0], "evidence": EVIDENCE}, *roles[1:]]
    for participants in (changed, changed[::-1]):
        patched = client.patch("/events/order-probe", json={"participants": participants})
        _answered_as_read(client, patched, "/events/order-probe")
    touched.append("/events/order-probe")

    both = [("italy", "actor"), ("poland", "participant"), ("italy", "participant")]
    created = client.post("/events", json=_meeting("Twice probe", both))
    _answered_as_read(client, created, "/events/twice-probe")
    touched.append("/events/twice-probe")

    seed_event = "/events/russia-announces-units-returning-to-bases"
    patched = client.patch(seed_event, json={"label": "Russia says some units return"})
    _answered_as_read(client, patched, seed_event)
    touched.append(seed_event)

    patched = client.patch("/entities/russian-defense-ministry", json={"description": "MoD"})
    _answered_as_read(client, patched, "/entities/russian-defense-ministry")
    touched.append("/entities/russian-defense-ministry")

    found = client.get("/relations", params={"type": "holds_position", "source": "dmytro-kuleba"})
    relation = found.json()["items"][0]["id"]
    patched = client.patch(f"/relations/{relation}", json={"evidence": EVIDENCE})
    _answered_as_read(client, patched, f"/relations/{relation}")
    touched.append(f"/relations/{relation}")
    return touched


LISTS = [
    ("/entities", {"limit": 1000}),
    ("/entities", {"kind": "government_body"}),
    ("/events", {"limit": 1000}),
    ("/events", {"cameo": "036"}),
    ("/relations", {"limit": 1000}),
    ("/relations", {"type": "holds_position"}),
    ("/entities/russia/neighbors", {"depth": 1}),
    ("/entities/order-probe/relations", {}),
]


def _answers(client: httpx.Client, touched: list[str]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for path in touched:
        read = client.get(path)
        answers[path] = (read.json(), read.headers["ETag"])
    for path, params in LISTS:
        answers[f"{path} {params}"] = client.get(path, params=params).json()
    return answers


def test_a_server_that_loaded_afresh_answers_as_the_one_that_followed_the_writes(
    launch: Callable[..., ServerProcess],
) -> None:
    live = launch()
    live.start()
    with live.client(headers=WRITE) as client:
        touched = _write(client)
        followed = _answers(client, touched)
    fresh = launch(live.db)
    fresh.start()
    with fresh.client() as client:
        loaded = _answers(client, touched)
    assert loaded.keys() == followed.keys()
    for key, answer in followed.items():
        assert loaded[key] == answer, key
