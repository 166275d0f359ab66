"""RFC 9457 problem details: every error leaves as ``application/problem+json``.

:data:`PROBLEM_TYPES` is the one table: each row maps an error class to its status and to a
``type`` URI (``https://geokg.example.org/problems/<slug>``) that ``GET /problems/<slug>``
describes. Request validation errors become 422 with the list of fields; Starlette's own errors
keep their status and headers; anything unexpected is a 500 that logs the traceback and never
echoes it. Values a problem repeats from the request are cut to
:data:`~graph.errors.ECHO_LIMIT` characters.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.negotiation import NotAcceptableError
from app.vendor import MissingFilesError
from graph.errors import (
    AmbiguousNameError,
    ConflictError,
    GeokgError,
    IdempotencyKeyReusedError,
    InvalidCursorError,
    InvalidQueryError,
    NodeNotFoundError,
    NoPathError,
    NotSupportedError,
    PathBudgetError,
    PreconditionFailedError,
    RecordValidationError,
    ReplicaBehindError,
    ReplicaNotReadyError,
    ReplicaPausedError,
    SparqlAbortedError,
    SparqlDatasetError,
    SparqlResultTooLargeError,
    SparqlServiceError,
    SparqlSyntaxError,
    SparqlTimeoutError,
    SparqlUpdateError,
    StoreError,
    StoreUnreachableError,
    UnsupportedFormatError,
    clip,
)
from graph.storage import is_unreachable, unreachable_errors

__all__ = [
    "PROBLEM_BASE",
    "PROBLEM_MEDIA_TYPE",
    "PROBLEM_RESPONSES",
    "PROBLEM_TYPES",
    "FieldError",
    "Problem",
    "ProblemType",
    "ProblemTypeInfo",
    "install_problem_handlers",
    "problem_response",
    "problem_type_info",
    "problem_type_infos",
    "problem_types_markdown",
]

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://geokg.example.org/problems/"
"""Problem type URIs are this followed by the type's slug."""


class FieldError(BaseModel):
    """One invalid request field."""

    field: str = Field(description="The parameter name, e.g. `depth`.")
    location: str = Field(description="Where it was: query, path, header.")
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str = Field(
        default="about:blank",
        description=f"The kind of problem: `{PROBLEM_BASE}<slug>`; `GET /problems/<slug>` "
        "describes it.",
        examples=[f"{PROBLEM_BASE}node-not-found"],
    )
    title: str = Field(description="A short summary of the problem type (the same every time).")
    status: int
    detail: str | None = Field(default=None, description="What went wrong this time.")
    instance: str | None = Field(default=None, description="The path of the request.")
    errors: list[FieldError] | None = None
    supported: list[str] | None = Field(
        default=None, description="For an unsupported format: the formats or media types."
    )
    candidates: list[str] | None = Field(
        default=None, description="For an ambiguous name: the ids it could mean."
    )
    conflicts: list[str] | None = Field(
        default=None, description="For a conflict: the ids of what stands in the way."
    )
    budget: str | None = Field(
        default=None,
        description="For a path search out of budget: which one (`time` or `searches`).",
    )
    replica: dict[str, Any] | None = Field(
        default=None, description="For a replica not ready: where it stands (`GET /replica`)."
    )


def _replica(exc: ReplicaNotReadyError) -> dict[str, Any]:
    return {"replica": exc.status}


def _field_errors(exc: InvalidQueryError) -> dict[str, Any]:
    return {"errors": [FieldError(field=exc.field, location=exc.location, message=exc.reason)]}


def _supported(exc: UnsupportedFormatError) -> dict[str, Any]:
    return {"supported": list(exc.supported)}


def _candidates(exc: AmbiguousNameError) -> dict[str, Any]:
    return {"candidates": list(exc.candidates)}


def _record_errors(exc: RecordValidationError) -> dict[str, Any]:
    return {
        "errors": [
            FieldError(field=clip(p.location), location="body", message=p.reason)
            for p in exc.problems
        ]
    }


def _conflicts(exc: ConflictError) -> dict[str, Any]:
    return {"conflicts": list(exc.ids)}


def _budget(exc: PathBudgetError) -> dict[str, Any]:
    return {"budget": exc.budget}


@dataclass(frozen=True)
class ProblemType:
    """One kind of error: the class raised, its HTTP status and its ``type`` URI's slug."""

    error: type[Exception]
    status: int
    slug: str
    title: str
    description: str
    extra: Callable[[Any], dict[str, Any]] | None = None
    """Members the problem adds from the exception (``errors``, ``candidates``, ...)."""
    retry_after: int | None = None
    """Seconds a ``Retry-After`` header tells the client to wait, if any."""

    @property
    def uri(self) -> str:
        """The problem's ``type``."""
        return f"{PROBLEM_BASE}{self.slug}"

    def matches(self, exc: Exception) -> bool:
        """Whether this row describes ``exc`` (Starlette's errors also by their status)."""
        if not isinstance(exc, self.error):
            return False
        return not isinstance(exc, StarletteHTTPException) or exc.status_code == self.status


