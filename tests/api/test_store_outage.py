"""The PostgreSQL server goes away under a serving replica and comes back: meanwhile reads of
the read model answer from memory where they can and a clear 503 where they need the store,
writes and `/ready` are 503s, `/health` stays 200; once it is back the replica follows the log
again by itself, without a restart."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from graph import DEFAULT_SEEDS
from graph.service import KnowledgeGraph
from graph.writes import plan_create
from tests.api.conftest import TOKENS, WRITE
from tests.postgres import PostgresCluster

PERSON = {"label": "Outage Probe", "kind": "person", "analyst_assertion": True}


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    """A cluster of this test's own: it is stopped and started again mid-test."""
    folder = Path(tempfile.mkdtemp(prefix="geokg-outage-", dir="/tmp"))
    started = PostgresCluster(folder).start()
    try:
        yield started
    finally:
        started.stop()


def _pg_ctl(cluster: PostgresCluster, *args: str) -> None:
    options = " ".join(f"-c {name}={value}" for name, value in cluster.settings.items())
    cluster._run(
        "pg_ctl", "-D", str(cluster.data), "-l", str(cluster.folder / "server.log"),
        "-o", f"-p {cluster.port} {options}", "-w", *args,
    )  # fmt: skip


def _until(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_a_replica_rides_out_a_database_restart(
    cluster: PostgresCluster, caplog: pytest.LogCaptureFixture
) -> None:
    graph = KnowledgeGraph.open(cluster.url, DEFAULT_SEEDS, saving=False)
    settings = Settings(db=cluster.url, tokens=TOKENS, max_lag=2, follow_interval=0.5)
    try:
        with TestClient(create_app(settings, graph), raise_server_exceptions=False) as client:
            assert client.get("/ready").status_code == 200
            _pg_ctl(cluster, "-m", "fast", "stop")

            ready = client.get("/ready")
            assert ready.status_code == 503 and "cannot be reached" in ready.json()["detail"]
            health = client.get("/health")
            assert health.status_code == 200 and health.json()["status"] == "not-ready"
            write = client.post("/entities", json=PERSON, headers=WRITE)
            assert write.status_code == 503, write.text
            assert write.json()["type"].endswith("/store-unreachable")
            assert "Retry-After" in write.headers
            for answer in (ready, write):  # where the database is stays in the log
                assert str(cluster.port) not in answer.text and "postgresql" not in answer.text
            entity = client.get("/entities/russia")  # the record's body lives in the store
            assert entity.status_code in (200, 503), entity.text
            if entity.status_code == 503:
                assert entity.json()["type"].endswith("/store-unreachable")
            for path in ("/entities?q=scholz", "/paths/shortest?source=olaf-scholz&target=russia"):
                answer = client.get(path)
                assert answer.status_code in (200, 503), f"{path}: {answer.text}"

            _pg_ctl(cluster, "start")
            _until(lambda: client.get("/ready").status_code == 200, "ready again")
            # The first read and write after the restart work (lost connections are found
            # and made anew before use, not reported to the client).
            assert client.get("/entities/russia").status_code == 200
            assert client.get("/changes", params={"since": 370}).status_code == 200
            first = client.post("/entities", json=PERSON, headers=WRITE)
            assert first.status_code == 201, first.text
            # ...and the replica follows other processes' commits again (its wake-up and
            # snapshot connections were made anew).
            other = KnowledgeGraph.open(cluster.url, saving=False)
            try:
                body = {**PERSON, "label": "Second Outage Probe"}
                outcome = other.write(lambda view: plan_create(view, "entity", body), actor="other")
            finally:
                other.close()
            _until(
                lambda: client.get("/replica").json()["position"] >= outcome.position,
                "the other process's commit applied",
            )
            # A restart no request saw: the next write still finds its connection gone and
            # makes a new one rather than failing.
            _pg_ctl(cluster, "-m", "fast", "restart")
            again = client.post("/entities", json={**PERSON, "label": "Third"}, headers=WRITE)
            assert again.status_code == 201, again.text
            # Another quiet restart: once /ready says 200 again, reads work (the read model's
            # own connection to the store is checked too, not only the store).
            _pg_ctl(cluster, "-m", "fast", "restart")
            _until(lambda: client.get("/ready").status_code == 200, "ready after a restart")
            assert client.get("/entities/russia").status_code == 200
            assert "Traceback" not in caplog.text and "Exception in ASGI" not in caplog.text
    finally:
        graph.close()
