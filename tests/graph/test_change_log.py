"""The change log of a store of record (SQLite and PostgreSQL): no follower can miss a commit.

With a ``seq > last`` log whose numbers are taken when a transaction starts, a writer that
takes 5 and stalls lets another take 6 and commit; a follower reads 6, moves on to
``since=6``, and never sees 5 when it commits. Here a writer takes the write lock before it
reads the last position (SQLite's ``BEGIN IMMEDIATE``, PostgreSQL's advisory lock), so a
second writer cannot commit while the first is open: the follower sees nothing new until
position 1 is committed, and then 1 before 2.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from graph.changes import Change
from graph.model import Edge, Entity
from graph.storage import Commit, RecordStore, StaleError, StoredResponse, open_record_store


class _Stalling(dict[str, Any]):
    """An edge record whose writer stalls, inside its transaction, until released."""

    def __init__(self, entered: threading.Event, release: threading.Event, **fields: Any) -> None:
        super().__init__(**fields)
        self.entered = entered
        self.release = release

    def __getitem__(self, key: str) -> Any:
        self.entered.set()
        assert self.release.wait(10)
        return super().__getitem__(key)


def _commit_when_current(store: RecordStore, change: Change, actor: str) -> int:
    """Commit as a writer does: at the position it last read, again if the log moved."""
    for _ in range(100):
        try:
            return store.commit([change], Commit(actor=actor), expect=store.position())
        except StaleError:
            continue
    raise AssertionError("never committed")


def test_a_follower_cannot_miss_a_commit_that_another_writer_holds_open(
    store_location: str,
) -> None:
    slow, fast, follower = (open_record_store(store_location, prerendered=False) for _ in range(3))
    entered, release = threading.Event(), threading.Event()
    edge = _Stalling(entered, release, id="a.b", source="a", target="b")
    positions: dict[str, int] = {}

    def write(store: RecordStore, change: Change, actor: str) -> None:
        positions[actor] = _commit_when_current(store, change, actor)

    kyiv = Change.put(Entity(id="kyiv", kind="place", label="Kyiv"), None)
    stalled = Change("create", "edge", "a.b", None, edge)
    first = threading.Thread(target=write, args=(slow, stalled, "slow"))
    second = threading.Thread(target=write, args=(fast, kyiv, "fast"))
    try:
        first.start()
        assert entered.wait(10)  # the slow writer is inside its transaction
        second.start()
        second.join(timeout=0.3)
        assert second.is_alive(), "a second writer committed while the first was open"
        assert follower.changes_since(0, 10) == []
        release.set()
        first.join(timeout=10)
        second.join(timeout=10)
        assert positions == {"slow": 1, "fast": 2}
        seen = follower.changes_since(0, 10)
        assert [(c.position, c.actor) for c in seen] == [(1, "slow"), (2, "fast")]
    finally:
        release.set()
        for store in (slow, fast, follower):
            store.close()


def test_no_change_comes_after_a_position_beyond_any_the_store_can_hold(
    store_location: str,
) -> None:
    store = open_record_store(store_location, prerendered=False)
    try:
        kyiv = Change.put(Entity(id="kyiv", kind="place", label="Kyiv"), None)
        store.commit([kyiv], Commit(actor="doc"), expect=0)
        assert store.changes_since(2**63 - 2, 10) == []
        assert store.changes_since(2**63, 10) == [] and store.changes_since(10**30, 10) == []
    finally:
        store.close()


def _place(node_id: str) -> Change:
    return Change.put(Entity(id=node_id, kind="place", label=node_id.title()), None)


def test_a_group_commit_logs_each_write_as_a_commit_of_its_own(store_location: str) -> None:
    """``commit_many``: one transaction, each write its own commit (positions, actor, source,
    idempotency answer); a follower sees all of them at once or none."""
    store = open_record_store(store_location, prerendered=False)
    try:
        answer = StoredResponse("fp", 201, {"X-Geokg-Position": "3"}, b"{}")
        lasts = store.commit_many(
            [
                ([_place("kyiv"), _place("lviv")], Commit(actor="ann", source="a.txt")),
                ([_place("odesa")], Commit(actor="bo", idempotency_key="k1", response=answer)),
                ([], Commit(actor="cy", idempotency_key="k2", response=answer)),
                ([_place("kharkiv")], Commit(actor="ann")),
            ],
            expect=0,
        )
        assert lasts == [2, 3, 3, 4]
        assert store.position() == 4
        logged = [(e.position, e.commit, e.actor, e.source, e.change.id)
                  for e in store.changes_since(0, 10)]  # fmt: skip
        assert logged == [
            (1, 2, "ann", "a.txt", "kyiv"),
            (2, 2, "ann", "a.txt", "lviv"),
            (3, 3, "bo", None, "odesa"),
            (4, 4, "ann", None, "kharkiv"),
        ]
        assert store.stored_response("bo", "k1") == answer
        assert store.stored_response("cy", "k2") == answer
        with pytest.raises(StaleError):  # the log moved on
            store.commit_many([([_place("dnipro")], Commit(actor="ann"))], expect=3)
        with pytest.raises(StaleError, match="idempotency"):  # k1 is taken
            store.commit_many(
                [
                    ([_place("dnipro")], Commit(actor="ann")),
                    (
                        [_place("poltava")],
                        Commit(actor="bo", idempotency_key="k1", response=answer),
                    ),
                ],
                expect=4,
            )
        with pytest.raises(ValueError, match="same idempotency key"):
            store.commit_many(
                [
                    (
                        [_place("dnipro")],
                        Commit(actor="ann", idempotency_key="k3", response=answer),
                    ),
                    (
                        [_place("poltava")],
                        Commit(actor="ann", idempotency_key="k3", response=answer),
                    ),
                ],
                expect=4,
            )
        assert store.position() == 4  # none of the refused groups left anything
        assert store.pin().node_bodies(["dnipro", "poltava"]) == {}
    finally:
        store.close()


def test_a_group_commit_writes_each_row_as_the_changes_say_in_order(store_location: str) -> None:
    """Rows created, changed, deleted and created again within one group commit (PostgreSQL
    sends new and changed rows many to a statement): the store ends as the changes, in their
    order, say; a changed row keeps its place in load order, a row made again gets a new one."""
    store = open_record_store(store_location, prerendered=False)
    try:
        kyiv = Entity(id="kyiv", kind="place", label="Kyiv")
        lviv = Entity(id="lviv", kind="place", label="Lviv")
        road = Edge(id="road", category="relation", type="part_of", source="kyiv", target="lviv")
        kyiv2 = Entity(id="kyiv", kind="place", label="Kyiv", aliases=("Kiev",))
        lviv2 = Entity(id="lviv", kind="place", label="Lemberg")
        rail = Edge(id="rail", category="relation", type="part_of", source="lviv", target="kyiv")
        lasts = store.commit_many(
            [
                ([Change.put(kyiv, None), Change.put(lviv, None)], Commit(actor="a")),  # 1, 2
                ([Change.put(road, None)], Commit(actor="a")),  # 3
                ([Change.put(kyiv2, kyiv.model_dump(mode="json"))], Commit(actor="b")),  # 4
                (
                    [
                        Change.delete("edge", "road", road.model_dump(mode="json")),  # 5
                        Change.delete("entity", "lviv", lviv.model_dump(mode="json")),  # 6
                        Change.put(lviv2, None),  # 7
                        Change.put(rail, None),  # 8
                    ],
                    Commit(actor="c"),
                ),
            ],
            expect=0,
        )
        assert lasts == [2, 3, 4, 8]
        snapshot = store.pin()
        try:
            nodes = {row[1]: (row[0], row[7], row[8]) for row in snapshot.node_skeletons()}
            edges = {row[1]: (row[0], row[2], row[3]) for row in snapshot.edge_skeletons()}
        finally:
            snapshot.close()
        assert nodes == {"kyiv": (1, "Kyiv", '["Kiev"]'), "lviv": (7, "Lemberg", "[]")}
        assert edges == {"rail": (8, "lviv", "kyiv")}
        assert [e.commit for e in store.changes_since(0, 10)] == [2, 2, 3, 4, 8, 8, 8, 8]
    finally:
        store.close()


def test_both_stores_refuse_a_record_holding_nul_and_keep_a_backslash(store_location: str) -> None:
    """U+0000 cannot be kept by PostgreSQL's jsonb (schema version 2 casts to it), and SQLite
    would cut a name there: both refuse the group alike, naming the record; a backslash then
    the letters u0000 is text like any other."""
    store = open_record_store(store_location, prerendered=False)
    try:
        bad = Entity(id="bad", kind="place", label="Bad\x00Label")
        with pytest.raises(ValueError, match="bad: a record cannot hold the character U"):
            store.commit_many(
                [
                    ([_place("kyiv")], Commit(actor="a")),
                    ([Change.put(bad, None)], Commit(actor="a")),
                ],
                expect=0,
            )
        assert store.position() == 0
        odd = Entity(id="odd", kind="place", label="Odd \\u0000 Label")
        assert store.commit([Change.put(odd, None)], Commit(actor="a"), expect=0) == 1
        snapshot = store.pin()
        try:
            assert [row[7] for row in snapshot.node_skeletons()] == ["Odd \\u0000 Label"]
        finally:
            snapshot.close()
    finally:
        store.close()
