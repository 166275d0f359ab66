"""The FastAPI application, built by :func:`create_app`.

Nothing is built at import: run ``uvicorn --factory app.main:create_app`` (or ``geokg serve``),
and tests call ``create_app(settings, store)``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app.config import SettingError, Settings, get_settings
from app.docs import install_docs
from app.head import HeadAsGetMiddleware
from app.openapi import install_openapi
from app.params import check_query_parameters
from app.problems import install_problem_handlers, problem_types_markdown
from app.routes import (
    entities,
    events,
    export,
    health,
    paths,
    problems,
    relations,
    sources,
    vocabulary,
)
from graph.seed import load_seed_dir
from graph.store import GraphStore

__all__ = ["create_app"]

log = logging.getLogger(__name__)

DESCRIPTION = """
A knowledge graph of geopolitical events. Every entity, event and relation is traced to the
verbatim sentence it came from (`evidence`: source id, quote, character offsets).

Nodes are entities, events and source documents; edges are binary relations and the roles
entities play in events. Errors are RFC 9457 `application/problem+json`; each kind has its own
`type` URI, and `GET /problems/<slug>` describes it:

"""


def create_app(settings: Settings | None = None, store: GraphStore | None = None) -> FastAPI:
    """Build the application. Without ``store``, the seed directory is loaded at start-up,
    and a broken seed stops the start (the service never serves half a graph).

    Without ``settings``, they are read from the environment; a bad one exits with a one-line
    message naming the variable (this is the entry point of ``uvicorn --factory``, which would
    print a traceback for any other exception).
    """
    try:
        settings = settings or get_settings()
    except SettingError as exc:
        raise SystemExit(f"geokg: error: {exc}") from None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if store is None:
            app.state.store = load_seed_dir(settings.seeds)
            log.info("loaded %s from %s", app.state.store.counts(), settings.seeds)
        else:
            app.state.store = store
        yield

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
    app.add_middleware(HeadAsGetMiddleware)
    if settings.cors_origins:  # off by default: only origins named in GEOKG_CORS_ORIGINS
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD"],
            expose_headers=["Content-Disposition"],
        )
    install_problem_handlers(app)
    install_openapi(app)
    install_docs(app)
    routers = (health, entities, events, relations, paths, sources, export, vocabulary, problems)
    for module in routers:
        app.include_router(module.router, dependencies=[Depends(check_query_parameters)])
    return app
