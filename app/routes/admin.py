"""Operations: the documented limits, and an online backup of the store of record."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from app.bodylimit import MAX_BODY_BYTES, MAX_IMPORT_BYTES, MAX_WHOLE_IMPORT_BYTES
from app.config import Settings
from app.deps import HEAVY_AT_ONCE, HEAVY_WAIT_S, HEAVY_WAITING, GraphDep, WriterDep
from app.explore import MAX_NODES_ON_SCREEN
from app.importing import IMPORT_ITEMS
from app.problems import PROBLEM_RESPONSES
from app.routes.changes import MAX_CHANGES
from app.routes.sparql import SPARQL_AT_ONCE
from app.streaming import EXPORTS_AT_ONCE, SEND_TIMEOUT_S
from graph import queries
from graph.ingest.desk import MAX_ARTICLE_CHARS
from graph.ingest.pipeline import MAX_ITEM_QUOTES, MAX_PROPOSALS
from graph.paging import CURSOR_LENGTH
from graph.search import SEARCH_LIMIT
from graph.sparql import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_MEMORY,
    DEFAULT_TIMEOUT_S,
    MAX_QUERY_CHARS,
)
from graph.validation import LIMITS

router = APIRouter(tags=["admin"], responses=PROBLEM_RESPONSES)


class Bound(BaseModel):
    """One bound: its value, its unit, and what a request that reaches it gets."""

    value: int | float
    unit: str = Field(examples=["items"])
    when_reached: str = Field(examples=["a larger `limit` is a 422 `validation-error`"])


_PARAMETER = "a request past it is a 422 `validation-error` naming the parameter"
_RECORD = "a write or import past it is a 422 `invalid-record` naming the field"
_COUNTS = {"list_items", "attributes"}


def limits(settings: Settings | None = None) -> dict[str, Bound]:
    """Every documented bound, by name (those that are settings as ``settings`` set them)."""
    rows: list[tuple[str, int | float, str, str]] = [
        ("body_bytes", MAX_BODY_BYTES, "bytes", "a larger write body is a 413"),
        (
            "import_body_bytes",
            MAX_IMPORT_BYTES,
            "bytes",
            "a larger import body is a 413 (N-Triples, N-Quads and GraphML, which stream)",
        ),
        (
            "import_whole_body_bytes",
            MAX_WHOLE_IMPORT_BYTES,
            "bytes",
            "a larger import body in a format parsed whole (Turtle, JSON-LD, RDF/XML, JSON) is "
            "a 413 that names the streamed formats",
        ),
        ("import_items", IMPORT_ITEMS, "records", "a larger import is a 422 `invalid-record`"),
        ("page_size", queries.MAX_LIMIT, "items", f"`limit`: {_PARAMETER}"),
        (
            "ingest_text_length",
            MAX_ARTICLE_CHARS,
            "characters",
            "a longer article sent to `POST /ingest` is a 422 `validation-error` naming `text`",
        ),
        (
            "proposals_per_set",
            MAX_PROPOSALS,
            "items",
            "an article that reads into more proposes its first ones; the set says how many "
            "were left out (`left_out`)",
        ),
        (
            "proposal_quotes",
            MAX_ITEM_QUOTES,
            "quotes per proposed item",
            "an entity mentioned more often is proposed with its first quotes only",
        ),
        (
            "offset",
            queries.MAX_OFFSET,
            "items",
            f"`offset`: {_PARAMETER}; page on with `cursor` (`next_cursor`) instead",
        ),
        ("cursor_length", CURSOR_LENGTH, "characters", f"`cursor`: {_PARAMETER}"),
        (
            "event_page_scan",
            queries.EVENT_SCAN_LIMIT,
            "events",
            "a page of `/events` examines at most this many: it may hold fewer than `limit` "
            "events and still have a `next_cursor`; its `total` is null when unknown",
        ),
        (
            "search_matches",
            SEARCH_LIMIT,
            "entities",
            "a name search (`q`) answers its best matches only; `total` is null when more match",
        ),
        ("neighbourhood_depth", queries.MAX_DEPTH, "hops", f"`depth`: {_PARAMETER}"),
        (
            "neighbourhood_nodes",
            queries.MAX_LIMIT,
            "nodes",
            f"the answer stops at `limit` nodes (default {queries.NEIGHBOUR_LIMIT}) with "
            "`truncated: true`; a larger `limit` is a 422",
        ),
        (
            "neighbourhood_walk_nodes",
            queries.WALK_LIMIT,
            "nodes",
            "a neighbourhood answer stops with `truncated: true`; an export's `root` "
            "neighbourhood is a 422 `invalid-query` on `depth`",
        ),
        ("path_length", queries.MAX_PATH_LENGTH, "hops", f"`max_length`: {_PARAMETER}"),
        (
            "export_nodes",
            queries.MAX_EXPORT_NODES,
            "node ids",
            "`/export` `nodes`: a longer list is a 422 `invalid-query` naming `nodes`",
        ),
        (
            "explorer_nodes_on_screen",
            MAX_NODES_ON_SCREEN,
            "nodes",
            "`/explore` draws no more; an expansion past it adds none beyond it and the page "
            "says how many were left out",
        ),
        (
            "timeline_events",
            queries.MAX_LIMIT,
            "events",
            f"`/timeline` answers at most `limit` events (default {queries.TIMELINE_LIMIT}), "
            "dated ones first, with `truncated: true`; a larger `limit` is a 422",
        ),
        (
            "path_search_seconds",
            queries.PATH_SECONDS,
            "seconds",
            "`/paths` answers the paths found so far, `truncated: true`, `truncated_by: "
            '"time"`; with none found, a 422 `path-budget-exhausted`',
        ),
        (
            "path_searches",
            queries.PATH_SEARCHES,
            "breadth-first searches",
            "`/paths` answers the paths found so far, `truncated: true`, `truncated_by: "
            '"searches"`; with none found, a 422 `path-budget-exhausted`',
        ),
        (
            "path_answer_records",
            queries.PATH_RECORDS,
            "nodes and edges",
            "`/paths` answers the paths that fit (the first always does), `truncated: true`, "
            '`truncated_by: "size"`',
        ),
        ("changes_page_size", MAX_CHANGES, "changes", f"`limit`: {_PARAMETER}"),
        (
            "heavy_queries_at_once",
            HEAVY_AT_ONCE,
            "queries per worker process",
            "further `/paths` and `/entities/{id}/neighbors` requests wait their turn (light "
            "requests are answered meanwhile)",
        ),
        (
            "heavy_queries_waiting",
            HEAVY_WAITING,
            "queries per worker process",
            "one more heavy query is refused: 503 `service-busy` with `Retry-After`",
        ),
        (
            "heavy_query_wait",
            HEAVY_WAIT_S,
            "seconds",
            "a heavy query still waiting for its turn is refused: 503 `service-busy`; one whose "
            "client has gone away is not run",
        ),
        (
            "exports_at_once",
            EXPORTS_AT_ONCE,
            "exports per worker process",
            "one more `/export` is refused: 503 `service-busy` with `Retry-After`",
        ),
        (
            "export_send_timeout",
            SEND_TIMEOUT_S,
            "seconds",
            "an export whose client takes no data for this long is cut short (the body ends "
            "without its last chunk)",
        ),
    ]
    rows += [
        (
            "sparql_query_time",
            settings.sparql_timeout if settings else DEFAULT_TIMEOUT_S,
            "seconds",
            "the query is stopped: 422 `sparql-timeout` (never a cut 200); `GEOKG_SPARQL_TIMEOUT`",
        ),
        (
            "sparql_result_bytes",
            settings.sparql_max_bytes if settings else DEFAULT_MAX_BYTES,
            "bytes",
            "nothing is sent: 422 `sparql-result-too-large`; `GEOKG_SPARQL_MAX_BYTES`",
        ),
        (
            "sparql_query_memory",
            settings.sparql_max_memory if settings else DEFAULT_MAX_MEMORY,
            "bytes",
            "the query is stopped: 422 `sparql-query-aborted` (0: no bound); "
            "`GEOKG_SPARQL_MAX_MEMORY`",
        ),
        (
            "sparql_query_length",
            MAX_QUERY_CHARS,
            "characters",
            "a longer query is a 400 `sparql-syntax-error`; send long queries by POST (the "
            "HTTP server refuses request lines past about 64 KB with a plain 400, before "
            "geokg sees them)",
        ),
        (
            "sparql_queries_at_once",
            SPARQL_AT_ONCE,
            "queries per worker process",
            f"the others wait their turn, at most {HEAVY_WAITING} of them for at most "
            f"{HEAVY_WAIT_S:.0f} s; past that, 503 `service-busy` with `Retry-After`",
        ),
    ]
    rows += [
        (f"record_{name}", value, "items" if name in _COUNTS else "characters", _RECORD)
        for name, value in LIMITS.items()
    ]
    return {name: Bound(value=v, unit=unit, when_reached=what) for name, v, unit, what in rows}


@router.get(
    "/limits",
    summary="The service's limits",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "page_size": {
                            "value": 1000,
                            "unit": "items",
                            "when_reached": "`limit`: a request past it is a 422 "
                            "`validation-error` naming the parameter",
                        }
                    }
                }
            }
        }
    },
)
async def get_limits(request: Request) -> dict[str, Bound]:
    """Every bound: its value, unit, and what a request that reaches it gets."""
    return limits(request.app.state.settings)


@router.post(
    "/admin/backup",
    summary="Back up the store of record",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/vnd.sqlite3": {"example": "(an SQLite database file)"}}}
    },
)
async def backup_store(graph: GraphDep, writer: WriterDep) -> FileResponse:
    """A consistent copy of the whole store, made while the service runs (write token)."""
    folder = Path(tempfile.mkdtemp(prefix="geokg-backup-"))
    target = folder / "geokg-backup.sqlite3"
    try:
        await run_in_threadpool(graph.records.backup, target)
    except BaseException:
        _remove(folder)
        raise
    return FileResponse(
        target,
        media_type="application/vnd.sqlite3",
        filename="geokg-backup.sqlite3",
        background=BackgroundTask(_remove, folder),
    )


def _remove(folder: Path) -> None:
    for item in folder.iterdir():
        item.unlink(missing_ok=True)
    folder.rmdir()
