"""Closing a knowledge graph while other threads catch up with the log or write.

The service's follower and the read path run ``sync()`` in worker threads; a shutdown (or a
test) may close the graph while one runs. The close waits for it, and a catch-up or write
after the close does nothing or is refused: the store's connections are never used once
closed (SQLite would crash the process).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from graph import DEFAULT_SEEDS
from graph.errors import StoreError, StoreUnreachableError
from graph.service import KnowledgeGraph
from graph.writes import plan_create


def test_close_waits_for_catch_ups_and_later_ones_do_nothing(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite3"
    graph = KnowledgeGraph.open(db, DEFAULT_SEEDS)
    other = KnowledgeGraph.open(db, None)  # another process's writes, for graph to follow
    stop = threading.Event()
    errors: list[BaseException] = []

    def follow() -> None:
        while not stop.is_set():
            try:
                graph.sync()
                graph.behind()
            except BaseException as exc:
                errors.append(exc)
                return

    followers = [threading.Thread(target=follow) for _ in range(3)]
    for thread in followers:
        thread.start()
    try:
        for i in range(20):
            body = {"kind": "person", "label": f"Closer {i}", "analyst_assertion": True}
            other.write(lambda s, body=body: plan_create(s, "entity", body), actor="test")
        graph.close()
        assert graph.sync() == graph.position  # a no-op now
        assert graph.behind() is False
        with pytest.raises(StoreError):
            body = {"kind": "person", "label": "Too late", "analyst_assertion": True}
            graph.write(lambda s: plan_create(s, "entity", body), actor="test")
    finally:
        stop.set()
        for thread in followers:
            thread.join(10)
        graph.close()  # twice is fine
        other.close()
    assert errors == []


def test_a_throwaway_store_dropped_unclosed_leaves_no_folder() -> None:
    import gc

    from graph.storage import SQLiteRecordStore

    store = SQLiteRecordStore(":memory:")
    scratch = Path(store._scratch or "")
    assert scratch.is_dir()
    del store
    gc.collect()
    assert not scratch.exists()


def test_a_store_gone_away_at_close_is_one_warning_and_the_store_is_still_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A database restarted under a replica breaks its reading connection; saving the model
    at shutdown then fails to reach the store: one line, and the store is closed anyway."""
    graph = KnowledgeGraph.open(tmp_path / "store.sqlite3", DEFAULT_SEEDS)
    closed: list[bool] = []
    real_close = graph.records.close

    def gone() -> str:
        raise StoreUnreachableError("terminating connection\n\tdue to administrator command")

    def close() -> None:
        closed.append(True)
        real_close()

    monkeypatch.setattr(graph.records, "store_id", gone)
    monkeypatch.setattr(graph.records, "close", close)
    graph.close()
    assert closed == [True]
    (line,) = [r for r in caplog.records if "could not save the read model" in r.message]
    assert line.exc_info is None
    assert "terminating connection due to administrator command" in line.message
