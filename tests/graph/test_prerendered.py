"""Whole-graph exports of a store of record join the views the store keeps pre-rendered: the
document is always, byte for byte, the one the projection writes from the records as they
stand, whoever wrote the store and however (with or without a renderer, by hand, restored, of
another renderer version). The tests that need no SQLite file run against SQLite and
PostgreSQL (``store_location``)."""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from graph import DEFAULT_SEEDS
from graph.changes import Change, edge_record, node_record
from graph.errors import StoreUnreachableError
from graph.export import prerendered, rdf
from graph.export.graphml import export_graphml
from graph.export.prerendered import RENDER_VERSION, VIEWS, ExportRenderer
from graph.export.rdf import export_rdf
from graph.formats import export
from graph.model import Edge, Entity, Event
from graph.seed import load_seed_dir, seed_changes, seed_files
from graph.storage import (
    Commit,
    RecordReader,
    RecordSnapshot,
    RecordStore,
    SQLiteRecordStore,
    is_postgres_location,
)
from graph.storage.postgres import PostgresRecordStore
from graph.storage.sqlite import restore_backup
from graph.store import GraphStore
from tests.conftest import MINI
from tests.graph.exportfixtures import build_export_store

FORMATS = prerendered.FORMATS


def storable(store: GraphStore) -> list[Change]:
    """The changes that write a store built in memory (records a store of record refuses,
    such as the export fixture's odd ids, left out with their edges)."""
    changes: list[Change] = []
    left_out: set[str] = set()
    for node_id in store.node_ids():
        record = store.node(node_id)
        try:
            node_record(record.model_dump(mode="json"))
        except ValueError:
            left_out.add(node_id)
            continue
        text = None
        if record.node_type == "source":
            with contextlib.suppress(KeyError):
                text = store.source_text(node_id)
        changes.append(Change.put(record, None, text))
    for edge in store.edges():
        try:
            edge_record(edge.model_dump(mode="json"))
        except ValueError:
            continue
        if edge.source not in left_out and edge.target not in left_out:
            changes.append(Change.put(edge, None))
    return changes


STORES: dict[str, Callable[[], list[Change]]] = {
    "export-fixture": lambda: storable(build_export_store()),
    "mini": lambda: seed_changes(seed_files(MINI)),
    "seed": lambda: seed_changes(seed_files(DEFAULT_SEEDS)),
}


def open_store(location: Path | str, renderer: ExportRenderer | None = None) -> RecordStore:
    if is_postgres_location(str(location)):
        return PostgresRecordStore(str(location), renderer=renderer)
    return SQLiteRecordStore(location, renderer=renderer)


def write(records: RecordStore, changes: list[Change]) -> None:
    records.commit(changes, Commit(actor="test"), expect=records.position())


def view_of(records: RecordStore) -> GraphStore:
    """What an export reads: a view pinned to the store as it stands now."""
    return GraphStore.from_snapshot(records.pin()).snapshot()


def projected(view: GraphStore, fmt: str) -> bytes:
    """The document the projection writes from the records."""
    chunks = export_graphml(view) if fmt == "graphml" else export_rdf(view, fmt)
    return b"".join(chunks)


def assert_exports_the_records(records: RecordStore) -> None:
    view = view_of(records)
    for fmt in FORMATS:
        assert b"".join(export(view, fmt)) == projected(view, fmt), fmt


def stored(records: RecordStore) -> dict[str, bool]:
    """Whether each node has a stored, up-to-date view (of every kind)."""
    snapshot = records.pin()
    found = [dict(snapshot.rendered(view, RENDER_VERSION)) for view in VIEWS]
    return {node_id: all(f[node_id] is not None for f in found) for node_id in found[0]}


@pytest.fixture
def seeded(store_location: str) -> Iterator[RecordStore]:
    """The seed in a store with views, in SQLite and then in PostgreSQL."""
    records = open_store(store_location, ExportRenderer())
    write(records, STORES["seed"]())
    yield records
    records.close()


@pytest.fixture
def seeded_sqlite(tmp_path: Path) -> Iterator[RecordStore]:
    """The seed in a SQLite store with views, for tests that open its file."""
    records = open_store(tmp_path / "store.sqlite3", ExportRenderer())
    write(records, STORES["seed"]())
    yield records
    records.close()


@pytest.mark.parametrize("name", sorted(STORES))
@pytest.mark.parametrize("fmt", FORMATS)
def test_stored_views_join_into_the_projections_document(
    store_location: str, name: str, fmt: str
) -> None:
    records = open_store(store_location, ExportRenderer())
    write(records, STORES[name]())
    assert all(stored(records).values())  # the export below joins stored views only
    view = view_of(records)
    document = b"".join(export(view, fmt))
    assert document == projected(view, fmt)
    # And it is the graph a store in memory exports (the golden tests check that one).
    if name != "export-fixture":  # its odd records cannot be stored
        memory = load_seed_dir(DEFAULT_SEEDS if name == "seed" else MINI)
        assert document == b"".join(export(memory, fmt))
    records.close()


