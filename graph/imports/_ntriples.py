"""N-Triples and N-Quads read a chunk of lines at a time, strictly by the W3C grammars.

Each line holds one statement (or nothing, or a comment). :func:`statements` reads a byte stream
in chunks of whole lines and yields each chunk's statements as rows ``(subject, predicate,
object IRI, literal, suffix)``: an object is an IRI (then the last two are ``""``) or a literal
(then the third is ``""``, the fourth its lexical form, escapes decoded, and the suffix ``""``,
``"@lang"`` or ``"^^<datatype IRI>"``); a blank node is a :class:`BlankNode` (a ``str``
subclass). N-Quads' graph labels are checked and dropped (geokg's named graphs are derived).

The fast path is one regular expression over the whole chunk, for lines as geokg writes them
(one space between terms, absolute IRIs without escapes, no blank nodes): every line of the
chunk matches, or the chunk is read again line by line by :func:`parse_line`, which follows the
grammar term by term (spaces and tabs, comments, blank nodes, escapes, lone CRs) and says what
is wrong where. The fast expression accepts a subset of what :func:`parse_line` accepts and reads
it the same way. IRIs must be absolute (have a scheme).

Problems raise :class:`~graph.errors.RecordValidationError` naming the line: a line that is not
UTF-8 or not a statement stops the read there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, NamedTuple

from graph.errors import Problem, RecordValidationError

__all__ = ["CHUNK", "BlankNode", "Chunk", "Literal", "Row", "Term", "parse_line", "statements"]

CHUNK = 1 << 20
"""Bytes read at a time (then cut after the last whole line)."""


class BlankNode(str):
    """A blank node's label (without ``_:``)."""

    __slots__ = ()


Literal = tuple[str, str]
"""A literal: its lexical form and what follows it (``""``, ``"@lang"`` or ``"^^<iri>"``)."""
Term = str | Literal
"""An IRI (``str``), a blank node (:class:`BlankNode`) or a literal (a tuple)."""

