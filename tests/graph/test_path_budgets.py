"""k-paths under a budget: a cut search answers the shortest paths it found, each valid."""

from __future__ import annotations

import itertools

import networkx as nx
import pytest

from graph import queries
from graph.errors import PathBudgetError
from graph.queries import PathBudget, PathSet
from graph.store import GraphStore

UNBOUNDED = PathBudget(seconds=3600, searches=10**9, records=10**9)
HUBS = ("russia", "united-states")


def _nodes(found: PathSet) -> list[list[str]]:
    return [[n.id for n in p.nodes] for p in found.paths]


def _assert_valid(store: GraphStore, found: PathSet, max_length: int) -> None:
    for path in found.paths:
        ids = [n.id for n in path.nodes]
        assert len(set(ids)) == len(ids) == path.length + 1 <= max_length + 1
        for (u, v), hop, edge in zip(itertools.pairwise(ids), path.hops, path.edges, strict=True):
            assert hop and edge == hop[0]
            for e in hop:
                assert {e.source, e.target} == {u, v}
                assert store.edge(e.id) == e


def _records(found: PathSet) -> int:
    return sum(len(p.nodes) + sum(map(len, p.hops)) for p in found.paths)


@pytest.fixture(scope="module")
def hub_paths(seed_store: GraphStore) -> PathSet:
    return queries.k_shortest_paths(seed_store, *HUBS, max_length=5, limit=200, budget=UNBOUNDED)


def test_unbounded_k_paths_are_the_simple_paths_networkx_finds(seed_store: GraphStore) -> None:
    topology: nx.Graph[str] = nx.Graph()
    topology.add_edges_from((e.source, e.target) for e in seed_store.edges())
    pairs = [HUBS, ("olaf-scholz", "dmytro-kuleba"), ("zbigniew-rau", "ukraine")]
    for source, target in pairs:
        found = queries.k_shortest_paths(
            seed_store, source, target, max_length=4, limit=40, budget=UNBOUNDED
        )
        expected = itertools.islice(
            itertools.takewhile(
                lambda p: len(p) <= 5, nx.shortest_simple_paths(topology, source, target)
            ),
            40,
        )
        assert [p.length for p in found.paths] == [len(p) - 1 for p in expected]
        _assert_valid(seed_store, found, 4)


def test_a_search_budget_cuts_the_answer_to_the_shortest_paths_found(
    seed_store: GraphStore, hub_paths: PathSet
) -> None:
    assert not hub_paths.truncated and len(hub_paths.paths) == 200
    cut = queries.k_shortest_paths(
        seed_store, *HUBS, max_length=5, limit=200, budget=PathBudget(searches=40, records=10**9)
    )
    assert (cut.truncated, cut.truncated_by) == (True, "searches")
    assert 1 <= len(cut.paths) < 200
    assert _nodes(cut) == _nodes(hub_paths)[: len(cut.paths)]
    _assert_valid(seed_store, cut, 5)


def test_a_size_budget_keeps_the_answer_within_it(
    seed_store: GraphStore, hub_paths: PathSet
) -> None:
    budget = PathBudget(records=500)
    cut = queries.k_shortest_paths(seed_store, *HUBS, max_length=5, limit=200, budget=budget)
    assert (cut.truncated, cut.truncated_by) == (True, "size")
    assert (
        _records(cut)
        <= 500
        < _records(cut)
        + _records(PathSet(paths=hub_paths.paths[len(cut.paths) : len(cut.paths) + 1]))
    )
    assert _nodes(cut) == _nodes(hub_paths)[: len(cut.paths)]


def test_the_default_budgets_bound_the_hub_query_of_the_issue(seed_store: GraphStore) -> None:
    # /paths?max_length=6&limit=1000 between two hubs answered 7.2 MB before the budgets.
    found = queries.k_shortest_paths(seed_store, *HUBS, max_length=6, limit=1000)
    assert found.truncated and found.truncated_by in {"size", "time"}
    assert _records(found) <= queries.PATH_RECORDS
    _assert_valid(seed_store, found, 6)


def test_a_first_path_always_fits_the_size_budget(seed_store: GraphStore) -> None:
    found = queries.k_shortest_paths(seed_store, *HUBS, limit=5, budget=PathBudget(records=1))
    assert (len(found.paths), found.truncated_by) == (1, "size")


def test_a_limit_reached_within_the_budget_is_not_truncated(seed_store: GraphStore) -> None:
    found = queries.k_shortest_paths(seed_store, *HUBS, limit=3)
    assert (len(found.paths), found.truncated, found.truncated_by) == (3, False, None)


def test_a_time_budget_answers_what_was_found_before_the_deadline(
    seed_store: GraphStore, hub_paths: PathSet
) -> None:
    ticks = itertools.count()  # every reading of the clock is a second later
    budget = PathBudget(seconds=30, records=10**9, clock=lambda: float(next(ticks)))
    cut = queries.k_shortest_paths(seed_store, *HUBS, max_length=5, limit=200, budget=budget)
    assert (cut.truncated, cut.truncated_by) == (True, "time")
    assert _nodes(cut) == _nodes(hub_paths)[: len(cut.paths)]


@pytest.mark.parametrize(
    ("budget", "name"), [(PathBudget(searches=0), "searches"), (PathBudget(seconds=0), "time")]
)
def test_a_budget_spent_before_any_path_is_an_error_naming_it(
    seed_store: GraphStore, budget: PathBudget, name: str
) -> None:
    with pytest.raises(PathBudgetError) as caught:
        queries.k_shortest_paths(seed_store, *HUBS, budget=budget)
    assert caught.value.budget == name and name in str(caught.value)
