"""Entities: search, one entity, its relations, its neighbourhood."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response

from app.deps import StoreDep, run_heavy, run_page
from app.paging import PAGE_HEADERS, Cursor, Offset, link_next
from app.problems import PROBLEM_RESPONSES
from graph import queries
from graph.model import Entity
from graph.queries import MAX_DEPTH, MAX_LIMIT, NEIGHBOUR_LIMIT, EdgePage, EntityPage, Subgraph
from graph.writes import etag

router = APIRouter(tags=["entities"], responses=PROBLEM_RESPONSES)

EntityId = Annotated[
    str,
    Path(
        description="An entity id (any node id for relations and neighbours).",
        examples=["dmytro-kuleba"],
    ),
]
Limit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"Page size (at most {MAX_LIMIT}).", examples=[20])
]
Kind = Annotated[
    str | None,
    Query(
        description="Only nodes of this kind (`organisation` includes its sub-kinds).",
        examples=["person"],
    ),
]
EdgeType = Annotated[
    str | None,
    Query(description="Only edges of this relation type or role.", examples=["holds_position"]),
]


@router.get("/entities", summary="Search entities", responses=PAGE_HEADERS)
async def list_entities(
    store: StoreDep,
    request: Request,
    response: Response,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Text in the label or an alias; case- and accent-insensitive, "
            "prefix or substring, best match first (the best 1000 at most: `total` is null "
            "when more match).",
            examples=["kuleba"],
        ),
    ] = None,
    kind: Kind = None,
    limit: Limit = 50,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> EntityPage:
    """List entities, optionally matching a text query and a kind; a page at a time."""
    page = await run_page(
        limit, partial(queries.find_entities, store, q, kind, limit, offset, cursor=cursor)
    )
    return link_next(request, response, page)


@router.get("/entities/{id}", summary="Get one entity")
async def get_entity(store: StoreDep, id: EntityId, response: Response) -> Entity:
    """One entity with its aliases, identifiers (and their origin) and evidence."""
    entity = store.entity(id)
    response.headers["ETag"] = etag(entity)
    return entity


@router.get("/entities/{id}/relations", summary="Relations of an entity", responses=PAGE_HEADERS)
async def list_entity_relations(
    store: StoreDep,
    request: Request,
    response: Response,
    id: EntityId,
    direction: Annotated[
        Literal["out", "in", "both"],
        Query(description="Edges leaving the node, entering it, or both.", examples=["both"]),
    ] = "both",
    type: EdgeType = None,
    limit: Limit = 50,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> EdgePage:
    """The edges of a node (relations and event roles) with their evidence, a page at a time."""
    page = await run_page(
        limit,
        partial(
            queries.entity_relations,
            store,
            id,
            direction,
            type,
            limit=limit,
            offset=offset,
            cursor=cursor,
        ),
    )
    return link_next(request, response, page)


@router.get("/entities/{id}/neighbors", summary="Neighbourhood of an entity")
async def get_entity_neighbors(
    request: Request,
    store: StoreDep,
    id: EntityId,
    depth: Annotated[
        int,
        Query(ge=1, le=MAX_DEPTH, description=f"Hops to follow (1 to {MAX_DEPTH}).", examples=[1]),
    ] = 1,
    kind: Kind = None,
    type: EdgeType = None,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=MAX_LIMIT,
            description=f"Most nodes to return (at most {MAX_LIMIT}); a cut answer has "
            "`truncated: true`.",
            examples=[100],
        ),
    ] = NEIGHBOUR_LIMIT,
) -> Subgraph:
    """Nodes within `depth` hops (edges followed both ways) and the edges between them."""
    return await run_heavy(
        request,
        partial(queries.neighbourhood, store, id, depth=depth, kind=kind, type=type, limit=limit),
    )
