"""The FastAPI application: ``app.main:app``, or ``create_app()`` for tests."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.concurrency import run_in_threadpool

from app.auth import parse_tokens
from app.bodylimit import BodyLimit
from app.config import Settings, get_settings
from app.deps import get_reader
from app.docs import install_docs
from app.openapi import install_openapi
from app.problems import install_problem_handlers
from app.routes import (
    admin,
    changes,
    entities,
    events,
    export,
    health,
    imports,
    paths,
    relations,
    sources,
    vocabulary,
    writes,
)
from graph.service import KnowledgeGraph

__all__ = ["app", "create_app"]

log = logging.getLogger(__name__)

DESCRIPTION = """
A knowledge graph of geopolitical events. Every entity, event and relation is traced to the
verbatim sentence it came from (`evidence`: source id, quote, character offsets).

Nodes are entities, events and source documents; edges are binary relations and the roles
entities play in events. Errors are RFC 9457 `application/problem+json`.
"""


def create_app(settings: Settings | None = None, graph: KnowledgeGraph | None = None) -> FastAPI:
    """Build the application. Without ``graph``, the store of record (``GEOKG_DB``) is opened at
    start-up, and seeded from ``GEOKG_SEEDS`` if it has no history; a broken seed stops the
    start (the service never serves half a graph)."""
    settings = settings or get_settings()
    tokens = parse_tokens(settings.tokens, settings.tokens_file)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = graph is None
        kg = KnowledgeGraph.open(settings.db, settings.seeds) if graph is None else graph
        app.state.graph = kg
        log.info("store %s at position %d: %s", settings.db, kg.position, _counts(kg))
        follower = asyncio.create_task(_follow(kg, settings.follow_interval))
        try:
            yield
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
            if opened:
                kg.close()

    app = FastAPI(
        title="geokg",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.tokens = tokens
    app.add_middleware(BodyLimit)
    install_problem_handlers(app)
    install_openapi(app)
    install_docs(app)
    app.include_router(health.router)
    app.include_router(vocabulary.router)
    app.include_router(admin.router)
    reads = [Depends(get_reader)]
    for module in (entities, events, relations, paths, sources, export, changes):
        app.include_router(module.router, dependencies=reads)
    app.include_router(writes.router)
    app.include_router(imports.router)
    return app


def _counts(graph: KnowledgeGraph) -> dict[str, int]:
    with graph.reading() as store:
        return store.counts()


async def _follow(graph: KnowledgeGraph, interval: float) -> None:
    """Apply what other processes write to the same store (cheap when nothing is new)."""
    while True:
        await asyncio.sleep(interval)
        try:
            await run_in_threadpool(graph.sync)
        except Exception:
            log.exception("could not follow the change log; retrying")


app = create_app()