def _event_with_place(place: str, with_edge: bool) -> list[Change]:
    """An event whose ``place`` names a node, with or without the place edge that says it."""
    event = Event.model_validate(
        {
            "id": "talks",
            "kind": "meeting",
            "label": "Talks",
            "cameo": {
                "code": "036",
                "name": "Express intent to meet or negotiate",
                "goldstein": 4.0,
                "quad_class": 1,
                "origin": "test",
            },
            "modality": "occurred",
            "date": {
                "expression": None,
                "value": None,
                "start": None,
                "end": None,
                "granularity": None,
                "rule": "undated",
            },
            "place": place,
            "evidence": [],
            "analyst_assertion": True,
        }
    )
    changes = [Change.put(event, None)]
    if with_edge:
        edge = Edge(
            id=f"talks.place.{place}", category="role", type="place", source="talks", target=place
        )
        changes.append(Change.put(edge, None))
    return changes


def test_views_follow_updates_deletes_and_cascades(seeded: RecordStore) -> None:
    view = view_of(seeded)
    kyiv = view.node("kyiv")
    assert isinstance(kyiv, Entity)
    renamed = kyiv.model_copy(update={"label": "Kyiv (city)", "aliases": ("Kiev",)})
    write(seeded, [Change.put(renamed, kyiv.model_dump(mode="json"))])
    assert_exports_the_records(seeded)
    # An edge changed and one deleted: the node that sends them is rendered again.
    edges = list(view.edges())
    changed = edges[0].model_copy(update={"attributes": {"note": "checked"}})
    write(seeded, [Change.put(changed, edges[0].model_dump(mode="json"))])
    write(seeded, [Change.delete("edge", edges[1].id, edges[1].model_dump(mode="json"))])
    assert_exports_the_records(seeded)
    # A node deleted with what refers to it (as a cascade does).
    view = view_of(seeded)
    doomed = "kyiv"
    cascade: list[Change] = []
    for edge in view.edges():
        if doomed in (edge.source, edge.target):
            cascade.append(Change.delete("edge", edge.id, edge.model_dump(mode="json")))
    for node_id in view.node_ids():
        record = view.node(node_id)
        if isinstance(record, Event) and record.place == doomed:
            updated = record.model_copy(update={"place": None})
            cascade.append(Change.put(updated, record.model_dump(mode="json")))
    cascade.append(Change.delete("entity", doomed, view.node(doomed).model_dump(mode="json")))
    write(seeded, cascade)
    assert_exports_the_records(seeded)
    # A source's text changed.
    source = next(n for n in view.node_ids() if view.type_of(n) == "source")
    record = view.node(source)
    text = view.source_text(source)
    write(seeded, [Change.put(record, record.model_dump(mode="json"), text + " More.")])
    assert_exports_the_records(seeded)
    assert all(stored(seeded).values())  # every write left every view in step


def test_a_node_named_without_an_edge_renders_its_namers_again(
    seeded: RecordStore,
) -> None:
    write(seeded, _event_with_place("nowhere-yet", with_edge=False))
    assert_exports_the_records(seeded)  # no such node: no sem:hasPlace triple
    place = Entity(id="nowhere-yet", kind="place", label="Nowhere yet")
    write(seeded, [Change.put(place, None)])
    assert_exports_the_records(seeded)  # now the field's triple is written
    write(seeded, [Change.delete("entity", place.id, place.model_dump(mode="json"))])
    assert_exports_the_records(seeded)  # and gone again
    assert all(stored(seeded).values())


def test_a_write_without_a_renderer_leaves_views_stale_never_wrong(
    seeded: RecordStore, store_location: str
) -> None:
    plain = open_store(store_location)  # another writer, with no renderer
    view = view_of(plain)
    russia = view.node("russia")
    write(
        plain,
        [
            Change.put(
                russia.model_copy(update={"label": "Russian Federation"}),
                russia.model_dump(mode="json"),
            )
        ],
    )
    write(plain, _event_with_place("russia", with_edge=True))
    up_to_date = stored(seeded)
    assert not up_to_date["russia"] and not up_to_date["talks"]
    assert sum(up_to_date.values()) == len(up_to_date) - 2
    assert_exports_the_records(seeded)
    while not seeded.fill_views(budget=1).done:
        pass
    assert all(stored(seeded).values())
    assert_exports_the_records(seeded)
    plain.close()


