"""Cursors for list queries: opaque tokens that say where the previous page ended.

A cursor holds the sort key of the last item a page answered, so the next page starts right
after it by seeking in an index, without walking from the start as an offset does. It also holds
a digest of the query it belongs to (the list and its filters), so a cursor from another query
is refused rather than read in the wrong order.

The token is URL-safe base64 of a small JSON array followed by a checksum: a cursor cut short,
mistyped or edited by hand is refused with :class:`~graph.errors.InvalidCursorError`. The
checksum is not a secret. It need not be: a cursor names nothing but a place in a list, so a
forged one can do no more than start a page somewhere else, and every value in it is checked
before it is used.

Examples
--------
>>> token = encode_cursor("entities", ["kyiv", 7])
>>> decode_cursor(token, "entities")
['kyiv', 7]
>>> decode_cursor(token, "events")
Traceback (most recent call last):
...
graph.errors.InvalidCursorError: cursor: this cursor belongs to another query (...); ...
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from graph.errors import InvalidCursorError

__all__ = ["CURSOR_LENGTH", "decode_cursor", "encode_cursor", "query_scope"]

CURSOR_LENGTH = 1024
"""Longest cursor token accepted (characters); the ones geokg writes are far shorter."""

_VERSION = 2
"""2: lists other than events and the edges of a node resume after a (group, rank) key, no
longer at a position; a cursor of version 1 is refused, not misread."""
_CHECKSUM = 8


def query_scope(name: str, **filters: object) -> str:
    """A stable name for a list query and its filters (``None`` filters are left out).

    Examples
    --------
    >>> query_scope("events", kind="meeting", actor=None)
    "events kind='meeting'"
    """
    shown = " ".join(f"{k}={v!r}" for k, v in sorted(filters.items()) if v is not None)
    return f"{name} {shown}".strip()


def _digest(data: bytes, size: int) -> bytes:
    return hashlib.blake2b(data, digest_size=size, person=b"geokg-cursor").digest()


def encode_cursor(scope: str, key: Sequence[str | int]) -> str:
    """The token for the page that follows ``key`` in the query named by ``scope``."""
    body = [_VERSION, _digest(scope.encode(), 6).hex(), *key]
    payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    raw = payload + _digest(payload, _CHECKSUM)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(token: str, scope: str) -> list[Any]:
    """The key a token holds, checked against the query it is used with.

    Raises
    ------
    InvalidCursorError
        If the token is not one geokg wrote (bad base64, checksum or shape), or was written
        for another query. The key's values are the caller's to check (types and ranges).
    """
    if len(token) > CURSOR_LENGTH:
        raise InvalidCursorError(f"longer than {CURSOR_LENGTH} characters")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise InvalidCursorError("not a cursor geokg wrote (not base64url)") from None
    payload, checksum = raw[:-_CHECKSUM], raw[-_CHECKSUM:]
    if not payload or _digest(payload, _CHECKSUM) != checksum:
        raise InvalidCursorError("not a cursor geokg wrote, or changed since (bad checksum)")
    try:
        body = json.loads(payload)
    except ValueError:
        raise InvalidCursorError("not a cursor geokg wrote (unreadable)") from None
    if not isinstance(body, list) or len(body) < 2 or body[0] != _VERSION:
        raise InvalidCursorError("written by another version of geokg; ask again without it")
    if body[1] != _digest(scope.encode(), 6).hex():
        raise InvalidCursorError(
            "this cursor belongs to another query (another list or other filters); "
            "ask again without a cursor"
        )
    return body[2:]
