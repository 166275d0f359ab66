"""Read-your-writes across replicas: a read that names a position waits until this replica
has applied it.

Every write answers with ``X-Geokg-Position``, the change-log position of its commit. A client
that sends that position back with a read (the same header, or ``?after=``) is answered only
once the replica it reaches has applied the log at least that far, as Neo4j's bookmarks do: up
to ``GEOKG_POSITION_WAIT`` seconds, then 503 ``replica-behind`` with ``Retry-After``. Waiting
holds no thread: the waiters are futures that the replica's follower resolves as it applies.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Annotated

from fastapi import Header, Query, Request
from starlette.concurrency import run_in_threadpool

from app.writing import POSITION_HEADER
from graph.errors import InvalidQueryError, ReplicaBehindError
from graph.replica import Replica
from graph.service import KnowledgeGraph

__all__ = ["PositionWaits", "after_position"]


class PositionWaits:
    """Futures waiting for positions, resolved as the read model applies the log."""

    def __init__(self, graph: KnowledgeGraph) -> None:
        self._graph = graph
        self._lock = threading.Lock()
        self._waiting: list[tuple[int, asyncio.Future[None]]] = []
        graph.add_listener(self._applied)

    def close(self) -> None:
        self._graph.remove_listener(self._applied)

    def _applied(self, position: int) -> None:
        """Called by whichever thread applied the log up to ``position``."""
        with self._lock:
            done = [w for w in self._waiting if w[0] <= position]
            if not done:
                return
            self._waiting = [w for w in self._waiting if w[0] > position]
        for _, future in done:
            loop = future.get_loop()
            if not loop.is_closed():
                loop.call_soon_threadsafe(_resolve, future)

    async def wait(self, position: int, timeout: float) -> bool:
        """Whether this replica has applied ``position`` within ``timeout`` seconds."""
        if self._graph.position >= position:
            return True
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (position, future)
        with self._lock:
            self._waiting.append(entry)
        try:
            if self._graph.position >= position:  # applied between the check and the append
                return True
            try:
                await asyncio.wait_for(future, timeout)
            except TimeoutError:
                return self._graph.position >= position
            return True
        finally:
            with self._lock:
                if entry in self._waiting:
                    self._waiting.remove(entry)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _position(value: str, name: str) -> int:
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        where = "query" if name == "after" else "header"
        raise InvalidQueryError(name, "a change-log position: a whole number, 0 or more", where)
    return int(text)


async def after_position(
    request: Request,
    after: Annotated[
        str | None,
        Query(
            description="Answer only once this replica has applied the change log up to this "
            "position (a write's `X-Geokg-Position`): read-your-writes across replicas. Waits "
            "at most `GEOKG_POSITION_WAIT` seconds, then 503 `replica-behind`.",
            examples=["245"],
        ),
    ] = None,
    position: Annotated[
        str | None,
        Header(
            alias=POSITION_HEADER,
            description="As `after`, in a header (a write's answer carries it).",
        ),
    ] = None,
) -> None:
    """Wait until this replica has applied the position the request names, if it names one."""
    if len(request.headers.getlist(POSITION_HEADER)) > 1:
        raise InvalidQueryError(POSITION_HEADER, "given more than once; give it once", "header")
    named = [(n, _position(v, n)) for n, v in (("after", after), (POSITION_HEADER, position)) if v]
    if not named:
        return
    source, wanted = max(named, key=lambda item: item[1])
    graph: KnowledgeGraph = request.app.state.graph
    if wanted <= graph.position:
        return
    replica: Replica = request.app.state.replica
    waits: PositionWaits = request.app.state.position_waits
    if wanted > replica.announced:  # else the store announced it, and the follower woke for it
        # (A database that cannot be reached is a 503 store-unreachable: app/problems.py.)
        head = await run_in_threadpool(graph.records.position)
        if wanted > head:
            raise InvalidQueryError(
                source,
                f"position {wanted} is past the end of this store's change log ({head}): a "
                "position from another store, or a mistake",
                "query" if source == "after" else "header",
            )
        replica.wake()
    timeout = request.app.state.settings.position_wait
    if not await waits.wait(wanted, timeout):
        raise ReplicaBehindError(graph.position, wanted, timeout)
