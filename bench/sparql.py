"""How the SPARQL endpoint's engine does at scale: ``python -m bench.sparql --scale medium``.

On the benchmark's generated graph (``bench/generate.py``; cached under ``bench/data``), in one
process and without HTTP: the time the replica takes to load (start the worker process, read
every node's pre-rendered N-Triples from the store, load them into Oxigraph), its size in
triples and the worker's resident memory; then each query below ``--repeat`` times (median
and slowest, answer written as JSON results); then how long the replica takes to follow one
write (a node changed, then a query), and how soon a query is answered after one that ran
past a 2-second time limit (its executor is killed and a new one forked from the replica).
First, how long the query scan takes on the longest queries accepted. Prints one JSON
document.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.generate import DATA_DIR, SCALES, dataset
from graph.changes import Change, record_json
from graph.errors import SparqlError, SparqlTimeoutError, SparqlUnavailableError
from graph.export.prerendered import ExportRenderer
from graph.model import Entity
from graph.sparql import MAX_QUERY_CHARS, SparqlEngine, prepare, result_format
from graph.storage import Commit, SQLiteRecordStore

QUERIES = {
    "label of one node": "SELECT ?l WHERE {{ id:{hub} rdfs:label ?l }}",
    "two-hop: the hub's events and their other participants (LIMIT 100)": (
        "SELECT ?e ?other WHERE {{ ?e sem:hasActor id:{hub} ; geokg:hasParticipant ?other }} "
        "LIMIT 100"
    ),
    "count of the hub's events by CAMEO root": (
        "SELECT ?root (COUNT(?e) AS ?n) WHERE {{ ?e sem:hasActor id:{hub} ; "
        "sem:eventType/skos:notation ?code BIND(SUBSTR(?code, 1, 2) AS ?root) }} GROUP BY ?root"
    ),
    "meetings of the hub with their day (LIMIT 50)": (
        'SELECT ?e ?day WHERE {{ ?e geokg:kind "meeting" ; sem:hasActor id:{hub} ; '
        "sem:hasBeginTimeStamp ?day }} ORDER BY ?day LIMIT 50"
    ),
}


# Runs a scan could read slowly if any alternative backtracked (a review found one that made
# a 100,000-character query take 80 s); each is repeated to the longest query accepted.
SCAN_RUNS = ['"', "'", '"""', "'''", "<", "<a", ":", "a:", "a:a", "\\u00", "#", "?", "@a-", ".",
             "-", "a.", "a-", "\\", "<a>", "e0", "_:a"]  # fmt: skip


def _scan_seconds() -> dict[str, float]:
    """The slowest scans of a query made of one run repeated, by run."""
    times = {}
    for run in SCAN_RUNS:
        text = "SELECT * {} " + run * ((MAX_QUERY_CHARS - 12) // len(run))
        started = time.perf_counter()
        with contextlib.suppress(SparqlError):
            prepare(text)
        times[run] = round(time.perf_counter() - started, 4)
    return dict(sorted(times.items(), key=lambda item: -item[1])[:5])


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _follow(records: SQLiteRecordStore, engine: SparqlEngine) -> list[float]:
    """Milliseconds from a committed write to the answer of a query that sees it."""
    hub_event = prepare("ASK { id:bench-sparql-probe rdfs:label ?l }")
    fmt = result_format("json", "ASK")
    times = []
    previous: Entity | None = None
    for i in range(10):
        probe = Entity(id="bench-sparql-probe", kind="person", label=f"Probe {i}")
        before = None if previous is None else record_json(previous)
        records.commit([Change.put(probe, before)], Commit(actor="bench"), records.position())
        t = time.perf_counter()
        answer = engine.answer(hub_event, fmt)
        times.append(round((time.perf_counter() - t) * 1000, 2))
        assert b"true" in answer.body
        previous = probe
    return times


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sparql", description=__doc__)
    parser.add_argument("--scale", choices=list(SCALES), default="small")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    args = parser.parse_args()
    data = dataset(args.scale, args.seed, args.data_dir, progress=print)
    hub = data.hubs[0]["id"]
    records = SQLiteRecordStore(str(data.path))
    engine = SparqlEngine(records, timeout_s=120, max_bytes=1 << 30)
    report: dict[str, Any] = {
        "command": f"python -m bench.sparql --scale {args.scale} --seed {args.seed}",
        "dataset": {"scale": args.scale, "counts": data.counts, "hub": hub},
        "load_average": os.getloadavg(),
    }
    report["scan_100k_chars_slowest_s"] = _scan_seconds()
    try:
        started = time.perf_counter()
        engine.warm()
        report["replica_load_s"] = round(time.perf_counter() - started, 2)
        assert engine._conn is not None and engine._process is not None
        engine._conn.send(("size",))
        report["replica_triples"] = engine._conn.recv()
        report["replica_rss_mib"] = _rss_mib(engine._process.pid)
        queries: dict[str, Any] = {}
        for name, template in QUERIES.items():
            query = prepare(template.format(hub=hub))
            fmt = result_format("json", query.form)
            times = []
            size = 0
            for _ in range(args.repeat):
                t = time.perf_counter()
                size = len(engine.answer(query, fmt).body)
                times.append((time.perf_counter() - t) * 1000)
            queries[name] = {
                "median_ms": round(statistics.median(times), 2),
                "max_ms": round(max(times), 2),
                "answer_bytes": size,
            }
        report["queries"] = queries
        # A query past the time limit: how soon the next one is answered (a new executor).
        engine.timeout_s = 2.0
        heavy = prepare("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }")
        ask = prepare("ASK { ?s ?p ?o }")
        t = time.perf_counter()
        try:
            engine.answer(heavy, result_format("json", "SELECT"))
            report["timeout"] = "the heavy query finished within 2 s"
        except SparqlTimeoutError:
            stopped = time.perf_counter() - t
            t = time.perf_counter()
            while True:
                try:
                    engine.answer(ask, result_format("json", "ASK"))
                    break
                except SparqlUnavailableError:
                    time.sleep(0.05)
            report["timeout"] = {
                "limit_s": 2.0,
                "answered_error_after_s": round(stopped, 2),
                "next_query_answered_after_s": round(time.perf_counter() - t, 2),
            }
        engine.timeout_s = 120
        # Following writes: on a copy, so that the cached store stays as generated.
        engine.close()
        records.close()
        with tempfile.TemporaryDirectory(dir=args.data_dir) as folder:
            copy = Path(folder) / "copy.sqlite3"
            shutil.copyfile(data.path, copy)
            records = SQLiteRecordStore(str(copy), renderer=ExportRenderer())
            engine = SparqlEngine(records, timeout_s=120, max_bytes=1 << 30)
            engine.warm()
            report["follow_one_write_then_ask_ms"] = _follow(records, engine)
            engine.close()
            records.close()
    finally:
        engine.close()
        records.close()
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
