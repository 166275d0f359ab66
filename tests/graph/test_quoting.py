"""Which records quote a source: what deleting a source checks, read from the store's index.

Deleting a quoted source is a 409 listing every record that quotes it, cascade or not. The
list comes from the store of record's ``quotes`` table (kept by triggers), not from a walk
over every record; the answer is the one the walk gave.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph import DEFAULT_SEEDS
from graph.changes import Change
from graph.errors import ConflictError
from graph.model import Edge, Entity, Event, EventDate, Evidence, Quantity
from graph.reference import cameo_codes
from graph.service import KnowledgeGraph
from graph.storage import Commit, SQLiteRecordStore
from graph.store import GraphStore
from graph.writes import plan_create, plan_delete, plan_update
from tests.conftest import MINI

SEED_SOURCE = "ap-2022-02-15-russia-forces-pulling-back"


def _walk(store: GraphStore, source_id: str) -> list[str]:
    """The answer as the walk over every record gave it: nodes, then edges, in load order."""

    def quotes(record: Any) -> bool:
        items = [
            *getattr(record, "evidence", ()),
            *(e for q in getattr(record, "quantities", ()) for e in q.evidence),
        ]
        return any(ev.source == source_id for ev in items)

    nodes = [n for n in store.node_ids() if quotes(store.node(n))]
    return nodes + [e.id for e in store.edges() if quotes(e)]


def _conflicts(graph: KnowledgeGraph, source_id: str, *, cascade: bool) -> tuple[str, ...]:
    with pytest.raises(ConflictError) as caught:
        graph.write(lambda s: plan_delete(s, "source", source_id, cascade=cascade), actor="t")
    assert f"source {source_id!r} is quoted by" in str(caught.value)
    return caught.value.ids


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[KnowledgeGraph]:
    graph = KnowledgeGraph.open(tmp_path / "geokg.sqlite3", DEFAULT_SEEDS)
    yield graph
    graph.close()


def test_a_quoted_source_is_409_listing_what_the_walk_listed_without_a_walk(
    seeded: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    with seeded.reading() as store:
        expected = _walk(store, SEED_SOURCE)
    assert len(expected) > 300
    for walk in ("node_ids", "edges"):  # what the walk went through: not used any more
        monkeypatch.setattr(GraphStore, walk, _refuse)
    for cascade in (False, True):
        assert list(_conflicts(seeded, SEED_SOURCE, cascade=cascade)) == expected


def _refuse(*args: object) -> Any:
    raise AssertionError("a walk over every record")


def test_writes_keep_the_index_and_an_unquoted_source_goes(seeded: KnowledgeGraph) -> None:
    source = {"title": "Note", "published": "2022-02-16", "text": "Ann met Bob in Kyiv."}
    seeded.write(lambda s: plan_create(s, "source", source), actor="t")
    note = "note"
    quote = [{"source": note, "quote": "Ann met Bob"}]
    for label in ("Ann", "Bob"):
        body = {"kind": "person", "label": label, "evidence": [{"source": note, "quote": label}]}
        seeded.write(lambda s, b=body: plan_create(s, "entity", b), actor="t")  # type: ignore[misc]
    relation = {"type": "counterpart_of", "source": "ann", "target": "bob", "evidence": quote}
    seeded.write(lambda s: plan_create(s, "relation", relation), actor="t")
    with seeded.reading() as store:
        assert _walk(store, note) == ["ann", "bob", "ann.counterpart_of.bob"]
    assert _conflicts(seeded, note, cascade=True) == ("ann", "bob", "ann.counterpart_of.bob")
    other = [{"source": SEED_SOURCE, "quote": "Kuleba"}]
    seeded.write(lambda s: plan_update(s, "entity", "bob", {"evidence": other}), actor="t")
    seeded.write(lambda s: plan_delete(s, "relation", "ann.counterpart_of.bob"), actor="t")
    assert _conflicts(seeded, note, cascade=False) == ("ann",)
    seeded.write(lambda s: plan_delete(s, "entity", "ann"), actor="t")
    seeded.write(lambda s: plan_delete(s, "source", note), actor="t")
    with seeded.reading() as store:
        assert note not in store and store.quoting(note) == []


def _event(event_id: str, quoted: str, counted: str) -> Event:
    day = dt.date(2022, 2, 15)
    evidence = (Evidence(source=quoted, quote="x", start=0, end=1),)
    counted_in = (Evidence(source=counted, quote="y", start=1, end=2),)
    return Event(
        id=event_id,
        kind="deployment",
        label=event_id,
        cameo=cameo_codes()["190"],
        modality="reported",
        date=EventDate(expression="Tuesday", value=day, start=day, end=day,
                       granularity="day", rule="publication_day"),
        quantities=(Quantity(value=3.0, unit="soldier", qualifier="exact", measure="count",
                             text="three", evidence=counted_in),),
        evidence=evidence,
    )  # fmt: skip


def _commit(records: SQLiteRecordStore, *changes: Change) -> None:
    records.commit(list(changes), Commit(actor="t"), expect=records.position())


def _quoting(records: SQLiteRecordStore, source_id: str) -> tuple[list[str], list[str]]:
    snapshot = records.pin()
    try:
        return snapshot.quoting(source_id)
    finally:
        snapshot.close()


def test_the_index_follows_evidence_and_quantities_through_updates_and_deletes(
    tmp_path: Path,
) -> None:
    records = SQLiteRecordStore(tmp_path / "geokg.sqlite3")
    try:
        ann = Entity(id="ann", kind="person", label="Ann",
                     evidence=(Evidence(source="a", quote="Ann", start=0, end=3),))  # fmt: skip
        event = _event("e1", "a", "b")
        edge = Edge(id="e1.actor.ann", category="role", type="actor", source="e1", target="ann",
                    evidence=(Evidence(source="b", quote="z", start=0, end=1),))  # fmt: skip
        _commit(records, Change.put(ann, None), Change.put(event, None), Change.put(edge, None))
        assert _quoting(records, "a") == (["ann", "e1"], [])
        assert _quoting(records, "b") == (["e1"], ["e1.actor.ann"])
        moved = _event("e1", "c", "c")
        _commit(records, Change.put(moved, {}), Change.delete("edge", edge.id, {}))
        assert _quoting(records, "b") == ([], [])
        assert _quoting(records, "c") == (["e1"], [])
        _commit(records, Change.delete("event", "e1", {}))
        assert _quoting(records, "c") == ([], [])
    finally:
        records.close()


def test_a_store_made_before_the_index_gets_it_filled_in(tmp_path: Path) -> None:
    db = tmp_path / "geokg.sqlite3"
    KnowledgeGraph.open(db, MINI).close()
    with sqlite3.connect(db) as conn:  # as an older geokg left the store
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' OR name = 'quotes'"
        ).fetchall():
            kind = "TABLE" if name == "quotes" else "TRIGGER"
            conn.execute(f"DROP {kind} {name}")
    conn.close()
    graph = KnowledgeGraph.open(db, None)
    try:
        with graph.reading() as store:
            expected = _walk(store, "test-mini")
            assert len(expected) > 5 and store.quoting("test-mini") == expected
    finally:
        graph.close()
