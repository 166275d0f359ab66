"""Read geokg's own JSON dump (:mod:`graph.export.dump`) back into records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO

from graph.errors import Problem, RecordValidationError
from graph.export.dump import DUMP_FORMAT
from graph.imports._items import Item, Where
from graph.imports._workspace import Workspace

__all__ = ["read_json"]


def _refuse(location: str, reason: str) -> RecordValidationError:
    return RecordValidationError([Problem(location, reason)])


def read_json(stream: IO[bytes], workspace: Workspace | None = None) -> Iterator[Item]:
    """Yield the records of a ``geokg-dump/1`` document, each located by its JSON path.

    The document is read whole (JSON has no streaming reader in the standard library). Raises
    :class:`~graph.errors.RecordValidationError` if it is not UTF-8 JSON of that shape.

    Examples
    --------
    >>> import io
    >>> doc = b'{"format": "geokg-dump/1", "nodes": [{"id": "kyiv"}], "edges": []}'
    >>> [(i.kind, i.where.at(".id")) for i in read_json(io.BytesIO(doc))]
    [('node', '$.nodes[0].id')]
    >>> list(read_json(io.BytesIO(b'{"nodes": [}')))
    Traceback (most recent call last):
    ...
    graph.errors.RecordValidationError: 1 problem(s): line 1: invalid JSON at column 12: \
Expecting value
    """
    raw = stream.read()
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise _refuse("$", f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise _refuse(
            f"line {exc.lineno}", f"invalid JSON at column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(doc, dict):
        raise _refuse("$", f"a geokg dump is a JSON object with format {DUMP_FORMAT!r}")
    if doc.get("format") != DUMP_FORMAT:
        raise _refuse("$.format", f"must be {DUMP_FORMAT!r}, not {doc.get('format')!r}")
    unknown = sorted(set(doc) - {"format", "nodes", "edges"})
    if unknown:
        raise _refuse(f"$.{unknown[0]}", "unknown member; a dump has format, nodes and edges")
    for member, kind in (("nodes", "node"), ("edges", "edge")):
        records = doc.get(member, [])
        if not isinstance(records, list):
            raise _refuse(f"$.{member}", "must be a list of records")
        for i, record in enumerate(records):
            where = Where(f"$.{member}[{i}]", json_path=True)
            if not isinstance(record, dict):
                raise _refuse(where.at(), "must be a JSON object (a record)")
            yield Item("node" if kind == "node" else "edge", record, where)
