"""Benchmark geokg as a user meets it: ``python -m bench --scale small|medium|large``.

One run, on one generated graph (:mod:`bench.generate`, cached under ``bench/data``):

1. ``geokg serve --db <store>`` in a child process: start-up until ``/health`` answers 200 and
   a first path query is answered; resident memory per edge of the server process and any
   worker process it starts (``VmRSS`` and ``RssAnon`` summed, and ``Pss``).
2. Over HTTP, one connection: shortest path for the fixed pairs, k=5 paths, neighbours at depth
   2, name search, events of a hub in a week (median and p99 each).
3. Throughput of ``/paths/shortest`` at 1 and 8 connections while a health check asks
   ``/health`` once a second; then a mixed load (paths, k-paths, neighbours, entity reads and a
   whole-graph export at once), with the p99 of the light requests.
4. Every export format over HTTP: triples (or edges) per second, time to first byte, peak RSS
   of the server while it runs. (Before the service starts, the export views a cached store
   lacks are rendered, timed, and the store's size recorded.)
5. In a child process: ``KnowledgeGraph.open`` and the same queries in process; networkx's
   bidirectional BFS on a topology-only graph of the same store and pairs; pyoxigraph's
   N-Triples parser and serialiser and igraph's GraphML writer on the same data; imports of
   the N-Triples and GraphML exports into an empty store.

Every step has a time budget; a step that overruns it, or fails, is recorded as such and the
run goes on. ``bench/results/<scale>.json`` gets every figure, the machine, the git commit,
the generator's seed and counts, the command, and the issue's medium-scale targets with what
was measured. The load client is this Python process: it shares the machine's cores with the
server, which the figures say.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import platform
import resource
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from bench.generate import DATA_DIR, SCALES, Dataset, cached_dataset, dataset
from bench.load import Connection, Group, Stream, closed_loop, fetch, summarise, wrk
from bench.postgres import (
    PostgresCluster,
    copy_sqlite_store,
    create_database,
    database_bytes,
    drop_database,
)
from bench.replicas import apply_lag, fill_views, store_apply_lag, sustained_writes
from bench.server import HOST, PeakWatch, Server, cpu_ms_per_request, cpu_seconds, tree_memory
from graph.formats import FORMATS
from graph.storage import open_record_store

__all__ = ["main"]

log = logging.getLogger("bench")

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
HARNESS_VERSION = 1

# Budgets (seconds) by scale: start-up, each query list, each export, the first byte of an
# export, each import, each other child step.
_BUDGETS: dict[str, dict[str, float]] = {
    "small": {
        "startup": 120,
        "queries": 60,
        "export": 120,
        "first_byte": 60,
        "import": 300,
        "step": 600,
    },
    "medium": {
        "startup": 900,
        "queries": 60,
        "export": 720,
        "first_byte": 60,
        "import": 600,
        "step": 1200,
    },
    "large": {
        "startup": 3600,
        "queries": 120,
        "export": 1800,
        "first_byte": 300,
        "import": 900,
        "step": 3600,
    },
}

# Streamed formats first: a format that builds its whole document in memory comes last, so a
# server restarted after it overran its budget costs as little as possible.
_EXPORT_ORDER = ("ntriples", "nquads", "graphml", "json", "turtle", "jsonld", "rdfxml")
_TRIPLE_FORMATS = ("ntriples", "nquads", "turtle", "jsonld", "rdfxml")

NOTE_CORES = (
    "The HTTP load client is a Python asyncio process on the same machine as the server: "
    "client and server share its {cpus} cores, so throughput and latency under load include "
    "the client's own cost."
)


def _store_bytes(path: Path) -> int:
    """The size of a store: its file and its journal."""
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def _ok(**figures: Any) -> dict[str, Any]:
    return {"status": "ok", **figures}


def _timed_out(budget: float, /, **figures: Any) -> dict[str, Any]:
    return {"status": f"timed out after {budget:g} s", **figures}


def _failed(exc: BaseException) -> dict[str, Any]:
    return {"status": f"failed: {type(exc).__name__}: {exc}"[:500]}


# -- the run ------------------------------------------------------------------------------


@dataclass
class Options:
    scale: str
    seed: int
    edges: int | None
    queries: int | None
    duration: float
    query_budget: float
    export_budget: float
    first_byte_budget: float
    import_budget: float
    startup_budget: float
    step_budget: float
    request_timeout: float
    workers: int
    skip: frozenset[str]
    formats: frozenset[str]
    memory_cap: int
    data_dir: Path
    results: Path
    command: str
    store: str = "sqlite"
    postgres_url: str | None = None
    keep_postgres: bool = False
    replicas: int = 3
    lag_rates: tuple[float, ...] = (1000.0,)
    store_lag_rates: tuple[float, ...] = (1000.0,)
    lag_duration: float = 20.0
    lag_connections: int = 8
    write_duration: float = 20.0
    write_connections: int = 4
    follow_interval: float | None = None


POSTGRES_SETTINGS = {"fsync": "on", "shared_buffers": "1GB", "max_wal_size": "2GB"}
"""The benchmark cluster's settings beyond :class:`~bench.postgres.PostgresCluster`'s: durable
commits (a test cluster turns fsync off), a cache of 1 GB."""

NOTE_POSTGRES = (
    "Store of record in PostgreSQL {version} (a throwaway cluster on this machine, fsync on, "
    "shared_buffers 1GB), loaded from the cached SQLite store table by table with COPY. Servers "
    "run with GEOKG_SPARQL_WARM=false (the SPARQL replica, 5.6 GB at a million edges, is not "
    "loaded at start), as the SQLite figures of #6 were measured before SPARQL existed. The "
    "references (networkx, igraph, pyoxigraph, the bare app) do not depend on the store and are "
    "not run again: see bench/results/<scale>.json. The servers save their read model to "
    "GEOKG_MODEL (a file under the data directory): the first start builds it from the store, "
    "the restart and the replicas load it and follow the log from its position."
)


def _paths(ds: Dataset) -> dict[str, list[str]]:
    plan = ds.plan

    def q(path: str, **params: Any) -> str:
        return f"{path}?{urlencode(params)}"

    return {
        "shortest_path": [q("/paths/shortest", source=a, target=b) for a, b in plan.pairs],
        "k_paths": [q("/paths", source=a, target=b, max_length=4, limit=5) for a, b in plan.pairs],
        "neighbours_depth2": [
            f"/entities/{quote(n, safe='')}/neighbors?depth=2" for n in plan.nodes
        ],
        "search": [q("/entities", q=name, limit=20) for name in plan.names],
        "events_window": [
            q("/events", actor=h, start=s, end=e, limit=50) for h, s, e in plan.windows
        ],
        "entity": [f"/entities/{quote(n, safe='')}" for n in plan.nodes],
    }


class Run:
    """One benchmark run: the steps, in order, each kept from stopping the others."""

    def __init__(self, options: Options) -> None:
        self.o = options
        self.results: dict[str, Any] = {}
        self.server: Server | None = None
        self.ds: Dataset | None = None
        self.exports_dir = options.data_dir / "exports"
        self.db = ""
        """The store every step uses: the SQLite file, or the PostgreSQL database's URL."""
        self.cluster: PostgresCluster | None = None

    def say(self, text: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)

    def step(self, name: str, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        self.say(f"{name} ...")
        started = time.perf_counter()
        try:
            figures = run()
        except Exception as exc:  # one failed step is recorded, the run goes on
            log.debug("step %s failed", name, exc_info=True)
            figures = _failed(exc)
        took = time.perf_counter() - started
        self.say(f"{name}: {figures.get('status', 'ok')} ({took:.1f} s)")
        # The machine is shared: each figure says how busy it was when it was measured.
        figures.setdefault("loadavg_at_end", _loadavg())
        return figures

    # -- steps ----------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        o = self.o
        started = time.time()
        pg = o.store == "postgresql"
        cached = cached_dataset(o.scale, o.seed, o.data_dir, o.edges) if pg else None
        # A cached store is only read when it is the source of a PostgreSQL load.
        self.ds = cached or dataset(o.scale, o.seed, o.data_dir, o.edges, progress=self.say)
        ds = self.ds
        self.db = str(ds.path)
        if o.queries is not None:
            plan = ds.plan
            plan.pairs, plan.nodes = plan.pairs[: o.queries], plan.nodes[: o.queries]
            plan.names, plan.windows = plan.names[: o.queries], plan.windows[: o.queries]
        self.say(f"graph {ds.path.name}: {ds.counts}")
        self.exports_dir.mkdir(parents=True, exist_ok=True)
        r = self.results
        r["harness"] = {
            "version": HARNESS_VERSION,
            "command": o.command,
            "started_at": dt.datetime.fromtimestamp(started, dt.UTC).isoformat(),
            "budgets_s": {
                "startup": o.startup_budget,
                "query_list": o.query_budget,
                "export": o.export_budget,
                "export_first_byte": o.first_byte_budget,
                "import": o.import_budget,
                "child_step": o.step_budget,
                "request": o.request_timeout,
                "load_duration": o.duration,
            },
            "server_memory_cap_bytes": o.memory_cap,
            "workers": o.workers,
        }
        r["machine"] = _machine()
        r["machine"]["loadavg_at_start"] = _loadavg()
        r["git"] = _git()
        r["scale"] = o.scale
        r["seed"] = o.seed
        r["generator"] = {k: v for k, v in ds.as_json().items() if k != "plan"}
        r["generator"]["plan_sizes"] = {
            "pairs": len(ds.plan.pairs),
            "nodes": len(ds.plan.nodes),
            "names": len(ds.plan.names),
            "windows": len(ds.plan.windows),
        }
        r["counts"] = ds.counts
        r["notes"] = [NOTE_CORES.format(cpus=os.cpu_count())]
        r["store"] = o.store
        try:
            if pg:
                r["postgres"] = self.step("PostgreSQL: cluster and load", self.postgres)
                if not self.db.startswith("postgresql://"):
                    raise RuntimeError(f"no PostgreSQL store: {r['postgres'].get('status')}")
                r["notes"].append(NOTE_POSTGRES.format(version=r["postgres"].get("version")))
            self.serve_and_measure(r)
            if pg:
                r["cold_start"] = self.step("cold start, in process", self.cold_start)
                r["replicas"] = self.step("replicas: writes and apply lag", self.replicas)
        finally:
            if self.cluster is not None and not o.keep_postgres:
                self.cluster.stop()
        r["checks"] = {"path_lengths": _compare_lengths(r)}
        r["ratios"] = _ratios(r)
        r["targets"] = _targets(r)
        r["harness"]["seconds"] = round(time.time() - started, 1)
        r["machine"]["loadavg_at_end"] = _loadavg()
        for leftover in self.exports_dir.iterdir():
            leftover.unlink()
        return r

    def serve_and_measure(self, r: dict[str, Any]) -> None:
        """The read figures of #6: the service, its queries and exports, then the steps in
        child processes."""
        o, ds = self.o, self.ds
        assert ds is not None
        r["export_views"] = self.step("export views", self.export_views)
        paths = _paths(ds)
        try:
            # First without a saved read model (the service builds it from the store and saves
            # it), then again as a restart finds it: the figure the target is about.
            if o.store == "sqlite":
                Path(f"{ds.path}.model").unlink(missing_ok=True)
            else:
                self.model_path().unlink(missing_ok=True)
            r["startup_cold"] = self.step("start-up, cold", lambda: self.start_server(paths))
            r["startup"] = self.step("start-up, saved model", lambda: self.restart_server(paths))
            r["memory"] = {"after_start": self.memory_figures()}
            r["http"] = {
                name: self.step(f"HTTP {name}", partial(self.sequential, paths[name]))
                for name in (
                    "shortest_path",
                    "k_paths",
                    "neighbours_depth2",
                    "search",
                    "events_window",
                )
            }
            r["throughput"] = {
                str(n): self.step(f"throughput {n} conn", partial(self.throughput, paths, n))
                for n in (1, 8)
            }
            if shutil.which("wrk"):
                r["throughput_wrk"] = {
                    str(n): self.step(f"throughput {n} conn, wrk", partial(self.wrk, paths, n))
                    for n in (1, 8)
                }
            r["mixed"] = self.step("mixed load", lambda: self.mixed(paths))
            r["memory"]["after_load"] = self.memory_figures()
            r["exports"] = self.exports(paths)
        finally:
            self.stop_server()
        skip = self.o.skip
        if "in_process" not in skip:
            r["in_process"] = self.step("in-process queries", self.in_process)
        if "references" not in skip:
            r["references"] = {
                "networkx_bfs": self.step("networkx BFS", self.networkx),
                "bare_fastapi_networkx": self.step("bare FastAPI + networkx app", self.bare_app),
                "oxigraph_ntriples": self.step("pyoxigraph N-Triples", self.oxigraph),
                "igraph_graphml": self.step("igraph GraphML", self.igraph),
            }
        if "imports" not in skip:
            r["imports"] = {
                fmt: self.step(f"import {fmt}", partial(self.imports, fmt))
                for fmt in ("ntriples", "graphml")
            }
        r["skipped"] = sorted(skip)

    def start_server(self, paths: dict[str, list[str]]) -> dict[str, Any]:
        ds = self.ds
        assert ds is not None
        store = "" if self.o.store == "sqlite" else f"-{self.o.store}"
        log = self.o.data_dir / f"{ds.path.stem}{store}-serve.log"
        self.server = Server(self.db, log, workers=self.o.workers, env=self.server_env())
        figures = self.server.start(paths["shortest_path"][0], self.o.startup_budget)
        return _ok(**figures)

    def model_path(self) -> Path:
        """Where the servers of a PostgreSQL run keep their read model (``GEOKG_MODEL``)."""
        assert self.ds is not None
        return self.o.data_dir / f"{self.ds.path.stem}-postgresql.model"

    def server_env(self, **more: str) -> dict[str, str]:
        """Settings of the servers: none for SQLite (as #6 measured it); for PostgreSQL, no
        SPARQL replica at start, a saved read model, and the follow interval asked for."""
        if self.o.store == "sqlite":
            return dict(more)
        env = {"GEOKG_SPARQL_WARM": "false", "GEOKG_MODEL": str(self.model_path()), **more}
        if self.o.follow_interval is not None:
            env["GEOKG_FOLLOW_INTERVAL"] = str(self.o.follow_interval)
        return env

    # -- PostgreSQL ---------------------------------------------------------------------

    def postgres(self) -> dict[str, Any]:
        """A throwaway cluster loaded with the dataset (or the database ``--postgres-url``
        names, loaded if empty)."""
        import psycopg

        o, ds = self.o, self.ds
        assert ds is not None
        figures: dict[str, Any] = {}
        if o.postgres_url is None:
            folder = o.data_dir / f"postgres-{ds.path.stem}"
            if folder.exists():
                raise RuntimeError(
                    f"{folder} exists (a cluster an earlier run kept?): pass its URL with "
                    "--postgres-url, or stop it (pg_ctl stop -D <folder>/data) and remove it"
                )
            started = time.perf_counter()
            self.cluster = PostgresCluster(folder, POSTGRES_SETTINGS).start()
            figures["cluster"] = {
                "folder": str(folder),
                "start_s": round(time.perf_counter() - started, 3),
                "settings": self.cluster.settings,
                "kept": o.keep_postgres,
                "url": self.cluster.url,
            }
            url = self.cluster.url
        else:
            url = o.postgres_url
        with psycopg.connect(url, autocommit=True) as conn:
            figures["version"] = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
            tables = conn.execute("SELECT 1 FROM pg_tables WHERE tablename = 'changes'").fetchone()
            position = (
                conn.execute("SELECT coalesce(max(position), 0) FROM changes").fetchone()[0]  # type: ignore[index]
                if tables
                else 0
            )
        if position == 0:
            self.say(f"loading {ds.path.name} into {url}")
            load = copy_sqlite_store(ds.path, url, progress=self.say)
            load["loadavg_after"] = _loadavg()
            figures["load"] = load
        elif position < ds.position:
            raise RuntimeError(f"{url} holds {position} changes, the dataset {ds.position}")
        else:
            figures["load"] = {"status": "loaded before this run"}
            figures["writes_of_earlier_runs"] = position - ds.position
        figures["database_bytes"] = database_bytes(url)
        self.db = url
        return _ok(**figures)

    def cold_start(self) -> dict[str, Any]:
        assert self.ds is not None
        model = self.o.data_dir / f"{self.ds.path.stem}-cold-start.model"
        args = {"db": self.db, "model": str(model)}
        return self.child("cold_start", args, self.o.step_budget)

    def replicas(self) -> dict[str, Any]:
        """``--replicas`` servers on the database: sustained writes to one and spread over
        all, then the apply lag at each ``--lag-rates`` rate, writing to the first through the
        API, and at each ``--store-lag-rates`` rate, committing straight to the store (every
        replica follows then)."""
        o, ds = self.o, self.ds
        assert ds is not None
        token = secrets.token_hex(16)
        env = self.server_env(GEOKG_TOKENS=f"bench:write:{token}")
        servers = [
            Server(self.db, o.data_dir / f"{ds.path.stem}-replica-{i}.log", env=env)
            for i in range(o.replicas)
        ]
        figures: dict[str, Any] = {
            "replicas": o.replicas,
            "follow_interval_s": o.follow_interval,
            "write": "POST /entities, one new entity (one change) per write",
        }
        first = _paths(ds)["shortest_path"][0]
        try:
            starts: list[Any] = [None] * len(servers)

            def start(i: int) -> None:
                try:
                    starts[i] = servers[i].start(first, o.startup_budget)
                except Exception as exc:
                    starts[i] = _failed(exc)

            threads = [threading.Thread(target=start, args=(i,)) for i in range(len(servers))]
            load = _loadavg()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            figures["start"] = {"at_once": len(servers), "each": starts, "loadavg_before": load}
            if not all(s.alive() for s in servers):
                raise RuntimeError(f"a replica did not start: {starts}")
            ports = [s.port for s in servers]
            sustained: dict[str, Any] = {}
            for name, targets in (("one_replica", ports[:1]), ("spread", ports)):
                self.say(f"writes, {name}")
                found = asyncio.run(
                    sustained_writes(
                        targets,
                        token,
                        duration=o.write_duration,
                        connections=o.write_connections * len(targets),
                    )
                )
                found["loadavg"] = _loadavg()
                sustained[name] = found
            figures["sustained_writes"] = sustained
            lag: dict[str, Any] = {}
            for rate in o.lag_rates:
                self.say(f"apply lag at {rate:g} writes/s")
                since = open_record_store(self.db)
                try:
                    position = since.position()
                finally:
                    since.close()
                lag[f"{rate:g}"] = asyncio.run(
                    apply_lag(
                        ports[0],
                        ports[1:],
                        token,
                        position,
                        rate=rate,
                        duration=o.lag_duration,
                        connections=o.lag_connections,
                    )
                )
            figures["apply_lag"] = lag

            def store_lag(targets: list[int], which: str) -> dict[str, Any]:
                found: dict[str, Any] = {}
                for rate in o.store_lag_rates:
                    self.say(f"apply lag at {rate:g} writes/s straight to the store, {which}")
                    found[f"{rate:g}"] = run = asyncio.run(
                        store_apply_lag(self.db, targets, rate=rate, duration=o.lag_duration)
                    )
                    self.say("rendering the views the store writer left stale")
                    run["views_filled_after"] = fill_views(self.db)
                return found

            figures["store_apply_lag"] = store_lag(ports, "every replica")
            # Every replica shares this machine's cores with the others, the writer and the
            # database: the same again with one replica left, to tell its own lag from that.
            for server in servers[1:]:
                server.stop()
            figures["store_apply_lag_one_replica"] = store_lag(ports[:1], "one replica")
            figures["store_apply_lag_method"] = (
                "python -m bench.logwriter: one new entity per write, due at start + i/rate; the "
                "writes due each time round are committed in one transaction (commit_many, group "
                "commit), each a commit of its own with its own position; no pre-rendered views. "
                "As each group commits, its last entity is read on every replica with "
                "X-Geokg-Position (the read waits until the replica applied it); lag = that "
                "read's answer minus the commit returning, on the machine's monotonic clock, for "
                "each write of the group (an upper bound: it includes the read's round trip). "
                "After each run the bench renders the views the writer left stale "
                "(views_filled_after), so that no replica renders them during the next"
            )
            figures["replica_status_after"] = {
                str(port): _json_answer(port, "/replica") for port in ports[:1]
            }
        finally:
            for server in servers:
                server.stop()
        return _ok(**figures)

    def stop_server(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def restart_server(self, paths: dict[str, list[str]]) -> dict[str, Any]:
        self.stop_server()
        return self.start_server(paths)

    def memory_figures(self) -> dict[str, Any]:
        assert self.server is not None and self.ds is not None
        mem = tree_memory(self.server.pid)
        edges = self.ds.counts["edges"]
        return {
            **mem,
            "pss_bytes_per_edge": round(mem["Pss"] / edges, 1) if "Pss" in mem else None,
            "edges": edges,
            "rss_bytes_per_edge": round(mem["VmRSS"] / edges, 1) if "VmRSS" in mem else None,
            "anon_bytes_per_edge": round(mem["RssAnon"] / edges, 1) if "RssAnon" in mem else None,
        }

    def sequential(self, paths: list[str]) -> dict[str, Any]:
        """Each request in turn on one keep-alive connection, until done or the budget."""
        assert self.server is not None
        port, budget, timeout = self.server.port, self.o.query_budget, self.o.request_timeout

        async def go() -> dict[str, Any]:
            conn = Connection(HOST, port)
            seconds: list[float] = []
            statuses: dict[str, int] = {}
            errors = 0
            until = time.perf_counter() + budget
            cut = False
            try:
                for path in paths:
                    if time.perf_counter() > until:
                        cut = True
                        break
                    try:
                        async with asyncio.timeout(timeout):
                            answer = await conn.send(conn.encode(path))
                    except (TimeoutError, OSError, asyncio.IncompleteReadError):
                        errors += 1
                        await conn.close()
                        continue
                    statuses[str(answer.status)] = statuses.get(str(answer.status), 0) + 1
                    if answer.status in (200, 404):
                        seconds.append(answer.total_s)
                    else:
                        errors += 1
            finally:
                await conn.close()
            return _ok(
                **summarise(seconds),
                asked=len(paths),
                errors=errors,
                statuses=statuses,
                cut_by_budget=cut,
            )

        return asyncio.run(go())

    def throughput(self, paths: dict[str, list[str]], connections: int) -> dict[str, Any]:
        assert self.server is not None
        pid = self.server.pid
        cpu_before = cpu_seconds(pid)
        groups = [
            Group("paths", paths["shortest_path"], connections),
            Group("health", ["/health"], 1, pause=1.0),
        ]
        figures = closed_loop(
            HOST,
            self.server.port,
            groups,
            duration=self.o.duration,
            timeout=self.o.request_timeout,
        )
        cpu_after = cpu_seconds(pid)
        done = figures["paths"]["requests"] + figures["health"]["requests"]
        cost = cpu_ms_per_request(cpu_before, cpu_after, done)
        if cost is not None:
            figures["server_cpu_ms_per_request"] = cost
        figures["connections"] = connections
        figures["health_check_interval_s"] = 1.0
        return _ok(**figures)

    def wrk(self, paths: dict[str, list[str]], connections: int) -> dict[str, Any]:
        """``/paths/shortest`` driven by wrk, a C client that leaves more CPU to the server."""
        assert self.server is not None
        pid = self.server.pid
        cpu_before = cpu_seconds(pid)
        figures = wrk(
            HOST,
            self.server.port,
            paths["shortest_path"],
            connections=connections,
            duration=self.o.duration,
        )
        if figures is None:
            return {"status": "not run: no wrk on this machine"}
        cpu_after = cpu_seconds(pid)
        cost = cpu_ms_per_request(cpu_before, cpu_after, figures.get("requests"))
        if cost is not None:
            figures["server_cpu_ms_per_request"] = cost
        figures["connections"] = connections
        return _ok(**figures)

    def mixed(self, paths: dict[str, list[str]]) -> dict[str, Any]:
        assert self.server is not None
        light = ["shortest_path", "health", "entity"]
        groups = [
            Group("shortest_path", paths["shortest_path"], 2),
            Group("health", ["/health"], 1, pause=1.0),
            Group("entity", paths["entity"], 1),
            Group("k_paths", paths["k_paths"], 2),
            Group("neighbours_depth2", paths["neighbours_depth2"], 1),
            Group("export_ntriples", ["/export?format=ntriples"], 1),
        ]
        figures = closed_loop(
            HOST,
            self.server.port,
            groups,
            duration=self.o.duration,
            timeout=self.o.request_timeout,
            combine={"light": light},
        )
        figures["light_classes"] = light
        figures["connections"] = sum(g.connections for g in groups)
        return _ok(**figures)

    def export_views(self) -> dict[str, Any]:
        """Render the export views a cached store lacks (one generated before the store kept
        them), before the service starts, so that no step shares the machine with that one-off
        work; and the store's size with them."""
        assert self.ds is not None
        path = self.ds.path
        size = (
            partial(database_bytes, self.db)
            if self.o.store != "sqlite"
            else partial(_store_bytes, path)
        )
        before = size()
        started = time.perf_counter()
        records = open_record_store(self.db)
        rendered = 0
        try:
            while not (filled := records.fill_views(2000)).done:
                rendered += filled.rendered
            rendered += filled.rendered
            records.checkpoint(records.position())  # the views are written; the log is not
        finally:
            records.close()
        after = size()
        edges = self.ds.counts["edges"]
        return _ok(
            rendered_nodes=rendered,
            seconds=round(time.perf_counter() - started, 3),
            store_bytes_before=before,
            store_bytes=after,
            store_bytes_per_edge=round(after / edges, 1) if edges else None,
        )

    def exports(self, paths: dict[str, list[str]]) -> dict[str, Any]:
        order = [f for f in _EXPORT_ORDER if f in FORMATS] + [
            f for f in FORMATS if f not in _EXPORT_ORDER
        ]
        if self.o.formats:
            order = [f for f in order if f in self.o.formats]
        found: dict[str, Any] = {}
        for i, fmt in enumerate(order):
            if self.server is None or not self.server.alive():
                found["restart"] = self.step("restart server", lambda: self.restart_server(paths))
            found[fmt] = self.step(f"export {fmt}", partial(self.export, fmt))
            more = i < len(order) - 1
            if more and found[fmt].get("status") != "ok" and self._server_busy():
                self.say("the server is still working on the abandoned export: restarting it")
                found[fmt]["server_restarted_after"] = True
                self.stop_server()
        self._rates(found)
        return found

    def _server_busy(self) -> bool:
        if self.server is None or not self.server.alive():
            return True
        before = cpu_seconds(self.server.pid) or 0.0
        time.sleep(2.0)
        after = cpu_seconds(self.server.pid) or 0.0
        return after - before > 0.5

    def export(self, fmt: str) -> dict[str, Any]:
        assert self.server is not None and self.ds is not None
        server = self.server
        # The N-Triples and GraphML documents feed the imports and the references; without
        # those steps nothing is kept (at the large scale they take 25 GB of disk).
        keep = fmt in ("ntriples", "graphml") and not {"imports", "references"} <= self.o.skip
        target = self.exports_dir / f"{self.ds.path.stem}.{FORMATS[fmt].extension}"
        budget, first_budget = self.o.export_budget, self.o.first_byte_budget
        first: list[float] = []
        answer = None
        error: BaseException | None = None
        no_first_byte = False
        with target.open("wb") as sink:
            stream = Stream(sink.write if keep else None)
            started = time.perf_counter()

            def feed(chunk: bytes) -> None:
                if not first:
                    first.append(time.perf_counter() - started)
                stream.feed(chunk)

            async def go() -> Any:
                request = fetch(HOST, server.port, f"/export?format={fmt}", budget, Stream(feed))
                task = asyncio.ensure_future(request)
                await asyncio.wait({task}, timeout=first_budget)
                if not task.done() and not first:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
                    return None
                return await task

            with PeakWatch(server.pid, cap=self.o.memory_cap) as watch:
                try:
                    answer = asyncio.run(go())
                    no_first_byte = answer is None
                except (TimeoutError, OSError, ConnectionError, asyncio.IncompleteReadError) as exc:
                    error = exc
            took = time.perf_counter() - started
        if not keep:
            target.unlink(missing_ok=True)
        figures: dict[str, Any] = {
            "seconds": round(took, 3),
            "bytes": stream.bytes,
            "lines": stream.lines,
            "first_byte_s": round(first[0], 4) if first else None,
            "head_s": round(answer.head_s, 4) if answer else None,
            "http_status": answer.status if answer else None,
            "peak_rss": watch.peak,
            "peak_rss_from": "VmHWM and 50 ms samples" if watch.hwm_reset else "50 ms samples",
            "file": None,
            "partial_file": str(target) if keep else None,
        }
        if watch.capped:
            return {
                "status": f"server killed: RSS over the cap of {self.o.memory_cap} bytes",
                **figures,
            }
        if no_first_byte:
            return {"status": f"no first byte after {first_budget:g} s", **figures}
        if isinstance(error, TimeoutError):
            return _timed_out(budget, **figures)
        if error is not None:
            return {"status": f"failed: {type(error).__name__}: {error}"[:300], **figures}
        assert answer is not None
        if not answer.complete:
            return {"status": "cut: the body ended without its last chunk", **figures}
        if answer.status != 200:
            return {"status": f"HTTP {answer.status}", **figures}
        figures["file"], figures["partial_file"] = figures["partial_file"], None
        return _ok(**figures)

    def _rates(self, found: dict[str, Any]) -> None:
        """Triples per second for RDF formats (the N-Triples export's line count is the
        number of triples of the graph, the same for every RDF format), edges per second for
        GraphML, records per second for the JSON dump."""
        assert self.ds is not None
        nt = found.get("ntriples", {})
        triples = nt.get("lines") if nt.get("status") == "ok" else None
        counts = self.ds.counts
        for fmt, figures in found.items():
            if fmt == "restart" or not isinstance(figures, dict) or "seconds" not in figures:
                continue
            done = figures.get("status") == "ok"
            seconds = figures["seconds"]
            if fmt in _TRIPLE_FORMATS:
                figures["triples"] = triples
                figures["triples_per_s"] = (
                    round(triples / seconds, 1) if done and triples and seconds else None
                )
                if fmt == "nquads":
                    figures["quads"] = figures["lines"] if done else None
            elif fmt == "graphml":
                figures["edges"] = counts["edges"]
                figures["edges_per_s"] = (
                    round(counts["edges"] / seconds, 1) if done and seconds else None
                )
            elif fmt == "json":
                records = counts["nodes"] + counts["edges"]
                figures["records"] = records
                figures["records_per_s"] = round(records / seconds, 1) if done and seconds else None
            if not done:
                figures["bytes_per_s_before_stop"] = (
                    round(figures["bytes"] / seconds, 1) if seconds else None
                )
                if fmt in ("ntriples", "nquads"):  # one line per triple (quad)
                    figures["lines_per_s_before_stop"] = (
                        round(figures["lines"] / seconds, 1) if seconds else None
                    )

    # -- child processes ------------------------------------------------------------------

    def child(self, task: str, args: dict[str, Any], budget: float) -> dict[str, Any]:
        """Run ``bench.tasks`` ``task`` in a child process with a time budget and a cap on its
        address space; a child that overruns is killed and recorded as timed out (with the
        progress it reported, if it reports any)."""
        with tempfile.TemporaryDirectory(prefix="geokg-bench-") as scratch:
            given, result = Path(scratch) / "args.json", Path(scratch) / "result.json"
            progress = Path(scratch) / "progress.json"
            args = {**args, "progress": str(progress)}
            given.write_text(json.dumps(args), encoding="utf-8")
            cap = self.o.memory_cap
            command = [sys.executable, "-m", "bench.tasks", task, str(given), str(result)]
            with subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE) as process:
                resource.prlimit(process.pid, resource.RLIMIT_AS, (cap, cap))
                try:
                    _, err = process.communicate(timeout=budget)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.communicate()
                    made = json.loads(progress.read_text()) if progress.exists() else None
                    return _timed_out(budget, progress=made)
            if process.returncode != 0 or not result.exists():
                tail = err.decode(errors="replace").strip().splitlines()[-3:]
                return {"status": f"failed (exit {process.returncode}): {' | '.join(tail)}"[:500]}
            figures: dict[str, Any] = json.loads(result.read_text(encoding="utf-8"))
            return _ok(**figures)

    def in_process(self) -> dict[str, Any]:
        ds = self.ds
        assert ds is not None
        plan = ds.as_json()["plan"]
        args = {"db": self.db, "plan": plan, "budget": self.o.query_budget}
        return self.child("queries", args, self.o.step_budget)

    def networkx(self) -> dict[str, Any]:
        assert self.ds is not None
        args = {"db": str(self.ds.path), "pairs": self.ds.plan.pairs, "budget": self.o.query_budget}
        return self.child("networkx_bfs", args, self.o.step_budget)

    def bare_app(self) -> dict[str, Any]:
        """The issue's reference: a bare FastAPI + networkx app, driven by wrk as geokg is."""
        assert self.ds is not None
        if not shutil.which("wrk"):
            return {"status": "not run: no wrk on this machine"}
        args = {"db": str(self.ds.path), "pairs": self.ds.plan.pairs, "duration": self.o.duration}
        return self.child("bare_app", args, self.o.step_budget)

    def igraph(self) -> dict[str, Any]:
        assert self.ds is not None
        output = self.exports_dir / f"{self.ds.path.stem}.igraph.graphml"
        return self.child(
            "igraph_graphml", {"db": str(self.ds.path), "output": str(output)}, self.o.step_budget
        )

    def _export_file(self, fmt: str) -> str | None:
        figures = self.results.get("exports", {}).get(fmt, {})
        file: str | None = figures.get("file") if figures.get("status") == "ok" else None
        return file

    def oxigraph(self) -> dict[str, Any]:
        """On geokg's N-Triples export; if it did not complete, on the whole lines it wrote
        before it stopped (the same data, fewer triples: rates still compare)."""
        figures = _get(self.results, "exports", "ntriples") or {}
        source = self._export_file("ntriples")
        complete = source is not None
        if source is None and figures.get("partial_file") and figures.get("lines"):
            source = figures["partial_file"]
            _cut_to_whole_lines(Path(source))
        if source is None:
            return {"status": "not run: geokg's N-Triples export wrote nothing"}
        assert self.ds is not None
        output = self.exports_dir / f"{self.ds.path.stem}.oxigraph.nt"
        args = {"input": source, "output": str(output), "complete": complete}
        return self.child("oxigraph_ntriples", args, self.o.step_budget)

    def imports(self, fmt: str) -> dict[str, Any]:
        source = self._export_file(fmt)
        if source is None:
            return {"status": f"not run: geokg's {fmt} export did not complete"}
        triples = self.results["exports"]["ntriples"].get("triples")
        args = {
            "input": source,
            "format": fmt,
            "triples": triples,
            "scratch": str(self.o.data_dir),
        }
        name = f"bench_import_{fmt}"
        if self.o.store == "postgresql":  # into an empty database of the same server
            args["location"] = create_database(self.db, name)
        try:
            figures = self.child("import", args, self.o.import_budget)
        finally:
            if self.o.store == "postgresql":
                drop_database(self.db, name)
        figures["store"] = self.o.store
        figures["triples_note"] = (
            "triples of the same graph (the N-Triples export's line count) per second"
        )
        return figures


def _json_answer(port: int, path: str) -> Any:
    """The JSON a server answers at ``path`` (or what went wrong)."""
    try:
        answer = asyncio.run(fetch(HOST, port, path, 10.0))
        return json.loads(answer.body) if answer.status == 200 else {"status": answer.status}
    except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError) as exc:
        return {"status": f"failed: {exc}"}


