"""The steps of a benchmark run that run in a process of their own.

``python -m bench.tasks NAME ARGS.json RESULT.json`` runs one step and writes its figures as
JSON. The harness starts each in a child process so that a step can be given a time budget
(and a memory cap) and killed past it without losing the run, and so that the memory one step
holds (a read model, a networkx graph, a parse) is gone before the next starts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from bench.load import summarise
from bench.server import memory

__all__ = ["TASKS", "main"]


def _rss() -> dict[str, int]:
    return memory(os.getpid())


def _timed_list(
    items: list[Any], run: Callable[[Any], Any], budget: float
) -> tuple[list[float], list[Any], int, bool]:
    """Run ``run`` on each item until done or ``budget`` seconds are spent; return the
    durations, the answers, the number of errors and whether the budget cut the list."""
    durations: list[float] = []
    answers: list[Any] = []
    errors = 0
    spent_until = time.perf_counter() + budget
    for item in items:
        if time.perf_counter() > spent_until:
            return durations, answers, errors, True
        started = time.perf_counter()
        try:
            answers.append(run(item))
        except Exception as exc:  # a query that fails is counted, not fatal
            errors += 1
            answers.append(f"{type(exc).__name__}: {exc}"[:200])
        durations.append(time.perf_counter() - started)
    return durations, answers, errors, False


def _figures(durations: list[float], errors: int, cut: bool, asked: int) -> dict[str, Any]:
    return {**summarise(durations), "errors": errors, "asked": asked, "cut_by_budget": cut}


def queries(args: dict[str, Any]) -> dict[str, Any]:
    """The read model in this process (``KnowledgeGraph.open``) and the fixed queries on it."""
    from graph import queries as q
    from graph.errors import NoPathError, PathBudgetError
    from graph.service import KnowledgeGraph
    from graph.store import TraversalFilter

    started = time.perf_counter()
    kg = KnowledgeGraph.open(args["db"])
    opened = time.perf_counter() - started
    budget = float(args["budget"])
    plan = args["plan"]
    out: dict[str, Any] = {"open_s": round(opened, 3), "rss_after_open": _rss()}

    def shortest(pair: list[str]) -> int | None:
        with kg.reading() as store:
            try:
                return q.shortest_path(store, pair[0], pair[1]).length
            except NoPathError:
                return None

    def search_only(pair: list[str]) -> int | None:
        """The path search over the topology alone (no records read, no answer built): the
        like-for-like comparison with networkx's BFS over a topology-only graph."""
        with kg.reading() as store:
            nodes = store.shortest_nodes(
                pair[0], pair[1], TraversalFilter(), max_hops=store.node_count()
            )
            return None if nodes is None else len(nodes) - 1

    def k_paths(pair: list[str]) -> int:
        with kg.reading() as store:
            try:
                found = q.k_shortest_paths(store, pair[0], pair[1], max_length=4, limit=5)
            except (NoPathError, PathBudgetError):
                return 0
            return len(found.paths)

    def neighbours(node: str) -> int:
        with kg.reading() as store:
            return len(q.neighbourhood(store, node, depth=2).nodes)

    def search(name: str) -> int:
        with kg.reading() as store:
            return len(q.find_entities(store, name, limit=20).items)

    def events(window: list[str]) -> int:
        hub, first, last = window
        with kg.reading() as store:
            page = q.find_events(
                store,
                actor=hub,
                start=dt.date.fromisoformat(first),
                end=dt.date.fromisoformat(last),
                limit=50,
            )
            return len(page.items)

    steps: list[tuple[str, list[Any], Callable[[Any], Any]]] = [
        ("shortest_path", plan["pairs"], shortest),
        ("shortest_path_search_only", plan["pairs"], search_only),
        ("k_paths", plan["pairs"], k_paths),
        ("neighbours_depth2", plan["nodes"], neighbours),
        ("search", plan["names"], search),
        ("events_window", plan["windows"], events),
    ]
    for name, items, run in steps:
        durations, answers, errors, cut = _timed_list(items, run, budget)
        out[name] = _figures(durations, errors, cut, len(items))
        if name == "shortest_path":
            out["path_lengths"] = answers
    out["rss_after_queries"] = _rss()
    kg.close()
    return out


