"""How long ingestion takes to read an article: ``python -m bench.ingest``.

Reads, in a fresh process, the seed article and every article of ``evaluation/`` against the
seed graph, as ``POST /ingest`` reads them (without the HTTP and the store write): the first
read of the process (which loads Unicode's confusables table and compiles the patterns),
then each article ``--repeat`` times, and prints per article its length, the median and the
slowest read, with the machine's load. Nothing is tuned against these figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument(
        "--hub",
        type=int,
        default=50_000,
        help="then add this many events with Russia as actor and read the seed article again",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    from graph.ingest import read_article
    from graph.seed import load_seed_dir

    imported = time.perf_counter() - started
    store = load_seed_dir(ROOT / "seeds")
    seed = ROOT / "seeds" / "2022-02-15-ap-russia-forces-pulling-back.txt"
    articles = [(seed, "Russia Says Some Forces Pulling Back Amid Ukraine Crisis", "2022-02-15")]
    for path in sorted(
        p
        for split in ("dev", "heldout-1", "heldout-2", "heldout-3", "heldout-4")
        for p in (ROOT / "evaluation" / split).glob("*.json")
    ):
        doc = json.loads(path.read_text("utf-8"))
        articles.append((path.with_suffix(".txt"), doc["title"], doc["published"]))

    def read(text: str, title: str, published: str) -> float:
        t = time.perf_counter()
        read_article(
            text,
            ingest_id="bench",
            title=title,
            published=dt.date.fromisoformat(published),
            url=None,
            source="bench",
            actor="bench",
            store=store,
            taken=lambda node_id: node_id in store,
        )
        return (time.perf_counter() - t) * 1000

    first_text = articles[0][0].read_text("utf-8")
    first = read(first_text, articles[0][1], articles[0][2])
    print(
        f"import of graph.ingest: {imported * 1000:.0f} ms; load average {os.getloadavg()[0]:.2f}"
    )
    print(f"first read of the process (the seed article): {first:.0f} ms")
    print(f"{'article':48} {'chars':>7} {'median ms':>10} {'max ms':>8}")
    for path, title, published in articles:
        text = path.read_text("utf-8")
        times = [read(text, title, published) for _ in range(args.repeat)]
        name = f"{path.parent.name}/{path.stem}"[:48]
        print(f"{name:48} {len(text):7} {statistics.median(times):10.1f} {max(times):8.1f}")

    if args.hub:
        _hub(store, args.hub, lambda: read(first_text, articles[0][1], articles[0][2]))


def _hub(store: object, count: int, read_seed: object) -> None:
    """A graph where Russia is the actor of ``count`` more events (undated deployments), as a
    hub of a large graph is: linking a new article to what the graph holds must not read
    every one of them."""
    from graph.model import Edge, Event, EventDate, Evidence
    from graph.reference import cameo_codes

    code = cameo_codes()["154"]
    undated = EventDate(
        expression=None, value=None, start=None, end=None, granularity=None, rule="undated"
    )
    quote = Evidence(
        source="ap-2022-02-15-russia-forces-pulling-back", quote="Russia", start=0, end=6
    )
    for i in range(count):
        event_id = f"bench-hub-{i}"
        store.put_node(  # type: ignore[attr-defined]
            Event(
                id=event_id,
                kind="deployment",
                label=f"hub event {i}",
                cameo=code,
                modality="occurred",
                date=undated,
                evidence=(quote,),
            )
        )
        store.put_edge(  # type: ignore[attr-defined]
            Edge(
                id=f"{event_id}.actor.russia",
                category="role",
                type="actor",
                source=event_id,
                target="russia",
            )
        )
    times = sorted(read_seed() for _ in range(3))  # type: ignore[operator]
    print(f"seed article with Russia the actor of {count} more events: median {times[1]:.0f} ms")


if __name__ == "__main__":
    main()
