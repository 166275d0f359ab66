"""Events: filtered lists and single events."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app.deps import StoreDep, run_page
from app.paging import PAGE_HEADERS, Cursor, Offset, link_next
from app.problems import PROBLEM_RESPONSES
from app.routes.entities import Limit
from graph import queries
from graph.queries import EventDetail, EventPage
from graph.writes import etag

router = APIRouter(tags=["events"], responses=PROBLEM_RESPONSES)


@router.get("/events", summary="List events", responses=PAGE_HEADERS)
async def list_events(
    store: StoreDep,
    request: Request,
    response: Response,
    kind: Annotated[str | None, Query(description="Event kind.", examples=["meeting"])] = None,
    actor: Annotated[
        str | None,
        Query(
            description="An entity in the `actor` role: id or name, as `/paths` takes them.",
            examples=["sergey-lavrov"],
        ),
    ] = None,
    place: Annotated[
        str | None,
        Query(
            description="The place (the `place` role): id or name, as `/paths` takes them.",
            examples=["moscow"],
        ),
    ] = None,
    cameo: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{2,4}$",
            description="CAMEO code or code prefix (events without a code never match).",
            examples=["036"],
        ),
    ] = None,
    start: Annotated[
        dt.date | None, Query(description="Events on or after this day.", examples=["2022-02-16"])
    ] = None,
    end: Annotated[
        dt.date | None, Query(description="Events on or before this day.", examples=["2022-02-16"])
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> EventPage:
    """Events by kind, actor, place, CAMEO code and date window; dated events first, by date."""
    page = await run_page(
        limit,
        partial(
            queries.find_events,
            store,
            kind=kind,
            actor=actor,
            place=place,
            cameo=cameo,
            start=start,
            end=end,
            limit=limit,
            offset=offset,
            cursor=cursor,
        ),
    )
    return link_next(request, response, page)


@router.get("/events/{id}", summary="Get one event")
async def get_event(
    store: StoreDep,
    id: Annotated[
        str,
        Path(description="An event id.", examples=["russia-announces-units-returning-to-bases"]),
    ],
    response: Response,
) -> EventDetail:
    """One event: CAMEO code, date (with the rule that resolved it), participants, evidence."""
    event = queries.event_detail(store, id)
    response.headers["ETag"] = etag(event)
    return event
