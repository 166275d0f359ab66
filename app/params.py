"""Shapes of query parameters that are HTTP's (and the command line's), not the library's."""

from __future__ import annotations

__all__ = ["comma_separated"]


def comma_separated(value: str | None) -> list[str]:
    """The items of a comma-separated parameter, stripped of spaces; empty items are dropped.

    ``None`` or an empty string gives no items (no filter).
    """
    if not value:
        return []
    return [item.strip() for item in value.split(",") if item.strip()]