def _edges_of(db: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every record of the store of record, as the store hands them out (its ``load``)."""
    from graph.storage.sqlite import SQLiteRecordStore

    records = SQLiteRecordStore(db)
    try:
        _, rows = records.load()
        for change in rows:
            assert change.after is not None
            yield change.object_type, change.after
    finally:
        records.close()


def networkx_bfs(args: dict[str, Any]) -> dict[str, Any]:
    """networkx's bidirectional BFS on a topology-only ``nx.Graph`` of the same store."""
    import networkx as nx

    before = _rss().get("VmRSS", 0)
    started = time.perf_counter()
    graph: nx.Graph[str] = nx.Graph()
    edges = 0
    for object_type, body in _edges_of(args["db"]):
        if object_type == "edge":
            graph.add_edge(body["source"], body["target"])
            edges += 1
        else:
            graph.add_node(body["id"])
    built = time.perf_counter() - started
    after = _rss().get("VmRSS", 0)

    def bfs(pair: list[str]) -> int | None:
        try:
            return len(nx.bidirectional_shortest_path(graph, pair[0], pair[1])) - 1
        except nx.NetworkXNoPath:
            return None

    durations, lengths, errors, cut = _timed_list(args["pairs"], bfs, float(args["budget"]))
    return {
        "build_s": round(built, 3),
        "edges": edges,
        "distinct_edges": graph.number_of_edges(),
        "rss_bytes_per_edge": round((after - before) / max(1, edges), 1),
        "shortest_path": _figures(durations, errors, cut, len(args["pairs"])),
        "path_lengths": lengths,
    }


def igraph_graphml(args: dict[str, Any]) -> dict[str, Any]:
    """igraph's GraphML writer on the same nodes and edges (ids, labels, kinds, edge types)."""
    import igraph

    index: dict[str, int] = {}
    ids: list[str] = []
    labels: list[str] = []
    kinds: list[str] = []
    pairs: list[tuple[int, int]] = []
    edge_ids: list[str] = []
    types: list[str] = []
    for object_type, body in _edges_of(args["db"]):
        if object_type == "edge":
            pairs.append((index[body["source"]], index[body["target"]]))
            edge_ids.append(body["id"])
            types.append(body["type"])
        else:
            index[body["id"]] = len(ids)
            ids.append(body["id"])
            labels.append(body["label"])
            kinds.append(body["kind"])
    graph = igraph.Graph(
        n=len(ids),
        edges=pairs,
        directed=True,
        vertex_attrs={"id": ids, "label": labels, "kind": kinds},
        edge_attrs={"edge_id": edge_ids, "type": types},
    )
    target = Path(args["output"])
    started = time.perf_counter()
    graph.write_graphml(str(target))
    took = time.perf_counter() - started
    size = target.stat().st_size
    target.unlink()
    return {
        "seconds": round(took, 3),
        "edges": len(pairs),
        "nodes": len(ids),
        "bytes": size,
        "edges_per_s": round(len(pairs) / took, 1) if took else None,
    }


def oxigraph_ntriples(args: dict[str, Any]) -> dict[str, Any]:
    """pyoxigraph's N-Triples parser and serialiser on an N-Triples file geokg wrote.

    The parse is timed over the whole file; the serialiser over the same triples, handed to it
    in batches of a million (held in memory only one batch at a time).
    """
    import pyoxigraph as ox

    source = Path(args["input"])
    started = time.perf_counter()
    parsed = sum(1 for _ in ox.parse(path=str(source), format=ox.RdfFormat.N_TRIPLES))
    parse_s = time.perf_counter() - started
    serialise_s = 0.0
    written = 0
    triples = ox.parse(path=str(source), format=ox.RdfFormat.N_TRIPLES)
    with open(args["output"], "wb") as out:
        while True:
            batch = [t for _, t in zip(range(1_000_000), triples, strict=False)]
            if not batch:
                break
            started = time.perf_counter()
            ox.serialize(batch, out, ox.RdfFormat.N_TRIPLES)
            serialise_s += time.perf_counter() - started
            written += len(batch)
    size = Path(args["output"]).stat().st_size
    Path(args["output"]).unlink()
    return {
        "input_complete": bool(args.get("complete", True)),
        "triples": parsed,
        "parse_s": round(parse_s, 3),
        "parse_triples_per_s": round(parsed / parse_s, 1) if parse_s else None,
        "serialise_s": round(serialise_s, 3),
        "serialise_triples_per_s": round(written / serialise_s, 1) if serialise_s else None,
        "serialised_bytes": size,
    }


def import_file(args: dict[str, Any]) -> dict[str, Any]:
    """``import_stream`` (what ``geokg import`` runs) of a file into an empty store (a new
    SQLite file, or the empty database ``args["location"]`` names).

    Progress goes to ``args["progress"]`` as it is made, so a run that overruns its budget can
    still tell how far it got. ``read_s`` is when the last record was read and staged; the
    checks across records, the commit and the read model's build come after.
    """
    from graph.imports import import_stream
    from graph.service import KnowledgeGraph

    progress_file = Path(args["progress"]) if args.get("progress") else None
    started = time.perf_counter()
    last = [0.0, 0.0]  # last note written, last record read

    def note(phase: str, records: int) -> None:
        now = time.perf_counter()
        last[1] = now
        if progress_file is None or (phase == "read" and now - last[0] < 1.0):
            return
        last[0] = now
        body = {"phase": phase, "records": records, "seconds": round(now - started, 3)}
        tmp = progress_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(body), encoding="utf-8")
        tmp.replace(progress_file)

    scratch = Path(tempfile.mkdtemp(prefix="geokg-bench-import-", dir=args.get("scratch")))
    try:
        kg = KnowledgeGraph.open(args.get("location") or scratch / "import.sqlite3")
        try:
            with open(args["input"], "rb") as stream:
                report, position = import_stream(
                    kg,
                    stream,
                    args["format"],
                    actor="bench",
                    progress=partial(note, "read"),
                    directory=str(scratch),
                    follow=False,  # as geokg import: the next start builds the read model
                )
            total_s = time.perf_counter() - started
        finally:
            kg.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    triples = args.get("triples")
    records = report.items
    return {
        "records": records,
        "read_s": round(last[1] - started, 3) if last[1] else None,
        "seconds": round(total_s, 3),
        "records_per_s": round(records / total_s, 1) if total_s else None,
        "triples": triples,
        "triples_per_s": round(triples / total_s, 1) if triples and total_s else None,
        "added": report.added,
        "problems": len(report.problems),
        "position": position,
        "peak_rss": _rss().get("VmHWM"),
    }


