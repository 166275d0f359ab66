"""The integer topology against plain networkx on the same data.

Random multigraphs (fixed seeds) are built, edited (edges added, deleted, moved to other ends,
nodes removed) and searched before and after the CSR index is rebuilt: every path the topology
returns must exist edge by edge and have networkx's shortest length, and the answer must not
depend on whether the edges sit in the CSR base or in the overlay.
"""

from __future__ import annotations

import itertools
import random

import networkx as nx
import pytest

from graph.index import Topology, TraversalFilter, _Walk

TYPES = ("actor", "target", "located_in", "member_of")


def _random_graph(seed: int, nodes: int, edges: int) -> tuple[Topology, nx.MultiDiGraph[str]]:
    rng = random.Random(seed)
    topo = Topology()
    reference: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    for i in range(nodes):
        topo.add_node(f"n{i}", "entity", "person" if i % 3 else "state")
        reference.add_node(f"n{i}", kind="person" if i % 3 else "state")
    for j in range(edges):
        u, v = rng.randrange(nodes), rng.randrange(nodes)
        kind = rng.choice(TYPES)
        topo.add_edge(f"e{j}", f"n{u}", f"n{v}", kind, "relation")
        reference.add_edge(f"n{u}", f"n{v}", key=f"e{j}", type=kind)
    return topo, reference


