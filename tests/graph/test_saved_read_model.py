"""The read model saved beside the store and loaded at the next start.

A saved model is used only for the store it came from, at a position the store has reached;
loading it and following the log gives the same model as building it afresh from the store.
Anything else (another store, a position ahead of the store, a damaged file) is rebuilt.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from graph import DEFAULT_SEEDS, queries
from graph.model import Entity
from graph.service import KnowledgeGraph
from graph.store import GraphStore
from graph.writes import plan_create


def _picture(store: GraphStore) -> dict[str, object]:
    return {
        "nodes": list(store.node_ids()),
        "edges": [e.id for e in store.edges()],
        "counts": store.counts(),
        "events": list(store.events_by_date()),
        "search": store.search_entities("ko"),
        "path": [n.id for n in queries.shortest_path(store, "olaf-scholz", "dmytro-kuleba").nodes],
        "people": list(store.ids_of_kind("person")),
        "actors": list(store.edge_ids_of_type("actor")),
    }


def test_saved_model_plus_log_equals_a_fresh_build(tmp_path: Path) -> None:
    db = tmp_path / "geokg.sqlite3"
    saved = tmp_path / "model.npz"
    graph = KnowledgeGraph.open(db, DEFAULT_SEEDS)
    try:
        with graph.reading() as store:
            store.save(saved, graph.records.store_id())
        body = {"kind": "person", "label": "Ann Example", "analyst_assertion": True}
        graph.write(lambda s: plan_create(s, "entity", body), actor="test")
        snapshot = graph.records.pin()
        loaded = GraphStore.load(saved, snapshot, graph.records.store_id())
        assert loaded is not None
        assert any(isinstance(n, Entity) and n.label == "Ann Example" for n in loaded.entities())
        fresh = GraphStore.from_snapshot(graph.records.pin())
        assert _picture(loaded) == _picture(fresh)
    finally:
        graph.close()


def test_a_model_from_another_store_or_ahead_or_damaged_is_not_used(tmp_path: Path) -> None:
    graph = KnowledgeGraph.open(tmp_path / "a.sqlite3", DEFAULT_SEEDS)
    other = KnowledgeGraph.open(tmp_path / "b.sqlite3", DEFAULT_SEEDS)  # same records
    empty = KnowledgeGraph.open(tmp_path / "c.sqlite3", None)
    saved = tmp_path / "model.npz"
    try:
        with graph.reading() as store:
            store.save(saved, graph.records.store_id())
        assert other.position == graph.position
        assert GraphStore.load(saved, graph.records.pin(), graph.records.store_id()) is not None
        assert GraphStore.load(saved, other.records.pin(), other.records.store_id()) is None
        # The same store id but a store behind the saved position (say, an older copy).
        assert GraphStore.load(saved, empty.records.pin(), graph.records.store_id()) is None
        saved.write_bytes(saved.read_bytes()[:-100])
        assert GraphStore.load(saved, graph.records.pin(), graph.records.store_id()) is None
        assert GraphStore.load(tmp_path / "none.npz", graph.records.pin(), "x") is None
    finally:
        graph.close()
        other.close()
        empty.close()


def test_a_model_saved_from_a_copy_that_went_another_way_is_not_used(tmp_path: Path) -> None:
    db, copy = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"
    graph = KnowledgeGraph.open(db, DEFAULT_SEEDS)
    graph.records.backup(copy)  # a copy of the file keeps the store id (a restore would not)
    body = {"kind": "person", "label": "Only In A", "analyst_assertion": True}
    graph.write(lambda s: plan_create(s, "entity", body), actor="test")
    saved = tmp_path / "model.npz"
    with graph.reading() as store:
        store.save(saved, graph.records.store_id())
    other = KnowledgeGraph.open(copy, None)
    try:
        assert other.records.store_id() == graph.records.store_id()
        body = {"kind": "person", "label": "Only In B", "analyst_assertion": True}
        other.write(lambda s: plan_create(s, "entity", body), actor="test")
        assert other.position == graph.position
        assert GraphStore.load(saved, other.records.pin(), other.records.store_id()) is None
        assert GraphStore.load(saved, graph.records.pin(), graph.records.store_id()) is not None
    finally:
        graph.close()
        other.close()


def test_a_snapshot_walks_the_same_nodes_and_edges_as_the_model(tmp_path: Path) -> None:
    graph = KnowledgeGraph.open(tmp_path / "a.sqlite3", DEFAULT_SEEDS)
    try:
        with graph.reading() as store:
            walked = [
                (n.id, [e.id for e in out]) for n, out in store.snapshot().nodes_and_out_edges()
            ]
            expected = [
                (n.id, [e.id for e in out]) for n, out in GraphStore.nodes_and_out_edges(store)
            ]
        assert walked == expected
        assert sum(len(out) for _, out in walked) == store.edge_count() > 200
    finally:
        graph.close()


def test_deleting_a_node_with_a_self_loop_deletes_the_loop_once(tmp_path: Path) -> None:
    from graph.writes import plan_delete

    db = tmp_path / "a.sqlite3"
    graph = KnowledgeGraph.open(db, None)
    try:
        body = {"kind": "place", "label": "Loop A", "analyst_assertion": True}
        graph.write(lambda s: plan_create(s, "entity", body), actor="test")
        loop = {"type": "part_of", "source": "loop-a", "target": "loop-a"}
        graph.write(
            lambda s: plan_create(s, "relation", {**loop, "analyst_assertion": True}),
            actor="test",
        )
        graph.write(lambda s: plan_delete(s, "entity", "loop-a", cascade=True), actor="test")
        later = {"kind": "place", "label": "Loop C", "analyst_assertion": True}
        graph.write(lambda s: plan_create(s, "entity", later), actor="test")
        with graph.reading() as store:
            assert store.counts() == {"entities": 1, "events": 0, "sources": 0, "edges": 0}
    finally:
        graph.close()
    again = KnowledgeGraph.open(db, None)  # the saved model and the log agree
    try:
        with again.reading() as store:
            assert [n.id for n in store.entities()] == ["loop-c"]
    finally:
        again.close()


def test_the_journal_stops_growing_when_the_service_is_idle_between_writes(
    tmp_path: Path,
) -> None:
    db = tmp_path / "a.sqlite3"
    wal = Path(f"{db}-wal")
    graph = KnowledgeGraph.open(db, None)
    sizes = []
    try:
        for round in range(4):
            for i in range(150):
                label = f"Person {round}-{i}"
                body = {"kind": "person", "label": label, "analyst_assertion": True}
                graph.write(lambda s, b=body: plan_create(s, "entity", b), actor="test")  # type: ignore[misc]
            graph.sync()  # idle: the journal is checkpointed and our snapshot renewed
            sizes.append(wal.stat().st_size)
    finally:
        graph.close()
    # The journal starts over after each idle moment: it stays the size of one round's writes
    # (it used to grow by that much every round while a read transaction stayed pinned).
    assert sizes[-1] <= sizes[0] * 1.2, sizes


def test_a_save_removes_temporary_files_that_a_crash_left_behind(tmp_path: Path) -> None:
    import os
    import time

    graph = KnowledgeGraph.open(tmp_path / "a.sqlite3", DEFAULT_SEEDS)
    saved = tmp_path / "model.npz"
    old = tmp_path / ".model.npz.abc123.tmp"
    fresh = tmp_path / ".model.npz.def456.tmp"  # maybe another process saving right now
    old.write_bytes(b"half a model")
    fresh.write_bytes(b"half a model")
    hours_ago = time.time() - 2 * 3600
    os.utime(old, (hours_ago, hours_ago))
    try:
        with graph.reading() as store:
            store.save(saved, graph.records.store_id())
        assert not old.exists() and fresh.exists() and saved.exists()
    finally:
        graph.close()


def _open_and_search(db: Path, query: str) -> list[str]:
    graph = KnowledgeGraph.open(db, None)
    try:
        with graph.reading() as store:
            return store.search_entities(query)
    finally:
        graph.close()


def test_names_in_mathematical_letters_are_found_and_saved_and_loaded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Such a name used to normalise to a capital: not found, and refused in the saved model,
    so every start built the model again."""
    db = tmp_path / "a.sqlite3"
    graph = KnowledgeGraph.open(db, None)
    try:
        body = {"kind": "person", "label": "𝐀𝐥𝐞𝐱 Brown", "analyst_assertion": True}
        graph.write(lambda s: plan_create(s, "entity", body), actor="test")
    finally:
        graph.close()
    with caplog.at_level(logging.INFO, logger="graph"):
        assert _open_and_search(db, "alex") == ["alex-brown"]
    assert "read model loaded" in caplog.text and "not used" not in caplog.text


