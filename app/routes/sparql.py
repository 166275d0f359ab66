"""The SPARQL 1.1 Protocol endpoint (read-only), and its query page.

``GET /sparql?query=...`` and ``POST /sparql`` (a form with ``query``, or the query itself as
``application/sparql-query``) answer a query over the graph of the RDF export; ``GET /sparql``
without a query is the query page. The answer's format comes from ``format=`` or ``Accept``.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException

from app.deps import busy, run_limited
from app.negotiation import NotAcceptableError, best_match
from app.problems import PROBLEM_RESPONSES, Problem
from app.sparql_page import sparql_page
from graph.errors import (
    InvalidQueryError,
    SparqlDatasetError,
    SparqlSyntaxError,
    SparqlUnavailableError,
    SparqlUpdateError,
    clip,
)
from graph.sparql import (
    MAX_QUERY_CHARS,
    SparqlEngine,
    default_format,
    formats_for,
    prepare,
    result_format,
)
from graph.sparql.formats import ResultFormat

router = APIRouter(tags=["sparql"])

SPARQL_AT_ONCE = 1
"""Queries the replica of one process answers at once (the others wait their turn)."""

_FORM = "application/x-www-form-urlencoded"
_QUERY = "application/sparql-query"
_UPDATE = "application/sparql-update"
_FORM_FIELDS = frozenset({"query", "update", "format", "default-graph-uri", "named-graph-uri"})

_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    200: {
        "description": "The answer: SPARQL results (SELECT, ASK) or RDF (CONSTRUCT, DESCRIBE).",
        "content": {
            "application/sparql-results+json": {
                "example": {"head": {"vars": ["n"]}, "results": {"bindings": []}}
            },
            "application/sparql-results+xml": {},
            "text/csv": {},
            "text/tab-separated-values": {},
            "text/turtle": {},
            "application/n-triples": {},
            "application/ld+json": {},
            "application/rdf+xml": {},
        },
    },
    400: {
        "model": Problem,
        "description": "The query does not parse (`sparql-syntax-error`), is an update "
        "(`sparql-update-refused`), federated (`sparql-service-refused`) or names a dataset "
        "(`sparql-dataset-refused`); or `format` fits no answer of this query form.",
    },
    406: {"model": Problem, "description": "No format of this query form fits `Accept`."},
    415: {"model": Problem, "description": "A POST body that is neither a form nor a query."},
    503: {"model": Problem, "description": "Queries are queued to their bound, or the replica "
          "is loading: ask again after `Retry-After`."},
}  # fmt: skip

QueryText = Annotated[
    str | None,
    Query(
        max_length=MAX_QUERY_CHARS,
        description="The SPARQL query. The export's prefixes (`geokg:`, `sem:`, `rdfs:`, "
        "`skos:`, `prov:`, `schema:`, `dcterms:`, `id:`, ...) are predefined. Without it, "
        "`GET /sparql` is the query page.",
        examples=['SELECT ?label WHERE { ?e geokg:kind "meeting" ; rdfs:label ?label }'],
    ),
]
Format = Annotated[
    str | None,
    Query(
        description="json, xml, csv or tsv (SELECT, ASK: csv and tsv SELECT only); turtle, "
        "ntriples, nquads, trig, rdfxml, jsonld or n3 (CONSTRUCT, DESCRIBE). Without it, "
        "`Accept` chooses (default json, or turtle).",
        examples=["json"],
    ),
]
GraphUris = Annotated[
    list[str] | None,
    Query(description="Refused: the dataset is the graph of the export (400).", examples=[]),
]


def engine_of(request: Request) -> SparqlEngine:
    """The process's SPARQL engine (made by :func:`app.main.create_app`)."""
    engine: SparqlEngine = request.app.state.sparql
    return engine


def _choose(form: str, name: str | None, accept: str | None) -> ResultFormat:
    if name is not None:
        return result_format(name, form)
    rows = formats_for(form)
    if not accept:
        return default_format(form)
    chosen = best_match(accept, [(row, row.media_types) for row in rows])
    if chosen is None:
        raise NotAcceptableError(accept, [row.media_type for row in rows])
    return chosen


