"""Where this replica stands in the store's change log: `/replica`, `/ready`, and pausing."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from app.deps import WriterDep
from app.problems import Problem
from graph.errors import ReplicaNotReadyError
from graph.replica import Replica, ReplicaStatus

router = APIRouter(tags=["replica"])


class ReplicaState(BaseModel):
    """This replica's place in the change log of the store of record."""

    position: int = Field(description="The last change applied to this replica's read model.")
    store_position: int | None = Field(
        description="The last change committed to the store of record (null: unreachable)."
    )
    lag_changes: int | None = Field(description="Changes committed but not applied here.")
    lag_seconds: float | None = Field(
        description="Age of the oldest change not applied here, by the writer's clock (0: none)."
    )
    max_lag_seconds: float = Field(description="Past this lag, `GET /ready` answers 503.")
    ready: bool
    reason: str | None = Field(description="Why the replica is not ready (null when it is).")
    paused: bool = Field(description="Whether following the log is paused.")
    following: str = Field(
        description="`notifications`: woken by each commit (PostgreSQL); `polling`: looks "
        "every `GEOKG_FOLLOW_INTERVAL` seconds (SQLite)."
    )


_EXAMPLE = {
    "position": 245,
    "store_position": 245,
    "lag_changes": 0,
    "lag_seconds": 0.0,
    "max_lag_seconds": 5.0,
    "ready": True,
    "reason": None,
    "paused": False,
    "following": "notifications",
}


def _state(status: ReplicaStatus) -> dict[str, Any]:
    return dataclasses.asdict(status)


async def replica_status(request: Request) -> ReplicaStatus:
    """The replica's status (a lookup or two in the store, in a worker thread)."""
    replica: Replica = request.app.state.replica
    return await run_in_threadpool(replica.status)


@router.get(
    "/replica",
    summary="This replica's position and lag",
    responses={200: {"content": {"application/json": {"example": _EXAMPLE}}}},
)
async def get_replica(request: Request) -> ReplicaState:
    """Where this process's read model stands in the store's change log: the position it has
    applied, the store's position, and the lag between them, in changes and in seconds."""
    return ReplicaState(**_state(await replica_status(request)))


@router.get(
    "/ready",
    summary="Whether this replica should be in a load balancer's rotation",
    responses={
        200: {"content": {"application/json": {"example": _EXAMPLE}}},
        503: {
            "model": Problem,
            "description": "Not ready (`not-ready`): too far behind, or the store is lost.",
        },
    },
)
async def get_ready(request: Request) -> ReplicaState:
    """200 while the replica lags the store by at most `GEOKG_MAX_LAG` seconds and reaches it;
    otherwise a 503 `not-ready` problem whose `replica` member says where it stands."""
    status = await replica_status(request)
    if not status.ready:
        raise ReplicaNotReadyError(status.reason or "", _state(status))
    return ReplicaState(**_state(status))


@router.post(
    "/admin/replica/pause",
    summary="Stop applying the change log",
    responses={200: {"content": {"application/json": {"example": {**_EXAMPLE, "paused": True}}}}},
)
async def pause(request: Request, _token: WriterDep) -> ReplicaState:
    """Hold this replica's read model where it is: reads answer from it, writes sent here are
    refused (503 `replica-paused`), and once its lag passes `GEOKG_MAX_LAG`, `GET /ready`
    answers 503. Needs a write token."""
    replica: Replica = request.app.state.replica
    await run_in_threadpool(replica.graph.pause)
    return ReplicaState(**_state(await replica_status(request)))


@router.post(
    "/admin/replica/resume",
    summary="Apply the change log again",
    responses={200: {"content": {"application/json": {"example": _EXAMPLE}}}},
)
async def resume(request: Request, _token: WriterDep) -> ReplicaState:
    """Follow the log again: what was committed meanwhile is applied before the answer, which
    says where the replica then stands. Needs a write token."""
    replica: Replica = request.app.state.replica
    replica.graph.resume()
    await run_in_threadpool(replica.graph.sync)  # caught up before it answers
    return ReplicaState(**_state(await replica_status(request)))
