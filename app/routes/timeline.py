"""Timelines: the events of an entity, or of a pair of entities (a dyad), by date."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import StoreDep
from app.problems import PROBLEM_RESPONSES
from graph import queries
from graph.queries import MAX_LIMIT, TIMELINE_LIMIT, Timeline

router = APIRouter(tags=["events"], responses=PROBLEM_RESPONSES)

_NAME = (
    "an id, or a name as `/paths` takes it (label or alias, or whole words of exactly one "
    "entity's name); an event or source id is a 422"
)


@router.get("/timeline", summary="Timeline of an entity or a dyad")
def get_timeline(
    store: StoreDep,
    entity: Annotated[
        str,
        Query(
            min_length=1, max_length=200, description=f"The entity: {_NAME}.", examples=["russia"]
        ),
    ],
    other: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description=f"A second entity, for the events both take part in: {_NAME}.",
            examples=["ukraine"],
        ),
    ] = None,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=MAX_LIMIT,
            description=f"Most events answered (at most {MAX_LIMIT}); dated events are kept "
            "first, and a cut answer has `truncated: true`.",
            examples=[TIMELINE_LIMIT],
        ),
    ] = TIMELINE_LIMIT,
) -> Timeline:
    """Events the entity (and `other`) take part in: dated ones by date, undated ones apart."""
    return queries.timeline(store, entity, other, limit=limit)
