"""Operations: the documented limits, and an online backup of the store of record."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from app.bodylimit import MAX_BODY_BYTES, MAX_IMPORT_BYTES
from app.deps import GraphDep, WriterDep
from app.importing import IMPORT_ITEMS
from app.problems import PROBLEM_RESPONSES
from app.routes.changes import MAX_CHANGES
from graph import queries
from graph.validation import LIMITS

router = APIRouter(tags=["admin"], responses=PROBLEM_RESPONSES)


def limits() -> dict[str, int]:
    """Every documented bound, by name."""
    return {
        "body_bytes": MAX_BODY_BYTES,
        "import_body_bytes": MAX_IMPORT_BYTES,
        "import_items": IMPORT_ITEMS,
        "page_size": queries.MAX_LIMIT,
        "offset": queries.MAX_OFFSET,
        "neighbourhood_depth": queries.MAX_DEPTH,
        "neighbourhood_nodes": queries.MAX_LIMIT,
        "neighbourhood_walk_nodes": queries.WALK_LIMIT,
        "path_length": queries.MAX_PATH_LENGTH,
        "changes_page_size": MAX_CHANGES,
        **{f"record_{name}": value for name, value in LIMITS.items()},
    }


@router.get(
    "/limits",
    summary="The service's limits",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {"body_bytes": 16777216, "page_size": 1000, "path_length": 6}
                }
            }
        }
    },
)
def get_limits() -> dict[str, int]:
    """Body sizes (bytes), page sizes, string lengths (characters) and list lengths (items)."""
    return limits()


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
    await run_in_threadpool(graph.records.backup, target)
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
