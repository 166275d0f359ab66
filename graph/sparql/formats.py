"""The formats a SPARQL answer is written in: results (``SELECT``, ``ASK``) or RDF
(``CONSTRUCT``, ``DESCRIBE``). Each row names the engine's own serializer (pyoxigraph's), so
no answer is written by hand.

Examples
--------
>>> [f.name for f in formats_for("ASK")]
['json', 'xml']
>>> result_format("csv", "CONSTRUCT")
Traceback (most recent call last):
...
graph.errors.UnsupportedFormatError: unsupported format 'csv'; supported: turtle, ntriples, \
nquads, trig, rdfxml, jsonld, n3
"""

from __future__ import annotations

from dataclasses import dataclass

from graph.errors import UnsupportedFormatError

__all__ = ["RESULT_FORMATS", "ResultFormat", "default_format", "formats_for", "result_format"]


@dataclass(frozen=True)
class ResultFormat:
    """One way to write an answer: its name (``format=``), media types (the first is the one
    answered with), the query forms it can carry, and the engine's name for it."""

    name: str
    media_types: tuple[str, ...]
    forms: frozenset[str]
    engine: str
    """The attribute of ``pyoxigraph.QueryResultsFormat`` or ``pyoxigraph.RdfFormat``."""

    @property
    def media_type(self) -> str:
        """The ``Content-Type`` of an answer in this format."""
        return self.media_types[0]


_RESULTS = frozenset({"SELECT", "ASK"})
_SELECT = frozenset({"SELECT"})
_GRAPHS = frozenset({"CONSTRUCT", "DESCRIBE"})

RESULT_FORMATS: dict[str, ResultFormat] = {
    row.name: row
    for row in (
        ResultFormat("json", ("application/sparql-results+json", "application/json"), _RESULTS,
                     "JSON"),
        ResultFormat("xml", ("application/sparql-results+xml", "application/xml", "text/xml"),
                     _RESULTS, "XML"),
        ResultFormat("csv", ("text/csv",), _SELECT, "CSV"),
        ResultFormat("tsv", ("text/tab-separated-values",), _SELECT, "TSV"),
        ResultFormat("turtle", ("text/turtle", "application/x-turtle"), _GRAPHS, "TURTLE"),
        ResultFormat("ntriples", ("application/n-triples", "text/plain"), _GRAPHS, "N_TRIPLES"),
        ResultFormat("nquads", ("application/n-quads",), _GRAPHS, "N_QUADS"),
        ResultFormat("trig", ("application/trig",), _GRAPHS, "TRIG"),
        ResultFormat("rdfxml", ("application/rdf+xml", "application/xml", "text/xml"), _GRAPHS,
                     "RDF_XML"),
        ResultFormat("jsonld", ("application/ld+json", "application/json"), _GRAPHS, "JSON_LD"),
        ResultFormat("n3", ("text/n3",), _GRAPHS, "N3"),
    )
}  # fmt: skip
"""Every format, in order of preference when ``Accept`` allows several."""


def formats_for(form: str) -> list[ResultFormat]:
    """The formats an answer of this query form can be written in, preferred first."""
    return [row for row in RESULT_FORMATS.values() if form in row.forms]


def default_format(form: str) -> ResultFormat:
    """The format of an answer whose request names none: JSON results, or Turtle."""
    return RESULT_FORMATS["turtle" if form in _GRAPHS else "json"]


def result_format(name: str, form: str) -> ResultFormat:
    """The format ``name`` (as ``format=`` gives it) for an answer of this form.

    Raises :class:`~graph.errors.UnsupportedFormatError` naming the formats of the form.
    """
    row = RESULT_FORMATS.get(name.strip().lower())
    if row is None or form not in row.forms:
        raise UnsupportedFormatError(name, [f.name for f in formats_for(form)])
    return row