def _cut_to_whole_lines(path: Path) -> None:
    """Drop a last line cut in the middle (an export stopped mid-write)."""
    with path.open("rb+") as file:
        size = file.seek(0, os.SEEK_END)
        step = min(size, 1 << 16)
        file.seek(size - step)
        tail = file.read(step)
        end = tail.rfind(b"\n")
        file.truncate(size - step + end + 1 if end >= 0 else 0)


def _loadavg() -> str | None:
    try:
        with open("/proc/loadavg", encoding="ascii") as load:
            return load.read().strip()
    except OSError:
        return None


# -- comparisons and targets --------------------------------------------------------------


def _get(tree: dict[str, Any], *keys: str) -> Any:
    node: Any = tree
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _compare_lengths(r: dict[str, Any]) -> dict[str, Any]:
    """geokg's path lengths against networkx's on the same pairs: equal, or a mismatch."""
    ours = _get(r, "in_process", "path_lengths")
    theirs = _get(r, "references", "networkx_bfs", "path_lengths")
    if not isinstance(ours, list) or not isinstance(theirs, list):
        return {"status": "not compared: a side did not run"}
    compared = min(len(ours), len(theirs))
    mismatches = [
        {"pair": i, "geokg": ours[i], "networkx": theirs[i]}
        for i in range(compared)
        if ours[i] != theirs[i]
    ]
    return _ok(compared=compared, equal=compared - len(mismatches), mismatches=mismatches[:10])


