"""The benchmark harness runs end to end on a tiny graph, and its generator keeps its promises.

Nothing here times anything: the checks are on the shape of the results, never on a figure.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.generate import dataset
from bench.logwriter import main, paced_commits
from graph.export.prerendered import RENDER_VERSION
from graph.storage import open_record_store
from graph.storage.sqlite import SQLiteRecordStore

ROOT = Path(__file__).resolve().parents[2]


def test_generated_graph_is_deterministic_and_every_quote_is_at_its_offsets(
    tmp_path: Path,
) -> None:
    first = dataset("small", 3, tmp_path / "a", edges=800)
    second = dataset("small", 3, tmp_path / "b", edges=800)
    assert first.counts == second.counts
    assert first.hubs == second.hubs
    assert first.plan == second.plan
    assert first.counts["edges"] >= 800
    assert dataset("small", 3, tmp_path / "a", edges=800).build_seconds == first.build_seconds
    # Read back what the store of record holds, as the service loads it.
    records = SQLiteRecordStore(str(first.path))
    try:
        position, rows = records.load()
        bodies = [(change.object_type, change.after or {}) for change in rows]
    finally:
        records.close()
    assert position == first.position
    texts = {body["id"]: body["text"] for kind, body in bodies if kind == "source"}
    quoted = 0
    for _, body in bodies:
        for ev in body.get("evidence", []):
            assert texts[ev["source"]][ev["start"] : ev["end"]] == ev["quote"]
            quoted += 1
    assert quoted > first.counts["edges"]
    roles: dict[str, int] = {}
    for kind, body in bodies:
        if kind == "edge" and body["category"] == "role":
            roles[body["source"]] = roles.get(body["source"], 0) + 1
    assert len(roles) == first.counts["events"]
    assert all(3 <= n <= 5 for n in roles.values())  # 2-4 participants and a place
    ids = {body["id"] for kind, body in bodies if kind != "edge"}
    assert all(a in ids and b in ids for a, b in first.plan.pairs)


_SECTIONS = (
    "harness",
    "machine",
    "git",
    "generator",
    "counts",
    "startup",
    "memory",
    "http",
    "throughput",
    "mixed",
    "exports",
    "in_process",
    "references",
    "imports",
    "checks",
    "ratios",
    "targets",
)


@pytest.mark.e2e
def test_bench_runs_end_to_end_and_reports_every_figure(tmp_path: Path) -> None:
    results = tmp_path / "small.json"
    command = [
        sys.executable,
        "-m",
        "bench",
        "--scale",
        "small",
        "--edges",
        "1000",
        "--queries",
        "5",
        "--duration",
        "0.5",
        "--export-budget",
        "60",
        "--first-byte-budget",
        "60",
        "--data-dir",
        str(tmp_path / "data"),
        "--results",
        str(results),
    ]
    out = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, check=True, timeout=300
    ).stdout
    assert "targets (the issue's, for the medium scale):" in out
    imports = out[out.index("imports (import_stream") :].splitlines()
    for fmt in ("ntriples", "graphml"):  # the import step prints its rate and its memory
        line = next(row for row in imports if row.strip().startswith(fmt + " "))
        assert "triples/s" in line and "peak RSS" in line, line
    body = json.loads(results.read_text())
    for section in _SECTIONS:
        assert section in body, section
    assert body["scale"] == "small"
    assert body["generator"]["edges_target"] == 1000
    assert body["startup"]["status"] == "ok"
    assert body["memory"]["after_start"]["rss_bytes_per_edge"] > 0
    for name in ("shortest_path", "k_paths", "neighbours_depth2", "search", "events_window"):
        assert body["http"][name]["status"] == "ok"
        assert body["http"][name]["n"] == 5
        assert body["in_process"][name]["n"] == 5
    assert set(body["throughput"]) == {"1", "8"}
    assert "p99_ms" in body["mixed"]["light"]
    for fmt in ("turtle", "ntriples", "jsonld", "rdfxml", "nquads", "graphml", "json"):
        assert body["exports"][fmt]["status"] == "ok", fmt
        assert body["exports"][fmt]["first_byte_s"] is not None
    for name in ("networkx_bfs", "oxigraph_ntriples", "igraph_graphml"):
        assert body["references"][name]["status"] == "ok", name
    for fmt in ("ntriples", "graphml"):
        assert body["imports"][fmt]["status"] == "ok", fmt
        assert body["imports"][fmt]["problems"] == 0
    assert body["checks"]["path_lengths"]["mismatches"] == []
    assert body["targets"]
    for target in body["targets"]:
        assert set(target) == {"name", "target", "measured", "unit", "met"}
        assert isinstance(target["met"], bool)
        assert target["measured"] is None or isinstance(target["measured"], int | float)


def test_wrk_output_is_read_with_its_units() -> None:
    from bench.load import _parse_wrk

    output = """Running 10s test @ http://127.0.0.1:8011
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    44.67ms   19.18ms 260.25ms   75.34%
  Latency Distribution
     50%  890.00us
     75%   53.77ms
     90%   67.03ms
     99%    1.01s
  1807 requests in 10.01s, 5.86MB read
  Non-2xx or 3xx responses: 3
