"""Bodies made ahead of the socket (:func:`app.streaming.ahead`): every chunk in order, a
failure after the chunks before it, and a reader that stops early stops the maker."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

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
