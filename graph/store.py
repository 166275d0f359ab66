"""The read model: every node and edge record in memory, with the indexes queries need.

The store of record (:mod:`graph.storage`) holds the facts; a :class:`GraphStore` is derived
from it and follows its change log (:meth:`GraphStore.apply`). JSON answers, RDF and GraphML
are projections of it. Nothing outside this module touches its data structures: queries and
exporters go through the narrow read interface below (records, neighbours by direction, kind
and type indexes, O(1) counts), so a compact index can stand behind it later.

The store is not thread-safe by itself: :class:`graph.service.KnowledgeGraph` lets many
readers in at once and one writer at a time. Reads never change anything (index work left by a
write is finished by :meth:`GraphStore.settle`, which every write path calls).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import overload

import networkx as nx

from graph.changes import Change
from graph.errors import NodeNotFoundError
from graph.model import Edge, Entity, Event, Node, Source
from graph.search import NameIndex

__all__ = ["EventKey", "GraphStore"]

EventKey = tuple[dt.date, int, str]
"""How events sort: (sort date, load order, id); undated events have ``date.max``."""


class _SortedSlice(Sequence[EventKey]):
    """A read-only window onto a sorted list: no copy is made, nothing can change it."""

    def __init__(self, items: list[EventKey], lo: int, hi: int) -> None:
        self._items, self._lo, self._hi = items, lo, hi

    def __len__(self) -> int:
        return self._hi - self._lo

    @overload
    def __getitem__(self, index: int) -> EventKey: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[EventKey]: ...
    def __getitem__(self, index: int | slice) -> EventKey | Sequence[EventKey]:
        if isinstance(index, slice):
            return self._items[self._lo : self._hi][index]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._items[self._lo + index]

    def __iter__(self) -> Iterator[EventKey]:
        items = self._items
        return (items[i] for i in range(self._lo, self._hi))


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

    def __init__(self) -> None:
        self._graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
        self._edge_ends: dict[str, tuple[str, str]] = {}
        self._edge_rank: dict[str, int] = {}
        self._edges_added = 0
        self._node_rank: dict[str, int] = {}
        self._nodes_added = 0
        self._texts: dict[str, str] = {}
        self._by_type: dict[str, dict[str, None]] = defaultdict(dict)
        self._by_kind: dict[str, dict[str, None]] = defaultdict(dict)
        self._by_cameo: dict[str, dict[str, None]] = defaultdict(dict)
        self._edges_by_type: dict[str, dict[str, None]] = defaultdict(dict)
        self._event_order: list[EventKey] = []
        self._event_span = dt.timedelta(0)
        self._event_keys: dict[str, EventKey] = {}
        self._loaded = 0
        self._names = NameIndex()

    # -- writes (the service calls these under its write lock) ------------------------------

    def put_node(self, record: Node) -> None:
        """Add a node, or replace the record of a node with the same id and type.

        A replaced record keeps its place in load order, as a row updated in the store of
        record does: a read model that followed the writes and one loaded afresh list the
        same things in the same order. Raises ``ValueError`` if the id belongs to a node of
        another type.
        """
        old = self._graph.nodes[record.id]["record"] if record.id in self._graph else None
        if old is not None and old.node_type != record.node_type:
            raise ValueError(f"id {record.id!r} is already used by a {old.node_type}")
        self._graph.add_node(
            record.id, record=record, node_type=record.node_type, kind=str(record.kind)
        )
        self._by_type[record.node_type][record.id] = None
        if old is None:
            self._nodes_added += 1
            self._node_rank[record.id] = self._nodes_added
        if old is None or old.kind != record.kind:
            if old is not None:
                self._by_kind[str(old.kind)].pop(record.id, None)
            self._by_kind[str(record.kind)][record.id] = None
        if isinstance(record, Entity):
            names = (record.label, *record.aliases)
            if not isinstance(old, Entity) or (old.label, *old.aliases) != names:
                self._names.remove(record.id)
                self._names.add(record.id, names)
        elif isinstance(record, Event):
            self._index_event(record, old if isinstance(old, Event) else None)

    def _unindex_node(self, record: Node) -> None:
        self._by_kind[str(record.kind)].pop(record.id, None)
        if isinstance(record, Entity):
            self._names.remove(record.id)
        elif isinstance(record, Event):
            self._by_cameo[record.cameo.code].pop(record.id, None)
            key = self._event_keys.pop(record.id)
            i = bisect.bisect_left(self._event_order, key)
            del self._event_order[i]

    def delete_node(self, node_id: str) -> None:
        """Remove a node that no edge touches any more (delete its edges first).

        Raises :class:`NodeNotFoundError` if unknown and ``ValueError`` if edges remain.
        """
        record = self.node(node_id)
        if self._graph.degree(node_id):
            raise ValueError(f"node {node_id!r} still has edges")
        self._unindex_node(record)
        self._by_type[record.node_type].pop(node_id, None)
        del self._node_rank[node_id]
        self._graph.remove_node(node_id)
        self._texts.pop(node_id, None)

    def _index_event(self, event: Event, old: Event | None) -> None:
        if old is None or old.cameo.code != event.cameo.code:
            if old is not None:
                self._by_cameo[old.cameo.code].pop(event.id, None)
            self._by_cameo[event.cameo.code][event.id] = None
        first = event.date.start or event.date.end
        last = event.date.end or event.date.start
        if first is not None and last is not None:
            # Only ever widened: a bound on how far before a window an event may start.
            self._event_span = max(self._event_span, last - first)
        if old is None:
            self._loaded += 1
            loaded = self._loaded
        else:  # a changed event keeps its place among events of the same day
            key = self._event_keys.pop(event.id)
            del self._event_order[bisect.bisect_left(self._event_order, key)]
            loaded = key[1]
        entry = (first or dt.date.max, loaded, event.id)
        self._event_keys[event.id] = entry
        bisect.insort(self._event_order, entry)

    def event_sort_key(self, event_id: str) -> EventKey:
        """The key that orders events by date (undated last), then by load order."""
        return self._event_keys[event_id]

    def put_edge(self, edge: Edge) -> None:
        """Add an edge between two existing nodes, or replace the edge with the same id.

        A replaced edge keeps its place in load order (:meth:`edge_rank`), and, if it joins
        the same nodes, its place among their edges.
        """
        for end in (edge.source, edge.target):
            if end not in self._graph:
                raise NodeNotFoundError(end)
        rank = self._edge_rank.get(edge.id)
        if rank is not None:
            old = self.edge(edge.id)
            if (old.source, old.target) == (edge.source, edge.target):
                data = self._graph.edges[edge.source, edge.target, edge.id]
                data.update(record=edge, type=edge.type, category=edge.category)
                if old.type != edge.type:
                    self._edges_by_type[old.type].pop(edge.id, None)
                    self._edges_by_type[edge.type][edge.id] = None
                return
            self.delete_edge(edge.id)
        else:
            self._edges_added += 1
            rank = self._edges_added
        self._graph.add_edge(
            edge.source,
            edge.target,
            key=edge.id,
            record=edge,
            type=edge.type,
            category=edge.category,
        )
        self._edge_ends[edge.id] = (edge.source, edge.target)
        self._edge_rank[edge.id] = rank
        self._edges_by_type[edge.type][edge.id] = None

    def delete_edge(self, edge_id: str) -> None:
        """Remove an edge; raise ``KeyError`` if unknown."""
        record = self.edge(edge_id)
        self._graph.remove_edge(record.source, record.target, key=edge_id)
        del self._edge_ends[edge_id]
        del self._edge_rank[edge_id]
        self._edges_by_type[record.type].pop(edge_id, None)

    def edge_rank(self, edge_id: str) -> int:
        """Where an edge stands in load order (edges added later rank higher); ``KeyError``
        if unknown. Replacing an edge keeps its rank."""
        return self._edge_rank[edge_id]

    def put_text(self, source_id: str, text: str) -> None:
        """Keep the text of a source document (evidence offsets point into it)."""
        self._texts[source_id] = text

    def apply(self, changes: Iterable[Change]) -> None:
        """Apply changes from the store of record's log, in order, then settle the indexes."""
        for change in changes:
            change.apply_to(self)
        self.settle()

    def settle(self) -> None:
        """Finish index work left pending by writes, so that reads never modify the store."""
        self._names.flush()

    # -- reads ----------------------------------------------------------------------------

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._graph

    def node(self, node_id: str) -> Node:
        """Return the record of any node; raise :class:`NodeNotFoundError` if unknown."""
        try:
            record: Node = self._graph.nodes[node_id]["record"]
        except KeyError:
            raise NodeNotFoundError(node_id) from None
        return record

    def kind_of(self, node_id: str) -> str:
        """The kind of a node (entity kind, event kind or ``news_article``)."""
        kind: str = self._graph.nodes[node_id]["kind"]
        return kind

    def type_of(self, node_id: str) -> str | None:
        """``entity``, ``event`` or ``source``; ``None`` for an unknown id."""
        data = self._graph.nodes.get(node_id)
        return None if data is None else str(data["node_type"])

    def entity(self, entity_id: str) -> Entity:
        """Return an entity record; raise :class:`NodeNotFoundError` if no entity has the id."""
        record = self._graph.nodes.get(entity_id, {}).get("record")
        if not isinstance(record, Entity):
            raise NodeNotFoundError(entity_id, "entity")
        return record

    def event(self, event_id: str) -> Event:
        """Return an event record; raise :class:`NodeNotFoundError` if no event has the id."""
        record = self._graph.nodes.get(event_id, {}).get("record")
        if not isinstance(record, Event):
            raise NodeNotFoundError(event_id, "event")
        return record

    def source(self, source_id: str) -> Source:
        """Return a source record; raise :class:`NodeNotFoundError` if no source has the id."""
        record = self._graph.nodes.get(source_id, {}).get("record")
        if not isinstance(record, Source):
            raise NodeNotFoundError(source_id, "source")
        return record

    def source_text(self, source_id: str) -> str:
        """Return the full text of a source document."""
        self.source(source_id)
        return self._texts[source_id]

    def node_ids(self) -> Iterator[str]:
        """Every node id, in load order."""
        return iter(self._graph)

    def ids(self, node_type: str) -> Collection[str]:
        """Ids of all nodes of one type (``entity``, ``event``, ``source``), in load order.

        A read-only view: no copy is made.
        """
        return self._by_type.get(node_type, {}).keys()

    def ids_of_kind(self, kind: str) -> Collection[str]:
        """Ids of all nodes of one kind, in load order (a read-only view)."""
        return self._by_kind.get(kind, {}).keys()

    def ids_of_cameo(self, code: str) -> Collection[str]:
        """Ids of the events with exactly this CAMEO code (a read-only view)."""
        return self._by_cameo.get(code, {}).keys()

    def cameo_codes_in_use(self) -> list[str]:
        """The CAMEO codes that at least one event has."""
        return [code for code, ids in self._by_cameo.items() if ids]

    def edge_ids_of_type(self, edge_type: str) -> Collection[str]:
        """Ids of the edges of one type, in load order (a read-only view)."""
        return self._edges_by_type.get(edge_type, {}).keys()

    def events_by_date(
        self, first: dt.date | None = None, last: dt.date | None = None
    ) -> Sequence[EventKey]:
        """Events as ``(sort date, load order, id)``, sorted; undated events last.

        The sort date is the start of the event's date interval (its end when only that is
        known). ``first``/``last`` keep the sort dates in that range, by binary search. The
        answer is a read-only view of the index (no copy).
        """
        order = self._event_order
        lo = 0 if first is None else bisect.bisect_left(order, (first, -1, ""))
        hi = len(order) if last is None else bisect.bisect_right(order, (last, 2**62, ""))
        return _SortedSlice(order, lo, hi)

    @property
    def longest_event_span(self) -> dt.timedelta:
        """An upper bound on the date interval of any event (to widen date-window searches)."""
        return self._event_span

    def entities(self) -> Iterator[Entity]:
        """Every entity record, in load order."""
        return (self.entity(i) for i in self._by_type.get("entity", {}))

    def events(self) -> Iterator[Event]:
        """Every event record, in load order."""
        return (self.event(i) for i in self._by_type.get("event", {}))

    def sources(self) -> Iterator[Source]:
        """Every source record, in load order."""
        return (self.source(i) for i in self._by_type.get("source", {}))

    def has_edge(self, edge_id: str) -> bool:
        """Whether an edge has this id."""
        return edge_id in self._edge_ends

    def edge(self, edge_id: str) -> Edge:
        """Return an edge record by its id; raise ``KeyError`` if unknown."""
        u, v = self._edge_ends[edge_id]
        record: Edge = self._graph.edges[u, v, edge_id]["record"]
        return record

    def edges(self) -> Iterator[Edge]:
        """Every edge record, grouped by the node it leaves, in load order."""
        return (data["record"] for _, _, data in self._graph.edges(data=True))

    def out_edges(self, node_id: str) -> Iterator[Edge]:
        """Edges leaving a node."""
        return (d["record"] for _, _, d in self._graph.out_edges(node_id, data=True))

    def in_edges(self, node_id: str) -> Iterator[Edge]:
        """Edges entering a node."""
        return (d["record"] for _, _, d in self._graph.in_edges(node_id, data=True))

    def successors(self, node_id: str) -> Iterator[tuple[str, list[Edge]]]:
        """Each node that edges from ``node_id`` reach, with those edges (in load order)."""
        for other, keyed in self._graph.succ[node_id].items():
            yield other, [d["record"] for d in keyed.values()]

    def predecessors(self, node_id: str) -> Iterator[tuple[str, list[Edge]]]:
        """Each node with edges into ``node_id``, with those edges (in load order)."""
        for other, keyed in self._graph.pred[node_id].items():
            yield other, [d["record"] for d in keyed.values()]

    def degree(self, node_id: str) -> int:
        """Number of edges leaving or entering a node."""
        return int(self._graph.degree(node_id))

    def edges_between(self, u: str, v: str) -> list[Edge]:
        """All edges from ``u`` to ``v``."""
        data = self._graph.get_edge_data(u, v) or {}
        return [d["record"] for d in data.values()]

    def entities_named(self, name: str) -> list[str]:
        """Entity ids whose label or an alias is ``name`` (case- and accent-insensitive), in
        load order."""
        return sorted(self._names.exact(name), key=self._node_rank.__getitem__)

    def search_entities(self, query: str) -> list[str]:
        """Entity ids whose label or an alias contains ``query``, best match first."""
        return self._names.search(query)

    def node_count(self) -> int:
        """Number of nodes (O(1))."""
        return len(self._graph)

    def edge_count(self) -> int:
        """Number of edges (O(1))."""
        return len(self._edge_ends)

    def counts(self) -> dict[str, int]:
        """Numbers of nodes by type and of edges, each O(1)."""
        plural = {"entity": "entities", "event": "events", "source": "sources"}
        counts = {plural[t]: len(self._by_type.get(t, {})) for t in plural}
        counts["edges"] = self.edge_count()
        return counts

    def iter_records(self, ids: Iterable[str]) -> Iterator[Node]:
        """Records of the given node ids."""
        return (self.node(i) for i in ids)

    def snapshot(self) -> GraphStore:
        """A copy of the records and adjacency that later writes leave alone, for exports.

        Records are immutable, so the copy shares them; it costs one pass over the nodes and
        edges. The copy answers what exporters read (records, neighbours, texts); take it
        while holding the read lock, then read it without any lock.
        """
        return _Snapshot(self)


