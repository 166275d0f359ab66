"""The seed follows the codebook (docs/codebook.md): each rule checked on the loaded seed graph.

Each test stands for a fix that brought the seed into line with a rule; every one of them failed
on the seed as it was before issue #7's codebook.
"""

from __future__ import annotations

from graph.model import Edge
from graph.store import GraphStore

SOURCE = "ap-2022-02-15-russia-forces-pulling-back"


def _roles(store: GraphStore, event_id: str, role: str | None = None) -> list[Edge]:
    return [
        e
        for e in store.out_edges(event_id)
        if e.category == "role" and (role is None or e.type == role)
    ]


def _edges(store: GraphStore, edge_type: str) -> list[Edge]:
    return [store.edge(edge_id) for edge_id in store.edge_ids_of_type(edge_type)]


def _quotes(edge: Edge) -> list[str]:
    return [ev.quote for ev in edge.evidence]


# -- 3. modality and negation ------------------------------------------------------------------


def test_a_negated_statement_is_never_stored_as_its_positive(seed_store: GraphStore) -> None:
    # "Today we do not see that a large-scale offensive ... can take place either on (Feb.)
    # 16th or the 17th," he told reporters: Danilov's statement, not an offensive he warns of.
    negated = [
        e for e in seed_store.events() if any("we do not see" in ev.quote for ev in e.evidence)
    ]
    assert [e.id for e in negated] == ["danilov-downplays-invasion-threat"]
    (statement,) = negated
    assert statement.kind == "statement" and statement.modality == "occurred"
    assert [e.target for e in _roles(seed_store, statement.id, "actor")] == ["oleksiy-danilov"]
    # Danilov is the according_to of nothing, least of all of something possible.
    assert not [
        e.source for e in seed_store.in_edges("oleksiy-danilov") if e.type == "according_to"
    ]
    # What he disputes is the invasion others warn of.
    disputed = {
        e.target: _quotes(e) for e in seed_store.out_edges(statement.id) if e.type == "disputes"
    }
    assert set(disputed) == {"russia-may-invade-ukraine"}
    assert any("we do not see" in quote for quote in disputed["russia-may-invade-ukraine"])
    warned = {e.source for e in seed_store.in_edges("russia-may-invade-ukraine")}
    assert "western-officials-warn-of-invasion-at-any-hour" in warned
