"""Queries on the tiny synthetic graph: search, filters, neighbourhoods, paths and bounds."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from graph import queries
from graph.errors import InvalidQueryError, NodeNotFoundError, NoPathError
from graph.model import Event, EventDate
from graph.reference import cameo
from graph.store import GraphStore


@pytest.mark.parametrize(
    ("q", "first"),
    [
        ("delia", "delia-quux"),  # accent-insensitive
        ("DÉLIA", "delia-quux"),
        ("quux", "delia-quux"),  # alias, exact
        ("ux", "delia-quux"),  # substring
        ("alpha", "alpha-land"),  # alias exact beats prefix
        ("land", "beta-land"),  # word prefix: the shorter name first
    ],
)
def test_search_matches_labels_and_aliases(mini_store: GraphStore, q: str, first: str) -> None:
    page = queries.find_entities(mini_store, q)
    assert page.items[0].id == first


def test_search_ranks_exact_then_prefix_then_substring() -> None:
    from graph.model import Entity

    store = GraphStore()
    for i, label in enumerate(["Kyiv residents", "Kyiv", "Greater Kyiv", "Nikyiv"]):
        store.put_node(Entity(id=f"e{i}", kind="place", label=label))
    store.settle()
    assert [store.entity(i).label for i in store.search_entities("kyiv")] == [
        "Kyiv",
        "Kyiv residents",
        "Greater Kyiv",
        "Nikyiv",
    ]


def test_kind_filter_includes_sub_kinds(mini_store: GraphStore) -> None:
    orgs = queries.find_entities(mini_store, kind="organisation")
    assert [e.id for e in orgs.items] == ["test-press"]
    assert queries.find_entities(mini_store, q="land", kind="place").items == []


def test_unknown_kind_names_the_vocabulary(mini_store: GraphStore) -> None:
    with pytest.raises(InvalidQueryError) as caught:
        queries.find_entities(mini_store, kind="planet")
    assert caught.value.field == "kind" and "state" in caught.value.reason


def test_pagination_reports_total(mini_store: GraphStore) -> None:
    page = queries.find_entities(mini_store, limit=2, offset=1)
    assert page.total == 6 and len(page.items) == 2
    assert page.items[0].id == queries.find_entities(mini_store).items[1].id


def test_events_by_date_window_and_undated_excluded(mini_store: GraphStore) -> None:
    day = dt.date(2022, 2, 16)
    assert [e.id for e in queries.find_events(mini_store, start=day, end=day).items] == [
        "quux-warning"
    ]
    all_events = queries.find_events(mini_store).items
    assert [e.id for e in all_events][-1] == "beta-denial"  # undated last


def test_events_by_actor_place_and_cameo_prefix(mini_store: GraphStore) -> None:
    assert [e.id for e in queries.find_events(mini_store, actor="delia-quux").items] == [
        "quux-warning"
    ]
    assert [e.id for e in queries.find_events(mini_store, place="gamma-city").items] == [
        "alpha-beta-meeting"
    ]
    assert [e.id for e in queries.find_events(mini_store, cameo="03").items] == [
        "alpha-beta-meeting"
    ]
    with pytest.raises(NodeNotFoundError):
        queries.find_events(mini_store, actor="nobody")


def test_events_without_a_cameo_code_never_match_a_cameo_filter() -> None:
    store = GraphStore()
    day = dt.date(2022, 2, 15)
    date = EventDate(
        expression="Tuesday",
        value=day,
        start=day,
        end=day,
        granularity="day",
        rule="publication_day",
    )
    store.put_node(
        Event(
            id="coded",
            kind="statement",
            label="Coded",
            cameo=cameo("010"),
            modality="occurred",
            date=date,
            evidence=(),
        )
    )
    store.put_node(
        Event(
            id="uncoded",
            kind="statement",
            label="Uncoded",
            cameo=None,
            cameo_note="no code fits",
            modality="occurred",
            date=date,
            evidence=(),
        )
    )
    for prefix in ("0", "01", "010"):
        for window in ({}, {"start": day, "end": day}, {"kind": "statement"}):
            page = queries.find_events(store, cameo=prefix, **window)  # type: ignore[arg-type]
            assert [e.id for e in page.items] == ["coded"], (prefix, window)
    assert [e.id for e in queries.find_events(store).items] == ["coded", "uncoded"]
    assert [e.id for e in queries.find_events(store, kind="statement").items] == [
        "coded",
        "uncoded",
    ]
    assert store.cameo_of("uncoded") == "" and store.cameo_codes_in_use() == ["010"]


def test_relations_by_type_and_direction(mini_store: GraphStore) -> None:
    page = queries.find_relations(mini_store, type="holds_position")
    assert [(e.source, e.target, e.attributes["title"]) for e in page.items] == [
        ("delia-quux", "alpha-land", "officer")
    ]
    incoming = queries.entity_relations(mini_store, "beta-land", "in")
    assert {e.type for e in incoming.items} == {"participant", "target", "actor", "located_in"}
    outgoing = queries.entity_relations(mini_store, "beta-land", "out")
    assert (outgoing.items, outgoing.total, outgoing.next_cursor) == ([], 0, None)


def _induced(store: GraphStore, ids: set[str]) -> set[str]:
    return {e.id for e in store.edges() if e.source in ids and e.target in ids}


def test_neighbourhood_depth_kind_and_truncation(mini_store: GraphStore) -> None:
    one = queries.neighbourhood(mini_store, "gamma-city", depth=1)
    one_ids = {n.id for n in one.nodes}
    assert one_ids == {"gamma-city", "alpha-beta-meeting", "beta-land"}
    assert not one.truncated
    # Every edge among the returned nodes, also those between the outermost ones.
    assert {e.id for e in one.edges} == _induced(mini_store, one_ids)
    assert "alpha-beta-meeting.participant.beta-land" in {e.id for e in one.edges}
    two = queries.neighbourhood(mini_store, "gamma-city", depth=2)
    assert "alpha-land" in {n.id for n in two.nodes}
    assert {e.id for e in two.edges} == _induced(mini_store, {n.id for n in two.nodes})
    # kind filters the answer, not the walk: alpha-land is reached through an event.
    only_states = queries.neighbourhood(mini_store, "gamma-city", depth=2, kind="state")
    assert {n.id for n in only_states.nodes} == {"gamma-city", "beta-land", "alpha-land"}
    capped = queries.neighbourhood(mini_store, "gamma-city", depth=2, limit=2)
    assert len(capped.nodes) == 2 and capped.truncated
    typed = queries.neighbourhood(mini_store, "gamma-city", depth=2, type="located_in")
    assert {n.id for n in typed.nodes} == {"gamma-city", "beta-land"}


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s: queries.neighbourhood(s, "gamma-city", depth=5), "depth"),
        (lambda s: queries.neighbourhood(s, "gamma-city", limit=1001), "limit"),
        (lambda s: queries.find_entities(s, limit=0), "limit"),
        (
            lambda s: queries.k_shortest_paths(s, "alpha-land", "beta-land", max_length=7),
            "max_length",
        ),
        (lambda s: queries.path_filter(types=["actor", "friend_of"]), "types"),
    ],
)
def test_bounds_are_enforced_and_named(mini_store: GraphStore, call, field: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidQueryError) as caught:
        call(mini_store)
    assert caught.value.field == field


def test_shortest_path_explains_each_hop(mini_store: GraphStore) -> None:
    path = queries.shortest_path(mini_store, "delia-quux", "gamma-city")
    assert path.length == 3
    assert [path.nodes[0].id, path.nodes[-1].id] == ["delia-quux", "gamma-city"]
    for (a, b), edge in zip(zip(path.nodes, path.nodes[1:], strict=False), path.edges, strict=True):
        assert {edge.source, edge.target} == {a.id, b.id}
        assert edge.evidence, "every edge carries its evidence"
    events = [n for n in path.nodes if n.node_type == "event"]
    assert events and all(e.cameo.code and e.date.rule for e in events)


def test_directed_path_follows_edge_direction(mini_store: GraphStore) -> None:
    with pytest.raises(NoPathError):
        queries.shortest_path(
            mini_store, "beta-land", "alpha-land", queries.path_filter(directed=True)
        )
    path = queries.shortest_path(
        mini_store, "alpha-beta-meeting", "beta-land", queries.path_filter(directed=True)
    )
    assert path.length == 1


def test_path_type_and_kind_filters(mini_store: GraphStore) -> None:
    flt = queries.path_filter(types=["holds_position", "actor", "participant"])
    path = queries.shortest_path(mini_store, "delia-quux", "beta-land", flt)
    assert {e.type for e in path.edges} <= {"holds_position", "actor", "participant"}
    assert path.length == 3  # delia -> alpha-land -> meeting -> beta-land
    with pytest.raises(NoPathError):
        queries.shortest_path(
            mini_store, "delia-quux", "beta-land", queries.path_filter(kinds=["person"])
        )


def test_path_date_window_excludes_events_outside_it(mini_store: GraphStore) -> None:
    # Only the 16 Feb warning links Quux to Beta Land directly; a window on the 15th forbids it.
    flt = queries.path_filter(start=dt.date(2022, 2, 15), end=dt.date(2022, 2, 15))
    path = queries.shortest_path(mini_store, "delia-quux", "beta-land", flt)
    assert "quux-warning" not in [n.id for n in path.nodes]


def test_k_shortest_paths_are_simple_distinct_and_ordered(mini_store: GraphStore) -> None:
    found = queries.k_shortest_paths(mini_store, "delia-quux", "gamma-city", max_length=6, limit=50)
    paths = found.paths
    assert not found.truncated
    lengths = [p.length for p in paths]
    assert lengths == sorted(lengths) and lengths[0] == 3
    seqs = [tuple(n.id for n in p.nodes) for p in paths]
    assert len(set(seqs)) == len(seqs)
    assert all(len(set(s)) == len(s) for s in seqs)
    assert all(p.length <= 6 for p in paths)
    short = queries.k_shortest_paths(mini_store, "delia-quux", "gamma-city", max_length=3)
    assert len(short.paths) == 2


def test_path_to_and_from_sources_and_events(mini_store: GraphStore) -> None:
    path = queries.shortest_path(mini_store, "test-mini", "alpha-land")
    assert path.nodes[0].node_type == "source"
    assert path.edges[0].type == "contributor"


def test_path_filter_takes_iterables_not_one_string() -> None:
    assert queries.path_filter(types=("actor",), kinds={"person", "state"}).kinds == {
        "person",
        "state",
    }
    with pytest.raises(TypeError):
        queries.path_filter(types="actor")


def test_resolve_node_accepts_names_and_rejects_unknown(mini_store: GraphStore) -> None:
    assert queries.resolve_node(mini_store, "Délia Quux") == "delia-quux"
    assert queries.resolve_node(mini_store, "alpha") == "alpha-land"
    with pytest.raises(NodeNotFoundError):
        queries.resolve_node(mini_store, "Nobody At All")


def test_path_answers_do_not_depend_on_the_hash_seed() -> None:
    code = (
        "from graph import DEFAULT_SEEDS, load_seed_dir, queries\n"
        "s = load_seed_dir(DEFAULT_SEEDS)\n"
        "print([n.id for n in queries.shortest_path(s, 'olaf-scholz', 'dmytro-kuleba').nodes])\n"
        "for p in queries.k_shortest_paths(s, 'olaf-scholz', 'dmytro-kuleba', max_length=5,"
        " limit=25).paths:\n"
        "    print([n.id for n in p.nodes])\n"
    )
    answers = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in range(1, 7)
    }
    assert len(answers) == 1


def test_export_neighbourhood_past_the_walk_limit_is_refused(
    mini_store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "WALK_LIMIT", 2)
    with pytest.raises(InvalidQueryError) as caught:
        queries.reachable(mini_store, "gamma-city", 2)
    assert caught.value.field == "depth"


def test_loaded_store_has_no_pending_index_work(mini_store: GraphStore) -> None:
    assert not mini_store._names._pending


def test_k_shortest_paths_raise_no_path_as_shortest_path_does(mini_store: GraphStore) -> None:
    directed = queries.path_filter(directed=True)
    for call in (queries.shortest_path, queries.k_shortest_paths):
        with pytest.raises(NoPathError):
            call(mini_store, "beta-land", "alpha-land", flt=directed)  # type: ignore[operator]
        with pytest.raises(NoPathError):
            call(mini_store, "lonely", "alpha-land")  # type: ignore[operator]


def test_source_text_slices_are_the_evidence_quotes(mini_store: GraphStore) -> None:
    evidence = [ev for edge in mini_store.edges() for ev in edge.evidence]
    assert evidence
    for ev in evidence:
        assert queries.source_text(mini_store, ev.source, ev.start, ev.end) == ev.quote
    with pytest.raises(InvalidQueryError) as caught:
        queries.source_text(mini_store, "test-mini", -1)
    assert caught.value.field == "start"
    with pytest.raises(NodeNotFoundError):
        queries.source_text(mini_store, "alpha-land")
