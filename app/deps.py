"""Dependencies handed to route handlers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from graph.store import GraphStore

__all__ = ["StoreDep"]


def get_store(request: Request) -> GraphStore:
    """The store built in the application's lifespan."""
    store: GraphStore = request.app.state.store
    return store


StoreDep = Annotated[GraphStore, Depends(get_store)]
