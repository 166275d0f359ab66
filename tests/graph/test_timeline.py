"""Timelines of an entity and of a dyad, and an export scope given as a list of nodes."""

from __future__ import annotations

import pytest

from graph import queries
from graph.errors import AmbiguousNameError, InvalidQueryError, NodeNotFoundError
from graph.store import GraphStore


def test_russia_timeline_dates_three_events_and_keeps_the_rest_apart(
    seed_store: GraphStore,
) -> None:
    line = queries.timeline(seed_store, "Russia")
    assert [e.id for e in line.dated] == [
        "lavrov-indicates-readiness-to-keep-talking",
        "lavrov-argues-for-more-talks",
        "russia-announces-units-returning-to-bases",
    ]
    assert [str(e.date.start) for e in line.dated] == ["2022-02-14", "2022-02-14", "2022-02-15"]
    assert line.dated[2].date.expression == "Tuesday"
    assert line.dated[2].date.rule == "publication_day"
    assert line.dated[2].cameo is not None and line.dated[2].cameo.goldstein == 7.0
    assert len(line.undated) == 14 and line.total == 17 and not line.truncated
    assert all(e.date.start is None and e.date.end is None for e in line.undated)
    assert "russia-may-invade-ukraine" in [e.id for e in line.undated]
    assert [(e.id, e.label) for e in line.entities] == [("russia", "Russia")]


def test_every_timeline_event_has_the_entity_among_its_participants(
    seed_store: GraphStore,
) -> None:
    line = queries.timeline(seed_store, "olaf-scholz")
    assert line.total == 2
    for event in [*line.dated, *line.undated]:
        assert "olaf-scholz" in [p.id for p in event.participants]


def test_a_dyad_has_only_the_events_both_take_part_in(seed_store: GraphStore) -> None:
    russia = queries.timeline(seed_store, "russia")
    ukraine = queries.timeline(seed_store, "ukraine")
    dyad = queries.timeline(seed_store, "russia", "Ukraine")
    both = {e.id for e in [*russia.dated, *russia.undated]} & {
        e.id for e in [*ukraine.dated, *ukraine.undated]
    }
    assert {e.id for e in [*dyad.dated, *dyad.undated]} == both
    assert dyad.total == len(both) == 5
    assert [e.id for e in dyad.entities] == ["russia", "ukraine"]


def test_limit_keeps_dated_events_first_and_says_it_cut(seed_store: GraphStore) -> None:
    line = queries.timeline(seed_store, "russia", limit=4)
    assert len(line.dated) == 3 and len(line.undated) == 1
    assert line.truncated and line.total == 17


@pytest.mark.parametrize(
    ("entity", "other", "error", "field"),
    [
        ("atlantis", None, NodeNotFoundError, None),
        ("russia", "atlantis", NodeNotFoundError, None),
        ("russia-may-invade-ukraine", None, InvalidQueryError, "entity"),
        ("russia", "ap-2022-02-15-russia-forces-pulling-back", InvalidQueryError, "other"),
        ("russia", "Russia", InvalidQueryError, "other"),
    ],
)
def test_bad_names_raise_the_errors_of_the_library(
    seed_store: GraphStore,
    entity: str,
    other: str | None,
    error: type[Exception],
    field: str | None,
) -> None:
    with pytest.raises(error) as caught:
        queries.timeline(seed_store, entity, other)
    if field is not None:
        assert isinstance(caught.value, InvalidQueryError) and caught.value.field == field


def test_an_ambiguous_name_lists_candidates(mini_store: GraphStore) -> None:
    with pytest.raises(AmbiguousNameError):
        queries.timeline(mini_store, "land")


def test_limit_is_bounded(seed_store: GraphStore) -> None:
    with pytest.raises(InvalidQueryError) as caught:
        queries.timeline(seed_store, "russia", limit=queries.MAX_LIMIT + 1)
    assert caught.value.field == "limit"


def test_export_scope_of_listed_nodes(seed_store: GraphStore) -> None:
    assert queries.export_scope(seed_store, None, nodes=["russia", "ukraine"]) == {
        "russia",
        "ukraine",
    }


@pytest.mark.parametrize(
    ("root", "depth", "nodes"),
    [
        (None, None, []),
        ("russia", None, ["russia"]),
        (None, 2, ["russia"]),
        (None, None, ["russia"] * (queries.MAX_EXPORT_NODES + 1)),
    ],
)
def test_export_scope_refuses_bad_node_lists(
    seed_store: GraphStore, root: str | None, depth: int | None, nodes: list[str]
) -> None:
    with pytest.raises(InvalidQueryError) as caught:
        queries.export_scope(seed_store, root, depth, nodes)
    assert caught.value.field == "nodes"


def test_export_scope_takes_ids_not_names(seed_store: GraphStore) -> None:
    with pytest.raises(NodeNotFoundError):
        queries.export_scope(seed_store, None, nodes=["Russia"])
