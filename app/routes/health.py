"""Service health."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app.deps import StoreDep
from app.routes.replica import replica_status

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """Liveness, what the graph holds, and where this replica stands in the change log."""

    status: str = Field(
        examples=["ok"],
        description="`ok`, or `not-ready` when this replica lags past `GEOKG_MAX_LAG` or cannot "
        "reach the store of record (`GET /ready` then answers 503; `GET /replica` says more).",
    )
    counts: dict[str, int] = Field(
        description="Nodes by type and edges.",
        examples=[{"entities": 80, "events": 60, "sources": 1, "edges": 300}],
    )
    position: int = Field(description="The last change of the log applied here.", examples=[245])
    lag_changes: int | None = Field(
        description="Changes committed to the store but not applied here (null: unreachable).",
        examples=[0],
    )
    lag_seconds: float | None = Field(
        description="Age of the oldest change not applied here (0: none).", examples=[0.0]
    )


_EXAMPLE = {
    "status": "ok",
    "counts": {"entities": 80, "events": 60, "sources": 1, "edges": 300},
    "position": 245,
    "lag_changes": 0,
    "lag_seconds": 0.0,
}


@router.get(
    "/health",
    summary="Service status, graph counts, and replica lag",
    responses={200: {"content": {"application/json": {"example": _EXAMPLE}}}},
)
async def get_health(request: Request, store: StoreDep) -> Health:
    """Report that the service is up, with the numbers of entities, events, sources and edges
    and this replica's position and lag (a 200 while the process lives: `GET /ready` is the
    check for a load balancer)."""
    counts = store.counts()
    position = store.position if store.position is not None else 0
    status = await replica_status(request)
    return Health(
        status="ok" if status.ready else "not-ready",
        counts=counts,
        position=position,
        lag_changes=status.lag_changes,
        lag_seconds=status.lag_seconds,
    )
