"""The PostgreSQL store of record on a real server (a new database per test): what it must
do as SQLite does, and what only a shared server can get wrong (writers in other
connections, snapshots held while others commit, the schema a database already holds)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from graph import DEFAULT_SEEDS
from graph.changes import Change, RenderedChange, record_json
from graph.errors import NotSupportedError, StoreError
from graph.export import prerendered
from graph.export.prerendered import RENDER_VERSION, VIEWS
from graph.model import Entity
from graph.seed import seed_changes, seed_files
from graph.service import KnowledgeGraph
from graph.storage import Commit, RecordStore, StaleError, open_record_store
from graph.storage.postgres import CHANNEL, SCHEMA_VERSION, PostgresRecordStore

WRITERS = 4
COMMITS_EACH = 15


def _entity(node_id: str, label: str | None = None) -> Change:
    return Change.put(Entity(id=node_id, kind="place", label=label or node_id), None)


@pytest.fixture
def store(postgres_db: str) -> Iterator[RecordStore]:
    records = open_record_store(postgres_db)
    yield records
    records.close()


def test_a_postgresql_url_opens_a_postgresql_store(postgres_db: str) -> None:
    records = open_record_store(postgres_db)
    try:
        assert isinstance(records, PostgresRecordStore)
        assert records.position() == 0 and len(records.store_id()) == 32
    finally:
        records.close()


def test_concurrent_writers_leave_a_gapless_log_in_commit_order(postgres_db: str) -> None:
    """Four writers, each on its own connection, commit as the service does (at the position
    they last read, again when the log moved); a follower reading ``position > last`` all
    along sees every position once, in order, and each writer's commits where it was told."""
    stores = [open_record_store(postgres_db, prerendered=False) for _ in range(WRITERS + 1)]
    follower = stores.pop()
    committed: dict[str, list[int]] = {}
    seen: list[int] = []
    done = threading.Event()

    def write(records: RecordStore, actor: str) -> None:
        positions = committed.setdefault(actor, [])
        for i in range(COMMITS_EACH):
            while True:
                try:
                    change = _entity(f"{actor}-{i}")
                    expect = records.position()
                    positions.append(records.commit([change], Commit(actor=actor), expect))
                    break
                except StaleError:
                    continue

    def follow() -> None:
        while True:
            finished = done.is_set()
            batch = follower.changes_since(seen[-1] if seen else 0, 1000)
            seen.extend(c.position for c in batch)
            if finished and not batch:
                return

    threads = [
        threading.Thread(target=write, args=(records, f"w{n}")) for n, records in enumerate(stores)
    ]
    reader = threading.Thread(target=follow)
    try:
        reader.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        done.set()
        reader.join(timeout=60)
        total = WRITERS * COMMITS_EACH
        assert seen == list(range(1, total + 1))
        log = {c.position: c for c in follower.changes_since(0, total + 10)}
        assert sorted(log) == list(range(1, total + 1))
        for actor, positions in committed.items():
            assert positions == sorted(positions) and len(positions) == COMMITS_EACH
            for i, position in enumerate(positions):
                assert log[position].actor == actor
                assert log[position].change.id == f"{actor}-{i}"
                assert log[position].commit == position
        assert sorted(p for ps in committed.values() for p in ps) == list(range(1, total + 1))
        stamps = [log[p].at for p in sorted(log)]
        assert stamps == sorted(stamps)  # commit order is position order
    finally:
        done.set()
        for records in (*stores, follower):
            records.close()


def test_a_writer_behind_the_log_gets_stale_error_and_writes_nothing(postgres_db: str) -> None:
    first = open_record_store(postgres_db)
    second = open_record_store(postgres_db)
    try:
        assert first.commit([_entity("kyiv")], Commit(actor="a"), expect=0) == 1
        with pytest.raises(StaleError, match="log at 1, writer at 0"):
            second.commit([_entity("lviv")], Commit(actor="b"), expect=0)
        with pytest.raises(StaleError):
            second.commit_bulk([], 0, Commit(actor="b"), expect=0)
        assert [c.change.id for c in second.changes_since(0, 10)] == ["kyiv"]
        assert second.pin().node("lviv") is None
        assert second.commit([_entity("lviv")], Commit(actor="b"), expect=1) == 2
    finally:
        first.close()
        second.close()


