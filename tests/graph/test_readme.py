"""The figures the README gives about the seed graph and its exports are what geokg produces."""

from __future__ import annotations

import re
from pathlib import Path

from graph import queries
from graph.formats import export
from graph.store import GraphStore

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _figure(pattern: str) -> int:
    found = re.search(pattern, README)
    assert found, pattern
    return int(found[1].replace(",", ""))


def _text(store: GraphStore, fmt: str, root: str | None = None) -> str:
    scope = queries.export_scope(store, root, 1) if root else None
    return b"".join(export(store, fmt, scope)).decode()


def test_the_seed_counts_are_the_seed_graphs(seed_store: GraphStore) -> None:
    stated = re.search(r"\((\d+) entities, (\d+) events, (\d+) source, (\d+) edges\)", README)
    assert stated
    counts = seed_store.counts()
    assert [int(n) for n in stated.groups()] == [
        counts["entities"], counts["events"], counts["sources"], counts["edges"]
    ]  # fmt: skip


def test_the_turtle_excerpt_is_part_of_the_answer_and_its_length_is_right(
    seed_store: GraphStore,
) -> None:
    answer = _text(seed_store, "turtle", "zbigniew-rau")
    assert len(answer.splitlines()) == _figure(r"An excerpt of the (\d+)-line Turtle answer")
    block = README.split("export?root=zbigniew-rau' -H 'Accept: text/turtle'\n", 1)[1]
    block = block.split("```", 1)[0]
    parts = [part.strip("\n") for part in block.split("...\n") if part.strip()]
    assert parts and "geokg:eventPlace id:moscow" in parts[0]
    for part in parts:
        assert part + "\n" in answer


def test_the_whole_export_has_the_size_the_readme_says(seed_store: GraphStore) -> None:
    turtle = _text(seed_store, "turtle")
    assert len(turtle.splitlines()) == _figure(r"the whole\s+export, ([\d,]+) lines of Turtle")


def test_the_lean_reification_saves_what_the_readme_says(seed_store: GraphStore) -> None:
    # The first release said four more triples of every edge statement (rdf:type, its id, its
    # type and its category): the README's "before" is today's export plus those.
    stated = re.search(
        r"(\d+) % fewer triples and \d+ % fewer bytes on the seed graph"
        r" \(([\d,]+) to\s+([\d,]+) triples\)",
        README,
    )
    assert stated
    percent, before, after = (int(n.replace(",", "")) for n in stated.groups())
    now = len(_text(seed_store, "ntriples").splitlines())
    assert (before, after) == (now + 4 * seed_store.counts()["edges"], now)
    assert percent == round(100 * (before - after) / before)
