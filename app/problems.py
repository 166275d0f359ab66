"""RFC 9457 problem details: every error leaves as ``application/problem+json``.

One table maps each library error to a status; request validation errors become 422 with the
list of fields; Starlette's own errors keep their status and headers; anything unexpected is a
500 that logs the traceback and never echoes it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.negotiation import NotAcceptableError
from graph.errors import (
    AmbiguousNameError,
    GeokgError,
    InvalidQueryError,
    NodeNotFoundError,
    NoPathError,
    UnsupportedFormatError,
)

__all__ = [
    "PROBLEM_RESPONSES",
    "Problem",
    "install_problem_handlers",
    "problem_response",
]

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldError(BaseModel):
    """One invalid request field."""

    field: str = Field(description="The parameter name, e.g. `depth`.")
    location: str = Field(description="Where it was: query, path, header.")
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None
    supported: list[str] | None = None
    candidates: list[str] | None = Field(
        default=None, description="For an ambiguous name: the ids it could mean."
    )


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}, "description": desc}
    for status, desc in [
        (404, "Unknown id, or no path."),
        (422, "A parameter is invalid or out of its bounds."),
    ]
}


def problem_response(
    status: int,
    detail: str | None,
    request: Request,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """Build a problem+json response."""
    body = Problem(
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
        **extra,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers) if headers else None,
    )


_STATUS: list[tuple[type[GeokgError], int]] = [
    (NotAcceptableError, 406),
    (NodeNotFoundError, 404),
    (NoPathError, 404),
    (AmbiguousNameError, 422),
    (InvalidQueryError, 422),
    (UnsupportedFormatError, 400),
]


async def _library_error(request: Request, exc: Exception) -> JSONResponse:
    status = next((s for cls, s in _STATUS if isinstance(exc, cls)), 500)
    if status == 500:
        log.error("unmapped library error", exc_info=exc)
        return problem_response(500, "internal error", request)
    extra: dict[str, Any] = {}
    if isinstance(exc, InvalidQueryError):
        extra["errors"] = [FieldError(field=exc.field, location="query", message=exc.reason)]
    if isinstance(exc, UnsupportedFormatError):
        extra["supported"] = list(exc.supported)
    if isinstance(exc, AmbiguousNameError):
        extra["candidates"] = list(exc.candidates)
    return problem_response(status, str(exc), request, **extra)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldError(
            field=".".join(str(p) for p in err["loc"][1:]) or str(err["loc"][0]),
            location=str(err["loc"][0]),
            message=err["msg"],
        )
        for err in exc.errors()
    ]
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
    return problem_response(422, detail, request, errors=errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem_response(exc.status_code, str(exc.detail), request, headers=exc.headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s", request.url.path, exc_info=exc)
    return problem_response(500, "internal error", request)


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error through problem+json."""
    app.add_exception_handler(GeokgError, _library_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
