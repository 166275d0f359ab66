"""A read-only SPARQL endpoint over the graph of the RDF export (same IRIs, same vocabulary).

- :mod:`graph.sparql.query`: what a query is, and what the endpoint refuses (updates,
  ``SERVICE``, ``FROM``), before it runs;
- :mod:`graph.sparql.formats`: the formats answers are written in;
- :mod:`graph.sparql.engine`: the engine, a replica of the graph in a worker process that
  follows the change log, with a time limit and a size limit;
- :mod:`graph.sparql.examples`: example queries over the seed.
"""

from graph.sparql.engine import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_MEMORY,
    DEFAULT_TIMEOUT_S,
    Answer,
    SparqlEngine,
)
from graph.sparql.examples import EXAMPLES, Example
from graph.sparql.formats import (
    RESULT_FORMATS,
    ResultFormat,
    default_format,
    formats_for,
    result_format,
)
from graph.sparql.query import MAX_QUERY_CHARS, PreparedQuery, prepare

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_MEMORY",
    "DEFAULT_TIMEOUT_S",
    "EXAMPLES",
    "MAX_QUERY_CHARS",
    "RESULT_FORMATS",
    "Answer",
    "Example",
    "PreparedQuery",
    "ResultFormat",
    "SparqlEngine",
    "default_format",
    "formats_for",
    "prepare",
    "result_format",
]