def test_a_snapshot_stays_at_its_position_while_others_commit(postgres_db: str) -> None:
    reader = open_record_store(postgres_db)
    writer = open_record_store(postgres_db)
    try:
        writer.commit([_entity("kyiv", "Kyiv")], Commit(actor="a"), expect=0)
        snapshot = reader.pin()
        renamed = Entity(id="kyiv", kind="place", label="Kyiiv")
        writer.commit([Change.put(renamed, {"id": "kyiv"})], Commit(actor="a"), expect=1)
        writer.commit([_entity("lviv")], Commit(actor="a"), expect=2)
        assert snapshot.position == 1
        found = snapshot.node("kyiv")
        assert found is not None and json.loads(found[1])["label"] == "Kyiv"
        assert snapshot.node("lviv") is None
        assert [row[0] for row in snapshot.nodes()] == ["kyiv"]
        assert [c.position for c in snapshot.changes_since(0)] == [1]
        later = reader.pin()
        assert later.position == 3 and later.node("lviv") is not None
        snapshot.close()
        later.close()
        snapshot.close()  # again: nothing
    finally:
        reader.close()
        writer.close()


def test_views_are_rendered_in_the_commit(store: RecordStore) -> None:
    changes = seed_changes(seed_files(DEFAULT_SEEDS))
    store.commit(changes, Commit(actor="seed"), expect=0)
    snapshot = store.pin()
    try:
        for view in VIEWS:
            kept = dict(snapshot.rendered(view, RENDER_VERSION))
            assert kept and all(blob is not None for blob in kept.values()), view
        assert store.fill_views(1000).rendered == 0  # nothing was left to render
    finally:
        snapshot.close()


def test_exports_are_byte_identical_on_sqlite_and_postgresql(
    store: RecordStore, tmp_path: Path
) -> None:
    sqlite = open_record_store(str(tmp_path / "store.sqlite3"))
    try:
        for records in (sqlite, store):
            records.commit(seed_changes(seed_files(DEFAULT_SEEDS)), Commit(actor="seed"), 0)
        pinned = [sqlite.pin(), store.pin()]
        for fmt in prerendered.FORMATS:
            lite, pg = (b"".join(prerendered.write(s, fmt)) for s in pinned)
            assert lite and lite == pg, fmt
        for snapshot in pinned:
            snapshot.close()
    finally:
        sqlite.close()


def test_skeleton_rows_are_those_sqlite_reads(store: RecordStore, tmp_path: Path) -> None:
    """What a read model is built from (each node's kind, dates, CAMEO code, names; each
    edge's type and category) reads the same from both stores, whatever SQL each uses."""
    sqlite = open_record_store(str(tmp_path / "store.sqlite3"))
    try:
        changes = seed_changes(seed_files(DEFAULT_SEEDS))
        renamed = Entity(id="kyiv", kind="place", label="Kyiv", aliases=["Kiev", "Київ"])
        for records in (sqlite, store):
            records.commit(changes, Commit(actor="seed"), 0)
            records.commit([Change.put(renamed, None)], Commit(actor="a"), len(changes))
        rows = []
        for records in (sqlite, store):
            snapshot = records.pin()
            nodes = [(*row[:8], json.loads(row[8] or "[]")) for row in snapshot.node_skeletons()]
            rows.append((nodes, list(snapshot.edge_skeletons())))
            snapshot.close()
        assert rows[0] == rows[1]
        nodes, edges = rows[1]
        assert ["Kiev", "Київ"] in [row[8] for row in nodes]
        assert any(row[4] for row in nodes) and any(row[6] for row in nodes)  # dates, CAMEO
        assert {row[5] for row in edges} == {"role", "relation"}
    finally:
        sqlite.close()


