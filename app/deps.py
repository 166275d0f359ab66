"""Dependencies handed to route handlers: the graph, its read model, the caller's token."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from app.auth import Token, match_token
from graph.service import KnowledgeGraph
from graph.storage import is_unreachable
from graph.store import GraphStore

log = logging.getLogger(__name__)

__all__ = [
    "HEAVY_AT_ONCE",
    "HEAVY_WAITING",
    "HEAVY_WAIT_S",
    "FreshGraphDep",
    "GraphDep",
    "ReaderDep",
    "StoreDep",
    "WriterDep",
    "busy",
    "fill_views",
    "refill_views",
    "run_heavy",
    "run_limited",
    "run_page",
]

HEAVY_AT_ONCE = 1
"""Heavy queries (k paths, neighbourhoods) a process computes at once; the others wait their
turn without taking CPU. Python runs one thread at a time, so two heavy queries at once finish
no sooner than one after the other, and every thread more takes turns from the event loop that
answers the light requests (a path, an entity) between them."""

T = TypeVar("T")


HEAVY_WAITING = 16
"""Heavy queries a process keeps waiting for their turn; one more is refused at once (503)."""

HEAVY_WAIT_S = 15.0
"""Seconds a heavy query waits for its turn before it is refused (503)."""


def busy(detail: str, retry_after: int = 5) -> HTTPException:
    """A 503 ``service-busy`` problem, with ``Retry-After``."""
    return HTTPException(503, detail, headers={"Retry-After": str(retry_after)})


async def run_heavy(request: Request, work: Callable[[], T]) -> T:
    """Run a CPU-heavy query in a worker thread, at most :data:`HEAVY_AT_ONCE` at a time.

    At most :data:`HEAVY_WAITING` wait for their turn, each at most :data:`HEAVY_WAIT_S`
    seconds; a query whose client has gone away while it waited is not run.
    """
    return await run_limited(request, "heavy", HEAVY_AT_ONCE, work)


async def run_limited(request: Request, name: str, at_once: int, work: Callable[[], T]) -> T:
    """Run ``work`` in a worker thread, at most ``at_once`` of the kind ``name`` at a time,
    with the waiting bounds of :func:`run_heavy`."""
    state = request.app.state
    limiter = getattr(state, f"{name}_limiter", None)
    if limiter is None:  # made on first use: it belongs to the running event loop
        limiter = anyio.CapacityLimiter(at_once)
        setattr(state, f"{name}_limiter", limiter)
    if limiter.available_tokens == 0 and limiter.statistics().tasks_waiting >= HEAVY_WAITING:
        raise busy(f"{HEAVY_WAITING} {name} queries are already waiting: ask again later")
    turn = False
    with anyio.move_on_after(HEAVY_WAIT_S):
        await limiter.acquire()
        turn = True
    if not turn:
        raise busy(f"no turn for a {name} query within {HEAVY_WAIT_S:.0f} s: ask again later")
    try:
        if await request.is_disconnected():  # nobody is left to read the answer
            raise busy("the client went away before the query's turn came")
        return await anyio.to_thread.run_sync(work)
    finally:
        limiter.release()


INLINE_PAGE = 100
"""Pages of at most this many items are read on the event loop (a few milliseconds); larger
ones in a worker thread, so a page of a thousand records never holds up the light requests."""


async def run_page(limit: int, work: Callable[[], T]) -> T:
    """Read a page: on the event loop when it is small, else in a worker thread."""
    if limit <= INLINE_PAGE:
        return work()
    return await run_in_threadpool(work)


_CONFIGURE = (
    "writes are disabled: no write token is configured. Set GEOKG_TOKENS='name:write:<secret "
    "of 16+ characters>' (or GEOKG_TOKENS_FILE) and restart, then send "
    "'Authorization: Bearer <secret>'"
)


FILL_RETRY_S = 5.0
"""How long the view filler rests before it tries again when the store cannot be reached;
the rest doubles at each failure, up to :data:`FILL_RETRY_MAX_S`."""
FILL_RETRY_MAX_S = 60.0


async def fill_views(graph: KnowledgeGraph, retry_s: float = FILL_RETRY_S) -> None:
    """Render the export views the store lacks (written before they existed, by a writer
    without a renderer, or by an import's bulk commit), a batch at a time, resting as long as
    each batch took: at most half of one core, and no write waits long for the store.

    When the store cannot be reached, it says so in one line and tries again later (the
    batches already committed stay rendered); any other failure ends it with the traceback.
    """
    started = time.monotonic()
    rendered = 0
    pause = retry_s
    while True:
        try:
            batch = time.monotonic()
            filled = await run_in_threadpool(graph.fill_views)
        except Exception as exc:
            if not is_unreachable(exc):
                log.exception("could not render the missing export views; exports render them")
                return
            log.warning(
                "could not render the missing export views: the store of record cannot be "
                "reached (%s); trying again in %.0f s",
                " ".join(str(exc).split()),
                pause,
            )
            await asyncio.sleep(pause)
            pause = min(pause * 2, FILL_RETRY_MAX_S)
            continue
        pause = retry_s
        rendered += filled.rendered
        if filled.done:
            break
        await asyncio.sleep(time.monotonic() - batch)
    if rendered:
        took = time.monotonic() - started
        log.info("rendered the export views of %d nodes in %.0f s", rendered, took)


def refill_views(app: Any) -> None:
    """Render the missing export views in a task of the application (cancelled when it stops,
    so a shutdown never waits for it), restarting one already running."""
    running: asyncio.Task[None] | None = getattr(app.state, "filler", None)
    if running is not None:
        running.cancel()
    app.state.filler = asyncio.create_task(fill_views(app.state.graph))


async def get_graph(request: Request) -> KnowledgeGraph:
    """The knowledge graph built in the application's lifespan."""
    graph: KnowledgeGraph = request.app.state.graph
    return graph


def _presented(request: Request) -> Token | None:
    tokens: tuple[Token, ...] = request.app.state.tokens
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return match_token(tokens, secret.strip())


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": 'Bearer realm="geokg"'})


async def get_reader(request: Request) -> Token | None:
    """The caller's token; reads need one only when ``GEOKG_READ_OPEN`` is false."""
    token = _presented(request)
    if token is None and not request.app.state.settings.read_open:
        raise _unauthorized("reads need a token: send 'Authorization: Bearer <token>'")
    return token


async def get_writer(request: Request) -> Token:
    """The caller's write token: 401 without a valid one, 403 for a read token."""
    tokens: tuple[Token, ...] = request.app.state.tokens
    if not any(t.role == "write" for t in tokens):
        raise HTTPException(403, _CONFIGURE)
    token = _presented(request)
    if token is None:
        raise _unauthorized("writes need a write token: send 'Authorization: Bearer <token>'")
    if token.role != "write":
        raise HTTPException(403, f"token {token.name!r} may read but not write")
    return token


async def _caught_up(graph: KnowledgeGraph) -> None:
    """Apply what any other process (or worker) committed, before a read (where the store
    says cheaply how far its log goes: a SQLite file; PostgreSQL replicas follow the log in
    the background, and a read that must see a write names its position)."""
    if graph.reads_catch_up and graph.behind():
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(graph.sync)


async def get_fresh_graph(
    graph: Annotated[KnowledgeGraph, Depends(get_graph)],
) -> KnowledgeGraph:
    """The knowledge graph with every commit made so far by any process applied (for routes
    that take their own read hold, such as exports)."""
    await _caught_up(graph)
    return graph


async def get_store(
    graph: Annotated[KnowledgeGraph, Depends(get_graph)],
) -> AsyncIterator[GraphStore]:
    """The read model, held for reading while the handler runs, with every commit made so far
    by any process applied (so a client reads its own writes whichever worker answers).

    The dependencies are ``async`` so that a request costs no worker-thread hop before its
    handler: the read hold is taken on the event loop when no writer is applying a change (the
    usual case), and only otherwise waited for in a worker thread.
    """
    await _caught_up(graph)
    store = graph.try_begin_read()
    if store is None:
        with anyio.CancelScope(shield=True):  # a hold taken is always released below
            waited = await run_in_threadpool(graph.begin_read)
        store = waited
    try:
        yield store
    finally:
        graph.end_read()


GraphDep = Annotated[KnowledgeGraph, Depends(get_graph)]
FreshGraphDep = Annotated[KnowledgeGraph, Depends(get_fresh_graph)]
StoreDep = Annotated[GraphStore, Depends(get_store, scope="function")]
ReaderDep = Annotated[Token | None, Depends(get_reader)]
WriterDep = Annotated[Token, Depends(get_writer)]
