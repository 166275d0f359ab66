"""A cap on request bodies: a body past the limit is a 413 before it is read whole."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["MAX_BODY_BYTES", "MAX_IMPORT_BYTES", "MAX_WHOLE_IMPORT_BYTES", "BodyLimit"]

MAX_BODY_BYTES = 16 * 1024 * 1024
"""Largest body of a write (a source's text of 2,000,000 characters fits)."""
MAX_IMPORT_BYTES = 256 * 1024 * 1024
MAX_WHOLE_IMPORT_BYTES = 16 * 1024 * 1024
"""The largest import body in a format parsed whole (Turtle, JSON-LD, RDF/XML, the JSON dump):
rdflib holds such a document in memory at some 35 times its size. N-Triples, N-Quads and
GraphML stream, up to :data:`MAX_IMPORT_BYTES`."""
"""Largest body of ``POST /import``."""


class BodyLimit:
    """ASGI middleware: refuse bodies over the limit (by ``Content-Length``, or as they stream)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = MAX_IMPORT_BYTES if scope["path"] == "/import" else MAX_BODY_BYTES
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(scope, send, limit)
            return
        seen = 0
        too_large = False
        started = False

        async def counting_receive() -> Message:
            nonlocal seen, too_large
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # Stop reading: the app sees a client that went away, and its answer is
                    # replaced by the 413 below.
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if too_large:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Exception:
            if not too_large:
                raise
        if too_large and not started:
            await _refuse(scope, send, limit)


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "type": "https://geokg.example.org/problems/payload-too-large",
            "title": "Content Too Large",
            "status": 413,
            "detail": f"the request body is over {limit} bytes (see GET /limits)",
            "instance": str(scope["path"])[:200],
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
