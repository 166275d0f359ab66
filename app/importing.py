"""How ``POST /import`` becomes an import: the format, the library call, the answer."""

from __future__ import annotations

import io

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from app.bodylimit import MAX_WHOLE_IMPORT_BYTES
from app.writing import POSITION_HEADER
from graph.errors import UnsupportedFormatError
from graph.formats import FORMATS as EXPORT_FORMATS
from graph.imports import MAX_IMPORT_ITEMS, READERS, STREAMED, ImportReport, import_stream
from graph.service import KnowledgeGraph

__all__ = ["IMPORT_ITEMS", "check_import_size", "import_answer", "import_format", "run_import"]

IMPORT_ITEMS = MAX_IMPORT_ITEMS
"""Most records one ``POST /import`` may hold (``import_items`` in ``GET /limits``)."""

_BY_MEDIA_TYPE = {f.media_type: name for name, f in EXPORT_FORMATS.items() if name in READERS}


def import_format(given: str | None, content_type: str | None) -> str:
    """The format of an import: ``?format=`` if given, else the body's ``Content-Type``."""
    if given is not None:
        if given not in READERS:
            raise UnsupportedFormatError(given, list(READERS))
        return given
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type not in _BY_MEDIA_TYPE:
        raise UnsupportedFormatError(
            media_type or "(no format and no Content-Type)", [*READERS, *_BY_MEDIA_TYPE]
        )
    return _BY_MEDIA_TYPE[media_type]


def check_import_size(fmt: str, size: int) -> None:
    """Refuse (413) a body too large for its format: one parsed whole has a smaller cap."""
    if fmt not in STREAMED and size > MAX_WHOLE_IMPORT_BYTES:
        raise HTTPException(
            413,
            f"a {fmt} import is parsed whole, so its body may hold at most "
            f"{MAX_WHOLE_IMPORT_BYTES} bytes (this one has {size}); export and import "
            f"larger graphs as {', '.join(sorted(STREAMED))}, which stream",
        )


def run_import(
    graph: KnowledgeGraph, body: bytes, fmt: str, actor: str, dry_run: bool
) -> tuple[ImportReport, int, int]:
    """Read, check and (unless a dry run) commit; return the report, position and status."""
    report, position = import_stream(
        graph, io.BytesIO(body), fmt, actor=actor, dry_run=dry_run, max_items=IMPORT_ITEMS
    )
    wrote = any(report.added.values()) or any(report.changed.values())
    return report, position, 201 if wrote and not dry_run else 200


def import_answer(outcome: tuple[ImportReport, int, int]) -> JSONResponse:
    """The report, with the change-log position after the import."""
    report, position, status = outcome
    return JSONResponse(
        report.model_dump(mode="json"),
        status_code=status,
        headers={POSITION_HEADER: str(position)},
    )