def _ratio(a: Any, b: Any) -> float | None:
    if isinstance(a, int | float) and isinstance(b, int | float) and b:
        return round(a / b, 3)
    return None


def _ratios(r: dict[str, Any]) -> dict[str, Any]:
    """geokg against the references on the same data (above 1: geokg is slower, for times;
    below 1: geokg is slower, for rates)."""
    return {
        "in_process_shortest_p50_over_networkx_p50": _ratio(
            _get(r, "in_process", "shortest_path", "p50_ms"),
            _get(r, "references", "networkx_bfs", "shortest_path", "p50_ms"),
        ),
        "in_process_search_only_p50_over_networkx_p50": _ratio(
            _get(r, "in_process", "shortest_path_search_only", "p50_ms"),
            _get(r, "references", "networkx_bfs", "shortest_path", "p50_ms"),
        ),
        "http_shortest_p50_over_networkx_p50": _ratio(
            _get(r, "http", "shortest_path", "p50_ms"),
            _get(r, "references", "networkx_bfs", "shortest_path", "p50_ms"),
        ),
        "ntriples_export_rate_over_oxigraph_serialiser": _ratio(
            _get(r, "exports", "ntriples", "triples_per_s"),
            _get(r, "references", "oxigraph_ntriples", "serialise_triples_per_s"),
        ),
        "ntriples_import_rate_over_oxigraph_parser": _ratio(
            _get(r, "imports", "ntriples", "triples_per_s"),
            _get(r, "references", "oxigraph_ntriples", "parse_triples_per_s"),
        ),
        "graphml_export_rate_over_igraph_writer": _ratio(
            _get(r, "exports", "graphml", "edges_per_s"),
            _get(r, "references", "igraph_graphml", "edges_per_s"),
        ),
        "http_8_connections_rate_over_bare_fastapi_networkx_app": _ratio(
            _get(r, "throughput_wrk", "8", "per_second"),
            _get(r, "references", "bare_fastapi_networkx", "throughput", "8", "per_second"),
        ),
    }


