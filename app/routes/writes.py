"""Writes: register sources; create, change and delete entities, events and relations.

Every write needs a write token, goes through the same validation as the seed loader, is
committed to the store of record in one transaction and logged in the change feed.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import Response

from app.deps import GraphDep, StoreDep, WriterDep
from app.problems import PROBLEM_RESPONSES
from app.writing import IdempotencyKey, IfMatch, run_write
from graph.model import Edge, Entity, Source
from graph.queries import EventDetail
from graph.writes import (
    EntityIn,
    EventIn,
    RelationIn,
    SourceIn,
    WritableType,
    etag,
    plan_create,
    plan_delete,
    plan_update,
    representation,
)

router = APIRouter(responses=PROBLEM_RESPONSES)

_EXAMPLE_IDS: dict[WritableType, str] = {
    "source": "ap-2022-02-15-russia-forces-pulling-back",
    "entity": "dmytro-kuleba",
    "event": "scholz-putin-meeting-in-moscow",
    "relation": "vladimir-putin.head_of.russia",
}


def _object_id(kind: WritableType) -> Any:
    return Annotated[
        str, Path(max_length=200, description=f"The {kind}'s id.", examples=[_EXAMPLE_IDS[kind]])
    ]


RelationId = Annotated[
    str, Path(max_length=200, description="The relation's id.", examples=[_EXAMPLE_IDS["relation"]])
]
Cascade = Annotated[
    bool,
    Query(description="Also delete the relations and roles that refer to it (entities, events)."),
]
Patch = Annotated[
    dict[str, Any],
    Body(
        description="The fields to change, named as in the object's POST body; each replaces "
        "the stored value (lists whole).",
        examples=[{"aliases": ["Kremlin"]}],
    ),
]


def _create(
    graph: GraphDep,
    writer: WriterDep,
    request: Request,
    kind: WritableType,
    body: Any,
    key: str | None,
) -> Response:
    payload = body.model_dump(mode="json", exclude_unset=True)
    return run_write(
        graph,
        writer,
        request,
        kind,
        lambda s: plan_create(s, kind, payload),
        status=201,
        payload=payload,
        idempotency_key=key,
    )


@router.post(
    "/sources",
    status_code=201,
    response_model=Source,
    tags=["sources"],
    summary="Register a source document",
)
def create_source(
    graph: GraphDep,
    writer: WriterDep,
    request: Request,
    body: SourceIn,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Register a document (title, published, url, text) that evidence can quote."""
    return _create(graph, writer, request, "source", body, idempotency_key)


@router.post(
    "/entities",
    status_code=201,
    response_model=Entity,
    tags=["entities"],
    summary="Create an entity",
)
def create_entity(
    graph: GraphDep,
    writer: WriterDep,
    request: Request,
    body: EntityIn,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Create an entity; its id is a slug of the label unless given."""
    return _create(graph, writer, request, "entity", body, idempotency_key)


@router.post(
    "/events",
    status_code=201,
    response_model=EventDetail,
    tags=["events"],
    summary="Create an event",
)
def create_event(
    graph: GraphDep,
    writer: WriterDep,
    request: Request,
    body: EventIn,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Create an event with its participants, date, CAMEO code and evidence."""
    return _create(graph, writer, request, "event", body, idempotency_key)


@router.post(
    "/relations",
    status_code=201,
    response_model=Edge,
    tags=["relations"],
    summary="Create a relation",
)
def create_relation(
    graph: GraphDep,
    writer: WriterDep,
    request: Request,
    body: RelationIn,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Create a binary relation between two entities or events, with its evidence."""
    return _create(graph, writer, request, "relation", body, idempotency_key)


@router.get("/relations/{id}", tags=["relations"], summary="Get one relation")
async def get_relation(store: StoreDep, id: RelationId, response: Response) -> Edge:
    """One binary relation with its evidence (role edges are read through their event)."""
    edge = representation(store, "relation", id)
    response.headers["ETag"] = etag(edge)
    return edge  # type: ignore[return-value]


def _routes(kind: WritableType, path: str, tag: str) -> None:
    # Annotations are evaluated here (no __future__ import in this module), so each route
    # documents an example id of its own kind.
    ObjectId = _object_id(kind)  # noqa: N806

    def update(
        graph: GraphDep,
        writer: WriterDep,
        request: Request,
        id: ObjectId,  # type: ignore[valid-type]
        patch: Patch,
        if_match: IfMatch = None,
    ) -> Response:
        return run_write(
            graph,
            writer,
            request,
            kind,
            lambda s: plan_update(s, kind, id, patch, if_match),
            payload=patch,
        )

    def delete(
        graph: GraphDep,
        writer: WriterDep,
        request: Request,
        id: ObjectId,  # type: ignore[valid-type]
        cascade: Cascade = False,
        if_match: IfMatch = None,
    ) -> Response:
        return run_write(
            graph,
            writer,
            request,
            kind,
            lambda s: plan_delete(s, kind, id, cascade=cascade, if_match=if_match),
        )

    update.__doc__ = f"Change some fields of a {kind}; send `If-Match` with its ETag to be safe."
    delete.__doc__ = f"Delete a {kind}; what still refers to it is a 409 unless `cascade=true`."
    router.add_api_route(
        f"{path}/{{id}}",
        update,
        methods=["PATCH"],
        tags=[tag],
        summary=f"Change a {kind}",
        name=f"update_{kind}",
    )
    router.add_api_route(
        f"{path}/{{id}}",
        delete,
        methods=["DELETE"],
        tags=[tag],
        status_code=204,
        summary=f"Delete a {kind}",
        name=f"delete_{kind}",
        response_class=Response,
    )


for _kind, _path, _tag in [
    ("source", "/sources", "sources"),
    ("entity", "/entities", "entities"),
    ("event", "/events", "events"),
    ("relation", "/relations", "relations"),
]:
    _routes(_kind, _path, _tag)  # type: ignore[arg-type]
