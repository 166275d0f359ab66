"""Source documents and their metadata."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import PlainTextResponse

from app.deps import StoreDep
from app.problems import PROBLEM_RESPONSES
from graph import queries
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


SourceId = Annotated[
    str, Path(description="A source id.", examples=["ap-2022-02-15-russia-forces-pulling-back"])
]


def _offset(description: str, example: int) -> Any:
    return Query(ge=0, description=description, examples=[example])


@router.get("/sources/{id}", summary="Get one source document")
async def get_source(store: StoreDep, id: SourceId, response: Response) -> Source:
    """One source document with its metadata."""
    source = store.source(id)
    response.headers["ETag"] = etag(source)
    return source


@router.get(
    "/sources/{id}/text",
    summary="The text of a source document, or a slice of it",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {"example": "Russia stated Tuesday"}}}},
)
async def get_source_text(
    store: StoreDep,
    id: SourceId,
    start: Annotated[
        int | None, _offset("First character of the slice (as evidence `start`).", 58)
    ] = None,
    end: Annotated[
        int | None, _offset("Character after the slice (as evidence `end`).", 79)
    ] = None,
) -> PlainTextResponse:
    """The source's text, byte for byte, or `text[start:end]` in the offsets evidence uses."""
    return PlainTextResponse(queries.source_text(store, id, start, end))
