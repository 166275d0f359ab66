"""Content negotiation: an HTTP ``Accept`` header picks a row of the format registry.

The registry itself (:data:`graph.formats.FORMATS`) is the library's; reading ``Accept`` is
HTTP's, so it lives here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from graph.errors import UnsupportedFormatError, clip
from graph.formats import DEFAULT_FORMAT, FORMATS, Format, get_format

__all__ = ["NotAcceptableError", "best_match", "choose_format", "format_for_media_type"]

T = TypeVar("T")


class NotAcceptableError(UnsupportedFormatError):
    """No format fits the request's ``Accept`` header (406, not 400)."""

    def __str__(self) -> str:
        return (
            f"no format matches Accept: {clip(self.requested)!r}; "
            f"acceptable: {', '.join(self.supported)}"
        )


def _accept_ranges(accept: str) -> list[tuple[str, str, float, int]]:
    """(type, subtype, q, position) of each media range; ranges with a bad q are skipped."""
    ranges = []
    for position, item in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in item.split(";"))
        media = "*/*" if media == "*" else media.lower()
        if media.count("/") != 1:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = -1.0
        if 0.0 <= q <= 1.0:
            major, minor = media.split("/")
            ranges.append((major, minor, q, position))
    return ranges


def _specificity(media_type: str, major: str, minor: str) -> int:
    want_major, want_minor = media_type.split("/")
    if (major, minor) == (want_major, want_minor):
        return 3
    if major == want_major and minor == "*":
        return 2
    return 1 if (major, minor) == ("*", "*") else 0


def format_for_media_type(accept: str) -> Format | None:
    """Return the export format that best fits an HTTP ``Accept`` value, or ``None``."""
    return best_match(accept, [(fmt, fmt.media_types) for fmt in FORMATS.values()])


def best_match(accept: str, candidates: Sequence[tuple[T, Sequence[str]]]) -> T | None:
    """Return the candidate that best fits an HTTP ``Accept`` value, or ``None``.

    Each candidate takes the quality (``q``) of the most specific range that matches one of
    its media types; the highest quality wins, then the range listed first, then the order of
    ``candidates``. An empty value accepts anything.
    """
    ranges = _accept_ranges(accept) if accept.strip() else [("*", "*", 1.0, 0)]
    best: tuple[float, int, int] | None = None
    chosen: T | None = None
    for order, (candidate, media_types) in enumerate(candidates):
        matches = [
            (_specificity(media_type, major, minor), q, position)
            for media_type in media_types
            for major, minor, q, position in ranges
            if _specificity(media_type, major, minor)
        ]
        if not matches:
            continue
        top = max(m[0] for m in matches)
        q, position = max((q, -pos) for spec, q, pos in matches if spec == top)
        score = (q, position, -order)
        if q > 0 and (best is None or score > best):
            best, chosen = score, candidate
    return chosen


def choose_format(name: str | None, accept: str | None) -> Format:
    """The format a request asks for: by name if given, else by ``Accept``, else the default.

    Raises :class:`~graph.errors.UnsupportedFormatError` for an unknown name and
    :class:`NotAcceptableError` when no format fits ``Accept``.
    """
    if name is not None:
        return get_format(name)
    if not accept:
        return FORMATS[DEFAULT_FORMAT]
    chosen = format_for_media_type(accept)
    if chosen is None:
        raise NotAcceptableError(accept, [f.media_type for f in FORMATS.values()])
    return chosen
