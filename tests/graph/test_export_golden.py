"""The streaming writers write the graph the first release wrote.

``tests/data/golden/`` holds what the first release (commit 91f721d, whose RDF writers built
rdflib terms and graphs) exported for three stores: the export fixture, the mini seed and the
real seed, as N-Quads and GraphML. When the seed itself changes (issue #7 brought it into line
with docs/codebook.md), its two files are written again by today's writers (so without the four
triples :func:`lean` drops), and the diff of the graph is reviewed against the seed's.

Every RDF syntax must parse to the same triples (and N-Quads to the same named graphs), but for
the four triples per edge statement the lean reification dropped (:func:`lean`); GraphML must
read back, through networkx, to the same nodes, edges and values.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable
from typing import Any

import networkx as nx
import pytest
from rdflib import Dataset, Graph
from rdflib.compare import graph_diff, isomorphic
from rdflib.namespace import DCTERMS, RDF

from graph import DEFAULT_SEEDS
from graph.export.rdf import EDGE_BASE, GEOKG, RDF_FORMATS
from graph.seed import load_seed_dir
from graph.store import GraphStore
from tests.conftest import DATA, MINI
from tests.graph.exportfixtures import build_export_store, exported, parse_dataset, parse_graph

GOLDEN = DATA / "golden"
STORES: dict[str, Callable[[], GraphStore]] = {
    "export-fixture": build_export_store,
    "mini": lambda: load_seed_dir(MINI),
    "seed": lambda: load_seed_dir(DEFAULT_SEEDS),
}


def golden(name: str, suffix: str) -> bytes:
    return gzip.decompress((GOLDEN / f"{name}.{suffix}.gz").read_bytes())


@pytest.fixture(scope="module", params=sorted(STORES))
def case(request: pytest.FixtureRequest) -> tuple[str, GraphStore]:
    name: str = request.param
    return name, STORES[name]()


# What the first release said of every edge statement that the predicate or the IRI already say.
DROPPED = {RDF.type, DCTERMS.identifier, GEOKG.edgeCategory, GEOKG.edgeType}


def lean(graph: Graph) -> Graph:
    """The first release's graph with the edge statements' derivable triples taken out."""
    for s, p, o in list(graph):
        if str(s).startswith(EDGE_BASE) and "#" not in s and p in DROPPED:
            assert p != RDF.type or o == RDF.Statement
            graph.remove((s, p, o))
    return graph


def _union(dataset: Dataset) -> Graph:
    union = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    return union


def _explain(expected: Graph, found: Graph) -> str:
    _, missing, extra = graph_diff(expected, found)
    show = [f"- {t}" for t in sorted(missing)[:5]] + [f"+ {t}" for t in sorted(extra)[:5]]
    return f"{len(missing)} triple(s) missing, {len(extra)} extra:\n" + "\n".join(show)


def same_graph(expected: Graph, found: Graph) -> None:
    assert isomorphic(expected, found), _explain(expected, found)


@pytest.mark.parametrize("fmt", sorted(RDF_FORMATS))
def test_every_rdf_syntax_writes_the_first_releases_graph(
    case: tuple[str, GraphStore], fmt: str
) -> None:
    name, store = case
    expected = lean(_union(parse_dataset(golden(name, "nq"))))
    same_graph(expected, parse_graph(exported(store, fmt), fmt))


def test_nquads_keep_the_first_releases_named_graphs(case: tuple[str, GraphStore]) -> None:
    name, store = case
    expected, found = parse_dataset(golden(name, "nq")), parse_dataset(exported(store, "nquads"))
    names = {g.identifier for g in expected.graphs()}
    assert {g.identifier for g in found.graphs()} == names
    for graph_name in names:
        same_graph(lean(expected.graph(graph_name)), found.graph(graph_name))


def _graphml(data: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    graph = nx.read_graphml(io.BytesIO(data), force_multigraph=True)
    nodes = dict(graph.nodes(data=True))
    edges = {k: (u, v, d) for u, v, k, d in graph.edges(keys=True, data=True)}
    return nodes, edges


def test_graphml_reads_back_as_the_first_releases(case: tuple[str, GraphStore]) -> None:
    name, store = case
    assert _graphml(exported(store, "graphml")) == _graphml(golden(name, "graphml"))
