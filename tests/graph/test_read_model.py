"""The read model: a replaced record keeps its place, as an updated row does in the store.

A read model that applied the changes one by one must list things as one loaded afresh from
the final records does (the store of record keeps a row's place when it is updated).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from graph.model import Edge, Entity, Event, EventDate, Node
from graph.queries import entity_relations, event_detail
from graph.reference import cameo_codes
from graph.service import KnowledgeGraph
from graph.store import GraphStore
from graph.writes import WritableType, plan_create, plan_delete

DAY = dt.date(2022, 2, 15)


def _event(event_id: str, label: str) -> Event:
    return Event(
        id=event_id,
        kind="meeting",
        label=label,
        cameo=cameo_codes()["036"],
        modality="asserted",
        date=EventDate(
            expression="Tuesday", value=DAY, start=DAY, end=DAY, granularity="day", rule="given"
        ),
        evidence=(),
        analyst_assertion=True,
    )


def _role(event_id: str, role: str, entity: str, note: str = "") -> Edge:
    attributes = {"note": note} if note else {}
    return Edge(
        id=f"{event_id}.{role}.{entity}",
        category="role",
        type=role,
        source=event_id,
        target=entity,
        attributes=attributes,
    )


def _orders(store: GraphStore) -> dict[str, list[str]]:
    return {
        "nodes": list(store.node_ids()),
        "people": list(store.ids_of_kind("person")),
        "events": [key[2] for key in store.events_by_date()],
        "edges": [e.id for e in store.edges()],
        "actors": list(store.edge_ids_of_type("actor")),
        "participants": [p.id for p in event_detail(store, "talks").participants],
        "named": store.entities_named("Ann"),
    }


def _load(nodes: list[Node], edges: list[Edge]) -> GraphStore:
    store = GraphStore()
    for node in nodes:
        store.put_node(node)
    for edge in edges:
        store.put_edge(edge)
    store.settle()
    return store


def test_replaced_records_keep_their_place_as_in_a_fresh_load() -> None:
    ann = Entity(id="ann", kind="person", label="Ann", analyst_assertion=True)
    ann_too = Entity(id="ann-2", kind="person", label="Ann", analyst_assertion=True)
    bob = Entity(id="bob", kind="person", label="Bob", analyst_assertion=True)
    talks, visit = _event("talks", "Talks"), _event("visit", "Visit")
    roles = [_role("talks", "actor", "ann"), _role("talks", "actor", "bob")]
    roles.append(_role("talks", "participant", "ann-2"))
    store = _load([ann, ann_too, bob, talks, visit], roles)

    replaced = [
        ann.model_copy(update={"description": "changed", "aliases": ("Annie",)}),
        talks.model_copy(update={"label": "Talks, renamed"}),
    ]
    for record in replaced:
        store.put_node(record)
    new_role = _role("talks", "actor", "ann", note="changed")
    store.put_edge(new_role)
    store.settle()

    fresh = _load([replaced[0], ann_too, bob, replaced[1], visit], [new_role, *roles[1:]])
    assert _orders(store) == _orders(fresh)
    assert _orders(store)["participants"] == ["ann", "bob", "ann-2"]
    assert store.edge_rank(new_role.id) == 1


def _ranks(store: GraphStore) -> dict[str, int]:
    ranks = {e.id: store.edge_rank(e.id) for e in store.edges()}
    ranks.update({key[2]: key[1] for key in store.events_by_date()})
    return ranks


def test_a_model_that_followed_writes_ranks_as_one_rebuilt_from_the_store(tmp_path: Path) -> None:
    """Ranks are the store's own order (``ord``) in both: a cursor issued by a process that
    followed the writes means the same place to one that rebuilt from the store (a restart)."""
    graph = KnowledgeGraph.open(tmp_path / "geokg.sqlite3", None)

    def create(object_type: WritableType, **body: object) -> None:
        body["analyst_assertion"] = True
        graph.write(lambda s: plan_create(s, object_type, body), actor="test")

    def delete(object_type: WritableType, object_id: str) -> None:
        graph.write(lambda s: plan_delete(s, object_type, object_id, cascade=True), actor="test")

    def event(label: str) -> None:
        undated = {"rule": "undated", "expression": "some day"}
        actor = [{"entity": "ann", "role": "actor"}]
        create("event", kind="statement", label=label, cameo="010", modality="asserted",
               date=undated, participants=actor)  # fmt: skip

    try:
        for label in ("Ann", "Bob", "Cid"):
            create("entity", kind="person", label=label)
        for other in ("bob", "cid"):
            for type_ in ("ally_of", "critic_of", "counterpart_of"):
                create("relation", type=type_, source="ann", target=other)
        event("First word")
        event("Second word")
        # SQLite gives a new row the ord of the deleted last row: a counter would not.
        delete("event", "second-word")
        event("Third word")
        delete("relation", "ann.counterpart_of.cid")
        create("relation", type="member_of", source="ann", target="cid")
        with graph.reading() as followed:
            first = entity_relations(followed, "ann", "out", limit=3)
            second = entity_relations(followed, "ann", "out", limit=3, cursor=first.next_cursor)
            rebuilt = GraphStore.from_snapshot(graph.records.pin())
            assert _ranks(followed) == _ranks(rebuilt)
            again = entity_relations(rebuilt, "ann", "out", limit=3, cursor=first.next_cursor)
            assert [e.id for e in again.items] == [e.id for e in second.items]
    finally:
        graph.close()
