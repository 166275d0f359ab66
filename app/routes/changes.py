"""The change feed: every committed change, in commit order, as a page or a live stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from app.deps import GraphDep
from app.problems import PROBLEM_RESPONSES
from graph.errors import InvalidQueryError

router = APIRouter(tags=["changes"], responses=PROBLEM_RESPONSES)

MAX_CHANGES = 1000
"""Largest page of ``GET /changes``."""
STREAM_BATCH = 500
HEARTBEAT_SECONDS = 15.0

Since = Annotated[
    int,
    Query(
        ge=0,
        description="Answer the changes after this position (0: from the start).",
        examples=[0],
    ),
]


class ChangePage(BaseModel):
    """Changes after `since`, oldest first."""

    items: list[dict[str, Any]] = Field(
        description="Each with position, commit (the position that ends its transaction), at, "
        "operation, object_type, object_id, actor (the writer's token name), source, "
        "before and after."
    )
    since: int
    next: int = Field(description="Pass as `since` for the next page.")
    position: int = Field(description="The position of the last committed change.")
    store_id: str = Field(description="Names this store's history; a restore changes it.")


@router.get("/changes", summary="The change log")
async def list_changes(
    graph: GraphDep,
    since: Since = 0,
    limit: Annotated[
        int, Query(ge=1, le=MAX_CHANGES, description="Page size.", examples=[100])
    ] = 100,
) -> ChangePage:
    """Committed changes after `since`, in commit order; positions have no gaps."""
    _check_since(graph, since)
    items = graph.records.changes_since(since, limit)
    return ChangePage(
        items=[c.as_json() for c in items],
        since=since,
        next=items[-1].position if items else since,
        position=graph.records.position(),
        store_id=graph.records.store_id(),
    )


@router.get(
    "/changes/stream",
    summary="The change log, live (server-sent events)",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {
                "text/event-stream": {
                    "example": 'id: 378\nevent: change\ndata: {"position": 378, '
                    '"operation": "create", "object_type": "entity", ...}\n\n'
                }
            }
        }
    },
)
async def stream_changes(
    graph: GraphDep,
    request: Request,
    since: Since = 0,
    follow: Annotated[
        bool,
        Query(
            description="Keep the stream open for new changes (false: end once caught up).",
            examples=[False],
        ),
    ] = True,
    last_event_id: Annotated[int | None, Header(ge=0, include_in_schema=False)] = None,
) -> StreamingResponse:
    """Every change after `since` (or `Last-Event-ID`), then each new one as it commits."""
    start = last_event_id if last_event_id is not None else since
    _check_since(graph, start)
    return StreamingResponse(
        _events(graph, request, start, follow),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _check_since(graph: Any, since: int) -> None:
    """A position past the log's end is a follower's mistake (another store, or one restored
    from an older backup): refuse it rather than wait for changes it would then skip."""
    position = graph.records.position()
    if since > position:
        raise InvalidQueryError(
            "since",
            f"{since} is past the end of this store's log (position {position}); a follower "
            "ahead of the store follows another history: start again from 0",
        )


async def _events(graph: Any, request: Request, since: int, follow: bool) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()

    def listener(_position: int) -> None:
        loop.call_soon_threadsafe(wake.set)

    graph.add_listener(listener)
    try:
        last = since
        yield f": geokg change feed from position {last}\nretry: 1000\n\n"
        if request.scope.get("geokg.head"):
            return
        while not await request.is_disconnected():
            wake.clear()
            # Only what this replica has applied: a client that saw an entry here can read
            # its effect here (another process's commit is sent once the follower applied it).
            limit = min(STREAM_BATCH, graph.position - last)
            batch = []
            if limit > 0:
                batch = await run_in_threadpool(graph.records.changes_since, last, limit)
            for entry in batch:
                data = json.dumps(entry.as_json(), ensure_ascii=False)
                yield f"id: {entry.position}\nevent: change\ndata: {data}\n\n"
                last = entry.position
            if batch and len(batch) == limit:
                continue
            if not follow:
                return
            try:
                await asyncio.wait_for(wake.wait(), HEARTBEAT_SECONDS)
            except TimeoutError:
                yield ": keep-alive\n\n"
    finally:
        graph.remove_listener(listener)
