"""Measure geokg's queries and exports on the seed graph and on synthetic graphs.

Run ``python -m bench`` (or ``make bench``); ``--edges 1000000`` for a million-edge graph.
Every figure printed names its data (graph, size, seed of the random generator) and the
number of repetitions; nothing is compared to a threshold here: tests do not time things.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from graph import DEFAULT_SEEDS, queries
from graph.dates import resolve_date
from graph.errors import NoPathError
from graph.formats import export
from graph.model import Edge, Entity, Event, Evidence, Source
from graph.reference import cameo
from graph.seed import load_seed_dir
from graph.store import GraphStore


def synthetic_store(edges: int, seed: int) -> GraphStore:
    """A random graph of persons, states and events with about ``edges`` edges.

    A quarter of the nodes are events with two or three role edges each, the rest are entities
    linked by random relations; ids, quotes and dates are made up and look it.
    """
    rng = random.Random(seed)
    store = GraphStore()
    text = "synthetic benchmark text " * 4
    store.put_node(
        Source(
            id="bench",
            label="Synthetic",
            publisher="e0",
            published=dt.date(2022, 2, 15),
            text_file="-",
            text_length=len(text),
            metadata_origin="bench",
        )
    )
    store.put_text("bench", text)
    proof = (Evidence(source="bench", quote="synthetic", start=0, end=9),)
    n_entities = max(10, edges // 4)
    n_events = max(5, edges // 8)
    for i in range(n_entities):
        store.put_node(
            Entity(
                id=f"e{i}", kind="person" if i % 3 else "state", label=f"Entity {i}", evidence=proof
            )
        )
    code = cameo("036")
    day = resolve_date("publication_day", "Tuesday", dt.date(2022, 2, 15))
    for i in range(n_events):
        store.put_node(
            Event(
                id=f"v{i}",
                kind="meeting",
                label=f"Event {i}",
                cameo=code,
                modality="occurred",
                date=day,
                evidence=proof,
            )
        )
    made = 0
    for i in range(n_events):
        for role in ("actor", "participant", "target")[: rng.choice((2, 3))]:
            target = f"e{rng.randrange(n_entities)}"
            store.put_edge(
                Edge(
                    id=f"v{i}.{role}.{target}.{made}",
                    category="role",
                    type=role,
                    source=f"v{i}",
                    target=target,
                    evidence=proof,
                )
            )
            made += 1
    while made < edges:
        a, b = rng.randrange(n_entities), rng.randrange(n_entities)
        store.put_edge(
            Edge(
                id=f"r{made}",
                category="relation",
                type="relates_to",
                source=f"e{a}",
                target=f"e{b}",
                evidence=proof,
            )
        )
        made += 1
    return store


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def report(name: str, times: list[float], unit: str = "ms") -> None:
    scale = 1000 if unit == "ms" else 1
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    print(
        f"  {name:<38} median {statistics.median(times) * scale:9.3f} {unit}"
        f"  p95 {p95 * scale:9.3f} {unit}  (n={len(times)})"
    )


def measure(label: str, store: GraphStore, pairs: list[tuple[str, str]], repeat: int) -> None:
    counts = store.counts()
    print(f"{label}: {counts}")
    it = iter(pairs * repeat)
    report("shortest path (random pairs)", timed(lambda: _path(store, *next(it)), len(pairs)))
    it2 = iter(pairs * repeat)
    report(
        "k=5 shortest paths, max 4 hops",
        timed(
            lambda: _paths(store, *next(it2)),
            min(len(pairs), 50),
        ),
    )
    nodes = [a for a, _ in pairs]
    it3 = iter(nodes * repeat)
    report(
        "neighbours depth 2 (limit 500)",
        timed(lambda: queries.neighbourhood(store, next(it3), depth=2), len(nodes)),
    )
    queries.find_entities(store, "warm-up")  # the name index sorts itself on first use
    rng = random.Random(len(pairs))
    words = iter([f"entity {rng.randrange(1000)}" for _ in range(50)] * repeat)
    report(
        "entity search 'entity N' (limit 20)",
        timed(lambda: queries.find_entities(store, next(words), limit=20), 50 * repeat),
    )
    for fmt in ("ntriples", "graphml"):
        start = time.perf_counter()
        size = sum(len(chunk) for chunk in export(store, fmt))
        took = time.perf_counter() - start
        rate = size / took / 1e6
        print(f"  export {fmt:<31} {took:9.3f} s  {rate:8.1f} MB/s  ({size / 1e6:.1f} MB)")


def _path(store: GraphStore, a: str, b: str) -> None:
    # Unconnected pairs are part of the sample: their search is timed too.
    with contextlib.suppress(NoPathError):
        queries.shortest_path(store, a, b)


def _paths(store: GraphStore, a: str, b: str) -> None:
    with contextlib.suppress(NoPathError):
        queries.k_shortest_paths(store, a, b, max_length=4, limit=5)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--edges", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=7, help="random seed of the generator")
    parser.add_argument("--queries", type=int, default=200, help="random pairs per graph")
    args = parser.parse_args()
    machine = platform.processor() or platform.machine()
    print(f"geokg bench on {platform.node()} ({machine}), Python {sys.version.split()[0]}")
    sizes = " ".join(map(str, args.edges))
    print(f"command: python -m bench --edges {sizes} --seed {args.seed} --queries {args.queries}")
    start = time.perf_counter()
    seed = load_seed_dir(DEFAULT_SEEDS)
    print(f"seed graph load + validation: {time.perf_counter() - start:.3f} s")
    rng = random.Random(args.seed)
    ents = list(seed.ids("entity"))
    measure(
        "seed graph", seed, [(rng.choice(ents), rng.choice(ents)) for _ in range(args.queries)], 1
    )
    for size in args.edges:
        start = time.perf_counter()
        store = synthetic_store(size, args.seed)
        took = time.perf_counter() - start
        print(f"built synthetic graph ({size} edges, seed {args.seed}) in {took:.1f} s")
        n = len(store.ids("entity"))
        pairs = [(f"e{rng.randrange(n)}", f"e{rng.randrange(n)}") for _ in range(args.queries)]
        measure(f"synthetic {size} edges", store, pairs, 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
