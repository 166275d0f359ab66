"""Import a geokg export in any format: all or nothing, or a dry run that only reports."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from app.deps import GraphDep, WriterDep, refill_views
from app.importing import check_import_size, import_answer, import_format, run_import
from app.problems import PROBLEM_RESPONSES, Problem
from graph.formats import FORMATS as EXPORT_FORMATS
from graph.imports import READERS, ImportReport

router = APIRouter(tags=["import"], responses=PROBLEM_RESPONSES)

_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A geokg export, raw, in the format named by `format` or `Content-Type`.",
        "content": {
            EXPORT_FORMATS[name].media_type: {
                "schema": {"type": "string", "format": "binary"},
                "example": EXPORT_FORMATS[name].example,
            }
            for name in READERS
        },
    }
}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    201: {"model": ImportReport, "description": "Imported: something was added or changed."},
    400: {"model": Problem, "description": "Unsupported format; lists the supported ones."},
    413: {"model": Problem, "description": "The body is over `import_body_bytes`."},
}


@router.post(
    "/import",
    summary="Import an export (any format)",
    response_model=ImportReport,
    responses=_RESPONSES,
    openapi_extra=_BODY,
)
async def import_graph(
    request: Request,
    graph: GraphDep,
    writer: WriterDep,
    format: Annotated[
        str | None,
        Query(
            description=f"{', '.join(READERS)}; without it, `Content-Type` tells.",
            examples=["turtle"],
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        Query(
            description="Only report what would be added, changed and rejected.",
            examples=[True],
        ),
    ] = False,
    content_type: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> JSONResponse:
    """Add or update every record of an export in one commit, or none if any is wrong."""
    fmt = import_format(format, content_type)
    body = await request.body()
    check_import_size(fmt, len(body))
    outcome = await run_in_threadpool(run_import, graph, body, fmt, writer.name, dry_run)
    answer = import_answer(outcome)
    if not dry_run and answer.status_code < 300:
        # An import commits in bulk without rendering export views: render them in the
        # background (exports meanwhile render what has no view, as they stream).
        refill_views(request.app)
    return answer