def _target(name: str, op: str, target: float, measured: Any, unit: str) -> dict[str, Any]:
    value = measured if isinstance(measured, int | float) else None
    met = value is not None and (value <= target if op == "<=" else value >= target)
    return {"name": name, "target": f"{op} {target:g}", "measured": value, "unit": unit, "met": met}


def _targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets at medium scale, with what this run measured (``None``: not
    measured, e.g. a step that timed out; such a target is not met)."""
    # The wrk figures when wrk ran (its client takes less of the shared CPU), else the Python
    # client's; the target's name says which.
    tp8: tuple[str, ...] = ("throughput", "8", "paths")
    client = "Python client"
    if _get(r, "throughput_wrk", "8", "status") == "ok":
        tp8, client = ("throughput_wrk", "8"), "wrk"
    found = [
        _target(
            "start-up to first answered query", "<=", 5, _get(r, "startup", "first_query_s"), "s"
        ),
        _target(
            "resident memory per edge (VmRSS of the service after load)",
            "<=",
            400,
            _get(r, "memory", "after_load", "rss_bytes_per_edge"),
            "bytes/edge",
        ),
        _target(
            f"shortest path over HTTP, 8 connections ({client}), p50",
            "<=",
            1.5,
            _get(r, *tp8, "p50_ms"),
            "ms",
        ),
        _target(
            f"shortest path over HTTP, 8 connections ({client}), p99",
            "<=",
            15,
            _get(r, *tp8, "p99_ms"),
            "ms",
        ),
        _target(
            f"shortest path over HTTP, 8 connections ({client}), throughput",
            ">=",
            3000,
            _get(r, *tp8, "per_second"),
            "requests/s",
        ),
        _target(
            "in-process shortest path p50 (whole answer, records read) / networkx topology BFS p50",
            "<=",
            2,
            _get(r, "ratios", "in_process_shortest_p50_over_networkx_p50"),
            "ratio",
        ),
        _target(
            "in-process path search p50 (topology only, as networkx) / networkx topology BFS p50",
            "<=",
            2,
            _get(r, "ratios", "in_process_search_only_p50_over_networkx_p50"),
            "ratio",
        ),
        _target("k=5 paths over HTTP, p50", "<=", 50, _get(r, "http", "k_paths", "p50_ms"), "ms"),
        _target(
            "neighbours at depth 2 over HTTP, p99",
            "<=",
            100,
            _get(r, "http", "neighbours_depth2", "p99_ms"),
            "ms",
        ),
        _target("name search over HTTP, p99", "<=", 20, _get(r, "http", "search", "p99_ms"), "ms"),
        _target(
            "light requests under mixed load, p99",
            "<=",
            50,
            _get(r, "mixed", "light", "p99_ms"),
            "ms",
        ),
        _target(
            "N-Triples export",
            ">=",
            1_500_000,
            _get(r, "exports", "ntriples", "triples_per_s"),
            "triples/s",
        ),
        _target(
            "Turtle export",
            ">=",
            1_000_000,
            _get(r, "exports", "turtle", "triples_per_s"),
            "triples/s",
        ),
        _target(
            "JSON-LD export",
            ">=",
            1_000_000,
            _get(r, "exports", "jsonld", "triples_per_s"),
            "triples/s",
        ),
        _target(
            "GraphML export rate / igraph's GraphML writer",
            ">=",
            1,
            _get(r, "ratios", "graphml_export_rate_over_igraph_writer"),
            "ratio",
        ),
        _target(
            "N-Triples import",
            ">=",
            200_000,
            _get(r, "imports", "ntriples", "triples_per_s"),
            "triples/s",
        ),
        _target(
            "GraphML import (triples of the same graph)",
            ">=",
            200_000,
            _get(r, "imports", "graphml", "triples_per_s"),
            "triples/s",
        ),
    ]
    if r.get("store") == "postgresql":
        found += _postgres_targets(r)
    for fmt in _EXPORT_ORDER:
        if fmt in FORMATS:
            found.append(
                _target(
                    f"{fmt} export, time to first byte",
                    "<=",
                    200,
                    _ms(_get(r, "exports", fmt, "first_byte_s")),
                    "ms",
                )
            )
    return found


def _postgres_targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 9's targets: apply lag at 1,000 writes/s and the cold start of a replica."""
    lag = _get(r, "replicas", "apply_lag", "1000") or {}
    store_lag = _get(r, "replicas", "store_apply_lag", "1000") or {}
    return [
        _target(
            "paced writes through the API, asked 1,000/s: rate reached (within 1%)",
            ">=",
            990,
            lag.get("rate_reached"),
            "writes/s",
        ),
        _target(
            "replica apply lag, p99 over every follower (writes through the API, asked at 1,000/s)",
            "<=",
            50,
            _get(lag, "all_followers", "p99_ms"),
            "ms",
        ),
        _target(
            "writes committed straight to the store, asked 1,000/s: rate reached (within 1%)",
            ">=",
            990,
            store_lag.get("rate_reached"),
            "writes/s",
        ),
        _target(
            "replica apply lag, p99 over every replica (1,000 writes/s committed straight to "
            "the store)",
            "<=",
            50,
            _get(store_lag, "all_replicas", "p99_ms"),
            "ms",
        ),
        _target(
            "replica apply lag, p99, one replica left (1,000 writes/s committed straight to "
            "the store)",
            "<=",
            50,
            _get(r, "replicas", "store_apply_lag_one_replica", "1000", "all_replicas", "p99_ms"),
            "ms",
        ),
        _target(
            "cold start of a replica, read model built from the store (geokg serve to first "
            "answered query)",
            "<=",
            30,
            _get(r, "startup_cold", "first_query_s"),
            "s",
        ),
        _target(
            "cold start of a replica from its saved read model (GEOKG_MODEL; geokg serve to "
            "first answered query)",
            "<=",
            30,
            _get(r, "startup", "first_query_s"),
            "s",
        ),
    ]