def bare_app(args: dict[str, Any]) -> dict[str, Any]:
    """The issue's reference server: a bare FastAPI app answering ``/paths/shortest`` with
    networkx's bidirectional BFS on a topology-only ``nx.Graph`` of the same store (node ids
    only: no records, no evidence), served by uvicorn in this process and driven by wrk with
    the same pairs and connections as geokg."""
    import threading
    from urllib.parse import urlencode

    import networkx as nx
    import uvicorn
    from fastapi import FastAPI, HTTPException

    from bench.load import wrk
    from bench.server import HOST, cpu_ms_per_request, cpu_seconds, free_port

    graph: nx.Graph[str] = nx.Graph()
    for object_type, body in _edges_of(args["db"]):
        if object_type == "edge":
            graph.add_edge(body["source"], body["target"])
        else:
            graph.add_node(body["id"])
    app = FastAPI()

    @app.get("/paths/shortest")
    async def shortest(source: str, target: str) -> dict[str, list[str]]:
        try:
            return {"nodes": nx.bidirectional_shortest_path(graph, source, target)}
        except (nx.NetworkXNoPath, nx.NodeNotFound) as exc:
            raise HTTPException(404, str(exc)) from None

    port = free_port()
    config = uvicorn.Config(app, host=HOST, port=port, access_log=False, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    paths = [f"/paths/shortest?{urlencode({'source': a, 'target': b})}" for a, b in args["pairs"]]
    figures: dict[str, Any] = {}
    try:
        for connections in (1, 8):
            before = cpu_seconds(os.getpid())
            found = wrk(
                HOST, port, paths, connections=connections, duration=float(args["duration"])
            )
            after = cpu_seconds(os.getpid())
            if found is None:
                return {"status": "not run: no wrk on this machine"}
            cost = cpu_ms_per_request(before, after, found.get("requests"))
            if cost is not None:
                found["server_cpu_ms_per_request"] = cost
            figures[str(connections)] = found
    finally:
        server.should_exit = True
        thread.join(10)
    return {"answers": "node ids only (no records, no evidence)", "throughput": figures}


def cold_start(args: dict[str, Any]) -> dict[str, Any]:
    """A replica's cold start from a PostgreSQL store, in process, and where its time goes.

    - ``from_store``: :meth:`GraphStore.from_snapshot` (what ``geokg serve`` does at start
      without a saved model), and apart the two reads it is made of (the nodes' and edges'
      skeleton rows through server-side cursors), then the same edge rows read other ways
      (:data:`_EDGE_READS`, through a cursor and by ``COPY ... TO STDOUT``);
    - ``from_saved_model``: :meth:`GraphStore.save` of that model to ``args["model"]`` (the
      #4 snapshot format), then :meth:`GraphStore.load` of it against a new snapshot of the
      store: a replica that keeps its model file starts this way (``geokg serve`` does it
      beside a SQLite file; for PostgreSQL it has no place for the file yet, so it is measured
      here, in process).
    """
    from graph.service import return_free_memory
    from graph.storage import open_record_store
    from graph.store import GraphStore

    url, model = args["db"], Path(args["model"])
    out: dict[str, Any] = {"loadavg_before": os.getloadavg()}
    records = open_record_store(url)
    try:
        snapshot = records.pin()
        started = time.perf_counter()
        nodes = sum(1 for _ in snapshot.node_skeletons())
        out["node_skeletons"] = _rate(nodes, time.perf_counter() - started)
        started = time.perf_counter()
        edges = sum(1 for _ in snapshot.edge_skeletons())
        out["edge_skeletons"] = _rate(edges, time.perf_counter() - started)
        snapshot.close()
        out["edge_rows"] = _edge_reads(url)
        started = time.perf_counter()
        snapshot = records.pin()
        store = GraphStore.from_snapshot(snapshot)
        built = time.perf_counter() - started
        out["from_store"] = {"seconds": round(built, 3), "rss": _rss().get("VmRSS")}
        started = time.perf_counter()
        store.save(model, records.store_id())
        out["save"] = {
            "seconds": round(time.perf_counter() - started, 3),
            "bytes": model.stat().st_size,
        }
        del store
        snapshot.close()
        return_free_memory()
        started = time.perf_counter()
        snapshot = records.pin()
        loaded = GraphStore.load(model, snapshot, records.store_id())
        took = time.perf_counter() - started
        out["from_saved_model"] = {
            "seconds": round(took, 3),
            "used": loaded is not None,
            "edges": loaded.edge_count() if loaded is not None else None,
        }
        snapshot.close()
    finally:
        records.close()
        model.unlink(missing_ok=True)
    out["loadavg_after"] = os.getloadavg()
    return out


_EDGE_READS = {
    "two_jsonb_parses": "SELECT ord, id, source, target, body::jsonb ->> 'type',"
    " body::jsonb ->> 'category' FROM edges ORDER BY ord",
    "json_to_record": "SELECT ord, id, source, target, f.type, f.category FROM edges,"
    " json_to_record(body::json) AS f(type text, category text) ORDER BY ord",
    "no_json_floor": "SELECT ord, id, source, target, '', '' FROM edges ORDER BY ord",
}
"""The edge rows a cold start reads, read other ways: as the store read them before (the body
parsed twice, as ``jsonb``), as it reads them now, and without reading the JSON at all (what
fetching the rows costs alone)."""


def _edge_reads(url: str) -> dict[str, Any]:
    """Each of :data:`_EDGE_READS` through a server-side cursor (as the store reads), and the
    store's own by ``COPY ... TO STDOUT``, text and binary."""
    import psycopg

    found: dict[str, Any] = {}
    with psycopg.connect(url) as conn:
        for name, sql in _EDGE_READS.items():
            started = time.perf_counter()
            rows = 0
            with conn.cursor(name=f"edges_{name}") as named:
                named.execute(sql)
                while batch := named.fetchmany(8192):
                    rows += len(batch)
            found[f"{name}_server_cursor"] = _rate(rows, time.perf_counter() - started)
            for how in ("text", "binary") if name == "json_to_record" else ():
                started = time.perf_counter()
                rows = 0
                copying = f"COPY ({sql}) TO STDOUT (FORMAT {how})"
                with conn.cursor() as cursor, cursor.copy(copying) as copy:
                    if how == "binary":
                        copy.set_types(["int8", "text", "text", "text", "text", "text"])
                    for _row in copy.rows():
                        rows += 1
                found[f"{name}_copy_{how}"] = _rate(rows, time.perf_counter() - started)
            conn.rollback()
    return found


def _rate(rows: int, seconds: float) -> dict[str, Any]:
    return {
        "rows": rows,
        "seconds": round(seconds, 3),
        "rows_per_s": round(rows / seconds, 1) if seconds else None,
    }


TASKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "cold_start": cold_start,
    "bare_app": bare_app,
    "queries": queries,
    "networkx_bfs": networkx_bfs,
    "igraph_graphml": igraph_graphml,
    "oxigraph_ntriples": oxigraph_ntriples,
    "import": import_file,
}


def main(argv: list[str]) -> int:
    """Run one task: ``NAME ARGS.json RESULT.json``."""
    name, given, result = argv
    args = json.loads(Path(given).read_text(encoding="utf-8"))
    out = TASKS[name](args)
    tmp = Path(f"{result}.tmp")
    tmp.write_text(json.dumps(out), encoding="utf-8")
    tmp.replace(result)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main(sys.argv[1:]))
