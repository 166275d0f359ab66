"""The FastAPI application, built by :func:`create_app`.

Nothing is built at import: run ``uvicorn --factory app.main:create_app`` (or ``geokg serve``),
and tests call ``create_app(settings, graph)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from app.auth import TokenError, parse_tokens
from app.bodylimit import BodyLimit
from app.config import SettingError, Settings, get_settings
from app.consistency import PositionWaits, after_position
from app.deps import get_reader, refill_views
from app.docs import install_docs
from app.explore import install_explorer
from app.head import HeadAsGetMiddleware
from app.openapi import install_openapi
from app.params import check_query_parameters, checking_also
from app.problems import install_problem_handlers, problem_types_markdown
from app.routes import (
    admin,
    changes,
    entities,
    events,
    export,
    health,
    imports,
    ingest,
    paths,
    problems,
    relations,
    sources,
    sparql,
    timeline,
    vocabulary,
    writes,
)
from app.routes import replica as replica_routes
from app.sparql_page import PAGES, PAGES_URL
from graph.errors import GeokgError
from graph.replica import Replica
from graph.service import KnowledgeGraph, freeze_heap
from graph.sparql import SparqlEngine

__all__ = ["SWITCH_INTERVAL", "create_app", "create_worker_app", "serving_process"]

SWITCH_INTERVAL = 0.001
"""Seconds a thread may hold Python's interpreter lock while another waits (Python's default
is 0.005). Heavy queries and exports run in worker threads; light requests are answered on the
event loop's thread, which gets its turn five times sooner this way: under the benchmark's
mixed load at a million edges the light requests' p99 fell from about 100 to 60 ms."""


def serving_process() -> None:
    """Settings of a process that serves HTTP (``geokg serve`` and each of its workers)."""
    sys.setswitchinterval(SWITCH_INTERVAL)


log = logging.getLogger(__name__)

DESCRIPTION = """
A knowledge graph of geopolitical events. Every entity, event and relation is traced to the
verbatim sentence it came from (`evidence`: source id, quote, character offsets).

Nodes are entities, events and source documents; edges are binary relations and the roles
entities play in events. Errors are RFC 9457 `application/problem+json`; each kind has its own
`type` URI, and `GET /problems/<slug>` describes it:

"""


def create_app(settings: Settings | None = None, graph: KnowledgeGraph | None = None) -> FastAPI:
    """Build the application. Without ``graph``, the store of record (``GEOKG_DB``) is opened
    here (and closed at shutdown), and seeded from ``GEOKG_SEEDS`` if it has no history; a broken
    seed or store stops the start with one line (the service never serves half a graph).

    Without ``settings``, they are read from the environment; a bad one (or a malformed token)
    exits with a one-line message naming the variable (this is the entry point of
    ``uvicorn --factory``, which would print a traceback for any other exception).
    """
    try:
        settings = settings or get_settings()
        tokens = parse_tokens(settings.tokens, settings.tokens_file)
    except (SettingError, TokenError) as exc:
        raise SystemExit(f"geokg: error: {exc}") from None

    opened = graph is None
    if graph is None:
        try:
            graph = KnowledgeGraph.open(settings.db, settings.seeds, model=settings.model)
        except GeokgError as exc:  # a broken seed or store: one message, no traceback
            raise SystemExit(f"geokg: error: {exc}") from None
    kg = graph
    engine = SparqlEngine(
        kg.records,
        timeout_s=settings.sparql_timeout,
        max_bytes=settings.sparql_max_bytes,
        max_memory=settings.sparql_max_memory,
    )

    replica = Replica(kg, max_lag=settings.max_lag, poll_interval=settings.follow_interval)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        log.info("store %s at change %d", kg.records.location, kg.position)
        replica.start()
        waits = app.state.position_waits = PositionWaits(kg)
        refill_views(app)
        views_after_imports = _refill_after_imports(app, kg)
        if opened and settings.sparql_warm:  # load the SPARQL replica now, not at the first query
            engine.warm_in_background()
        try:
            yield
        finally:
            task = app.state.filler
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await run_in_threadpool(replica.stop)
            kg.remove_listener(views_after_imports)
            waits.close()
            engine.close()
            if opened:
                kg.close()

    app = FastAPI(
        title="geokg",
        version="0.1.0",
        description=DESCRIPTION + problem_types_markdown(),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # Starlette would answer `/entities/` with a redirect to an absolute URL built from the
        # request's Host header (any host a client names); a 404 problem is plainer and safe.
        redirect_slashes=False,
    )
    app.state.graph = kg
    app.state.replica = replica
    app.state.sparql = engine
    app.state.settings = settings
    app.state.tokens = tokens
    app.add_middleware(BodyLimit)
    app.add_middleware(HeadAsGetMiddleware)
    if settings.cors_origins:  # off by default: only origins named in GEOKG_CORS_ORIGINS
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "Idempotency-Key"],
            expose_headers=["Content-Disposition", "ETag", "Location", "X-Geokg-Position"],
        )
    install_problem_handlers(app)
    install_openapi(app)
    install_docs(app)
    app.mount(PAGES_URL, StaticFiles(directory=PAGES), name="sparql-assets")
    install_explorer(app)
    checked = [Depends(check_query_parameters)]
    for module in (health, replica_routes, vocabulary, problems, admin, writes, imports, ingest):
        app.include_router(module.router, dependencies=checked)
    # Reads wait for a position they name (`after`, X-Geokg-Position): read-your-writes.
    consistent = [Depends(checking_also("after")), Depends(after_position)]
    app.include_router(sparql.router, dependencies=consistent)
    reads = [*consistent, Depends(get_reader)]
    for module in (entities, events, relations, paths, sources, export, changes, timeline):
        app.include_router(module.router, dependencies=reads)
    return app


IMPORT_SIZE = 1000
"""Changes applied at once past which this replica looks for export views to render: another
process imported, and an import's bulk commit leaves its nodes' views for the server to fill
(exports and SPARQL render what is missing, slowly, until then)."""


def _refill_after_imports(app: FastAPI, graph: KnowledgeGraph) -> Callable[[int], None]:
    loop = asyncio.get_running_loop()
    last = [graph.position]

    def applied(position: int) -> None:
        if position - last[0] > IMPORT_SIZE and not loop.is_closed():
            loop.call_soon_threadsafe(refill_views, app)
        last[0] = position

    graph.add_listener(applied)
    return applied


def create_worker_app() -> FastAPI:
    """The application in one of several worker processes of ``geokg serve --workers N``
    (settings from the environment the parent set). The worker ends when its parent does,
    even if the parent was killed and could not stop it (Linux), so no orphan keeps serving
    the port."""
    _end_with_parent()
    serving_process()
    app = create_app()
    freeze_heap()
    return app


def _end_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() == 1:  # the parent died before the line above took effect
        raise SystemExit(0)


_PR_SET_PDEATHSIG = 1
