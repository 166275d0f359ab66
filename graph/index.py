"""The topology of the read model: integer-indexed adjacency in numpy arrays.

Every node and edge gets a dense integer (its *slot*) in load order. What searches need lives in
flat arrays indexed by slot: a node's type, kind and date span; an edge's ends, type and
category. Adjacency is a compressed sparse row (CSR) index over edge slots, one for edges
leaving a node and one for edges entering it, built in one pass, plus an *overlay* of edges
added since it was built. Writes patch the arrays and the overlay; when the overlay grows past
a fraction of the graph the CSR is rebuilt (:meth:`Topology.compact`), which keeps each node's
edges in load order. Deleted slots are marked dead and never reused while the process runs, so
a slot named by a search stays valid.

Searches (:meth:`Topology.bfs`, :meth:`Topology.walk`) expand whole frontiers at once with
numpy, so a hub with tens of thousands of edges costs a few array operations, not a Python loop
per edge. Records (labels, evidence) are not here at all: the :class:`graph.store.GraphStore`
fetches them for the nodes and edges an answer returns.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["NO_DATE", "Topology", "TraversalFilter"]

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


class _Scratch(threading.local):
    """Per-thread arrays reused between searches, reset after each (no O(N) clearing)."""

    def __init__(self) -> None:
        self.before: I32 = _EMPTY
        self.after: I32 = _EMPTY

    def arrays(self, size: int) -> tuple[I32, I32]:
        if len(self.before) < size:
            capacity = max(size, 2 * len(self.before), 1024)
            self.before = np.full(capacity, -1, dtype=np.int32)
            self.after = np.full(capacity, -1, dtype=np.int32)
        return self.before, self.after


_UNSEEN = -1
_ROOT = -2


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
        self.node_ids: list[str | None] = []
        self.node_index: dict[str, int] = {}
        self.node_type = _Column(np.uint8)
        self.node_kind = _Column(np.uint16)
        self.node_rank = _Column(np.int64)
        self.first_day = _Column(np.int32)  # events: first day of the date interval (ordinal)
        self.last_day = _Column(np.int32)
        self.node_cameo = _Column(np.uint16)  # events: CAMEO code (interned)
        self.edge_ids: list[str | None] = []
        self.edge_index: dict[str, int] = {}
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
        # CSR over edge slots, for nodes below ``_base_nodes``; plus the overlay.
        self._base_nodes = 0
        self._out_ptr: I64 = np.zeros(1, dtype=np.int64)
        self._out_edges: I32 = _EMPTY
        self._in_ptr: I64 = np.zeros(1, dtype=np.int64)
        self._in_edges: I32 = _EMPTY
        self._out_extra: dict[int, list[int]] = {}
        self._in_extra: dict[int, list[int]] = {}
        self._overlay = 0
        self._scratch = _Scratch()

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
        slot = len(self.node_ids)
        self.node_ids.append(node_id)
        self.node_index[node_id] = slot
        self.node_type.append(type_code)
        self.node_kind.append(self.kinds.code(kind))
        self.node_cameo.append(self.cameos.code(cameo))
        self.node_rank.append(rank)
        self.first_day.append(first)
        self.last_day.append(last)
        self._count_node(slot, 1)
        return slot

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
        self.node_ids[slot] = None
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
                self.edge_source.data[slot] = u
                self.edge_target.data[slot] = v
                self._link(slot, u, v)
            return slot
        if rank is None:
            rank = self._next_edge_rank + 1
        self._next_edge_rank = max(self._next_edge_rank, rank)
        slot = len(self.edge_ids)
        self.edge_ids.append(edge_id)
        self.edge_index[edge_id] = slot
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
        self.edge_ids[slot] = None
        name = self.types.names[int(self.edge_type.data[slot])]
        self.type_counts[name] -= 1

    def needs_compaction(self) -> bool:
        """Whether the overlay has grown enough to rebuild the CSR index."""
        return self._overlay > max(4096, len(self.edge_ids) // 8)

    def compact(self) -> None:
        """Rebuild the CSR index from the arrays: every live edge, each node's in load order."""
        nodes = len(self.node_ids)
        alive = np.flatnonzero(self.edge_alive.view).astype(np.int32)
        self._out_ptr, self._out_edges = _csr(self.edge_source.view[alive], alive, nodes)
        self._in_ptr, self._in_edges = _csr(self.edge_target.view[alive], alive, nodes)
        self._base_nodes = nodes
        self._out_extra = {}
        self._in_extra = {}
        self._overlay = 0

    # -- adjacency --------------------------------------------------------------------------

    def out_slots(self, node: int) -> I32:
        """Slots of the live edges leaving a node, in load order."""
        return self._adjacent(node, True)

    def in_slots(self, node: int) -> I32:
        """Slots of the live edges entering a node, in load order."""
        return self._adjacent(node, False)

    def _adjacent(self, node: int, out: bool) -> I32:
        ptr, edges, extra = (
            (self._out_ptr, self._out_edges, self._out_extra)
            if out
            else (self._in_ptr, self._in_edges, self._in_extra)
        )
        slots = edges[ptr[node] : ptr[node + 1]] if node < self._base_nodes else _EMPTY
        more = extra.get(node)
        if more:
            slots = np.unique(np.concatenate([slots, np.asarray(more, dtype=np.int32)]))
        ends = self.edge_source.data if out else self.edge_target.data
        keep = self.edge_alive.data[slots] & (ends[slots] == node)
        return slots if keep.all() else slots[keep]

    def degree(self, node: int) -> int:
        return len(self.out_slots(node)) + len(self.in_slots(node))

    def slots_between(self, u: int, v: int) -> I32:
        """Slots of the live edges from ``u`` to ``v``, in load order."""
        out = self.out_slots(u)
        found: I32 = out[self.edge_target.data[out] == v]
        return found

    # -- searches ---------------------------------------------------------------------------

    def _expand(self, frontier: I32, out: bool) -> tuple[I32, I32, I32]:
        """Every live edge leaving (``out``) or entering each frontier node.

        Returns (position in the frontier, edge slot, node at the other end), ordered by
        frontier position and then load order.
        """
        ptr, edges, extra = (
            (self._out_ptr, self._out_edges, self._out_extra)
            if out
            else (self._in_ptr, self._in_edges, self._in_extra)
        )
        in_base = frontier < self._base_nodes
        base_nodes = frontier[in_base]
        positions = np.flatnonzero(in_base).astype(np.int32)
        starts = ptr[base_nodes]
        lengths = ptr[base_nodes + 1] - starts
        total = int(lengths.sum())
        if total:
            offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
            slots = edges[offsets + np.arange(total)]
            owners = np.repeat(positions, lengths)
        else:
            slots, owners = _EMPTY, _EMPTY
        if extra:
            more_slots: list[int] = []
            more_owners: list[int] = []
            for position, node in enumerate(frontier.tolist()):
                added = extra.get(node)
                if added:
                    more_slots.extend(added)
                    more_owners.extend([position] * len(added))
            if more_slots:
                slots = np.concatenate([slots, np.asarray(more_slots, dtype=np.int32)])
                owners = np.concatenate([owners, np.asarray(more_owners, dtype=np.int32)])
                order = np.lexsort((slots, owners))
                slots, owners = slots[order], owners[order]
                fresh = np.ones(len(slots), dtype=np.bool_)
                fresh[1:] = (slots[1:] != slots[:-1]) | (owners[1:] != owners[:-1])
                slots, owners = slots[fresh], owners[fresh]
        near = self.edge_source.data if out else self.edge_target.data
        far = self.edge_target.data if out else self.edge_source.data
        keep = self.edge_alive.data[slots] & (near[slots] == frontier[owners])
        if not keep.all():
            slots, owners = slots[keep], owners[keep]
        return owners, slots, far[slots].astype(np.int32)

    def _step(
        self, frontier: I32, flt: TraversalFilter, forward: bool, ok: _NodeTest
    ) -> tuple[I32, I32]:
        """Candidate (parent, node) pairs one hop from the frontier, in search order: for each
        frontier node in turn, its edges in their direction, then (undirected) the others."""
        parts = [self._expand(frontier, forward)]
        if not flt.directed:
            parts.append(self._expand(frontier, not forward))
        owners = np.concatenate([p[0] for p in parts])
        slots = np.concatenate([p[1] for p in parts])
        others = np.concatenate([p[2] for p in parts])
        if len(parts) == 2:  # interleave: per frontier node, one direction's edges first
            order = np.argsort(owners, kind="stable")
            owners, slots, others = owners[order], slots[order], others[order]
        keep = ok.edges(slots) & ok.nodes(others)
        if not keep.all():
            owners, others = owners[keep], others[keep]
        return frontier[owners], others

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

        Bidirectional breadth-first search, expanding the smaller side a level at a time.
        Ties are broken by load order, so the same graph gives the same path on every run.
        ``banned_nodes`` may not be entered; ``banned_hops`` (u, v) may not be taken (either
        way when undirected).
        """
        if source == target:
            return [source]
        ok = _NodeTest(self, flt, (source, target), banned_nodes)
        hops_banned = set(banned_hops)
        if not flt.directed:
            hops_banned |= {(v, u) for u, v in hops_banned}
        before, after = self._scratch.arrays(len(self.node_ids))
        touched: list[I32] = []
        try:
            before[source] = _ROOT
            after[target] = _ROOT
            touched.append(np.array([source, target], dtype=np.int32))
            forward = np.array([source], dtype=np.int32)
            backward = np.array([target], dtype=np.int32)
            hops = 0
            while len(forward) and len(backward) and hops < max_hops:
                hops += 1
                if len(forward) <= len(backward):
                    forward, meet = self._advance(
                        forward, flt, True, ok, before, after, hops_banned, touched
                    )
                else:
                    reversed_hops = {(v, u) for u, v in hops_banned}
                    backward, meet = self._advance(
                        backward, flt, False, ok, after, before, reversed_hops, touched
                    )
                if meet is not None:
                    return _join(meet, before, after)
            return None
        finally:
            for slots in touched:
                before[slots] = _UNSEEN
                after[slots] = _UNSEEN

    def _advance(  # noqa: PLR0917 (one search step's state, passed as is)
        self,
        frontier: I32,
        flt: TraversalFilter,
        forward: bool,
        ok: _NodeTest,
        seen: I32,
        other_side: I32,
        banned_hops: set[tuple[int, int]],
        touched: list[I32],
    ) -> tuple[I32, int | None]:
        parents, nodes = self._step(frontier, flt, forward, ok)
        new = seen[nodes] == _UNSEEN
        if banned_hops:
            sources = {u for u, _ in banned_hops}
            for i in np.flatnonzero(new & np.isin(parents, list(sources))).tolist():
                if (int(parents[i]), int(nodes[i])) in banned_hops:
                    new[i] = False
        parents, nodes = parents[new], nodes[new]
        # The first pair to reach each node wins, as in a one-at-a-time search.
        _, first = np.unique(nodes, return_index=True)
        first.sort()
        parents, nodes = parents[first], nodes[first]
        meets = np.flatnonzero(other_side[nodes] != _UNSEEN)
        if len(meets):
            cut = int(meets[0]) + 1
            parents, nodes = parents[:cut], nodes[:cut]
        seen[nodes] = parents
        touched.append(nodes)
        return nodes, (int(nodes[-1]) if len(meets) else None)

    def walk(
        self, start: int, depth: int, types: frozenset[str] | None, limit: int
    ) -> tuple[list[int], bool]:
        """Nodes within ``depth`` hops (edges followed both ways) in the order met, at most
        ``limit``; and whether the walk was cut."""
        ok = _NodeTest(self, TraversalFilter(types=types), (start,), ())
        seen: dict[int, None] = {start: None}
        frontier = np.array([start], dtype=np.int32)
        for _ in range(depth):
            _, nodes = self._step(frontier, TraversalFilter(types=types), True, ok)
            level: list[int] = []
            for node in nodes.tolist():
                if node not in seen:
                    if len(seen) >= limit:
                        return list(seen), True
                    seen[node] = None
                    level.append(node)
            if not level:
                break
            frontier = np.asarray(level, dtype=np.int32)
        return list(seen), False

    def neighbours(self, node: int, out: bool, types: frozenset[str] | None = None) -> I32:
        """Distinct nodes one hop away in one direction, ordered by their first edge."""
        slots = self.out_slots(node) if out else self.in_slots(node)
        if types is not None:
            mask = self.types.mask(types)
            assert mask is not None
            slots = slots[mask[self.edge_type.data[slots]]]
        far = (self.edge_target.data if out else self.edge_source.data)[slots]
        _, first = np.unique(far, return_index=True)
        return far[np.sort(first)].astype(np.int32)


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


def _csr(owners: I32, slots: I32, nodes: int) -> tuple[I64, I32]:
    """CSR of edge slots grouped by owner node, each group in slot (load) order."""
    order = np.argsort(owners, kind="stable")
    counts = np.bincount(owners, minlength=nodes)
    ptr = np.zeros(nodes + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    return ptr, slots[order].astype(np.int32)


def _join(meet: int, before: I32, after: I32) -> list[int]:
    path = [meet]
    node = int(before[meet])
    while node != _ROOT:
        path.insert(0, node)
        node = int(before[node])
    node = int(after[meet])
    while node != _ROOT:
        path.append(node)
        node = int(after[node])
    return path
