"""Imports of every format geokg exports: read records back, check them, write them all or none.

:data:`READERS` maps each export format's name (the keys of :data:`graph.formats.FORMATS`) to a
reader that turns a byte stream into records (:class:`Item`, each with where it came from).
:func:`import_stream` runs one on a file or a request body and imports what it reads;
:func:`read_items` only reads (into a list, for small documents), and :func:`import_items`
imports records read otherwise.

An import streams, in bounded memory, whatever the size of the file: the readers of N-Triples,
N-Quads and GraphML never hold the whole document (Turtle, JSON-LD, RDF/XML and the JSON dump
are parsed whole, within the body cap), and the planner
(:class:`~graph.imports.plan.ImportPlanner`) checks each record as it comes and stages it in a
scratch database of the import's own (:class:`~graph.imports._workspace.Workspace`), where the
checks across records run at the end. Only then, in one transaction of the store of record,
are the records written, in batches, each with its entry in the change log; any problem, a dry
run or a crash before the commit leaves the store as it was.

No reader fetches anything from the network or reads any file but the one it is handed: XML is
parsed by expat with DTDs and entities refused (defusedxml's guards), JSON-LD contexts must be
inline, and rdflib is only ever given bytes.

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
>>> report, position = import_stream(graph, io.BytesIO(data), "turtle", actor="doc")
>>> report.added["entity"], position
(1, 1)
>>> import_stream(graph, io.BytesIO(data), "turtle", actor="doc")[0].unchanged
{'source': 0, 'entity': 1, 'event': 0, 'edge': 0}
>>> graph.close()
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import PurePath
from typing import IO

from graph.errors import Problem, RecordValidationError, UnsupportedFormatError
from graph.imports._items import Item, Where
from graph.imports._workspace import MEMORY_BOUND, SubjectsNotGroupedError, Workspace
from graph.imports.dump import read_json
from graph.imports.graphml import read_graphml
from graph.imports.plan import MAX_IMPORT_ITEMS, ImportPlanner, ImportReport, plan_import
from graph.imports.rdf import RDF_READERS
from graph.service import KnowledgeGraph
from graph.store import GraphStore
from graph.writes import BulkPlan

__all__ = [
    "EXTENSIONS",
    "MAX_IMPORT_ITEMS",
    "MEMORY_BOUND",
    "READERS",
    "STREAMED",
    "ImportPlanner",
    "ImportReport",
    "Item",
    "Reader",
    "Where",
    "Workspace",
    "format_for_path",
    "import_items",
    "import_stream",
    "plan_import",
    "read_items",
]

log = logging.getLogger(__name__)

Reader = Callable[[IO[bytes], Workspace | None], Iterator[Item]]
"""Turns a byte stream into records (spilling into the workspace, if given, past its bound);
raises RecordValidationError for a bad document."""

READERS: dict[str, Reader] = {**RDF_READERS, "graphml": read_graphml, "json": read_json}
"""A reader for each export format, by the format's name."""

STREAMED = frozenset({"ntriples", "nquads", "graphml"})
"""Formats read without holding the document (the others are parsed whole)."""

