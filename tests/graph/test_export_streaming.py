"""Every export is a stream: its first chunk after a bounded number of records, each record read
once, a failure raised (before the first byte, or from the iterator), never a silently short
document."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from graph.export import rdf
from graph.export._common import CHUNK
from graph.formats import FORMATS, export
from graph.model import Edge, Entity, Evidence, Node, Source
from graph.store import GraphStore
from tests.graph.exportfixtures import build_export_store, evidence, exported, parse_dataset

NODES = 3_000
FIRST_CHUNK_READS = 1_000
"""Records a writer may read before its first chunk: a few hundred fill 64 KiB in any format."""


class CountingStore(GraphStore):
    """A store that counts the reads an exporter makes through the read interface, and fails
    (as a store whose disk went away would) once ``fail_after`` node records have been read."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0
        self.nodes_read = 0
        self.fail_after: int | None = None

    def node(self, node_id: str) -> Node:
        self.reads += 1
        self.nodes_read += 1
        if self.fail_after is not None and self.nodes_read > self.fail_after:
            raise OSError("the store went away")
        return super().node(node_id)

    def successors(self, node_id: str) -> Iterator[tuple[str, list[Edge]]]:
        self.reads += 1
        return super().successors(node_id)

    def edges(self) -> Iterator[Edge]:
        # One pass over every node's edges: counted as one read of each node's edges.
        self.reads += self.node_count()
        return super().edges()

    def edges_between(self, u: str, v: str) -> list[Edge]:
        self.reads += 1
        return super().edges_between(u, v)

    def type_of(self, node_id: str) -> str | None:
        self.reads += 1
        return super().type_of(node_id)

    def source_text(self, source_id: str) -> str:
        self.reads += 1
        return super().source_text(source_id)


def _store() -> CountingStore:
    """People in a ring (each knows the next two), each edge quoted: a graph far bigger than a
    chunk in every format."""
    store = CountingStore()
    text = "".join(f"person {i} met person {i + 1}. " for i in range(NODES))
    for i in range(NODES):
        store.put_node(Entity(id=f"p{i}", kind="person", label=f"Person {i}"))
    # Last, so that its long text does not fill the first chunk by itself.
    store.put_node(
        Source(
            id="doc",
            label="Doc",
            published=dt.date(2022, 2, 15),
            text_length=len(text),
            metadata_origin="test",
        )
    )
    store.put_text("doc", text)
    for i in range(NODES):
        quote = f"person {i} met"
        start = text.index(f"{quote} ")
        proof = (Evidence(source="doc", quote=quote, start=start, end=start + len(quote)),)
        for step in (1, 2):
            j = (i + step) % NODES
            store.put_edge(
                Edge(
                    id=f"p{i}.counterpart_of.p{j}",
                    category="relation",
                    type="counterpart_of",
                    source=f"p{i}",
                    target=f"p{j}",
                    evidence=proof,
                )
            )
    store.reads = 0
    return store


@pytest.fixture(scope="module")
def store() -> CountingStore:
    return _store()


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_the_first_chunk_comes_after_a_bounded_number_of_records(
    store: CountingStore, fmt: str
) -> None:
    store.reads = 0
    chunks = export(store, fmt)
    assert 10 < store.reads <= FIRST_CHUNK_READS, store.reads
    first = next(chunks)
    assert len(first) >= CHUNK
    assert store.reads <= FIRST_CHUNK_READS
    rest = sum(1 for _ in chunks)
    assert rest > 10


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_each_record_is_read_once(store: CountingStore, fmt: str) -> None:
    store.reads = 0
    for _ in export(store, fmt):
        pass
    nodes = store.node_count()
    # Each node once, its edges once (with it), the source's text once: no lookups per triple.
    assert store.reads == 2 * nodes + 1


@pytest.fixture
def failing(store: CountingStore) -> Iterator[CountingStore]:
    store.nodes_read = 0
    yield store
    store.fail_after = None


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_a_failure_in_the_first_chunk_is_raised_by_the_call(
    failing: CountingStore, fmt: str
) -> None:
    failing.fail_after = 5
    with pytest.raises(OSError, match="went away"):
        export(failing, fmt)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_a_failure_later_is_raised_by_the_iterator_after_the_chunks_before_it(
    failing: CountingStore, fmt: str
) -> None:
    failing.fail_after = NODES // 2
    chunks = export(failing, fmt)
    received = [next(chunks)]
    with pytest.raises(OSError, match="went away"):
        for chunk in chunks:
            received.append(chunk)
    assert len(received) > 1  # what came before the failure was sent, then the stream broke


def test_a_projection_that_forgets_quotes_writes_the_same_graph(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Memory stays flat because the projection forgets the quotes it wrote, past a bound
    # (between one node's blocks and the next); a quote cited again by a later node is then
    # described again: more lines, the same quads.
    store = build_export_store()
    store.put_node(
        Entity(
            id="moscow", kind="place", label="Moscow", evidence=evidence("Russia stated Tuesday")
        )
    )
    remembering = exported(store, "nquads")
    monkeypatch.setattr(rdf, "_REMEMBERED", 1)
    forgetting = exported(store, "nquads")
    assert forgetting.count(b"\n") > remembering.count(b"\n")
    quads = parse_dataset(remembering).quads((None, None, None, None))
    assert set(parse_dataset(forgetting).quads((None, None, None, None))) == set(quads)
