"""The rules every record obeys, in one place: the seed loader, the write API and imports all
check what they are given here, and get back located problems (never bare exceptions).

- Text that could not be exported is refused at write time: C0 control characters (other than
  tab, newline and carriage return in long texts), lone surrogates and the non-characters
  U+FFFE/U+FFFF; one-line fields refuse line breaks too; numbers must be finite.
- Quotes are verbatim: ``text[start:end] == quote``; offsets left out are found in the text.
- Ids are minted in one place (:func:`mint_id`): slugs from the label, made unique.
- Every bound is in :data:`LIMITS`, which ``GET /limits`` lists.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, StringConstraints

from graph.model import ID_PATTERN

__all__ = [
    "LIMITS",
    "AttributeName",
    "CameoValue",
    "Label",
    "Line",
    "LongText",
    "Quote",
    "SourceText",
    "Url",
    "check_text",
    "locate_quote",
    "mint_id",
    "slug",
]

LIMITS: dict[str, int] = {
    "label_length": 500,
    "line_length": 2_000,
    "long_text_length": 20_000,
    "quote_length": 10_000,
    "source_text_length": 2_000_000,
    "url_length": 2_048,
    "id_length": 200,
    "list_items": 200,
    "attributes": 50,
}
"""Bounds on what one record may hold (characters, or items of a list)."""

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_BREAKS = re.compile(r"[\n\r\u2028\u2029\x85]")


def check_text(value: str, *, one_line: bool = False) -> str:
    """Refuse text that no export could carry.

    Examples
    --------
    >>> check_text("Kyiv\\tКиїв")
    'Kyiv\\tКиїв'
    >>> check_text("a\\x00b")
    Traceback (most recent call last):
    ...
    ValueError: control character U+0000 at offset 1; remove it
    >>> check_text("two\\nlines", one_line=True)
    Traceback (most recent call last):
    ...
    ValueError: line break at offset 3; this field is one line
    """
    bad = _ILLEGAL.search(value)
    if bad is not None:
        what = "lone surrogate" if "\ud800" <= bad.group() <= "\udfff" else "control character"
        if bad.group() in "\ufffe\uffff":
            what = "non-character"
        raise ValueError(f"{what} U+{ord(bad.group()):04X} at offset {bad.start()}; remove it")
    if one_line:
        brk = _BREAKS.search(value)
        if brk is not None:
            raise ValueError(f"line break at offset {brk.start()}; this field is one line")
    return value


def _line(value: str) -> str:
    value = check_text(value, one_line=True)
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _url(value: str) -> str:
    check_text(value, one_line=True)
    if re.search(r"\s", value):
        raise ValueError("a URL has no spaces (percent-encode them)")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an absolute http or https URL")
    return value


Label = Annotated[
    str, StringConstraints(min_length=1, max_length=LIMITS["label_length"]), AfterValidator(_line)
]
"""A name or title: one line, not blank."""
Line = Annotated[
    str, StringConstraints(min_length=1, max_length=LIMITS["line_length"]), AfterValidator(_line)
]
"""A short one-line value (an expression, a unit, an origin)."""
LongText = Annotated[
    str, StringConstraints(max_length=LIMITS["long_text_length"]), AfterValidator(check_text)
]
"""A description: several lines allowed."""
Quote = Annotated[
    str,
    StringConstraints(min_length=1, max_length=LIMITS["quote_length"]),
    AfterValidator(check_text),
]
"""A verbatim quote."""
SourceText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=LIMITS["source_text_length"]),
    AfterValidator(check_text),
]
"""The full text of a source document."""
Url = Annotated[str, StringConstraints(max_length=LIMITS["url_length"]), AfterValidator(_url)]
"""An absolute http(s) URL with nothing an IRI cannot hold."""
AttributeName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
"""The name of an edge attribute: a lowercase identifier."""
CameoValue = Annotated[str, StringConstraints(pattern=r"^[0-9]{2,4}$")]
"""A CAMEO code as written in a body: a string of 2 to 4 digits ('036', '0311')."""


def locate_quote(text: str, quote: str, start: int | None, end: int | None) -> tuple[int, int]:
    """Return the offsets of ``quote`` in ``text``: checked if given, found if not.

    Raises ``ValueError`` saying what is wrong (and where the quote is, when it is elsewhere).

    Examples
    --------
    >>> locate_quote("Russia says troops return", "troops", None, None)
    (12, 18)
    >>> locate_quote("Russia says troops return", "troops", 0, 6)
    Traceback (most recent call last):
    ...
    ValueError: not the text at 0..6 (the quote is at 12..18)
    >>> locate_quote("a b a", "a", None, None)
    Traceback (most recent call last):
    ...
    ValueError: the quote occurs 2 times in the text (first at 0..1): give start and end
    """
    if start is None and end is None:
        found = text.find(quote)
        if found < 0:
            raise ValueError("the quote is not in the text")
        again = text.find(quote, found + 1)
        if again >= 0:
            raise ValueError(
                f"the quote occurs {text.count(quote)} times in the text "
                f"(first at {found}..{found + len(quote)}): give start and end"
            )
        return found, found + len(quote)
    if start is None or end is None:
        start = end - len(quote) if start is None and end is not None else start
        end = (start or 0) + len(quote) if end is None else end
    assert start is not None
    if start < 0 or end > len(text) or start > end:
        raise ValueError(f"offsets {start}..{end} outside the text (length {len(text)})")
    if text[start:end] != quote:
        found = text.find(quote)
        hint = (
            f" (the quote is at {found}..{found + len(quote)})"
            if found >= 0
            else " (the quote is not in the text)"
        )
        raise ValueError(f"not the text at {start}..{end}{hint}")
    return start, end


def slug(text: str) -> str:
    """A lowercase ASCII slug of ``text`` (letters and digits joined by hyphens).

    Examples
    --------
    >>> slug("Volodymyr Zelenskyy’s office")
    'volodymyr-zelenskyys-office'
    >>> slug("Київ")
    ''
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    folded = folded.replace("'", "")
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


def mint_id(label: str, taken: Callable[[str], bool], prefix: str = "node") -> str:
    """Mint a new id from a label: its slug, made unique with ``-2``, ``-3``...

    A label with no ASCII letters or digits gets ``{prefix}-{hash}``.

    Examples
    --------
    >>> mint_id("Olaf Scholz", lambda i: False)
    'olaf-scholz'
    >>> mint_id("Olaf Scholz", lambda i: i == "olaf-scholz")
    'olaf-scholz-2'
    >>> mint_id("Київ", lambda i: False, "place")
    'place-4ec43ff9'
    >>> mint_id(":", lambda i: False, "media_outlet")
    'media-outlet-e7ac0786'
    """
    base = slug(label)[:80].strip("-")
    if not base:
        base = f"{slug(prefix) or 'node'}-{hashlib.sha256(label.encode()).hexdigest()[:8]}"
    candidate, n = base, 1
    while taken(candidate):
        n += 1
        candidate = f"{base}-{n}"
    assert re.match(ID_PATTERN, candidate)
    return candidate
