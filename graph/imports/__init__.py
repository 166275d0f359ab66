"""Imports of every format geokg exports: read records back, check them, write them all or none.

:data:`READERS` maps each export format's name (the keys of
:data:`graph.formats.FORMATS`) to a reader that turns a byte stream into records
(:class:`Item`, each with where it came from); :func:`read_items` runs one under the item
limit; :func:`~graph.imports.plan.plan_import` checks the records by the rules of every write
and plans the changes; :func:`import_items` commits them (or, in a dry run, only reports).

No reader fetches anything from the network or reads any file but the one it is handed: XML is
parsed by defusedxml with DTDs and entities refused, JSON-LD contexts must be inline, and rdflib
is only ever given bytes.

Examples
--------
>>> import io
>>> from graph.formats import export
>>> from graph.model import Entity
>>> from graph.service import KnowledgeGraph
>>> from graph.store import GraphStore
>>> store = GraphStore()
>>> store.put_node(Entity(id="kyiv", kind="place", label="Kyiv", analyst_assertion=True))
>>> data = b"".join(export(store, "turtle"))
>>> graph = KnowledgeGraph.open(":memory:")
>>> report, position = import_items(graph, read_items(io.BytesIO(data), "turtle"), "turtle",
...                                 actor="doc")
>>> report.added["entity"], position
(1, 1)
>>> import_items(graph, read_items(io.BytesIO(data), "turtle"), "turtle", actor="doc")[0].unchanged
{'source': 0, 'entity': 1, 'event': 0, 'edge': 0}
>>> graph.close()
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import PurePath
from typing import IO

from graph.errors import Problem, RecordValidationError, UnsupportedFormatError
from graph.imports._items import Item, Where
from graph.imports.dump import read_json
from graph.imports.graphml import read_graphml
from graph.imports.plan import MAX_IMPORT_ITEMS, ImportReport, plan_import
from graph.imports.rdf import RDF_READERS
from graph.service import KnowledgeGraph

__all__ = [
    "EXTENSIONS",
    "MAX_IMPORT_ITEMS",
    "READERS",
    "ImportReport",
    "Item",
    "Reader",
    "Where",
    "format_for_path",
    "import_items",
    "plan_import",
    "read_items",
]

Reader = Callable[[IO[bytes]], Iterator[Item]]
"""Turns a byte stream into records; raises RecordValidationError for a bad document."""

READERS: dict[str, Reader] = {**RDF_READERS, "graphml": read_graphml, "json": read_json}
"""A reader for each export format, by the format's name."""

EXTENSIONS: dict[str, str] = {
    ".json": "json",
    ".ttl": "turtle",
    ".nt": "ntriples",
    ".nq": "nquads",
    ".jsonld": "jsonld",
    ".rdf": "rdfxml",
    ".owl": "rdfxml",
    ".xml": "rdfxml",
    ".graphml": "graphml",
}
"""The format a file name's extension suggests."""


def format_for_path(path: str | PurePath) -> str | None:
    """The import format a file's extension suggests, or ``None``.

    Examples
    --------
    >>> format_for_path("dump/geokg.NT"), format_for_path("x.csv")
    ('ntriples', None)
    """
    return EXTENSIONS.get(PurePath(path).suffix.lower())


def read_items(
    stream: IO[bytes],
    fmt: str,
    *,
    max_items: int = MAX_IMPORT_ITEMS,
    progress: Callable[[int], None] | None = None,
) -> list[Item]:
    """Read every record of a document in format ``fmt``, at most ``max_items`` of them.

    ``progress(n)`` is called with the number of records read so far. Raises
    :class:`~graph.errors.UnsupportedFormatError` for a format with no reader and
    :class:`~graph.errors.RecordValidationError` for a bad document or one over the limit.

    Examples
    --------
    >>> import io
    >>> read_items(io.BytesIO(b"{}"), "csv")
    Traceback (most recent call last):
    ...
    graph.errors.UnsupportedFormatError: unsupported format 'csv'; supported: turtle, \
ntriples, jsonld, rdfxml, nquads, graphml, json
    """
    reader = READERS.get(fmt)
    if reader is None:
        raise UnsupportedFormatError(fmt, list(READERS))
    items: list[Item] = []
    try:
        for item in reader(stream):
            _append(items, item, max_items, progress)
    except RecursionError:  # the stdlib parsers recurse: a document nested past any use
        raise RecordValidationError(
            [Problem("$", "the document is nested too deeply to be a geokg export")]
        ) from None
    return items


def _append(
    items: list[Item], item: Item, max_items: int, progress: Callable[[int], None] | None
) -> None:
    if len(items) == max_items:
        raise RecordValidationError(
            [
                Problem(
                    item.where.at(),
                    f"more than {max_items} records: an import holds at most {max_items} "
                    "(see GET /limits); split the file",
                )
            ]
        )
    items.append(item)
    if progress is not None:
        progress(len(items))


def import_items(
    graph: KnowledgeGraph,
    items: Sequence[Item],
    fmt: str,
    *,
    actor: str,
    dry_run: bool = False,
) -> tuple[ImportReport, int]:
    """Check records read by :func:`read_items` and write them in one commit, all or nothing.

    Returns the report and the change-log position after the import. In a dry run nothing is
    written and the report lists every problem; otherwise any problem raises
    :class:`~graph.errors.RecordValidationError` and the store is unchanged. The commit's
    source in the change log is ``import:{fmt}``.
    """
    if dry_run:
        graph.sync()
        with graph.reading() as store:
            plan = plan_import(store, items, fmt, dry_run=True)
            position = graph.position
    else:
        outcome = graph.write(
            lambda store: plan_import(store, items, fmt), actor=actor, source=f"import:{fmt}"
        )
        plan_result, position = outcome.result, outcome.position
        assert isinstance(plan_result, ImportReport)
        return plan_result, position
    assert isinstance(plan.result, ImportReport)
    return plan.result, position