def _postgres_table(r: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    add = lines.append
    pg = r.get("postgres") or {}
    load = pg.get("load") or {}
    add(
        f"PostgreSQL {pg.get('version')}: load {_num(load.get('rows'))} rows, "
        f"{_num(load.get('bytes'))} bytes in {_num(load.get('seconds'))} s "
        f"({_num(load.get('rows_per_s'))} rows/s; then VACUUM ANALYZE "
        f"{_num(load.get('vacuum_analyze_s'))} s); database {_num(pg.get('database_bytes'))} "
        f"bytes  [{pg.get('status')}]"
    )
    cold = r.get("cold_start") or {}
    add(
        f"cold start in process: from the store {_num(_get(cold, 'from_store', 'seconds'), 2)} s "
        f"(node rows {_num(_get(cold, 'node_skeletons', 'seconds'), 2)} s, edge rows "
        f"{_num(_get(cold, 'edge_skeletons', 'seconds'), 2)} s); from the saved model "
        f"{_num(_get(cold, 'from_saved_model', 'seconds'), 2)} s  [{cold.get('status')}]"
    )
    rep = r.get("replicas") or {}
    for name, figures in (rep.get("sustained_writes") or {}).items():
        add(
            f"writes back to back, {name} ({figures.get('connections')} connections): "
            f"{_num(figures.get('writes_per_s'))} writes/s, latency p50 "
            f"{_num(_get(figures, 'latency', 'p50_ms'), 3)} ms p99 "
            f"{_num(_get(figures, 'latency', 'p99_ms'), 3)} ms, load {figures.get('loadavg')}"
        )
    for rate, figures in (rep.get("apply_lag") or {}).items():
        every = figures.get("all_followers") or {}
        add(
            f"apply lag, writes asked at {rate}/s (reached {_num(figures.get('rate_reached'))}/s): "
            f"p50 {_num(every.get('p50_ms'), 3)} ms, p99 {_num(every.get('p99_ms'), 3)} ms over "
            f"{_num(every.get('n'))} applied writes; load {figures.get('loadavg_after')}"
        )
    for key, replicas in (("store_apply_lag", "every replica"), ("store_apply_lag_one_replica",
                                                                 "one replica left")):  # fmt: skip
        for rate, figures in (rep.get(key) or {}).items():
            every = figures.get("all_replicas") or {}
            add(
                f"apply lag, {replicas}, {rate} writes/s asked straight to the store (reached "
                f"{_num(figures.get('rate_reached'))}/s in {_num(figures.get('transactions'))} "
                f"transactions): p50 {_num(every.get('p50_ms'), 3)} ms, p99 "
                f"{_num(every.get('p99_ms'), 3)} ms over {_num(every.get('n'))} applied writes; "
                f"load {figures.get('loadavg_after')}"
            )
    if rep:
        add(f"  [{rep.get('status')}]")
    return lines


def _ms(seconds: Any) -> float | None:
    return round(seconds * 1000, 1) if isinstance(seconds, int | float) else None


# -- machine, git, output -----------------------------------------------------------------


def _machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "hostname": platform.node(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            info["memory_bytes"] = int(meminfo.readline().split()[1]) * 1024
    except OSError:
        pass
    return info


def _git() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=30
        )
        return done.stdout.strip()

    try:
        return {
            "commit": git("rev-parse", "HEAD"),
            "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        }
    except (OSError, subprocess.SubprocessError):
        return {"commit": None}


def _row(name: str, figures: Any) -> str:
    if not isinstance(figures, dict):
        return f"  {name:<44} (not measured)"
    status = figures.get("status", "ok")
    if figures.get("p50_ms") is None:
        return f"  {name:<44} {status}"
    note = f"n={figures.get('n')}"
    if figures.get("cut_by_budget"):
        note += f" of {figures.get('asked')} (budget)"
    if figures.get("errors"):
        note += f", {figures['errors']} errors"
    return (
        f"  {name:<44} p50 {figures['p50_ms']:>10.3f} ms  p99 {figures['p99_ms']:>10.3f} ms  {note}"
    )


def _num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def table(r: dict[str, Any]) -> str:
    """The results as a readable table."""
    lines: list[str] = []
    add = lines.append
    m = r.get("machine", {})
    add(
        f"geokg bench, scale {r.get('scale')} (seed {r.get('seed')}), "
        f"git {_get(r, 'git', 'commit')}"
    )
    add(
        f"machine: {m.get('cpu')}, {m.get('cpus')} cores, {_num(m.get('memory_bytes'))} bytes, "
        f"Python {m.get('python')}"
    )
    add(f"command: {_get(r, 'harness', 'command')}")
    if r.get("skipped"):
        add(f"skipped: {', '.join(r['skipped'])}")
    add(f"server: geokg serve --workers {_get(r, 'harness', 'workers') or 1}")
    add(f"graph: {r.get('counts')}")
    hubs = _get(r, "generator", "hubs") or []
    add("hubs: " + ", ".join(f"{h['label']} ({h['events']} events)" for h in hubs[:5]))
    for note in r.get("notes", []):
        add(f"note: {note}")
    add("")
    for key, what in (("startup_cold", "no saved read model"), ("startup", "saved read model")):
        s = r.get(key, {})
        add(
            f"start-up (geokg serve, {what}): /health 200 after {_num(s.get('health_s'), 3)} s, "
            f"first query answered after {_num(s.get('first_query_s'), 3)} s  [{s.get('status')}]"
        )
    for when in ("after_start", "after_load"):
        mem = _get(r, "memory", when) or {}
        add(
            f"memory {when.replace('_', ' ')}: VmRSS {_num(mem.get('VmRSS'))} B "
            f"({_num(mem.get('rss_bytes_per_edge'))} B/edge), RssAnon {_num(mem.get('RssAnon'))} B "
            f"({_num(mem.get('anon_bytes_per_edge'))} B/edge)"
        )
    if r.get("store") == "postgresql":
        add("")
        lines += _postgres_table(r)
    add("")
    add("over HTTP, one connection:")
    for name, figures in (r.get("http") or {}).items():
        add(_row(name, figures))
    add("in process (KnowledgeGraph.open + graph.queries):")
    ip = r.get("in_process", {})
    add(f"  open {_num(ip.get('open_s'), 3)} s  [{ip.get('status')}]")
    for name in (
        "shortest_path",
        "shortest_path_search_only",
        "k_paths",
        "neighbours_depth2",
        "search",
        "events_window",
    ):
        add(_row(name, ip.get(name)))
    nx = _get(r, "references", "networkx_bfs") or {}
    add(_row("reference: networkx bidirectional BFS", nx.get("shortest_path") or nx))
    add(f"  path lengths against networkx: {_get(r, 'checks', 'path_lengths')}")
    add("")
    add("throughput of /paths/shortest (with /health once a second):")
    for n, figures in (r.get("throughput") or {}).items():
        paths = figures.get("paths", {}) if isinstance(figures, dict) else {}
        health = figures.get("health", {}) if isinstance(figures, dict) else {}
        add(
            f"  {n} connection(s): {_num(paths.get('per_second'))} req/s, p50 "
            f"{_num(paths.get('p50_ms'), 3)} ms, p99 {_num(paths.get('p99_ms'), 3)} ms, errors "
            f"{paths.get('errors')}; /health p99 {_num(health.get('p99_ms'), 3)} ms; server CPU "
            f"{_num(figures.get('server_cpu_ms_per_request'), 3)} ms/request  "
            f"[{figures.get('status')}]"
        )
    for n, figures in (r.get("throughput_wrk") or {}).items():
        add(
            f"  {n} connection(s), wrk: {_num(figures.get('per_second'))} requests/s, p50 "
            f"{_num(figures.get('p50_ms'), 3)} ms, p99 {_num(figures.get('p99_ms'), 3)} ms, "
            f"server {_num(figures.get('server_cpu_ms_per_request'), 3)} ms/request  "
            f"[{figures.get('status')}]"
        )
    mixed = r.get("mixed", {})
    add(f"mixed load ({mixed.get('connections')} connections) [{mixed.get('status')}]:")
    for name in (
        "light",
        "shortest_path",
        "health",
        "entity",
        "k_paths",
        "neighbours_depth2",
        "export_ntriples",
    ):
        figures = mixed.get(name)
        if isinstance(figures, dict):
            add(
                f"  {name:<20} {_num(figures.get('requests'))} answered, p50 "
                f"{_num(figures.get('p50_ms'), 3)} ms, p99 {_num(figures.get('p99_ms'), 3)} ms, "
                f"errors {figures.get('errors')}"
            )
    add("")
    views = r.get("export_views", {})
    add(
        f"export views: {_num(views.get('rendered_nodes'))} nodes rendered before the start in "
        f"{_num(views.get('seconds'), 2)} s; store {_num(views.get('store_bytes'))} bytes, "
        f"{_num(views.get('store_bytes_per_edge'))} B per edge  [{views.get('status')}]"
    )
    add("exports over HTTP:")
    for fmt, figures in (r.get("exports") or {}).items():
        if fmt == "restart" or not isinstance(figures, dict):
            continue
        rate = (
            figures.get("triples_per_s")
            or figures.get("edges_per_s")
            or figures.get("records_per_s")
        )
        unit = (
            "triples/s"
            if "triples_per_s" in figures
            else "edges/s"
            if "edges_per_s" in figures
            else "records/s"
        )
        add(
            f"  {fmt:<9} {_num(rate)} {unit}, {_num(figures.get('seconds'), 2)} s, "
            f"{_num(figures.get('bytes'))} bytes, "
            f"first byte {_num(_ms(figures.get('first_byte_s')))} ms, "
            f"peak RSS {_num(figures.get('peak_rss'))} B  [{figures.get('status')}]"
        )
    refs = r.get("references", {})
    ox = refs.get("oxigraph_ntriples", {})
    ig = refs.get("igraph_graphml", {})
    add(
        f"  reference pyoxigraph: parse {_num(ox.get('parse_triples_per_s'))} triples/s, serialise "
        f"{_num(ox.get('serialise_triples_per_s'))} triples/s  [{ox.get('status')}]"
    )
    add(
        f"  reference igraph write_graphml: {_num(ig.get('edges_per_s'))} edges/s, "
        f"{_num(ig.get('seconds'), 2)} s  [{ig.get('status')}]"
    )
    bare = refs.get("bare_fastapi_networkx", {})
    for n, figures in (bare.get("throughput") or {}).items():
        add(
            f"  reference bare FastAPI + networkx app (node ids only), {n} connection(s), wrk: "
            f"{_num(figures.get('per_second'))} requests/s, p50 {_num(figures.get('p50_ms'), 3)} "
            f"ms, p99 {_num(figures.get('p99_ms'), 3)} ms, server "
            f"{_num(figures.get('server_cpu_ms_per_request'), 3)} ms/request"
        )
    add("imports (import_stream, as geokg import, into an empty store):")
    for fmt, figures in (r.get("imports") or {}).items():
        add(
            f"  {fmt:<9} {_num(figures.get('triples_per_s'))} triples/s, "
            f"{_num(figures.get('records_per_s'))} records/s, {_num(figures.get('seconds'), 2)} s, "
            f"peak RSS {_num(figures.get('peak_rss'))} B  [{figures.get('status')}]"
        )
    add("")
    add("ratios: " + ", ".join(f"{k} {_num(v, 3)}" for k, v in (r.get("ratios") or {}).items()))
    add("")
    add("targets (the issue's, for the medium scale):")
    for t in r.get("targets", []):
        mark = "met" if t["met"] else "NOT met"
        add(
            f"  {t['name']:<58} {t['target']:>12} {t['unit']:<11} measured "
            f"{_num(t['measured'], 3):>14}  {mark}"
        )
    add(f"\nrun took {_get(r, 'harness', 'seconds')} s")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--scale", choices=list(SCALES), default="small")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generator (default 7)")
    parser.add_argument("--edges", type=int, help="generate this many edges instead of the scale's")
    parser.add_argument(
        "--queries", type=int, help="ask only the first N of each fixed query list (default 200)"
    )
    parser.add_argument(
        "--duration", type=float, default=20.0, help="seconds of each load run (default 20)"
    )
    parser.add_argument("--query-budget", type=float, help="seconds for each list of queries")
    parser.add_argument("--export-budget", type=float, help="seconds for each export")
    parser.add_argument(
        "--first-byte-budget", type=float, help="seconds an export may take to its first byte"
    )
    parser.add_argument("--import-budget", type=float, help="seconds for each import")
    parser.add_argument("--startup-budget", type=float, help="seconds for the server to start")
    parser.add_argument("--step-budget", type=float, help="seconds for each child step")
    parser.add_argument(
        "--request-timeout", type=float, default=60.0, help="seconds for one request (default 60)"
    )
    parser.add_argument(
        "--skip",
        default="",
        help="comma-separated steps to leave out: in_process, references, imports (e.g. at the "
        "large scale, where the references alone take hours); the results say what was skipped",
    )
    parser.add_argument(
        "--formats",
        default="",
        help="comma-separated export formats to measure (default: every format)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes of the server (geokg serve --workers; default 1); memory "
        "figures add up every process",
    )
    parser.add_argument(
        "--memory-cap-gb",
        type=float,
        default=12.0,
        help="kill the server past this RSS during an export, and cap each child step's "
        "address space to it; default 12",
    )
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="cache of generated stores")
    parser.add_argument(
        "--store",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the store of record: the generated SQLite file (default), or PostgreSQL: a "
        "throwaway cluster under the data directory, loaded from the SQLite store with COPY, "
        "then also the cold start of a replica and writes and apply lag across --replicas "
        "servers (results in bench/results/postgres-<scale>.json)",
    )
    parser.add_argument(
        "--postgres-url",
        help="with --store postgresql: this database instead of a throwaway cluster (loaded "
        "if empty; writes of the replica steps stay in it)",
    )
    parser.add_argument(
        "--keep-postgres",
        action="store_true",
        help="leave the throwaway cluster running and its files in place (its URL is in the "
        "results), to run again with --postgres-url",
    )
    parser.add_argument("--replicas", type=int, default=3, help="servers on one database (3)")
    parser.add_argument(
        "--lag-rates",
        default="1000",
        help="comma-separated write rates (writes/s) at which to measure apply lag (1000)",
    )
    parser.add_argument(
        "--store-lag-rates",
        default="1000",
        help="comma-separated rates (writes/s) of writes committed straight to the store (by "
        "python -m bench.logwriter) at which to measure every replica's apply lag (1000)",
    )
    parser.add_argument(
        "--lag-duration", type=float, default=20.0, help="seconds of paced writes (20)"
    )
    parser.add_argument(
        "--lag-connections",
        type=int,
        default=8,
        help="connections the paced writes may use at once (8)",
    )
    parser.add_argument(
        "--write-duration", type=float, default=20.0, help="seconds of back-to-back writes (20)"
    )
    parser.add_argument(
        "--write-connections",
        type=int,
        default=4,
        help="back-to-back writers per replica written to (4)",
    )
    parser.add_argument(
        "--follow-interval",
        type=float,
        help="GEOKG_FOLLOW_INTERVAL of the PostgreSQL servers (default: the service's own)",
    )
    parser.add_argument(
        "--results", type=Path, help="where to write the JSON (default bench/results/<scale>.json)"
    )
    return parser


