"""Reading a SPARQL query before it runs: its form, and what the endpoint refuses.

The engine never sees a query this module refuses:

- updates (``INSERT``, ``DELETE``, ``LOAD``, ``CLEAR``, ...): the endpoint is read-only;
- ``SERVICE``: a federated query makes the server fetch any URL the caller names, loopback
  included (every engine tried here forwards it);
- ``FROM`` and ``FROM NAMED``: the dataset is fixed (the graph of the RDF export).

The check is lexical, on the query as a SPARQL parser reads it: codepoint escapes
(``\\u0053ERVICE``) are decoded first, as SPARQL 1.1 (19.2) decodes them before parsing;
strings, IRIs, comments, variables (``?service``) and language tags are skipped. Keywords are
case-insensitive, and Oxigraph reads one wherever its letters stand, even glued to what comes
before or after (``SERVICE:x``, ``SERVICEe:g``, ``trueSERVICE``, ``1e0.SERVICE:x``), so any
bare word or prefix of a prefixed name that holds ``SERVICE`` or ``FROM`` is refused: a prefix
named ``myservice:`` is too. The scan is
the first line; the second is that the process answering queries can open no socket or file
(:mod:`graph.sparql.replica`).

Examples
--------
>>> prepare("PREFIX ex: <http://e/> SELECT ?service WHERE { ?service ex:delete 'SERVICE' }").form
'SELECT'
>>> prepare("select * { service <http://127.0.0.1/> { ?s ?p ?o } }")
Traceback (most recent call last):
...
graph.errors.SparqlServiceError: SERVICE (a federated query) is refused: this endpoint queries \
its own graph only
>>> prepare("INSERT DATA { <a:b> <a:c> <a:d> }")
Traceback (most recent call last):
...
graph.errors.SparqlUpdateError: INSERT is a SPARQL update: this endpoint is read-only
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from graph.errors import (
    SparqlDatasetError,
    SparqlServiceError,
    SparqlSyntaxError,
    SparqlUpdateError,
    clip,
)

__all__ = ["FORMS", "MAX_QUERY_CHARS", "PreparedQuery", "prepare"]

FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
"""The four query forms, as the query names them."""

MAX_QUERY_CHARS = 100_000
"""The longest query text accepted."""

_UPDATES = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

# One pass, leftmost first: at each place the first alternative that fits is taken whole, so a
# quote inside an IRI or a local name (`ex:a\'b`) never opens a string, and a keyword inside a
# string, an IRI or a comment is never read as one. Every alternative reads in linear time.
#
# `<` opens an IRI only if a `>` closes it before any `)`: Oxigraph reads `FILTER(1<0)SERVICE:x#>`
# as a comparison, then SERVICE (a review found it), and a comparison in SPARQL always sits in
# brackets, which must close before a pattern such as SERVICE can start. (An IRI with a `)` is
# scanned inside, which can only refuse more.)
_TOKENS = re.compile(
    r'(?P<skip>"""(?:[^"\\]|\\.|"(?!""))*(?:"""|$)'
    r"|'''(?:[^'\\]|\\.|'(?!''))*(?:'''|$)"
    r'|"(?:[^"\\\r\n]|\\.)*"?'
    r"|'(?:[^'\\\r\n]|\\.)*'?"
    r'|<[^<>"{}|^`\\\x00-\x20)]*>'
    r"|#[^\r\n]*"
    r"|[?$][\w\u00b7\u0300-\u036f\u203f\u2040]*"
    r"|@[A-Za-z]+(?:-[A-Za-z0-9]+)*"
    r"|:(?:[\w.:%-]|\\.)*)"
    r"|(?P<name>[^\W\d][\w.-]*)(?P<local>:(?:[\w.:%-]|\\.)*)?",
    re.DOTALL,
)


@dataclass(frozen=True)
class PreparedQuery:
    """A query the endpoint will run, and its form (``SELECT``, ``ASK``, ...)."""

    text: str
    form: str

    @property
    def graph_result(self) -> bool:
        """Whether the answer is RDF (``CONSTRUCT``, ``DESCRIBE``) rather than results."""
        return self.form in ("CONSTRUCT", "DESCRIBE")


def _decoded(text: str) -> str:
    def char(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else ""

    return _ESCAPE.sub(char, text)


def _words(text: str) -> list[tuple[str, bool]]:
    """The words of a query a parser could read keywords in, upper-cased, in order: bare words
    (``True``; with their dots and hyphens: ``true.SERVICE`` is one), and the prefixes of
    prefixed names (``False``: Oxigraph reads ``SERVICE:x`` as ``SERVICE`` and ``:x``)."""
    words: list[tuple[str, bool]] = []
    for match in _TOKENS.finditer(_decoded(text)):
        name = match.group("name")
        if name:
            words.append((name.upper(), match.group("local") is None))
    return words


def prepare(text: str) -> PreparedQuery:
    """Check a query against what the endpoint refuses, and find its form.

    Raises :class:`~graph.errors.SparqlUpdateError`, :class:`~graph.errors.SparqlServiceError`,
    :class:`~graph.errors.SparqlDatasetError`, or :class:`~graph.errors.SparqlSyntaxError` for
    a text that is too long or names no query form (the engine finds any other syntax error).
    """
    if len(text) > MAX_QUERY_CHARS:
        raise SparqlSyntaxError(
            f"the query has {len(text):,} characters; at most {MAX_QUERY_CHARS:,} are read"
        )
    words = _words(text)
    for word, _ in words:
        # Oxigraph matches a keyword's letters without asking where a word starts or ends
        # (`SERVICEe:g` is SERVICE and `e:g`; `trueSERVICE` is true and SERVICE): any word or
        # prefix that holds one counts.
        if "SERVICE" in word:
            raise SparqlServiceError(
                "SERVICE (a federated query) is refused: this endpoint queries its own graph only"
                + ("" if word == "SERVICE" else f" (read in {clip(word.lower())!r})")
            )
        if "FROM" in word:
            raise SparqlDatasetError(
                "FROM and FROM NAMED are refused: the dataset is fixed (the graph of the export)"
                + ("" if word == "FROM" else f" (read in {clip(word.lower())!r})")
            )
        if word in _UPDATES:
            raise SparqlUpdateError(f"{word} is a SPARQL update: this endpoint is read-only")
    form = next((word for word, bare in words if bare and word in FORMS), None)
    if form is None:
        raise SparqlSyntaxError(
            f"not a SPARQL query (no SELECT, ASK, CONSTRUCT or DESCRIBE): {clip(text.strip())!r}"
        )
    return PreparedQuery(text, form)
