"""Imports: every format round-trips; bad and hostile files are refused, located, unwritten."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import networkx as nx
import pytest
from rdflib.compare import isomorphic

from graph import DEFAULT_SEEDS
from graph.errors import RecordValidationError, UnsupportedFormatError
from graph.export.rdf import RDF_FORMATS
from graph.formats import FORMATS as EXPORT_FORMATS
from graph.formats import export
from graph.imports import (
    MAX_IMPORT_ITEMS,
    READERS,
    format_for_path,
    import_items,
    read_items,
)
from graph.service import KnowledgeGraph
from graph.writes import plan_create
from tests.conftest import DATA, MINI, OpenGraph
from tests.graph.exportfixtures import parse_dataset, parse_graph

SOURCE = "ap-2022-02-15-russia-forces-pulling-back"
FORMATS = list(EXPORT_FORMATS)


def _dump(graph: KnowledgeGraph, fmt: str) -> bytes:
    with graph.reading() as store:
        return b"".join(export(store, fmt))


def _import(
    graph: KnowledgeGraph, data: bytes, fmt: str, *, dry_run: bool = False, **read: Any
) -> Any:
    return import_items(
        graph, read_items(io.BytesIO(data), fmt, **read), fmt, actor="test", dry_run=dry_run
    )[0]


@pytest.fixture(scope="module")
def rich() -> Iterator[KnowledgeGraph]:
    """The real seed, plus what the seed lacks: a URL, analyst assertions, a second source."""
    graph = KnowledgeGraph.open(":memory:", DEFAULT_SEEDS)
    writes = [
        (
            "source",
            {
                "id": "second-report",
                "title": "A second report",
                "published": "2022-02-16",
                "url": "https://example.org/news/2?x=1&y=%20",
                "text": 'Moscow denied it.\r\nLavrov spoke again "twice" \\ <&>.',
                "publisher": "associated-press",
            },
        ),
        ("entity", {"kind": "person", "label": "An Analyst Pick", "analyst_assertion": True}),
        (
            "relation",
            {
                "type": "ally_of",
                "source": "an-analyst-pick",
                "target": "russia",
                "attributes": {"since": "2004", "title": "adviser"},
                "analyst_assertion": True,
            },
        ),
        (
            "entity",
            {
                "kind": "state",
                "label": "Moscow State",
                "iso3166": "MD",
                "aliases": ["A | B"],
                "evidence": [{"source": "second-report", "quote": "Moscow denied it."}],
            },
        ),
        (
            "event",
            {
                "kind": "statement",
                "label": "Lavrov speaks again",
                "cameo": None,
                "cameo_note": "no CAMEO code fits: the test says so",
                "modality": "occurred",
                "evidence": [{"source": "second-report", "quote": "Lavrov spoke again"}],
            },
        ),
    ]
    for kind, body in writes:
        graph.write(lambda s, k=kind, b=body: plan_create(s, k, b), actor="test")
    yield graph
    graph.close()


@pytest.fixture(scope="module")
def exports(rich: KnowledgeGraph) -> dict[str, bytes]:
    return {fmt: _dump(rich, fmt) for fmt in FORMATS}


def _graphml(data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    graph = nx.read_graphml(io.BytesIO(data), force_multigraph=True)
    nodes = dict(graph.nodes(data=True))
    edges = {k: (u, v, d) for u, v, k, d in graph.edges(keys=True, data=True)}
    return nodes, edges


def _same(fmt: str, first: bytes, second: bytes) -> bool:
    if fmt == "json":
        return bool(json.loads(first) == json.loads(second))
    if fmt == "graphml":
        return _graphml(first) == _graphml(second)
    if fmt == "nquads":
        a, b = parse_dataset(first), parse_dataset(second)
        names = {g.identifier for g in a.graphs()}
        if names != {g.identifier for g in b.graphs()}:
            return False
        return all(isomorphic(a.graph(n), b.graph(n)) for n in names)
    return bool(isomorphic(parse_graph(first, fmt), parse_graph(second, fmt)))


# -- round trips ------------------------------------------------------------------------------


def test_every_export_format_has_a_reader() -> None:
    assert set(READERS) == set(EXPORT_FORMATS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_import_export_gives_the_same_graph(
    fmt: str, exports: dict[str, bytes], open_graph: OpenGraph
) -> None:
    empty = open_graph()
    report = _import(empty, exports[fmt], fmt)
    assert report.rejected == {"source": 0, "entity": 0, "event": 0, "edge": 0}
    assert sum(report.added.values()) == report.items
    assert _same(fmt, exports[fmt], _dump(empty, fmt))


def _records(dump: bytes, keep_text_file: bool) -> dict[str, Any]:
    """Every record of a dump by id, with the lists some formats do not order sorted."""
    records: dict[str, Any] = {}
    doc = json.loads(dump)
    for original in [*doc["nodes"], *doc["edges"]]:
        record = dict(original)
        for field in ("aliases", "contributors", "evidence"):
            if field in record:
                record[field] = sorted(record[field], key=json.dumps)
        if not keep_text_file and "text_file" in record:
            record["text_file"] = None
        records[record["id"]] = record
    return records


@pytest.mark.parametrize("fmt", FORMATS)
def test_import_rebuilds_the_very_records(
    fmt: str, exports: dict[str, bytes], open_graph: OpenGraph
) -> None:
    empty = open_graph()
    _import(empty, exports[fmt], fmt)
    keep = fmt == "json"  # only the dump carries the seed's text file name
    assert _records(_dump(empty, "json"), keep) == _records(exports["json"], keep)


@pytest.mark.parametrize("fmt", FORMATS)
def test_reimporting_a_stores_own_export_changes_nothing(
    fmt: str, rich: KnowledgeGraph, exports: dict[str, bytes]
) -> None:
    before = rich.position
    report = _import(rich, exports[fmt], fmt)
    assert sum(report.unchanged.values()) == report.items
    assert sum(report.added.values()) + sum(report.changed.values()) == 0
    assert rich.position == before


def test_dry_run_reports_and_writes_nothing(
    exports: dict[str, bytes], open_graph: OpenGraph
) -> None:
    empty = open_graph()
    report = _import(empty, exports["ntriples"], "ntriples", dry_run=True)
    assert report.dry_run and report.added["edge"] > 0
    assert empty.position == 0
    with empty.reading() as store:
        assert store.node_count() == 0


def test_a_different_record_is_changed(exports: dict[str, bytes], open_graph: OpenGraph) -> None:
    graph = open_graph()
    _import(graph, exports["json"], "json")
    dump = json.loads(exports["json"])
    node = next(n for n in dump["nodes"] if n["id"] == "russia")
    node["label"] = "Russian Federation"
    report = _import(graph, json.dumps(dump).encode(), "json")
    assert report.changed["entity"] == 1
    assert sum(report.unchanged.values()) == report.items - 1
    with graph.reading() as store:
        assert store.entity("russia").label == "Russian Federation"


def test_the_mini_seed_round_trips_in_every_format(open_graph: OpenGraph) -> None:
    mini = open_graph(MINI)
    for fmt in FORMATS:
        empty = open_graph()
        _import(empty, _dump(mini, fmt), fmt)
        assert _same(fmt, _dump(mini, fmt), _dump(empty, fmt)), fmt


# -- formats and limits -----------------------------------------------------------------------


def test_formats_are_guessed_from_extensions() -> None:
    assert [
        format_for_path(f"x.{e}")
        for e in ("json", "ttl", "nt", "nq", "jsonld", "rdf", "owl", "xml", "graphml")
    ] == ["json", "turtle", "ntriples", "nquads", "jsonld", "rdfxml", "rdfxml", "rdfxml", "graphml"]


def test_every_format_name_is_also_an_extension() -> None:
    assert {name: format_for_path(f"g.{name}") for name in READERS} == {n: n for n in READERS}


def test_unknown_format_lists_the_readers() -> None:
    with pytest.raises(UnsupportedFormatError) as caught:
        read_items(io.BytesIO(b""), "csv")
    assert set(caught.value.supported) == set(READERS)


def test_more_items_than_the_limit_are_refused(exports: dict[str, bytes]) -> None:
    assert MAX_IMPORT_ITEMS == 2_000_000
    with pytest.raises(RecordValidationError) as caught:
        read_items(io.BytesIO(exports["json"]), "json", max_items=10)
    assert caught.value.problems[0].location == "$.nodes[10]"
    assert "more than 10 records" in caught.value.problems[0].reason


# -- refused: hostile and broken documents ----------------------------------------------------

XXE = b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<x>&e;</x>'
LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'.encode()
        for i in range(1, 10)
    )
    + b"]>\n<lolz>&lol9;</lolz>"
)
GRAPHML_HEAD = (
    b'<?xml version="1.0"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n'
    b'<key id="t" for="node" attr.name="node_type" attr.type="string"/>\n'
)


def _graphml_doc(body: bytes, head: bytes = GRAPHML_HEAD) -> bytes:
    return head + body + b"\n</graphml>\n"


HOSTILE = {
    "xxe-rdfxml": ("rdfxml", XXE, "line 2", "DOCTYPE is not allowed"),
    "xxe-graphml": ("graphml", XXE, "line 2", "DOCTYPE is not allowed"),
    "billion-laughs-rdfxml": ("rdfxml", LAUGHS, "line 2", "DOCTYPE is not allowed"),
    "billion-laughs-graphml": ("graphml", LAUGHS, "line 2", "DOCTYPE is not allowed"),
    "jsonld-url-context": (
        "jsonld",
        b'{"@context": "http://example.org/ctx", "@id": "https://geokg.example.org/id/a"}',
        "$.@context",
        "inline object",
    ),
    "jsonld-file-context": (
        "jsonld",
        b'{"@graph": [{"@context": ["file:///etc/passwd"], "@id": "x"}]}',
        "$.@graph[0].@context[0]",
        "never loads a context from a URL or a file",
    ),
    "jsonld-import": (
        "jsonld",
        b'{"@context": {"@import": "http://example.org/ctx"}, "@id": "x"}',
        "$.@context.@import",
        "@import is not allowed",
    ),
    "graphml-duplicate-node": (
        "graphml",
        _graphml_doc(b'<graph edgedefault="directed">\n<node id="a"/>\n<node id="a"/>\n</graph>'),
        "line 6: a",
        "node id 'a' comes twice",
    ),
    "graphml-edge-to-missing-node": (
        "graphml",
        _graphml_doc(
            b'<graph edgedefault="directed">\n<node id="a"/>\n'
            b'<edge id="e" source="a" target="ghost"/>\n</graph>'
        ),
        "line 6: e.target",
        "'ghost' is not a node of this graph",
    ),
    "graphml-unknown-attr-type": (
        "graphml",
        _graphml_doc(
            b'<key id="x" for="node" attr.name="x" attr.type="complex"/>\n<graph/>',
        ),
        "line 4",
        "unknown attr.type 'complex'",
    ),
    "graphml-two-graphs": (
        "graphml",
        _graphml_doc(b'<graph edgedefault="directed"/>\n<graph edgedefault="directed"/>'),
        "line 5",
        "several <graph> elements",
    ),
    "graphml-not-xml": ("graphml", b"<graphml><graph></graphml>", "line 1", "not well-formed"),
    "turtle-syntax": ("turtle", b"<a> <b> .", "$", "not valid turtle"),
    "ntriples-syntax": (
        "ntriples",
        b"\n<https://geokg.example.org/id/a> <b> .\n",
        "line 2",
        "not N-Triples",
    ),
    "json-syntax": ("json", b'{"format": "geokg-dump/1",\n"nodes": [}', "line 2", "invalid JSON"),
    "json-wrong-format": ("json", b'{"format": "other"}', "$.format", "must be 'geokg-dump/1'"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_and_broken_documents_are_refused_and_located(
    case: str, open_graph: OpenGraph
) -> None:
    fmt, data, location, reason = HOSTILE[case]
    graph = open_graph(MINI)
    before = graph.position
    with pytest.raises(RecordValidationError) as caught:
        _import(graph, data, fmt)
    first = caught.value.problems[0]
    assert first.location == location, caught.value
    assert reason in first.reason, caught.value
    assert graph.position == before


def _seed_dump() -> dict[str, Any]:
    with closing(KnowledgeGraph.open(":memory:", MINI)) as graph:
        dump: dict[str, Any] = json.loads(_dump(graph, "json"))
    return dump


def _node(dump: dict[str, Any], node_type: str) -> tuple[int, dict[str, Any]]:
    return next((i, n) for i, n in enumerate(dump["nodes"]) if n["node_type"] == node_type)


def _break(case: str) -> tuple[dict[str, Any], str]:
    dump = _seed_dump()
    i, entity = _node(dump, "entity")
    j, event = _node(dump, "event")
    if case == "quote-not-in-text":
        event["evidence"][0]["quote"] = "words nobody wrote"
        return dump, f"$.nodes[{j}].evidence[0].quote"
    if case == "control-character":
        entity["label"] = "Alpha\x07Land"
        return dump, f"$.nodes[{i}].label"
    if case == "lone-surrogate":
        entity["aliases"] = ["Alpha\ud800"]
        return dump, f"$.nodes[{i}].aliases[0]"
    if case == "unknown-cameo":
        event["cameo"]["code"] = "9999"
        return dump, f"$.nodes[{j}].cameo.code"
    if case == "no-cameo-and-no-note":
        event["cameo"] = None
        return dump, f"$.nodes[{j}].cameo_note"
    if case == "cameo-note-beside-a-code":
        event["cameo_note"] = "filler"
        return dump, f"$.nodes[{j}].cameo_note"
    if case == "nan-quantity":
        event["quantities"] = [
            {
                "value": float("nan"),
                "unit": "soldier",
                "qualifier": "exact",
                "measure": "count",
                "text": "many",
                "evidence": event["evidence"],
            }
        ]
        return dump, f"$.nodes[{j}].quantities[0].value"
    if case == "missing-node":
        dump["edges"][0]["target"] = "ghost"
        return dump, "$.edges[0].target"
    if case == "duplicate-id":
        dump["nodes"].append(dict(entity))
        return dump, f"$.nodes[{len(dump['nodes']) - 1}].id"
    if case == "url-with-space":
        _, source = _node(dump, "source")
        source["url"] = "https://example.org/a b"
        k = dump["nodes"].index(source)
        return dump, f"$.nodes[{k}].url"
    raise AssertionError(case)


BROKEN = [
    "quote-not-in-text",
    "control-character",
    "lone-surrogate",
    "unknown-cameo",
    "no-cameo-and-no-note",
    "cameo-note-beside-a-code",
    "nan-quantity",
    "missing-node",
    "duplicate-id",
    "url-with-space",
]


@pytest.mark.parametrize("case", BROKEN)
def test_bad_records_are_refused_with_their_json_path(case: str, open_graph: OpenGraph) -> None:
    dump, location = _break(case)
    data = json.dumps(dump, ensure_ascii=True).encode()
    graph = open_graph()
    with pytest.raises(RecordValidationError) as caught:
        _import(graph, data, "json")
    assert location in [p.location for p in caught.value.problems], caught.value
    assert graph.position == 0
    report = _import(graph, data, "json", dry_run=True)
    assert sum(report.rejected.values()) >= 1 and report.problems


def test_ntriples_problems_name_the_line(open_graph: OpenGraph) -> None:
    graph = open_graph(MINI)
    lines = _dump(graph, "ntriples").decode().splitlines()
    n, line = next(
        (n, line) for n, line in enumerate(lines, 1) if 'rdf-schema#label> "Alpha Land"' in line
    )
    lines[n - 1] = line.replace("Alpha Land", "Alpha\\u0007Land")
    with pytest.raises(RecordValidationError) as caught:
        _import(open_graph(), "\n".join(lines).encode(), "ntriples")
    assert (
        caught.value.problems[0].location
        == f"line {n}: <https://geokg.example.org/id/alpha-land>.label"
    )


def test_graphml_problems_name_the_line_and_id(open_graph: OpenGraph) -> None:
    graph = open_graph(MINI)
    text = (
        _dump(graph, "graphml").decode().replace('key="n_kind">state<', 'key="n_kind">planet<', 1)
    )
    with pytest.raises(RecordValidationError) as caught:
        _import(open_graph(), text.encode(), "graphml")
    location = caught.value.problems[0].location
    line = next(n for n, row in enumerate(text.splitlines(), 1) if ">planet<" in row)
    assert location.startswith(f"line {line}: ") and location.endswith(".kind")


def test_a_sources_text_cannot_change(open_graph: OpenGraph) -> None:
    graph = open_graph(MINI)
    dump = json.loads(_dump(graph, "json"))
    k, source = _node(dump, "source")
    source["text"] = source["text"] + " More."
    with pytest.raises(RecordValidationError) as caught:
        _import(graph, json.dumps(dump).encode(), "json")
    assert f"$.nodes[{k}].text" in [p.location for p in caught.value.problems]


def test_rdf_from_elsewhere_is_refused(open_graph: OpenGraph) -> None:
    data = b'<http://example.org/a> <http://example.org/b> "c" .\n'
    with pytest.raises(RecordValidationError) as caught:
        _import(open_graph(), data, "ntriples")
    assert "not a geokg IRI" in caught.value.problems[0].reason
    assert caught.value.problems[0].location.startswith("line 1: ")


def test_rdf_formats_are_named_like_the_exports() -> None:
    assert set(RDF_FORMATS) < set(READERS)


def test_first_release_rdf_with_full_reification_still_imports(open_graph: OpenGraph) -> None:
    # The first release said every edge's id, type and category, and rdf:type rdf:Statement.
    first_release = gzip.decompress((DATA / "golden" / "mini.nq.gz").read_bytes())
    assert b"ontology#edgeType>" in first_release
    mini = open_graph(MINI)
    empty = open_graph()
    report = _import(empty, first_release, "nquads")
    assert sum(report.added.values()) == report.items
    assert _records(_dump(empty, "json"), False) == _records(_dump(mini, "json"), False)


def test_an_edge_type_that_contradicts_its_predicate_is_refused(open_graph: OpenGraph) -> None:
    mini = open_graph(MINI)
    lines = _dump(mini, "ntriples").decode().splitlines()
    n, line = next(
        (n, line)
        for n, line in enumerate(lines, 1)
        if "/id/edge/" in line and "#predicate>" in line
    )
    edge = line.split(" ", 1)[0]
    lines.append(f'{edge} <https://geokg.example.org/ontology#edgeType> "ally_of" .')
    with pytest.raises(RecordValidationError) as caught:
        _import(open_graph(), "\n".join(lines).encode(), "ntriples")
    problem = next(p for p in caught.value.problems if p.location.endswith(".predicate"))
    assert problem.location == f"line {n}: {edge}.predicate"
    assert "an edge of type 'ally_of' is" in problem.reason


def test_a_byline_edge_quotes_its_own_source(open_graph: OpenGraph) -> None:
    dump = _seed_dump()
    _, source = _node(dump, "source")
    other = {**source, "id": "test-mini-copy"}
    dump["nodes"].append(other)
    k, edge = next((k, e) for k, e in enumerate(dump["edges"]) if e["type"] == "contributor")
    edge["evidence"] = [
        {"source": "test-mini-copy", "quote": "Officer Délia Quux", "start": 104, "end": 122}
    ]
    with pytest.raises(RecordValidationError) as caught:
        _import(open_graph(), json.dumps(dump).encode(), "json")
    assert [p.location for p in caught.value.problems] == [f"$.edges[{k}].evidence[0].source"]
    edge["evidence"][0]["source"] = source["id"]
    report = _import(open_graph(), json.dumps(dump).encode(), "json")
    assert report.added["edge"] == len(dump["edges"])