Requests/sec:    180.58
Transfer/sec:    599.50KB
"""
    assert _parse_wrk(output) == {
        "p50_ms": 0.89,
        "p99_ms": 1010.0,
        "requests": 1807,
        "errors": 3,
        "per_second": 180.58,
    }


def test_a_sqlite_store_copied_into_postgresql_is_the_same_store(
    tmp_path: Path, postgres_db: str
) -> None:
    from bench.generate import cached_dataset
    from bench.postgres import copy_sqlite_store
    from graph.export.prerendered import RENDER_VERSION
    from graph.storage.postgres import PostgresRecordStore

    made = dataset("small", 3, tmp_path, edges=300)
    source = SQLiteRecordStore(str(made.path))
    source.close()  # folds the journal into the file: the copy reads the file alone
    assert cached_dataset("small", 3, tmp_path, edges=300) == made
    figures = copy_sqlite_store(made.path, postgres_db)
    assert figures["views_copied"] is True
    assert figures["tables"]["edges"]["rows"] == made.counts["edges"]
    assert figures["tables"]["changes"]["rows"] == made.position
    lite, pg = SQLiteRecordStore(str(made.path)), PostgresRecordStore(postgres_db)
    try:
        assert pg.position() == lite.position() == made.position
        assert pg.changes_since(0, 10**6) == lite.changes_since(0, 10**6)
        assert list(pg.load()[1]) == list(lite.load()[1])
        a, b = lite.pin(), pg.pin()
        try:
            views = list(b.rendered("ntriples", RENDER_VERSION))
            assert views == list(a.rendered("ntriples", RENDER_VERSION))
            assert all(body is not None for _, body in views)  # copied, not marked stale
            sources = [row[1] for row in b.node_skeletons() if row[2] == "source"]
            assert sources
            for source_id in sources:
                assert b.quoting(source_id) == a.quoting(source_id)
        finally:
            a.close()
            b.close()
    finally:
        lite.close()
        pg.close()


def test_paced_writes_fall_due_at_the_rate_whatever_came_before() -> None:
    from bench.replicas import due

    assert [due(5.0, 1000, i) for i in (0, 1, 999, 1000)] == [5.0, 5.001, 5.999, 6.0]
    assert due(0.0, 250, 10) == 0.04


def test_apply_lag_counts_each_answered_write_once_per_follower() -> None:
    from bench.replicas import lag_figures

    answered = {10: 1.000, 11: 1.100, 12: 1.200, 13: 1.300}
    seen = {9: 0.5, 10: 1.020, 11: 1.090, 12: 1.250, 14: 9.0}  # 13 never came
    figures = lag_figures(answered, seen, first=10, last=13)
    assert figures["n"] == 3
    assert figures["missing"] == 1
    assert figures["before_answer"] == 1  # 11 came 10 ms before its answer: counted as 0
    assert figures["min_ms"] == -10.0
    assert figures["p50_ms"] == 20.0
    assert figures["max_ms"] == 50.0
    assert lag_figures({}, seen, first=0, last=-1)["n"] == 0


def test_the_log_writer_commits_at_its_pace_and_reports_each_group(tmp_path: Path) -> None:
    location = str(tmp_path / "store.sqlite3")
    open_record_store(location).close()
    lines: list[str] = []
    found = paced_commits(location, rate=50, duration=0.4, warmup=0.1, report=lines.append)
    groups = [json.loads(line) for line in lines]
    assert found["writes"] == 20 and found["warmup_writes"] == 5
    assert sum(g["group"][3] for g in groups) == 20  # the warm-up's groups count no write
    assert all(g.get("warmup") for g in groups if g["group"][3] == 0)
    assert [g["group"][0] for g in groups] == sorted(g["group"][0] for g in groups)
    assert groups[-1]["group"][0] == 25  # every write, warm-up too, is one change in the log
    assert min(found["due_to_committed_s"]) >= 0  # none committed before it was due
    assert 40 <= found["writes_per_s"] <= 50
    for bad in (["--rate", "nan"], ["--rate", "0.5", "--duration", "1"], ["--warmup", "-1"]):
        with pytest.raises(SystemExit) as refused:
            main([location, *bad])
        assert refused.value.code == 2
    with pytest.raises(SystemExit) as refused:
        main([str(tmp_path / "missing" / "x.sqlite3")])
    assert refused.value.code == 2 and not (tmp_path / "missing").exists()


def test_the_views_the_log_writer_leaves_stale_are_rendered_between_runs(
    tmp_path: Path,
) -> None:
    from bench.replicas import fill_views

    location = str(tmp_path / "store.sqlite3")
    open_record_store(location).close()
    paced_commits(location, rate=100, duration=0.2)
    store = open_record_store(location)
    try:
        stale = store.pin()
        try:
            views = dict(stale.rendered("ntriples", RENDER_VERSION))
        finally:
            stale.close()
    finally:
        store.close()
    assert len(views) == 20 and all(blob is None for blob in views.values())
    filled = fill_views(location, seconds=0)
    assert filled["rendered"] == 20 and filled["calls"] >= 20  # a node a call at most, as asked
    assert fill_views(location)["rendered"] == 0
