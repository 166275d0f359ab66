"""Bodies made ahead of the socket (:func:`app.streaming.ahead`): every chunk in order, a
failure after the chunks before it, and a reader that stops early stops the maker."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.streaming import ahead


def _made(count: int, log: list[int], fail_at: int | None = None) -> Iterator[bytes]:
    for i in range(count):
        if i == fail_at:
            raise ValueError(f"broke at {i}")
        log.append(i)
        yield b"%d;" % i


def test_every_chunk_arrives_in_order() -> None:
    async def read() -> bytes:
        return b"".join([chunk async for chunk in ahead(_made(500, []), depth=3)])

    assert asyncio.run(read()) == b"".join(b"%d;" % i for i in range(500))


def test_a_failure_arrives_after_the_chunks_made_before_it() -> None:
    got: list[bytes] = []

    async def read() -> None:
        async for chunk in ahead(_made(50, [], fail_at=20), depth=4):
            got.append(chunk)

    with pytest.raises(ValueError, match="broke at 20"):
        asyncio.run(read())
    assert got == [b"%d;" % i for i in range(20)]


def test_the_maker_stays_at_most_depth_ahead_and_stops_with_its_reader() -> None:
    log: list[int] = []
    closed = threading.Event()

    def chunks() -> Iterator[bytes]:
        try:
            yield from _made(10_000, log)
        finally:
            closed.set()

    async def read_three() -> None:
        stream = ahead(chunks(), depth=2)
        seen = 0
        async for _ in stream:
            seen += 1
            if seen == 3:
                await asyncio.sleep(0.2)  # the maker waits for room meanwhile
                assert len(log) <= 3 + 2 + 1
                break
        await stream.aclose()  # type: ignore[attr-defined]

    asyncio.run(read_three())
    assert closed.wait(5), "the maker did not stop when its reader went away"
    assert len(log) < 10


class _App:
    class state:  # noqa: N801 - stands for Starlette's app.state
        exports_running = 0


def _scope() -> dict[str, object]:
    return {"type": "http", "app": _App, "method": "GET", "path": "/export", "headers": []}


async def _no_body() -> dict[str, object]:
    await asyncio.sleep(3600)
    return {"type": "http.disconnect"}


def _chunks(closed: threading.Event) -> Iterator[bytes]:
    try:
        for i in range(1_000):
            yield b"x" * 1000 + b"%d" % i
    finally:
        closed.set()


def test_an_export_whose_client_takes_nothing_is_cut_and_lets_go(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app import streaming

    monkeypatch.setattr(streaming, "SEND_TIMEOUT_S", 0.1)
    closed = threading.Event()
    sent: list[dict[str, object]] = []

    async def stalled_send(message: dict[str, object]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body":
            await asyncio.sleep(3600)  # the client reads nothing

    response = streaming.ExportStream(_chunks(closed), "text/plain", {})
    asyncio.run(asyncio.wait_for(response(_scope(), _no_body, stalled_send), 10))
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[-1]["more_body"] is True  # never the last chunk: the body is cut
    assert _App.state.exports_running == 0
    assert closed.wait(5), "the stalled export still holds its writer"


def test_one_export_more_than_the_bound_is_busy_and_never_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from starlette.exceptions import HTTPException

    from app import streaming

    closed = threading.Event()
    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    monkeypatch.setattr(_App.state, "exports_running", streaming.EXPORTS_AT_ONCE)
    chunks = _chunks(closed)
    next(chunks)  # as an exporter makes its first chunk before the response starts
    response = streaming.ExportStream(chunks, "text/plain", {})
    with pytest.raises(HTTPException) as refused:
        asyncio.run(response(_scope(), _no_body, send))
    assert refused.value.status_code == 503
    assert int((refused.value.headers or {})["Retry-After"]) > 0
    assert sent == []  # nothing of the export went out
    assert closed.is_set()
    assert _App.state.exports_running == streaming.EXPORTS_AT_ONCE


def test_an_export_over_the_bound_is_a_service_busy_problem(seed_client: TestClient) -> None:
    from app import streaming

    state = seed_client.app.state  # type: ignore[attr-defined]
    state.exports_running = streaming.EXPORTS_AT_ONCE
    try:
        answer = seed_client.get("/export", params={"format": "ntriples"})
    finally:
        state.exports_running = 0
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert int(answer.headers["retry-after"]) > 0
    assert answer.json()["type"].endswith("service-busy")
    assert seed_client.get("/export", params={"format": "ntriples"}).status_code == 200
