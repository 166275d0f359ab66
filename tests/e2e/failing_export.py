"""An application factory for the export tests: geokg's app, with an N-Triples export that fails
part-way through, as one would whose store became unreadable while it streamed.

Served by uvicorn (``--factory tests.e2e.failing_export:create_app``): the failure happens in a
real server process, after the status line and the first chunks have gone out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from fastapi import FastAPI

import graph.formats
from app.main import create_app as create_geokg_app
from graph.store import GraphStore

CHUNKS_BEFORE_FAILURE = 2
"""How many chunks the broken export sends before it fails."""


def create_app() -> FastAPI:
    """geokg's application, with a broken N-Triples writer in its format registry."""
    row = graph.formats.FORMATS["ntriples"]

    def broken(store: GraphStore, node_ids: Iterable[str] | None) -> Iterator[bytes]:
        chunks = row.writer(store, node_ids)
        for _ in range(CHUNKS_BEFORE_FAILURE):
            yield next(chunks)
        raise OSError("the store became unreadable")

    graph.formats.FORMATS["ntriples"] = replace(row, writer=broken)
    return create_geokg_app()
