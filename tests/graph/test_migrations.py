"""Versioned schemas on both stores: a new store is created whole, an older one is refused
until ``geokg migrate`` upgrades it one migration at a time, a newer one is refused, a failing
migration leaves nothing behind, and two migrations at once agree.

A store "at an older version" is a real store of the first schema (version 1) opened by a geokg
whose migration list has test-only versions 2 and 3 in place of its own; the real upgrade from
version 1 to 2 (the read model's fields as columns) is tested on its own."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from graph import DEFAULT_SEEDS as SEEDS
from graph.changes import Change
from graph.errors import SchemaVersionError, StoreError
from graph.model import Entity
from graph.seed import seed_changes, seed_files
from graph.storage import (
    Commit,
    is_postgres_location,
    migrate_store,
    open_record_store,
    postgres,
    schema_status,
    sqlite,
)
from graph.storage.migrations import Migration


def _v2(conn: Any) -> None:
    # Not idempotent on purpose: applied twice, it fails.
    conn.execute("CREATE TABLE test_v2 (n integer NOT NULL)")
    conn.execute("INSERT INTO test_v2 VALUES (2)")


def _v3(conn: Any) -> None:
    conn.execute("ALTER TABLE test_v2 ADD COLUMN m integer")


def _slow_v2(conn: Any) -> None:
    time.sleep(0.5)  # long enough for a second migrator to be waiting on the lock
    _v2(conn)


def _broken_v2(conn: Any) -> None:
    conn.execute("CREATE TABLE test_half (n integer)")
    conn.execute("INSERT INTO test_half VALUES (1)")
    conn.execute("INSERT INTO no_such_table VALUES (1)")


def _engine(location: str) -> Any:
    return postgres if is_postgres_location(location) else sqlite


def _with_versions(monkeypatch: pytest.MonkeyPatch, location: str, *later: tuple[str, Any]) -> None:
    """This process's geokg knows versions 2, 3... besides today's 1."""
    engine = _engine(location)
    first = engine.MIGRATIONS[0]
    added = [Migration(n, summary, apply) for n, (summary, apply) in enumerate(later, start=2)]
    monkeypatch.setattr(engine, "MIGRATIONS", (first, *added))


def _sql(location: str, sql: str) -> list[tuple[Any, ...]]:
    """Run one statement on the store by hand (as psql or sqlite3 would)."""
    if is_postgres_location(location):
        with psycopg.connect(location, autocommit=True) as conn:
            cursor = conn.execute(sql)
            return cursor.fetchall() if cursor.description else []
    conn = sqlite3.connect(location)
    try:
        rows = conn.execute(sql).fetchall()
        conn.commit()
        return rows
    finally:
        conn.close()


def _tables(location: str) -> set[str]:
    if is_postgres_location(location):
        query = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'table'"
    return {row[0] for row in _sql(location, query)}


def _shown(location: str) -> str:
    return postgres._redacted(location) if is_postgres_location(location) else location


def _at_version_1(location: str) -> Any:
    """A store opened while this geokg knows only version 1: one made at version 1."""
    with pytest.MonkeyPatch.context() as patch:
        engine = _engine(location)
        patch.setattr(engine, "MIGRATIONS", engine.MIGRATIONS[:1])
        return open_record_store(location)


@pytest.fixture
def old_store(store_location: str) -> Iterator[str]:
    """A store of the first schema (version 1) holding one change."""
    records = _at_version_1(store_location)
    kyiv = Entity(id="kyiv", kind="place", label="Kyiv")
    records.commit([Change.put(kyiv, None)], Commit(actor="t"), expect=0)
    records.close()
    yield store_location


def test_a_new_store_is_created_whole_at_the_latest_version(store_location: str) -> None:
    done = migrate_store(store_location)
    assert (
        str(done) == f"store {_shown(store_location)}: created at schema version 2 (2 migrations)"
    )
    assert (done.before, done.after) == (0, 2)
    assert schema_status(store_location).current
    records = open_record_store(store_location)
    try:
        assert records.position() == 0 and records.store_id()
    finally:
        records.close()


def test_opening_a_new_store_still_creates_it(store_location: str) -> None:
    open_record_store(store_location).close()
    found = schema_status(store_location)
    assert (found.version, found.latest, found.current) == (2, 2, True)
    assert str(found) == f"store {_shown(store_location)}: schema version 2, this geokg's"


def test_an_older_store_is_refused_until_migrated_step_by_step(
    old_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_versions(monkeypatch, old_store, ("test table", _v2), ("test column", _v3))
    with pytest.raises(SchemaVersionError) as refused:
        open_record_store(old_store)
    assert str(refused.value) == (
        f"store {_shown(old_store)}: schema version 1 is older than this geokg's 3: "
        "run geokg migrate (with the same GEOKG_DB or --db) to upgrade it"
    )
    assert (refused.value.found, refused.value.known) == (1, 3)
    status = schema_status(old_store)
    assert (status.version, status.current) == (1, False)
    assert str(status).endswith("schema version 1, this geokg's is 3: run geokg migrate")

    done = migrate_store(old_store)
    assert str(done) == f"store {_shown(old_store)}: schema version 1 → 3 (2 migrations)"
    assert _sql(old_store, "SELECT n, m FROM test_v2") == [(2, None)]
    records = open_record_store(old_store)
    try:  # the data came through; the store id is the same store's
        assert records.position() == 1
        assert [c.change.id for c in records.changes_since(0, 10)] == ["kyiv"]
    finally:
        records.close()


def _skeletons(location: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    records = open_record_store(location)
    try:
        snapshot = records.pin()
        try:
            return list(snapshot.node_skeletons()), list(snapshot.edge_skeletons())
        finally:
            snapshot.close()
    finally:
        records.close()


def _expected_skeletons(changes: list[Change]) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """What the skeleton rows must hold, read from the records' bodies here (ord left out)."""
    nodes, edges = set(), set()
    for change in changes:
        body = change.after
        assert body is not None
        if change.object_type == "edge":
            edges.add((change.id, body["source"], body["target"], body["type"], body["category"]))
            continue
        date, cameo = body.get("date") or {}, body.get("cameo") or {}
        aliases = body.get("aliases")
        nodes.add(
            (
                change.id,
                change.object_type,
                body["kind"],
                date.get("start"),
                date.get("end"),
                cameo.get("code"),
                body.get("label"),
                None if aliases is None else tuple(aliases),
            )
        )
    return nodes, edges


