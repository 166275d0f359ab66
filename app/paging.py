"""Pages over HTTP: the ``cursor`` parameter and the ``Link: <...>; rel="next"`` header."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Query, Request, Response

from graph.paging import CURSOR_LENGTH
from graph.queries import MAX_OFFSET, Page

__all__ = ["PAGE_HEADERS", "Cursor", "Offset", "link_next"]

Cursor = Annotated[
    str | None,
    Query(
        max_length=CURSOR_LENGTH,
        description="Where this page starts: the `next_cursor` of the previous page (or the "
        'URL of its `Link: rel="next"` header). Opaque: it holds the last item\'s sort key, not '
        "a position, so writes between pages make no page repeat or skip an item. One from "
        "another query or an older geokg, cut or changed is a 422 `invalid-cursor`. Not with "
        "`offset`.",
    ),
]
Offset = Annotated[
    int,
    Query(
        ge=0,
        le=MAX_OFFSET,
        description=f"Items to skip (at most {MAX_OFFSET}: offsets are for the first pages; "
        "then follow `next_cursor`).",
        examples=[0],
    ),
]

PAGE_HEADERS: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {
            "Link": {
                "description": 'The next page, `<URL>; rel="next"` (RFC 8288), when there is one.',
                "schema": {"type": "string"},
            }
        }
    }
}
"""The ``responses`` entry of a paged route: it documents the ``Link`` header."""

P = TypeVar("P", bound=Page[Any])


def link_next(request: Request, response: Response, page: P) -> P:
    """Send the URL of the next page in a ``Link`` header (if there is one); return ``page``."""
    if page.next_cursor:
        url = request.url.remove_query_params("offset").include_query_params(
            cursor=page.next_cursor
        )
        response.headers["Link"] = f'<{url.path}?{url.query}>; rel="next"'
    return page