def test_a_knowledge_graph_on_postgresql_serves_what_sqlite_serves(
    postgres_db: str, tmp_path: Path
) -> None:
    graphs = [
        KnowledgeGraph.open(tmp_path / "store.sqlite3", DEFAULT_SEEDS),
        KnowledgeGraph.open(postgres_db, DEFAULT_SEEDS),
    ]
    try:
        counts = []
        for graph in graphs:
            with graph.reading() as view:
                counts.append((view.node_count(), view.edge_count(), view.counts()))
        assert counts[0] == counts[1] and counts[0][0] > 0
        logs = [[(c.position, c.change) for c in g.records.changes_since(0, 10**6)] for g in graphs]
        assert logs[0] == logs[1]
    finally:
        for graph in graphs:
            graph.close()
    again = KnowledgeGraph.open(postgres_db, DEFAULT_SEEDS)  # seeded once, never again
    try:
        assert again.records.position() == len(logs[1])
    finally:
        again.close()


def test_a_bulk_commit_writes_what_one_commit_would(store_location: str) -> None:
    records = open_record_store(store_location)
    kyiv = record_json(Entity(id="kyiv", kind="place", label="Kyiv"))
    bulk = [
        RenderedChange("create", "entity", f"e{i}", json.dumps({**kyiv, "id": f"e{i}"}))
        for i in range(50)
    ]
    try:
        with pytest.raises(ValueError, match="announced"):
            records.commit_bulk([bulk[:10]], 11, Commit(actor="bulk"), expect=0)
        assert records.position() == 0  # nothing written
        assert records.commit_bulk([bulk[:20], bulk[20:]], 50, Commit(actor="bulk"), 0) == 50
        log = records.changes_since(0, 100)
        assert [c.position for c in log] == list(range(1, 51))
        assert {c.commit for c in log} == {50}
        snapshot = records.pin()
        assert [row[0] for row in snapshot.nodes()] == [f"e{i}" for i in range(50)]
        assert snapshot.node("e7") == ("entity", bulk[7].record)  # the body as written
        snapshot.close()
        while not records.fill_views(16).done:
            pass
        snapshot = records.pin()
        assert all(blob is not None for _, blob in snapshot.rendered(VIEWS[0], RENDER_VERSION))
        snapshot.close()
    finally:
        records.close()


def test_a_bulk_commit_gives_a_new_row_the_ord_of_its_position(store_location: str) -> None:
    records = open_record_store(store_location)
    gone = _entity("gone")
    assert gone.after is not None
    kyiv = json.dumps(record_json(Entity(id="kyiv", kind="place", label="Kyiv")))
    try:
        records.commit([gone], Commit(actor="a"), expect=0)
        records.commit([Change.delete("entity", "gone", gone.after)], Commit(actor="a"), 1)
        bulk = RenderedChange("create", "entity", "kyiv", kyiv)
        assert records.commit_bulk([[bulk]], 1, Commit(actor="bulk"), expect=2) == 3
        snapshot = records.pin()
        try:  # never the ord of the deleted last row: every process ranks it at 3
            assert [row[:2] for row in snapshot.node_skeletons()] == [(3, "kyiv")]
        finally:
            snapshot.close()
    finally:
        records.close()


def test_a_change_made_by_hand_makes_views_stale_and_keeps_the_quotes(
    store: RecordStore, postgres_db: str
) -> None:
    store.commit(seed_changes(seed_files(DEFAULT_SEEDS)), Commit(actor="seed"), expect=0)
    snapshot = store.pin()
    source, (quoting_nodes, _) = next(
        (s, q) for s in (row[0] for row in snapshot.nodes()) if (q := snapshot.quoting(s))[0]
    )
    snapshot.close()
    with psycopg.connect(postgres_db, autocommit=True) as conn:
        conn.execute(
            "UPDATE nodes SET body = jsonb_set(body::jsonb, '{evidence}', '[]')::text"
            " WHERE id = %s",
            (quoting_nodes[0],),
        )
    snapshot = store.pin()
    try:
        assert quoting_nodes[0] not in snapshot.quoting(source)[0]
        kept = snapshot.rendered_nodes(VIEWS[0], RENDER_VERSION, [quoting_nodes[0]])
        assert kept == {quoting_nodes[0]: None}
    finally:
        snapshot.close()
    assert store.fill_views(100).rendered >= 1


