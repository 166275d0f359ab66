"""HEAD wherever GET: each HEAD request is answered as its GET, headers only.

FastAPI routes answer only the methods they declare, so monitors and ``curl -I`` got a 405.
Declaring HEAD on every route would double the OpenAPI document; this middleware runs the GET
instead, sends its status and headers, and stops the body at its first chunk (a streamed export
is not written out for nobody). A 405's ``Allow`` header lists HEAD beside GET.
"""

from __future__ import annotations

import contextlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HeadAsGetMiddleware"]


class _BodyStoppedError(Exception):
    """Raised into the app when it sends more body after a HEAD answer is complete."""


def _allow_head(message: Message) -> None:
    headers = message.get("headers", [])
    for i, (name, value) in enumerate(headers):
        methods = [m.strip() for m in value.decode("latin-1").split(",")]
        if name.lower() == b"allow" and "GET" in methods and "HEAD" not in methods:
            headers[i] = (name, ", ".join([*methods, "HEAD"]).encode("latin-1"))


class HeadAsGetMiddleware:
    """Answer HEAD as GET without the body; add HEAD to the ``Allow`` header of a 405."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        finished = False

        async def send_wrapper(message: Message) -> None:
            nonlocal finished
            if message["type"] == "http.response.start" and message["status"] == 405:
                _allow_head(message)
            if not head or message["type"] != "http.response.body":
                await send(message)
            elif finished:
                raise _BodyStoppedError
            else:
                finished = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        # A copy: the server keeps its own scope, and must still know the request was HEAD.
        # ``geokg.head`` lets endless streams (the change feed) end after their first chunk.
        inner = {**scope, "method": "GET", "geokg.head": True} if head else scope
        with contextlib.suppress(_BodyStoppedError):
            await self.app(inner, receive, send_wrapper)
