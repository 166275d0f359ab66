"""Source documents and their metadata."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from app.deps import StoreDep
from app.problems import PROBLEM_RESPONSES
from graph.model import Source
from graph.writes import etag

router = APIRouter(tags=["sources"], responses=PROBLEM_RESPONSES)


_EXAMPLE = [
    {
        "node_type": "source",
        "id": "ap-2022-02-15-russia-forces-pulling-back",
        "kind": "news_article",
        "label": "Russia Says Some Forces Pulling Back Amid Ukraine Crisis",
        "publisher": "associated-press",
        "published": "2022-02-15",
        "contributors": ["robert-burns"],
        "language": "en",
        "text_file": "2022-02-15-ap-russia-forces-pulling-back.txt",
        "text_length": 6764,
        "metadata_origin": "Supplied with the seed: metadata of the document, not its text.",
    }
]


@router.get(
    "/sources",
    summary="List source documents",
    responses={200: {"content": {"application/json": {"example": _EXAMPLE}}}},
)
def list_sources(store: StoreDep) -> list[Source]:
    """Every source document with its metadata (title, publisher, date, contributors)."""
    return list(store.sources())


@router.get("/sources/{id}", summary="Get one source document")
def get_source(
    store: StoreDep,
    id: Annotated[
        str, Path(description="A source id.", examples=["ap-2022-02-15-russia-forces-pulling-back"])
    ],
    response: Response,
) -> Source:
    """One source document with its metadata."""
    source = store.source(id)
    response.headers["ETag"] = etag(source)
    return source