def test_a_commit_wakes_listeners_with_its_position(store: RecordStore, postgres_db: str) -> None:
    with psycopg.connect(postgres_db, autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        store.commit([_entity("kyiv"), _entity("lviv")], Commit(actor="a"), expect=0)
        note = next(listener.notifies(timeout=5))
        assert (note.channel, note.payload) == (CHANNEL, "2")


def test_a_database_of_another_schema_version_is_refused(postgres_db: str) -> None:
    open_record_store(postgres_db).close()
    with psycopg.connect(postgres_db, autocommit=True) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(
        StoreError,
        match=f"schema version 99 was written by a newer geokg .*up to {SCHEMA_VERSION}",
    ):
        open_record_store(postgres_db)


def test_a_database_of_something_else_is_refused(postgres_db: str) -> None:
    with psycopg.connect(postgres_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE nodes (x int)")
    with pytest.raises(StoreError, match="not a geokg store"):
        open_record_store(postgres_db)


def test_an_unreachable_server_is_a_store_error_without_the_password() -> None:
    with pytest.raises(StoreError, match="cannot connect") as caught:
        open_record_store("postgresql://geokg:secret@127.0.0.1:1/geokg")
    assert "secret" not in str(caught.value) and "***" in str(caught.value)


def test_backup_says_to_use_pg_dump(store: RecordStore, tmp_path: Path) -> None:
    with pytest.raises(NotSupportedError, match="back it up with pg_dump") as caught:
        store.backup(tmp_path / "backup")
    assert "pg_restore" in str(caught.value)
    assert not (tmp_path / "backup").exists()


def test_close_closes_every_connection_and_again_does_nothing(
    postgres_db: str, postgres_url: str
) -> None:
    records = open_record_store(postgres_db)
    records.commit([_entity("kyiv")], Commit(actor="a"), expect=0)
    held = records.pin()
    records.pin().close()  # goes back to the idle pool
    reads = threading.Thread(target=records.position)
    reads.start()
    reads.join()
    name = postgres_db.rsplit("/", 1)[1]

    def connections() -> int:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            row = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (name,)
            ).fetchone()
            return int(row[0]) if row else -1

    assert connections() >= 4  # writer, two readers, the held snapshot, the idle one
    records.close()
    records.close()
    held.close()
    # A backend ends a moment after its client hangs up: give the server that moment (a
    # connection left open would still be there).
    deadline = time.monotonic() + 5
    while connections() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert connections() == 0
    with pytest.raises(StoreError, match="closed"):
        records.position()


def test_a_snapshot_dropped_unclosed_gives_its_connection_to_the_next_one(
    postgres_db: str, postgres_url: str
) -> None:
    """A read model drops its old snapshot at every write without closing it (a reader may
    still hold it): its connection serves the next snapshot, its transaction ended, rather than
    a new connection (a server process) per write."""
    records = open_record_store(postgres_db)
    assert isinstance(records, PostgresRecordStore)
    try:
        records.commit([_entity("kyiv"), _entity("lviv")], Commit(actor="a"), expect=0)
        snapshot = records.pin()
        backend = snapshot._conn.info.backend_pid
        rows = snapshot.nodes()
        next(rows)  # a server-side cursor left open in its transaction
        del rows, snapshot
        records.commit([_entity("odesa")], Commit(actor="a"), expect=2)
        later = records.pin()
        assert later._conn.info.backend_pid == backend
        assert later.position == 3 and [row[0] for row in later.nodes()] == [
            "kyiv",
            "lviv",
            "odesa",
        ]
        later.close()
        dropped = records.pin()
        del dropped
        records.close()  # closes a dropped snapshot's connection too
        name = postgres_db.rsplit("/", 1)[1]
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            row = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (name,)
            ).fetchone()
        assert row is not None and row[0] == 0
    finally:
        records.close()
