"""Heavy queries take turns: at most ``HEAVY_AT_ONCE`` k-path or neighbourhood searches run at
once in a process, while light requests are answered in between."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx2 as httpx
import pytest

from app import deps
from app.config import Settings
from app.main import create_app
from graph import DEFAULT_SEEDS, queries
from graph.service import KnowledgeGraph


class _Gauge:
    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self.done = 0
        self.lock = threading.Lock()

    def wrap(self, work: Any) -> Any:
        def slow(*args: Any, **kwargs: Any) -> Any:
            with self.lock:
                self.now += 1
                self.most = max(self.most, self.now)
            try:
                time.sleep(0.05)
                return work(*args, **kwargs)
            finally:
                with self.lock:
                    self.now -= 1
                    self.done += 1

        return slow


def test_heavy_queries_take_turns_and_light_ones_pass_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gauge = _Gauge()
    monkeypatch.setattr(queries, "k_shortest_paths", gauge.wrap(queries.k_shortest_paths))
    monkeypatch.setattr(queries, "neighbourhood", gauge.wrap(queries.neighbourhood))
    graph = KnowledgeGraph.open(":memory:", DEFAULT_SEEDS)
    app = create_app(Settings(seeds=DEFAULT_SEEDS, db=":memory:"), graph)

    async def scenario() -> tuple[list[int], int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://geokg") as client:
            heavy = [
                client.get("/paths", params={"source": "olaf-scholz", "target": "dmytro-kuleba"})
                for _ in range(4)
            ] + [client.get("/entities/russia/neighbors", params={"depth": 2}) for _ in range(4)]
            running = [asyncio.ensure_future(request) for request in heavy]
            await asyncio.sleep(0.01)
            params = {"source": "scholz", "target": "kuleba"}
            light = await client.get("/paths/shortest", params=params)
            heavy_done_before_light = gauge.done
            answers = await asyncio.gather(*running)
            return [light.status_code, *(a.status_code for a in answers)], heavy_done_before_light

    try:
        statuses, heavy_done_before_light = asyncio.run(scenario())
    finally:
        graph.close()
    assert statuses == [200] * 9
    assert deps.HEAVY_AT_ONCE == 1
    assert gauge.most == 1
    assert gauge.done == 8
    # The light request was answered while the heavy ones still queued (each takes 50 ms).
    assert heavy_done_before_light < 4


def _scenario(app: Any, count: int) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://geokg") as client:
            params = {"source": "olaf-scholz", "target": "dmytro-kuleba"}
            return list(
                await asyncio.gather(*(client.get("/paths", params=params) for _ in range(count)))
            )

    return asyncio.run(run())


def test_heavy_queries_past_the_queue_or_the_wait_are_refused_as_busy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gauge = _Gauge()
    monkeypatch.setattr(queries, "k_shortest_paths", gauge.wrap(queries.k_shortest_paths))
    monkeypatch.setattr(deps, "HEAVY_WAITING", 2)
    graph = KnowledgeGraph.open(":memory:", DEFAULT_SEEDS)
    app = create_app(Settings(seeds=DEFAULT_SEEDS, db=":memory:"), graph)
    try:
        queued = _scenario(app, 6)  # one runs, two wait, three are refused at once
        monkeypatch.setattr(deps, "HEAVY_WAITING", 100)
        monkeypatch.setattr(deps, "HEAVY_WAIT_S", 0.02)  # each query takes 50 ms
        waited = _scenario(app, 3)
    finally:
        graph.close()
    statuses = sorted(r.status_code for r in queued)
    assert statuses == [200, 200, 200, 503, 503, 503]
    refused = next(r for r in queued if r.status_code == 503)
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("service-busy")
    assert int(refused.headers["retry-after"]) > 0
    assert sorted(r.status_code for r in waited) == [200, 503, 503]
    assert gauge.done == 4  # refused queries never ran


@pytest.mark.parametrize(
    "path", ["/events", "/entities", "/relations", "/entities/russia/relations"]
)
def test_large_pages_are_read_in_a_worker_thread_with_the_same_answer(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    real = deps.run_in_threadpool

    async def recorded(work: Any, *args: Any) -> Any:
        threads.append(path)
        return await real(work, *args)

    monkeypatch.setattr(deps, "run_in_threadpool", recorded)
    graph = KnowledgeGraph.open(":memory:", DEFAULT_SEEDS)
    app = create_app(Settings(seeds=DEFAULT_SEEDS, db=":memory:"), graph)

    async def pages() -> tuple[dict[str, Any], dict[str, Any]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://geokg") as client:
            small = await client.get(path, params={"limit": deps.INLINE_PAGE})
            assert threads == []
            large = await client.get(path, params={"limit": deps.INLINE_PAGE + 1})
            assert threads == [path]
            return small.json(), large.json()

    try:
        small, large = asyncio.run(pages())
    finally:
        graph.close()
    assert large["items"][: deps.INLINE_PAGE] == small["items"]
