"""Graph export: RDF in five syntaxes and GraphML, whole or a neighbourhood."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from app.deps import FreshGraphDep
from app.negotiation import choose_format
from app.params import comma_separated
from app.problems import PROBLEM_RESPONSES, Problem
from app.streaming import ExportStream
from graph import queries
from graph.formats import FORMATS
from graph.queries import MAX_DEPTH, MAX_EXPORT_NODES

router = APIRouter(tags=["export"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    200: {
        "description": "The graph in the requested format, streamed (chunked). A failure "
        "part-way through ends the connection without the last chunk: the response is then "
        "incomplete, never a shorter document that looks whole.",
        "content": {f.media_type: {"example": f.example} for f in FORMATS.values()},
    },
    400: {"model": Problem, "description": "Unsupported `format`; lists the supported ones."},
    406: {"model": Problem, "description": "No format fits `Accept`; lists the supported ones."},
}


@router.get(
    "/export", summary="Export the graph", response_class=StreamingResponse, responses=_RESPONSES
)
def export_graph(
    graph: FreshGraphDep,
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
            description="Export only the neighbourhood of this node (an id, or an entity's "
            "name as `/paths` takes it).",
            examples=["sergey-lavrov"],
        ),
    ] = None,
    depth: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_DEPTH,
            description=f"Neighbourhood depth, only with `root` (1 to {MAX_DEPTH}; default 1).",
            examples=[1],
        ),
    ] = None,
    nodes: Annotated[
        str | None,
        Query(
            description="Export only these nodes and the edges among them: comma-separated "
            f"node ids (not names), at most {MAX_EXPORT_NODES}; never with `root`.",
            examples=["olaf-scholz,germany,scholz-putin-meeting-in-moscow"],
        ),
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> ExportStream:
    """The whole graph, the neighbourhood of `root`, or the `nodes` listed, as RDF or GraphML."""
    fmt = choose_format(format, accept)
    listed = None if nodes is None else comma_separated(nodes)
    with graph.reading() as store:
        # The writer makes its first chunk now (a failure there is an error status) and the
        # rest as the response streams, from a snapshot: a failure then cuts the chunked body
        # short of its last chunk, which every client reports as an incomplete response.
        chunks = fmt.writer(store.snapshot(), queries.export_scope(store, root, depth, listed))
    return ExportStream(
        chunks,
        media_type=fmt.media_type,
        headers={"Content-Disposition": f'inline; filename="geokg.{fmt.extension}"'},
    )
