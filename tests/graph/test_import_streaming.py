"""Imports stream: lines in any order group by subject, memory stays under the bound (the rest
spills to the workspace), and the store takes all of an import or none of it."""

from __future__ import annotations

import io
import json
import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from graph import DEFAULT_SEEDS
from graph.changes import RenderedChange
from graph.errors import RecordValidationError
from graph.formats import export
from graph.imports import Item, Workspace, import_stream, read_items
from graph.imports import graphml as graphml_reader
from graph.imports import plan as planner_module
from graph.imports._ntriples import parse_line, statements
from graph.imports._workspace import SubjectsNotGroupedError
from graph.imports.rdf import read_nquads, read_ntriples
from graph.service import KnowledgeGraph
from graph.storage import Commit, StaleError, open_record_store
from graph.store import GraphStore
from tests.conftest import MINI, OpenGraph

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def seed_graph() -> Iterator[KnowledgeGraph]:
    graph = KnowledgeGraph.open(":memory:", DEFAULT_SEEDS)
    yield graph
    graph.close()


def _dump(graph: KnowledgeGraph, fmt: str) -> bytes:
    with graph.reading() as store:
        return b"".join(export(store, fmt))


@pytest.fixture(scope="module")
def ntriples(seed_graph: KnowledgeGraph) -> bytes:
    return _dump(seed_graph, "ntriples")


def _records(graph: KnowledgeGraph) -> dict[str, Any]:
    """Every record by id, lists that some formats do not order sorted, without text files."""
    records: dict[str, Any] = {}
    doc = json.loads(_dump(graph, "json"))
    for record in [*doc["nodes"], *doc["edges"]]:
        for field in ("aliases", "contributors", "evidence"):
            if field in record:
                record[field] = sorted(record[field], key=json.dumps)
        record.pop("text_file", None)
        records[record["id"]] = record
    return records


def _data(items: list[Item]) -> dict[str, Any]:
    """Records read, by id, with the lists that RDF does not order sorted."""
    found = {}
    for item in items:
        data = dict(item.data)
        for field in ("aliases", "contributors", "evidence"):
            if field in data:
                data[field] = sorted(data[field], key=json.dumps)
        found[data["id"]] = data
    return found


def _shuffled(data: bytes, seed: int = 7) -> bytes:
    lines = data.decode().splitlines(keepends=True)
    random.Random(seed).shuffle(lines)
    return "".join(lines).encode()


def _quotes_last(data: bytes) -> bytes:
    """The same lines with every quote's lines moved to the end: still grouped by subject."""
    lines = data.decode().splitlines(keepends=True)
    quotes = [line for line in lines if line.split(" ", 1)[0].count("#char=")]
    rest = [line for line in lines if not line.split(" ", 1)[0].count("#char=")]
    return "".join(rest + quotes).encode()


class _Unseekable(io.RawIOBase):
    """A stream that can only be read forward (like a pipe)."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._inner.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of a few lines, so that a small file crosses a small bound many times."""
    monkeypatch.setattr("graph.imports._ntriples.CHUNK", 512)


# -- grouping lines in any order ----------------------------------------------------------------


def test_unsorted_ntriples_are_grouped_by_subject(
    seed_graph: KnowledgeGraph, ntriples: bytes, open_graph: OpenGraph
) -> None:
    empty = open_graph()
    report, _ = import_stream(empty, io.BytesIO(_shuffled(ntriples)), "ntriples", actor="test")
    assert sum(report.added.values()) == report.items and not report.problems
    assert _records(empty) == _records(seed_graph)


@pytest.mark.usefixtures("small_chunks")
def test_unsorted_lines_past_the_bound_are_read_again_sorted(
    seed_graph: KnowledgeGraph, ntriples: bytes, open_graph: OpenGraph
) -> None:
    shuffled = _shuffled(ntriples, seed=11)
    expected = _data(read_items(io.BytesIO(shuffled), "ntriples"))
    with Workspace(bound=200) as ws:
        ws.restartable = True
        with pytest.raises(SubjectsNotGroupedError):
            list(read_ntriples(io.BytesIO(shuffled), ws))
    with Workspace(bound=200) as ws:
        ws.sort = True
        items = list(read_ntriples(io.BytesIO(shuffled), ws))
        cameo = ntriples.count(b"\n<https://geokg.example.org/id/cameo/")
        assert ws.one("SELECT count(*) FROM spilled") == (ntriples.count(b"\n") - cameo,)
        assert ws.peak <= 200 + 20
    assert _data(items) == expected
    empty = open_graph()
    import_stream(empty, io.BytesIO(shuffled), "ntriples", actor="test", bound=200)
    assert _records(empty) == _records(seed_graph)


