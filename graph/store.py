"""The read model: a compact topology in memory, records fetched for what answers return.

The store of record (:mod:`graph.storage`) holds the facts; a :class:`GraphStore` is derived
from it and follows its change log (:meth:`GraphStore.apply`). It keeps in memory only what
searches need, as integer-indexed numpy arrays (:class:`graph.index.Topology`): node types,
kinds and dates, edge ends and types, adjacency, plus the name and date indexes. The records
themselves (labels, evidence, attributes) come from a :class:`Records` source: a snapshot of
the store of record taken at the same log position (:class:`StoredRecords`), or plain
dictionaries for a graph built in memory (:class:`MemoryRecords`, used by tests and tools).
Queries and exporters go through the narrow read interface below; nothing outside this module
touches its data structures.

The store is not thread-safe by itself: :class:`graph.service.KnowledgeGraph` lets many
readers in at once and one writer at a time. Reads never change anything (index work left by a
write is finished by :meth:`GraphStore.settle`, which every write path calls).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import logging
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import attrgetter
from pathlib import Path
from typing import Any, Protocol, TypeVar, overload

import numpy as np
from pydantic import TypeAdapter

from graph.changes import Change
from graph.errors import NodeNotFoundError
from graph.ids import IdTable
from graph.index import NO_DATE, NODE_TYPES, CsrBuild, Topology, TraversalFilter
from graph.model import AnyNode, Edge, Entity, Event, Node, Source
from graph.search import SEARCH_LIMIT, Match, NameIndex, NameMerge
from graph.storage.base import RecordSnapshot

__all__ = [
    "EventKey",
    "GraphStore",
    "IdView",
    "MemoryRecords",
    "RecordSnapshot",
    "Records",
    "StoredRecords",
    "TraversalFilter",
    "by_source",
    "by_target",
    "replay_limit",
]

log = logging.getLogger(__name__)

EventKey = tuple[dt.date, int, str]
"""How events sort: (sort date, load order, id); undated events have ``date.max``."""

_NODE = TypeAdapter[Node](AnyNode)
R = TypeVar("R")

REPLAY_MIN = 20_000
"""A read model follows at least this many log entries one by one (see :func:`replay_limit`)."""


def replay_limit(records: int) -> int:
    """How many log entries a read model of ``records`` nodes and edges follows one by one
    before it is quicker to build it afresh from the store (a change costs about ten times what
    loading one record does).

    Examples
    --------
    >>> replay_limit(0), replay_limit(1_000_000)
    (20000, 100000)
    """
    return max(REPLAY_MIN, records // 10)


_EVENT = NODE_TYPES.index("event")
_UNDATED = dt.date.max.toordinal()
"""The day undated events sort on: after every real date."""


class _EventOrder:
    """Events sorted by (sort day, load order), as three parallel numpy arrays.

    The sort day is the first day of the event's interval (undated events last). A write moves
    one entry (an array insert or delete: a memory move, no Python object per event).
    """

    def __init__(self, topo: Topology) -> None:
        self._topo = topo
        self.slots = np.zeros(0, dtype=np.int32)
        self.days = np.zeros(0, dtype=np.int64)
        self.ranks = np.zeros(0, dtype=np.int64)

    def rebuild(self) -> None:
        """Sort every event of the topology afresh."""
        topo = self._topo
        events = np.flatnonzero(topo.node_type.view == NODE_TYPES.index("event"))
        first = topo.first_day.view[events].astype(np.int64)
        days = np.where(first == NO_DATE, _UNDATED, first)
        ranks = topo.node_rank.view[events].astype(np.int64)
        order = np.lexsort((ranks, days))
        self.slots = events[order].astype(np.int32)
        self.days, self.ranks = days[order], ranks[order]

    def _key(self, slot: int) -> tuple[int, int]:
        first = int(self._topo.first_day.data[slot])
        return (_UNDATED if first == NO_DATE else first), int(self._topo.node_rank.data[slot])

    def _position(self, day: int, rank: int) -> int:
        lo = int(self.days.searchsorted(day, "left"))
        hi = int(self.days.searchsorted(day, "right"))
        return lo + int(self.ranks[lo:hi].searchsorted(rank))

    def insert(self, slot: int) -> None:
        """Place an event by its current dates (call after the topology has them)."""
        day, rank = self._key(slot)
        at = self._position(day, rank)
        self.slots = np.insert(self.slots, at, slot)
        self.days = np.insert(self.days, at, day)
        self.ranks = np.insert(self.ranks, at, rank)

    def remove(self, slot: int) -> None:
        """Take an event out (call before the topology changes its dates)."""
        at = self._position(*self._key(slot))
        if at >= len(self.slots) or int(self.slots[at]) != slot:
            raise KeyError(slot)
        self.slots = np.delete(self.slots, at)
        self.days = np.delete(self.days, at)
        self.ranks = np.delete(self.ranks, at)

    def window(self, first: dt.date | None, last: dt.date | None) -> tuple[int, int]:
        """The range of positions whose sort day lies in [first, last]."""
        lo = 0 if first is None else int(self.days.searchsorted(first.toordinal(), "left"))
        if last is None:
            return lo, len(self.slots)
        return lo, int(self.days.searchsorted(last.toordinal(), "right"))

    def key(self, position: int) -> EventKey:
        day = int(self.days[position])
        node_id = self._topo.node_ids[int(self.slots[position])]
        assert node_id is not None
        return (dt.date.fromordinal(day), int(self.ranks[position]), node_id)


class _SortedSlice(Sequence[EventKey]):
    """A read-only window onto the event order: no copy is made, nothing can change it."""

    def __init__(self, order: _EventOrder, lo: int, hi: int) -> None:
        self._order, self._lo, self._hi = order, lo, hi

    def __len__(self) -> int:
        return self._hi - self._lo

    @overload
    def __getitem__(self, index: int) -> EventKey: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[EventKey]: ...
    def __getitem__(self, index: int | slice) -> EventKey | Sequence[EventKey]:
        if isinstance(index, slice):
            return [self._order.key(self._lo + i) for i in range(len(self))[index]]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._order.key(self._lo + index)

    def __iter__(self) -> Iterator[EventKey]:
        order = self._order
        return (order.key(i) for i in range(self._lo, self._hi))


class IdView(Sequence[str]):
    """Ids of the slots a mask selects, in load order: a read-only view, O(1) to take and to
    count; iterating it scans the mask once (numpy). Load order is rank order (a slot taken
    later holds a higher rank), so :meth:`ranked` can resume after the rank of an item seen."""

    def __init__(
        self,
        ids: IdTable,
        mask: Callable[[], Any],
        count: int,
        member: Callable[[str], bool],
        ranks: Callable[[], Any],
    ) -> None:
        self._ids, self._mask, self._count, self._member = ids, mask, count, member
        self._ranks = ranks

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[str]:
        ids = self._ids
        for slot in np.flatnonzero(self._mask()).tolist():
            found = ids[slot]
            if found is not None:
                yield found

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str) and self._member(item)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        """Ids at positions, decoding only those (one scan of the mask, in numpy)."""
        ids = self._ids
        slots = np.flatnonzero(self._mask())
        if isinstance(index, slice):
            found = (ids[slot] for slot in slots[index].tolist())
            return [i for i in found if i is not None]
        item = ids[int(slots[index])]
        assert item is not None
        return item

    def ranked(
        self, *, after: int | None = None, skip: int = 0, count: int | None = None
    ) -> list[tuple[int, str]]:
        """(rank, id) of the items that rank after ``after`` (every item if None), in load
        order, less the first ``skip`` of them, at most ``count`` (one scan of the mask, in
        numpy; only those ids are decoded)."""
        mask = self._mask()
        ranks = self._ranks()
        if after is not None:
            mask = mask & (ranks > after)
        slots = np.flatnonzero(mask)[skip : None if count is None else skip + count]
        ids = self._ids
        found = zip(ranks[slots].tolist(), slots.tolist(), strict=True)
        return [(rank, item) for rank, slot in found if (item := ids[slot]) is not None]


class Records(Protocol):
    """Where the read model finds node and edge records by id."""

    def node(self, node_id: str) -> Node | None: ...
    def edge(self, edge_id: str) -> Edge | None: ...
    def nodes_of(self, node_ids: list[str]) -> list[Node | None]: ...
    def edges_of(self, edge_ids: list[str]) -> list[Edge | None]: ...
    def text(self, source_id: str) -> str | None: ...


class MemoryRecords:
    """Records held in dictionaries: for graphs built in memory (seed checks, tests, tools)."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.edges: dict[str, Edge] = {}
        self.texts: dict[str, str] = {}

    def node(self, node_id: str) -> Node | None:
        return self.nodes.get(node_id)

    def edge(self, edge_id: str) -> Edge | None:
        return self.edges.get(edge_id)

    def nodes_of(self, node_ids: list[str]) -> list[Node | None]:
        return [self.nodes.get(i) for i in node_ids]

    def edges_of(self, edge_ids: list[str]) -> list[Edge | None]:
        return [self.edges.get(i) for i in edge_ids]

    def text(self, source_id: str) -> str | None:
        return self.texts.get(source_id)


