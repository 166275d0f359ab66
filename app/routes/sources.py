"""Source documents and their metadata."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from app.deps import StoreDep
from app.problems import PROBLEM_RESPONSES
from graph.model import Source

router = APIRouter(tags=["sources"], responses=PROBLEM_RESPONSES)


@router.get("/sources", summary="List source documents")
def list_sources(store: StoreDep) -> list[Source]:
    """Every source document with its metadata (title, publisher, date, contributors)."""
    return list(store.sources())


@router.get("/sources/{id}", summary="Get one source document")
def get_source(
    store: StoreDep,
    id: Annotated[
        str, Path(description="A source id.", examples=["ap-2022-02-15-russia-forces-pulling-back"])
    ],
) -> Source:
    """One source document with its metadata."""
    return store.source(id)
