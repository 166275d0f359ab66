"""The graph store: one ``networkx.MultiDiGraph`` holding every node and edge record.

JSON answers, RDF and GraphML are projections of this graph. The store also keeps the
source texts (so evidence can be checked) and small indexes (names, kinds) that are updated
on every write, so no query has to scan or rebuild the graph.

Nodes carry ``record`` (an :class:`~graph.model.Entity`, :class:`~graph.model.Event` or
:class:`~graph.model.Source`), ``node_type`` and ``kind``. Edges are keyed by their unique
edge id and carry ``record`` (an :class:`~graph.model.Edge`), ``type`` and ``category``.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence

import networkx as nx

from graph.errors import NodeNotFoundError
from graph.model import Edge, Entity, Event, Node, Source
from graph.search import NameIndex

__all__ = ["GraphStore", "merge_entities"]


def _union(first: tuple[object, ...], second: tuple[object, ...]) -> tuple[object, ...]:
    return first + tuple(x for x in second if x not in first)


def merge_entities(old: Entity, new: Entity) -> Entity:
    """Merge two records of one entity seen in two sources (same id, same kind).

    Raises ``ValueError`` if the kinds differ.

    Examples
    --------
    >>> a = Entity(id="russia", kind="state", label="Russia", aliases=("Moscow",))
    >>> b = Entity(id="russia", kind="state", label="Russia", aliases=("Kremlin",))
    >>> merge_entities(a, b).aliases
    ('Moscow', 'Kremlin')
    """
    if old.kind != new.kind:
        raise ValueError(
            f"entity {old.id!r} is a {old.kind.value} and cannot also be {new.kind.value}"
        )
    aliases = _union(old.aliases, tuple(a for a in new.aliases if a != old.label))
    if new.label != old.label and new.label not in aliases:
        aliases += (new.label,)
    return old.model_copy(
        update={
            "aliases": aliases,
            "unnamed": old.unnamed and new.unnamed,
            "description": old.description or new.description,
            "identifiers": _union(old.identifiers, new.identifiers),
            "evidence": _union(old.evidence, new.evidence),
        }
    )


class GraphStore:
    """All nodes and edges of the knowledge graph, with the texts their evidence quotes.

    Examples
    --------
    >>> store = GraphStore()
    >>> store.add_node(Entity(id="kyiv", kind="place", label="Kyiv"))
    >>> store.add_node(Entity(id="ukraine", kind="state", label="Ukraine"))
    >>> store.add_edge(Edge(id="kyiv.located_in.ukraine", category="relation",
    ...                     type="located_in", source="kyiv", target="ukraine"))
    >>> store.node("kyiv").label, store.counts()["edges"]
    ('Kyiv', 1)
    """

    def __init__(self) -> None:
        self._graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
        self._edge_ends: dict[str, tuple[str, str]] = {}
        self._texts: dict[str, str] = {}
        self._by_type: dict[str, dict[str, None]] = defaultdict(dict)
        self._by_kind: dict[str, dict[str, None]] = defaultdict(dict)
        self._by_cameo: dict[str, dict[str, None]] = defaultdict(dict)
        self._edges_by_type: dict[str, dict[str, None]] = defaultdict(dict)
        self._event_order: list[tuple[dt.date, int, str]] = []  # (sort date, load order, id)
        self._event_span = dt.timedelta(0)
        self._event_keys: dict[str, tuple[dt.date, int, str]] = {}
        self._names = NameIndex()

    # -- writes ---------------------------------------------------------------------------

    def add_node(self, record: Node) -> None:
        """Add a node; an entity already present is merged with the new record."""
        if record.id in self._graph:
            existing = self._graph.nodes[record.id]["record"]
            if not (isinstance(existing, Entity) and isinstance(record, Entity)):
                raise ValueError(f"id {record.id!r} is already used by a {existing.node_type}")
            record = merge_entities(existing, record)
        self._graph.add_node(
            record.id, record=record, node_type=record.node_type, kind=str(record.kind)
        )
        self._by_type[record.node_type][record.id] = None
        self._by_kind[str(record.kind)][record.id] = None
        if isinstance(record, Entity):
            self._names.add(record.id, (record.label, *record.aliases))
        elif isinstance(record, Event):
            self._index_event(record)

    def _index_event(self, event: Event) -> None:
        self._by_cameo[event.cameo.code][event.id] = None
        first = event.date.start or event.date.end
        last = event.date.end or event.date.start
        if first is not None and last is not None:
            self._event_span = max(self._event_span, last - first)
        entry = (first or dt.date.max, len(self._by_type["event"]), event.id)
        self._event_keys[event.id] = entry
        bisect.insort(self._event_order, entry)

    def event_sort_key(self, event_id: str) -> tuple[dt.date, int, str]:
        """The key that orders events by date (undated last), then by load order."""
        return self._event_keys[event_id]

    def add_edge(self, edge: Edge) -> None:
        """Add an edge between two existing nodes; an edge id seen before merges evidence."""
        for end in (edge.source, edge.target):
            if end not in self._graph:
                raise NodeNotFoundError(end)
        if edge.id in self._edge_ends:
            old = self.edge(edge.id)
            if (old.source, old.target, old.type) != (edge.source, edge.target, edge.type):
                raise ValueError(f"edge id {edge.id!r} already names another edge")
            edge = old.model_copy(update={"evidence": _union(old.evidence, edge.evidence)})
        self._graph.add_edge(
            edge.source,
            edge.target,
            key=edge.id,
            record=edge,
            type=edge.type,
            category=edge.category,
        )
        self._edge_ends[edge.id] = (edge.source, edge.target)
        self._edges_by_type[edge.type][edge.id] = None

    def add_source_text(self, source_id: str, text: str) -> None:
        """Keep the text of a source document (evidence offsets point into it)."""
        self._texts[source_id] = text

    # -- reads ----------------------------------------------------------------------------

    @property
    def graph(self) -> nx.MultiDiGraph[str]:
        """The underlying graph. Treat it as read-only: write through the store."""
        return self._graph

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._graph

    def node(self, node_id: str) -> Node:
        """Return the record of any node; raise :class:`NodeNotFoundError` if unknown."""
        try:
            record: Node = self._graph.nodes[node_id]["record"]
        except KeyError:
            raise NodeNotFoundError(node_id) from None
        return record

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

    def ids(self, node_type: str) -> Collection[str]:
        """Ids of all nodes of one type (``entity``, ``event``, ``source``), in load order.

        A live read-only view: no copy is made.
        """
        return self._by_type.get(node_type, {}).keys()

    def ids_of_kind(self, kind: str) -> Collection[str]:
        """Ids of all nodes of one kind, in load order (a live read-only view)."""
        return self._by_kind.get(kind, {}).keys()

    def ids_of_cameo(self, code: str) -> Collection[str]:
        """Ids of the events with exactly this CAMEO code (a live read-only view)."""
        return self._by_cameo.get(code, {}).keys()

    def cameo_codes_in_use(self) -> Collection[str]:
        """The CAMEO codes that at least one event has."""
        return self._by_cameo.keys()

    def edge_ids_of_type(self, edge_type: str) -> Collection[str]:
        """Ids of the edges of one type, in load order (a live read-only view)."""
        return self._edges_by_type.get(edge_type, {}).keys()

    def events_by_date(
        self, first: dt.date | None = None, last: dt.date | None = None
    ) -> Sequence[tuple[dt.date, int, str]]:
        """Events as ``(sort date, load order, id)``, sorted; undated events last.

        The sort date is the start of the event's date interval (its end when only that is
        known). ``first``/``last`` keep the sort dates in that range, by binary search.
        """
        order = self._event_order
        lo = 0 if first is None else bisect.bisect_left(order, (first, -1, ""))
        hi = len(order) if last is None else bisect.bisect_right(order, (last, 2**62, ""))
        # The whole index is handed out as it is (no copy): callers must not change it.
        return order if (lo, hi) == (0, len(order)) else order[lo:hi]

    @property
    def longest_event_span(self) -> dt.timedelta:
        """The longest date interval of any event (to widen date-window searches)."""
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

    def edge(self, edge_id: str) -> Edge:
        """Return an edge record by its id; raise ``KeyError`` if unknown."""
        u, v = self._edge_ends[edge_id]
        record: Edge = self._graph.edges[u, v, edge_id]["record"]
        return record

    def edges(self) -> Iterator[Edge]:
        """Every edge record."""
        return (data["record"] for _, _, data in self._graph.edges(data=True))

    def out_edges(self, node_id: str) -> Iterator[Edge]:
        """Edges leaving a node."""
        return (d["record"] for _, _, d in self._graph.out_edges(node_id, data=True))

    def in_edges(self, node_id: str) -> Iterator[Edge]:
        """Edges entering a node."""
        return (d["record"] for _, _, d in self._graph.in_edges(node_id, data=True))

    def edges_between(self, u: str, v: str) -> list[Edge]:
        """All edges from ``u`` to ``v``."""
        data = self._graph.get_edge_data(u, v) or {}
        return [d["record"] for d in data.values()]

    def settle(self) -> None:
        """Finish index work left pending by writes, so that reads never modify the store.

        Loaders call this once a batch of writes is done.
        """
        self._names.flush()

    def entities_named(self, name: str) -> list[str]:
        """Entity ids whose label or an alias is ``name`` (case- and accent-insensitive)."""
        return self._names.exact(name)

    def search_entities(self, query: str) -> list[str]:
        """Entity ids whose label or an alias contains ``query``, best match first."""
        return self._names.search(query)

    def counts(self) -> dict[str, int]:
        """Numbers of nodes by type and of edges."""
        plural = {"entity": "entities", "event": "events", "source": "sources"}
        counts = {plural[t]: len(self._by_type.get(t, {})) for t in plural}
        counts["edges"] = self._graph.number_of_edges()
        return counts

    def iter_records(self, ids: Iterable[str]) -> Iterator[Node]:
        """Records of the given node ids."""
        return (self.node(i) for i in ids)
