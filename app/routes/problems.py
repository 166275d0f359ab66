"""The problem types: what each error ``type`` URI means."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from app.problems import (
    PROBLEM_BASE,
    PROBLEM_RESPONSES,
    ProblemTypeInfo,
    problem_type_info,
    problem_type_infos,
)

router = APIRouter(tags=["problems"], responses=PROBLEM_RESPONSES)

_EXAMPLE = [
    {
        "type": f"{PROBLEM_BASE}no-path",
        "slug": "no-path",
        "status": 404,
        "title": "No path",
        "description": "The two nodes are not connected under the request's constraints.",
    }
]


@router.get(
    "/problems",
    summary="List the problem types",
    responses={200: {"content": {"application/json": {"example": _EXAMPLE}}}},
)
async def list_problem_types() -> list[ProblemTypeInfo]:
    """Every kind of error the service answers with: its status, `type` URI and meaning."""
    return problem_type_infos()


@router.get("/problems/{slug}", summary="Describe one problem type")
async def get_problem_type(
    slug: Annotated[
        str, Path(description="The last segment of a problem's `type`.", examples=["no-path"])
    ],
) -> ProblemTypeInfo:
    """What one kind of error means: the page a problem's `type` URI names."""
    return problem_type_info(slug)