def _comparable(
    nodes: list[tuple[Any, ...]], edges: list[tuple[Any, ...]]
) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    return (
        {(*row[1:8], None if row[8] is None else tuple(json.loads(row[8]))) for row in nodes},
        {tuple(row[1:]) for row in edges},
    )


def test_version_2_keeps_the_model_fields_as_columns_for_old_and_new_rows(
    store_location: str,
) -> None:
    """The real upgrade: a version 1 store holding the seed graph is refused, migrated, and
    then gives the read model's fields from columns, equal to its records' bodies; rows
    written after the upgrade have them too."""
    changes = seed_changes(seed_files(SEEDS))
    records = _at_version_1(store_location)
    records.commit(changes, Commit(actor="seed"), expect=0)
    records.close()
    with pytest.raises(SchemaVersionError, match="schema version 1 is older than this geokg's 2"):
        open_record_store(store_location)
    assert str(migrate_store(store_location)).endswith("schema version 1 → 2 (1 migration)")

    nodes, edges = _skeletons(store_location)
    assert [row[0] for row in nodes] == sorted(row[0] for row in nodes)  # load order
    assert _comparable(nodes, edges) == _expected_skeletons(changes)
    events = [row for row in nodes if row[2] == "event" and row[4] and row[6]]
    assert events, "the seed graph has dated events with CAMEO codes"

    later = Entity(id="kharkiv", kind="place", label="Kharkiv", aliases=["Kharkov"])
    records = open_record_store(store_location)
    try:
        records.commit([Change.put(later, None)], Commit(actor="t"), expect=len(changes))
    finally:
        records.close()
    nodes, _ = _skeletons(store_location)
    assert nodes[-1][1:] == (
        "kharkiv",
        "entity",
        "place",
        None,
        None,
        None,
        "Kharkiv",
        '["Kharkov"]',
    )