# The first row that matches an error describes it: a subclass comes before its base class.
# A new kind of error is one more row (library errors before the framework's).
PROBLEM_TYPES: list[ProblemType] = [
    ProblemType(
        NotAcceptableError, 406, "not-acceptable", "Not acceptable",
        "No export format fits the `Accept` header; `supported` lists the media types.",
        _supported,
    ),
    ProblemType(
        UnsupportedFormatError, 400, "unsupported-format", "Unsupported format",
        "The `format` parameter names no format geokg writes; `supported` lists them.",
        _supported,
    ),
    ProblemType(
        SparqlSyntaxError, 400, "sparql-syntax-error", "SPARQL syntax error",
        "The SPARQL query does not parse, or names no query form; the detail says where.",
    ),
    ProblemType(
        SparqlUpdateError, 400, "sparql-update-refused", "SPARQL update refused",
        "The SPARQL endpoint is read-only: `INSERT`, `DELETE`, `LOAD`, `CLEAR`, `CREATE`, "
        "`DROP`, `COPY`, `MOVE`, `ADD` and update requests are refused. Write through the REST "
        "API (`/entities`, `/events`, `/relations`, `/import`).",
    ),
    ProblemType(
        SparqlServiceError, 400, "sparql-service-refused", "SPARQL SERVICE refused",
        "Federated queries (`SERVICE`) are refused: they would make the server fetch any URL "
        "the caller names, its own network included.",
    ),
    ProblemType(
        SparqlDatasetError, 400, "sparql-dataset-refused", "SPARQL dataset refused",
        "The dataset is fixed (the graph of the RDF export): `FROM`, `FROM NAMED`, "
        "`default-graph-uri` and `named-graph-uri` are refused.",
    ),
    ProblemType(
        SparqlTimeoutError, 422, "sparql-timeout", "SPARQL query timed out",
        "The query ran past the time limit (`sparql_query_time` at `GET /limits`) and was "
        "stopped; no partial answer is sent. Narrow it: more specific patterns, a `LIMIT`.",
    ),
    ProblemType(
        SparqlAbortedError, 422, "sparql-query-aborted", "SPARQL query aborted",
        "The query was stopped before it answered, most often because it needed more memory "
        "than `sparql_query_memory` at `GET /limits`. Narrow it.",
    ),
    ProblemType(
        SparqlResultTooLargeError, 422, "sparql-result-too-large", "SPARQL result too large",
        "The answer is larger than the size limit (`sparql_result_bytes` at `GET /limits`); "
        "nothing of it is sent. Ask for less, or page with `LIMIT` and `OFFSET`.",
    ),
    ProblemType(
        NodeNotFoundError, 404, "node-not-found", "Node not found",
        "No node (entity, event or source) has this id, and no entity this name.",
    ),
    ProblemType(
        NoPathError, 404, "no-path", "No path",
        "The two nodes are not connected under the request's constraints.",
    ),
    ProblemType(
        AmbiguousNameError, 422, "ambiguous-name", "Ambiguous name",
        "The name fits several entities; `candidates` lists their ids: use one of them.",
        _candidates,
    ),
    ProblemType(
        RecordValidationError, 422, "invalid-record", "Invalid record",
        "A record sent to be written breaks the model's rules (a quote not in its source, an "
        "unknown reference, a value no export could carry); `errors` locates each problem by "
        "JSON path, line or id. Nothing was written.",
        _record_errors,
    ),
    ProblemType(
        IdempotencyKeyReusedError, 422, "idempotency-key-reused", "Idempotency key reused",
        "The `Idempotency-Key` was used before by this token for a different request.",
    ),
    ProblemType(
        ConflictError, 409, "conflict", "Conflict",
        "The write conflicts with what the store holds: the id is taken, or other objects still "
        "refer to it (`conflicts` lists them; `cascade=true` deletes them too).",
        _conflicts,
    ),
    ProblemType(
        PreconditionFailedError, 412, "precondition-failed", "Precondition failed",
        "The object changed since the ETag sent in `If-Match` was read: read it again.",
    ),
    ProblemType(
        NotSupportedError, 501, "not-supported", "Not supported",
        "This store of record does not do this; the detail says what does (a PostgreSQL store "
        "is backed up with `pg_dump`, not `POST /admin/backup`).",
    ),
    ProblemType(
        StoreUnreachableError, 503, "store-unreachable", "Store unreachable",
        "The database server of the store of record cannot be reached right now (down, "
        "restarting, or the network between): ask again after `Retry-After`. A write that got "
        "this answer may or may not have been committed: retry it with the same "
        "`Idempotency-Key`.",
        retry_after=5,
    ),
    ProblemType(
        StoreError, 503, "store-unavailable", "Store unavailable",
        "The store of record cannot be used (not a geokg store, or another schema version).",
    ),
    ProblemType(
        ReplicaBehindError, 503, "replica-behind", "Replica behind",
        "The read named a change-log position (`X-Geokg-Position` or `after`) that this "
        "replica had not applied within `GEOKG_POSITION_WAIT` seconds: ask again after "
        "`Retry-After`, or ask another replica.",
        retry_after=1,
    ),
    ProblemType(
        ReplicaPausedError, 503, "replica-paused", "Replica paused",
        "This replica's following of the change log is paused (`POST /admin/replica/pause`), "
        "so it takes no writes: send them to another replica, or resume it.",
        retry_after=5,
    ),
    ProblemType(
        ReplicaNotReadyError, 503, "not-ready", "Not ready",
        "`GET /ready`: this replica lags the store of record by more than `GEOKG_MAX_LAG` "
        "seconds, or cannot reach it; the members say how far behind it is. A load balancer "
        "takes it out of rotation until it answers 200 again.",
        _replica,
        retry_after=1,
    ),
    ProblemType(
        MissingFilesError, 503, "assets-missing", "Page assets missing",
        "A page's JavaScript libraries, fetched at install time, are not installed: "
        "`python -m app.vendor` (run by `make run`) fetches and verifies them.",
    ),
    ProblemType(
        PathBudgetError, 422, "path-budget-exhausted", "Path search out of budget",
        "The path search used up its time or search budget (`budget` says which; "
        "`GET /limits` lists them) before it found any path. Narrow it: a shorter "
        "`max_length`, or `types` and `kinds`. (With a path found, the answer is those paths, "
        "marked `truncated`.)",
        _budget,
    ),
    ProblemType(
        InvalidCursorError, 422, "invalid-cursor", "Invalid cursor",
        "The `cursor` is not one geokg wrote (cut, mistyped or changed), or it belongs to "
        "another query (another list or other filters): ask again without it. `errors` names "
        "it.",
        _field_errors,
    ),
    ProblemType(
        InvalidQueryError, 422, "invalid-query", "Invalid query",
        "A parameter is outside its bounds or vocabulary; `errors` names it.",
        _field_errors,
    ),
    ProblemType(
        RequestValidationError, 422, "validation-error", "Invalid request",
        "A parameter is missing, unknown, repeated or of the wrong type; `errors` lists each.",
    ),
    ProblemType(
        StarletteHTTPException, 400, "bad-request", "Bad request",
        "The request body could not be read: not UTF-8, or not JSON where JSON is expected.",
    ),
    ProblemType(
        StarletteHTTPException, 401, "unauthorized", "Unauthorized",
        "The request needs a valid token: `Authorization: Bearer <token>` (see GEOKG_TOKENS).",
    ),
    ProblemType(
        StarletteHTTPException, 403, "forbidden", "Forbidden",
        "The token may not do this (a read token cannot write), or no write token is "
        "configured at all (the detail says how to configure one).",
    ),
    ProblemType(
        StarletteHTTPException, 503, "service-busy", "Service busy",
        "This process already runs or queues as many heavy queries or exports as `GET /limits` "
        "allows (or a heavy query waited too long for its turn): ask again after the seconds "
        "that `Retry-After` gives.",
    ),
    ProblemType(
        StarletteHTTPException, 415, "unsupported-media-type", "Unsupported media type",
        "The request body's `Content-Type` is not one this operation reads (the detail names "
        "those it does).",
    ),
    ProblemType(
        StarletteHTTPException, 413, "payload-too-large", "Content too large",
        "The request body is over the limit that `GET /limits` lists.",
    ),
    ProblemType(
        StarletteHTTPException, 404, "not-found", "Not found",
        "No route has this path (paths never end with a slash: `/entities`, not `/entities/`).",
    ),
    ProblemType(
        StarletteHTTPException, 405, "method-not-allowed", "Method not allowed",
        "The route does not answer this method; the `Allow` header lists those it does.",
    ),
    ProblemType(
        Exception, 500, "internal-error", "Internal error",
        "Something failed inside the service; it is logged, and no detail is given.",
    ),
]  # fmt: skip