class StoredRecords:
    """Records read from a snapshot of the store of record, the most recent kept parsed.

    The snapshot is at the same log position as the topology, so records and adjacency always
    agree; :meth:`advance` moves both on together (under the service's write lock).
    """

    CACHE = 4096
    """Parsed records kept (most recently used first); a record costs a few KB parsed."""

    def __init__(self, snapshot: RecordSnapshot) -> None:
        self.snapshot = snapshot
        self._cache: OrderedDict[str, Any] = OrderedDict()  # parsed nodes and edges
        self._lock = threading.Lock()

    def node(self, node_id: str) -> Node | None:
        return self.nodes_of([node_id])[0]

    def edge(self, edge_id: str) -> Edge | None:
        return self.edges_of([edge_id])[0]

    def nodes_of(self, node_ids: list[str]) -> list[Node | None]:
        """Records of many nodes: those not parsed yet are read in one batch."""
        return self._many("n:", node_ids, self.snapshot.node_bodies, _NODE.validate_json)

    def edges_of(self, edge_ids: list[str]) -> list[Edge | None]:
        """Records of many edges: those not parsed yet are read in one batch."""
        return self._many("e:", edge_ids, self.snapshot.edge_bodies, Edge.model_validate_json)

    def _many(
        self,
        prefix: str,
        ids: list[str],
        bodies: Callable[[list[str]], dict[str, str]],
        parse: Callable[[str], R],
    ) -> list[R | None]:
        found: list[R | None] = []
        missing: list[str] = []
        with self._lock:
            cache = self._cache
            for i in ids:
                record = cache.get(prefix + i)
                if record is None:
                    missing.append(i)
                else:
                    cache.move_to_end(prefix + i)
                found.append(record)
        if not missing:
            return found
        parsed = {i: parse(body) for i, body in bodies(missing).items()}
        with self._lock:
            for i, record in parsed.items():
                self._cache[prefix + i] = record
            while len(self._cache) > self.CACHE:
                self._cache.popitem(last=False)
        return [r if r is not None else parsed.get(i) for i, r in zip(ids, found, strict=True)]

    def text(self, source_id: str) -> str | None:
        return self.snapshot.text(source_id)

    def forget(self, changes: Iterable[Change]) -> None:
        """Drop the parsed records the changes touched."""
        with self._lock:
            for change in changes:
                key = ("e:" if change.object_type == "edge" else "n:") + change.id
                self._cache.pop(key, None)

    def advance(self, snapshot: RecordSnapshot, changes: Iterable[Change]) -> None:
        """Read from a later snapshot; forget the parsed records the changes touched."""
        self.forget(changes)
        self.snapshot = snapshot


def _day(value: Any) -> int:
    """A date (or ISO string) as an ordinal; ``NO_DATE`` for None."""
    if value is None:
        return NO_DATE
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return int(value.toordinal())