@pytest.mark.usefixtures("small_chunks")
def test_a_grouped_file_streams_past_the_bound_in_a_window(ntriples: bytes) -> None:
    expected = _data(read_items(io.BytesIO(ntriples), "ntriples"))
    total = ntriples.count(b"\n")
    with Workspace(bound=60) as ws:
        ws.restartable = True
        items = list(read_ntriples(io.BytesIO(ntriples), ws))
        assert ws.peak <= 60 + 20, "the reader held more triples than the bound and a chunk"
        assert total > 20 * ws.peak
    assert _data(items) == expected


@pytest.mark.usefixtures("small_chunks")
def test_quotes_not_yet_cited_leave_memory_for_the_workspace(
    ntriples: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("graph.imports.rdf._RECENT_QUOTES", 4)
    moved = _quotes_last(ntriples)
    with Workspace(bound=60) as ws:
        ws.restartable = True
        items = list(read_ntriples(io.BytesIO(moved), ws))
        (quotes,) = ws.one("SELECT count(*) FROM quotes") or (0,)
    assert quotes > 100
    assert _data(items) == _data(read_items(io.BytesIO(ntriples), "ntriples"))


@pytest.mark.usefixtures("small_chunks")
def test_a_quote_cited_again_far_on_without_its_description_is_found_sorting(
    ntriples: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("graph.imports.rdf._RECENT_QUOTES", 4)
    lines = ntriples.decode().splitlines(keepends=True)
    cite = next(line for line in lines if "wasDerivedFrom" in line and "/id/edge/" in line)
    quote = cite.split(" ")[2]
    subject = "<https://geokg.example.org/id/edge/far-on>"
    far = "".join(
        line.replace(line.split(" ", 1)[0], subject, 1)
        for line in lines
        if line.startswith(cite.split(" ", 1)[0])
    )
    doc = (ntriples.decode() + far).encode()
    assert quote in far
    expected = _data(read_items(io.BytesIO(doc), "ntriples"))  # in memory: every quote known
    with Workspace(bound=60) as ws:
        ws.restartable = True
        with pytest.raises(SubjectsNotGroupedError):
            list(read_ntriples(io.BytesIO(doc), ws))
    with Workspace(bound=60) as ws:
        ws.sort = True
        assert _data(list(read_ntriples(io.BytesIO(doc), ws))) == expected


def test_a_quote_whose_iri_names_another_span_is_refused(ntriples: bytes) -> None:
    lines = ntriples.decode().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if "#startOffset>" in line)
    number = lines[at].split('"')[1]
    lines[at] = lines[at].replace(f'"{number}"', f'"{int(number) + 1}"')
    with pytest.raises(RecordValidationError) as caught:
        read_items(io.BytesIO("".join(lines).encode()), "ntriples")
    assert "names another source or span than its quote has" in caught.value.problems[0].reason


@pytest.mark.usefixtures("small_chunks")
def test_records_whose_quotes_come_later_wait_in_the_workspace(ntriples: bytes) -> None:
    moved = _quotes_last(ntriples)
    expected = _data(read_items(io.BytesIO(ntriples), "ntriples"))
    with Workspace(bound=60) as ws:
        ws.restartable = True
        items = list(read_ntriples(io.BytesIO(moved), ws))
        (deferred,) = ws.one("SELECT count(*) FROM deferred") or (0,)
    assert deferred > 100
    assert _data(items) == expected


@pytest.mark.usefixtures("small_chunks")
def test_a_stream_that_cannot_be_read_again_is_sorted_past_the_bound(
    seed_graph: KnowledgeGraph, ntriples: bytes, open_graph: OpenGraph
) -> None:
    shuffled = _shuffled(ntriples, seed=3)
    stream = io.BufferedReader(_Unseekable(shuffled))
    empty = open_graph()
    report, _ = import_stream(empty, stream, "ntriples", actor="test", bound=100)
    assert not report.problems
    assert _records(empty) == _records(seed_graph)


def test_nquads_stream_like_ntriples(seed_graph: KnowledgeGraph) -> None:
    nquads = _dump(seed_graph, "nquads")
    with Workspace(bound=100) as ws:
        ws.sort = True
        sorted_items = _data(list(read_nquads(io.BytesIO(_shuffled(nquads)), ws)))
    assert sorted_items == _data(read_items(io.BytesIO(nquads), "nquads"))


def test_a_quote_described_twice_alike_is_one_quote(ntriples: bytes) -> None:
    lines = ntriples.decode().splitlines(keepends=True)
    quote = next(line for line in lines if "#char=" in line.split(" ", 1)[0])
    again = "".join(line for line in lines if line.startswith(quote.split(" ", 1)[0]))
    items = read_items(io.BytesIO(ntriples + again.encode()), "ntriples")
    assert _data(items) == _data(read_items(io.BytesIO(ntriples), "ntriples"))


# -- memory: the planner stages records, the reader keeps the bound ------------------------------


def test_the_planner_keeps_a_batch_of_records_in_memory_at_most(ntriples: bytes) -> None:
    items = read_items(io.BytesIO(ntriples), "ntriples")
    assert len(items) > 300
    with Workspace() as ws:
        planner = planner_module.ImportPlanner("ntriples", ws)
        most = 0
        for item in items * 8:  # repeated ids are refused, after staging the first of each
            planner.add(item)
            most = max(most, len(planner._nodes) + len(planner._edges))
        planner.check(GraphStore())
        (staged,) = ws.one("SELECT count(*) FROM staged_nodes") or (0,)
        (edges,) = ws.one("SELECT count(*) FROM staged_edges") or (0,)
    assert most <= planner_module._STAGE_BATCH
    assert staged + edges == len(items)
    assert len(planner.problems) == 7 * len(items)  # each id seven times too many


# -- GraphML as a stream ----------------------------------------------------------------------


def test_graphml_repeated_ids_and_missing_ends_are_found_across_batches(
    seed_graph: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graphml_reader, "_BATCH", 3)
    data = _dump(seed_graph, "graphml").decode()
    first_node = data.index("<node ")
    node = data[first_node : data.index("</node>", first_node) + len("</node>")]
    data = data.replace("</graph>", f'{node}\n<edge id="x" source="nobody" target="y"/></graph>')
    with pytest.raises(RecordValidationError) as caught:
        read_items(io.BytesIO(data.encode()), "graphml")
    reasons = [p.reason for p in caught.value.problems]
    assert any("comes twice" in r for r in reasons)
    assert any("'nobody' is not a node of this graph" in r for r in reasons)
    assert any("'y' is not a node of this graph" in r for r in reasons)


# -- the N-Triples grammar --------------------------------------------------------------------

GOOD_LINES = [
    ("<http://a/s> <http://a/p> <http://a/o> .", ("http://a/s", "http://a/p", "http://a/o")),
    ('<http://a/s> <http://a/p> "x" .', ("http://a/s", "http://a/p", ("x", ""))),
    ('<http://a/s> <http://a/p> "x"@en-GB .', ("http://a/s", "http://a/p", ("x", "@en-GB"))),
    (
        '<http://a/s> <http://a/p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .',
        ("http://a/s", "http://a/p", ("1", "^^<http://www.w3.org/2001/XMLSchema#integer>")),
    ),
    (
        r'<http://a/s> <http://a/p> "a\"b\\c\nd\te\u00e9\U0001F600" .',
        ("http://a/s", "http://a/p", ('a"b\\c\nd\teé\U0001f600', "")),
    ),
    (
        "<http://a/s\\u00e9> <http://a/p> <http://a/o> .",
        ("http://a/sé", "http://a/p", "http://a/o"),
    ),
    ("\t<http://a/s>\t<http://a/p>   <http://a/o>\t.\t# a comment", None),
    ("_:b1 <http://a/p> _:b.2 .", None),
    ("", None),
    ("# only a comment", None),
    ('<http://a/s> <http://a/p> "raw {braces} | ^ ` and < > in a literal" .', None),
]


@pytest.mark.parametrize(("line", "terms"), GOOD_LINES)
def test_good_lines_read_the_same_on_both_paths(line: str, terms: Any) -> None:
    parsed = parse_line(line)
    if terms is not None:
        assert parsed == terms
    [chunk] = statements(io.BytesIO((line + "\n").encode())) or [None]
    rows = chunk.rows if chunk is not None else []
    if parsed is None:
        assert rows == []
    else:
        s, p, o = parsed
        assert rows == [(s, p, o, "", "") if isinstance(o, str) else (s, p, "", *o)]


BAD_LINES = [
    ("<http://a/s> <http://a/p> <http://a/o>", "expected . at the end"),
    ("<http://a/s> <http://a/p> .", "expected the object"),
    ("<a/relative> <http://a/p> <http://a/o> .", "relative IRI"),
    ("<http://a/s> _:p <http://a/o> .", "a blank node cannot be a predicate"),
    ('"lit" <http://a/p> <http://a/o> .', "expected the subject"),
    ("<http://a/s p> <http://a/p> <http://a/o> .", "subject IRI holds a character"),
    ('<http://a/s> <http://a/p> "unclosed .', "literal is not closed"),
    ('<http://a/s> <http://a/p> "bad \\q escape" .', "literal is not closed"),
    ('<http://a/s> <http://a/p> "x"@ .', "expected a language tag"),
    ("<http://a/s> <http://a/p> <http://a/o> . extra", "expected the end of the line"),
    ("<http://a/s> <http://a/p> <http://a/\\u0020> .", "an escape in the IRI"),
]


@pytest.mark.parametrize(("line", "reason"), BAD_LINES)
def test_bad_lines_are_refused_with_line_and_column(line: str, reason: str) -> None:
    doc = f"<http://a/s> <http://a/p> <http://a/o> .\n{line}\n".encode()
    with pytest.raises(RecordValidationError) as caught:
        for _ in statements(io.BytesIO(doc)):
            pass
    problem = caught.value.problems[0]
    assert problem.location == "line 2"
    assert reason in problem.reason and "at column" in problem.reason


def test_not_utf8_is_refused_with_its_line_and_byte() -> None:
    doc = b'<http://a/s> <http://a/p> "ok" .\n<http://a/s> <http://a/p> "\xff" .\n'
    with pytest.raises(RecordValidationError) as caught:
        list(statements(io.BytesIO(doc)))
    assert str(caught.value.problems[0]) == "line 2: not UTF-8: invalid start byte at byte 27"


def test_crlf_and_lone_cr_end_lines() -> None:
    doc = b'<http://a/s> <http://a/p> <http://a/o> .\r\n<http://a/s> <http://a/p> "x" .\r\n'
    [chunk] = statements(io.BytesIO(doc))
    assert [chunk.line(i) for i in range(len(chunk.rows))] == [1, 2]


def test_lines_straddling_chunks_are_read_whole(ntriples: bytes, small_chunks: None) -> None:
    rows = [row for chunk in statements(io.BytesIO(ntriples)) for row in chunk.rows]
    assert len(rows) == ntriples.count(b"\n")


def test_blank_nodes_are_refused_with_their_line(ntriples: bytes) -> None:
    doc = ntriples + b'_:b0 <https://geokg.example.org/ontology#kind> "place" .\n'
    with pytest.raises(RecordValidationError) as caught:
        read_items(io.BytesIO(doc), "ntriples")
    problem = caught.value.problems[0]
    last = ntriples.count(b"\n") + 1
    assert problem.location == f"line {last}: <b0>"
    assert "blank nodes" in problem.reason


# -- all or nothing ----------------------------------------------------------------------------


def test_a_bulk_commit_of_another_count_writes_nothing(tmp_path: Path) -> None:
    records = open_record_store(str(tmp_path / "s.sqlite3"))
    try:
        change = RenderedChange("create", "entity", "kyiv", '{"id":"kyiv"}')
        with pytest.raises(ValueError, match="1 changes written, 2 announced"):
            records.commit_bulk([[change]], 2, Commit(actor="t"), expect=0)
        with pytest.raises(StaleError):
            records.commit_bulk([[change]], 1, Commit(actor="t"), expect=5)
        assert records.position() == 0
        assert records.commit_bulk([[change]], 1, Commit(actor="t"), expect=0) == 1
    finally:
        records.close()


_KILL_AFTER_FIRST_BATCH = """
import os, signal, sys
from graph.storage import sqlite
write = sqlite.SQLiteRecordStore._write_batch
def killed(*args, **kwargs):
    write(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
sqlite.SQLiteRecordStore._write_batch = killed
from app.cli import main
main(["import", sys.argv[1], "--db", sys.argv[2]])
"""


def test_kill_9_during_the_commit_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite3"
    mini = KnowledgeGraph.open(str(db), MINI)
    before = mini.position
    with mini.reading() as store:
        mini_counts = store.counts()
    mini.close()
    source = tmp_path / "seed.nt"
    graph = KnowledgeGraph.open(":memory:", DEFAULT_SEEDS)
    source.write_bytes(_dump(graph, "ntriples"))
    graph.close()
    # The killed process leaves its scratch directories behind (that is what kill -9 does):
    # in a temporary folder of its own, not among this session's throwaway stores.
    scratch = tmp_path / "killed-tmp"
    scratch.mkdir()
    env = {**os.environ, "GEOKG_SEEDS": str(tmp_path / "no-seeds"), "TMPDIR": str(scratch)}
    done = subprocess.run(
        [sys.executable, "-c", _KILL_AFTER_FIRST_BATCH, str(source), str(db)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    again = KnowledgeGraph.open(str(db))
    try:
        assert again.position == before
        with again.reading() as store:
            assert store.counts() == mini_counts
        report, position = import_stream(
            again, io.BytesIO(source.read_bytes()), "ntriples", actor="test"
        )
        assert position == before + sum(report.added.values()) + sum(report.changed.values())
    finally:
        again.close()


def test_a_big_import_rebuilds_the_read_model_and_followers_agree(
    seed_graph: KnowledgeGraph, ntriples: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("graph.store.REPLAY_MIN", 10)
    db = tmp_path / "store.sqlite3"
    writer = KnowledgeGraph.open(str(db))
    follower = KnowledgeGraph.open(str(db))
    try:
        import_stream(writer, io.BytesIO(ntriples), "ntriples", actor="test")
        follower.sync()
        assert follower.position == writer.position
        assert _records(follower) == _records(writer) == _records(seed_graph)
        # The log holds one entry per record, nodes before edges: it replays on its own.
        logged = [c.change for c in writer.records.changes_since(0, 10**6)]
        assert len(logged) == writer.position
        replayed = GraphStore()
        replayed.apply(logged)
        with writer.reading() as store:
            assert replayed.counts() == store.counts()
    finally:
        writer.close()
        follower.close()


def _stream(data: bytes) -> IO[bytes]:
    return io.BytesIO(data)


def test_a_dry_run_of_an_unsorted_file_past_the_bound_writes_nothing(
    ntriples: bytes, small_chunks: None, open_graph: OpenGraph
) -> None:
    empty = open_graph()
    report, position = import_stream(
        empty, _stream(_shuffled(ntriples)), "ntriples", actor="t", dry_run=True, bound=100
    )
    assert report.dry_run and sum(report.added.values()) == report.items
    assert position == 0 and empty.position == 0


def test_records_written_from_their_rows_are_the_records_models_write(
    seed_graph: KnowledgeGraph,
) -> None:
    items = read_items(io.BytesIO(_dump(seed_graph, "json")), "json")
    rows = {"entity": planner_module._EntityRow, "event": planner_module._EventRow}
    with Workspace() as ws:
        planner = planner_module.ImportPlanner("json", ws)
        compared = 0
        for item in items:
            model = (
                planner_module._EdgeRow if item.kind == "edge" else rows.get(item.data["node_type"])
            )
            if model is None:
                continue
            row: Any = model.model_validate(item.data)
            record = (
                planner.edge(row)
                if item.kind == "edge"
                else planner.entity(row)
                if model is planner_module._EntityRow
                else planner.event(row)
            )
            assert planner_module._record_json(row) == record.model_dump_json()
            compared += 1
    assert compared > 300
