"""Replicas of one store of record, in one process: each app has its own read model and
follows the store's log (PostgreSQL: woken by NOTIFY; SQLite: by polling or by a read that
names a position). The real-process tests are in tests/e2e/test_replicas.py."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from graph import DEFAULT_SEEDS
from graph.changes import RenderedChange, record_json
from graph.imports import import_stream
from graph.model import Entity
from graph.service import KnowledgeGraph
from graph.storage import Commit, open_record_store
from tests.api.conftest import TOKENS, WRITE

PERSON = {"label": "Replica Test Person", "kind": "person", "analyst_assertion": True}

Replicas = Callable[..., list[TestClient]]


@pytest.fixture
def replicas(store_location: str) -> Iterator[Replicas]:
    """``replicas(n, **settings)``: n apps (each its own read model) over one store."""
    with ExitStack() as stack:

        def make(n: int, **settings: Any) -> list[TestClient]:
            clients = []
            for _ in range(n):
                graph = KnowledgeGraph.open(store_location, DEFAULT_SEEDS, saving=False)
                stack.callback(graph.close)
                config = Settings(db=store_location, tokens=TOKENS, **settings)
                clients.append(stack.enter_context(TestClient(create_app(config, graph))))
            return clients

        yield make


def _write(client: TestClient, label: str = "Replica Test Person") -> tuple[str, int]:
    response = client.post("/entities", json={**PERSON, "label": label}, headers=WRITE)
    assert response.status_code == 201, response.text
    return response.json()["id"], int(response.headers["x-geokg-position"])


def _until(check: Callable[[], bool], timeout: float = 10.0) -> float:
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout, "timed out"
        time.sleep(0.01)
    return time.monotonic() - started


def test_a_write_on_one_replica_is_read_on_another_with_its_position(
    replicas: Replicas,
) -> None:
    # A long poll interval: only a notification (PostgreSQL) or the read's own wake-up (SQLite)
    # brings the write over in time.
    a, b = replicas(2, follow_interval=600)
    node, position = _write(a)
    response = b.get(f"/entities/{node}", headers={"X-Geokg-Position": str(position)})
    assert response.status_code == 200, response.text
    assert response.json()["label"] == "Replica Test Person"
    assert b.get("/replica").json()["position"] >= position
    node2, position2 = _write(b, "Second Replica Person")
    answer = a.get(f"/entities/{node2}", params={"after": position2})
    assert answer.status_code == 200, answer.text


def test_postgres_replicas_apply_a_commit_at_once_without_being_asked(
    replicas: Replicas, store_location: str
) -> None:
    if not store_location.startswith("postgresql://"):
        pytest.skip("SQLite announces no commit: its replicas poll")
    a, b, c = replicas(3, follow_interval=600)
    _, position = _write(a)
    for other in (b, c):
        took = _until(lambda o=other: o.get("/replica").json()["position"] >= position)
        assert took < 5  # woken by NOTIFY: the 600-second poll never came
        assert other.get("/replica").json()["following"] == "notifications"


def test_replica_and_health_report_position_and_lag(replicas: Replicas) -> None:
    (a,) = replicas(1)
    replica = a.get("/replica").json()
    assert replica["position"] == replica["store_position"] > 0
    assert (replica["lag_changes"], replica["lag_seconds"], replica["ready"]) == (0, 0.0, True)
    health = a.get("/health").json()
    assert health["status"] == "ok" and health["position"] == replica["position"]
    assert (health["lag_changes"], health["lag_seconds"]) == (0, 0.0)
    ready = a.get("/ready")
    assert ready.status_code == 200 and ready.json()["ready"] is True


def test_a_paused_replica_leaves_rotation_and_comes_back(
    replicas: Replicas, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = replicas(2, max_lag=0.3, position_wait=0.2)
    paused = b.post("/admin/replica/pause", headers=WRITE)
    assert paused.status_code == 200 and paused.json()["paused"] is True
    node, position = _write(a)
    caplog.set_level(logging.INFO, logger="graph.replica")
    time.sleep(0.5)  # past the lag bound
    ready = b.get("/ready")
    assert ready.status_code == 503 and ready.headers["retry-after"] == "1"
    problem = ready.json()
    assert problem["type"].endswith("/not-ready")
    assert problem["replica"]["lag_changes"] >= 1 and problem["replica"]["lag_seconds"] > 0.3
    assert problem["replica"]["paused"] is True and "paused" in problem["detail"]
    assert b.get("/health").json()["status"] == "not-ready"
    assert "replica not ready" in caplog.text
    # Reads still answer, from where the replica stands; one naming the write waits, then 503.
    assert b.get(f"/entities/{node}").status_code == 404
    behind = b.get(f"/entities/{node}", headers={"X-Geokg-Position": str(position)})
    assert behind.status_code == 503 and behind.headers["retry-after"] == "1"
    assert behind.json()["type"].endswith("/replica-behind")
    assert str(position) in behind.json()["detail"]
    refused = b.post("/entities", json=PERSON, headers=WRITE)
    assert refused.status_code == 503 and refused.json()["type"].endswith("/replica-paused")
    resumed = b.post("/admin/replica/resume", headers=WRITE)
    assert resumed.status_code == 200 and resumed.json()["paused"] is False
    assert resumed.json()["position"] >= position and resumed.json()["ready"] is True
    _until(lambda: b.get("/ready").status_code == 200)
    assert b.get(f"/entities/{node}", params={"after": position}).status_code == 200
    assert "replica ready again" in caplog.text


def test_pausing_needs_a_write_token(replicas: Replicas) -> None:
    (a,) = replicas(1)
    assert a.post("/admin/replica/pause").status_code == 401
    assert a.get("/replica").json()["paused"] is False


@pytest.mark.parametrize(
    ("params", "headers", "field"),
    [
        ({"after": "abc"}, {}, "after"),
        ({"after": "-1"}, {}, "after"),
        ({}, {"X-Geokg-Position": "1e3"}, "X-Geokg-Position"),
        ({"after": "99999999999"}, {}, "after"),
        ({}, {"X-Geokg-Position": "99999999999"}, "X-Geokg-Position"),
    ],
)
def test_a_bad_or_unknown_position_is_a_422_naming_it(
    replicas: Replicas, params: dict[str, str], headers: dict[str, str], field: str
) -> None:
    (a,) = replicas(1)
    response = a.get("/entities", params=params, headers=headers)
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert error["field"] == field
    assert error["location"] == ("query" if field == "after" else "header")


def test_a_position_header_given_twice_is_a_422(replicas: Replicas) -> None:
    (a,) = replicas(1)
    twice = [("X-Geokg-Position", "3"), ("X-Geokg-Position", "99999")]
    response = a.get("/entities", headers=twice)
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == "header"


def test_a_position_already_applied_answers_at_once(replicas: Replicas) -> None:
    (a,) = replicas(1, position_wait=0)
    position = a.get("/replica").json()["position"]
    assert a.get("/entities", params={"after": position}).status_code == 200
    assert a.get("/entities", params={"after": 0}).status_code == 200


def test_an_unreachable_store_makes_the_replica_not_ready(
    replicas: Replicas, monkeypatch: pytest.MonkeyPatch
) -> None:
    (a,) = replicas(1)
    graph = a.app.state.graph  # type: ignore[attr-defined]

    def lost(after: int) -> Any:
        raise OSError("connection refused")

    monkeypatch.setattr(graph.records, "head", lost)
    ready = a.get("/ready")
    assert ready.status_code == 503
    assert "cannot be reached" in ready.json()["detail"]
    assert ready.json()["replica"]["store_position"] is None
    assert a.get("/health").status_code == 200


def test_an_online_backup_is_a_sqlite_file_or_a_501_pointing_to_pg_dump(
    replicas: Replicas, store_location: str
) -> None:
    (a,) = replicas(1)
    response = a.post("/admin/backup", headers=WRITE)
    if store_location.startswith("postgresql://"):
        assert response.status_code == 501
        assert response.json()["type"].endswith("/not-supported")
        assert "pg_dump" in response.json()["detail"]
    else:
        assert response.status_code == 200 and response.content.startswith(b"SQLite format 3")


def test_a_long_import_counts_as_lag_from_its_commit_not_its_start(
    replicas: Replicas, store_location: str
) -> None:
    if not store_location.startswith("postgresql://"):
        pytest.skip("the announcement of a commit is PostgreSQL's")
    (b,) = replicas(1, max_lag=1.5)
    assert b.post("/admin/replica/pause", headers=WRITE).status_code == 200
    records = open_record_store(store_location)
    try:
        position = records.position()
        entity = Entity(id="slow-import-probe", kind="person", label="Slow Probe")
        body = json.dumps(record_json(entity))
        change = RenderedChange("create", "entity", entity.id, body)

        def batches() -> Iterator[list[RenderedChange]]:
            time.sleep(2.5)  # a long import: its log entries carry the time it began
            yield [change]

        records.commit_bulk(batches(), 1, Commit(actor="test"), expect=position)
    finally:
        records.close()
    time.sleep(0.3)  # the announcement reaches the (paused) replica
    status = b.get("/replica").json()
    assert status["lag_changes"] == 1 and status["lag_seconds"] < 1.5, status
    assert b.get("/ready").status_code == 200
    time.sleep(1.5)  # now it is behind for longer than the bound
    assert b.get("/ready").status_code == 503
    assert b.post("/admin/replica/resume", headers=WRITE).status_code == 200
    _until(lambda: b.get("/replica").json()["position"] == position + 1)
    assert b.get("/entities/slow-import-probe").json()["label"] == "Slow Probe"


def test_a_replica_renders_the_views_another_process_imported_without(
    replicas: Replicas, store_location: str
) -> None:
    (b,) = replicas(1)
    one = b.get("/export", params={"format": "ntriples", "nodes": "olaf-scholz"}).text
    copies = (one.replace("olaf-scholz", f"imported-{n}") for n in range(1200))
    lines = list(dict.fromkeys(line for copy in copies for line in copy.splitlines()))
    other = KnowledgeGraph.open(store_location, saving=False)
    try:
        import_stream(other, io.BytesIO("\n".join(lines).encode()), "ntriples", actor="bulk")
        position = other.position
    finally:
        other.close()
    assert b.get("/entities/imported-7", params={"after": position}).status_code == 200

    view = b.app.state.graph.records._renderer.views[0]  # type: ignore[attr-defined]
    unrendered = (
        f"SELECT (SELECT count(*) FROM nodes n LEFT JOIN render_view_{view} v ON v.ord = n.ord"
        " WHERE v.ord IS NULL) + (SELECT count(*) FROM render_dirty)"
    )
    _until(lambda: _scalar(store_location, unrendered) == 0, timeout=60)


def _scalar(location: str, sql: str) -> int:
    if location.startswith("postgresql://"):
        with psycopg.connect(location) as conn:
            row = conn.execute(sql).fetchone()
    else:
        with contextlib.closing(sqlite3.connect(location)) as conn:
            row = conn.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def _streamed_positions(client: TestClient, since: int) -> list[int]:
    """The positions ``/changes/stream?follow=false`` sends from ``since`` (it ends once it has
    sent what this replica applied)."""
    response = client.get("/changes/stream", params={"since": since, "follow": "false"})
    assert response.status_code == 200, response.text
    return [int(line[4:]) for line in response.text.splitlines() if line.startswith("id: ")]


def test_the_change_stream_sends_only_what_this_replica_applied(replicas: Replicas) -> None:
    """A client that saw an entry on a replica's stream can read its effect there: a paused
    replica sends another replica's commit only once it has applied it."""
    a, b = replicas(2, follow_interval=600)
    since = b.get("/replica").json()["position"]
    assert b.post("/admin/replica/pause", headers=WRITE).status_code == 200
    _, position = _write(a)
    assert _streamed_positions(a, since) == [position]
    assert _streamed_positions(b, since) == []  # in the store's log, not applied here
    assert b.post("/admin/replica/resume", headers=WRITE).json()["position"] == position
    assert _streamed_positions(b, since) == [position]


def test_a_read_of_a_position_the_store_announced_asks_the_store_nothing(
    replicas: Replicas, store_location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With notifications, a read naming a position already announced waits for the follower
    (woken by the announcement) without asking the store where its log ends."""
    if not store_location.startswith("postgresql://"):
        pytest.skip("the announcement of a commit is PostgreSQL's")
    a, b = replicas(2, follow_interval=600)
    assert b.post("/admin/replica/pause", headers=WRITE).status_code == 200
    node, position = _write(a)
    replica = b.app.state.replica  # type: ignore[attr-defined]
    _until(lambda: replica.announced >= position)

    def asked() -> int:
        raise AssertionError("the store was asked for its position")

    monkeypatch.setattr(b.app.state.graph.records, "position", asked)  # type: ignore[attr-defined]
    assert b.post("/admin/replica/resume", headers=WRITE).status_code == 200
    response = b.get(f"/entities/{node}", headers={"X-Geokg-Position": str(position)})
    assert response.status_code == 200, response.text
