"""Graph export: RDF in five syntaxes and GraphML, whole or a neighbourhood."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from app.deps import GraphDep
from app.problems import PROBLEM_RESPONSES, NotAcceptableError, Problem
from graph import queries
from graph.errors import UnsupportedFormatError
from graph.export import DEFAULT_FORMAT, EXPORT_FORMATS, export, format_for_media_type
from graph.queries import MAX_DEPTH

router = APIRouter(tags=["export"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    200: {
        "description": "The graph in the requested format (streamed).",
        "content": {f.media_type: {"example": f.example} for f in EXPORT_FORMATS.values()},
    },
    400: {"model": Problem, "description": "Unsupported `format`; lists the supported ones."},
    406: {"model": Problem, "description": "No format fits `Accept`; lists the supported ones."},
}


def _choose(format: str | None, accept: str | None) -> str:
    if format is not None:
        if format not in EXPORT_FORMATS:
            raise UnsupportedFormatError(format, list(EXPORT_FORMATS))
        return format
    if not accept:
        return DEFAULT_FORMAT
    chosen = format_for_media_type(accept)
    if chosen is None:
        raise NotAcceptableError(accept, [f.media_type for f in EXPORT_FORMATS.values()])
    return chosen


@router.get(
    "/export", summary="Export the graph", response_class=StreamingResponse, responses=_RESPONSES
)
def export_graph(
    graph: GraphDep,
    format: Annotated[
        str | None,
        Query(
            description="turtle, ntriples, jsonld, rdfxml, nquads, graphml or json. Without it, "
            "the `Accept` header chooses (default turtle).",
            examples=["graphml"],
        ),
    ] = None,
    root: Annotated[
        str | None,
        Query(
            description="Export only the neighbourhood of this node id.", examples=["sergey-lavrov"]
        ),
    ] = None,
    depth: Annotated[
        int,
        Query(
            ge=1,
            le=MAX_DEPTH,
            description=f"Neighbourhood depth with `root` (1 to {MAX_DEPTH}).",
            examples=[1],
        ),
    ] = 1,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> StreamingResponse:
    """The whole graph, or the neighbourhood of `root`, as RDF or GraphML."""
    name = _choose(format, accept)
    with graph.reading() as store:
        node_ids = queries.reachable(store, root, depth) if root is not None else None
        chunks = export(store.snapshot(), name, node_ids)
    fmt = EXPORT_FORMATS[name]
    return StreamingResponse(
        chunks,
        media_type=fmt.media_type,
        headers={"Content-Disposition": f'inline; filename="geokg.{fmt.extension}"'},
    )
