"""Query parameters as HTTP sees them: comma-separated lists, and the check that a request
names only the parameters its route declares, each once."""

from __future__ import annotations

import types
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Union, get_args, get_origin

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

__all__ = ["MAX_REPORTED", "check_query_parameters", "checking_also", "comma_separated"]

MAX_REPORTED = 10
"""Most unknown or repeated parameters one answer names (the rest wait for the next try)."""


def comma_separated(value: str | None) -> list[str]:
    """The items of a comma-separated parameter, stripped of spaces; empty items are dropped.

    ``None`` or an empty string gives no items (no filter).
    """
    if not value:
        return []
    return [item.strip() for item in value.split(",") if item.strip()]


def _takes_many(annotation: Any) -> bool:
    """Whether a parameter's type is a sequence (so the parameter may repeat)."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return any(_takes_many(arg) for arg in get_args(annotation))
    return origin in (list, tuple, set, frozenset)


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _declared(route: APIRoute) -> tuple[frozenset[str], frozenset[str]]:
    """The query parameters a route declares (with its dependencies), and those that repeat."""
    fields = [f for d in _dependants(route.dependant) for f in d.query_params]
    names = frozenset(f.alias for f in fields)
    many = frozenset(f.alias for f in fields if _takes_many(f.field_info.annotation))
    return names, many


_DECLARED = "_geokg_declared_query_parameters"
"""The attribute of a route that keeps what it declares (routes do not change)."""


async def check_query_parameters(request: Request) -> None:
    """Refuse a query parameter the route does not declare, or a single one given twice.

    A misspelt filter (``Q=`` for ``q=``) would otherwise be ignored and the answer come back
    unfiltered; a repeated one would silently lose all values but one. Raises a request
    validation error (422) naming each such parameter. (``async``: it never blocks, so it needs
    no worker thread.)
    """
    _check(request, frozenset())


def _check(request: Request, also: frozenset[str]) -> None:
    """See :func:`check_query_parameters`; ``also`` names parameters that dependencies given
    to a whole router take (:func:`checking_also`): a route does not list those."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    declared = getattr(route, _DECLARED, None)  # worked out on a route's first request
    if declared is None:
        declared = _declared(route)
        setattr(route, _DECLARED, declared)
    names, many = declared
    names = names | also
    known = f"this route takes: {', '.join(sorted(names))}" if names else "this route takes none"
    errors: list[dict[str, Any]] = []
    for name, count in Counter(k for k, _ in request.query_params.multi_items()).items():
        if len(errors) == MAX_REPORTED:
            break
        if name not in names:
            message = f"unknown query parameter; {known}"
            errors.append({"type": "extra_forbidden", "loc": ("query", name), "msg": message})
        elif count > 1 and name not in many:
            message = f"given {count} times; give it once"
            errors.append({"type": "repeated", "loc": ("query", name), "msg": message})
    if errors:
        raise RequestValidationError(errors)


def checking_also(*names: str) -> Callable[[Request], Awaitable[None]]:
    """:func:`check_query_parameters` for a router whose own dependencies take the query
    parameters ``names`` (FastAPI does not list a router's dependencies with each route)."""
    also = frozenset(names)

    async def check(request: Request) -> None:
        _check(request, also)

    check.__doc__ = check_query_parameters.__doc__
    return check