class _Snapshot(GraphStore):
    """A frozen view: node records, out-adjacency and texts as they were when it was taken."""

    def __init__(self, store: GraphStore) -> None:
        super().__init__()
        graph = store._graph
        self._records: dict[str, Node] = {n: d["record"] for n, d in graph.nodes(data=True)}
        self._succ: dict[str, dict[str, list[Edge]]] = {
            u: {v: [d["record"] for d in keyed.values()] for v, keyed in nbrs.items()}
            for u, nbrs in graph.succ.items()
            if nbrs
        }
        self._texts = dict(store._texts)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._records

    def node(self, node_id: str) -> Node:
        try:
            return self._records[node_id]
        except KeyError:
            raise NodeNotFoundError(node_id) from None

    def type_of(self, node_id: str) -> str | None:
        record = self._records.get(node_id)
        return None if record is None else record.node_type

    def source_text(self, source_id: str) -> str:
        return self._texts[source_id]

    def node_ids(self) -> Iterator[str]:
        return iter(self._records)

    def node_count(self) -> int:
        return len(self._records)

    def successors(self, node_id: str) -> Iterator[tuple[str, list[Edge]]]:
        return iter(self._succ.get(node_id, {}).items())

    def edges_between(self, u: str, v: str) -> list[Edge]:
        return list(self._succ.get(u, {}).get(v, []))
