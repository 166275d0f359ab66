"""Service health."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.deps import StoreDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """Liveness and what the graph holds."""

    status: str = Field(examples=["ok"])
    counts: dict[str, int] = Field(
        description="Nodes by type and edges.",
        examples=[{"entities": 80, "events": 60, "sources": 1, "edges": 300}],
    )


_EXAMPLE = {"status": "ok", "counts": {"entities": 80, "events": 60, "sources": 1, "edges": 300}}


@router.get(
    "/health",
    summary="Service status and graph counts",
    responses={200: {"content": {"application/json": {"example": _EXAMPLE}}}},
)
async def get_health(store: StoreDep) -> Health:
    """Report that the service is up, with the numbers of entities, events, sources and edges."""
    return Health(status="ok", counts=store.counts())
