"""The topology of the read model: integer-indexed adjacency in numpy arrays.

Every node and edge gets a dense integer (its *slot*) in load order. What searches need lives in
flat arrays indexed by slot: a node's type, kind and date span; an edge's ends, type and
category. Adjacency is a compressed sparse row (CSR) index over edge slots, one for edges
leaving a node and one for edges entering it, built in one pass, plus an *overlay* of edges
added since it was built. Writes patch the arrays and the overlay; when the overlay grows past
a fraction of the graph the CSR is rebuilt, which keeps each node's edges in load order: at
once (:meth:`Topology.compact`), or from copies of the arrays in another thread while writes go
on (:meth:`Topology.start_compaction`, then :meth:`Topology.finish_compaction`). Deleted slots
are marked dead and never reused while the process runs, so a slot named by a search stays
valid.

The path search (:meth:`Topology.bfs`) is bidirectional, a level at a time on the smaller
side. A small level is walked node by node, each node's neighbours one slice of the CSR; a
large one (a hub with tens of thousands of edges) is gathered at once with numpy
(:meth:`Topology.reach`), its first reaches found with stamp arrays reused between searches,
so it costs a few array operations, not a Python loop per edge. Both ways break ties alike.
Records (labels, evidence) are not here at all: the :class:`graph.store.GraphStore` fetches
them for the nodes and edges an answer returns.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from graph.ids import IdTable

__all__ = ["NO_DATE", "CsrBuild", "Topology", "TraversalFilter"]

NO_DATE = 0
"""The date ordinal stored for an unknown date (no real date has ordinal 0)."""

NODE_TYPES = ("", "entity", "event", "source")
"""Node type codes: the index in this tuple (0 marks a deleted slot)."""

EDGE_CATEGORIES = ("relation", "role")

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

_EMPTY = np.zeros(0, dtype=np.int32)


class _Column:
    """A numpy array that grows by doubling: appends are amortised O(1)."""

    def __init__(self, dtype: type[np.generic], fill: int = 0) -> None:
        self.data: npt.NDArray[Any] = np.full(16, fill, dtype=dtype)
        self.size = 0
        self._fill = fill

    def append(self, value: int) -> int:
        if self.size == len(self.data):
            grown = np.full(2 * len(self.data), self._fill, dtype=self.data.dtype)
            grown[: self.size] = self.data
            self.data = grown
        self.data[self.size] = value
        self.size += 1
        return self.size - 1

    def extend(self, values: npt.ArrayLike) -> None:
        array = np.asarray(values, dtype=self.data.dtype)
        need = self.size + len(array)
        if need > len(self.data):
            grown = np.full(max(need, 2 * len(self.data)), self._fill, dtype=self.data.dtype)
            grown[: self.size] = self.data[: self.size]
            self.data = grown
        self.data[self.size : need] = array
        self.size = need

    @classmethod
    def of(cls, array: npt.NDArray[Any], fill: int = 0) -> _Column:
        """A column holding a copy of ``array`` (with room to grow)."""
        column = cls(array.dtype.type, fill)
        column.extend(array)
        return column

    @property
    def view(self) -> npt.NDArray[Any]:
        """The filled part (a view: it stays valid only until the next append)."""
        return self.data[: self.size]


class _Vocabulary:
    """Strings interned as small integer codes (kinds, edge types)."""

    def __init__(self) -> None:
        self.names: list[str] = [""]
        self.codes: dict[str, int] = {"": 0}

    def code(self, name: str) -> int:
        found = self.codes.get(name)
        if found is None:
            found = self.codes[name] = len(self.names)
            self.names.append(name)
        return found

    def mask(self, names: Iterable[str] | None) -> Mask | None:
        """A boolean array over codes: True for the named strings; None for no restriction."""
        if names is None:
            return None
        mask = np.zeros(len(self.names), dtype=np.bool_)
        for name in names:
            code = self.codes.get(name)
            if code is not None:
                mask[code] = True
        return mask


@dataclass(frozen=True)
class TraversalFilter:
    """What a search may pass through (the ends of a path are always allowed).

    ``types``: edge types allowed; ``kinds``: node kinds allowed; ``start``/``end``: date
    ordinals an inner event must overlap (0 for no bound). Unset fields restrict nothing.
    """

    directed: bool = False
    types: frozenset[str] | None = None
    kinds: frozenset[str] | None = None
    start: int = NO_DATE
    end: int = NO_DATE


_LAST_NUMBER = 2**31 - 1


class _Side:
    """One side of a bidirectional search: the nodes it reached and the node each was reached
    from.

    A side starts small, in a dict. When a level grows large it moves to two numpy arrays
    over every node slot: a node is reached when its stamp equals the current search's
    number, so the arrays are never cleared between searches.
    """

    def __init__(self, size: int) -> None:
        self.stamp = np.zeros(size, dtype=np.int32)
        self.parent = np.zeros(size, dtype=np.int32)
        self.number = 0
        self.seen: dict[int, int] | None = {}

    def start(self, root: int) -> _Side:
        self.number += 1
        if self.number == _LAST_NUMBER:
            self.stamp[:] = 0
            self.number = 1
        self.seen = {root: -1}
        return self

    def to_arrays(self) -> None:
        """Move what the side reached from its dict to the arrays."""
        if self.seen is None:
            return
        nodes = np.fromiter(self.seen.keys(), dtype=np.int32, count=len(self.seen))
        parents = np.fromiter(self.seen.values(), dtype=np.int32, count=len(self.seen))
        self.stamp[nodes] = self.number
        self.parent[nodes] = parents
        self.seen = None

    def reached(self, node: int) -> bool:
        if self.seen is not None:
            return node in self.seen
        return bool(self.stamp[node] == self.number)

    def has(self, nodes: I32) -> Mask:
        """Which of ``nodes`` the side reached (the side must be in its arrays)."""
        found: Mask = self.stamp[nodes] == self.number
        return found

    def first(self, nodes: I32) -> I32:
        """Where each distinct node of ``nodes`` (none of them reached yet) first occurs, in
        order. Uses the parent array of nodes not reached as scratch, without a sort."""
        order = np.arange(len(nodes), dtype=np.int32)
        self.parent[nodes] = _LAST_NUMBER
        np.minimum.at(self.parent, nodes, order)
        found: I32 = np.flatnonzero(self.parent[nodes] == order).astype(np.int32)
        return found

    def add(self, nodes: I32, parents: I32) -> None:
        self.stamp[nodes] = self.number
        self.parent[nodes] = parents

    def path_to(self, node: int) -> list[int]:
        """From ``node`` back to this side's root."""
        path = [node]
        seen = self.seen
        while (node := seen[node] if seen is not None else int(self.parent[node])) != -1:
            path.append(node)
        return path


