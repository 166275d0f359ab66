"""The read model: a replaced record keeps its place, as an updated row does in the store.

A read model that applied the changes one by one must list things as one loaded afresh from
the final records does (the store of record keeps a row's place when it is updated).
"""

from __future__ import annotations

import datetime as dt

from graph.model import Edge, Entity, Event, EventDate, Node
from graph.queries import event_detail
from graph.reference import cameo_codes
from graph.store import GraphStore

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
