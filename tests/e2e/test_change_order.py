"""Positions follow commit order with no gaps, with writers in several processes at once.

Two uvicorn processes serve one store file while a third process writes through the library;
a follower that only ever asks ``/changes?since=<last position it saw>`` (of either server)
must see every position exactly once, in order, and end with the whole log. A follower of a
``seq > last`` table written by concurrent transactions would miss the ones that commit after
a later number was read; here a commit's positions are taken inside the write lock, so none
can commit behind the follower's back.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.serving import (
    ROOT,
    WRITE,
    ServerProcess,
    assert_gapless,
    counts_of,
    read_log,
    read_model,
    replay,
    without_texts,
)

pytestmark = pytest.mark.e2e

HTTP_WRITERS = 4
WRITES_EACH = 30
LIBRARY_WRITES = 30

LIBRARY_WRITER = """
import sys
import time
from graph.service import KnowledgeGraph
from graph.writes import plan_create

graph = KnowledgeGraph.open(sys.argv[1])
try:
    for i in range(int(sys.argv[2])):
        body = {"kind": "organisation", "label": f"Library writer {i}", "analyst_assertion": True}
        graph.write(lambda store: plan_create(store, "entity", body), actor="importer")
        if i == 0:
            print("wrote", flush=True)  # the HTTP writers start now
        time.sleep(0.01)  # let the other processes take the lock between two writes
finally:
    graph.close()
"""


def _http_writer(server: ServerProcess, name: str, acks: list[tuple[int, str]]) -> None:
    with server.client() as client:
        for i in range(WRITES_EACH):
            body = {"kind": "person", "label": f"Order probe {name} {i}", "analyst_assertion": True}
            response = client.post("/entities", json=body, headers=WRITE)
            assert response.status_code == 201, response.text
            acks.append((int(response.headers["X-Geokg-Position"]), response.json()["id"]))


def _follow(
    servers: list[ServerProcess], since: int, done: threading.Event, seen: list[dict[str, Any]]
) -> None:
    """Poll ``/changes?since=last`` of each server in turn until the writers are done and
    nothing more comes (bounded in time)."""
    clients = [s.client() for s in servers]
    last, turn = since, 0
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            finished = done.is_set()
            page = clients[turn % len(clients)].get("/changes", params={"since": last, "limit": 7})
            turn += 1
            items = page.json()["items"]
            seen += items
            if items:
                last = items[-1]["position"]
            elif finished:
                return
    finally:
        for client in clients:
            client.close()


def test_a_follower_sees_every_position_once_in_order_with_writers_in_three_processes(
    launch: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    first = launch()
    first.start()
    second = launch(first.db)
    second.start()
    with first.client() as client:
        start = client.get("/changes", params={"since": 0, "limit": 1}).json()["position"]

    done = threading.Event()
    seen: list[dict[str, Any]] = []
    follower = threading.Thread(target=_follow, args=([first, second], start, done, seen))
    follower.start()
    acks: list[tuple[int, str]] = []
    writers = [
        threading.Thread(target=_http_writer, args=((first, second)[n % 2], f"w{n}", acks))
        for n in range(HTTP_WRITERS)
    ]
    with (
        (tmp_path / "library.log").open("wb") as library_log,
        subprocess.Popen(
            [sys.executable, "-c", LIBRARY_WRITER, str(first.db), str(LIBRARY_WRITES)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=library_log,
        ) as library,
    ):
        assert library.stdout is not None
        assert library.stdout.readline() == b"wrote\n", (tmp_path / "library.log").read_text()
        for thread in writers:
            thread.start()
        for thread in writers:
            thread.join(timeout=60)
        assert library.wait(timeout=60) == 0, (tmp_path / "library.log").read_text()
    done.set()
    follower.join(timeout=70)
    assert not follower.is_alive()

    with first.client() as client:
        log = read_log(client)
    total = HTTP_WRITERS * WRITES_EACH + LIBRARY_WRITES
    assert len(log) == start + total and len(acks) == HTTP_WRITERS * WRITES_EACH
    assert_gapless(log, len(log))
    assert [e["position"] for e in seen] == list(range(start + 1, len(log) + 1))
    assert seen == log[start:]
    by_position = {e["position"]: e for e in log}
    for position, entity_id in acks:
        assert by_position[position]["object_id"] == entity_id
    actors = [e["actor"] for e in seen]
    assert actors.count("importer") == LIBRARY_WRITES
    runs = sum(a == "importer" != b for a, b in zip(actors, ["", *actors[:-1]], strict=True))
    assert runs > 1, "the library writer never wrote between two HTTP writes"

    state = without_texts(replay(log))
    for server in (first, second):  # each read model follows the others' writes
        with server.client() as client:
            deadline = time.monotonic() + 10
            while client.get("/health").json()["counts"] != counts_of(state):
                assert time.monotonic() < deadline, "a server's read model fell behind"
                time.sleep(0.05)
            assert read_model(client) == state