def _edit(topo: Topology, reference: nx.MultiDiGraph[str], seed: int, prefix: str = "new") -> None:
    rng = random.Random(seed)
    names = list(reference.nodes)
    for edge_id in rng.sample(sorted(topo.edge_index), len(topo.edge_index) // 10):
        u, v, _ = next((u, v, k) for u, v, k in reference.edges(keys=True) if k == edge_id)
        if rng.random() < 0.5:
            topo.remove_edge(edge_id)
            reference.remove_edge(u, v, key=edge_id)
        else:  # moved to other ends, same id
            a, b = rng.choice(names), rng.choice(names)
            kind = reference.edges[u, v, edge_id]["type"]
            reference.remove_edge(u, v, key=edge_id)
            reference.add_edge(a, b, key=edge_id, type=kind)
            topo.add_edge(edge_id, a, b, kind, "relation")
    for j in range(len(names) // 4):
        a, b = rng.choice(names), rng.choice(names)
        topo.add_edge(f"{prefix}{j}", a, b, "actor", "relation")
        reference.add_edge(a, b, key=f"{prefix}{j}", type="actor")
    lonely = [n for n in names if reference.degree(n) == 0]
    for name in lonely[:3]:
        topo.remove_node(name)
        reference.remove_node(name)


def _view(reference: nx.MultiDiGraph[str], flt: TraversalFilter) -> nx.DiGraph[str] | nx.Graph[str]:
    kept: nx.DiGraph[str] = nx.DiGraph()
    kept.add_nodes_from(reference.nodes)
    for u, v, data in reference.edges(data=True):
        if flt.types is None or data["type"] in flt.types:
            kept.add_edge(u, v)
    return kept if flt.directed else kept.to_undirected()


def _check_paths(topo: Topology, reference: nx.MultiDiGraph[str], seed: int) -> list[object]:
    rng = random.Random(seed)
    names = sorted(reference.nodes)
    answers: list[object] = []
    filters = [
        TraversalFilter(),
        TraversalFilter(directed=True),
        TraversalFilter(types=frozenset({"actor", "target"})),
    ]
    for flt in filters:
        simple = _view(reference, flt)
        for _ in range(60):
            a, b = rng.choice(names), rng.choice(names)
            found = topo.bfs(topo.node_index[a], topo.node_index[b], flt, max_hops=len(names))
            try:
                expected = nx.shortest_path_length(simple, a, b)
            except nx.NetworkXNoPath:
                assert found is None, (a, b, flt)
                answers.append(None)
                continue
            assert found is not None, (a, b, flt)
            path = [topo.node_ids[i] for i in found]
            assert path[0] == a and path[-1] == b
            assert len(path) - 1 == expected
            for u, v in itertools.pairwise(path):
                assert simple.has_edge(u, v), (u, v, flt)
            answers.append(path)
    return answers


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_paths_match_networkx_before_and_after_edits_and_compaction(seed: int) -> None:
    topo, reference = _random_graph(seed, nodes=300, edges=700)
    _check_paths(topo, reference, seed)  # everything still in the overlay
    topo.compact()
    _check_paths(topo, reference, seed)
    _edit(topo, reference, seed)
    in_overlay = _check_paths(topo, reference, seed)
    topo.compact()
    assert _check_paths(topo, reference, seed) == in_overlay


def _restricted_answers(topo: Topology, seed: int) -> list[list[int] | None]:
    """Searches with kinds, banned nodes and banned hops (no networkx view for these)."""
    rng = random.Random(seed)
    names = sorted(topo.node_index)
    answers: list[list[int] | None] = []
    for _ in range(40):
        a, b, c, d = (topo.node_index[rng.choice(names)] for _ in range(4))
        answers.append(
            topo.bfs(a, b, TraversalFilter(kinds=frozenset({"person"})), max_hops=len(names))
        )
        answers.append(topo.bfs(a, b, TraversalFilter(), max_hops=len(names), banned_nodes=[c]))
        answers.append(
            topo.bfs(a, b, TraversalFilter(), max_hops=len(names), banned_hops=[(a, c), (d, b)])
        )
    return answers


@pytest.mark.parametrize("seed", [4, 5])
def test_level_and_node_by_node_walks_give_the_same_paths(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large levels are walked with numpy, small ones node by node: forcing either everywhere
    gives the same paths, with edges in the CSR, in the overlay, moved and deleted."""
    answers = []
    for small in (0, 16, 10**9):
        monkeypatch.setattr(_Walk, "SMALL", small)
        topo, reference = _random_graph(seed, nodes=400, edges=2500)
        seen = [_check_paths(topo, reference, seed), _restricted_answers(topo, seed)]
        topo.compact()
        _edit(topo, reference, seed)
        seen += [_check_paths(topo, reference, seed), _restricted_answers(topo, seed)]
        topo.compact()
        seen += [_check_paths(topo, reference, seed), _restricted_answers(topo, seed)]
        answers.append(seen)
    assert answers[0] == answers[1] == answers[2]
    assert any(path is not None and len(path) > 3 for path in answers[0][1])


@pytest.mark.parametrize("seed", [6, 7, 8])
def test_a_csr_built_while_writes_go_on_matches_networkx(seed: int) -> None:
    """A rebuild from copies of the arrays, with edges added, deleted, moved and nodes removed
    between the copy and the swap, answers as a rebuild done at once."""
    topo, reference = _random_graph(seed, nodes=300, edges=900)
    topo.compact()
    build = topo.start_compaction()
    assert topo.compacting
    _edit(topo, reference, seed)  # while the build has not run yet
    build.run()
    _edit(topo, reference, seed + 100, prefix="later")  # after it ran, before the swap
    topo.finish_compaction(build)
    assert not topo.compacting
    swapped = _check_paths(topo, reference, seed)
    topo.compact()
    assert _check_paths(topo, reference, seed) == swapped


def test_max_hops_and_banned_nodes_are_respected() -> None:
    topo = Topology()
    for name in "abcde":
        topo.add_node(name, "entity", "person")
    for u, v in ["ab", "bc", "cd", "ae", "ed"]:
        topo.add_edge(u + v, u, v, "actor", "relation")
    topo.compact()
    i = topo.node_index
    assert topo.bfs(i["a"], i["d"], TraversalFilter(), max_hops=1) is None
    assert [
        topo.node_ids[n] for n in topo.bfs(i["a"], i["d"], TraversalFilter(), max_hops=2) or []
    ] == ["a", "e", "d"]
    banned = topo.bfs(i["a"], i["d"], TraversalFilter(), max_hops=5, banned_nodes=[i["e"]])
    assert [topo.node_ids[n] for n in banned or []] == ["a", "b", "c", "d"]
    hop = topo.bfs(i["a"], i["d"], TraversalFilter(), max_hops=5, banned_hops=[(i["e"], i["d"])])
    assert [topo.node_ids[n] for n in hop or []] == ["a", "b", "c", "d"]


def test_adjacency_keeps_load_order_and_skips_dead_edges() -> None:
    topo = Topology()
    for name in "abc":
        topo.add_node(name, "entity", "person")
    topo.add_edge("1", "a", "b", "actor", "relation")
    topo.add_edge("2", "a", "c", "actor", "relation")
    topo.compact()
    topo.add_edge("3", "a", "b", "target", "relation")
    topo.add_edge("1", "c", "b", "actor", "relation")  # moved away from a
    assert [topo.edge_ids[s] for s in topo.out_slots(topo.node_index["a"])] == ["2", "3"]
    topo.add_edge("1", "a", "c", "actor", "relation")  # and back: keeps its load-order place
    assert [topo.edge_ids[s] for s in topo.out_slots(topo.node_index["a"])] == ["1", "2", "3"]
    topo.remove_edge("2")
    topo.compact()
    assert [topo.edge_ids[s] for s in topo.out_slots(topo.node_index["a"])] == ["1", "3"]
    assert topo.edge_count == 2 and topo.type_counts["actor"] == 1


def test_state_round_trip_keeps_everything_and_refuses_inconsistent_arrays() -> None:
    topo, reference = _random_graph(5, nodes=120, edges=300)
    _edit(topo, reference, 5)
    restored = Topology.from_state(topo.state())
    assert restored.node_count == topo.node_count and restored.edge_count == topo.edge_count
    assert restored.type_counts == {k: v for k, v in topo.type_counts.items() if v}
    assert restored.kind_counts == {k: v for k, v in topo.kind_counts.items() if v}
    assert _check_paths(restored, reference, 5) == _check_paths(topo, reference, 5)
    for name in ("n1", "n7", "n50"):
        if name in topo.node_index:
            before = [topo.edge_ids[s] for s in topo.out_slots(topo.node_index[name])]
            after = [restored.edge_ids[s] for s in restored.out_slots(restored.node_index[name])]
            assert before == after
    state = topo.state()
    broken = dict(state, edge_source=state["edge_source"] + len(state["node_type"]))
    with pytest.raises(ValueError, match="edge_source"):
        Topology.from_state(broken)
    with pytest.raises(ValueError, match="edge_type"):
        Topology.from_state(dict(state, edge_type=state["edge_type"][:-1]))
