"""Relations: every edge, filtered."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.deps import StoreDep, run_page
from app.paging import PAGE_HEADERS, Cursor, Offset, link_next
from app.problems import PROBLEM_RESPONSES
from app.routes.entities import EdgeType, Limit
from graph import queries
from graph.queries import EdgePage

router = APIRouter(tags=["relations"], responses=PROBLEM_RESPONSES)


@router.get("/relations", summary="List relations", responses=PAGE_HEADERS)
async def list_relations(
    store: StoreDep,
    request: Request,
    response: Response,
    type: EdgeType = None,
    source: Annotated[
        str | None,
        Query(
            description="The node the edge leaves: id or name, as `/paths` takes them.",
            examples=["dmytro-kuleba"],
        ),
    ] = None,
    target: Annotated[
        str | None,
        Query(
            description="The node the edge enters: id or name, as `/paths` takes them.",
            examples=["ukraine"],
        ),
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> EdgePage:
    """Binary relations and event role edges, each with its evidence."""
    page = await run_page(
        limit,
        partial(
            queries.find_relations,
            store,
            type=type,
            source=source,
            target=target,
            limit=limit,
            offset=offset,
            cursor=cursor,
        ),
    )
    return link_next(request, response, page)