_SKIPPABLE = frozenset({"in_process", "references", "imports"})


def _skips(value: str) -> frozenset[str]:
    named = frozenset(part.strip() for part in value.split(",") if part.strip())
    unknown = named - _SKIPPABLE
    if unknown:
        raise SystemExit(
            f"bench: --skip: unknown step(s) {', '.join(sorted(unknown))}; "
            f"choose from {', '.join(sorted(_SKIPPABLE))}"
        )
    return named


def _formats(value: str) -> frozenset[str]:
    named = frozenset(part.strip() for part in value.split(",") if part.strip())
    unknown = named - set(FORMATS)
    if unknown:
        raise SystemExit(
            f"bench: --formats: unknown format(s) {', '.join(sorted(unknown))}; "
            f"choose from {', '.join(FORMATS)}"
        )
    return named


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table; write the results."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # A stopped run still stops its server (the steps' finally clauses run on SystemExit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    given = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(given)
    budgets = _BUDGETS[args.scale]
    pg = args.store == "postgresql"
    if pg and args.replicas < 2:
        raise SystemExit("bench: --replicas: at least 2 (a writer and a follower)")
    options = Options(
        scale=args.scale,
        seed=args.seed,
        edges=args.edges,
        queries=args.queries,
        duration=args.duration,
        query_budget=args.query_budget or budgets["queries"],
        export_budget=args.export_budget or budgets["export"],
        first_byte_budget=args.first_byte_budget or budgets["first_byte"],
        import_budget=args.import_budget or budgets["import"],
        startup_budget=args.startup_budget or budgets["startup"],
        step_budget=args.step_budget or budgets["step"],
        request_timeout=args.request_timeout,
        workers=args.workers,
        # The references do not depend on the store: a PostgreSQL run leaves them to SQLite's.
        skip=_skips(args.skip) | ({"references"} if pg else frozenset()),
        formats=_formats(args.formats),
        memory_cap=int(args.memory_cap_gb * 2**30),
        data_dir=args.data_dir,
        results=args.results
        or RESULTS_DIR / (f"postgres-{args.scale}.json" if pg else f"{args.scale}.json"),
        command=shlex.join(["python", "-m", "bench", *given]),
        store=args.store,
        postgres_url=args.postgres_url,
        keep_postgres=args.keep_postgres,
        replicas=args.replicas,
        lag_rates=tuple(float(rate) for rate in args.lag_rates.split(",") if rate.strip()),
        store_lag_rates=tuple(
            float(rate) for rate in args.store_lag_rates.split(",") if rate.strip()
        ),
        lag_duration=args.lag_duration,
        lag_connections=args.lag_connections,
        write_duration=args.write_duration,
        write_connections=args.write_connections,
        follow_interval=args.follow_interval,
    )
    results = Run(options).run()
    options.results.parent.mkdir(parents=True, exist_ok=True)
    tmp = options.results.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    tmp.replace(options.results)
    print(table(results))
    print(f"\nwrote {options.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