class _Marks:
    """Reusable search state, one pair of sides per search running at once (searches run in
    several threads), so a search allocates nothing in proportion to the graph."""

    _KEEP = 4

    def __init__(self) -> None:
        self._free: list[tuple[_Side, _Side]] = []
        self._lock = threading.Lock()

    def take(self, size: int) -> tuple[_Side, _Side]:
        with self._lock:
            pair = self._free.pop() if self._free else None
        if pair is None or len(pair[0].stamp) < size:
            room = size + size // 4 + 64
            pair = (_Side(room), _Side(room))
        return pair

    def give_back(self, pair: tuple[_Side, _Side]) -> None:
        with self._lock:
            if len(self._free) < self._KEEP:
                self._free.append(pair)


@dataclass
class CsrBuild:
    """A CSR index built from copies of the edge arrays (see :meth:`Topology.start_compaction`):
    :meth:`run` needs no lock, as nothing else reads or writes these copies."""

    nodes: int
    alive: Mask
    sources: I32
    targets: I32
    slot: I32 = field(default_factory=lambda: _EMPTY)
    far: I32 = field(default_factory=lambda: _EMPTY)
    ptr: I64 | None = None
    split: I64 | None = None

    def run(self) -> None:
        alive = np.flatnonzero(self.alive).astype(np.int32)
        sources = self.sources[alive]
        targets = self.targets[alive]
        owners = np.concatenate([sources, targets])
        inward = np.repeat(np.array([0, 1], dtype=np.int8), len(alive))
        slots = np.concatenate([alive, alive])
        order = np.lexsort((slots, inward, owners))
        self.slot = slots[order].astype(np.int32)
        self.far = np.concatenate([targets, sources])[order].astype(np.int32)
        counts = np.bincount(owners, minlength=self.nodes)
        self.ptr = np.zeros(self.nodes + 1, dtype=np.int64)
        np.cumsum(counts, out=self.ptr[1:])
        self.split = self.ptr[:-1] + np.bincount(sources, minlength=self.nodes)


