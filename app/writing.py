"""How a write request becomes a write and its answer: one place for every write route.

Answers carry the object's ``ETag`` and the change-log position after the write
(``X-Geokg-Position``). With an ``Idempotency-Key``, the whole answer is kept with the commit,
and a retry of the same request gets it back (marked ``Idempotent-Replayed: true``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.responses import Response
from pydantic import BaseModel

from app.auth import Token
from graph.service import KnowledgeGraph
from graph.storage import StoredResponse
from graph.store import GraphStore
from graph.writes import Plan, WritableType, etag

__all__ = ["POSITION_HEADER", "IdempotencyKey", "IfMatch", "run_write"]

POSITION_HEADER = "X-Geokg-Position"

IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Makes a retried POST return the first answer instead of writing twice.",
        examples=["3f1c2a9e-new-article-1"],
    ),
]
IfMatch = Annotated[
    str | None,
    Header(
        max_length=2000,
        description="The ETag you read: the write is refused (412) if the object changed since.",
        examples=['"9c1b0e6f2a4d8c3b5e7f1a2d"'],
    ),
]

_PATHS: dict[WritableType, str] = {
    "source": "/sources/",
    "entity": "/entities/",
    "event": "/events/",
    "relation": "/relations/",
}


def _answer(
    result: BaseModel | None, position: int, status: int, kind: WritableType | None
) -> StoredResponse:
    headers = {POSITION_HEADER: str(position)}
    if result is None:
        return StoredResponse("", 204 if status != 201 else status, headers, b"")
    headers["ETag"] = etag(result)
    object_id = getattr(result, "id", None)
    if status == 201 and object_id is not None and kind is not None:
        headers["Location"] = _PATHS[kind] + object_id
    return StoredResponse("", status, headers, result.model_dump_json().encode())


def _fingerprint(request: Request, payload: Any) -> str:
    text = json.dumps(
        [request.method, request.url.path, str(request.url.query), payload],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def run_write(
    graph: KnowledgeGraph,
    writer: Token,
    request: Request,
    kind: WritableType | None,
    plan: Callable[[GraphStore], Plan],
    *,
    status: int = 200,
    payload: Any = None,
    idempotency_key: str | None = None,
) -> Response:
    """Run a planned write for ``writer`` and answer it (201/200 with the object, or 204).
    ``kind`` names the object for a 201's ``Location`` (None: no object of the graph, as a
    review's report)."""
    fingerprint = _fingerprint(request, payload)

    def render(result: BaseModel | None, position: int) -> StoredResponse:
        answer = _answer(result, position, status, kind)
        return StoredResponse(fingerprint, answer.status, answer.headers, answer.body)

    outcome = graph.write(
        plan,
        actor=writer.name,
        idempotency=(idempotency_key, fingerprint) if idempotency_key else None,
        render=render,
    )
    if outcome.replayed is not None:
        stored = outcome.replayed
        headers = {**stored.headers, "Idempotent-Replayed": "true"}
        return _response(stored.status, headers, stored.body)
    answer = _answer(outcome.result, outcome.position, status, kind)
    return _response(answer.status, answer.headers, answer.body)


def _response(status: int, headers: dict[str, str], body: bytes) -> Response:
    if status == 204:
        return Response(status_code=204, headers=headers)
    return Response(body, status_code=status, headers=headers, media_type="application/json")
