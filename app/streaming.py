"""Streamed bodies made ahead of the socket.

Starlette streams a plain iterator by asking a worker thread for one chunk at a time, and asks
for the next only once the last one is written to the socket: the exporter and the socket take
turns, each idle while the other works. :func:`ahead` lets a thread of its own make up to
:data:`AHEAD` chunks ahead while the event loop sends them, so making and sending overlap (with
curl at medium scale, on a machine busy with other work, the N-Triples export went from 7.1 s
to 5.6-6.1 s; the bench's export figures are the measure).

A failure in the exporter reaches the response as the exception, after the chunks made before
it: the body ends without its last chunk, as before. A client that goes away stops the thread
at its next chunk.

:class:`ExportStream` bounds what slow or stalled clients can hold: at most
:data:`EXPORTS_AT_ONCE` exports stream at once in a process (another is answered 503 with
``Retry-After``), and a chunk the client does not take within :data:`SEND_TIMEOUT_S` seconds
ends the stream, cut short, which releases its snapshot of the store (a snapshot held open
keeps SQLite from reusing its write-ahead log).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Iterator, Mapping

import anyio
from starlette.responses import StreamingResponse
from starlette.types import Message, Receive, Scope, Send

from app.deps import busy

log = logging.getLogger(__name__)

AHEAD = 2
"""Chunks made before the socket takes them (a chunk is at most 1 MiB)."""

EXPORTS_AT_ONCE = 4
"""Exports a process streams at once; one more is answered 503 with ``Retry-After``."""

SEND_TIMEOUT_S = 60.0
"""Seconds a client may leave a chunk of an export untaken before the stream is cut."""


async def ahead(chunks: Iterator[bytes], depth: int = AHEAD) -> AsyncIterator[bytes]:
    """The chunks of ``chunks``, made by a thread of their own up to ``depth`` ahead."""
    loop = asyncio.get_running_loop()
    made: asyncio.Queue[tuple[bytes | None, BaseException | None]] = asyncio.Queue()
    room = threading.Semaphore(depth)
    stop = threading.Event()

    def hand(item: tuple[bytes | None, BaseException | None]) -> bool:
        try:
            loop.call_soon_threadsafe(made.put_nowait, item)
        except RuntimeError:  # the event loop is closed: the server is going down
            return False
        return True

    def make() -> None:
        try:
            for chunk in chunks:
                room.acquire()
                if stop.is_set() or not hand((chunk, None)):
                    return
            hand((None, None))
        except BaseException as exc:  # handed to the response, which ends the body short
            hand((None, exc))
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=make, name="geokg-stream", daemon=True)
    thread.start()
    try:
        while True:
            chunk, failure = await made.get()
            if failure is not None:
                raise failure
            if chunk is None:
                return
            room.release()
            yield chunk
    finally:
        stop.set()
        room.release()  # a thread waiting for room wakes, sees the stop and ends


class ExportStream(StreamingResponse):
    """A streamed export, within :data:`EXPORTS_AT_ONCE` and :data:`SEND_TIMEOUT_S`."""

    def __init__(
        self, chunks: Iterator[bytes], media_type: str, headers: Mapping[str, str]
    ) -> None:
        super().__init__(ahead(chunks), media_type=media_type, headers=headers)
        self._chunks = chunks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope["app"].state
        running = getattr(state, "exports_running", 0)
        if running >= EXPORTS_AT_ONCE:
            close = getattr(self._chunks, "close", None)
            if close is not None:  # a generator lets its snapshot go now, any other writer
                close()  # when this response is dropped
            raise busy(f"{EXPORTS_AT_ONCE} exports are already streaming: ask again later", 10)
        state.exports_running = running + 1

        async def send_in_time(message: Message) -> None:
            with anyio.fail_after(SEND_TIMEOUT_S):
                await send(message)

        try:
            await super().__call__(scope, receive, send_in_time)
        except TimeoutError:
            log.warning(
                "an export's client took no data for %.0f s: the stream is cut", SEND_TIMEOUT_S
            )
        finally:
            state.exports_running -= 1