_INTERNAL = PROBLEM_TYPES[-1]


def _problem_type(exc: Exception) -> ProblemType | None:
    return next((row for row in PROBLEM_TYPES if row.matches(exc)), None)


def problem_response(
    problem: ProblemType | None,
    status: int,
    detail: str | None,
    request: Request,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """Build a problem+json response (``problem`` None: an ``about:blank`` problem)."""
    body = Problem(
        type=problem.uri if problem else "about:blank",
        title=problem.title if problem else HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=clip(request.url.path),
        **extra,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers) if headers else None,
    )


async def _library_error(request: Request, exc: Exception) -> JSONResponse:
    problem = _problem_type(exc)
    if problem is None or problem is _INTERNAL:
        log.error("unmapped library error", exc_info=exc)
        return problem_response(_INTERNAL, 500, "internal error", request)
    extra = problem.extra(exc) if problem.extra else {}
    headers = {"Retry-After": str(problem.retry_after)} if problem.retry_after else None
    return problem_response(problem, problem.status, str(exc), request, headers, **extra)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldError(
            field=clip(".".join(str(p) for p in err["loc"][1:]) or str(err["loc"][0])),
            location=str(err["loc"][0]),
            message=err["msg"],
        )
        for err in exc.errors()
    ]
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
    return problem_response(_problem_type(exc), 422, detail, request, errors=errors)


