"""Paths between any two nodes, each hop explained by its evidence."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from app.deps import StoreDep, run_heavy
from app.params import comma_separated
from app.problems import PROBLEM_RESPONSES
from app.routes.entities import Limit
from graph import queries
from graph.queries import MAX_PATH_LENGTH, Path, PathFilter, PathSet

router = APIRouter(tags=["paths"], responses=PROBLEM_RESPONSES)


def _node_ref(example: str) -> Any:
    return Query(
        min_length=1,
        max_length=200,
        description="A node id (entity, event or source), or an entity's name: its label or an "
        "alias (case- and accent-insensitive), or whole words of exactly one entity's name, "
        "such as a surname. A name several entities fit is a 422 listing the `candidates`.",
        examples=[example],
    )


Source = Annotated[str, _node_ref("olaf-scholz")]
Target = Annotated[str, _node_ref("dmytro-kuleba")]
Directed = Annotated[
    bool, Query(description="Follow edges only in their direction.", examples=[False])
]
Types = Annotated[
    str | None,
    Query(
        description="Comma-separated edge types (relation types or roles) the path may use.",
        examples=["actor,participant,holds_position"],
    ),
]
Kinds = Annotated[
    str | None,
    Query(
        description="Comma-separated node kinds the inner nodes may have.",
        examples=["person,state,meeting"],
    ),
]
Start = Annotated[
    dt.date | None,
    Query(description="Inner events must not end before this day.", examples=["2022-02-14"]),
]
End = Annotated[
    dt.date | None,
    Query(description="Inner events must not start after this day.", examples=["2022-02-16"]),
]


def _filter(
    directed: bool, types: str | None, kinds: str | None, start: dt.date | None, end: dt.date | None
) -> PathFilter:
    return queries.path_filter(
        directed=directed,
        types=comma_separated(types),
        kinds=comma_separated(kinds),
        start=start,
        end=end,
    )


@router.get("/paths/shortest", summary="Shortest path between two nodes")
async def get_shortest_path(
    store: StoreDep,
    source: Source,
    target: Target,
    directed: Directed = False,
    types: Types = None,
    kinds: Kinds = None,
    start: Start = None,
    end: End = None,
) -> Path:
    """One shortest path; every edge carries its evidence, every event its date and CAMEO code."""
    flt = _filter(directed, types, kinds, start, end)
    ends = queries.resolve_node(store, source), queries.resolve_node(store, target)
    return queries.shortest_path(store, *ends, flt)


@router.get("/paths", summary="The k shortest paths between two nodes")
async def list_paths(
    request: Request,
    store: StoreDep,
    source: Source,
    target: Target,
    max_length: Annotated[
        int,
        Query(
            ge=1,
            le=MAX_PATH_LENGTH,
            description=f"Longest path in hops (at most {MAX_PATH_LENGTH}).",
            examples=[4],
        ),
    ] = 4,
    limit: Limit = 10,
    directed: Directed = False,
    types: Types = None,
    kinds: Kinds = None,
    start: Start = None,
    end: End = None,
) -> PathSet:
    """Up to `limit` simple paths of at most `max_length` hops, shortest first, within the
    budgets of `GET /limits` (a cut answer says `truncated: true` and which budget)."""
    flt = _filter(directed, types, kinds, start, end)
    ends = queries.resolve_node(store, source), queries.resolve_node(store, target)
    search = partial(
        queries.k_shortest_paths, store, *ends, max_length=max_length, limit=limit, flt=flt
    )
    return await run_heavy(request, search)