def test_a_model_saved_with_names_of_the_first_normalisation_is_built_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "a.sqlite3"
    _open_and_search(db, "x")
    graph = KnowledgeGraph.open(db, None)
    try:
        body = {"kind": "person", "label": "Ann", "analyst_assertion": True}
        graph.write(lambda s: plan_create(s, "entity", body), actor="test")
    finally:
        graph.close()
    saved = Path(f"{db}.model")
    with np.load(saved, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["names_version"] = np.array([1])  # as an older geokg wrote it
    with saved.open("wb") as out:
        np.savez(out, allow_pickle=False, **arrays)
    with caplog.at_level(logging.INFO, logger="graph"):
        assert _open_and_search(db, "ANN") == ["ann"]  # built again from the store, and saved
        assert "name index state: version [1] is not supported" in caplog.text
        caplog.clear()
        assert _open_and_search(db, "ann") == ["ann"]
        assert "read model loaded" in caplog.text and "not used" not in caplog.text


def test_records_read_in_batches_equal_records_read_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graph.errors import NodeNotFoundError
    from graph.storage.sqlite import SQLiteSnapshot

    monkeypatch.setattr(SQLiteSnapshot, "BATCH", 7)  # many statements for one read
    graph = KnowledgeGraph.open(tmp_path / "a.sqlite3", DEFAULT_SEEDS)
    try:
        with graph.reading() as store:
            node_ids = list(store.node_ids())
            one_by_one = [store.node(i) for i in node_ids]
            edge_ids = [e.id for e in store.edges()]
        fresh = GraphStore.from_snapshot(graph.records.pin())  # nothing parsed yet
        assert list(fresh.iter_records(node_ids)) == one_by_one
        assert [e.id for e in fresh.edges_among(node_ids)] != []
        assert sorted(e.id for e in fresh.edges_among(node_ids)) == sorted(edge_ids)
        snapshot = graph.records.pin()
        bodies = snapshot.edge_bodies([*edge_ids[:20], "no-such-edge"])
        assert sorted(bodies) == sorted(edge_ids[:20])
        with pytest.raises(NodeNotFoundError):
            list(fresh.iter_records([node_ids[0], "no-such-node"]))
    finally:
        graph.close()