def test_migrate_is_idempotent(old_store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _with_versions(monkeypatch, old_store, ("test table", _v2))
    assert migrate_store(old_store).after == 2
    again = migrate_store(old_store)  # _v2 applied twice would fail: the table exists
    assert str(again) == f"store {_shown(old_store)}: already at schema version 2"
    assert _sql(old_store, "SELECT n FROM test_v2") == [(2,)]


def test_a_newer_store_is_refused_by_open_and_by_migrate(old_store: str) -> None:
    _sql(old_store, "UPDATE meta SET value = '9' WHERE key = 'schema_version'")
    message = (
        f"store {_shown(old_store)}: schema version 9 was written by a newer geokg "
        "(this one knows versions up to 2)"
    )
    with pytest.raises(SchemaVersionError) as opening:
        open_record_store(old_store)
    assert str(opening.value) == message
    with pytest.raises(SchemaVersionError) as migrating:
        migrate_store(old_store)
    assert str(migrating.value) == message
    assert schema_status(old_store).version == 9
    assert _sql(old_store, "SELECT value FROM meta WHERE key = 'schema_version'") == [("9",)]


def test_a_failing_migration_leaves_the_store_as_it_was(
    old_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_versions(monkeypatch, old_store, ("half a table", _broken_v2), ("test column", _v3))
    before = _tables(old_store)
    with pytest.raises(StoreError, match=r"migration to schema version 2 .* failed") as failed:
        migrate_store(old_store)
    assert "nothing of it was kept" in str(failed.value)
    assert _tables(old_store) == before  # no test_half: the whole step was rolled back
    assert schema_status(old_store).version == 1


def test_a_new_store_whose_creation_fails_is_not_created_at_all(
    store_location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_versions(monkeypatch, store_location, ("half a table", _broken_v2))
    with pytest.raises(StoreError, match="failed, and nothing of it was kept"):
        open_record_store(store_location)
    assert _tables(store_location) == set()  # not even version 1's tables
    assert schema_status(store_location).version in (0, None)


def test_two_migrations_at_once_agree(old_store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _with_versions(monkeypatch, old_store, ("slow test table", _slow_v2), ("test column", _v3))
    start = threading.Barrier(2)
    results: list[Any] = []

    def run() -> None:
        start.wait()
        try:
            results.append(migrate_store(old_store))
        except Exception as exc:  # pragma: no cover - what the test would report
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(not isinstance(r, Exception) for r in results), results
    assert {r.after for r in results} == {3}
    # Each migration ran once (a second _v2 would have failed on the existing table).
    assert sorted(r.before for r in results)[0] == 1
    assert _sql(old_store, "SELECT n, m FROM test_v2") == [(2, None)]
    assert schema_status(old_store).current


def test_a_store_of_something_else_is_refused(store_location: str) -> None:
    _sql(store_location, "CREATE TABLE nodes (x integer)")
    for action in (open_record_store, migrate_store):
        with pytest.raises(StoreError, match="not a geokg store"):
            action(store_location)
    with pytest.raises(StoreError, match="not a geokg store"):
        schema_status(store_location)


@pytest.mark.parametrize(
    "tables",
    [
        ["CREATE TABLE meta (k text)"],  # another application's meta table
        [
            "CREATE TABLE meta (key text, value text)",
            "INSERT INTO meta VALUES ('schema_version', 'abc')",
        ],
    ],
)
def test_a_meta_table_that_is_not_geokgs_is_refused_in_one_line(
    store_location: str, tables: list[str]
) -> None:
    for statement in tables:
        _sql(store_location, statement)
    for action in (open_record_store, migrate_store, schema_status):
        with pytest.raises(StoreError, match="not a geokg store") as caught:
            action(store_location)
        assert "\n" not in str(caught.value)


def test_a_url_with_a_password_parameter_is_never_shown_whole(postgres_url: str) -> None:
    hidden = postgres_url.rsplit("/", 1)[0] + "/no_such_database?password=QuerySecret"
    with pytest.raises(StoreError) as caught:
        migrate_store(hidden)
    assert "QuerySecret" not in str(caught.value) and "password=***" in str(caught.value)
    with pytest.raises(StoreError, match=r"cannot connect") as bad:
        migrate_store("postgresql://[bad")
    assert "[bad" not in str(bad.value)


def test_a_database_that_does_not_exist_is_refused(postgres_url: str) -> None:
    missing = postgres_url.rsplit("/", 1)[0] + "/no_such_database"
    for action in (migrate_store, schema_status, open_record_store):
        with pytest.raises(StoreError, match=r'cannot connect to .*"no_such_database" does not'):
            action(missing)


def test_status_of_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    location = str(tmp_path / "none" / "geokg.sqlite3")
    found = schema_status(location)
    assert (found.version, found.current) == (None, False)
    assert str(found) == (
        f"store {location}: no store yet (geokg migrate, or the first start, creates it)"
    )
    assert not (tmp_path / "none").exists()


def test_an_empty_postgresql_database_has_no_schema_until_opened(postgres_db: str) -> None:
    found = schema_status(postgres_db)
    assert (found.version, found.current) == (0, False)
    assert "no geokg schema yet" in str(found)


def test_a_throwaway_store_is_not_migrated() -> None:
    with pytest.raises(StoreError, match="throwaway"):
        migrate_store(":memory:")


def test_restore_takes_an_older_backup_for_migrate_and_refuses_a_newer_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = str(tmp_path / "backup.sqlite3")
    _at_version_1(backup).close()
    target = tmp_path / "live.sqlite3"
    _with_versions(monkeypatch, backup, ("test table", _v2))
    assert sqlite.restore_backup(Path(backup), target) == 0
    with pytest.raises(SchemaVersionError, match="run geokg migrate"):
        open_record_store(str(target))
    assert migrate_store(str(target)).after == 2
    monkeypatch.setattr(sqlite, "MIGRATIONS", sqlite.MIGRATIONS[:1])  # this geokg knows 1 only
    with pytest.raises(SchemaVersionError, match="version 2 was written by a newer geokg"):
        sqlite.restore_backup(target, tmp_path / "other.sqlite3")
    assert not (tmp_path / "other.sqlite3").exists()