EXTENSIONS: dict[str, str] = {
    ".json": "json",
    ".turtle": "turtle",
    ".ntriples": "ntriples",
    ".nquads": "nquads",
    ".rdfxml": "rdfxml",
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

Progress = Callable[[int], None]
"""Called with the number of records read so far."""


_THRESHOLDS = (200_000, 100, 1_000)
"""The garbage collector's thresholds while an import runs (see :func:`_fewer_collections`)."""


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Let the cyclic garbage collector run less often while an import runs.

    An import makes and drops tens of millions of small containers (triples, records, rows),
    and with the default thresholds the collector spends as much time as the import itself
    walking the ones alive at the time; what an import makes holds no cycles. The thresholds are
    set back afterwards (also the other threads' garbage is collected, only later).
    """
    before = gc.get_threshold()
    gc.set_threshold(*(max(a, b) for a, b in zip(before, _THRESHOLDS, strict=True)))
    try:
        yield
    finally:
        gc.set_threshold(*before)


def format_for_path(path: str | PurePath) -> str | None:
    """The import format a file's extension suggests, or ``None``.

    Examples
    --------
    >>> format_for_path("dump/geokg.NT"), format_for_path("x.csv")
    ('ntriples', None)
    """
    return EXTENSIONS.get(PurePath(path).suffix.lower())


def _reader(fmt: str) -> Reader:
    reader = READERS.get(fmt)
    if reader is None:
        raise UnsupportedFormatError(fmt, list(READERS))
    return reader


def _limited(
    read: Callable[[], Iterable[Item]], max_items: int, progress: Progress | None
) -> Iterator[Item]:
    """The records ``read()`` gives, refusing the one past ``max_items``; progress reported as
    they come."""
    count = 0
    try:
        for item in read():
            if count == max_items:
                raise RecordValidationError(
                    [
                        Problem(
                            item.where.at(),
                            f"more than {max_items} records: an import holds at most "
                            f"{max_items} (see GET /limits); split the file",
                        )
                    ]
                )
            count += 1
            if progress is not None:
                progress(count)
            yield item
    except RecursionError:  # the stdlib parsers recurse: a document nested past any use
        raise RecordValidationError(
            [Problem("$", "the document is nested too deeply to be a geokg export")]
        ) from None


def _read_twice(
    stream: IO[bytes],
    fmt: str,
    workspace: Workspace,
    consume: Callable[[Iterator[Item]], object],
    *,
    max_items: int,
    progress: Progress | None,
) -> None:
    """Run ``consume`` on the records of the stream; if the reader finds the stream not
    grouped by subject, read it again from the start, sorting (see :mod:`graph.imports.rdf`)."""
    reader = _reader(fmt)
    start = stream.tell() if stream.seekable() else None
    workspace.restartable = start is not None
    try:
        consume(_limited(lambda: reader(stream, workspace), max_items, progress))
    except SubjectsNotGroupedError:
        assert start is not None
        stream.seek(start)
        workspace.reset()
        workspace.restartable, workspace.sort = False, True
        consume(_limited(lambda: reader(stream, workspace), max_items, progress))


def read_items(
    stream: IO[bytes],
    fmt: str,
    *,
    max_items: int = MAX_IMPORT_ITEMS,
    progress: Progress | None = None,
) -> list[Item]:
    """Read every record of a document in format ``fmt``, at most ``max_items`` of them, into a
    list (for small documents: :func:`import_stream` imports a large one without holding it).

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
    items: list[Item] = []

    def collect(found: Iterator[Item]) -> None:
        items.clear()
        items.extend(found)

    with Workspace() as workspace:
        _read_twice(stream, fmt, workspace, collect, max_items=max_items, progress=progress)
    return items


def _write(
    graph: KnowledgeGraph,
    planner: ImportPlanner,
    fmt: str,
    actor: str,
    *,
    dry_run: bool,
    follow: bool = True,
) -> tuple[ImportReport, int]:
    """Check the staged records against the store and write them (or, in a dry run, report)."""
    started = time.perf_counter()
    if dry_run:
        graph.sync()
        with graph.reading() as store:
            planner.check(store)
            log.info("import: checked %d records in %.1f s", planner.items, _since(started))
            return planner.report(dry_run=True), graph.position

    def plan(store: GraphStore) -> BulkPlan:
        planner.check(store)
        log.info("import: checked %d records in %.1f s", planner.items, _since(started))
        if planner.problems:
            raise RecordValidationError(planner.ordered())
        return BulkPlan(planner.count, lambda: planner.batches(store), planner.report(False))

    outcome = graph.write_bulk(plan, actor=actor, source=f"import:{fmt}", follow=follow)
    log.info("import: %d changes committed in %.1f s", planner.count, _since(started))
    assert isinstance(outcome.result, ImportReport)
    return outcome.result, outcome.position


def _since(started: float) -> float:
    return time.perf_counter() - started


def import_items(
    graph: KnowledgeGraph,
    items: Iterable[Item],
    fmt: str,
    *,
    actor: str,
    dry_run: bool = False,
) -> tuple[ImportReport, int]:
    """Check records (read by :func:`read_items`, or any iterable of them) and write them in one
    commit, all or nothing.

    Returns the report and the change-log position after the import. In a dry run nothing is
    written and the report lists every problem; otherwise any problem raises
    :class:`~graph.errors.RecordValidationError` and the store is unchanged. The commit's
    source in the change log is ``import:{fmt}``.
    """
    with _fewer_collections(), Workspace() as workspace:
        planner = ImportPlanner(fmt, workspace)
        for item in items:
            planner.add(item)
        return _write(graph, planner, fmt, actor, dry_run=dry_run)


def import_stream(
    graph: KnowledgeGraph,
    stream: IO[bytes],
    fmt: str,
    *,
    actor: str,
    dry_run: bool = False,
    max_items: int = MAX_IMPORT_ITEMS,
    progress: Progress | None = None,
    bound: int = MEMORY_BOUND,
    directory: str | None = None,
    follow: bool = True,
) -> tuple[ImportReport, int]:
    """Read a document in format ``fmt`` and import its records, in bounded memory.

    As :func:`import_items` (all or nothing, dry runs, the report and the position after),
    reading at most ``max_items`` records (``progress(n)`` is told how many so far). ``bound``
    is how many triples the import keeps in memory before it spills them to a scratch database
    in ``directory`` (default: the system's temporary directory). ``follow=False`` leaves the
    read model behind the import (see :meth:`~graph.service.KnowledgeGraph.write_bulk`). Raises
    :class:`~graph.errors.UnsupportedFormatError` for a format with no reader and
    :class:`~graph.errors.RecordValidationError` for a bad document or bad records.
    """
    with _fewer_collections(), Workspace(bound, directory) as workspace:
        planners: list[ImportPlanner] = []

        def stage(found: Iterator[Item]) -> None:
            planners.clear()
            planner = ImportPlanner(fmt, workspace)
            planners.append(planner)
            for item in found:
                planner.add(item)

        started = time.perf_counter()
        _read_twice(stream, fmt, workspace, stage, max_items=max_items, progress=progress)
        log.info("import: read %d records in %.1f s", planners[0].items, _since(started))
        return _write(graph, planners[0], fmt, actor, dry_run=dry_run, follow=follow)