_IRI_CHAR = r'[^\x00-\x20<>"{}|^`\\]'
_UCHAR = r"(?:\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})"
_IRI_BODY = rf"{_IRI_CHAR}*+(?:{_UCHAR}{_IRI_CHAR}*+)*+"
_IRIREF = re.compile(rf"<({_IRI_BODY})>")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_PN_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS = rf"{_PN_BASE}_:\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_BNODE = re.compile(rf"_:([{_PN_BASE}_:0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)")
_STRING = re.compile(rf'"([^"\\\n\r]*+(?:(?:\\[tbnrf"\'\\]|{_UCHAR})[^"\\\n\r]*+)*+)"')
_LANGTAG = re.compile(r"@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*")
_SPACE = re.compile(r"[ \t]*")
_ESCAPE = re.compile(r'\\(?:([tbnrf"\'\\])|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))')
_ECHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_KINDS = {
    "subject": "an IRI or a blank node",
    "object": "an IRI, a blank node or a literal",
    "graph label": "an IRI or a blank node",
}


class _LineError(Exception):
    """A line breaks the grammar at ``column`` (1-based)."""

    def __init__(self, column: int, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


def _decode(match: re.Match[str]) -> str:
    echar, short, long = match.groups()
    if echar is not None:
        return _ECHARS[echar]
    code = int(short or long, 16)
    if code > 0x10FFFF:
        raise ValueError(f"\\U{long} is past the last code point")
    return chr(code)


def _unescape(text: str, column: int) -> str:
    try:
        return _ESCAPE.sub(_decode, text)
    except ValueError as exc:
        raise _LineError(column, str(exc)) from None


def _iri(match: re.Match[str]) -> str:
    """The IRI a matched ``<...>`` names (escapes decoded), checked to be absolute."""
    iri = match.group(1)
    column = match.start() + 1
    if "\\" in iri:
        iri = _unescape(iri, column)
        if _NOT_IN_IRI.search(iri):
            raise _LineError(column, "an escape in the IRI stands for a character IRIs cannot hold")
    if not _SCHEME.match(iri):
        raise _LineError(column, f"<{iri[:60]}> is a relative IRI; N-Triples IRIs are absolute")
    return iri


def _term(line: str, at: int, what: str, *, literal: bool) -> tuple[Term, int]:
    """The term starting at ``at`` and where it ends."""
    found = _IRIREF.match(line, at)
    if found is not None:
        return _iri(found), found.end()
    found = _BNODE.match(line, at)
    if found is not None:
        return BlankNode(found.group(1)), found.end()
    if literal:
        found = _STRING.match(line, at)
        if found is not None:
            lexical, end = found.group(1), found.end()
            if "\\" in lexical:
                lexical = _unescape(lexical, at + 1)
            suffix = ""
            if line.startswith("^^", end):
                datatype = _IRIREF.match(line, end + 2)
                if datatype is None:
                    raise _LineError(end + 3, "expected the datatype's IRI after ^^")
                suffix, end = f"^^<{_iri(datatype)}>", datatype.end()
            elif line.startswith("@", end):
                tag = _LANGTAG.match(line, end)
                if tag is None:
                    raise _LineError(end + 1, "expected a language tag after @")
                suffix, end = tag.group(), tag.end()
            return (lexical, suffix), end
    if line.startswith("<", at):
        reason = f"the {what} IRI holds a character IRIs cannot hold, or no closing >"
    elif line.startswith('"', at) and literal:
        reason = "the literal is not closed, or holds a bad escape, a quote or a line break"
    else:
        reason = f"expected the {what} ({_KINDS[what]})"
    raise _LineError(at + 1, reason)


def parse_line(line: str, *, quads: bool = False) -> tuple[str, str, Term] | None:
    """The statement on one line (without its line break), or None for a blank or comment line.

    Raises ``ValueError`` saying what is wrong and at which column.

    Examples
    --------
    >>> parse_line('<http://a/s> <http://a/p> "x\\\\ty"@en . # ok')
    ('http://a/s', 'http://a/p', ('x\\ty', '@en'))
    >>> parse_line("   # only a comment") is None
    True
    >>> parse_line("<http://a/s> <http://a/p> <b c> .")
    Traceback (most recent call last):
    ...
    ValueError: at column 27: the object IRI holds a character IRIs cannot hold, or no closing >
    """
    try:
        return _parse(line, quads)
    except _LineError as bad:
        raise ValueError(f"at column {bad.column}: {bad.reason}") from None


def _parse(line: str, quads: bool) -> tuple[str, str, Term] | None:
    at = _SPACE.match(line).end()  # type: ignore[union-attr]
    if at == len(line) or line[at] == "#" or line[at:] == "\r":
        return None
    subject, at = _term(line, at, "subject", literal=False)
    if isinstance(subject, tuple):  # pragma: no cover (literal=False never gives one)
        raise _LineError(at, "a literal cannot be a subject")
    at = _SPACE.match(line, at).end()  # type: ignore[union-attr]
    if line.startswith("_:", at):
        raise _LineError(at + 1, "a blank node cannot be a predicate")
    predicate_match = _IRIREF.match(line, at)
    if predicate_match is None:
        raise _LineError(at + 1, "expected the predicate (an IRI)")
    predicate = _iri(predicate_match)
    at = _SPACE.match(line, predicate_match.end()).end()  # type: ignore[union-attr]
    obj, at = _term(line, at, "object", literal=True)
    at = _SPACE.match(line, at).end()  # type: ignore[union-attr]
    if quads and not line.startswith(".", at):
        _, at = _term(line, at, "graph label", literal=False)
        at = _SPACE.match(line, at).end()  # type: ignore[union-attr]
    if not line.startswith(".", at):
        raise _LineError(at + 1, "expected . at the end of the statement")
    at = _SPACE.match(line, at + 1).end()  # type: ignore[union-attr]
    rest = line[at:]
    if rest and rest != "\r" and not rest.startswith("#"):
        raise _LineError(at + 1, "expected the end of the line (or a # comment) after .")
    return subject, predicate, obj


def _refuse(line: int, reason: str) -> RecordValidationError:
    return RecordValidationError([Problem(f"line {line}", reason)])


def _read_chunks(stream: IO[bytes]) -> Iterator[tuple[bytes, int]]:
    """Whole lines of the stream, a chunk at a time, with the number of the chunk's first line."""
    rest = b""
    first = 1
    while block := stream.read(CHUNK):
        data = rest + block if rest else block
        cut = data.rfind(b"\n") + 1
        if not cut:
            rest = data
            continue
        chunk, rest = data[:cut], data[cut:]
        yield chunk, first
        first += chunk.count(b"\n")
    if rest:
        yield rest, first


Row = tuple[str, str, str, str, str]
"""A statement as :func:`statements` yields it: subject, predicate, object IRI (``""`` for a
literal), literal's lexical form and suffix (both ``""`` for an IRI object)."""


class Chunk(NamedTuple):
    """The statements of a chunk of whole lines: ``rows[i]`` is on line ``lines[i]``, or on line
    ``first + i`` when ``lines`` is None (every line of the chunk holds one statement)."""

    rows: list[Row]
    first: int
    lines: list[int] | None

    def line(self, i: int) -> int:
        """The line of ``rows[i]``."""
        return self.first + i if self.lines is None else self.lines[i]


def _fast(quads: bool) -> re.Pattern[str]:
    """Lines as geokg writes them: one space between terms, no escapes in IRIs, no blank nodes."""
    iri = r"<([A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>\"{}|^`\\]*+)>"
    plain = r"<[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>\"{}|^`\\]*+>"
    string = _STRING.pattern
    suffix = rf"((?:@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*|\^\^{plain})?)"
    graph = rf"(?: {plain})?" if quads else ""
    return re.compile(rf"^{iri} {iri} (?:{iri}|{string}{suffix}){graph} \.$", re.MULTILINE)


_FAST = {False: _fast(False), True: _fast(True)}


def statements(stream: IO[bytes], *, quads: bool = False) -> Iterator[Chunk]:
    """The statements of an N-Triples (or N-Quads) stream, a chunk of lines at a time.

    Raises :class:`~graph.errors.RecordValidationError` at the first line that is not UTF-8 or
    not a statement (``not N-Triples: at column 12: ...``).

    Examples
    --------
    >>> import io
    >>> doc = b'<http://a/s> <http://a/p> <http://a/o> .\\n\\n<http://a/s> <http://a/p> "x" .\\n'
    >>> [chunk] = statements(io.BytesIO(doc))
    >>> chunk.rows[1], chunk.line(1)
    (('http://a/s', 'http://a/p', '', 'x', ''), 3)
    >>> list(statements(io.BytesIO(b'<http://a/s> <http://a/p> .\\n')))
    Traceback (most recent call last):
    ...
    graph.errors.RecordValidationError: 1 problem(s): line 1: not N-Triples: at column 27: \
expected the object (an IRI, a blank node or a literal)
    """
    name = "N-Quads" if quads else "N-Triples"
    fast = _FAST[quads]
    for data, first in _read_chunks(stream):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = first + data.count(b"\n", 0, exc.start)
            offset = exc.start - (data.rfind(b"\n", 0, exc.start) + 1)
            raise _refuse(line, f"not UTF-8: {exc.reason} at byte {offset}") from None
        rows: list[Row] = fast.findall(text)
        count = text.count("\n") + (not text.endswith("\n"))
        if len(rows) == count:  # every line matched: one statement per line, in order
            if "\\" in text:
                rows = [_unescaped(row) if "\\" in row[3] else row for row in rows]
            yield Chunk(rows, first, None)
        else:
            yield _line_by_line(text, first, quads, name)


def _unescaped(row: Row) -> Row:
    return (row[0], row[1], row[2], _unescape(row[3], 0), row[4])


def _line_by_line(text: str, first: int, quads: bool, name: str) -> Chunk:
    """A chunk where some line is not as geokg writes it: each line by the grammar."""
    rows: list[Row] = []
    numbers: list[int] = []
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    for number, line in enumerate(lines, start=first):
        for piece in line.split("\r") if "\r" in line.rstrip("\r") else (line,):
            try:
                found = _parse(piece, quads)
            except _LineError as bad:
                reason = f"not {name}: at column {bad.column}: {bad.reason}"
                raise _refuse(number, reason) from None
            if found is not None:
                s, p, o = found
                rows.append((s, p, o, "", "") if isinstance(o, str) else (s, p, "", *o))
                numbers.append(number)
    return Chunk(rows, first, numbers)
