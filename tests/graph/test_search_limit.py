"""The name search answers the best matches, at most a bound of them, in the documented order."""

from __future__ import annotations

import random

import pytest

from graph.search import SEARCH_LIMIT, NameIndex, normalise

WORDS = ["kyiv", "kharkiv", "odesa", "lviv", "kyivska", "nikyiv", "dnipro", "kiev", "ky"]


def _names(seed: int, count: int) -> dict[str, list[str]]:
    rng = random.Random(seed)
    return {
        f"n{i}": [
            " ".join(rng.choices(WORDS, k=rng.randint(1, 3))) for _ in range(rng.randint(1, 2))
        ]
        for i in range(count)
    }


def _ranked(names: dict[str, list[str]], query: str) -> list[str]:
    """The documented order, computed the slow way: every occurrence of every name."""
    q = normalise(query)
    best: dict[str, tuple[int, int, str, str]] = {}
    for node_id, labels in names.items():
        for label in labels:
            name = normalise(label)
            for start in range(len(name)):
                if not name.startswith(q, start):
                    continue
                if name == q:
                    rank = 0
                elif start == 0:
                    rank = 1
                else:
                    rank = 2 if name[start - 1] == " " else 3
                key = (rank, len(name), name, node_id)
                best[node_id] = min(best.get(node_id, key), key)
    return [key[3] for key in sorted(best.values())]


@pytest.fixture(scope="module")
def names() -> dict[str, list[str]]:
    return _names(seed=6, count=3000)


@pytest.fixture(scope="module")
def index(names: dict[str, list[str]]) -> NameIndex:
    built = NameIndex()
    for node_id, labels in names.items():
        built.add(node_id, labels)
    built.flush()
    return built


@pytest.mark.parametrize("query", ["kyiv", "KY", "iv", "lviv odesa", "a", "dnipro kiev"])
@pytest.mark.parametrize("k", [1, 7, 250])
def test_top_k_is_the_first_k_of_the_full_order(
    index: NameIndex, names: dict[str, list[str]], query: str, k: int
) -> None:
    assert index.search(query, limit=k) == _ranked(names, query)[:k]


def test_a_search_answers_at_most_the_bound(index: NameIndex, names: dict[str, list[str]]) -> None:
    ranked = _ranked(names, "i")
    assert len(ranked) > SEARCH_LIMIT
    assert index.search("i", limit=SEARCH_LIMIT) == ranked[:SEARCH_LIMIT]