def test_a_change_made_by_hand_makes_views_stale(
    seeded_sqlite: RecordStore, tmp_path: Path
) -> None:
    seeded = seeded_sqlite
    with sqlite3.connect(tmp_path / "store.sqlite3") as conn:
        conn.execute(
            "UPDATE nodes SET body = json_set(body, '$.label', 'Ukraina') WHERE id = 'ukraine'"
        )
        conn.execute("DELETE FROM edges WHERE source = 'kyiv'")
    up_to_date = stored(seeded)
    assert not up_to_date["ukraine"] and not up_to_date["kyiv"]
    assert_exports_the_records(seeded)


def _strip_views(path: Path) -> None:
    """Make a store as geokg wrote it before it kept views: no view tables, no triggers."""
    with sqlite3.connect(path) as conn:
        for kind, name in conn.execute(
            "SELECT type, name FROM sqlite_master WHERE name LIKE 'render%'"
            " AND type IN ('table', 'trigger')"
        ).fetchall():
            conn.execute(f"DROP {kind.upper()} {name}")
        conn.execute("DELETE FROM meta WHERE key LIKE 'render%'")


def _written_before_views(
    tmp_path: Path, name: str, renderer: ExportRenderer | None = None
) -> RecordStore:
    """The store ``name`` of STORES as geokg wrote it before it kept views, opened again with
    ``renderer`` (the current one if not given)."""
    path = tmp_path / "old.sqlite3"
    records = open_store(path)
    write(records, STORES[name]())
    records.close()
    _strip_views(path)
    return open_store(path, renderer or ExportRenderer())


def test_a_store_written_before_views_exports_the_same_and_fills_them(tmp_path: Path) -> None:
    records = _written_before_views(tmp_path, "seed")
    assert not any(stored(records).values())
    assert_exports_the_records(records)  # rendered as the export streams
    calls = 0
    while not records.fill_views(budget=50).done:
        calls += 1
    assert calls > 1  # in short transactions
    assert all(stored(records).values())
    assert_exports_the_records(records)
    records.close()


def test_a_fill_stops_when_its_time_is_up_and_goes_on_at_the_next_call(
    tmp_path: Path,
) -> None:
    """The write lock is held for about ``seconds``: with none, each call renders one node
    (never none, or the fill would never end), stale and missing ones alike."""
    records = _written_before_views(tmp_path, "seed")
    nodes = len(stored(records))
    filled = [records.fill_views(budget=1000, seconds=0) for _ in range(nodes + 1)]
    assert [f.rendered for f in filled] == [1] * nodes + [0]
    assert [f.done for f in filled] == [False] * (nodes - 1) + [True, True]
    assert all(stored(records).values())
    records.close()


