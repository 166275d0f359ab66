"""The adjacency index is rebuilt in a background thread while writes go on.

The build works on copies of the edge arrays; writes made while it runs (edges added, deleted,
moved) are journaled and folded in when it is swapped in. Whatever the timing, the read model
must then answer as one built afresh from the store.
"""

from __future__ import annotations

import os
import random
import threading
from pathlib import Path

import pytest

from graph import queries, search, service
from graph.errors import NoPathError
from graph.index import CsrBuild, Topology
from graph.search import NameMerge
from graph.service import KnowledgeGraph
from graph.store import GraphStore, TraversalFilter
from graph.writes import plan_create, plan_delete, plan_update


def _answers(store: GraphStore, places: list[str]) -> dict[str, object]:
    paths = {}
    for a, b in zip(places, places[7:] + places[:7], strict=True):
        found = store.shortest_nodes(a, b, TraversalFilter(), max_hops=50)
        paths[f"{a}>{b}"] = found
        directed = store.shortest_nodes(a, b, TraversalFilter(directed=True), max_hops=50)
        paths[f"{a}>>{b}"] = directed
    return {
        "counts": store.counts(),
        "edges": sorted(e.id for e in store.edges()),
        "neighbours": {p: sorted(store.neighbour_ids(p)) for p in places},
        "paths": paths,
        "k": _k_paths(store, places[0], places[5]),
    }


def _k_paths(store: GraphStore, a: str, b: str) -> list[list[str]]:
    try:
        found = queries.k_shortest_paths(store, a, b, max_length=6)
    except NoPathError:
        return []
    return [[n.id for n in path.nodes] for path in found.paths]


def test_a_background_rebuild_during_writes_answers_as_a_fresh_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Topology, "COMPACT_MIN", 10)
    builds: list[CsrBuild] = []
    release = threading.Event()
    real_run = CsrBuild.run

    def held_run(build: CsrBuild) -> None:  # a background build waits while writes go on
        if threading.current_thread().name == "geokg-compaction":
            builds.append(build)
            release.wait(10)
        real_run(build)

    monkeypatch.setattr(CsrBuild, "run", held_run)
    graph = KnowledgeGraph.open(tmp_path / "a.sqlite3", None)
    rng = random.Random(5)
    links: list[str] = []

    def link(i: int) -> None:
        a, b = rng.choice(places), rng.choice(places)
        body = {"id": f"link-{i}", "type": "part_of", "source": a, "target": b}
        body["analyst_assertion"] = True
        graph.write(lambda s: plan_create(s, "relation", body), actor="test")
        links.append(f"link-{i}")

    def unlink() -> None:
        gone = links.pop(rng.randrange(len(links)))
        graph.write(lambda s: plan_delete(s, "relation", gone), actor="test")

    try:
        places = []
        for i in range(30):
            body = {"kind": "place", "label": f"Place {i}", "analyst_assertion": True}
            graph.write(lambda s, body=body: plan_create(s, "entity", body), actor="test")
            places.append(f"place-{i}")
        for i in range(15):
            link(i)
        assert len(builds) == 1, "no rebuild started in the background"
        # While the build holds copies of the arrays: edges added, and deleted (some of them
        # in the copies), and no second build started.
        for i in range(15, 60):
            link(i)
            if i % 4 == 0:
                unlink()
        assert len(builds) == 1
        release.set()
        graph.wait_for_compaction(30)
        with graph.reading() as store:
            live = _answers(store, places)
        assert sum(path is not None for path in live["paths"].values()) > 10  # type: ignore[attr-defined]
        assert live == _answers(GraphStore.from_snapshot(graph.records.pin()), places)
        for i in range(60, 90):  # and once more, the first build swapped in
            link(i)
            unlink()
        graph.wait_for_compaction(30)
        assert len(builds) >= 2
        with graph.reading() as store:
            live = _answers(store, places)
        assert live == _answers(GraphStore.from_snapshot(graph.records.pin()), places)
    finally:
        release.set()
        graph.close()


def test_the_name_index_is_merged_in_the_background_while_writes_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the overlay's limit, the service rebuilds the name index's arrays in a thread of
    its own (a merge under the lock held every read and the follower for half a second at the
    medium scale); names written, renamed and deleted while it runs are all there after the
    swap, and the model answers searches as one built afresh."""
    monkeypatch.setattr(search, "_OVERLAY_LIMIT", 8)
    merges: list[NameMerge] = []
    release = threading.Event()
    real_run = NameMerge.run

    def held_run(merge: NameMerge) -> None:
        assert threading.current_thread().name == "geokg-names"
        merges.append(merge)
        release.wait(10)
        real_run(merge)

    monkeypatch.setattr(NameMerge, "run", held_run)
    graph = KnowledgeGraph.open(tmp_path / "a.sqlite3", None)

    def create(i: int) -> None:
        body = {"kind": "place", "label": f"Town {i} Oblast", "analyst_assertion": True}
        graph.write(lambda s: plan_create(s, "entity", body), actor="test")

    def searched(store: GraphStore) -> dict[str, list[str]]:
        return {q: store.search_entities(q) for q in ("town", "oblast", "renamed", "town 1")}

    try:
        for i in range(12):
            create(i)
        assert len(merges) == 1, "no merge started in the background"
        for i in range(12, 40):  # while it runs: more names, a rename, deletions
            create(i)
        graph.write(
            lambda s: plan_update(s, "entity", "town-3-oblast", {"label": "Renamed Place"}),
            actor="test",
        )
        for gone in ("town-5-oblast", "town-20-oblast"):
            graph.write(lambda s, g=gone: plan_delete(s, "entity", g), actor="test")
        with graph.reading() as store:
            during = searched(store)
        assert "town-30-oblast" in during["town"] and "town-5-oblast" not in during["town"]
        release.set()
        graph.wait_for_compaction(30)
        with graph.reading() as store:
            after = searched(store)
        fresh = GraphStore.from_snapshot(graph.records.pin())
        assert after == during == searched(fresh)
        assert after["renamed"] == ["town-3-oblast"] and len(after["town"]) == 37
        for i in range(40, 80):  # the next merges start from the swapped-in arrays
            create(i)
        graph.wait_for_compaction(30)
        assert len(merges) >= 2
        with graph.reading() as store:
            assert searched(store) == searched(GraphStore.from_snapshot(graph.records.pin()))
    finally:
        release.set()
        graph.close()


def test_background_rebuilds_run_at_the_lowest_priority_of_their_own_thread() -> None:
    """A rebuild lowers its own thread's CPU priority (Linux: per thread), not the process's:
    the follower and the requests keep theirs."""
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen: list[int] = []

    def rebuild() -> None:
        service._lower_priority()
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    thread = threading.Thread(target=rebuild)
    thread.start()
    thread.join()
    assert seen == [19]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine
