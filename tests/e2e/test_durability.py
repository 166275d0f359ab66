"""kill -9 in the middle of a stream of writes, several rounds over one store file.

Every acknowledged write survives, at the position it was acknowledged with; a write that
failed leaves no trace (not even its idempotency key); a write whose answer was lost is wholly
there or wholly absent (an event with all its role edges, never some); a retry with the same
``Idempotency-Key`` is not doubled; and the read model a restarted server builds is exactly the
state its change log replays to, whose positions run 1..N without a gap.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
import pytest

from tests.e2e.serving import (
    QUOTE,
    SOURCE,
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

ROUNDS = 4
WRITERS = 3
WRITES_PER_WRITER = 400
"""A bound on each writer's loop: the kill comes long before it."""
TYPES = {"/entities": "entity", "/events": "event"}
OTHERS = ["olaf-scholz", "dmytro-kuleba", "nato", "sergey-lavrov", "kyiv"]


@dataclass
class Attempt:
    """One POST and what came of it: a status, or None when the answer never came."""

    path: str
    body: dict[str, Any]
    key: str
    valid: bool
    status: int | None = None
    position: int | None = None
    answer: dict[str, Any] | None = None

    @property
    def label(self) -> str:
        return str(self.body["label"])

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _attempt(rng: random.Random, name: str, i: int) -> Attempt:
    evidence = [{"source": SOURCE, "quote": QUOTE}]
    if i % 5 == 4:  # fails validation: the article never says this
        bad = [{"source": SOURCE, "quote": "words the article never says"}]
        return Attempt("/entities", _entity(f"Refused probe {name} {i}", bad), f"{name}-{i}", False)
    if i % 2 == 0:
        body = _entity(f"Durability probe {name} {i}", evidence if i % 4 == 0 else None)
        return Attempt("/entities", body, f"{name}-{i}", True)
    participants = [
        {"entity": "russia", "role": "actor"},
        {"entity": "ukraine", "role": "participant"},
        {"entity": rng.choice(OTHERS), "role": "participant"},
    ]
    body = {
        "kind": "meeting",
        "label": f"Durability meeting {name} {i}",
        "cameo": "036",
        "modality": "asserted",
        "participants": participants,
        "evidence": evidence,
    }
    return Attempt("/events", body, f"{name}-{i}", True)