class GraphStore:
    """All nodes and edges of the knowledge graph, with the texts their evidence quotes.

    Examples
    --------
    >>> store = GraphStore()
    >>> store.put_node(Entity(id="kyiv", kind="place", label="Kyiv"))
    >>> store.put_node(Entity(id="ukraine", kind="state", label="Ukraine"))
    >>> store.put_edge(Edge(id="kyiv.located_in.ukraine", category="relation",
    ...                     type="located_in", source="kyiv", target="ukraine"))
    >>> store.settle()
    >>> store.node("kyiv").label, store.counts()["edges"]
    ('Kyiv', 1)
    >>> store.delete_edge("kyiv.located_in.ukraine")
    >>> store.counts()["edges"]
    0
    """

    def __init__(self, records: MemoryRecords | StoredRecords | None = None) -> None:
        self._topo = Topology()
        self._records: MemoryRecords | StoredRecords = (
            MemoryRecords() if records is None else records
        )
        self._events = _EventOrder(self._topo)
        self._event_span = dt.timedelta(0)
        self._names = NameIndex()
        self.defer_compaction = False
        """True when the owner rebuilds the adjacency index and the name index in the
        background (see :meth:`start_compaction`, :meth:`start_name_merge`); :meth:`settle`
        then leaves both to the owner."""

    @classmethod
    def from_snapshot(cls, snapshot: RecordSnapshot) -> GraphStore:
        """The read model of a store of record at a snapshot's position: the topology is built
        from the snapshot's skeleton rows (no record is parsed); records are read on demand."""
        store = cls(StoredRecords(snapshot))
        ids: list[str] = []
        types: list[str] = []
        kinds: list[str] = []
        ranks: list[int] = []
        firsts: list[int] = []
        lasts: list[int] = []
        cameos: list[str] = []
        names: list[tuple[str, list[str]]] = []
        span = 0
        for (
            rank,
            node_id,
            node_type,
            kind,
            start,
            end,
            cameo,
            label,
            aliases,
        ) in snapshot.node_skeletons():
            first, last = _day(start or end), _day(end or start)
            ids.append(node_id)
            types.append(node_type)
            kinds.append(kind)
            ranks.append(rank)
            firsts.append(first)
            lasts.append(last)
            cameos.append(cameo or "")
            if node_type == "entity":
                names.append((node_id, [label, *_json_list(aliases)]))
            elif node_type == "event" and NO_DATE not in (first, last):
                span = max(span, last - first)
        store._topo.load_nodes(
            ids=ids, types=types, kinds=kinds, ranks=ranks, first=firsts, last=lasts, cameos=cameos
        )
        del ids, types, kinds, ranks, firsts, lasts, cameos
        columns: tuple[list[Any], ...] = ([], [], [], [], [], [])
        for row in snapshot.edge_skeletons():
            for column, value in zip(columns, row, strict=True):
                column.append(value)
        edge_ranks, edge_ids, sources, targets, edge_types, categories = columns
        store._topo.load_edges(
            ids=edge_ids,
            sources=sources,
            targets=targets,
            types=edge_types,
            categories=categories,
            ranks=edge_ranks,
        )
        store._names = NameIndex.build(names)
        store._events.rebuild()
        store._event_span = dt.timedelta(days=span)
        store.settle()
        return store

    # -- writes (the service calls these under its write lock) ------------------------------

    def put_node(self, record: Node) -> None:
        """Add a node, or replace the record of a node with the same id and type.

        A replaced record keeps its place in load order, as a row updated in the store of
        record does: a read model that followed the writes and one loaded afresh list the
        same things in the same order. Raises ``ValueError`` if the id belongs to a node of
        another type.
        """
        records = self._memory()
        self._index_node(
            record.id,
            record.node_type,
            str(record.kind),
            names=(record.label, *record.aliases) if isinstance(record, Entity) else None,
            dates=(record.date.start, record.date.end) if isinstance(record, Event) else None,
            cameo=record.cameo.code if isinstance(record, Event) and record.cameo else "",
        )
        records.nodes[record.id] = record

    def _memory(self) -> MemoryRecords:
        if not isinstance(self._records, MemoryRecords):
            raise TypeError("this read model follows a store of record: write through it")
        return self._records

    def _index_node(
        self,
        node_id: str,
        node_type: str,
        kind: str,
        *,
        names: Sequence[str] | None,
        dates: tuple[Any, Any] | None,
        cameo: str,
        rank: int | None = None,
    ) -> None:
        topo = self._topo
        slot = topo.node_index.get(node_id)
        if slot is not None and node_type == "event" and topo.type_code(slot) == _EVENT:
            self._events.remove(slot)
        first = last = NO_DATE
        if dates is not None:
            start, end = dates
            first, last = _day(start or end), _day(end or start)
        topo.add_node(node_id, node_type, kind, first=first, last=last, cameo=cameo, rank=rank)
        if names is not None:
            if slot is not None:  # names it had before (a new node has none to forget)
                self._names.remove(node_id)
            self._names.add(node_id, list(names), new=True)
        if node_type == "event":
            if NO_DATE not in (first, last):
                # Only ever widened: a bound on how far before a window an event may start.
                self._event_span = max(self._event_span, dt.timedelta(days=last - first))
            self._events.insert(topo.node_index[node_id])

    def delete_node(self, node_id: str) -> None:
        """Remove a node that no edge touches any more (delete its edges first).

        Raises :class:`NodeNotFoundError` if unknown and ``ValueError`` if edges remain.
        """
        slot = self._slot(node_id)
        if self._topo.degree(slot):
            raise ValueError(f"node {node_id!r} still has edges")
        node_type = self.type_of(node_id)
        if node_type == "entity":
            self._names.remove(node_id)
        elif node_type == "event":
            self._events.remove(slot)
        self._topo.remove_node(node_id)
        if isinstance(self._records, MemoryRecords):
            self._records.nodes.pop(node_id, None)
            self._records.texts.pop(node_id, None)

    def event_days(self, event_id: str) -> tuple[dt.date | None, dt.date | None]:
        """The first and last day of an event's date interval (a missing bound is the known
        one; both None if undated), from the index: no record is read."""
        slot = self._topo.node_index[event_id]
        first, last = int(self._topo.first_day.data[slot]), int(self._topo.last_day.data[slot])
        return (
            None if first == NO_DATE else dt.date.fromordinal(first),
            None if last == NO_DATE else dt.date.fromordinal(last),
        )

    def cameo_of(self, event_id: str) -> str:
        """An event's CAMEO code, from the index ("" for a node without one)."""
        topo = self._topo
        return topo.cameos.names[int(topo.node_cameo.data[topo.node_index[event_id]])]

    def event_sort_key(self, event_id: str) -> EventKey:
        """The key that orders events by date (undated last), then by load order."""
        slot = self._topo.node_index[event_id]
        first = int(self._topo.first_day.data[slot])
        return (_date(first), int(self._topo.node_rank.data[slot]), event_id)

    def put_edge(self, edge: Edge) -> None:
        """Add an edge between two existing nodes, or replace the edge with the same id.

        A replaced edge keeps its place in load order (:meth:`edge_rank`), even if it now
        joins other nodes.
        """
        records = self._memory()
        self._index_edge(edge.id, edge.source, edge.target, edge.type, edge.category)
        records.edges[edge.id] = edge

    def _index_edge(
        self,
        edge_id: str,
        source: str,
        target: str,
        type_: str,
        cat: str,
        *,
        rank: int | None = None,
    ) -> None:
        for end in (source, target):
            if end not in self._topo.node_index:
                raise NodeNotFoundError(end)
        self._topo.add_edge(edge_id, source, target, type_, cat, rank=rank)

    def delete_edge(self, edge_id: str) -> None:
        """Remove an edge; raise ``KeyError`` if unknown."""
        self._topo.remove_edge(edge_id)
        if isinstance(self._records, MemoryRecords):
            self._records.edges.pop(edge_id, None)

    def edge_rank(self, edge_id: str) -> int:
        """Where an edge stands in load order (edges added later rank higher); ``KeyError``
        if unknown. Replacing an edge keeps its rank."""
        return int(self._topo.edge_rank.data[self._topo.edge_index[edge_id]])

    def put_text(self, source_id: str, text: str) -> None:
        """Keep the text of a source document (evidence offsets point into it)."""
        self._memory().texts[source_id] = text

    def apply(self, changes: Iterable[Change], *, first: int | None = None) -> None:
        """Apply changes from the store of record's log, in order, then settle the indexes.

        A read model over memory records takes the records from the changes; one that reads a
        store of record indexes what the changes say and finds the records in the store. It
        needs ``first``, the log position of the first change (the positions follow on with no
        gaps): a node or edge ranks in load order by the position of the change that created
        it, which is the ``ord`` the store of record gives its row, so a model that followed the
        writes and one built afresh from the store rank everything alike (cursors hold ranks).
        """
        if isinstance(self._records, MemoryRecords):
            for change in changes:
                change.apply_to(self)
        else:
            if first is None:
                raise TypeError("changes from a store of record are applied with their position")
            for position, change in enumerate(changes, start=first):
                self._apply_skeleton(change, position)
        self.settle()

    def _apply_skeleton(self, change: Change, position: int) -> None:
        after = change.after
        if change.object_type == "edge":
            if after is None:
                self.delete_edge(change.id)
            else:
                self._index_edge(
                    change.id,
                    after["source"],
                    after["target"],
                    after["type"],
                    after["category"],
                    rank=position,
                )
            return
        if after is None:
            self.delete_node(change.id)
            return
        date = after.get("date") or {}
        self._index_node(
            change.id,
            change.object_type,
            str(after["kind"]),
            names=(after["label"], *after.get("aliases", ()))
            if change.object_type == "entity"
            else None,
            dates=(date.get("start"), date.get("end")) if change.object_type == "event" else None,
            cameo=(after.get("cameo") or {}).get("code", "")
            if change.object_type == "event"
            else "",
            rank=position,
        )

    def advance(self, snapshot: RecordSnapshot, changes: Sequence[Change]) -> None:
        """Apply changes read from the store of record and read records from ``snapshot``,
        whose position is that of the last of them."""
        if not isinstance(self._records, StoredRecords):
            raise TypeError("only a read model over a store of record advances")
        if changes:
            self.apply(changes, first=snapshot.position - len(changes) + 1)
        self._records.advance(snapshot, changes)

    def forget(self, changes: Iterable[Change]) -> None:
        """Drop parsed records the changes touched (while catching up in several batches)."""
        if isinstance(self._records, StoredRecords):
            self._records.forget(changes)

    def settle(self) -> None:
        """Finish index work left pending by writes, so that reads never modify the store."""
        self._names.flush(merge=not self.defer_compaction)
        if not self.defer_compaction and self.needs_compaction():
            self._topo.compact()

    def needs_name_merge(self) -> bool:
        """Whether enough names sit in the name index's overlay to rebuild its arrays (an
        owner that defers compaction does it with :meth:`start_name_merge`)."""
        return self._names.needs_merge()

    def start_name_merge(self) -> NameMerge:
        """Begin a rebuild of the name index's arrays (call it with writes excluded); the
        merge's ``run()`` needs no lock; :meth:`finish_name_merge` (writes and reads
        excluded) puts it in place with the names written meanwhile."""
        return self._names.start_merge()

    def finish_name_merge(self, merge: NameMerge) -> None:
        self._names.finish_merge(merge)

    def needs_compaction(self) -> bool:
        """Whether enough edges sit in the write overlay to rebuild the adjacency index (and no
        rebuild is under way)."""
        return not self._topo.compacting and self._topo.needs_compaction()

    def start_compaction(self) -> CsrBuild:
        """Begin a rebuild of the adjacency index: copies the arrays it needs (call it with
        writes excluded); the build's ``run()`` may then go on in another thread without any
        lock while reads and writes continue, and :meth:`finish_compaction` (with writes and
        reads excluded) puts it in place."""
        return self._topo.start_compaction()

    def finish_compaction(self, build: CsrBuild) -> None:
        self._topo.finish_compaction(build)

    def abandon_compaction(self) -> None:
        """Forget a rebuild that failed (the overlay keeps serving; a later one may start)."""
        self._topo.abandon_compaction()

    # -- reads ----------------------------------------------------------------------------

    def reads_from(self) -> RecordSnapshot | None:
        """The snapshot of the store of record this model reads its records from (None for
        records held in memory)."""
        if isinstance(self._records, StoredRecords):
            return self._records.snapshot
        return None

    @property
    def position(self) -> int | None:
        """The store of record's position the records are read at (None for memory records)."""
        if isinstance(self._records, StoredRecords):
            return self._records.snapshot.position
        return None

    def _slot(self, node_id: str) -> int:
        slot = self._topo.node_index.get(node_id)
        if slot is None:
            raise NodeNotFoundError(node_id)
        return slot

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._topo.node_index

    def node(self, node_id: str) -> Node:
        """Return the record of any node; raise :class:`NodeNotFoundError` if unknown."""
        record = self._records.node(node_id) if node_id in self._topo.node_index else None
        if record is None:
            raise NodeNotFoundError(node_id)
        return record

    def kind_of(self, node_id: str) -> str:
        """The kind of a node (entity kind, event kind or ``news_article``)."""
        topo = self._topo
        return topo.kinds.names[int(topo.node_kind.data[topo.node_index[node_id]])]

    def type_of(self, node_id: str) -> str | None:
        """``entity``, ``event`` or ``source``; ``None`` for an unknown id."""
        slot = self._topo.node_index.get(node_id)
        return None if slot is None else NODE_TYPES[self._topo.type_code(slot)]

    def entity(self, entity_id: str) -> Entity:
        """Return an entity record; raise :class:`NodeNotFoundError` if no entity has the id."""
        if self.type_of(entity_id) != "entity":
            raise NodeNotFoundError(entity_id, "entity")
        record = self.node(entity_id)
        assert isinstance(record, Entity)
        return record

    def event(self, event_id: str) -> Event:
        """Return an event record; raise :class:`NodeNotFoundError` if no event has the id."""
        if self.type_of(event_id) != "event":
            raise NodeNotFoundError(event_id, "event")
        record = self.node(event_id)
        assert isinstance(record, Event)
        return record

    def source(self, source_id: str) -> Source:
        """Return a source record; raise :class:`NodeNotFoundError` if no source has the id."""
        if self.type_of(source_id) != "source":
            raise NodeNotFoundError(source_id, "source")
        record = self.node(source_id)
        assert isinstance(record, Source)
        return record

    def source_text(self, source_id: str) -> str:
        """Return the full text of a source document."""
        slot = self._topo.node_index.get(source_id)
        if slot is None or NODE_TYPES[self._topo.type_code(slot)] != "source":
            raise NodeNotFoundError(source_id, "source")
        text = self._records.text(source_id)
        if text is None:
            raise KeyError(source_id)
        return text

    def node_ids(self) -> Iterator[str]:
        """Every node id, in load order."""
        return (i for i in self._topo.node_ids if i is not None)

    def _type_view(self, node_type: str) -> IdView:
        topo = self._topo
        code = NODE_TYPES.index(node_type) if node_type in NODE_TYPES[1:] else -1
        return IdView(
            topo.node_ids,
            lambda: topo.node_type.view == code,
            topo.nodes_of_type[code] if code > 0 else 0,
            lambda i: self.type_of(i) == node_type,
            lambda: topo.node_rank.view,
        )

    def ids(self, node_type: str) -> IdView:
        """Ids of all nodes of one type (``entity``, ``event``, ``source``), in load order.

        A read-only view: no copy is made.
        """
        return self._type_view(node_type)

    def ids_of_kind(self, kind: str) -> IdView:
        """Ids of all nodes of one kind, in load order (a read-only view)."""
        topo = self._topo
        code = topo.kinds.codes.get(kind, -1)
        return IdView(
            topo.node_ids,
            lambda: (topo.node_kind.view == code) & (topo.node_type.view != 0),
            topo.kind_counts.get(kind, 0),
            lambda i: i in topo.node_index and self.kind_of(i) == kind,
            lambda: topo.node_rank.view,
        )

    def ids_of_cameo(self, code: str) -> IdView:
        """Ids of the events with exactly this CAMEO code (a read-only view)."""
        topo = self._topo
        value = topo.cameos.codes.get(code, -1)
        return IdView(
            topo.node_ids,
            lambda: (topo.node_cameo.view == value) & (topo.node_type.view != 0),
            topo.cameo_counts.get(code, 0),
            lambda i: (
                i in topo.node_index and int(topo.node_cameo.data[topo.node_index[i]]) == value
            ),
            lambda: topo.node_rank.view,
        )

    def cameo_codes_in_use(self) -> list[str]:
        """The CAMEO codes that at least one event has."""
        return [code for code, n in self._topo.cameo_counts.items() if n and code]

    def edge_ids_of_type(self, edge_type: str) -> IdView:
        """Ids of the edges of one type, in load order (a read-only view)."""
        topo = self._topo
        code = topo.types.codes.get(edge_type, -1)
        return IdView(
            topo.edge_ids,
            lambda: (topo.edge_type.view == code) & topo.edge_alive.view,
            topo.type_counts.get(edge_type, 0),
            lambda i: i in topo.edge_index and int(topo.edge_type.data[topo.edge_index[i]]) == code,
            lambda: topo.edge_rank.view,
        )

    def events_by_date(
        self, first: dt.date | None = None, last: dt.date | None = None
    ) -> Sequence[EventKey]:
        """Events as ``(sort date, load order, id)``, sorted; undated events last.

        The sort date is the start of the event's date interval (its end when only that is
        known). ``first``/``last`` keep the sort dates in that range, by binary search. The
        answer is a read-only view of the index (no copy).
        """
        return _SortedSlice(self._events, *self._events.window(first, last))

    @property
    def longest_event_span(self) -> dt.timedelta:
        """An upper bound on the date interval of any event (to widen date-window searches)."""
        return self._event_span

    def entities(self) -> Iterator[Entity]:
        """Every entity record, in load order."""
        return (self.entity(i) for i in self.ids("entity"))

    def events(self) -> Iterator[Event]:
        """Every event record, in load order."""
        return (self.event(i) for i in self.ids("event"))

    def sources(self) -> Iterator[Source]:
        """Every source record, in load order."""
        return (self.source(i) for i in self.ids("source"))

    def has_edge(self, edge_id: str) -> bool:
        """Whether an edge has this id."""
        return edge_id in self._topo.edge_index

    def edge(self, edge_id: str) -> Edge:
        """Return an edge record by its id; raise ``KeyError`` if unknown."""
        record = self._records.edge(edge_id) if edge_id in self._topo.edge_index else None
        if record is None:
            raise KeyError(edge_id)
        return record

    def _edges(self, slots: Iterable[int]) -> list[Edge]:
        ids = self._topo.edge_ids
        wanted: list[str] = [ids[s] for s in slots]  # type: ignore[misc]
        records = self._records.edges_of(wanted)
        for edge_id, record in zip(wanted, records, strict=True):
            if record is None:
                raise KeyError(edge_id)
        return records  # type: ignore[return-value]

    def edges(self) -> Iterator[Edge]:
        """Every edge record, grouped by the node it leaves (in load order), in load order."""
        if isinstance(self._records, StoredRecords):
            snapshot = self._records.snapshot
            return (Edge.model_validate_json(body) for body in snapshot.edges())
        return (e for u in range(len(self._topo.node_ids)) for e in self._out(u))

    def _out(self, slot: int) -> list[Edge]:
        if self._topo.node_ids[slot] is None:
            return []
        return self._edges(self._topo.out_slots(slot).tolist())

    def out_edges(self, node_id: str) -> Iterator[Edge]:
        """Edges leaving a node, in load order."""
        return iter(self._edges(self._topo.out_slots(self._slot(node_id)).tolist()))

    def in_edges(self, node_id: str) -> Iterator[Edge]:
        """Edges entering a node, in load order."""
        return iter(self._edges(self._topo.in_slots(self._slot(node_id)).tolist()))

    def _grouped(self, slots: Any, far: Any) -> Iterator[tuple[str, list[Edge]]]:
        groups: dict[int, list[int]] = {}
        for slot, node in zip(slots.tolist(), far[slots].tolist(), strict=True):
            groups.setdefault(node, []).append(slot)
        ids = self._topo.node_ids
        for node, members in groups.items():
            yield ids[node], self._edges(members)  # type: ignore[misc]

    def successors(self, node_id: str) -> Iterator[tuple[str, list[Edge]]]:
        """Each node that edges from ``node_id`` reach, with those edges (in load order)."""
        slots = self._topo.out_slots(self._slot(node_id))
        return self._grouped(slots, self._topo.edge_target.data)

    def predecessors(self, node_id: str) -> Iterator[tuple[str, list[Edge]]]:
        """Each node with edges into ``node_id``, with those edges (in load order)."""
        slots = self._topo.in_slots(self._slot(node_id))
        return self._grouped(slots, self._topo.edge_source.data)

    def degree(self, node_id: str) -> int:
        """Number of edges leaving or entering a node."""
        return self._topo.degree(self._slot(node_id))

    def edges_between(self, u: str, v: str) -> list[Edge]:
        """All edges from ``u`` to ``v``."""
        topo = self._topo
        if u not in topo.node_index or v not in topo.node_index:
            return []
        return self._edges(topo.slots_between(topo.node_index[u], topo.node_index[v]).tolist())

    def entities_named(self, name: str) -> list[str]:
        """Entity ids whose label or an alias is ``name`` (case- and accent-insensitive), in
        load order."""
        topo = self._topo
        return sorted(
            self._names.exact(name), key=lambda i: int(topo.node_rank.data[topo.node_index[i]])
        )

    def quoting(self, source_id: str) -> list[str]:
        """Ids of the records whose evidence (or a quantity's) quotes a source: nodes in load
        order, then edges grouped by the node they leave. Over a store of record, its quotes
        index answers (no record is read); over memory records, a walk over them."""
        if isinstance(self._records, StoredRecords):
            nodes, edges = self._records.snapshot.quoting(source_id)
            return nodes + edges

        def quotes(record: object) -> bool:
            items = [
                *getattr(record, "evidence", ()),
                *(e for q in getattr(record, "quantities", ()) for e in q.evidence),
            ]
            return any(ev.source == source_id for ev in items)

        nodes = [n for n in self.node_ids() if quotes(self._records.nodes[n])]
        return nodes + [e.id for e in self.edges() if quotes(e)]

    def search_entities(self, query: str) -> list[str]:
        """Entity ids whose label or an alias contains ``query``, best match first."""
        return self._names.search(query, limit=SEARCH_LIMIT)

    def search_matches(self, query: str) -> list[Match]:
        """:meth:`search_entities` with each entity's best match (its sort key)."""
        return self._names.matches(query, limit=SEARCH_LIMIT)

    def node_count(self) -> int:
        """Number of nodes (O(1))."""
        return self._topo.node_count

    def edge_count(self) -> int:
        """Number of edges (O(1))."""
        return self._topo.edge_count

    def counts(self) -> dict[str, int]:
        """Numbers of nodes by type and of edges, each O(1)."""
        by_type = self._topo.nodes_of_type
        return {
            "entities": by_type[1],
            "events": by_type[2],
            "sources": by_type[3],
            "edges": self.edge_count(),
        }

    def iter_records(self, ids: Iterable[str]) -> Iterator[Node]:
        """Records of the given node ids (read together); :class:`NodeNotFoundError` if one
        is unknown."""
        wanted = list(ids)
        index = self._topo.node_index
        unknown = next((i for i in wanted if i not in index), None)
        if unknown is not None:
            raise NodeNotFoundError(unknown)
        records = self._records.nodes_of(wanted)
        for node_id, record in zip(wanted, records, strict=True):
            if record is None:
                raise NodeNotFoundError(node_id)
        return iter(records)  # type: ignore[arg-type]

    # -- searches over the topology ----------------------------------------------------------

    def shortest_nodes(
        self,
        source: str,
        target: str,
        flt: TraversalFilter,
        *,
        max_hops: int,
        banned_nodes: Iterable[str] = (),
        banned_hops: Iterable[tuple[str, str]] = (),
    ) -> list[str] | None:
        """A shortest path (node ids) of at most ``max_hops`` hops under ``flt``, or None."""
        topo = self._topo
        index = topo.node_index
        found = topo.bfs(
            index[source],
            index[target],
            flt,
            max_hops=max_hops,
            banned_nodes=[index[n] for n in banned_nodes if n in index],
            banned_hops=[(index[u], index[v]) for u, v in banned_hops],
        )
        if found is None:
            return None
        return [topo.node_ids[n] for n in found]  # type: ignore[misc]

    def neighbour_ids(self, node_id: str, edge_type: str | None = None) -> Iterator[str]:
        """Ids of the nodes one hop from ``node_id`` (out-edges first, then in-edges), each
        once, in the order of their first edge."""
        topo = self._topo
        slot = self._slot(node_id)
        types = frozenset([edge_type]) if edge_type else None
        seen: dict[int, None] = {}
        for out in (True, False):
            for node in topo.neighbours(slot, out, types).tolist():
                seen.setdefault(node, None)
        return (topo.node_ids[n] for n in seen)  # type: ignore[misc]

    def ranked_edge_ids(
        self,
        node_id: str,
        direction: str = "both",
        edge_type: str | None = None,
        other: str | None = None,
    ) -> list[tuple[int, str]]:
        """(rank, id) of the edges leaving (``out``), entering (``in``) or touching (``both``)
        a node, of one type and to or from one ``other`` node if given; no record is read.
        Raises :class:`NodeNotFoundError` for an unknown node."""
        topo = self._topo
        slot = self._slot(node_id)
        parts = []
        if direction in ("out", "both"):
            parts.append((topo.out_slots(slot), topo.edge_target.data))
        if direction in ("in", "both"):
            parts.append((topo.in_slots(slot), topo.edge_source.data))
        other_slot = None if other is None else self._slot(other)
        code = topo.types.codes.get(edge_type, -1) if edge_type else None
        found: list[tuple[int, str]] = []
        for incident, far in parts:
            keep = np.ones(len(incident), dtype=np.bool_)
            if code is not None:
                keep &= topo.edge_type.data[incident] == code
            if other_slot is not None:
                keep &= far[incident] == other_slot
            slots = incident[keep]
            ids = topo.edge_ids
            found.extend(
                (rank, ids[s])  # type: ignore[misc]
                for rank, s in zip(topo.edge_rank.data[slots].tolist(), slots.tolist(), strict=True)
            )
        return found

    def neighbours_by(self, node_id: str, direction: str, edge_type: str) -> list[str]:
        """Ids of the nodes at the other end of a node's edges of one type, leaving it
        (``out``) or entering it (``in``), in the edges' load order (a node once per edge);
        no record is read."""
        topo = self._topo
        slot = self._slot(node_id)
        out = direction == "out"
        slots = topo.out_slots(slot) if out else topo.in_slots(slot)
        code = topo.types.codes.get(edge_type, -1)
        slots = slots[topo.edge_type.data[slots] == code]
        far = (topo.edge_target.data if out else topo.edge_source.data)[slots]
        ids = topo.node_ids
        return [ids[n] for n in far.tolist()]  # type: ignore[misc]

    def edges_among(self, node_ids: Iterable[str], edge_type: str | None = None) -> list[Edge]:
        """Edges whose both ends are among ``node_ids`` (of one type if given), grouped by the
        node they leave in the order given; only those edges' records are read."""
        topo = self._topo
        slots = [topo.node_index[n] for n in node_ids]
        if not slots:
            return []
        members = np.asarray(slots, dtype=np.int32)
        _, out, far = topo.expand(members, out=True)  # every out-edge, node by node, at once
        keep = np.isin(far, members)
        if edge_type:
            keep &= topo.edge_type.data[out] == topo.types.codes.get(edge_type, -1)
        found = out[keep].tolist()
        return self._edges(found)

    def save(self, path: Path, store_id: str) -> None:
        """Write the topology and indexes to ``path`` (numpy arrays, no pickle), keyed by the
        store's id and this model's position, so that a later start can load it and follow the
        log from there (:meth:`load`). Written to a temporary file and renamed: a crash leaves
        the previous file or none."""
        position = self.position
        if position is None:
            raise TypeError("only a read model over a store of record is saved")
        assert isinstance(self._records, StoredRecords)
        meta = {
            "format": SNAPSHOT_FORMAT,
            "store_id": store_id,
            "position": position,
            "last_change": _log_mark(self._records.snapshot, position),
            "event_span_days": self._event_span.days,
        }
        arrays: dict[str, Any] = {
            **self._topo.state(),
            "meta": _blob(json.dumps(meta)),
            **{f"names_{key}": value for key, value in self._names.state().items()},
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        # A file of its own, then renamed over the old one: processes sharing the store may
        # save at the same time, and a crash leaves the old file or none (and a stray temporary
        # file, removed by a later save once it is an hour old: no save takes that long).
        for stray in path.parent.glob(f".{path.name}.*.tmp"):
            with contextlib.suppress(OSError):
                if time.time() - stray.stat().st_mtime > 3600:
                    stray.unlink()
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        partial = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                np.savez(out, allow_pickle=False, **arrays)
                out.flush()
                os.fsync(out.fileno())
            partial.replace(path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path, snapshot: RecordSnapshot, store_id: str) -> GraphStore | None:
        """The read model saved at ``path`` (:meth:`save`), brought to ``snapshot``'s position
        by the log; None if the file is missing, damaged, of another format, of another store,
        or ahead of the store (then the caller builds the model afresh)."""
        if not path.is_file():
            return None
        try:
            with path.open("rb") as file, np.load(file, allow_pickle=False) as archive:
                saved = {name: archive[name] for name in archive.files}
                meta = json.loads(_text(saved["meta"]))
                if (
                    meta.get("format") != SNAPSHOT_FORMAT
                    or meta.get("store_id") != store_id
                    or not 0 <= int(meta.get("position", -1)) <= snapshot.position
                    or meta.get("last_change") != _log_mark(snapshot, int(meta["position"]))
                ):
                    return None
                store = cls._from_saved(saved, meta, snapshot)
            behind = snapshot.position - int(meta["position"])
            if behind > replay_limit(store.node_count() + store.edge_count()):
                log.info("saved read model %s is %d changes behind: not used", path, behind)
                return None
            # Then the log after it. Anything going wrong here (a damaged file of any kind, a
            # log that does not apply) means: build the model afresh from the store instead.
            after = int(meta["position"])
            store.apply(
                (logged.change for logged in snapshot.changes_since(after)), first=after + 1
            )
        except Exception as exc:
            log.warning("saved read model %s not used (%s); building it from the store", path, exc)
            return None
        return store

    @classmethod
    def _from_saved(cls, saved: Any, meta: dict[str, Any], snapshot: RecordSnapshot) -> GraphStore:
        store = cls(StoredRecords(snapshot))
        store._topo = topo = Topology.from_state(saved)
        store._events = _EventOrder(topo)
        store._events.rebuild()
        store._event_span = dt.timedelta(days=int(meta["event_span_days"]))
        store._names = NameIndex.from_state(
            {key[6:]: value for key, value in saved.items() if key.startswith("names_")}
        )
        if len(store._names) != topo.nodes_of_type[NODE_TYPES.index("entity")]:
            raise ValueError("the saved names do not cover the saved entities")
        store.settle()
        return store

    def nodes_and_out_edges(self) -> Iterator[tuple[Node, list[Edge]]]:
        """Every node record in load order, each with the edges leaving it (grouped by the node
        they reach, parallel edges adjacent, in load order): what a whole-graph export walks."""
        for node_id in self.node_ids():
            yield self.node(node_id), [e for _, group in self.successors(node_id) for e in group]

    def record_snapshot(self) -> RecordSnapshot | None:
        """The snapshot of the store of record this view reads every record from, if it is
        one (:meth:`snapshot` over a store of record): whole-graph exports read the store's
        pre-rendered views from it. None otherwise."""
        return None

    def snapshot(self) -> GraphStore:
        """A view of the records and adjacency that later writes leave alone, for exports.

        Over a store of record it reads the store's own snapshot (O(1) to take); over memory
        records it copies what exporters read (one pass over nodes and edges; records are
        immutable and shared). Take it under the read lock, then read it without any lock.
        """
        if isinstance(self._records, StoredRecords):
            return _PinnedView(self._records.snapshot)
        return _MemorySnapshot(self)


def _log_mark(snapshot: RecordSnapshot, position: int) -> list[Any] | None:
    """What the log holds at ``position`` (its commit, time, object): a saved model is used
    only with a store whose log agrees with it there, not with a copy that went another way."""
    if position == 0:
        return None
    for logged in snapshot.changes_since(position - 1, limit=1):
        change = logged.change
        return [logged.commit, logged.at.isoformat(), change.op, change.object_type, change.id]
    return None


def by_target(edges: Iterable[Edge]) -> dict[str, list[Edge]]:
    """Edges grouped by the node they reach, groups in the order first met (parallel edges
    together, each group in the given order)."""
    groups: dict[str, list[Edge]] = {}
    for edge in edges:
        groups.setdefault(edge.target, []).append(edge)
    return groups


def by_source(edges: Iterable[Edge]) -> Iterator[tuple[str, dict[str, list[Edge]]]]:
    """A stream of edges grouped by their source node (as :meth:`GraphStore.edges` gives them),
    each source with its edges grouped :func:`by_target`."""
    for source, run in itertools.groupby(edges, key=attrgetter("source")):
        yield source, by_target(run)


SNAPSHOT_FORMAT = 2
"""The layout :meth:`GraphStore.save` writes; a file of another layout is rebuilt. 2: ranks
are the store's ``ord`` (the position of the change that created the row) in every process;
format 1 may hold ranks counted by a process that followed writes."""


def _blob(text: str) -> Any:
    return np.frombuffer(text.encode(), dtype=np.uint8)


def _text(blob: Any) -> str:
    return bytes(blob).decode()


def _date(ordinal: int) -> dt.date:
    return dt.date.max if ordinal == NO_DATE else dt.date.fromordinal(ordinal)


def _json_list(value: Any) -> list[str]:
    if not value:
        return []
    return list(json.loads(value))


class _MemorySnapshot(GraphStore):
    """A frozen view: node records, out-adjacency and texts as they were when it was taken."""

    def __init__(self, store: GraphStore) -> None:
        super().__init__()
        self._copied: dict[str, Node] = {n: store.node(n) for n in store.node_ids()}
        self._succ: dict[str, dict[str, list[Edge]]] = dict(by_source(store.edges()))
        records = store._records
        assert isinstance(records, MemoryRecords)
        self._texts = dict(records.texts)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._copied

    def node(self, node_id: str) -> Node:
        try:
            return self._copied[node_id]
        except KeyError:
            raise NodeNotFoundError(node_id) from None

    def type_of(self, node_id: str) -> str | None:
        record = self._copied.get(node_id)
        return None if record is None else record.node_type

    def source_text(self, source_id: str) -> str:
        return self._texts[source_id]

    def node_ids(self) -> Iterator[str]:
        return iter(self._copied)

    def node_count(self) -> int:
        return len(self._copied)

    def successors(self, node_id: str) -> Iterator[tuple[str, list[Edge]]]:
        return iter(self._succ.get(node_id, {}).items())

    def edges_between(self, u: str, v: str) -> list[Edge]:
        return list(self._succ.get(u, {}).get(v, []))

    def edges(self) -> Iterator[Edge]:
        return (e for targets in self._succ.values() for group in targets.values() for e in group)


class _PinnedView(GraphStore):
    """What exporters read, straight from a snapshot of the store of record."""

    def __init__(self, snapshot: RecordSnapshot) -> None:
        super().__init__()
        self._snapshot = snapshot

    def record_snapshot(self) -> RecordSnapshot:
        return self._snapshot

    def __contains__(self, node_id: object) -> bool:
        return isinstance(node_id, str) and self._snapshot.node(node_id) is not None

    def node(self, node_id: str) -> Node:
        row = self._snapshot.node(node_id)
        if row is None:
            raise NodeNotFoundError(node_id)
        return _NODE.validate_json(row[1])

    def type_of(self, node_id: str) -> str | None:
        row = self._snapshot.node(node_id)
        return None if row is None else row[0]

    def source_text(self, source_id: str) -> str:
        text = self._snapshot.text(source_id)
        if text is None:
            raise KeyError(source_id)
        return text

    def node_ids(self) -> Iterator[str]:
        return (row[0] for row in self._snapshot.nodes())

    def nodes(self) -> Iterator[Node]:
        """Every node record in load order (one pass over the snapshot)."""
        return (_NODE.validate_json(row[2]) for row in self._snapshot.nodes())

    def successors(self, node_id: str) -> Iterator[tuple[str, list[Edge]]]:
        edges = (Edge.model_validate_json(body) for body in self._snapshot.edges_from(node_id))
        return iter(by_target(edges).items())

    def edges_between(self, u: str, v: str) -> list[Edge]:
        return [e for target, group in self.successors(u) if target == v for e in group]

    def edges(self) -> Iterator[Edge]:
        return (Edge.model_validate_json(body) for body in self._snapshot.edges())

    def nodes_and_out_edges(self) -> Iterator[tuple[Node, list[Edge]]]:
        # Two streams in the same node order, merged: one pass over each table, no query per
        # node (edges come grouped by their source in node load order).
        runs = by_source(self.edges())
        pending = next(runs, None)
        for _, _, body in self._snapshot.nodes():
            node = _NODE.validate_json(body)
            out: list[Edge] = []
            if pending is not None and pending[0] == node.id:
                out = [e for group in pending[1].values() for e in group]
                pending = next(runs, None)
            yield node, out