class Topology:
    """Nodes and edges as integer slots with CSR adjacency and a write overlay.

    Examples
    --------
    >>> topo = Topology()
    >>> for name in "abc":
    ...     _ = topo.add_node(name, "entity", "place")
    >>> _ = topo.add_edge("a-b", "a", "b", "located_in", "relation")
    >>> _ = topo.add_edge("b-c", "b", "c", "located_in", "relation")
    >>> [topo.node_ids[i] for i in topo.bfs(topo.node_index["a"], topo.node_index["c"],
    ...                                      TraversalFilter(), max_hops=5)]
    ['a', 'b', 'c']
    """

    def __init__(self) -> None:
        self.node_ids = IdTable()
        self.node_index = self.node_ids.index
        self.node_type = _Column(np.uint8)
        self.node_kind = _Column(np.uint16)
        self.node_rank = _Column(np.int64)
        self.first_day = _Column(np.int32)  # events: first day of the date interval (ordinal)
        self.last_day = _Column(np.int32)
        self.node_cameo = _Column(np.uint16)  # events: CAMEO code (interned)
        self.edge_ids = IdTable()
        self.edge_index = self.edge_ids.index
        self.edge_source = _Column(np.int32, -1)
        self.edge_target = _Column(np.int32, -1)
        self.edge_type = _Column(np.uint16)
        self.edge_category = _Column(np.uint8)
        self.edge_rank = _Column(np.int64)
        self.edge_alive = _Column(np.bool_)
        self.kinds = _Vocabulary()
        self.types = _Vocabulary()
        self.cameos = _Vocabulary()
        self.type_counts: dict[str, int] = {}
        self.kind_counts: dict[str, int] = {}
        self.cameo_counts: dict[str, int] = {}
        self.nodes_of_type = [0, 0, 0, 0]
        self._next_node_rank = 0
        self._next_edge_rank = 0
        # CSR for nodes below ``_base_nodes``: node u's entries are _ptr[u].._ptr[u+1], its
        # out-edges first (up to _split[u]), then its in-edges, each part in load order; an
        # entry is an edge slot (_slot) and the node at its other end (_far). Edges added since
        # are in the overlay (_out_extra, _in_extra); nodes whose CSR entries may be stale (an
        # edge deleted or moved) are _dirty and are read with checks.
        self._base_nodes = 0
        self._ptr: I64 = np.zeros(1, dtype=np.int64)
        self._split: I64 = np.zeros(0, dtype=np.int64)
        self._slot: I32 = _EMPTY
        self._far: I32 = _EMPTY
        self._out_extra: dict[int, list[int]] = {}
        self._in_extra: dict[int, list[int]] = {}
        self._marks = _Marks()
        # While a CSR is built in the background (:meth:`start_compaction`): the slots of the
        # edges removed or moved since its copy of the arrays was taken.
        self._journal: list[int] | None = None
        self._dirty: set[int] = set()
        self._overlay = 0

    # -- counts -----------------------------------------------------------------------------

    @property
    def node_count(self) -> int:
        return len(self.node_index)

    @property
    def edge_count(self) -> int:
        return len(self.edge_index)

    # -- writes -----------------------------------------------------------------------------

    def add_node(
        self,
        node_id: str,
        node_type: str,
        kind: str,
        *,
        first: int = NO_DATE,
        last: int = NO_DATE,
        cameo: str = "",
        rank: int | None = None,
    ) -> int:
        """Add a node, or update the kind, dates and CAMEO code of a node with this id (it
        keeps its slot); return its slot. ``ValueError`` if the id has another node type."""
        slot = self.node_index.get(node_id)
        type_code = NODE_TYPES.index(node_type)
        if slot is not None:
            old_type = self.type_code(slot)
            if old_type != type_code:
                raise ValueError(f"id {node_id!r} is already used by a {NODE_TYPES[old_type]}")
            self._count_node(slot, -1)
            self.node_kind.data[slot] = self.kinds.code(kind)
            self.node_cameo.data[slot] = self.cameos.code(cameo)
            self.first_day.data[slot] = first
            self.last_day.data[slot] = last
            self._count_node(slot, 1)
            return slot
        if rank is None:
            rank = self._next_node_rank + 1
        self._next_node_rank = max(self._next_node_rank, rank)
        slot = self.node_ids.append(node_id)
        self.node_type.append(type_code)
        self.node_kind.append(self.kinds.code(kind))
        self.node_cameo.append(self.cameos.code(cameo))
        self.node_rank.append(rank)
        self.first_day.append(first)
        self.last_day.append(last)
        self._count_node(slot, 1)
        return slot

    def load_nodes(
        self,
        *,
        ids: list[str],
        types: list[str],
        kinds: list[str],
        ranks: list[int],
        first: list[int],
        last: list[int],
        cameos: list[str],
    ) -> None:
        """Add many new nodes at once (columns of equal length): the fast path of a load."""
        if len(self.node_ids):
            raise ValueError("nodes are loaded in bulk into an empty topology only")
        self.node_ids = IdTable.build(ids)
        self.node_index = self.node_ids.index
        type_codes = np.fromiter((NODE_TYPES.index(t) for t in types), np.uint8, len(types))
        self.node_type.extend(type_codes)
        self.node_kind.extend([self.kinds.code(k) for k in kinds])
        self.node_cameo.extend([self.cameos.code(c) for c in cameos])
        self.node_rank.extend(ranks)
        self.first_day.extend(first)
        self.last_day.extend(last)
        if ranks:
            self._next_node_rank = max(self._next_node_rank, *ranks)
        for code, n in enumerate(np.bincount(type_codes, minlength=len(NODE_TYPES)).tolist()):
            self.nodes_of_type[code] += n
        for name, n in _tally(kinds).items():
            self.kind_counts[name] = self.kind_counts.get(name, 0) + n
        for name, n in _tally(cameos).items():
            if name:
                self.cameo_counts[name] = self.cameo_counts.get(name, 0) + n

    def load_edges(
        self,
        *,
        ids: list[str],
        sources: list[str],
        targets: list[str],
        types: list[str],
        categories: list[str],
        ranks: list[int],
    ) -> None:
        """Add many new edges at once between known nodes, then rebuild the CSR index."""
        if len(self.edge_ids):
            raise ValueError("edges are loaded in bulk into a topology without edges only")
        # A plain dict for the duration of the load: one lookup per end is much cheaper there.
        index = {node_id: slot for slot, node_id in enumerate(self.node_ids) if node_id}
        try:
            source_slots = [index[u] for u in sources]
            target_slots = [index[v] for v in targets]
        except KeyError as exc:
            raise ValueError(f"an edge names an unknown node {exc}") from None
        del index
        self.edge_ids = IdTable.build(ids)
        self.edge_index = self.edge_ids.index
        self.edge_source.extend(source_slots)
        self.edge_target.extend(target_slots)
        self.edge_type.extend([self.types.code(t) for t in types])
        self.edge_category.extend([EDGE_CATEGORIES.index(c) for c in categories])
        self.edge_rank.extend(ranks)
        self.edge_alive.extend(np.ones(len(ids), dtype=np.bool_))
        if ranks:
            self._next_edge_rank = max(self._next_edge_rank, *ranks)
        for name, n in _tally(types).items():
            self.type_counts[name] = self.type_counts.get(name, 0) + n
        self.compact()

    _NODE_COLUMNS = ("node_type", "node_kind", "node_cameo", "node_rank", "first_day", "last_day")
    _EDGE_COLUMNS = ("edge_type", "edge_category", "edge_rank")

    def state(self) -> dict[str, npt.NDArray[Any]]:
        """The live nodes and edges as flat arrays (slots renumbered densely, load order and
        ranks kept), for :meth:`from_state`."""
        nodes = np.flatnonzero(self.node_type.view != 0)
        edges = np.flatnonzero(self.edge_alive.view)
        renumber = np.full(len(self.node_ids), -1, dtype=np.int32)
        renumber[nodes] = np.arange(len(nodes), dtype=np.int32)
        state: dict[str, npt.NDArray[Any]] = {
            "node_ids": _blob(_pick(self.node_ids, nodes)),
            "edge_ids": _blob(_pick(self.edge_ids, edges)),
            "edge_source": renumber[self.edge_source.view[edges]],
            "edge_target": renumber[self.edge_target.view[edges]],
            "kinds": _blob(self.kinds.names),
            "types": _blob(self.types.names),
            "cameos": _blob(self.cameos.names),
        }
        for name in self._NODE_COLUMNS:
            state[name] = getattr(self, name).view[nodes]
        for name in self._EDGE_COLUMNS:
            state[name] = getattr(self, name).view[edges]
        return state

    @classmethod
    def from_state(cls, state: Mapping[str, npt.NDArray[Any]]) -> Topology:
        """A topology from :meth:`state`'s arrays; ``ValueError`` if they do not fit together."""
        topo = cls()
        node_ids = _unblob(state["node_ids"])
        edge_ids = _unblob(state["edge_ids"])
        nodes, edges = len(node_ids), len(edge_ids)
        for name in cls._NODE_COLUMNS:
            if len(state[name]) != nodes:
                raise ValueError(f"{name}: {len(state[name])} values for {nodes} nodes")
            setattr(topo, name, _Column.of(state[name]))
        for name in (*cls._EDGE_COLUMNS, "edge_source", "edge_target"):
            if len(state[name]) != edges:
                raise ValueError(f"{name}: {len(state[name])} values for {edges} edges")
        for name, vocabulary in (
            ("kinds", topo.kinds),
            ("types", topo.types),
            ("cameos", topo.cameos),
        ):
            vocabulary.names = _unblob(state[name]) or [""]  # [""] and [] encode alike
            vocabulary.codes = {n: i for i, n in enumerate(vocabulary.names)}
            if vocabulary.names[:1] != [""] or len(vocabulary.codes) != len(vocabulary.names):
                raise ValueError(f"{name}: not a vocabulary")
        checks = [
            ("node_type", len(NODE_TYPES)),
            ("node_kind", len(topo.kinds.names)),
            ("node_cameo", len(topo.cameos.names)),
            ("edge_type", len(topo.types.names)),
            ("edge_category", len(EDGE_CATEGORIES)),
            ("edge_source", nodes),
            ("edge_target", nodes),
        ]
        for name, bound in checks:
            values = state[name]
            if len(values) and (int(values.min()) < 0 or int(values.max()) >= bound):
                raise ValueError(f"{name}: a value out of range")
        if nodes and int(state["node_type"].min()) == 0:
            raise ValueError("node_type: a deleted node")
        topo.node_ids = IdTable.build(node_ids)
        topo.node_index = topo.node_ids.index
        topo.edge_ids = IdTable.build(edge_ids)
        topo.edge_index = topo.edge_ids.index
        topo.edge_source = _Column.of(state["edge_source"].astype(np.int32), -1)
        topo.edge_target = _Column.of(state["edge_target"].astype(np.int32), -1)
        for name in cls._EDGE_COLUMNS:
            setattr(topo, name, _Column.of(state[name]))
        topo.edge_alive = _Column.of(np.ones(edges, dtype=np.bool_))
        topo.nodes_of_type = np.bincount(topo.node_type.view, minlength=len(NODE_TYPES)).tolist()
        topo.kind_counts = _counts(topo.node_kind.view, topo.kinds.names)
        topo.cameo_counts = _counts(topo.node_cameo.view, topo.cameos.names)
        topo.cameo_counts.pop("", None)
        topo.type_counts = _counts(topo.edge_type.view, topo.types.names)
        topo._next_node_rank = int(topo.node_rank.view.max()) if nodes else 0
        topo._next_edge_rank = int(topo.edge_rank.view.max()) if edges else 0
        topo.compact()
        return topo

    def type_code(self, slot: int) -> int:
        """The node type code of a slot (an index into :data:`NODE_TYPES`; 0 if deleted)."""
        return int(self.node_type.data[slot])

    def _count_node(self, slot: int, step: int) -> None:
        self.nodes_of_type[self.type_code(slot)] += step
        kind = self.kinds.names[int(self.node_kind.data[slot])]
        self.kind_counts[kind] = self.kind_counts.get(kind, 0) + step
        cameo = self.cameos.names[int(self.node_cameo.data[slot])]
        if cameo:
            self.cameo_counts[cameo] = self.cameo_counts.get(cameo, 0) + step

    def remove_node(self, node_id: str) -> None:
        """Remove a node without edges (the caller checks); its slot is marked dead."""
        slot = self.node_index.pop(node_id)
        self._count_node(slot, -1)
        self.node_type.data[slot] = 0
        self._out_extra.pop(slot, None)
        self._in_extra.pop(slot, None)

    def add_edge(
        self,
        edge_id: str,
        source: str,
        target: str,
        edge_type: str,
        category: str,
        *,
        rank: int | None = None,
    ) -> int:
        """Add an edge between existing nodes, or update the edge with this id (ends included:
        it keeps its slot and so its place in load order). Returns its slot."""
        u, v = self.node_index[source], self.node_index[target]
        type_code = self.types.code(edge_type)
        slot = self.edge_index.get(edge_id)
        if slot is not None:
            old_type = self.types.names[int(self.edge_type.data[slot])]
            self.type_counts[old_type] -= 1
            self.type_counts[edge_type] = self.type_counts.get(edge_type, 0) + 1
            self.edge_type.data[slot] = type_code
            self.edge_category.data[slot] = EDGE_CATEGORIES.index(category)
            if (int(self.edge_source.data[slot]), int(self.edge_target.data[slot])) != (u, v):
                if self._journal is not None:
                    self._journal.append(slot)
                self._dirty.add(int(self.edge_source.data[slot]))
                self._dirty.add(int(self.edge_target.data[slot]))
                self.edge_source.data[slot] = u
                self.edge_target.data[slot] = v
                self._link(slot, u, v)
            return slot
        if rank is None:
            rank = self._next_edge_rank + 1
        self._next_edge_rank = max(self._next_edge_rank, rank)
        slot = self.edge_ids.append(edge_id)
        self.edge_source.append(u)
        self.edge_target.append(v)
        self.edge_type.append(type_code)
        self.edge_category.append(EDGE_CATEGORIES.index(category))
        self.edge_rank.append(rank)
        self.edge_alive.append(True)
        self.type_counts[edge_type] = self.type_counts.get(edge_type, 0) + 1
        self._link(slot, u, v)
        return slot

    def _link(self, slot: int, u: int, v: int) -> None:
        self._out_extra.setdefault(u, []).append(slot)
        self._in_extra.setdefault(v, []).append(slot)
        self._overlay += 1

    def remove_edge(self, edge_id: str) -> None:
        """Remove an edge: its slot is marked dead (searches skip it)."""
        slot = self.edge_index.pop(edge_id)
        self.edge_alive.data[slot] = False
        if self._journal is not None:
            self._journal.append(slot)
        self._dirty.add(int(self.edge_source.data[slot]))
        self._dirty.add(int(self.edge_target.data[slot]))
        name = self.types.names[int(self.edge_type.data[slot])]
        self.type_counts[name] -= 1

    COMPACT_MIN = 4096
    """The overlay is folded into the CSR when it holds more than this many edges, or an
    eighth of the graph if that is more."""

    def needs_compaction(self) -> bool:
        """Whether the overlay has grown enough to rebuild the CSR index."""
        return self._overlay > max(self.COMPACT_MIN, len(self.edge_ids) // 8)

    def compact(self) -> None:
        """Rebuild the CSR index from the arrays: every live edge, each node's in load order."""
        build = self.start_compaction()
        build.run()
        self.finish_compaction(build)

    def start_compaction(self) -> CsrBuild:
        """Copy what a CSR rebuild needs; :meth:`CsrBuild.run` may then run in another thread
        while writes go on (each removed or moved edge is journaled), and
        :meth:`finish_compaction` swaps the result in (under the caller's write lock)."""
        self._journal = []
        return CsrBuild(
            nodes=len(self.node_ids),
            alive=self.edge_alive.view.copy(),
            sources=self.edge_source.view.copy(),
            targets=self.edge_target.view.copy(),
        )

    def finish_compaction(self, build: CsrBuild) -> None:
        """Put a finished build in place. Edges added since its copy was taken go back into
        the overlay, and the old ends of edges removed or moved since are marked dirty."""
        assert build.ptr is not None and build.split is not None
        journal = self._journal if self._journal is not None else []
        self._journal = None
        self._slot, self._far = build.slot, build.far
        self._ptr, self._split = build.ptr, build.split
        self._base_nodes = build.nodes
        self._out_extra, self._in_extra = {}, {}
        self._dirty = set()
        self._overlay = 0
        copied = len(build.alive)
        later = list(range(copied, self.edge_source.size))
        for slot in journal:
            if slot < copied:
                self._dirty.add(int(build.sources[slot]))
                self._dirty.add(int(build.targets[slot]))
                later.append(slot)
        for slot in sorted(set(later)):
            if self.edge_alive.data[slot]:
                self._link(slot, int(self.edge_source.data[slot]), int(self.edge_target.data[slot]))
        for table in (self.node_ids, self.edge_ids):
            if table.needs_consolidation():
                table.consolidate()

    def abandon_compaction(self) -> None:
        """Forget a build that will not be put in place."""
        self._journal = None

    @property
    def compacting(self) -> bool:
        """Whether a build started by :meth:`start_compaction` has not been put in place."""
        return self._journal is not None

    # -- adjacency --------------------------------------------------------------------------

    def _range(self, node: int, out: bool) -> tuple[int, int]:
        if node >= self._base_nodes:
            return 0, 0
        if out:
            return int(self._ptr[node]), int(self._split[node])
        return int(self._split[node]), int(self._ptr[node + 1])

    def out_slots(self, node: int) -> I32:
        """Slots of the live edges leaving a node, in load order."""
        return self._adjacent(node, True)

    def in_slots(self, node: int) -> I32:
        """Slots of the live edges entering a node, in load order."""
        return self._adjacent(node, False)

    def _adjacent(self, node: int, out: bool) -> I32:
        lo, hi = self._range(node, out)
        slots = self._slot[lo:hi]
        more = (self._out_extra if out else self._in_extra).get(node)
        if more:
            slots = np.unique(np.concatenate([slots, np.asarray(more, dtype=np.int32)]))
        elif node not in self._dirty:
            return slots
        ends = self.edge_source.data if out else self.edge_target.data
        keep = self.edge_alive.data[slots] & (ends[slots] == node)
        return slots if keep.all() else slots[keep]

    def _clean(self, node: int) -> bool:
        """Whether a node's CSR entries are exactly its live edges."""
        return (
            node not in self._dirty and node not in self._out_extra and node not in self._in_extra
        )

    def degree(self, node: int) -> int:
        return len(self.out_slots(node)) + len(self.in_slots(node))

    def slots_between(self, u: int, v: int) -> I32:
        """Slots of the live edges from ``u`` to ``v``, in load order."""
        out = self.out_slots(u)
        found: I32 = out[self.edge_target.data[out] == v]
        return found

    # -- searches ---------------------------------------------------------------------------

    def bfs(
        self,
        source: int,
        target: int,
        flt: TraversalFilter,
        *,
        max_hops: int,
        banned_nodes: Iterable[int] = (),
        banned_hops: Iterable[tuple[int, int]] = (),
    ) -> list[int] | None:
        """A shortest path of at most ``max_hops`` hops as node slots, or None.

        Bidirectional breadth-first search, a level at a time on the smaller side, stopping at
        the level where both sides meet. A small level is walked node by node; a large one
        (hubs) is gathered from the CSR with numpy (:meth:`reach`). Both give the same answer:
        ties are broken by frontier order, then, for each node, the edges in its direction of
        travel first, each group in load order; the first node in that order reached from both
        sides is where the path meets, so the same graph gives the same path on every run.
        ``banned_nodes`` may not be entered; ``banned_hops`` (u, v) may not be taken (either
        way when undirected).
        """
        if source == target:
            return [source]
        ok = _NodeTest(self, flt, (source, target), banned_nodes)
        hops_banned = set(banned_hops)
        if not flt.directed:
            hops_banned |= {(v, u) for u, v in hops_banned}
        marks = self._marks.take(len(self.node_ids))
        try:
            ahead = _Walk(
                self,
                ok,
                marks[0].start(source),
                (True,) if flt.directed else (True, False),
                hops_banned,
            )
            behind = _Walk(
                self,
                ok,
                marks[1].start(target),
                (False,) if flt.directed else (False, True),
                {(v, u) for u, v in hops_banned},
            )
            ahead.frontier, behind.frontier = [source], [target]
            hops = 0
            while len(ahead.frontier) and len(behind.frontier) and hops < max_hops:
                hops += 1
                if len(ahead.frontier) <= len(behind.frontier):
                    meet = ahead.step(behind.side)
                else:
                    meet = behind.step(ahead.side)
                if meet is not None:
                    return ahead.side.path_to(meet)[::-1] + behind.side.path_to(meet)[1:]
            return None
        finally:
            self._marks.give_back(marks)

    def _hop(self, node: int, out: bool, ok: _NodeTest | None) -> list[int]:
        """Nodes one edge away in one direction (one entry per edge, in load order), through
        edges and to nodes the test allows."""
        if ok is None and self._clean(node):
            lo, hi = self._range(node, out)
            found: list[int] = self._far[lo:hi].tolist()
            return found
        slots = self._adjacent(node, out)
        far = (self.edge_target.data if out else self.edge_source.data)[slots]
        if ok is not None:
            keep = ok.edges(slots) & ok.nodes(far)
            far = far[keep]
        found = far.tolist()
        return found

    def reach(self, frontier: I32, parts: tuple[bool, ...]) -> tuple[I32, I32, I32]:
        """Every live edge of each frontier node, in the directions ``parts`` names (True: the
        edges leaving it; False: those entering it).

        Returns (position in the frontier, edge slot, node at the other end), ordered by
        frontier position, then by the order of ``parts``, then load order. CSR entries of
        clean nodes are taken as they are; those of dirty nodes and the overlay's are checked
        against the edge arrays.
        """
        count = len(parts)
        in_base = frontier < self._base_nodes
        base_nodes = frontier[in_base]
        positions = np.flatnonzero(in_base).astype(np.int32)
        starts = np.empty((len(base_nodes), count), dtype=np.int64)
        ends = np.empty((len(base_nodes), count), dtype=np.int64)
        for i, out in enumerate(parts):
            if out:
                starts[:, i], ends[:, i] = self._ptr[base_nodes], self._split[base_nodes]
            else:
                starts[:, i], ends[:, i] = self._split[base_nodes], self._ptr[base_nodes + 1]
        lengths = (ends - starts).ravel()
        total = int(lengths.sum())
        if not total:
            slots, owners, far = _EMPTY, _EMPTY, _EMPTY
            part = np.zeros(0, dtype=np.int8)
        else:
            entries = np.repeat(starts.ravel() - (np.cumsum(lengths) - lengths), lengths)
            entries += np.arange(total)
            slots, far = self._slot[entries], self._far[entries]
            owners = np.repeat(np.repeat(positions, count), lengths)
            part = np.repeat(np.tile(np.arange(count, dtype=np.int8), len(base_nodes)), lengths)
            if self._dirty:
                dirty = np.fromiter(self._dirty, dtype=np.int32, count=len(self._dirty))
                stale = np.isin(frontier, dirty)[owners]
                if stale.any():
                    keep, far = self._check(frontier, parts, slots, owners, part)
                    keep |= ~stale
                    slots, owners, part, far = slots[keep], owners[keep], part[keep], far[keep]
        if self._out_extra or self._in_extra:
            slots, owners, part, far = self._with_overlay(
                frontier, parts, slots=slots, owners=owners, part=part, far=far
            )
        return owners, slots, far

    def _check(
        self,
        frontier: I32,
        parts: tuple[bool, ...],
        slots: I32,
        owners: I32,
        part: npt.NDArray[np.int8],
    ) -> tuple[Mask, I32]:
        """Which entries are live edges of their frontier node, and each one's other end, read
        from the edge arrays."""
        outward = np.asarray(parts, dtype=np.bool_)[part]
        sources = self.edge_source.data[slots]
        targets = self.edge_target.data[slots]
        near = np.where(outward, sources, targets)
        keep: Mask = self.edge_alive.data[slots] & (near == frontier[owners])
        far: I32 = np.where(outward, targets, sources).astype(np.int32)
        return keep, far

    def _with_overlay(
        self,
        frontier: I32,
        parts: tuple[bool, ...],
        *,
        slots: I32,
        owners: I32,
        part: npt.NDArray[np.int8],
        far: I32,
    ) -> tuple[I32, I32, npt.NDArray[np.int8], I32]:
        """Add the overlay's live edges of the frontier nodes, in order and without repeats."""
        more_slots: list[int] = []
        more_owners: list[int] = []
        more_part: list[int] = []
        for i, out in enumerate(parts):
            extra = self._out_extra if out else self._in_extra
            if not extra:
                continue
            keys = np.fromiter(extra.keys(), dtype=np.int32, count=len(extra))
            for position in np.flatnonzero(np.isin(frontier, keys)).tolist():
                added = extra[int(frontier[position])]
                more_slots.extend(added)
                more_owners.extend([position] * len(added))
                more_part.extend([i] * len(added))
        if not more_slots:
            return slots, owners, part, far
        add_slots = np.asarray(more_slots, dtype=np.int32)
        add_owners = np.asarray(more_owners, dtype=np.int32)
        add_part = np.asarray(more_part, dtype=np.int8)
        keep, add_far = self._check(frontier, parts, add_slots, add_owners, add_part)
        slots = np.concatenate([slots, add_slots[keep]])
        owners = np.concatenate([owners, add_owners[keep]])
        part = np.concatenate([part, add_part[keep]])
        far = np.concatenate([far, add_far[keep]])
        order = np.lexsort((slots, part, owners))
        slots, owners, part, far = slots[order], owners[order], part[order], far[order]
        fresh = np.ones(len(slots), dtype=np.bool_)
        fresh[1:] = (
            (slots[1:] != slots[:-1]) | (owners[1:] != owners[:-1]) | (part[1:] != part[:-1])
        )
        return slots[fresh], owners[fresh], part[fresh], far[fresh]

    def expand(self, frontier: I32, out: bool) -> tuple[I32, I32, I32]:
        """Every live edge leaving (``out``) or entering each frontier node.

        Returns (position in the frontier, edge slot, node at the other end), ordered by
        frontier position and then load order.
        """
        return self.reach(frontier, (out,))

    def neighbours(self, node: int, out: bool, types: frozenset[str] | None = None) -> I32:
        """Distinct nodes one hop away in one direction, ordered by their first edge."""
        slots = self.out_slots(node) if out else self.in_slots(node)
        if types is not None:
            mask = self.types.mask(types)
            assert mask is not None
            slots = slots[mask[self.edge_type.data[slots]]]
        far = (self.edge_target.data if out else self.edge_source.data)[slots]
        _, first = np.unique(far, return_index=True)
        found: I32 = far[np.sort(first)].astype(np.int32)
        return found


class _Walk:
    """One side of a bidirectional search in motion: its side, its frontier, and how it steps
    (the directions it follows and the hops it may not take)."""

    SMALL = 384
    """A level with at most this many edges is walked node by node; above it, with numpy."""

    def __init__(
        self,
        topo: Topology,
        ok: _NodeTest,
        side: _Side,
        parts: tuple[bool, ...],
        banned_hops: set[tuple[int, int]],
    ) -> None:
        self.topo = topo
        self.ok = ok
        self.test = None if ok.trivial else ok
        self.side = side
        self.parts = parts
        self.banned_hops = banned_hops
        self.frontier: list[int] | I32 = []

    def step(self, other: _Side) -> int | None:
        """Advance one level; returns the node where this side meets ``other``, if it does."""
        if self.side.seen is not None and len(self.frontier) <= self.SMALL:
            done, meet = self._small_step(other)
            if done:
                return meet
        self.side.to_arrays()
        other.to_arrays()
        return self._large_step(np.asarray(self.frontier, dtype=np.int32), other)

    def _small_step(self, other: _Side) -> tuple[bool, int | None]:
        """The level node by node: (True, the meeting node or None), or (False, None) with
        nothing changed when the level turns out to have more than ``SMALL`` edges."""
        seen = self.side.seen
        assert seen is not None
        topo, test, banned = self.topo, self.test, self.banned_hops
        before = len(seen)
        budget = self.SMALL
        level: list[int] = []
        for u in self.frontier:
            for out in self.parts:
                lo, hi = topo._range(u, out)
                budget -= hi - lo
                if budget < 0:
                    for _ in range(len(seen) - before):
                        seen.popitem()
                    return False, None
                for v in topo._hop(u, out, test):
                    if v in seen or (banned and (u, v) in banned):
                        continue
                    seen[v] = u
                    if other.reached(v):
                        self.frontier = []
                        return True, v
                    level.append(v)
        self.frontier = level
        return True, None

    def _large_step(self, frontier: I32, other: _Side) -> int | None:
        owners, slots, far = self.topo.reach(frontier, self.parts)
        near = frontier[owners]
        keep = None
        if self.test is not None:
            keep = self.test.edges(slots) & self.test.nodes(far)
        if self.banned_hops:
            pairs = near.astype(np.int64) * (1 << 32) + far
            banned = np.array([u * (1 << 32) + v for u, v in self.banned_hops], dtype=np.int64)
            allowed = ~np.isin(pairs, banned)
            keep = allowed if keep is None else keep & allowed
        if keep is not None:
            near, far = near[keep], far[keep]
        fresh = ~self.side.has(far)
        near, far = near[fresh], far[fresh]
        first = self.side.first(far)
        near, far = near[first], far[first]
        meets = np.flatnonzero(other.has(far))
        if len(meets):
            at = int(meets[0])
            self.side.add(far[at : at + 1], near[at : at + 1])
            self.frontier = _EMPTY
            return int(far[at])
        self.side.add(far, near)
        self.frontier = far
        return None


class _NodeTest:
    """Vectorised tests for what a search may pass through."""

    def __init__(
        self,
        topo: Topology,
        flt: TraversalFilter,
        ends: Sequence[int],
        banned: Iterable[int],
    ) -> None:
        self.topo = topo
        self.types = topo.types.mask(flt.types)
        self.kinds = topo.kinds.mask(flt.kinds)
        self.start, self.end = flt.start, flt.end
        self.ends = np.asarray(list(ends), dtype=np.int32)
        self.banned = np.asarray(list(banned), dtype=np.int32)
        self.trivial = (
            self.types is None
            and self.kinds is None
            and not (self.start or self.end)
            and not len(self.banned)
        )
        """Whether the test lets everything through (searches then skip it)."""

    def edges(self, slots: I32) -> Mask:
        if self.types is None:
            return np.ones(len(slots), dtype=np.bool_)
        allowed: Mask = self.types[self.topo.edge_type.data[slots]]
        return allowed

    def nodes(self, nodes: I32) -> Mask:
        topo = self.topo
        keep = np.ones(len(nodes), dtype=np.bool_)
        if self.kinds is not None:
            keep &= self.kinds[topo.node_kind.data[nodes]]
        if self.start or self.end:
            events = topo.node_type.data[nodes] == NODE_TYPES.index("event")
            first = topo.first_day.data[nodes]
            last = topo.last_day.data[nodes]
            meets = (first != NO_DATE) & (last != NO_DATE)
            if self.start:
                meets &= last >= self.start
            if self.end:
                meets &= first <= self.end
            keep &= ~events | meets
        if len(self.ends):
            keep |= np.isin(nodes, self.ends)
        if len(self.banned):
            keep &= ~np.isin(nodes, self.banned)
        return keep


def _pick(table: IdTable, slots: npt.NDArray[Any]) -> list[str]:
    every = list(table)
    return [every[s] or "" for s in slots.tolist()]


def _blob(items: list[str]) -> npt.NDArray[np.uint8]:
    """Strings as one NUL-separated UTF-8 byte array."""
    return np.frombuffer("\x00".join(items).encode(), dtype=np.uint8)


def _unblob(blob: npt.NDArray[Any]) -> list[str]:
    text = bytes(blob).decode()
    return text.split("\x00") if text else []


def _counts(codes: npt.NDArray[Any], names: list[str]) -> dict[str, int]:
    tally = np.bincount(codes, minlength=len(names)).tolist()
    return {name: n for name, n in zip(names, tally, strict=False) if n}


def _tally(names: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return counts