def _entity(label: str, evidence: list[dict[str, Any]] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": "person", "label": label}
    if evidence is None:
        body["analyst_assertion"] = True
    else:
        body["evidence"] = evidence
    return body


def _writer(server: ServerProcess, rng: random.Random, name: str, out: list[Attempt]) -> None:
    with server.client() as client:
        for i in range(WRITES_PER_WRITER):
            attempt = _attempt(rng, name, i)
            out.append(attempt)
            headers = {**WRITE, "Idempotency-Key": attempt.key}
            try:
                response = client.post(attempt.path, json=attempt.body, headers=headers)
            except httpx.TransportError:
                return  # killed: this write's fate is unknown
            attempt.status = response.status_code
            if attempt.acknowledged:
                attempt.position = int(response.headers["X-Geokg-Position"])
                attempt.answer = response.json()


def _write_until_killed(server: ServerProcess, rng: random.Random, round_: int) -> list[Attempt]:
    lists: list[list[Attempt]] = [[] for _ in range(WRITERS)]
    threads = [
        threading.Thread(
            target=_writer, args=(server, random.Random(rng.random()), f"r{round_}w{n}", out)
        )
        for n, out in enumerate(lists)
    ]
    for thread in threads:
        thread.start()
    wanted = rng.randint(3, 40)
    deadline = time.monotonic() + 20
    while sum(a.acknowledged for out in lists for a in out) < wanted:
        assert time.monotonic() < deadline, "the writers made no progress"
        assert any(t.is_alive() for t in threads)
        time.sleep(0.002)
    time.sleep(rng.uniform(0, 0.02))
    server.kill()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive()
    return [a for out in lists for a in out]


def _slug(label: str) -> str:
    return label.lower().replace(" ", "-")


def _check_store(client: httpx.Client, attempts: list[Attempt]) -> list[dict[str, Any]]:
    """Check the restarted store against the log and every attempt so far; return the log."""
    log = read_log(client)
    assert client.get("/changes", params={"since": len(log)}).json()["position"] == len(log)
    assert_gapless(log, len(log))
    state = replay(log)
    assert client.get("/health").json()["counts"] == counts_of(state)
    assert read_model(client) == without_texts(state)

    labels: dict[str, list[tuple[str, str]]] = {}
    for (object_type, object_id), after in state.items():
        if object_type != "edge":
            labels.setdefault(after["label"], []).append((object_type, object_id))
    ever_logged = {e["object_id"] for e in log}
    roles_of: dict[str, set[tuple[str, str]]] = {}
    for (object_type, _), after in state.items():
        if object_type == "edge" and after["category"] == "role":
            roles_of.setdefault(after["source"], set()).add((after["type"], after["target"]))
    commit_sizes: dict[int, int] = {}
    for entry in log:
        commit_sizes[entry["commit"]] = commit_sizes.get(entry["commit"], 0) + 1

    for attempt in attempts:
        found = labels.get(attempt.label, [])
        assert len(found) <= 1, f"{attempt.label!r} is there twice: {found}"
        if attempt.acknowledged:
            assert attempt.answer is not None
            assert found == [(TYPES[attempt.path], attempt.answer["id"])]
            created = next(e for e in log if e["object_id"] == attempt.answer["id"])
            assert created["commit"] == attempt.position
            got = client.get(f"{attempt.path}/{attempt.answer['id']}")
            assert got.status_code == 200 and got.json() == attempt.answer
        elif attempt.status is not None:
            assert (attempt.status, attempt.valid) == (422, False), attempt
            assert not found and _slug(attempt.label) not in ever_logged
        if attempt.path == "/events":
            event_id = _slug(attempt.label)
            roles = roles_of.get(event_id, set())
            if found:
                wanted = {(p["role"], p["entity"]) for p in attempt.body["participants"]}
                assert roles == wanted, "an event is there with only some of its roles"
                created = next(e for e in log if e["object_id"] == event_id)
                assert commit_sizes[created["commit"]] == 4
            else:
                assert not roles and event_id not in ever_logged
    return log


def _retry(client: httpx.Client, attempts: list[Attempt], log: list[dict[str, Any]]) -> None:
    """Send every write of the round again with its key: committed ones replay, others write."""
    committed = {e["object_id"]: e["commit"] for e in log if e["operation"] == "create"}
    for attempt in attempts:
        body = attempt.body
        if not attempt.valid:  # a failed write left its key unused: a fixed body may take it
            body = _entity(attempt.label, [{"source": SOURCE, "quote": QUOTE}])
        response = client.post(
            attempt.path, json=body, headers={**WRITE, "Idempotency-Key": attempt.key}
        )
        assert response.status_code == 201, response.text
        position = int(response.headers["X-Geokg-Position"])
        replayed = response.headers.get("Idempotent-Replayed") == "true"
        before = committed.get(_slug(attempt.label))
        if attempt.acknowledged:
            assert replayed and position == attempt.position
            assert response.json() == attempt.answer
        elif before is not None:
            assert replayed and position == before  # its answer was lost, not its write
        else:
            assert not replayed and position > len(log)
        attempt.status, attempt.position, attempt.answer = 201, position, response.json()
        attempt.valid = True


def test_acknowledged_writes_survive_kill_9_and_lost_ones_are_whole_or_absent(
    launch: Callable[..., ServerProcess],
) -> None:
    rng = random.Random(20220215)
    server = launch()
    server.start()
    attempts: list[Attempt] = []
    lost = 0
    for round_ in range(ROUNDS):
        if server.process is None:
            server.start()
        made = _write_until_killed(server, rng, round_)
        assert not [a for a in made if a.status is not None and a.status >= 500]
        lost += sum(a.status is None for a in made)
        attempts += made
        server.start()
        with server.client() as client:
            log = _check_store(client, attempts)
            _retry(client, made, log)
            _check_store(client, attempts)
    server.stop()
    assert lost, "no write was in flight at any kill"
    with sqlite3.connect(server.db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