async def _answer(
    request: Request, text: str, name: str | None, accept: str | None, graphs: bool
) -> Response:
    if graphs:
        raise SparqlDatasetError(
            "default-graph-uri and named-graph-uri are refused: the dataset is fixed (the "
            "graph of the export)"
        )
    # The scan is linear, yet a long query takes a tenth of a second: not on the event loop.
    prepared = prepare(text) if len(text) < 10_000 else await run_in_threadpool(prepare, text)
    fmt = _choose(prepared.form, name, accept)
    engine = engine_of(request)
    try:
        answer = await run_limited(
            request, "sparql", SPARQL_AT_ONCE, partial(engine.answer, prepared, fmt)
        )
    except SparqlUnavailableError as exc:
        raise busy(str(exc), retry_after=2) from None
    return Response(
        answer.body,
        media_type=answer.media_type,
        headers={"X-Geokg-Position": str(answer.position), "Vary": "Accept"},
    )


@router.get(
    "/sparql",
    summary="SPARQL query (or the query page)",
    responses={**_RESPONSES, 200: {**_RESPONSES[200], "content": {
        **_RESPONSES[200]["content"], "text/html": {"example": "(the query page)"}}}},
)  # fmt: skip
async def sparql_get(
    request: Request,
    query: QueryText = None,
    format: Format = None,
    default_graph_uri: Annotated[GraphUris, Query(alias="default-graph-uri")] = None,
    named_graph_uri: Annotated[GraphUris, Query(alias="named-graph-uri")] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """A read-only SPARQL 1.1 query over the graph of the RDF export (the same IRIs and
    vocabulary), kept in step with every write. Updates, `SERVICE` and `FROM` are refused;
    the time and size limits are at `GET /limits`. Without `query`: the query page."""
    if query is None:
        html, headers = sparql_page()
        return HTMLResponse(html, headers=headers)
    graphs = bool(default_graph_uri or named_graph_uri)
    return await _answer(request, query, format, accept, graphs)


@router.post(
    "/sparql",
    summary="SPARQL query by POST",
    responses=_RESPONSES,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                _QUERY: {"schema": {"type": "string"}, "example": "ASK { ?s ?p ?o }"},
                _FORM: {
                    "schema": {
                        "type": "object",
                        "properties": {"query": {"type": "string"}},
                        "required": ["query"],
                    }
                },
            },
        }
    },
)
async def sparql_post(
    request: Request,
    format: Format = None,
    default_graph_uri: Annotated[GraphUris, Query(alias="default-graph-uri")] = None,
    named_graph_uri: Annotated[GraphUris, Query(alias="named-graph-uri")] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
    content_type: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """The query as the body (`application/sparql-query`), or a form with `query`
    (`application/x-www-form-urlencoded`): for queries too long for a URL. An update
    (`application/sparql-update`, or a form with `update`) is refused."""
    media, _, parameters = (content_type or "").partition(";")
    media = media.strip().lower()
    charset = next(
        (v.strip().strip('"').lower() for k, _, v in (p.partition("=") for p in
         parameters.split(";")) if k.strip().lower() == "charset"),
        "utf-8",
    )  # fmt: skip
    if charset not in ("utf-8", "utf8"):
        raise HTTPException(415, f"the body must be UTF-8, not charset={clip(charset)}")
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(400, "the request body is not UTF-8") from None
    graphs = bool(default_graph_uri or named_graph_uri)
    if media == _UPDATE:
        raise SparqlUpdateError("SPARQL updates are refused: this endpoint is read-only")
    if media == _QUERY:
        return await _answer(request, text, format, accept, graphs)
    if media != _FORM:
        raise HTTPException(
            415, f"send the query as {_QUERY} or as a form ({_FORM}), not {media or 'no type'}"
        )
    fields = parse_qsl(text, keep_blank_values=True)
    names = [name for name, _ in fields]
    unknown = sorted(set(names) - _FORM_FIELDS)
    if unknown:
        raise InvalidQueryError(
            clip(unknown[0]),
            f"unknown form field; the form takes: {', '.join(sorted(_FORM_FIELDS))}",
        )
    if "update" in names:
        raise SparqlUpdateError("SPARQL updates are refused: this endpoint is read-only")
    repeated = sorted(
        {n for n in names if names.count(n) > 1} - {"default-graph-uri", "named-graph-uri"}
    )
    if repeated:
        raise InvalidQueryError(clip(repeated[0]), "given more than once in the form")
    queries = [value for name, value in fields if name == "query"]
    if len(queries) != 1:
        raise SparqlSyntaxError("the form needs exactly one `query` field")
    if "default-graph-uri" in names or "named-graph-uri" in names:
        graphs = True
    if "format" in names:
        format = next(value for name, value in fields if name == "format")
    return await _answer(request, queries[0], format, accept, graphs)