_METHOD_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


def _allowed(request: Request, given: str) -> str:
    """Every method the API answers at this path (Starlette names only the first route's)."""
    methods = {m.strip() for m in given.split(",") if m.strip()}
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            methods.update(m.upper() for m in operations)
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods, key=lambda m: (*_METHOD_ORDER, m).index(m)))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = exc.headers
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": _allowed(request, (headers or {}).get("Allow", ""))}
    return problem_response(
        _problem_type(exc), exc.status_code, str(exc.detail), request, headers=headers
    )


UNREACHABLE = "the store of record cannot be reached right now: ask again shortly"
"""What a client is told when the database is down (where it is, and why, go to the log)."""


async def _unreachable(request: Request, exc: Exception) -> JSONResponse:
    """The database server went away mid-request: a 503 with ``Retry-After``, one log line
    (no traceback), and nothing about where the database is."""
    reason = " ".join(str(exc).split())
    replica = getattr(request.app.state, "replica", None)
    if replica is not None:  # look at the store again now: a new snapshot, new connections
        replica.wake()
    log.warning("%s %s: the store of record cannot be reached: %s", request.method,
                clip(request.url.path), clip(reason, 400))  # fmt: skip
    return await _library_error(request, StoreUnreachableError(UNREACHABLE))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    if is_unreachable(exc):
        return await _unreachable(request, exc)
    log.error("unhandled error on %s", clip(request.url.path), exc_info=exc)
    return problem_response(_INTERNAL, 500, "internal error", request)


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error through problem+json."""
    # Before GeokgError's: a StoreUnreachableError is one of them. (Handled here rather than
    # as any Exception, which Starlette answers and then raises again, logging a traceback.)
    for error in unreachable_errors():
        app.add_exception_handler(error, _unreachable)
    app.add_exception_handler(GeokgError, _library_error)
    app.add_exception_handler(MissingFilesError, _library_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": desc}
    for status, desc in [
        (404, "Unknown id or name (`node-not-found`), or no path (`no-path`)."),
        (
            422,
            "A parameter or body field is invalid, unknown or out of its bounds, or a name "
            "is ambiguous.",
        ),
    ]
}
"""Error responses most routes declare (app/openapi.py files them under problem+json)."""


class ProblemTypeInfo(BaseModel):
    """What one problem type means."""

    type: str = Field(examples=[f"{PROBLEM_BASE}no-path"])
    slug: str = Field(examples=["no-path"])
    status: int = Field(examples=[404])
    title: str = Field(examples=["No path"])
    description: str


def _info(row: ProblemType) -> ProblemTypeInfo:
    return ProblemTypeInfo(
        type=row.uri, slug=row.slug, status=row.status, title=row.title, description=row.description
    )


def problem_type_infos() -> list[ProblemTypeInfo]:
    """Every problem type."""
    return [_info(row) for row in PROBLEM_TYPES]


def problem_type_info(slug: str) -> ProblemTypeInfo:
    """The problem type with this slug (a 404 ``not-found`` problem if none has it)."""
    row = next((row for row in PROBLEM_TYPES if row.slug == slug), None)
    if row is None:
        raise StarletteHTTPException(404, f"no problem type {clip(slug)!r}")
    return _info(row)


def problem_types_markdown() -> str:
    """A Markdown table of the problem types, for the OpenAPI description."""
    lines = ["| status | type | meaning |", "|---|---|---|"]
    lines += [f"| {r.status} | `{r.uri}` | {r.description} |" for r in PROBLEM_TYPES]
    return "\n".join(lines)