def test_a_fill_cut_short_by_a_lost_store_renders_the_same_nodes_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch is rolled back: where the next call looks must not have moved past it (the
    server's filler tries again after an outage), or those nodes would never get views."""
    records = _written_before_views(tmp_path, "mini")
    real = records._render_node  # type: ignore[attr-defined]
    calls = [0]

    def flaky(*args: Any, **kwargs: Any) -> bool:
        calls[0] += 1
        if calls[0] == 3:
            raise StoreUnreachableError("server closed the connection unexpectedly")
        return bool(real(*args, **kwargs))

    monkeypatch.setattr(records, "_render_node", flaky)
    with pytest.raises(StoreUnreachableError):
        records.fill_views(budget=1000)
    while not records.fill_views(budget=1000).done:
        pass
    assert all(stored(records).values())
    records.close()


class _FailsOn(ExportRenderer):
    """A renderer with a bug that shows on one node."""

    def __init__(self, node_id: str) -> None:
        super().__init__()
        self.node_id = node_id

    def render(self, reader: Any, node_id: str, views: Any = VIEWS) -> dict[str, bytes] | None:
        if node_id == self.node_id:
            raise RuntimeError("a bug in the renderer")
        return super().render(reader, node_id, views)


def test_a_node_the_renderer_failed_on_is_tried_again_at_the_next_start(
    tmp_path: Path,
) -> None:
    records = _written_before_views(tmp_path, "mini", _FailsOn("beta-land"))
    while not records.fill_views(budget=1).done:  # the failure is in an early batch
        pass
    assert [node for node, ok in stored(records).items() if not ok] == ["beta-land"]
    records.close()
    records = open_store(tmp_path / "old.sqlite3", ExportRenderer())  # the next start, mended
    while not records.fill_views(budget=1000).done:
        pass
    assert all(stored(records).values())
    records.close()


class _OtherVersion(ExportRenderer):
    version = "other"


def test_views_of_another_renderer_version_are_dropped(store_location: str) -> None:
    path = store_location
    records = open_store(path, _OtherVersion())
    write(records, STORES["mini"]())
    assert not any(stored(records).values())  # views of version "other" are not handed out
    assert_exports_the_records(records)
    records.close()
    records = open_store(path, ExportRenderer())
    assert not any(stored(records).values())
    while not records.fill_views().done:
        pass
    assert all(stored(records).values())
    assert_exports_the_records(records)
    records.close()


def test_a_store_whose_views_another_version_took_over_still_writes(
    store_location: str,
) -> None:
    path = store_location
    records = open_store(path, ExportRenderer())
    write(records, STORES["mini"]())
    other = open_store(path, _OtherVersion())  # drops this version's views, keeps its own
    write(records, _event_with_place("nowhere", with_edge=False))  # renders nothing now
    assert records.fill_views().done
    assert not any(stored(records).values())
    assert_exports_the_records(records)
    other.close()
    records.close()


def test_a_restored_backup_keeps_its_views(seeded_sqlite: RecordStore, tmp_path: Path) -> None:
    seeded = seeded_sqlite
    backup = tmp_path / "backup.sqlite3"
    seeded.backup(backup)
    target = tmp_path / "restored.sqlite3"
    restore_backup(backup, target)
    restored = open_store(target, ExportRenderer())
    assert all(stored(restored).values())
    assert_exports_the_records(restored)
    restored.close()


def test_quotes_forgotten_past_the_bound_are_described_again_alike(
    seeded: RecordStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rdf, "_REMEMBERED", 1)
    view = view_of(seeded)
    for fmt in ("nquads", "turtle"):
        forgetting = b"".join(export(view, fmt))
        assert forgetting == projected(view, fmt)
    monkeypatch.undo()
    assert len(forgetting) > len(b"".join(export(view, "turtle")))


class _Failing(ExportRenderer):
    def render(
        self, reader: RecordReader, node_id: str, views: Iterable[str] = VIEWS
    ) -> dict[str, bytes] | None:
        if node_id == "kyiv":
            raise RuntimeError("a bug in a renderer")
        return super().render(reader, node_id, views)


def test_a_renderer_that_fails_does_not_refuse_the_write(
    store_location: str, caplog: pytest.LogCaptureFixture
) -> None:
    records = open_store(store_location, _Failing())
    write(records, STORES["seed"]())
    assert "could not pre-render the export views of 'kyiv'" in caplog.text
    up_to_date = stored(records)
    assert not up_to_date["kyiv"] and sum(up_to_date.values()) == len(up_to_date) - 1
    assert_exports_the_records(records)
    records.close()


class _BreakingSnapshot:
    """A snapshot whose disk goes away after ``rows`` stored views were read."""

    def __init__(self, snapshot: RecordSnapshot, rows: int) -> None:
        self._snapshot = snapshot
        self._rows = rows

    def __getattr__(self, name: str) -> Any:
        return getattr(self._snapshot, name)

    def rendered(self, view: str, version: str) -> Iterator[tuple[str, bytes | None]]:
        for i, row in enumerate(self._snapshot.rendered(view, version)):
            if i == self._rows:
                raise OSError("the store went away")
            yield row


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_failure_midway_is_raised_by_the_iterator(seeded: RecordStore, fmt: str) -> None:
    nodes = len(stored(seeded))
    with pytest.raises(OSError, match="went away"):
        prerendered.write(_BreakingSnapshot(seeded.pin(), 3), fmt)  # type: ignore[arg-type]
    chunks = prerendered.write(_BreakingSnapshot(seeded.pin(), nodes - 3), fmt)  # type: ignore[arg-type]
    received = [next(chunks)]
    with pytest.raises(OSError, match="went away"):
        received += list(chunks)
    assert received  # the chunks before the failure came out; the document never ended


def test_chunks_grow_from_the_first(seeded: RecordStore) -> None:
    sizes = [len(chunk) for chunk in prerendered.write(seeded.pin(), "nquads")]
    assert prerendered.CHUNK <= sizes[0] < 2 * prerendered.CHUNK
    assert sizes[1] >= 2 * prerendered.CHUNK
    assert max(sizes) < 2 * prerendered.BIG_CHUNK


# The hash of the seed graph's views, as RENDER_VERSION "1" renders them. A change to what the
# exporters write changes it: then bump RENDER_VERSION (stores drop views of other versions and
# render them again) and put the new version and hash here. A change to the seed changes it too,
# with no bump (the renderer is the same): then only the hash is put here.
RENDERED = ("1", "1a72f36a9e0884ec692c6552ec3e41defdf690122d149e0bf22480e40e846d04")


def test_render_version_changes_with_what_is_rendered(seeded: RecordStore) -> None:
    snapshot = seeded.pin()
    digest = hashlib.sha256()
    for view in VIEWS:
        for node_id, blob in snapshot.rendered(view, RENDER_VERSION):
            assert blob is not None
            digest.update(node_id.encode() + b"\0" + prerendered.unpack(blob))
    assert (RENDER_VERSION, digest.hexdigest()) == RENDERED, (
        "what the exporters render changed: bump RENDER_VERSION in graph/export/prerendered.py "
        "and record the new version and hash in RENDERED"
    )
